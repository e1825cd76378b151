"""The page as a reader sees it: paragraphs, headings and tables in reading order, with sizes in
points. Built from one page's OCR result; every document writer (DOCX, ODT, RTF, EPUB, MHT) uses it.

Coordinates stay in raster pixels (as in domain.document); `PageLayout.points(px)` converts.
Words below the job's MinConfidence are left out here, so no writer has to remember to; the analysis still sees
where they are (as words without text), so that leaving a word out never changes the columns, the tables or the
reading order of the words that stay.

The analysis, in order:
- tables: physical rows (Tesseract lines at one height, across its blocks) whose words fall into the
  same x bands, with gaps wide against the page's word spacing, over 2+ rows (3+ bands and a numeric
  column, or 2+ bands inside a block Tesseract itself calls a table);
- text columns: a vertical gutter in the x projection of the paragraphs, weighted by their lines,
  with prose on both sides; the columns are read left to right between full-width items;
- headings: short blocks set clearly larger than the page's body text.
Without columns the paragraphs keep Tesseract's order, which is right for most simple pages. A page scanned
askew is analysed along its slope (domain.document.page_skew): rows at one height along it, columns with each
line where it stands on the page set straight; the boxes the layout reports stay as scanned.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word, level, page_skew, union
from ocrmill.domain.scripts import join_words, right_to_left

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
    column_span: int = 1  # text columns it covers: a title over two columns spans 2

    @property
    def text(self) -> str:
        """The lines joined into flowing text; a word hyphenated at a line end is joined again."""
        out = ""
        for line in self.lines:
            if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line.text[:1].islower():
                out = out[:-1] + line.text
            else:
                out = join_words([out, line.text])
        return out


@dataclass
class Cell:
    text: str
    box: Box
    row: int
    col: int
    row_span: int = 1
    col_span: int = 1
    words: list[Word] = field(default_factory=list, repr=False, compare=False)  # in reading order


@dataclass
class Table:
    """A grid found on the page: `cells` covers every (row, col) once, spans included."""

    box: Box
    rows: int
    cols: int
    cells: list[Cell]
    font_size: float = DEFAULT_FONT_SIZE
    column: int = 0
    column_span: int = 1

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
    """Tables, paragraphs and headings of one page, in reading order (see the module docstring)."""
    layout = PageLayout(number=page.number, width=page.width, height=page.height, dpi=page.dpi)
    placed, columns = _analysed(page, min_confidence)
    layout.columns = columns
    layout.items = [item for item in (_read(p.item) for p in placed) if item]
    return layout


def in_reading_order(page: Page) -> Page:
    """The page's blocks rebuilt in the reading order of its layout (page_layout, every word counted), so that
    every output that takes words from the page model (hOCR, ALTO, the PDF text layer, the viewer) reads
    them in the order the text outputs do. A table becomes one block of kind "table": a paragraph per row,
    top to bottom, and a line per cell, left to right (its cells apart, as Tesseract's lines across a row
    or down a column are not); every other item a text block of its own with its Tesseract lines as they are.
    Words no output shows (without text or width) are left out of tables. In place; returned."""
    placed, _columns = _analysed(page, 0.0)
    blocks: list[Block] = []
    for p in placed:
        if isinstance(p.item, Table):
            blocks.append(_table_block(p.item, p.lines))
        elif p.lines:
            lines = [ln.source for ln in p.lines]
            box = union(ln.box for ln in lines)
            blocks.append(Block(box=box, paragraphs=[Paragraph(box=box, lines=lines)]))
    page.blocks = blocks
    return page


def _table_block(table: Table, lines: Sequence[_Line]) -> Block:
    line_of = {id(w): ln.source for ln in lines for w in ln.words}
    rows: list[Paragraph] = []
    for r in range(table.rows):
        cells = sorted((c for c in table.cells if c.row == r and c.words), key=lambda c: c.col)
        row_lines = [_cell_line(cell, line_of.get(id(cell.words[0]))) for cell in cells]
        if row_lines:
            rows.append(Paragraph(box=union(ln.box for ln in row_lines), lines=row_lines))
    return Block(box=union(p.box for p in rows), paragraphs=rows, kind="table")


def _cell_line(cell: Cell, source: Line | None) -> Line:
    """A cell's words as a line of their own, on the baseline of the line they came from."""
    box = union(w.box for w in cell.words)
    if source is None:
        return Line(box=box, words=list(cell.words))
    return Line(box=box, words=list(cell.words), baseline=_baseline(source, box))


def _baseline(source: Line, box: Box) -> tuple[float, float]:
    """`source`'s baseline for a line in `box` on it: its slope, and its offset from the bottom of `box`."""
    slope, offset = source.baseline
    at_left = source.box.bottom + offset + slope * (box.left - source.box.left)  # the baseline's y at box.left
    return slope, at_left - box.bottom


