"""Output writers, one module per format, one registry keyed by extension.

Each writer's module is imported when a job first asks for its format: the document libraries
(python-docx, odfpy, ebooklib, lxml) would otherwise cost every worker process some 40 MB that most
jobs (PDF and TXT) never use.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from ocrmill.writers.base import Writer

_WHERE: dict[str, tuple[str, str]] = {
    "pdf": ("ocrmill.writers.pdf", "PdfWriter"),
    "txt": ("ocrmill.writers.txt", "TxtWriter"),
    "docx": ("ocrmill.writers.docx", "DocxWriter"),
    "xml": ("ocrmill.writers.xml", "XmlWriter"),
    "rtf": ("ocrmill.writers.rtf", "RtfWriter"),
    "odt": ("ocrmill.writers.odt", "OdtWriter"),
    "mht": ("ocrmill.writers.mht", "MhtWriter"),
    "epub": ("ocrmill.writers.epub", "EpubWriter"),
    "hocr": ("ocrmill.writers.hocr", "HocrWriter"),
}


class _Registry(Mapping[str, Writer]):
    def __init__(self) -> None:
        self._made: dict[str, Writer] = {}

    def __getitem__(self, ext: str) -> Writer:
        writer = self._made.get(ext)
        if writer is None:
            module, name = _WHERE[ext]
            writer = self._made[ext] = getattr(importlib.import_module(module), name)()
        return writer

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


WRITERS: Mapping[str, Writer] = _Registry()
