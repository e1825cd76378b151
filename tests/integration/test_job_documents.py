"""The status documents the listings send are stored with the jobs (jobs.document, migration 0010): for jobs in every
state, `all` holds byte for byte what `info` answers for each job and what rendering its row gives; a change of state
(through the API or a worker's statements) changes what `all` sends; a change made behind the application's back
leaves no stale document. On SQLite and PostgreSQL.

The server runs without workers: this test moves the jobs through the queue itself, with the store's functions a
worker calls, so that each state (Converting too) holds still while it is read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, Table, insert, select, text

from ocrmill.domain.job_document import job_json
from ocrmill.domain.options import JobOptions
from ocrmill.store import jobs as repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.migrate import MIGRATIONS
from ocrmill.store.tables import Job
from tests.harness import Server, running
from tests.invoice_api import text_png

WORKER = "test-worker"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else ""
    root = tmp_path_factory.mktemp(f"documents-{request.param}")
    # no stale-job sweep while the test holds a job in Converting without heartbeats
    env = {"OCRMILL_LIST_BATCH": "3", "OCRMILL_HEARTBEAT_TIMEOUT_SECONDS": "3600"}
    with running(Server(root, database_url=url, env=env), "--no-workers") as srv:
        yield srv


@pytest.fixture(scope="module")
def db(server: Server) -> Iterator[Database]:
    database = Database(server.env.get("OCRMILL_DATABASE_URL") or f"sqlite:///{server.data_dir / 'ocrmill.db'}")
    try:
        yield database
    finally:
        database.dispose()


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def listed(server: Server, path: str = "/all") -> dict[int, str]:
    """Each job of a listing as the JSON text the listing holds, by id (the answer is compact JSON)."""
    answer = server.client.get(path)
    assert answer.status_code == 200, answer.text
    jobs = answer.json()
    assert answer.text == compact(jobs)
    return {job["Id"]: compact(job) for job in jobs}


def assert_listing_is_info_and_rendered(server: Server, db: Database) -> dict[int, str]:
    jobs = listed(server)
    for job_id, document in jobs.items():
        info = server.client.get(f"/info/{job_id}")
        assert info.status_code == 200
        assert document == info.text, job_id
    with db.connection() as connection:
        rows = {row.id: row for row in connection.execute(select(Job.__table__).where(Job.is_template.is_(False)))}
    assert set(rows) == set(jobs)
    for job_id, row in rows.items():
        assert jobs[job_id] == job_json(row), job_id
    return jobs


def claim(db: Database) -> int:
    with db.write() as session:
        job_id = repo.claim_job(session=session, worker_id=WORKER, now=utcnow())
    assert job_id is not None
    return job_id


def test_all_holds_info_of_jobs_in_every_state_and_follows_their_changes(server: Server, db: Database) -> None:
    client = server.client
    png = text_png(["Stored documents"])

    def create(**options: Any) -> int:
        answer = client.post("/create", json=options)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["Id"])

    def upload(job_id: int) -> None:
        assert client.post(f"/uploadext/{job_id}/png", content=png).status_code == 200

    created = create(Autostart=False, Descr='created «ü» "quoted"\n\ttab \u0001 \u2028', CorrelationId="c-1")
    uploaded = create(Autostart=False, DeleteBlankPages=True, HocrOutput=True, SecondReading=False)
    upload(uploaded)
    scheduled = [create(TxtOutput=True, Descr=f"queued {n}") for n in range(5)]
    for job_id in scheduled:
        upload(job_id)  # Autostart: Scheduled, in this order
    client.post("/createtemplate", json={"Descr": "a template"})

    canceled = scheduled[4]
    converting, converted, failed, released = (claim(db) for _ in range(4))
    assert [converting, converted, failed, released] == scheduled[:4]
    with db.write() as session:
        barcodes = [{"Type": "QRCode", "Value": "ü-1", "Page": 1}]
        assert repo.finish_job(
            session=session,
            job_id=converted,
            worker_id=WORKER,
            now=utcnow(),
            pages=2,
            barcodes=barcodes,
            outputs=["pdf", "txt"],
            text="Stored documents",
        )
        assert repo.finish_job(session=session, job_id=failed, worker_id=WORKER, now=utcnow(), error="it broke")
        reason = "worker stopped"
        assert repo.release_job(session=session, job_id=released, now=utcnow(), reason=reason, max_attempts=3)

    jobs = assert_listing_is_info_and_rendered(server, db)
    statuses = {job_id: json.loads(document)["Status"] for job_id, document in jobs.items()}
    assert statuses == {
        created: 0,
        uploaded: 0,
        converting: 2,
        converted: 3,
        failed: 4,
        released: 1,
        canceled: 1,
    }
    assert listed(server, "/allbystatus/2") == {converting: jobs[converting]}
    with db.connection() as connection:
        assert connection.scalar(text("SELECT count(*) FROM jobs WHERE document IS NULL")) == 0

    # changes through the API and through the worker's statements
    assert client.post(f"/setoptions/{created}", json={"Descr": "renamed"}).status_code == 200
    assert client.post(f"/cancel/{canceled}").status_code == 200
    assert client.post(f"/schedule/{uploaded}").status_code == 200
    with db.write() as session:
        assert repo.finish_job(session=session, job_id=converting, worker_id=WORKER, now=utcnow(), error="late")
    jobs = assert_listing_is_info_and_rendered(server, db)
    changed = {job_id: json.loads(jobs[job_id]) for job_id in (created, canceled, uploaded, converting)}
    assert changed[created]["Descr"] == "renamed"
    assert changed[canceled]["Status"] == 0
    assert changed[uploaded]["Status"] == 1
    assert (changed[converting]["Status"], changed[converting]["ErrorDescription"]) == (4, "late")

    # behind the application's back: the database drops the stored document, the listing renders the row
    with db.write() as session:
        session.execute(text("UPDATE jobs SET error_description = 'by hand' WHERE id = :id"), {"id": failed})
    with db.connection() as connection:
        assert connection.scalar(text("SELECT document FROM jobs WHERE id = :id"), {"id": failed}) is None
    jobs = assert_listing_is_info_and_rendered(server, db)
    assert json.loads(jobs[failed])["ErrorDescription"] == "by hand"


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migration_renders_the_documents_of_existing_jobs(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue("postgres").new_database() if kind == "postgres" else f"sqlite:///{tmp_path}/old.db"
    db = Database(url)
    try:
        migrate_to(db, "0009")
        now = utcnow()
        options = JobOptions(Descr="from before «0010»", DeleteBlankPages=True).to_dict()
        old = {
            "guid": "00000000-0000-4000-8000-000000000001", "template_id": 0, "is_template": False, "status": 3,
            "error_description": "", "user_name": "old", "correlation_id": "", "options": options,
            "barcodes": [{"Type": "QRCode", "Value": "x", "Page": 1}], "number_of_pages": 3, "removed_pages": [2],
            "folder_id": "", "source_name": "", "folder_claim": None, "file_uploaded": True, "outputs": ["pdf"],
            "created": now, "modified": now, "scheduled": now, "started": now, "finished": None, "expires": None,
            "worker_id": "", "heartbeat": None, "attempts": 1,
        }  # fmt: skip
        with db.write() as session:  # the table as it was at 0009 (later columns are not there yet)
            jobs = Table("jobs", MetaData(), autoload_with=session.connection())
            for n in range(1, 4):
                session.execute(insert(jobs).values(**{**old, "guid": old["guid"][:-1] + str(n)}))
        migrate_to(db, "head")
        with db.connection() as connection:
            rows = list(connection.execute(select(Job.__table__).order_by(Job.id)))
        assert len(rows) == 3
        for row in rows:
            assert row.document is not None
            assert row.document == job_json(row)
            assert json.loads(row.document)["RemovedPages"] == [2]
    finally:
        db.dispose()


def migrate_to(db: Database, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