def _analysed(page: Page, min_confidence: float) -> tuple[list[_Placed], int]:
    """The page's tables and text blocks in reading order, and its number of text columns."""
    skew = page_skew(page)
    lines = _lines(page, min_confidence, skew)
    if not lines:
        return [], 1
    em = _median(ln.em for ln in lines)
    gutters = _gutters(_paragraph_spans(lines), em)
    tables: list[_Found] = []
    gap_ratio = _wide_gap_ratio(lines)
    # a table in_reading_order made (a page's outputs are laid out again from it) is read as the table it is: its
    # rows take none of the page's other lines (prose in the next column would otherwise join them)
    made = {n for n in {ln.block for ln in lines if ln.in_table_block} if _cell_rows(page.blocks[n])}
    for block in sorted(made):
        tables.extend(_tables([ln for ln in lines if ln.block == block], gap_ratio))
    for group in _column_groups([ln for ln in lines if ln.block not in made], gutters):
        if group:  # (a page that is one table has no other lines)
            tables.extend(_tables(group, gap_ratio))
    used = {id(ln) for found in tables for ln in found.lines}
    placed = [_Placed(t.table, _straight(t.box, skew), min(ln.seq for ln in t.lines), t.lines) for t in tables]
    placed.extend(_rejoined(_text_blocks(lines, used)))
    _mark_headings(placed, [w for ln in lines for w in ln.words], gap_ratio)
    return _reading_order(placed, gutters, page.height), len(gutters) + 1


def _cell_rows(block: Block) -> bool:
    """Whether a table block is laid out as _table_block makes one: a paragraph per row whose lines (its cells)
    stand side by side, not below each other as Tesseract's lines do."""
    return any(len(p.lines) >= 2 for p in block.paragraphs) and all(
        _x_overlap(a.box, b.box) <= 0 and _y_overlap(a.box, b.box) > 0
        for p in block.paragraphs
        for a, b in itertools.pairwise(sorted(p.lines, key=lambda ln: ln.box.left))
    )


def _read(item: Item) -> Item | None:
    """The item without its left-out words' empty lines; None when nothing of it is left."""
    if isinstance(item, Table):
        return item if any(cell.text for cell in item.cells) else None
    item.lines = [ln for ln in item.lines if ln.text]
    return item if item.lines else None


def _joined(words: Iterable[Word]) -> str:
    """The words' texts, those left out (no text) skipped."""
    return join_words(w.text for w in words)


# --- lines -----------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Line:
    """One Tesseract line with the words that pass MinConfidence."""

    source: Line
    seq: int  # Tesseract's reading order
    para: int  # Tesseract paragraph, numbered over the page
    block: int
    in_table_block: bool
    box: Box
    words: list[Word]
    font_size: float
    # median word top and bottom (a rule or speck next to a line inflates its box), each word's taken to the page's
    # left edge along the skew (y - skew * x), so that the cells of a row on a page scanned askew stay level
    top: float
    bottom: float
    em: float  # median word height, pixels
    skew: float  # the page's: its text lines' slope (pixels down a pixel to the right)
    straight: Box  # the line's box in the page's frame set straight (_straight): where the columns are looked for

    @property
    def text(self) -> str:
        return _joined(self.words)


def _lines(page: Page, min_confidence: float, skew: float) -> list[_Line]:
    out: list[_Line] = []
    para_no = 0
    for block_no, block in enumerate(page.blocks):
        for para in block.paragraphs:
            for line in para.lines:
                words = [_unread(w, min_confidence) for w in line.words if w.box.width > 0 and w.text.strip()]
                if words:  # in Tesseract's order: right for sideways pages and right-to-left scripts
                    out.append(_line(line, words, len(out), para_no, block_no, block.kind == "table", skew))
            para_no += 1
    return out


def _line(source: Line, words: list[Word], seq: int, para: int, block: int, in_table: bool, skew: float) -> _Line:
    levels = [level(w.box, skew) for w in words]
    return _Line(
        source=source,
        seq=seq,
        para=para,
        block=block,
        in_table_block=in_table,
        box=source.box,
        words=words,
        font_size=_typical([w.font_size for w in words]),
        top=_median(t for t, _ in levels),
        bottom=_median(b for _, b in levels),
        em=max(1.0, _median(w.box.height for w in words)),
        skew=skew,
        straight=_straight(source.box, skew),
    )


def _straight(box: Box, skew: float) -> Box:
    """The box moved as its centre moves when the page is turned straight (by its skew, about the top left
    corner): a column's edge on a page scanned 1 degree askew leans 60 px across an A4 page's height at 300 dpi,
    as much as a narrow gutter is wide."""
    x, y = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    dx, dy = round(skew * y), round(-skew * x)
    return Box(box.left + dx, box.top + dy, box.right + dx, box.bottom + dy)


def _unread(word: Word, min_confidence: float) -> Word:
    """The word, or where it is without its text when MinConfidence leaves it out."""
    return word if word.kept(min_confidence) else Word("", word.box, word.confidence, word.font_size)


def _wide_gap_ratio(lines: Sequence[_Line]) -> float:
    """How far apart, in em, two words must be to sit in different cells: well beyond the page's
    usual word spacing, and at least one em."""
    gaps = [
        (b.box.left - a.box.right) / ln.em
        for ln in lines
        for a, b in itertools.pairwise(ln.words)
        if b.box.left - a.box.right < 1.5 * ln.em
    ]
    usual = _median(gaps) if len(gaps) >= 5 else 0.4
    return max(1.0, 2.5 * usual)


# --- tables ----------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Row:
    """Lines at one height across the page (Tesseract may put each table column in its own block)."""

    lines: list[_Line]
    top: float
    bottom: float
    segments: list[list[Word]] = field(default_factory=list)  # words split at wide gaps, left to right
    extents: list[tuple[int, int]] = field(default_factory=list)  # of the segments

    @property
    def em(self) -> float:
        return max(ln.em for ln in self.lines)

    def texts(self) -> list[str]:
        return [_joined(seg) for seg in self.segments]


