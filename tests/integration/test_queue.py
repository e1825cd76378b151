"""The job table as a queue: concurrent claimers, heartbeats, requeueing of dead workers' jobs."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ocrmill.config import Settings
from ocrmill.domain.options import JobOptions
from ocrmill.domain.status import JobStatus
from ocrmill.service.operations.housekeeping import release_jobs, requeue_stale
from ocrmill.store import jobs as repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.migrate import upgrade
from tests.harness import Postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        pg: Postgres = request.getfixturevalue("postgres")
        return pg.new_database()
    return f"sqlite:///{tmp_path / 'queue.db'}"


@pytest.fixture()
def db(db_url: str) -> Iterator[Database]:
    """A migrated, empty database."""
    database = Database(db_url)
    upgrade(database)
    yield database
    database.dispose()


def _scheduled_jobs(db: Database, count: int) -> list[int]:
    ids = []
    with db.write() as session:
        for _ in range(count):
            job = repo.create_job(session=session, options=JobOptions(), user_name="", now=utcnow())
            repo.schedule(session=session, job=job, now=utcnow())
            ids.append(job.id)
    return ids


def test_concurrent_claimers_never_share_a_job(db_url: str, db: Database) -> None:
    setup = db
    ids = _scheduled_jobs(setup, 60)
    claimed: list[tuple[str, int]] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        db = Database(db_url)  # each claimer has its own connections, as worker processes do
        while True:
            with db.write() as session:
                job_id = repo.claim_job(session=session, worker_id=name, now=utcnow())
            if job_id is None:
                break
            with lock:
                claimed.append((name, job_id))
        db.dispose()

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    counts = Counter(job_id for _, job_id in claimed)
    assert sorted(counts) == sorted(ids)
    assert set(counts.values()) == {1}
    with setup.read() as session:
        jobs = [repo.get_job(session=session, job_id=i) for i in ids]
    assert all(j is not None and j.status == JobStatus.CONVERTING and j.attempts == 1 for j in jobs)
    assert {j.worker_id for j in jobs if j} == {name for name, _ in claimed}


def test_claim_takes_the_oldest_scheduled_job_first(db: Database) -> None:
    first, second = _scheduled_jobs(db, 2)
    with db.write() as session:
        assert repo.claim_job(session=session, worker_id="w", now=utcnow()) == first
        assert repo.claim_job(session=session, worker_id="w", now=utcnow()) == second
        assert repo.claim_job(session=session, worker_id="w", now=utcnow()) is None


def test_stale_job_is_requeued_then_given_up(db: Database) -> None:
    settings = Settings(heartbeat_timeout_seconds=30, max_attempts=2)
    (job_id,) = _scheduled_jobs(db, 1)
    for attempt in (1, 2):
        with db.write() as session:
            long_ago = utcnow() - timedelta(minutes=5)
            assert repo.claim_job(session=session, worker_id="dead", now=long_ago)
        requeue_stale(db, settings)
        with db.read() as session:
            job = repo.get_job(session=session, job_id=job_id)
        assert job is not None
        if attempt == 1:
            assert job.status == JobStatus.SCHEDULED and job.worker_id == ""
        else:
            assert job.status == JobStatus.ERROR
            assert "heartbeats" in job.error_description and "2 attempts" in job.error_description


def test_live_job_is_not_requeued_and_finish_needs_the_holder(db: Database) -> None:
    (job_id,) = _scheduled_jobs(db, 1)
    with db.write() as session:
        repo.claim_job(session=session, worker_id="alive", now=utcnow())
    requeue_stale(db, Settings(heartbeat_timeout_seconds=30))
    with db.write() as session:
        assert not repo.finish_job(session=session, job_id=job_id, worker_id="someone-else", now=utcnow())
        assert repo.finish_job(session=session, job_id=job_id, worker_id="alive", now=utcnow(), pages=2)
        job = repo.get_job(session=session, job_id=job_id)
        assert job is not None and job.status == JobStatus.CONVERTED and job.number_of_pages == 2


def test_release_of_a_killed_workers_job(db: Database, tmp_path: Path) -> None:
    (job_id,) = _scheduled_jobs(db, 1)
    with db.write() as session:
        repo.claim_job(session=session, worker_id="w1", now=utcnow())
        assert repo.jobs_held_by(session=session, worker_ids=["w1"]) == [job_id]
    release_jobs(db, Settings(max_attempts=1, data_dir=tmp_path), job_ids=[job_id], reason="killed by SIGKILL")
    with db.read() as session:
        job = repo.get_job(session=session, job_id=job_id)
    assert job is not None and job.status == JobStatus.ERROR and "SIGKILL" in job.error_description
