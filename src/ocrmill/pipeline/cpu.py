"""Where a job's CPU goes: seconds of CPU by phase of its pages, summed over the threads that ran them.

Each phase is timed with the CPU clock of the thread that runs it (time.thread_time), so pages read at once in a
job's threads are each counted once and waiting (a lease, the OCR gate, the disk) counts nothing. The worker logs
the sums with the job's end and its process's CPU for the job besides (the rest: the database, the store, the
heartbeat); bench.throughput adds them up beside the engine's limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

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
        start = time.thread_time()
        try:
            yield
        finally:
            self.add(name, time.thread_time() - start)

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def rounded(self) -> dict[str, float]:
        """The sums in milliseconds' precision, for a log line."""
        return {name: round(seconds, 3) for name, seconds in self.seconds.items()}
