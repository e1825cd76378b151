"""pipeline.unread: ink outside the words read is read as a line and joins the page, unless what it reads lies on a
word read already and holds that word's letters (the run's crop took in some of the word)."""

from __future__ import annotations

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