@dataclass
class _Found:
    table: Table
    lines: list[_Line]

    @property
    def box(self) -> Box:
        return self.table.box


def _rows(lines: Sequence[_Line], gap_ratio: float) -> list[_Row]:
    rows: list[_Row] = []
    for line in sorted(lines, key=lambda ln: (ln.top, ln.box.left)):
        row = _row_for(line, rows)
        if row is None:
            rows.append(_Row([line], line.top, line.bottom))
        else:
            row.lines.append(line)
    for row in rows:
        row.lines.sort(key=lambda ln: ln.box.left)
        row.segments = _segments(row, gap_ratio)
        row.extents = [_extent(seg) for seg in row.segments]
    rows.sort(key=lambda r: r.top)
    return rows


def _row_for(line: _Line, rows: Sequence[_Row]) -> _Row | None:
    """The row the line sits in: mostly the same height, side by side with the row's lines."""
    height = line.bottom - line.top
    for row in reversed(rows):
        if row.bottom < line.top - 2 * height:
            return None
        overlap = min(row.bottom, line.bottom) - max(row.top, line.top)
        if overlap >= 0.5 * min(height, row.bottom - row.top) and all(
            _x_overlap(line.box, other.box) <= 0 for other in row.lines
        ):
            return row
    return None


def _segments(row: _Row, gap_ratio: float) -> list[list[Word]]:
    """The row's words split at wide gaps, where Tesseract changes blocks and between the lines of a
    table block (a table put in reading order has a line per cell); a currency sign set apart at a
    cell's left edge stays with its amount. Not where the next block begins less than a word space
    (WORD_SPACE) after the last: Tesseract cuts a line, even a word, so above a table on a page
    scanned askew, and cells stand further apart."""
    wide = gap_ratio * row.em
    out: list[list[Word]] = []
    last_block = -1
    for line in row.lines:
        for i, word in enumerate(line.words):
            gap = word.box.left - out[-1][-1].box.right if out else 0
            new_block = i == 0 and (line.block != last_block or line.in_table_block) and gap >= WORD_SPACE * row.em
            if out and not new_block and (gap < wide or _currency(out[-1])):
                out[-1].append(word)
            else:
                out.append([word])
        last_block = line.block
    return out


WORD_SPACE = 0.25  # em: the narrowest word space type is set with


def _currency(seg: Sequence[Word]) -> bool:
    return len(seg) == 1 and seg[0].text in _CURRENCY_SIGNS


_CURRENCY_SIGNS = frozenset("$€£¥₹§")  # § is how Tesseract often reads a $


def _runs(rows: Sequence[_Row]) -> list[list[_Row]]:
    """Stretches of rows close below each other, from and to a row with 2+ segments. A header may
    stand further off (a rule under it): a wider gap is bridged when all above it is text."""
    runs: list[list[_Row]] = []
    current: list[_Row] = []
    figures = False  # whether the current stretch has any
    for row in rows:
        if current:
            gap = row.top - current[-1].bottom
            near = gap <= 1.6 * max(row.em, current[-1].em)
            header = not figures and gap <= 4 * min(row.em, current[-1].em)
            if not near and not header:
                runs.append(current)
                current, figures = [], False
        current.append(row)
        figures = figures or any(_numeric(t) for t in row.texts())
    runs.append(current)
    return [trimmed for run in runs if len(trimmed := _trimmed(run)) >= 2]


def _tables(lines: Sequence[_Line], gap_ratio: float) -> list[_Found]:
    em = _median(ln.em for ln in lines)
    rows = _rows([ln for ln in lines if ln.box.height <= 3 * em], gap_ratio)  # not vertical text or noise
    found: list[_Found] = []
    for run in _runs(rows):
        found.extend(_tables_in(run, gap_ratio))
    return found


def _tables_in(run: list[_Row], gap_ratio: float) -> list[_Found]:
    """The tables in a run of rows; a row that contradicts the run's column bands splits it."""
    if sum(len(r.segments) >= 2 for r in run) < 2:
        return []
    bands = _bands(run, gap_ratio)
    width = bands.rights[-1] - bands.lefts[0]
    placed: list[list[_Placement]] = []
    for i, row in enumerate(run):
        cells = _place_row(row, bands, width)
        if cells is None:
            return _tables_in(_trimmed(run[:i]), gap_ratio) + _tables_in(_trimmed(run[i + 1 :]), gap_ratio)
        placed.append(cells)
    built = _build_table(run, placed, bands)
    return [built] if built is not None else []


def _trimmed(run: list[_Row]) -> list[_Row]:
    multi = [i for i, r in enumerate(run) if len(r.segments) >= 2]
    return run[multi[0] : multi[-1] + 1] if multi else []


