"""Where a job's CPU goes: seconds of CPU by phase of its pages, summed over the threads that ran them.

Each phase is timed with the CPU clock of the thread that runs it (time.thread_time), so pages read at once in a
job's threads are each counted once and waiting (a lease, the OCR gate, the disk) counts nothing. Work a phase hands
to threads of its own (PP-OCR's lines, read two at once: pipeline.lines) is charged to it by `helped`. The worker
logs the sums with the job's end and its process's CPU for the job besides (the rest: the database, the store, the
heartbeat); bench.throughput adds them up beside the engine's limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# The phases of a page, in the order it goes through them (run_job)
OPEN = "open"  # the inputs counted and checked, a page's pixels decoded or rendered
CLEAN_UP = "clean-up"  # the job's clean-up options, or the fine-speck check
RECOGNISE = "recognise"  # Tesseract's reading of the page, its result walked, words run together read again
LAYOUT = "layout"  # marks Tesseract left unread, reading order, a table's cells read apart
SECOND_READING = "second reading"  # calibrated confidences, unsure lines read by PP-OCR, accents
PAGE_IMAGES = "page images"  # the PDF's page, the page picture, the viewer's preview
BARCODES = "barcodes"
BLANK_PAGES = "blank pages"
OUTPUTS = "outputs"  # every output written, the viewer's page JSON


class CpuTimes:
    """CPU seconds by phase, added to from any thread."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        token = _current.set((self, name))
        start = time.thread_time()
        try:
            yield
        finally:
            self.add(name, time.thread_time() - start)
            _current.reset(token)

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def rounded(self) -> dict[str, float]:
        """The sums in milliseconds' precision, for a log line."""
        return {name: round(seconds, 3) for name, seconds in self.seconds.items()}


_current: ContextVar[tuple[CpuTimes, str] | None] = ContextVar("cpu_phase", default=None)


def helped(
    each: Callable[[T], R], items: Iterable[T], run: Callable[[Callable[[T], R], Iterable[T]], Iterator[R]]
) -> list[R]:
    """`run(each, items)` (a pool's map), the CPU each item took in the pool's threads charged to the phase the
    calling thread is in (if any): their clocks are not the caller's."""
    spent: list[float] = []

    def timed(item: T) -> R:
        start = time.thread_time()
        try:
            return each(item)
        finally:
            spent.append(time.thread_time() - start)  # list.append is atomic under the GIL

    try:
        return list(run(timed, items))
    finally:
        current = _current.get()
        if current is not None:
            current[0].add(current[1], sum(spent))
