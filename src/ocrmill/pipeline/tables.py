"""Tables read cell by cell, and every page put in reading order.

Tesseract's page layout reads a table's row as one line across its cells (or a column as a block of its own), and
spaces the words of a line by the gaps of the whole line: beside the wide gaps between cells, the gap inside a
cell's "13 A" looks like letter spacing, and it reads "13A". So after the page's first reading:
1. the page model is put in the reading order of its layout (domain.layout.in_reading_order: a table a block, a
   row a paragraph, a cell a line);
2. each cell of a table is cut out of the page (its words' box, grown by CELL_PAD_Y and CELL_PAD_X of its height,
   not past the middle of the gap to a neighbouring cell of its row) and read again as a single line, its words
   cut where their characters stand a space apart (spaced: Tesseract's recogniser leaves out a space it is not
   used to); where that reading has the same letters and digits (case-folded) as the first and more words, it
   replaces the first (the cell's words spaced by its own gaps: spaces put back, none taken out, for a space the
   row's first reading saw beside the wide gaps between cells is there); otherwise the first stays (a cell read
   alone has no neighbours to tell a "1" from an "l", and misreads where the crop is tight are the risk).
Cells of figures alone (amounts, counts, dates: _NUMBER) are not read again: their digits stand evenly, and they
are most of a table's cells. A page without a table costs the layout analysis only (some milliseconds); a table
about 10 ms a cell read again.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from PIL import Image

from ocrmill.domain.document import Box, Line, Page, Word, letters, moved, overlaps, union
from ocrmill.domain.layout import in_reading_order
from ocrmill.pipeline.engine import Engine, Glyph
from ocrmill.pipeline.rules import is_rule

CELL_PAD_Y = 0.3  # of the cell's height, above and below ...
CELL_PAD_X = 0.6  # ... and left and right (Tesseract wants some white around a line)
# A space is about a quarter to a third of an em, some 0.35 to 0.5 of the height of capitals and figures; the gap
# between two letters of a word a tenth of that
SPACE_GAP = 0.3
NARROW = 0.6
PITCH = 1.5
_NUMBER = re.compile(r"[-+(]?[$€£]?[\d.,:/%-]+\)?")  # a figure: an amount, a count, a date
NARROW_CHARACTERS = frozenset("1IlijtfrJ.,:;'\"!|()[]{}/\\-`\u2018\u2019\u201c\u201d°")  # quotes: curly ones too


def read_in_order(page: Page, image: Image.Image, engine: Engine) -> Page:
    """`page` (Tesseract's reading of `image`) in reading order, its tables' cells read one by one. In place."""
    in_reading_order(page)
    for block in page.blocks:
        if block.kind != "table":
            continue
        for row in block.paragraphs:
            for i, line in enumerate(row.lines):
                if all(_NUMBER.fullmatch(w.text) for w in line.words):
                    continue  # a figure's digits stand evenly: no space lost in it, and most cells are figures
                before = row.lines[i - 1].box.right if i else None
                after = row.lines[i + 1].box.left if i + 1 < len(row.lines) else None
                _read_cell(line, image, engine, page.dpi, before, after)
            row.box = union(ln.box for ln in row.lines)
        block.box = union(p.box for p in block.paragraphs)
    return page


def _read_cell(
    line: Line, image: Image.Image, engine: Engine, dpi: float, before: int | None, after: int | None
) -> None:
    box = line.box
    left = box.left - CELL_PAD_X * box.height
    right = box.right + CELL_PAD_X * box.height
    if before is not None:
        left = max(left, (before + box.left) / 2)
    if after is not None:
        right = min(right, (box.right + after) / 2)
    crop = Box(
        max(0, round(left)),
        max(0, round(box.top - CELL_PAD_Y * box.height)),
        min(image.width, round(right)),
        min(image.height, round(box.bottom + CELL_PAD_Y * box.height)),
    )
    if crop.width < 2 or crop.height < 2:
        return
    read = engine.read_line(image.crop((crop.left, crop.top, crop.right, crop.bottom)), dpi=dpi)
    words = [moved(w, crop.left, crop.top) for w in spaced(read)]
    # not a ruling line read as "|": outside the cell, or running on past its line (pipeline.rules; a word without
    # letters or digits only: the boxes of the letters spaced() cuts are the recogniser's, too rough to tell a letter
    # from a rule's piece)
    words = [w for w in words if letters(w.text) or (overlaps(w.box, box) and not is_rule(w, image, box))]
    if words and len(words) > len(line.words) and _key(words) == _key(line.words):
        line.words = words
        line.box = union([box, *(w.box for w in words)])


def spaced(read: Sequence[tuple[Word, Sequence[Glyph]]]) -> list[Word]:
    """A line's words (Engine.read_line), each cut where a space Tesseract's recogniser left out stands ("13A" for
    "13 A"): where the gap between two of its characters is SPACE_GAP of the word's height or more and their
    centres stand PITCH times as far apart as the closest two characters of the line. Not beside a narrow
    character (one of NARROW_CHARACTERS, or inked under NARROW of the word's median character width): in tabular
    figures and typewriter type a "1", a "." or an "i" stands in a cell as wide as any other, white on both sides;
    and in typewriter type every two letters stand one pitch apart, however wide the white between them."""
    centres = [[(box.left + box.right) / 2 for _, box in glyphs] for _, glyphs in read]
    steps = [b - a for line in centres for a, b in itertools.pairwise(line) if b > a]
    pitch = min(steps, default=0.0)
    return [part for word, glyphs in read for part in _cut(word, glyphs, pitch)]


def _cut(word: Word, glyphs: Sequence[Glyph], pitch: float) -> list[Word]:
    if len(glyphs) < 2 or pitch <= 0 or "".join(g[0] for g in glyphs) != word.text:
        return [word]
    widths = sorted(box.width for _, box in glyphs)
    narrow = NARROW * widths[len(widths) // 2]
    gap = SPACE_GAP * word.box.height
    parts: list[list[Glyph]] = [[glyphs[0]]]
    for a, b in itertools.pairwise(glyphs):
        (_, left), (_, right) = a, b
        apart = (right.left + right.right - left.left - left.right) / 2
        wide = right.left - left.right >= gap and apart >= PITCH * pitch
        if wide and not _narrow(a, narrow) and not _narrow(b, narrow):
            parts.append([])
        parts[-1].append(b)
    if len(parts) == 1:
        return [word]
    top, bottom = word.box.top, word.box.bottom
    return [
        Word("".join(g[0] for g in part), Box(part[0][1].left, top, part[-1][1].right, bottom), word.confidence,
             word.font_size)
        for part in parts
    ]  # fmt: skip


def _narrow(glyph: Glyph, width: float) -> bool:
    return glyph[1].width < width or any(c in NARROW_CHARACTERS for c in glyph[0])


def _key(words: list[Word]) -> str:
    return "".join(letters(w.text) for w in words)
