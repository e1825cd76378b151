"""Plain UTF-8 text in reading order: paragraphs separated by a blank line, pages by a form feed."""

from __future__ import annotations

from pathlib import Path

from ocrmill.domain.document import Document
from ocrmill.writers.base import WriteContext


class TxtWriter:
    extension = "txt"

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        pages = [page.text(ctx.min_confidence) for page in doc.pages]
        target.write_text("\n\f".join(pages) + "\n", encoding="utf-8")
