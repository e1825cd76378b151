"""A machine-wide bound on pages recognised at once, shared by all worker processes.

Each slot is a file locked with flock(2). Unlike a semaphore, the kernel releases a dead process's
locks, so a worker killed in the middle of a page never leaks its slot.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from types import TracebackType


class OcrSlots:
    def __init__(self, directory: Path, count: int) -> None:
        self.directory = directory
        self.count = count
        directory.mkdir(parents=True, exist_ok=True)
        for index in range(count):
            (directory / f"slot-{index}").touch()
        self._local = threading.local()

    def __getstate__(self) -> dict[str, object]:
        return {"directory": self.directory, "count": self.count}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.directory = Path(str(state["directory"]))
        self.count = int(str(state["count"]))
        self._local = threading.local()

    def __enter__(self) -> OcrSlots:
        fds: list[int] = self._local.__dict__.setdefault("fds", [])
        if not fds:  # this thread's own descriptors: flock conflicts between them too
            fds += [os.open(self.directory / f"slot-{i}", os.O_RDWR) for i in range(self.count)]
        start = threading.get_ident() % self.count
        delay = 0.002
        while True:
            for offset in range(self.count):
                fd = fds[(start + offset) % self.count]
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                self._local.held = fd
                return self
            time.sleep(delay)
            delay = min(delay * 2, 0.02)

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        fcntl.flock(self._local.held, fcntl.LOCK_UN)
