"""ReadCache on a real SQLite file: kept while nothing changes, dropped as soon as anyone commits."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ocrmill.store.cache import ReadCache
from ocrmill.store.db import Database


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'cache.db'}")
    with database.write() as session:
        session.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
        session.execute(text("INSERT INTO t VALUES (1, 'one'), (2, 'two')"))
    yield database
    database.dispose()


class Counting:
    """read(key) from table t, counting the reads."""

    def __init__(self, db: Database) -> None:
        self.db, self.reads = db, 0

    def __call__(self, key: int) -> str | None:
        self.reads += 1
        with self.db.connection() as connection:
            return connection.execute(text("SELECT v FROM t WHERE k = :k"), {"k": key}).scalar()


def set_value(db: Database, key: int, value: str) -> None:
    with db.write() as session:
        session.execute(text("UPDATE t SET v = :v WHERE k = :k"), {"k": key, "v": value})


def test_repeated_reads_are_served_from_the_cache(db: Database) -> None:
    read = Counting(db)
    cache: ReadCache[int, str | None] = ReadCache(db, read)
    assert [cache.get(1) for _ in range(5)] == ["one"] * 5
    assert cache.get(2) == "two"
    assert cache.get(3) is None
    assert cache.get(3) is None
    assert read.reads == 3


def test_a_commit_through_another_connection_is_seen_at_once(db: Database) -> None:
    read = Counting(db)
    cache: ReadCache[int, str | None] = ReadCache(db, read)
    assert cache.get(1) == "one"
    set_value(db, 1, "uno")  # the write engine: another connection of this process
    assert cache.get(1) == "uno"
    assert cache.get(2) == "two"  # every entry went, not only the changed one
    assert read.reads == 3


def test_a_commit_by_another_process_is_seen_at_once(db: Database, tmp_path: Path) -> None:
    cache: ReadCache[int, str | None] = ReadCache(db, Counting(db))
    assert cache.get(1) == "one"
    script = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute(\"UPDATE t SET v='eins' WHERE k=1\"); c.commit()"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "cache.db")], check=True)
    assert cache.get(1) == "eins"


def test_a_value_read_while_someone_commits_is_not_kept(db: Database) -> None:
    other = Database(db.url)
    calls = 0

    def read_during_a_commit(key: int) -> str | None:
        nonlocal calls
        calls += 1
        value = Counting(db)(key)
        if calls == 1:
            set_value(other, key, "changed after the read")
        return value

    cache: ReadCache[int, str | None] = ReadCache(db, read_during_a_commit)
    assert cache.get(1) == "one"
    assert cache.get(1) == "changed after the read"
    assert calls == 2
    other.dispose()


def test_a_full_cache_starts_afresh(db: Database) -> None:
    read = Counting(db)
    cache: ReadCache[int, str | None] = ReadCache(db, read, max_entries=2)
    for key in (1, 2, 3, 1):
        cache.get(key)
    assert read.reads == 4  # the third key emptied the cache, so 1 was read again


class NoVersion:
    """A database without a cheap change check, as PostgreSQL."""

    def data_version(self) -> None:
        return None


def test_without_a_change_check_every_get_reads() -> None:
    reads: list[int] = []
    cache: ReadCache[int, int] = ReadCache(NoVersion(), lambda k: reads.append(k) or k)  # type: ignore[arg-type]
    assert [cache.get(7) for _ in range(3)] == [7, 7, 7]
    assert reads == [7, 7, 7]
