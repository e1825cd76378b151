"""Two runs of one job (the first frozen past the heartbeat timeout, its job taken by a second worker) upload their
outputs, on the data folder and on S3: only the run the Converted commit names is downloadable, whatever the other
uploads before or after; the loser's objects, and those of a run killed half-way, are deleted. The same for an invoice
job's PDF and text outputs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ocrmill.config import Settings
from ocrmill.domain.options import JobOptions
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.languages import tessdata_dir
from ocrmill.service.auth.principal import Principal
from ocrmill.service.invoices.jobs import InvoiceService, Upload, release_invoice_work
from ocrmill.service.ocrjobs.jobs import JobService
from ocrmill.store import invoices as invoice_repo
from ocrmill.store import jobs as repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.files import Download, FileStore, new_run, outputs_folder, settle_run
from ocrmill.store.migrate import upgrade
from ocrmill.worker.invoices import InvoiceWork
from tests.invoice_api import text_png

ADMIN = Principal(name="admin", is_admin=True)


@pytest.fixture()
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'runs.db'}")
    upgrade(database)
    return database


def upload(files: FileStore, job_id: int, run: str, text: str, scratch: Path) -> None:
    """What a worker's run does with its results: written where the store says, then kept under the run's name."""
    made = files.run_outputs(job_id, run, scratch / run)
    (made / "pages").mkdir(parents=True)
    (made / "result.txt").write_text(text)
    (made / "pages" / "0001.json").write_text('{"width": 1, "height": 1, "blocks": []}')
    files.keep_outputs(job_id, run, made)


def content(found: Download) -> bytes:
    if found.path is not None:
        return found.path.read_bytes()
    assert found.chunks is not None
    return b"".join(found.chunks)


def scheduled(db: Database) -> int:
    """A new job asking for TXT, in the queue."""
    with db.write() as session:
        job = repo.create_job(session=session, options=JobOptions(TxtOutput=True), user_name="admin", now=utcnow())
        repo.schedule(session=session, job=job, now=utcnow())
        return job.id


def claim(db: Database, worker: str) -> int:
    with db.write() as session:
        job_id = repo.claim_job(session=session, worker_id=worker, now=utcnow())
    assert job_id is not None
    return job_id


def finish(db: Database, job_id: int, worker: str, run: str) -> bool:
    with db.write() as session:
        return repo.finish_job(
            session=session, job_id=job_id, worker_id=worker, now=utcnow(), pages=1, outputs=["txt"], run=run
        )


def test_only_the_committed_runs_outputs_are_the_jobs(file_store: FileStore, db: Database, tmp_path: Path) -> None:
    files = file_store
    jobs = JobService(settings=Settings(data_dir=tmp_path / "data"), db=db, files=files, installed_languages={"eng"})
    job_id = scheduled(db)
    assert claim(db, "worker-a") == job_id
    frozen, killed, second = new_run(), new_run(), new_run()
    upload(files, job_id, killed, "killed half-way", tmp_path)  # a run that died after uploading, before its commit
    with db.write() as session:  # worker-a froze past the heartbeat timeout: the job goes back to the queue
        assert repo.release_job(session=session, job_id=job_id, now=utcnow(), reason="frozen", max_attempts=3)
    assert claim(db, "worker-b") == job_id

    upload(files, job_id, second, "the second run's", tmp_path)
    assert finish(db, job_id, "worker-b", second)
    settle_run(files, f"jobs/{job_id}", second, won=True, ended=True)
    assert files.run_names(f"jobs/{job_id}/runs") == [second], "the killed run's objects stayed"

    upload(files, job_id, frozen, "the frozen run's, too late", tmp_path)  # worker-a thaws and uploads
    assert content(jobs.result(ADMIN, job_id, "txt")) == b"the second run's"
    assert not finish(db, job_id, "worker-a", frozen), "the frozen run took the job back"
    settle_run(files, f"jobs/{job_id}", frozen, won=False, ended=False)

    assert files.run_names(f"jobs/{job_id}/runs") == [second]
    assert files.names(outputs_folder(job_id, frozen)) == []
    assert content(jobs.result(ADMIN, job_id, "txt")) == b"the second run's"
    with db.read() as session:
        assert repo.get_job(session=session, job_id=job_id).output_run == second  # type: ignore[union-attr]


def test_a_job_converted_before_runs_had_names_reads_its_outputs_folder(
    file_store: FileStore, db: Database, tmp_path: Path
) -> None:
    """Jobs converted by an earlier version (output_run "") keep their results under jobs/<id>/output/; a new run of
    such a job replaces them."""
    files = file_store
    jobs = JobService(settings=Settings(data_dir=tmp_path / "data"), db=db, files=files, installed_languages={"eng"})
    job_id = scheduled(db)
    claim(db, "worker-a")
    files.put_bytes(f"jobs/{job_id}/output/result.txt", b"stored by 1.x")
    assert finish(db, job_id, "worker-a", "")
    assert content(jobs.result(ADMIN, job_id, "txt")) == b"stored by 1.x"

    with db.write() as session:
        job = repo.get_job(session=session, job_id=job_id)
        assert job is not None
        repo.schedule(session=session, job=job, now=utcnow())
    claim(db, "worker-b")
    run = new_run()
    upload(files, job_id, run, "converted again", tmp_path)
    assert finish(db, job_id, "worker-b", run)
    settle_run(files, f"jobs/{job_id}", run, won=True, ended=True)
    assert content(jobs.result(ADMIN, job_id, "txt")) == b"converted again"
    assert files.read_bytes(f"jobs/{job_id}/output/result.txt") is None


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def test_an_invoice_jobs_outputs_are_the_committed_runs(file_store: FileStore, db: Database, tmp_path: Path) -> None:
    """The worker writing an invoice job's outputs freezes; the task goes to another worker, which writes and
    commits them; the first thaws, writes its own and finds the task gone: its outputs are deleted, not served."""
    settings = Settings(data_dir=tmp_path / "data")
    service = InvoiceService(settings=settings, db=db, files=file_store)
    upload = Upload("scan.png", "PNG", _chunks(text_png(["Invoice EGRET 2024", "Total 3.30 EUR"])))
    job_id = str(asyncio.run(service.create_job_from_upload(ADMIN, [upload], {}))["_id"])
    engines = EnginePool(tessdata_dir(settings.tessdata_dir))
    frozen, second = (InvoiceWork(settings, db, file_store, engines, name) for name in ("worker-a", "worker-b"))
    while (task := frozen.claim()) is not None and task[0] != "outputs":  # the split, then the page
        frozen.run(*task)
    assert task == ("outputs", job_id)
    release_invoice_work(db, settings, page_ids=[], job_ids=[job_id], reason="its worker stopped sending heartbeats")
    assert second.claim() == ("outputs", job_id)
    second.run("outputs", job_id)
    committed = service.get_job(ADMIN, job_id)
    assert committed["status"] == "completed" and committed["outputs"] == ["json", "pdf", "txt"], committed
    text = content(service.output(ADMIN, job_id, "txt", media_type="text/plain", filename="x.txt"))
    assert b"EGRET" in text

    frozen.run("outputs", job_id)  # thawed: writes its outputs, then finds the task was another's
    assert file_store.run_names(f"invoices/{job_id}/runs") == [committed_run(db, job_id)]
    assert content(service.output(ADMIN, job_id, "txt", media_type="text/plain", filename="x.txt")) == text


def committed_run(db: Database, job_id: str) -> str:
    with db.read() as session:
        job = invoice_repo.get_job(session=session, job_id=job_id)
        assert job is not None
        return str(job.doc["_outputsRun"])
