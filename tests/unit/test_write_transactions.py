"""Database.write on a real SQLite file: the transaction holds the write lock from its start, so the times a writer
takes inside it follow every commit it waited for (a job's dates stay in order)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ocrmill.domain.options import JobOptions
from ocrmill.store import jobs as repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.migrate import upgrade


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    return tmp_path / "jobs.db"


@pytest.fixture()
def db(path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    yield database
    database.dispose()


def test_a_write_transaction_holds_the_write_lock_before_its_first_statement(db: Database, path: Path) -> None:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with db.write(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # and lets it go with its commit
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_claim_that_waited_for_the_upload_starts_after_the_job_was_scheduled(db: Database) -> None:
    with db.write() as session:
        job_id = repo.create_job(session=session, options=JobOptions(), user_name="u", now=utcnow()).id
    claimed: list[int | None] = []

    def worker() -> None:  # as WorkerLoop._claim does it
        with db.write() as session:
            claimed.append(repo.claim_job(session=session, worker_id="w", now=utcnow()))

    with db.write() as session:  # the upload, holding the write lock
        job = repo.get_job(session=session, job_id=job_id)
        assert job is not None
        claiming = threading.Thread(target=worker)
        claiming.start()
        time.sleep(0.2)  # the worker waits for the lock meanwhile (before the fix, with its `now` already taken)
        repo.schedule(session=session, job=job, now=utcnow())
    claiming.join()
    assert claimed == [job_id]
    with db.read() as session:
        job = repo.get_job(session=session, job_id=job_id)
        assert job is not None and job.scheduled is not None and job.started is not None
        assert job.created <= job.scheduled <= job.started, (job.created, job.scheduled, job.started)
