"""A worker process: claims jobs from the job table and runs them through the pipeline.

It keeps its Tesseract engines warm for its whole life. A crash here (native code on a hostile
file, kill -9) costs only this process: the supervisor requeues its job and starts another.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

from ocrmill.config import Settings
from ocrmill.domain.options import JobOptions
from ocrmill.errors import InsufficientStorage, OcrmillError, ServiceUnavailable, described
from ocrmill.logs import configure, fields
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.languages import tessdata_dir
from ocrmill.pipeline.pages import InputFile, limit_pixels
from ocrmill.pipeline.run import JobResult, Limits, run_job
from ocrmill.service import webhooks
from ocrmill.store import invoices as invoice_repo
from ocrmill.store import jobs as repo
from ocrmill.store import workers as worker_repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.files import new_run, open_files, scratch_dir, settle_run
from ocrmill.worker.invoices import InvoiceWork
from ocrmill.worker.slots import OcrSlots

log = logging.getLogger("ocrmill.worker")


class WorkerLoop:
    def __init__(self, settings: Settings, worker_id: str, wake: Connection, ocr_gate: OcrSlots | None) -> None:
        self.settings = settings
        self.ocr_gate = ocr_gate
        self.worker_id = worker_id
        self.wake = wake
        self.stop = threading.Event()
        self.db = Database(settings.effective_database_url)
        self.files = open_files(settings)
        self.engines = EnginePool(tessdata_dir(settings.tessdata_dir))
        self.limits = Limits(settings.max_pages, settings.max_image_megapixels)
        limit_pixels(settings.max_image_pixels)
        self.invoices = InvoiceWork(settings, self.db, self.files, self.engines, worker_id, ocr_gate)

    def run(self) -> None:
        if not self._persisting(self._register):
            return
        last_beat = time.monotonic()
        try:
            while not self.stop.is_set():
                try:
                    job_id = self._claim()
                    if job_id is not None:
                        self._process(job_id)
                        continue
                    invoice_work = self._claim_invoice_work()
                    if invoice_work is not None:
                        self._process_invoice(*invoice_work)
                        continue
                    if time.monotonic() - last_beat >= self.settings.heartbeat_seconds:
                        self._beat(0)
                        last_beat = time.monotonic()
                except (ServiceUnavailable, InsufficientStorage) as e:
                    # the database is away or its disk full: wait for it rather than die and be restarted in a loop
                    log.warning("worker %s waits: %s", self.worker_id, e.message)
                    self._pause()
                    continue
                self._sleep()
        finally:
            try:
                with self.db.write() as session:
                    worker_repo.remove_workers(session=session, worker_ids=[self.worker_id])
            except OcrmillError as e:  # the supervisor removes us when it can
                log.warning("worker %s could not sign off: %s", self.worker_id, e.message)
            self.db.dispose()

    def _register(self) -> None:
        with self.db.write() as session:
            worker_repo.register_worker(
                session=session,
                worker_id=self.worker_id,
                host=os.uname().nodename,
                pid=os.getpid(),
                now=utcnow(),
            )

    def _persisting(self, write: Callable[[], None]) -> bool:
        """`write` done, tried again while the database is away or its disk full; False when the worker is
        stopped meanwhile (its job, if any, is then handed back by the supervisor or the heartbeat timeout)."""
        while True:
            try:
                write()
                return True
            except (ServiceUnavailable, InsufficientStorage) as e:
                if self.stop.is_set():
                    return False
                log.warning("worker %s waits: %s", self.worker_id, e.message)
                self._pause()

    def _pause(self) -> None:
        self.stop.wait(min(self.settings.heartbeat_seconds, 5.0))

    def _sleep(self) -> None:
        """Until the supervisor writes to our pipe (a job was scheduled), or poll_seconds pass."""
        try:
            if self.wake.poll(self.settings.poll_seconds):
                while self.wake.poll(0):
                    self.wake.recv_bytes()
        except (EOFError, OSError):  # the supervisor is gone
            self.stop.set()

    def _claim(self) -> int | None:
        with self.db.write() as session:
            return repo.claim_job(session=session, worker_id=self.worker_id, now=utcnow())

    def _beat(self, job_id: int, *, invoice: bool = False) -> None:
        with self.db.write() as session:
            now = utcnow()
            worker_repo.heartbeat_worker(session=session, worker_id=self.worker_id, job_id=job_id, now=now)
            if job_id:
                repo.heartbeat_job(session=session, job_id=job_id, worker_id=self.worker_id, now=now)
            if invoice:
                invoice_repo.heartbeat(session=session, worker_id=self.worker_id, now=now)

    def _claim_invoice_work(self) -> tuple[str, str] | None:
        try:
            return self.invoices.claim()
        except Exception:  # the database went away for a moment: try again on the next round
            log.exception("claiming invoice work failed")
            return None

    def _process_invoice(self, kind: str, item_id: str) -> None:
        """An invoice job to split or an invoice page to recognise, with heartbeats while it runs."""
        done = threading.Event()
        beating = threading.Thread(target=self._beat_until, args=(0, done, True), daemon=True)
        beating.start()
        try:
            self.invoices.run(kind, item_id)
        except Exception:  # the page goes back to the queue through the heartbeat timeout
            log.exception("invoice %s %s failed", kind, item_id)
        finally:
            done.set()
            beating.join()

    def _process(self, job_id: int) -> None:
        with self.db.read() as session:
            job = repo.get_job(session=session, job_id=job_id, with_files=True)
            if job is None:
                return
            options = JobOptions.from_dict(job.options)
            stored = [(f.name, f.ext) for f in job.files]
        self._beat(job_id)
        done = threading.Event()
        beating = threading.Thread(target=self._beat_until, args=(job_id, done), daemon=True)
        beating.start()
        # this worker's own folder: inputs fetched from the store, the pipeline's work files, the run's outputs
        scratch = scratch_dir(self.settings, f"job-{job_id}")
        run = new_run()  # the run's outputs are stored apart, and become the job's with the Converted commit
        out_dir = self.files.run_outputs(job_id, run, scratch)
        started, cpu_started = time.monotonic(), time.process_time()
        result: JobResult | None = None
        error = ""
        try:
            inputs = [InputFile(self.files.fetch(name, scratch / "input"), ext) for name, ext in stored]
            result = run_job(
                inputs=inputs,
                options=options,
                out_dir=out_dir,
                work_dir=scratch / "work",
                engines=self.engines,
                limits=self.limits,
                threads=min(options.NrOfOCRThreads, self.settings.max_threads_per_job),
                ocr_gate=self.ocr_gate,
                on_page=lambda done, total: self.files.write_progress(job_id, done, total),
            )
            if self._holds(job_id):  # a run whose job went to another worker meanwhile uploads nothing
                self.files.keep_outputs(job_id, run, out_dir)
        except OcrmillError as e:
            error = e.message
        except Exception as e:  # a bug of ours or a full disk must still end the job with a description
            log.exception("job %s failed", job_id)
            error = described(e, "processing the job")
        finally:
            done.set()
            beating.join()
            shutil.rmtree(scratch / "work", ignore_errors=True)
        try:
            finished = self._finish(job_id, run, result, error, time.monotonic() - started)
            settle_run(self.files, f"jobs/{job_id}", run, won=finished and not error, ended=finished)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        # the process's CPU for the job: its pages' phases (pipeline.cpu), the rest its database, store, heartbeat
        cpu = {**(result.cpu.rounded() if result else {}), "job": round(time.process_time() - cpu_started, 3)}
        log.info(
            "job %s %s in %.1f s%s (CPU %s)",
            job_id,
            "failed" if error else "converted" if finished else "lost to another worker",
            time.monotonic() - started,
            f": {error}" if error else "",
            ", ".join(f"{name} {seconds:.3f} s" for name, seconds in cpu.items()),
            extra=fields(event="job_run", job_id=job_id, seconds=round(time.monotonic() - started, 3), cpu=cpu),
        )

    def _holds(self, job_id: int) -> bool:
        with self.db.write() as session:
            return repo.heartbeat_job(session=session, job_id=job_id, worker_id=self.worker_id, now=utcnow())

    def _finish(self, job_id: int, run: str, result: JobResult | None, error: str, seconds: float) -> bool:
        """The run's outcome (Converted or Error) committed, if this worker still holds the job."""
        finished = False

        def finish() -> None:
            nonlocal finished
            with self.db.write() as session:
                finished = repo.finish_job(
                    session=session,
                    job_id=job_id,
                    worker_id=self.worker_id,
                    now=utcnow(),
                    error=error,
                    pages=result.pages if result else 0,
                    barcodes=result.barcodes if result else None,
                    outputs=result.outputs if result else None,
                    removed_pages=result.removed_pages if result else None,
                    text=result.text if result else "",
                    run=run,
                )
                if finished:
                    webhooks.job_ended(session=session, job_id=job_id)  # the outbox, in the same transaction
                    worker_repo.increment(
                        session=session, names=["ProcessedFiles", "ErrorFiles" if error else "SuccessFiles"]
                    )
                    if result and not error:
                        worker_repo.count_pages(session=session, pages=result.pages, seconds=seconds)

        self._persisting(finish)  # the result is kept until the database takes it
        return finished

    def _beat_until(self, job_id: int, done: threading.Event, invoice: bool = False) -> None:
        while not done.wait(self.settings.heartbeat_seconds):
            try:
                self._beat(job_id, invoice=invoice)
            except Exception:  # a missed heartbeat is retried on the next beat
                log.warning("heartbeat of job %s failed", job_id, exc_info=True)


def child_main(settings: Settings, worker_id: str, wake: Connection, ocr_gate: OcrSlots | None) -> None:
    """Entry point of a worker process (multiprocessing, spawn). SIGTERM: finish the job, then stop."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    os.nice(10)  # OCR takes whatever CPU is idle; the API process answers first
    configure(settings.log_format)  # a spawned process starts without the server's logging
    loop = WorkerLoop(settings, worker_id, wake, ocr_gate)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when we stop
    signal.signal(signal.SIGTERM, lambda *_: loop.stop.set())
    loop.run()
    # Signed off, its database closed, its last log lines written: the process leaves without tearing the interpreter
    # down, which freed the warm engines (hundreds of MB of models) piece by piece and held up every stop of the
    # server by a second or two.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
