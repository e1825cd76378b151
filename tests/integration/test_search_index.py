"""The search index as stored (store.search; migrations 0008 and 0012), below the API: jobs indexed before 0012 are
found after it, by their owners only, ranked as before; on PostgreSQL a common word's matches are read from narrow
rows (many to a page), and a search finds its matches through the GIN index whatever plan the server caches for it
(a plan that tests row after row along the primary key fetches every tsvector it passes from TOAST)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, TextClause, insert, text

from ocrmill.domain.options import JobOptions
from ocrmill.store import jobs as job_repo
from ocrmill.store import search
from ocrmill.store.db import Database, utcnow
from ocrmill.store.tables import Job
from tests.integration.test_job_documents import migrate_to

OLD_ROW = {
    "sqlite": text("INSERT INTO job_search (rowid, descr, correlation_id, body) VALUES (:id, :descr, :cid, :body)"),
    "postgresql": text(
        "INSERT INTO job_search (job_id, descr, correlation_id, body) VALUES (:id, :descr, :cid, :body)"
    ),
}
POSTGRES_ROW = text(
    "INSERT INTO job_search (job_id, user_name, descr, correlation_id, body) VALUES (:id, :user, :descr, :cid, :body)"
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database at revision 0011, the last before 0012."""
    url = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else ""
    db = Database(url or f"sqlite:///{tmp_path}/old.db")
    try:
        migrate_to(db, "0011")
        yield db
    finally:
        db.dispose()


def add_jobs(connection: Connection, rows: list[dict[str, Any]], index: TextClause | None = None) -> None:
    """Jobs (id, user, descr, cid, body) and their index rows, by default as revision 0011 stores them."""
    now = utcnow()
    jobs = [
        {
            "id": row["id"], "guid": f"00000000-0000-4000-8000-{row['id']:012d}", "user_name": row["user"],
            "correlation_id": row["cid"], "options": JobOptions(Descr=row["descr"]).to_dict(), "created": now,
            "modified": now,
        }
        for row in rows
    ]  # fmt: skip
    connection.execute(insert(Job.__table__), jobs)
    connection.execute(index if index is not None else OLD_ROW[connection.dialect.name], rows)
    if connection.dialect.name == "postgresql":  # the ids were given: new jobs come after them
        connection.execute(text("SELECT setval('jobs_id_seq', (SELECT max(id) FROM jobs))"))


def found(db: Database, words: list[str], user: str | None, window: int = search.WINDOW) -> tuple[list[int], int, bool]:
    with db.read() as session:
        hits, total, more = search.search(
            session=session, query=words, user_name=user, limit=20, offset=0, window=window
        )
    return [hit.job_id for hit, _job in hits], total, more


def test_jobs_indexed_before_0012_are_found_after_it_by_their_owners(old_db: Database) -> None:
    rows = [
        {"id": 1, "user": "alice", "descr": "okapi sighting", "cid": "", "body": "a line\nnothing here"},
        {"id": 2, "user": "bob", "descr": "", "cid": "okapi-2", "body": "no such animal"},
        {"id": 3, "user": "alice", "descr": "", "cid": "", "body": "first line\nan okapi report"},
        {"id": 4, "user": "alice", "descr": "", "cid": "", "body": "an okapi, then another okapi"},
        {"id": 5, "user": "bob", "descr": "zebra", "cid": "", "body": "okapis"},
    ]
    with old_db.write_engine.begin() as connection:
        add_jobs(connection, rows)
    migrate_to(old_db, "head")
    assert found(old_db, ["okapi"], "alice") == ([1, 4, 3], 3, False)  # description; twice in the text; once
    assert found(old_db, ["okapi"], "bob") == ([2, 5], 2, False)
    assert found(old_db, ["okapi"], None) == ([2, 1, 4, 5, 3], 5, False)  # of equals, the newer job first
    assert found(old_db, ["okapi"], None, window=2) == ([4, 5], 2, True)
    assert found(old_db, ["zebra", "okapi"], "alice") == ([], 0, False)
    with old_db.write() as session:  # a job made after the upgrade is indexed as well
        job = job_repo.create_job(
            session=session, options=JobOptions(Descr="okapi herd"), user_name="bob", now=utcnow()
        )
    assert found(old_db, ["herd"], "bob") == ([job.id], 1, False)
    assert found(old_db, ["herd"], "alice") == ([], 0, False)
    if old_db.url.startswith("postgresql"):
        with old_db.connection() as connection:
            owners = {
                row.job_id: row.user_name
                for row in connection.execute(text("SELECT job_id, user_name FROM job_search"))
            }
        assert owners == {row["id"]: row["user"] for row in rows} | {job.id: "bob"}


