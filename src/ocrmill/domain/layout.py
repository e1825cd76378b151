"""The page as a reader sees it: paragraphs, headings and tables in reading order, with sizes in
points. Built from one page's OCR result; every document writer (DOCX, ODT, RTF, EPUB, MHT) uses it.

Coordinates stay in raster pixels (as in domain.document); `PageLayout.points(px)` converts.
Words below the job's MinConfidence are left out here, so no writer has to remember to.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Literal

from ocrmill.domain.document import Box, Page

DEFAULT_FONT_SIZE = 11.0


@dataclass(frozen=True)
class TextLine:
    text: str
    box: Box
    font_size: float  # points


@dataclass
class TextBlock:
    """A paragraph or a heading: lines that flow together."""

    lines: list[TextLine]
    box: Box
    font_size: float  # points, the typical size of its words
    role: Literal["paragraph", "heading"] = "paragraph"
    column: int = 0  # 0-based text column of the page

    @property
    def text(self) -> str:
        """The lines joined into flowing text; a word hyphenated at a line end is joined again."""
        out = ""
        for line in self.lines:
            if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line.text[:1].islower():
                out = out[:-1] + line.text
            else:
                out = f"{out} {line.text}" if out else line.text
        return out


@dataclass
class Cell:
    text: str
    box: Box
    row: int
    col: int
    row_span: int = 1
    col_span: int = 1


@dataclass
class Table:
    """A grid found on the page: `cells` covers every (row, col) once, spans included."""

    box: Box
    rows: int
    cols: int
    cells: list[Cell]
    font_size: float = DEFAULT_FONT_SIZE
    column: int = 0

    def grid(self) -> list[list[str]]:
        """rows x cols texts; a spanned cell's text sits at its top-left position."""
        out = [["" for _ in range(self.cols)] for _ in range(self.rows)]
        for cell in self.cells:
            out[cell.row][cell.col] = cell.text
        return out


Item = TextBlock | Table


@dataclass
class PageLayout:
    number: int  # 1-based
    width: int  # raster pixels
    height: int
    dpi: float
    items: list[Item] = field(default_factory=list)  # reading order
    columns: int = 1  # text columns found on the page

    def points(self, pixels: float) -> float:
        return pixels * 72.0 / self.dpi

    @property
    def width_pt(self) -> float:
        return self.points(self.width)

    @property
    def height_pt(self) -> float:
        return self.points(self.height)

    def text(self) -> str:
        """Plain text in reading order: paragraphs separated by a blank line, table rows as lines of
        tab-separated cells."""
        parts: list[str] = []
        for item in self.items:
            if isinstance(item, Table):
                parts.append("\n".join("\t".join(row) for row in item.grid()))
            else:
                parts.append(item.text)
        return "\n\n".join(p for p in parts if p)


def page_layout(page: Page, *, min_confidence: float = 0.0) -> PageLayout:
    """Paragraphs as Tesseract found them, in its reading order, with their typical font size."""
    layout = PageLayout(number=page.number, width=page.width, height=page.height, dpi=page.dpi)
    for block in page.blocks:
        for para in block.paragraphs:
            lines: list[TextLine] = []
            for line in para.lines:
                words = [w for w in line.words if w.confidence >= min_confidence and w.text.strip()]
                if not words:
                    continue
                size = _typical([w.font_size for w in words])
                lines.append(TextLine(" ".join(w.text for w in words), line.box, size))
            if lines:
                layout.items.append(TextBlock(lines, para.box, _typical([ln.font_size for ln in lines])))
    return layout


def _typical(sizes: list[float]) -> float:
    known = [s for s in sizes if s > 0]
    return round(statistics.median(known), 1) if known else DEFAULT_FONT_SIZE
