"""What every writer gets: the document, the job's options and each page's visible content."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ocrmill.domain.document import Document
from ocrmill.domain.options import JobOptions


@dataclass(frozen=True)
class PageBase:
    """The visible page of an output page: page `index` of the PDF at `path`."""

    path: Path
    index: int


@dataclass
class WriteContext:
    options: JobOptions
    work_dir: Path
    bases: list[PageBase]

    @property
    def min_confidence(self) -> float:
        return float(self.options.MinConfidence)


class Writer(Protocol):
    extension: str

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None: ...
