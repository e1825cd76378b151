"""Engine and sessions; the only module that knows which database dialect is in use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from threading import Lock
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ocrmill.errors import InsufficientStorage, OcrmillError, ServiceUnavailable, disk_full


def utcnow() -> datetime:
    return datetime.now(UTC)


def redacted(url: str) -> str:
    """A database URL to show, without its password."""
    return make_url(url).render_as_string(hide_password=True)


def translated(error: BaseException) -> OcrmillError | None:
    """Our exception for a database failure that is not the request's fault: the disk under the database is
    full (507); the database cannot be reached, is restarting or is busy (503, try again). None for the rest
    (a bug or a broken schema must not pass for something that goes away)."""
    if isinstance(error, sa.TimeoutError):  # no connection free in the pool in time
        return ServiceUnavailable("The server's database is overloaded at the moment: try again shortly.")
    if not isinstance(error, sa.DBAPIError):
        return None
    original = error.orig
    text = str(original).lower()
    state = str(getattr(original, "sqlstate", "") or "")
    if state == "53100" or "disk is full" in text or disk_full(original):
        return InsufficientStorage(
            "The server's disk is full: the database could not store the change. Try again once space has been freed."
        )
    if error.connection_invalidated:
        return ServiceUnavailable()
    if not isinstance(error, (sa.OperationalError, sa.InterfaceError)):
        return None
    if type(original).__module__.startswith("sqlite3"):
        busy = "database is locked" in text or "unable to open database" in text
        return ServiceUnavailable() if busy else None
    # PostgreSQL: no connection at all (no SQL state), a connection exception (08), shutting down or starting (57P)
    return ServiceUnavailable() if not state or state.startswith(("08", "57P")) else None


@contextmanager
def _answering() -> Iterator[None]:
    try:
        yield
    except Exception as e:
        ours = translated(e)
        if ours is None:
            raise
        raise ours from e


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"future": True}
        if self.is_sqlite:
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
            # as many as the API's thread pool, so connections are reused rather than reopened
            kwargs.update(pool_size=40, max_overflow=10)
        else:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine: Engine = create_engine(url, **kwargs)
        self.write_engine: Engine = self.engine
        if self.is_sqlite:
            # Writers take SQLite's write lock when they begin (BEGIN IMMEDIATE), so a transaction
            # never has to upgrade a read lock and two claimers never read the same scheduled row;
            # readers use plain BEGIN and, in WAL mode, never wait for writers.
            self.write_engine = create_engine(url, **kwargs)
            for engine, begin in ((self.engine, "BEGIN"), (self.write_engine, "BEGIN IMMEDIATE")):
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _begin_with(begin))
        self._readers = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(self.write_engine, expire_on_commit=False)
        self._watch: Any = None
        self._watch_lock = Lock()

    def data_version(self) -> int | None:
        """A number that changes whenever any connection, in any process, commits a change; None where
        the database offers no such cheap check (PostgreSQL), so that callers read afresh each time.

        On SQLite this is `PRAGMA data_version` on a connection of our own, which is outside any
        transaction and reads only the WAL index header: a few microseconds.
        """
        if not self.is_sqlite:
            return None
        with _answering(), self._watch_lock:
            if self._watch is None:
                self._watch = self.engine.raw_connection()
            cursor = self._watch.cursor()
            try:
                cursor.execute("PRAGMA data_version")
                return int(cursor.fetchone()[0])
            finally:
                cursor.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _answering(), self._readers() as session, session.begin():
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A plain connection for hot read paths, without an ORM session's bookkeeping."""
        with _answering(), self.engine.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction, begun at once: on SQLite it holds the write lock from here on, so a time taken inside
        comes after every commit it waited for (a session begins only at its first statement, and a claim's `now`
        taken before that was older than the upload it then claimed: Started before Scheduled)."""
        with _answering(), self._writers() as session, session.begin():
            session.connection()
            yield session

    def dispose(self) -> None:
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
        self.engine.dispose()
        self.write_engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_with(statement: str) -> Any:
    def begin(conn: Any) -> None:
        conn.exec_driver_sql(statement)

    return begin