COMMON, JOBS, LATER, EVERY = "kudu", 2000, 300, 5  # the common word is in every 5th job's text


@pytest.fixture(scope="module")
def filled(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A PostgreSQL database with JOBS + LATER jobs of two users, each with about 100 words of text: JOBS from
    before revision 0012, LATER added after it."""
    db = Database(request.getfixturevalue("postgres").new_database())
    migrate_to(db, "0011")
    rng = random.Random(19)
    vocabulary = ["".join(rng.choices("abcdefghiklmnoprstuvz", k=rng.randint(4, 10))) for _ in range(3000)]
    rows = []
    for n in range(1, JOBS + LATER + 1):
        lines = [" ".join(rng.choices(vocabulary, k=10)) for _ in range(10)]
        lines[n % 10] += f" rare{n:05d}" + (f" {COMMON}" if n % EVERY == 0 else "")
        rows.append(
            {"id": n, "user": f"user{n % 2}", "descr": f"batch {n // 100}", "cid": "", "body": "\n".join(lines)}
        )
    with db.write_engine.begin() as connection:
        add_jobs(connection, rows[:JOBS])
    migrate_to(db, "head")
    with db.write_engine.begin() as connection:
        add_jobs(connection, rows[JOBS:], POSTGRES_ROW)
        connection.execute(text("ANALYZE"))
    try:
        yield db
    finally:
        db.dispose()


VALUES = {"match": COMMON, "everyone": True, "user": "", "limit": 20, "offset": 0, "window": 1000}


def plan(connection: Connection, statement: str, values: dict[str, Any]) -> dict[str, Any]:
    explained = connection.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}"), values).scalar_one()
    return dict((json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"])


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


@pytest.mark.postgres
def test_a_common_words_matches_are_read_from_narrow_rows(filled: Database) -> None:
    with filled.connection() as connection:
        root = plan(connection, str(search.SEARCH_POSTGRES), VALUES)
    scans = [n for n in nodes(root) if n["Node Type"] == "Bitmap Heap Scan" and n["Relation Name"] == "job_search"]
    assert len(scans) == 1, root
    assert scans[0]["Actual Rows"] == (JOBS + LATER) // EVERY
    assert scans[0]["Exact Heap Blocks"] + scans[0]["Lossy Heap Blocks"] <= (JOBS + LATER) // EVERY / 10


@pytest.mark.postgres
def test_a_rare_words_search_reads_a_few_pages_also_for_jobs_added_since_the_index_was_built(filled: Database) -> None:
    # (not a list of pending entries that every search reads through until a vacuum merges it into the index)
    with filled.connection() as connection:
        root = plan(connection, str(search.SEARCH_POSTGRES), VALUES | {"match": f"rare{JOBS + LATER:05d}"})
    assert root["Actual Rows"] == 1
    assert root["Shared Hit Blocks"] + root["Shared Read Blocks"] <= 200, (
        root
    )  # 55 here; with a pending list of those jobs, 6975


def generic(connection: Connection, statement: str, values: dict[str, Any]) -> list[str]:
    """The lines of the plan PostgreSQL makes for `statement` when it caches one plan for any parameters."""
    names = list(dict.fromkeys(re.findall(r"(?<![:\w]):(\w+)", statement)))
    numbered = re.sub(r"(?<![:\w]):(\w+)", lambda m: f"${names.index(m.group(1)) + 1}", statement)
    kinds = {"match": "text", "everyone": "boolean", "user": "text"}
    connection.execute(text("SET plan_cache_mode = force_generic_plan"))
    connection.exec_driver_sql(f"PREPARE s ({', '.join(kinds.get(n, 'integer') for n in names)}) AS {numbered}")
    arguments = ", ".join(repr(values[n]).lower() if isinstance(values[n], bool) else repr(values[n]) for n in names)
    lines = connection.exec_driver_sql(f"EXPLAIN EXECUTE s ({arguments})").scalars().all()
    connection.exec_driver_sql("DEALLOCATE s")
    return [str(line) for line in lines]


@pytest.mark.postgres
@pytest.mark.parametrize("statement", ["SEARCH_POSTGRES", "COUNT_POSTGRES"])
@pytest.mark.parametrize("everyone", [True, False])
def test_matches_are_found_through_the_gin_index_in_the_generic_plan(
    filled: Database, statement: str, everyone: bool
) -> None:
    values = VALUES | {"match": "rare00042", "everyone": everyone, "user": "user0"}
    with filled.connection() as connection:
        lines = generic(connection, str(getattr(search, statement)), values)
    assert any("Bitmap Index Scan on ix_job_search_document" in line for line in lines), "\n".join(lines)
    assert not any("Index Scan Backward" in line or "Seq Scan on job_search" in line for line in lines)
