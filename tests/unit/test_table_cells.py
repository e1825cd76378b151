"""pipeline.tables.spaced: a space Tesseract's recogniser left out is put back where the characters stand a space
apart, and nowhere else (tabular figures, typewriter type); domain.layout.in_reading_order: a table's cells as lines
row by row."""

from __future__ import annotations

from PIL import Image

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word, union
from ocrmill.domain.layout import in_reading_order
from ocrmill.pipeline.engine import Glyph
from ocrmill.pipeline.tables import read_in_order, spaced


def glyphs(text: str, lefts: list[int], width: int = 18, top: int = 100, bottom: int = 130) -> list[Glyph]:
    return [(c, Box(x, top, x + (6 if c in "1." else width), bottom)) for c, x in zip(text, lefts, strict=True)]


def word(text: str, marks: list[Glyph]) -> Word:
    return Word(text, Box(marks[0][1].left, 100, marks[-1][1].right, 130), 90.0, 10.0)


def test_a_wide_gap_between_a_figure_and_a_letter_is_a_space() -> None:
    marks = glyphs("13A", [106, 120, 152])  # 3 ends at 138, A starts 14 px (half the height) on, 1.6 pitches
    assert [w.text for w in spaced([(word("13A", marks), marks)])] == ["13", "A"]


def test_a_narrow_figure_in_its_wide_cell_is_no_space() -> None:
    marks = glyphs("2019", [100, 120, 146, 160])  # the 1 is inked 6 px wide in the middle of its 20 px cell
    assert [w.text for w in spaced([(word("2019", marks), marks)])] == ["2019"]


def test_typewriter_letters_an_even_pitch_apart_are_one_word() -> None:
    marks = glyphs("was", [100, 130, 160], width=16)  # 14 px of white between letters, but every pitch alike
    assert [w.text for w in spaced([(word("was", marks), marks)])] == ["was"]


def _line(texts: list[str], left: int, top: int) -> Line:
    words, x = [], left
    for text in texts:
        words.append(Word(text, Box(x, top, x + 30 * len(text), top + 30), 90.0, 10.0))
        x += 30 * len(text) + 300
    return Line(Box(left, top, x, top + 30), words)


def test_a_tables_cells_become_lines_row_by_row() -> None:
    rows = [["Part", "Code", "Price"]] + [[str(n), f"{n}A", f"{n}.50"] for n in range(1, 6)]
    lines = [_line(row, 200, 300 + 50 * i) for i, row in enumerate(rows)]
    box = Box(200, 300, 2000, 600)
    page = Page(number=1, width=2480, height=3508, dpi=300.0, blocks=[Block(box, [Paragraph(box, lines)])])
    in_reading_order(page)
    table = [b for b in page.blocks if b.kind == "table"]
    assert len(table) == 1
    assert [[ln.text() for ln in row.lines] for row in table[0].paragraphs] == rows


class _Cells:
    """Engine.read_line's stand-in: the table's cells read again, in turn, as the words given (no glyphs: not cut)."""

    def __init__(self, *readings: list[str]) -> None:
        self.readings = list(readings)

    def read_line(self, image: Image.Image, *, dpi: float) -> list[tuple[Word, list[Glyph]]]:
        texts = self.readings.pop(0)
        return [(Word(t, Box(10 + 100 * i, 5, 90 + 100 * i, 35), 90.0), []) for i, t in enumerate(texts)]


def test_a_cell_read_again_puts_back_spaces_but_takes_none_out() -> None:
    """Tesseract loses spaces across a table's row ("13A"), and reading the cell alone puts them back. Where the
    row's first reading has a space the cell's reading lacks ("all in for" read "allin for"), it saw the space with
    the row's wide gaps beside it: the first reading stays."""
    rows = [["all in for", "12", "3.50"], ["13A", "14", "4.50"], ["17", "18", "5.50"], ["19", "20", "6.50"]]
    lines = []
    for i, row in enumerate(rows):
        top, x, words = 300 + 50 * i, 200, []
        for cell in row:
            for text in cell.split():
                words.append(Word(text, Box(x, top, x + 30 * len(text), top + 30), 90.0, 10.0))
                x += 30 * len(text) + 12
            x += 300
        lines.append(Line(union(w.box for w in words), words))
    box = union(ln.box for ln in lines)
    page = Page(number=1, width=2480, height=3508, dpi=300.0, blocks=[Block(box, [Paragraph(box, lines)])])
    engine = _Cells(["allin", "for"], ["13", "A"])
    read_in_order(page, Image.new("L", (2480, 3508), 255), engine)  # type: ignore[arg-type]
    assert not engine.readings  # both word cells were read again, the figures not
    (table,) = [b for b in page.blocks if b.kind == "table"]
    cells = [[ln.text() for ln in row.lines] for row in table.paragraphs]
    assert cells[:2] == [["all in for", "12", "3.50"], ["13 A", "14", "4.50"]]
