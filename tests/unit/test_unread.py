"""pipeline.unread: ink outside the words read is read as a line and joins the page, unless what it reads lies on a
word read already and holds that word's letters (the run's crop took in some of the word)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from ocrmill.domain.document import Box, Page, Word, line_block
from ocrmill.pipeline.engine import Glyph
from ocrmill.pipeline.unread import read_unread

WORD = Box(400, 300, 600, 330)  # "23/02/2010", read
MARK = Box(370, 300, 392, 330)  # ink beside it the first reading left out: a corner of rules, or a word


class _Reader:
    """Engine.read_line's stand-in: reads every crop as `text`, a word as big as the crop."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.crops: list[tuple[int, int]] = []

    def read_line(self, image: Image.Image, *, dpi: float) -> list[tuple[Word, list[Glyph]]]:
        self.crops.append(image.size)
        return [(Word(self.text, Box(0, 0, image.width, image.height), 90.0), [])]


def _page() -> tuple[Page, Image.Image]:
    image = Image.new("L", (700, 400), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((WORD.left, WORD.top, WORD.right - 1, WORD.bottom - 1), fill=0)
    draw.rectangle((MARK.left, MARK.top, MARK.right - 1, MARK.bottom - 1), fill=0)
    return Page(number=1, width=700, height=400, dpi=300, blocks=[line_block([Word("23/02/2010", WORD, 96.0)])]), image


def test_ink_left_out_is_read_and_joins_the_page() -> None:
    page, image = _page()
    reader = _Reader("Total")
    read_unread(page, image, reader)  # type: ignore[arg-type]
    assert len(reader.crops) == 1
    assert [w.text for w in page.words()] == ["23/02/2010", "Total"]


def test_a_word_read_again_from_a_crop_that_takes_in_some_of_it_is_not_added() -> None:
    page, image = _page()
    reader = _Reader("23")  # the crop, padded, reaches into the figures beside it
    read_unread(page, image, reader)  # type: ignore[arg-type]
    assert len(reader.crops) == 1
    assert [w.text for w in page.words()] == ["23/02/2010"]


def _a4_with_figures_left_out(*, specks: bool = False, lone: bool = False) -> tuple[Page, Image.Image]:
    """An A4 page at 300 dpi of lines read, and beside them two short figures the first reading left out (marks of
    a letter's size, far less ink than a thousandth of the page), or one such mark alone, or a few specks."""
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    words = []
    for i in range(20):
        box = Box(300, 400 + 100 * i, 1500, 435 + 100 * i)
        draw.rectangle((box.left, box.top, box.right - 1, box.bottom - 1), fill=0)
        words.append(Word(f"line{i}", box, 96.0))
    if specks:
        for x in range(1800, 2000, 50):
            draw.rectangle((x, 500, x + 2, 502), fill=0)
    elif lone:
        draw.rectangle((1800, 500, 1819, 534), fill=0)  # one letter-sized mark
    else:
        for top in (500, 600):  # "48" and "465" in a column of their own: digits 4 px strokes, 35 px tall
            for left in (1800, 1830, 1860):
                draw.rectangle((left, top, left + 4, top + 34), fill=0)
    return Page(number=1, width=2480, height=3508, dpi=300, blocks=[line_block(words)]), image


def test_a_few_figures_left_out_of_a_page_are_read_however_little_ink_they_are() -> None:
    page, image = _a4_with_figures_left_out()
    reader = _Reader("48")
    read_unread(page, image, reader)  # type: ignore[arg-type]
    assert len(reader.crops) == 2
    assert [w.text for w in page.words()][-2:] == ["48", "48"]


def test_a_few_specks_beside_a_pages_words_are_not_looked_at(monkeypatch: pytest.MonkeyPatch) -> None:
    """Less ink outside the words than fills one small letter's square costs no look with OpenCV."""
    import cv2

    def looked(*args: object, **kwargs: object) -> None:
        raise AssertionError("OpenCV looked at the page")

    monkeypatch.setattr(cv2, "connectedComponentsWithStats", looked)
    page, image = _a4_with_figures_left_out(specks=True)
    reader = _Reader("48")
    read_unread(page, image, reader)  # type: ignore[arg-type]
    assert reader.crops == []
    assert len(page.words()) == 20


def test_a_lone_mark_beside_a_pages_words_is_not_read() -> None:
    """One letter-sized mark on a page with little ink outside its words is likelier a speck or a piece of a letter
    than text left out: not read (on a page with much ink outside its words, test_ink_left_out_is_read_and_joins_the
    _page, it is)."""
    page, image = _a4_with_figures_left_out(lone=True)
    reader = _Reader("1")
    read_unread(page, image, reader)  # type: ignore[arg-type]
    assert reader.crops == []
