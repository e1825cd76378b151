"""Starts the worker processes, restarts any that die and requeues the job a dead one held."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from types import FrameType
from typing import Any

from ocrmill.config import Settings
from ocrmill.service.invoices.jobs import release_invoice_work
from ocrmill.service.operations.housekeeping import release_jobs
from ocrmill.store import invoices as invoice_repo
from ocrmill.store import jobs as repo
from ocrmill.store import workers as worker_repo
from ocrmill.store.db import Database
from ocrmill.store.listen import JobListener
from ocrmill.worker.child import child_main
from ocrmill.worker.slots import OcrSlots
from ocrmill.worker.webhooks import DeliverySender

log = logging.getLogger("ocrmill.supervisor")
_spawn = multiprocessing.get_context("spawn")
_Handler = Callable[[int, FrameType | None], Any] | int | None


def _on_signals(handler: _Handler | dict[int, _Handler]) -> dict[int, _Handler]:
    """SIGTERM's and SIGINT's handlers set (one for both, or each its own); the previous ones. Only the main
    thread may set them: elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    wanted = handler if isinstance(handler, dict) else dict.fromkeys((signal.SIGTERM, signal.SIGINT), handler)
    return {sig: signal.signal(sig, wanted_handler) for sig, wanted_handler in wanted.items()}


@dataclass
class _Slot:
    worker_id: str
    process: SpawnProcess
    wake: Connection  # write end of the worker's wake-up pipe, non-blocking

    def wake_up(self) -> None:
        # A pipe, not a multiprocessing.Event: Event.set() blocks forever once a process that was
        # waiting on it has been killed. A full pipe means the worker is already awake.
        with contextlib.suppress(OSError):
            self.wake.send_bytes(b"!")


class Supervisor:
    def __init__(self, settings: Settings, db: Database, *, count: int) -> None:
        self.settings = settings
        self.db = db
        self.count = count
        runtime = Path(tempfile.gettempdir()) / f"ocrmill-{os.getuid()}" / f"slots-{os.getpid()}"
        self.ocr_gate = OcrSlots(runtime, settings.ocr_slots)
        self.slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._prefix = f"{os.uname().nodename}:{os.getpid()}"
        # Jobs scheduled through another machine's API: PostgreSQL tells us; SQLite has one machine.
        self._listener = None if db.is_sqlite else JobListener(db.url, self.wake_all)
        # the webhook outbox is sent from the workers' side, by threads of this process
        self._senders = [
            DeliverySender(settings, db, sender_id=f"{self._prefix}:webhooks-{n}")
            for n in range(settings.webhook_senders)
        ]

    def start(self) -> None:
        with self._lock:
            self.slots = [self._spawn_slot() for _ in range(self.count)]
        self._monitor.start()
        if self._listener:
            self._listener.start()
        for sender in self._senders:
            sender.start()
        log.info("started %d worker process(es)", self.count)

    def wake_all(self) -> None:
        for slot in self.slots:
            slot.wake_up()

    def stop(self) -> None:
        """The workers take no more work and finish their jobs within shutdown_grace_seconds; when the grace runs
        out, or a second SIGTERM or SIGINT comes, they are ended at once and their jobs handed back to the queue
        (not counted as an attempt)."""
        self._stopping.set()
        hurry = threading.Event()
        previous = _on_signals(lambda *_: hurry.set())
        try:
            if self._listener:
                self._listener.stop()
            for sender in self._senders:
                sender.stop_event.set()
            for slot in self.slots:
                if slot.process.is_alive():
                    slot.process.terminate()  # SIGTERM: the worker takes no more work and finishes its job
            self.wake_all()
            deadline = time.monotonic() + self.settings.shutdown_grace_seconds
            while any(s.process.is_alive() for s in self.slots) and time.monotonic() < deadline:
                if hurry.wait(0.1):
                    log.warning("stopping at once: the workers' jobs go back to the queue")
                    break
            for slot in self.slots:
                if slot.process.is_alive():
                    slot.process.kill()
                    slot.process.join(5)
            self._monitor.join(timeout=5)
            for sender in self._senders:  # an attempt under way ends within its time limit
                sender.stop(self.settings.webhook_timeout_seconds + 5)
            self._release([s.worker_id for s in self.slots], "the server was stopped", counted=False)
            shutil.rmtree(self.ocr_gate.directory, ignore_errors=True)
        finally:
            _on_signals(previous)

    def _spawn_slot(self) -> _Slot:
        worker_id = f"{self._prefix}:{uuid.uuid4().hex[:8]}"
        reader, writer = _spawn.Pipe(duplex=False)
        os.set_blocking(writer.fileno(), False)
        process = _spawn.Process(
            target=child_main,
            args=(self.settings, worker_id, reader, self.ocr_gate),
            name=f"ocrmill-worker-{worker_id}",
            daemon=True,
        )
        process.start()
        reader.close()
        return _Slot(worker_id=worker_id, process=process, wake=writer)

    def _watch(self) -> None:
        while not self._stopping.wait(0.25):
            # multiprocessing's resource tracker is our child too: killed, it stays a zombie until this notices
            # (it is then reaped and started again)
            resource_tracker.ensure_running()
            for index, slot in enumerate(list(self.slots)):
                if slot.process.is_alive() or self._stopping.is_set():
                    continue
                code = slot.process.exitcode
                reason = (
                    f"its worker process was killed by signal {signal.Signals(-code).name}"
                    if code is not None and code < 0
                    else f"its worker process exited with code {code}"
                )
                log.warning("worker %s died (%s); starting another", slot.worker_id, reason)
                slot.wake.close()
                with self._lock:
                    self.slots[index] = self._spawn_slot()
                self._release([slot.worker_id], reason)

    def _release(self, worker_ids: list[str], reason: str, *, counted: bool = True) -> None:
        held: list[int] = []
        try:
            with self.db.write() as session:
                held = repo.jobs_held_by(session=session, worker_ids=worker_ids)
                pages, splits = invoice_repo.held_by(session=session, worker_ids=worker_ids)
                worker_repo.remove_workers(session=session, worker_ids=worker_ids)
            release_jobs(self.db, self.settings, job_ids=held, reason=reason, counted=counted)
            release_invoice_work(self.db, self.settings, page_ids=pages, job_ids=splits, reason=reason)
            held += [0] * (len(pages) + len(splits))  # something to wake the workers for
        except Exception:
            log.exception("could not release the jobs of %s", worker_ids)
        if held:
            self.wake_all()
