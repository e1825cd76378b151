"""Consistent copies of the database while the server runs, and putting one back.

SQLite: the online backup API (sqlite3.Connection.backup) copies the database as one read transaction sees it.
PostgreSQL: a repeatable-read transaction exports its snapshot, reads what the backup needs and has pg_dump dump
exactly that snapshot (store.pgtools). Either way the rows read here (which jobs exist, which files they name) are
the rows in the copy.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from ocrmill.errors import BackupError
from ocrmill.store import pgtools
from ocrmill.store.files import output_name
from ocrmill.store.tables import InvoiceJob, Job, JobFile

Kind = Literal["sqlite", "postgresql"]
SQLITE_FILE = "ocrmill.db"
POSTGRES_FILE = "ocrmill.pgdump"
CONVERTED = 3

SCHEMA_REVISION = text("SELECT version_num FROM alembic_version")
EXPORT_SNAPSHOT = text("SELECT pg_export_snapshot()")
JOBS = select(Job.id, Job.status, Job.outputs, Job.output_run).order_by(Job.id)
JOB_FILES = select(JobFile.name).order_by(JobFile.id)
INVOICE_JOBS = select(InvoiceJob.id).order_by(InvoiceJob.id)


@dataclass(frozen=True)
class Snapshot:
    kind: Kind
    file: str  # the copy's file name
    schema: str  # the Alembic revision the copy's tables are at
    jobs: list[int]
    invoice_jobs: list[str]
    named_files: list[str]  # files the copy's rows name (relative to the file store): inputs, converted results


def kind_of(url: str) -> Kind:
    return "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"


def take(*, url: str, into: Path, pg_bin_dir: Path | None = None) -> Snapshot:
    """A consistent copy of the database at `url` in the folder `into`, and what it holds."""
    if kind_of(url) == "sqlite":
        return _take_sqlite(_sqlite_path(url), into / SQLITE_FILE)
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as connection, connection.begin():
            exported = str(connection.execute(EXPORT_SNAPSHOT).scalar_one())
            snapshot = _read("postgresql", POSTGRES_FILE, connection)
            # the transaction stays open until pg_dump has taken its snapshot over
            pgtools.dump(url=url, target=into / POSTGRES_FILE, snapshot=exported, bin_dir=pg_bin_dir)
        return snapshot
    finally:
        engine.dispose()


def _take_sqlite(source: Path, target: Path) -> Snapshot:
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    with closing(sqlite3.connect(source, timeout=60)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, without -wal and -shm beside it
    engine = create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            return _read("sqlite", SQLITE_FILE, connection)
    finally:
        engine.dispose()


def _read(kind: Kind, file: str, connection: Connection) -> Snapshot:
    jobs = connection.execute(JOBS).all()
    named = [str(name) for name in connection.execute(JOB_FILES).scalars()]
    converted = [row for row in jobs if row.status == CONVERTED]
    named += [output_name(row.id, ext, run=row.output_run) for row in converted for ext in row.outputs or []]
    return Snapshot(
        kind=kind,
        file=file,
        schema=str(connection.execute(SCHEMA_REVISION).scalar_one()),
        jobs=[int(row.id) for row in jobs],
        invoice_jobs=[str(job_id) for job_id in connection.execute(INVOICE_JOBS).scalars()],
        named_files=named,
    )


def is_empty(url: str) -> bool:
    """Whether the database at `url` has no tables (SQLite: or does not exist yet)."""
    if kind_of(url) == "sqlite" and not _sqlite_path(url).exists():
        return True
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return not inspect(connection).get_table_names()
    finally:
        engine.dispose()


def put_back(*, url: str, kind: Kind, source: Path, pg_bin_dir: Path | None = None) -> None:
    """The copy `source` (from take) as the database at `url`, which must be empty and of the same kind."""
    if kind_of(url) != kind:
        raise BackupError(
            f"the backup holds a {kind} database and the configured database is {kind_of(url)}: restore into the "
            f"same kind of database (and move between them with the API, not with a backup)"
        )
    if kind == "postgresql":
        pgtools.restore(url=url, source=source, bin_dir=pg_bin_dir)
        return
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)  # empty (is_empty), perhaps made by an earlier look
    shutil.copyfile(source, target)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)
