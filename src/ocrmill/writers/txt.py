"""Plain UTF-8 text in reading order, with the page's own line breaks: paragraphs separated by a
blank line, table rows as lines of tab-separated cells, pages by a form feed. With
RemoveWhiteSpaceRegions no line is blank."""

from __future__ import annotations

from pathlib import Path

from ocrmill.domain.document import Document
from ocrmill.domain.layout import PageLayout, Table
from ocrmill.writers.base import WriteContext


class TxtWriter:
    extension = "txt"
    needs_page_images = False

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        separator = "\n\n" if ctx.keep_blank_lines else "\n"
        pages = [separator.join(_paragraphs(layout)) for layout in ctx.layouts]
        target.write_text("\n\f".join(pages) + "\n", encoding="utf-8")


def _paragraphs(layout: PageLayout) -> list[str]:
    out: list[str] = []
    for item in layout.items:
        if isinstance(item, Table):
            text = "\n".join("\t".join(row) for row in item.grid())
        else:
            text = "\n".join(line.text for line in item.lines)
        if text.strip():
            out.append(text)
    return out
