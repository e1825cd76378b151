"""What every writer gets: the document, the job's options and each page's visible content."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

from ocrmill.domain.document import Document
from ocrmill.domain.layout import PageLayout, page_layout
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
    doc: Document = field(default_factory=Document)
    # One picture of each page (JPEG or PNG, about 150 dpi) for the writers that show pages as
    # images (needs_page_images); empty unless such a writer was asked for.
    page_images: list[Path] = field(default_factory=list)
    # The job's barcodes (DetectBarcodes), as the API reports them, for the formats that carry them.
    barcodes: list[dict[str, object]] = field(default_factory=list)
    # Input PDFs whose embedded files the PDF output carries, each with its relationship to the document (an
    # invoice job's e-invoice: its XML and the documents the XML refers to, PDF/A-3 associated files).
    embedded_files_of: list[Path] = field(default_factory=list)

    @property
    def min_confidence(self) -> float:
        return float(self.options.MinConfidence)

    @property
    def keep_blank_lines(self) -> bool:
        """RemoveWhiteSpaceRegions off: paragraphs separated by blank lines in text outputs."""
        return not self.options.RemoveWhiteSpaceRegions

    def layouts_for(self, doc: Document) -> list[PageLayout]:
        """The layouts of `doc`: this context's (made once for all writers) when it is this context's
        document, else made here (a writer called on its own, as in its unit tests)."""
        if doc is self.doc:
            return self.layouts
        return [page_layout(page, min_confidence=self.min_confidence) for page in doc.pages]

    @cached_property
    def layouts(self) -> list[PageLayout]:
        """Each page's layout (reading order, paragraphs, tables), made once for all writers."""
        return [page_layout(page, min_confidence=self.min_confidence) for page in self.doc.pages]


class Writer(Protocol):
    extension: str
    needs_page_images: bool

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None: ...
