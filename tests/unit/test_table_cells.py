"""pipeline.tables.spaced: a space Tesseract's recogniser left out is put back where the characters stand a space
apart, and nowhere else (tabular figures, typewriter type); domain.layout.in_reading_order: a table's cells as lines
row by row."""

from __future__ import annotations

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word
from ocrmill.domain.layout import in_reading_order
from ocrmill.pipeline.engine import Glyph
from ocrmill.pipeline.tables import spaced


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
