"""The document the word-processor writers (DOCX, ODT, RTF) share: one section per page with the page's
size, margins and text columns, then paragraphs, headings and tables in reading order, sizes in points.

Each writer only spells this structure in its own format.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ocrmill.domain.document import Box, union
from ocrmill.domain.layout import Cell, PageLayout, Table
from ocrmill.writers.shared import clean, heading_level, heading_levels

FONT = "Times New Roman"  # LibreOffice shows it with the metric-compatible Liberation Serif
MIN_FONT_SIZE, MAX_FONT_SIZE = 6.0, 72.0
MIN_MARGIN, MAX_MARGIN = 14.4, 54.0  # points: 0.2 in .. 0.75 in
MAX_MARGIN_SHARE = 0.15  # of the page's width or height, so small pages keep room for text
COLUMN_GAP = 18.0
MIN_TABLE_COLUMN = 18.0
PARAGRAPH_SPACE = 0.4  # space after a paragraph, as a share of its font size


@dataclass(frozen=True)
class Paragraph:
    text: str
    size: float  # points, in half points
    level: int = 0  # 0 body text, 1 or 2 a heading of that level


@dataclass(frozen=True)
class TableCell:
    text: str
    row: int
    col: int
    row_span: int = 1
    col_span: int = 1


@dataclass(frozen=True)
class FlowTable:
    """A regular grid: `owners[row][col]` is the cell that covers (row, col); a cell with spans covers
    several positions and starts at its own (row, col)."""

    owners: tuple[tuple[TableCell, ...], ...]
    widths: tuple[float, ...]  # points, one per column
    size: float

    @property
    def rows(self) -> int:
        return len(self.owners)

    @property
    def cols(self) -> int:
        return len(self.widths)

    def cells(self) -> list[TableCell]:
        """Every cell once, row by row."""
        return [
            cell for r, row in enumerate(self.owners) for c, cell in enumerate(row) if (cell.row, cell.col) == (r, c)
        ]


Item = Paragraph | FlowTable


@dataclass(frozen=True)
class Margins:
    top: float
    right: float
    bottom: float
    left: float


@dataclass(frozen=True)
class Section:
    """One page of the source: its size in points, margins, text columns and content."""

    width: float
    height: float
    margins: Margins
    columns: int
    items: tuple[Item, ...]

    @property
    def landscape(self) -> bool:
        return self.width > self.height


def sections(layouts: Sequence[PageLayout]) -> list[Section]:
    levels = heading_levels(layouts)
    return [_section(layout, levels) for layout in layouts]


def font_size(points: float) -> float:
    """Rounded to half points, within what word processors show well."""
    return min(MAX_FONT_SIZE, max(MIN_FONT_SIZE, round(points * 2) / 2))


def paragraph_space(size: float) -> float:
    return round(size * PARAGRAPH_SPACE, 1)


def _section(layout: PageLayout, levels: dict[float, int]) -> Section:
    width, height = layout.width_pt, layout.height_pt
    content = _union([item.box for item in layout.items])
    margins = _margins(layout, content)
    columns = layout.columns if layout.columns > 1 and _all_in_columns(layout, content) else 1
    room = (width - margins.left - margins.right - COLUMN_GAP * (columns - 1)) / columns  # a column's width
    items: list[Item] = []
    for item in layout.items:
        if isinstance(item, Table):
            table = _table(item, layout, room)
            if table.rows and table.cols:
                items.append(table)
        else:
            text = clean(item.text)
            if text:
                size = font_size(item.font_size)
                items.append(Paragraph(text, size, heading_level(levels, item) if item.role == "heading" else 0))
    return Section(width, height, margins, columns, tuple(items))


def _union(boxes: Sequence[Box]) -> Box | None:
    return union(boxes) if boxes else None


def _margins(layout: PageLayout, content: Box | None) -> Margins:
    """The scan's own margins, kept within modest bounds."""

    def side(gap_px: float | None, page_pt: float) -> float:
        gap = MAX_MARGIN if gap_px is None else layout.points(gap_px)
        return round(min(max(gap, MIN_MARGIN), MAX_MARGIN, page_pt * MAX_MARGIN_SHARE), 1)

    width, height = layout.width_pt, layout.height_pt
    if content is None:
        return Margins(side(None, height), side(None, width), side(None, height), side(None, width))
    return Margins(
        top=side(content.top, height),
        right=side(layout.width - content.right, width),
        bottom=side(layout.height - content.bottom, height),
        left=side(content.left, width),
    )


def _all_in_columns(layout: PageLayout, content: Box | None) -> bool:
    """Whether every item fits one text column, so the whole page can be set in columns."""
    if content is None or not layout.items:
        return False
    column = content.width / layout.columns
    return all(item.box.width <= column * 1.1 for item in layout.items)


def _table(table: Table, layout: PageLayout, room: float) -> FlowTable:
    rows, cols = max(table.rows, 0), max(table.cols, 0)
    owners: list[list[TableCell | None]] = [[None] * cols for _ in range(rows)]
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        if not (0 <= cell.row < rows and 0 <= cell.col < cols) or owners[cell.row][cell.col] is not None:
            continue
        flow_cell = _fitted(cell, owners)
        for r in range(flow_cell.row, flow_cell.row + flow_cell.row_span):
            for c in range(flow_cell.col, flow_cell.col + flow_cell.col_span):
                owners[r][c] = flow_cell
    grid = tuple(
        tuple(owner or TableCell("", r, c) for c, owner in enumerate(row)) for r, row in enumerate(owners)
    )  # positions no cell covers become empty cells
    return FlowTable(grid, _column_widths(table, layout, room), font_size(table.font_size))


def _fitted(cell: Cell, owners: list[list[TableCell | None]]) -> TableCell:
    """The cell with its spans cut to the grid and to the positions still free."""
    rows, cols = len(owners), len(owners[0])
    col_span = 1
    while col_span < cell.col_span and cell.col + col_span < cols and owners[cell.row][cell.col + col_span] is None:
        col_span += 1
    row_span = 1
    while (
        row_span < cell.row_span
        and cell.row + row_span < rows
        and all(owners[cell.row + row_span][c] is None for c in range(cell.col, cell.col + col_span))
    ):
        row_span += 1
    return TableCell(clean(cell.text), cell.row, cell.col, row_span, col_span)


def _column_widths(table: Table, layout: PageLayout, room: float) -> tuple[float, ...]:
    """Column widths in the proportions of the scan's columns (from where single cells start), the
    table as wide as on the page but no wider than the text column."""
    cols = table.cols
    if cols <= 0:
        return ()
    starts = [
        statistics.median([cell.box.left for cell in table.cells if cell.col == c and cell.box.width > 0] or [-1])
        for c in range(1, cols)
    ]
    edges = [table.box.left, *starts, table.box.right]
    if any(b <= a for a, b in itertools.pairwise(edges)):
        shares = [1.0 / cols] * cols
    else:
        span = edges[-1] - edges[0]
        shares = [(b - a) / span for a, b in itertools.pairwise(edges)]
    total = min(max(layout.points(table.box.width), MIN_TABLE_COLUMN * cols), room)
    return tuple(round(max(total * share, MIN_TABLE_COLUMN), 1) for share in shares)