class _Bands:
    """Column x intervals, sorted and disjoint."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self.lefts = [b[0] for b in spans]
        self.rights = [b[1] for b in spans]

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, i: int) -> tuple[int, int]:
        return self.spans[i]

    def hits(self, left: int, right: int) -> range:
        """The bands that [left, right] overlaps."""
        return range(bisect.bisect_right(self.rights, left), bisect.bisect_left(self.lefts, right))

    def nearest(self, left: int, right: int) -> int:
        """The band closest to [left, right], which overlaps none."""
        after = bisect.bisect_left(self.lefts, right)
        if after == 0 or (after < len(self.spans) and self.lefts[after] - right < left - self.rights[after - 1]):
            return after
        return after - 1

    def inside(self, x: float) -> bool:
        i = bisect.bisect_right(self.lefts, x) - 1
        return i >= 0 and x <= self.rights[i]


def _bands(run: Sequence[_Row], gap_ratio: float) -> _Bands:
    """Column x intervals: the segments of the rows with the most common number of segments merged
    where they overlap, plus a band for any segment that lies well apart from all of them or next to
    one its row fills already (a header over a column that is empty in the other rows)."""
    counts = Counter(len(r.segments) for r in run if len(r.segments) >= 2)
    typical = max(counts, key=lambda n: (counts[n], n))
    spans = sorted(extent for r in run if len(r.segments) == typical for extent in r.extents)
    merged: list[tuple[int, int]] = []
    for left, right in spans:
        if merged and left <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], right))
        else:
            merged.append((left, right))
    bands = _Bands(merged)
    for row in run:
        wide = gap_ratio * row.em
        for left, right in row.extents:
            if bands.hits(left, right):
                continue
            nearest = bands[bands.nearest(left, right)]
            taken = any(min(b, nearest[1]) > max(a, nearest[0]) for a, b in row.extents)
            if taken or _distance(left, right, nearest) > wide:
                bisect.insort(merged, (left, right))
                bands = _Bands(merged)
    return bands


@dataclass
class _Placement:
    words: list[Word]
    band: int
    span: int = 1


def _place_row(row: _Row, bands: _Bands, width: int) -> list[_Placement] | None:
    """The row's words as cells in the bands, or None when the row does not fit them (a segment
    runs across a gap between bands that the other rows keep free)."""
    out: list[_Placement] = []
    for seg, (left, right) in zip(row.segments, row.extents, strict=True):
        hit = bands.hits(left, right)
        if not hit:
            out.append(_Placement(seg, bands.nearest(left, right)))
        elif len(hit) == 1:
            out.append(_Placement(seg, hit[0]))
        else:
            split = _split(seg, bands, hit[0], hit[-1]) if len(row.segments) > 1 else None
            if split is not None:
                out.extend(split)
            elif len(row.segments) == 1 and not _prose(seg, width):
                out.append(_Placement(seg, hit[0], hit[-1] - hit[0] + 1))  # e.g. a section label in the table
            else:
                return None
    return out


def _split(seg: list[Word], bands: _Bands, first: int, last: int) -> list[_Placement] | None:
    """The segment cut at word gaps that lie between bands, one piece per band, the cuts chosen so
    that the pieces match their bands best (summed intersection over union)."""
    n = len(seg)
    cuts = [0, *(k for k in range(1, n) if not bands.inside((seg[k - 1].box.right + seg[k].box.left) / 2)), n]
    # best[k]: for seg[:k], the best (score, pieces) by the band of the last piece
    best: dict[int, dict[int, tuple[float, list[_Placement]]]] = {0: {first - 1: (0.0, [])}}
    for i, c in enumerate(cuts[:-1]):
        if c not in best:
            continue
        left, right, reached = seg[c].box.left, seg[c].box.right, c
        for k in cuts[i + 1 :]:
            for w in seg[reached:k]:
                right = max(right, w.box.right)
            reached = k
            states = best.setdefault(k, {})
            for j in bands.hits(left, right):
                if not first <= j <= last:
                    continue
                fit = _iou((left, right), bands[j])
                for jj, (score, pieces) in best[c].items():
                    if jj < j and (j not in states or states[j][0] < score + fit):
                        states[j] = (score + fit, [*pieces, _Placement(seg[c:k], j)])
            if not states:
                del best[k]
    finals = [state for state in best.get(n, {}).values() if len(state[1]) >= 2]
    return max(finals, key=lambda f: f[0])[1] if finals else None


def _prose(seg: Sequence[Word], table_width: int) -> bool:
    left, right = _extent(seg)
    return len(seg) >= 6 and right - left >= 0.6 * table_width


def _build_table(run: Sequence[_Row], placed: Sequence[Sequence[_Placement]], bands: _Bands) -> _Found | None:
    grid: list[_GridRow] = []
    for row, row_cells in zip(run, placed, strict=True):
        current = _GridRow(row.top, row.bottom, row.em, {}, {}, list(row.lines))
        for cell in row_cells:
            current.cells.setdefault(cell.band, []).extend(cell.words)
            current.spans[cell.band] = max(current.spans.get(cell.band, 1), cell.span)
        if len(grid) == 1 and _continues(current, grid[0]):
            grid[-1].absorb(current)
        else:
            grid.append(current)
    if not _is_table(grid, run) or _side_by_side_text(grid):
        return None
    used = sorted({band for g in grid for band in g.cells})
    col_of = {band: i for i, band in enumerate(used)}
    cells: list[Cell] = []
    words: list[Word] = []
    for r, g in enumerate(grid):
        covered_to = -1  # a cell spanning several bands covers them
        for band in used:
            if band <= covered_to:
                continue
            if band in g.cells:
                covered_to = band + g.spans.get(band, 1) - 1
                cell_words = g.cells[band]
                words.extend(cell_words)
                text = _joined(cell_words)
                span = sum(1 for b in used if band <= b <= covered_to) if covered_to > band else 1
                cells.append(Cell(text, _word_box(cell_words), r, col_of[band], col_span=span, words=cell_words))
            else:
                left, right = bands[band]
                shift = g.lines[0].skew * (left + right) / 2  # the row's height back from the left edge's
                cells.append(Cell("", Box(left, round(g.top + shift), right, round(g.bottom + shift)), r, col_of[band]))
    table = Table(
        box=_word_box(words),
        rows=len(grid),
        cols=len(used),
        cells=cells,
        font_size=_typical([w.font_size for w in words]),
    )
    return _Found(table, [ln for g in grid for ln in g.lines])


@dataclass
class _GridRow:
    top: float
    bottom: float
    em: float
    cells: dict[int, list[Word]]  # band -> words in reading order
    spans: dict[int, int]
    lines: list[_Line]
    merged: int = 0  # rows taken in below it

    def absorb(self, below: _GridRow) -> None:
        self.merged += 1
        for band, words in below.cells.items():
            self.cells.setdefault(band, []).extend(words)
        self.bottom = below.bottom
        self.lines.extend(below.lines)

    def texts(self) -> list[str]:
        return [_joined(words) for words in self.cells.values()]


def _continues(row: _GridRow, above: _GridRow) -> bool:
    """The second or third line of a header set tightly, which only carries on its cells. Other
    lines with a single cell stay rows of their own: whether such a line ends the description above
    or starts the next item differs from layout to layout."""
    return (
        set(row.cells) <= set(above.cells)
        and len(row.cells) * 2 <= len(above.cells)
        and all(span == 1 for span in row.spans.values())
        and row.top - above.bottom <= 0.5 * row.em
        and above.merged < 2
        and not any(_numeric(text) for text in [*row.texts(), *above.texts()])
    )


def _is_table(grid: Sequence[_GridRow], run: Sequence[_Row]) -> bool:
    """Conservative: 2+ rows with cells in 3+ bands and a column of numbers, or 2+ bands where
    Tesseract itself calls the block a table; cells mostly short (not prose side by side). Without
    figures, a full grid of short cells (_word_grid)."""
    lines = [ln for r in run for ln in r.lines]
    in_table_block = sum(ln.in_table_block for ln in lines) * 2 >= len(lines)
    need = 2 if in_table_block else 3
    if len(grid) < 2 or sum(len(g.cells) >= need for g in grid) < 2:
        return False
    columns = _column_texts(grid)
    if len(columns) < need:
        return False
    words = [_median(len(t.split()) for t in texts) for texts in columns.values()]  # a cell's, by column
    if min(words) > 3:  # no column of short cells
        return False
    if in_table_block:
        return True
    if any(_numeric_column(texts[1:] if len(texts) > 2 else texts) for texts in columns.values()):
        return True
    return _word_grid(len(grid), columns, words)


WORD_GRID_ROWS = 4  # rows of a table of words alone that _word_grid asks for


def _word_grid(rows: int, columns: Mapping[int, Sequence[str]], words: Sequence[float]) -> bool:
    """A table of words without a figure or a rule: three or more columns of short cells (a few words each, and
    in some column mostly more than one), side by side on WORD_GRID_ROWS or more common rows, every column with a
    cell on every row but at most one. Text set in columns is not that: its lines are longer. Nor is a list set in
    columns: its items are single terms, and where it runs on into the next column, or where a letter's blocks
    stand side by side, rows are empty where one column ends before the others. `words`: each column's median
    words a cell."""
    return (
        rows >= WORD_GRID_ROWS
        and len(columns) >= 3
        and max(words) <= 3
        and max(words) >= 2
        and all(len(texts) >= rows - 1 for texts in columns.values())
    )


def _side_by_side_text(grid: Sequence[_GridRow]) -> bool:
    """Blocks of text next to each other (a letter's footer: address, board, bank), not a table:
    Tesseract read each column on lines of its own, and the cells of every column are longish."""
    line_of = {id(w): id(ln) for g in grid for ln in g.lines for w in ln.words}
    if any(ln.in_table_block for g in grid for ln in g.lines):
        return False
    for g in grid:
        lines = [{line_of[id(w)] for w in words} for words in g.cells.values()]
        if sum(len(s) for s in lines) != len(set().union(*lines)):
            return False  # one line runs through two columns
    columns = _column_texts(grid).values()
    if any(len(texts) > 2 and all(_numeric(t) for t in texts[1:]) for texts in columns):
        return False  # a column of figures under its head (dates, amounts): a table's, not a letter's
    return all(_median(len(text) for text in texts) >= 10 for texts in columns)


def _column_texts(grid: Sequence[_GridRow]) -> dict[int, list[str]]:
    """Each band's cell texts, top to bottom, bands left to right."""
    bands = sorted({band for g in grid for band in g.cells})
    return {band: [_joined(g.cells[band]) for g in grid if band in g.cells] for band in bands}


_NOT_ALNUM = re.compile(r"[\W_]+")
_NO_DIGITS = str.maketrans("", "", "0123456789")


def _numeric(text: str) -> bool:
    """Mostly figures: amounts, dates, codes."""
    chars = _NOT_ALNUM.sub("", text)
    letters = len(chars.translate(_NO_DIGITS))
    return len(chars) > letters and (len(chars) - letters) >= letters


def _numeric_column(texts: Sequence[str]) -> bool:
    numeric = sum(_numeric(t) for t in texts)
    return numeric >= 2 and numeric * 2 >= len(texts)


# --- paragraphs, columns, order ----------------------------------------------------------------------


@dataclass(eq=False)
class _Placed:
    item: Item
    box: Box  # the item's, in the page's frame set straight (_straight)
    seq: int  # where Tesseract's order has it
    lines: list[_Line]

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @property
    def words_per_line(self) -> float:
        return sum(len(ln.words) for ln in self.lines) / len(self.lines)


def _text_blocks(lines: Sequence[_Line], used: set[int]) -> list[_Placed]:
    """One block per Tesseract paragraph, or per stretch of it that is not in a table."""
    out: list[_Placed] = []
    stretch: list[_Line] = []

    def close() -> None:
        if stretch:
            out.append(_text_block(list(stretch)))
            stretch.clear()

    for line in lines:
        if stretch and (id(line) in used or line.para != stretch[-1].para):
            close()
        if id(line) not in used:
            stretch.append(line)
    close()
    return out


def _text_block(lines: list[_Line]) -> _Placed:
    text_lines = [TextLine(ln.text, ln.box, ln.font_size) for ln in lines]
    block = TextBlock(text_lines, union([ln.box for ln in lines]), _typical([ln.font_size for ln in lines]))
    return _Placed(block, union([ln.straight for ln in lines]), lines[0].seq, lines)


def _rejoined(placed: list[_Placed]) -> list[_Placed]:
    """The text blocks with every line Tesseract's page layout cut in two made one again: a block of one line
    that stands on the baseline of another block's last line (_continues_line) and begins where that line ends
    (less than an em to its right: a gutter between columns is wider, _emptiest) continues that line. Tesseract
    cuts a line so on a page scanned askew, above a table, and reads the line's end after the table."""
    out = list(placed)
    while pair := next(((a, b) for a in out for b in out if _continues_line(a, b)), None):
        a, b = pair
        out[out.index(a)] = _text_block([*a.lines[:-1], _continued(a.lines[-1], b.lines[0])])
        out.remove(b)
    return out


def _continues_line(a: _Placed, b: _Placed) -> bool:
    """Whether text block `b` is one line continuing `a`'s last line (_rejoined). Lines set across the page only,
    left to right (a vertical line's or a right-to-left line's end stands elsewhere)."""
    if a is b or not isinstance(a.item, TextBlock) or not isinstance(b.item, TextBlock) or len(b.lines) != 1:
        return False
    last, first = a.lines[-1], b.lines[0]
    small, large = sorted((last.em, first.em))
    gap = first.straight.left - last.straight.right
    # on one baseline (bottoms along the skew, within half the smaller type's em); type of one line may change
    # size ("KIRKLAND LAKE GOLD Inc (KL.N)"), not more than twice
    on_baseline = abs(first.bottom - last.bottom) <= small / 2 and large <= 2 * small
    if not (on_baseline and -small / 4 <= gap < large):
        return False
    return not any(ln.box.width <= ln.box.height or right_to_left(ln.text) for ln in (last, first))


def _continued(line: _Line, rest: _Line) -> _Line:
    """One line of `line` and `rest`, which continues it to the right: its page line (Line) made anew, on
    `line`'s baseline."""
    box = union([line.source.box, rest.source.box])
    source = Line(box=box, words=[*line.source.words, *rest.source.words], baseline=_baseline(line.source, box))
    words = [*line.words, *rest.words]
    return _line(source, words, line.seq, line.para, line.block, line.in_table_block, line.skew)


def _paragraph_spans(lines: Sequence[_Line]) -> list[_Placed]:
    """Tesseract's paragraphs as they are, for finding the columns before tables are taken out."""
    return _text_blocks(lines, set())


def _gutters(paragraphs: Sequence[_Placed], em: float) -> list[tuple[int, int]]:
    """Vertical gutters between 2 or 3 text columns, or none: x ranges that the paragraphs (weighted
    by their lines) leave nearly empty, with prose on each side, the columns side by side. Of the
    nearly empty ranges (some lie inside a column: between chart labels, say) the widest set that
    makes valid columns is taken."""
    if len(paragraphs) < 2:
        return []
    profile = _profile(paragraphs)
    peak = max(v for _, _, v in profile)
    high = [i for i, (_, _, v) in enumerate(profile) if v > 0.2 * peak]
    inner = profile[high[0] : high[-1] + 1]  # a margin note or a speck outside the text is no column
    candidates: list[_Gutter] = []
    for is_low, group in itertools.groupby(inner, key=lambda s: s[2] <= 0.2 * peak):
        if is_low and (gutter := _emptiest(list(group), em)) is not None:
            candidates.append(gutter)
    candidates = sorted(candidates, key=lambda g: g.right - g.left, reverse=True)[:6]
    for count in (2, 1):
        for chosen in itertools.combinations(sorted(candidates, key=lambda g: g.left), count):
            if _makes_columns(paragraphs, chosen, profile, (inner[0][0], inner[-1][1]), em):
                return [(g.left, g.right) for g in chosen]
    return []


@dataclass(frozen=True)
class _Gutter:
    left: int
    right: int
    load: int  # lines of paragraphs that cross it


def _makes_columns(
    paragraphs: Sequence[_Placed],
    gutters: Sequence[_Gutter],
    profile: Sequence[tuple[int, int, int]],
    extent: tuple[int, int],
    em: float,
) -> bool:
    """Each column holds a fair share of the lines, one at least mostly prose (4+ words a line), each
    beside the next; the paragraphs crossing a gutter are few against the columns' own."""
    edges = [extent[0], *[x for g in gutters for x in (g.left, g.right)], extent[1]]
    ranges = [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]
    columns: list[list[_Placed]] = [[] for _ in ranges]
    for p in paragraphs:
        inside = [i for i, r in enumerate(ranges) if p.box.left >= r[0] - em and p.box.right <= r[1] + em]
        if len(inside) == 1:
            columns[inside[0]].append(p)
    total = sum(p.line_count for p in paragraphs)
    if any(sum(p.line_count for p in column) < max(3, 0.15 * total) for column in columns):
        return False
    wordiness = [_words_per_line(column) for column in columns]
    if max(wordiness) < 4 or min(wordiness) < 2:  # a form's label and value stacks are no columns
        return False
    peaks = [max((v for x0, x1, v in profile if x0 < r[1] and x1 > r[0]), default=0) for r in ranges]
    if any(g.load > 0.25 * min(peaks[i], peaks[i + 1]) for i, g in enumerate(gutters)):
        return False
    for a, b in itertools.pairwise(columns):
        top_a, bottom_a = min(p.box.top for p in a), max(p.box.bottom for p in a)
        top_b, bottom_b = min(p.box.top for p in b), max(p.box.bottom for p in b)
        if min(bottom_a, bottom_b) - max(top_a, top_b) < 0.5 * min(bottom_a - top_a, bottom_b - top_b):
            return False
    return True


def _emptiest(low: Sequence[tuple[int, int, int]], em: float) -> _Gutter | None:
    """The widest x range at least an em wide that the fewest lines cross, in a stretch of the profile; None
    where the stretch is narrower. The fewest, not none: a heading or a full-width line may cross a gutter, and
    where it ends inside it (a title over two columns) the part no line crosses can be a sliver."""
    for load in sorted({v for _, _, v in low}):
        left, right = max(_runs_within(low, load), key=lambda r: r[1] - r[0])
        if right - left >= em:
            return _Gutter(left, right, load)
    return None


def _runs_within(segments: Sequence[tuple[int, int, int]], value: int) -> list[tuple[int, int]]:
    """The x ranges where the profile has `value` or less."""
    out: list[tuple[int, int]] = []
    for x0, x1, v in segments:
        if v <= value:
            if out and out[-1][1] == x0:
                out[-1] = (out[-1][0], x1)
            else:
                out.append((x0, x1))
    return out


def _profile(placed: Sequence[_Placed]) -> list[tuple[int, int, int]]:
    """Piecewise-constant x projection: (x0, x1, lines whose paragraph covers x0..x1)."""
    events: dict[int, int] = {}
    for p in placed:
        events[p.box.left] = events.get(p.box.left, 0) + p.line_count
        events[p.box.right] = events.get(p.box.right, 0) - p.line_count
    xs = sorted(events)
    out: list[tuple[int, int, int]] = []
    value = 0
    for x0, x1 in itertools.pairwise(xs):
        value += events[x0]
        out.append((x0, x1, value))
    return out


def _words_per_line(placed: Sequence[_Placed]) -> float:
    weights = [(p.words_per_line, p.line_count) for p in placed if p.line_count]
    if not weights:
        return 0.0
    expanded = sorted(w for w, n in weights for _ in range(n))
    return expanded[len(expanded) // 2]


def _column_groups(lines: Sequence[_Line], gutters: Sequence[tuple[int, int]]) -> list[list[_Line]]:
    """The lines of each text column (and those crossing a gutter), looked at apart for tables, so
    that a table in one column does not take in the prose beside it."""
    if not gutters:
        return [list(lines)]
    groups: dict[int, list[_Line]] = {}
    for line in lines:
        cols = _columns_of(line.straight, gutters)
        groups.setdefault(cols[0] if len(cols) == 1 else -1, []).append(line)
    return list(groups.values())


def _columns_of(box: Box, gutters: Sequence[tuple[int, int]]) -> list[int]:
    """The text columns a box reaches into (beyond a gutter's middle by a little)."""
    slack = min(g[1] - g[0] for g in gutters) / 2
    cuts = [(g[0] + g[1]) / 2 for g in gutters]
    bounds = [-float("inf"), *cuts, float("inf")]
    return [
        i for i in range(len(bounds) - 1) if box.right > bounds[i] + slack and box.left < bounds[i + 1] - slack
    ] or [bisect.bisect(cuts, (box.left + box.right) / 2)]


def _reading_order(placed: list[_Placed], gutters: Sequence[tuple[int, int]], page_height: int) -> list[_Placed]:
    """Tesseract's order on a single-column page. With columns: the page's head (all above the
    columns' first tall paragraph) in Tesseract's order; then full-width items (crossing a gutter
    with nothing beside them) in vertical order, and between them each column top to bottom, left
    to right, an inset crossing a gutter (a caption) after the columns; then the page's foot."""
    if not gutters:
        return sorted(placed, key=lambda p: p.seq)
    count = len(gutters) + 1
    cols = {id(p): _columns_of(p.box, gutters) for p in placed}
    tall = [p for p in placed if len(cols[id(p)]) == 1 and p.line_count >= 3]
    if not tall:
        return sorted(placed, key=lambda p: p.seq)
    body_top = min(p.box.top for p in tall)
    body_bottom = max(p.box.bottom for p in tall)
    head = [p for p in placed if p.box.bottom <= body_top]
    low = [p for p in placed if p.box.top >= max(body_bottom, 0.88 * page_height) and p.box.bottom > body_top]
    above = [q for q in placed if all(q is not p for p in low)]
    foot = [p for p in low if not _continues_column(p, above, cols)]
    margins = {id(p) for p in head + foot}
    body = [p for p in placed if id(p) not in margins]
    body_columns = [p for p in body if len(cols[id(p)]) == 1]

    def beside(p: _Placed) -> bool:
        return any(_y_overlap(p.box, o.box) > 0.2 * min(p.box.height, o.box.height) for o in body_columns)

    crossing = [p for p in body if len(cols[id(p)]) > 1]
    insets = {id(p) for p in crossing if beside(p)}
    breakers = sorted((p for p in crossing if id(p) not in insets), key=lambda p: (p.box.top, p.seq))
    cuts = [(p.box.top + p.box.bottom) / 2 for p in breakers]
    sections: list[list[_Placed]] = [[] for _ in range(len(breakers) + 1)]
    for p in body:
        if len(cols[id(p)]) == 1 or id(p) in insets:
            sections[bisect.bisect(cuts, (p.box.top + p.box.bottom) / 2)].append(p)
    out = [_set_column(p, 0, count) for p in sorted(head, key=lambda p: p.seq)]
    for i, section in enumerate(sections):
        for c in range(count):
            column = [p for p in section if id(p) not in insets and cols[id(p)][0] == c]
            out.extend(_set_column(p, c, 1) for p in sorted(column, key=lambda p: (p.box.top, p.seq)))
        inset = sorted((p for p in section if id(p) in insets), key=lambda p: p.box.top)
        out.extend(_set_column(p, _main_column(p.box, gutters), 1) for p in inset)
        if i < len(breakers):
            out.append(_set_column(breakers[i], 0, count))
    out.extend(_set_column(p, 0, count) for p in sorted(foot, key=lambda p: p.seq))
    return out


PARAGRAPH_SPACING_SLACK = 1.5  # a column's paragraphs stand apart alike: half as much again is still the column's


def _continues_column(p: _Placed, above: Sequence[_Placed], cols: dict[int, list[int]]) -> bool:
    """Whether `p`, low on the page, is its column's last paragraph rather than the page's foot: inside one
    column, below that column's paragraphs by no more than they usually stand apart from each other (the median
    gap: a picture or a section break is no paragraph spacing). A column longer than the one beside it ends lower
    than the body's tall paragraphs; a footer is set apart."""
    if len(cols[id(p)]) != 1:
        return False
    column = sorted((q for q in above if cols[id(q)] == cols[id(p)]), key=lambda q: q.box.top)
    if not column or column[-1].box.bottom > p.box.top:
        return False
    gaps = [b.box.top - a.box.bottom for a, b in itertools.pairwise(column)]
    return bool(gaps) and p.box.top - column[-1].box.bottom <= PARAGRAPH_SPACING_SLACK * _median(gaps)


def _set_column(p: _Placed, column: int, span: int) -> _Placed:
    p.item.column = column
    p.item.column_span = span
    return p


def _main_column(box: Box, gutters: Sequence[tuple[int, int]]) -> int:
    return bisect.bisect([(g[0] + g[1]) / 2 for g in gutters], (box.left + box.right) / 2)


# --- headings ----------------------------------------------------------------------------------------


def _mark_headings(placed: Sequence[_Placed], words: Sequence[Word], gap_ratio: float) -> None:
    """Short blocks set clearly larger than the page's body text, in the size Tesseract estimates and
    in the height of the words themselves; words, not figures, and no wide gaps (a table's header
    row or a totals line is no heading). A page without enough body text has none."""
    sizes = [w.font_size for w in words if w.font_size > 0]
    if len(words) < 20 or not sizes:
        return
    body_size = _median(sizes)
    body_height = _median(w.box.height for w in words)
    for p in placed:
        block = p.item
        own = [w for ln in p.lines for w in ln.words]
        if not isinstance(block, TextBlock) or len(p.lines) > 3 or len(own) > 20 or len(own) * 4 > len(words):
            continue
        if sum(c.isalpha() for w in own for c in w.text) < 3 or sum(_has_digit(w.text) for w in own) * 3 > len(own):
            continue
        if sum(w.confidence for w in own) < 60 * len(own) or any(_wide_gaps(ln, gap_ratio) for ln in p.lines):
            continue
        if block.font_size >= 1.3 * body_size and _median(w.box.height for w in own) >= 1.25 * body_height:
            block.role = "heading"


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _wide_gaps(line: _Line, gap_ratio: float) -> bool:
    return any(b.box.left - a.box.right >= gap_ratio * line.em for a, b in itertools.pairwise(line.words))


# --- geometry ----------------------------------------------------------------------------------------


def _extent(words: Sequence[Word]) -> tuple[int, int]:
    left, right = words[0].box.left, words[0].box.right
    for w in words:
        left, right = min(left, w.box.left), max(right, w.box.right)
    return left, right


def _iou(extent: tuple[int, int], band: tuple[int, int]) -> float:
    left, right = extent
    inter = min(right, band[1]) - max(left, band[0])
    if inter <= 0:
        return 0.0
    return inter / (max(right, band[1]) - min(left, band[0]))


def _distance(left: int, right: int, band: tuple[int, int]) -> int:
    return max(band[0] - right, left - band[1], 0)


def _x_overlap(a: Box, b: Box) -> int:
    return min(a.right, b.right) - max(a.left, b.left)


def _y_overlap(a: Box, b: Box) -> int:
    return min(a.bottom, b.bottom) - max(a.top, b.top)


def _word_box(words: Sequence[Word]) -> Box:
    return union([w.box for w in words])


def _median(values: Iterable[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("no values")
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _typical(sizes: list[float]) -> float:
    known = [s for s in sizes if s > 0]
    return round(_median(known), 1) if known else DEFAULT_FONT_SIZE
