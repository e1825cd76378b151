"""Rows read from the database, kept until the database changes: what makes polling cheap."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

from ocrmill.store.db import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ReadCache(Generic[K, V]):
    """`read(key)` through a cache that is emptied whenever anyone commits to the database.

    Never stale: before each lookup the database's data version is compared with the one the
    entries were read at (see Database.data_version), so a change by a worker process, another
    server or this one empties the cache first. Where the database has no cheap change check
    (PostgreSQL), nothing is kept and every call reads.
    """

    def __init__(self, db: Database, read: Callable[[K], V], *, max_entries: int = 10_000) -> None:
        self.db = db
        self.read = read
        self.max_entries = max_entries
        self._entries: dict[K, V] = {}
        self._version: int | None = None
        self._lock = Lock()

    def get(self, key: K) -> V:
        version = self.db.data_version()
        if version is None:
            return self.read(key)
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            elif key in self._entries:
                return self._entries[key]
        value = self.read(key)
        with self._lock:
            # keep it only if nothing was committed meanwhile, else it may already be stale
            if version == self._version and self.db.data_version() == version:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[key] = value
        return value
