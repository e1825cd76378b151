"""pipeline.missed: which pages Tesseract may have missed, and how PP-OCR's words of such a page join it."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word
from ocrmill.pipeline.calibration import Calibration
from ocrmill.pipeline.missed import FEW_WORDS, joined, missed, outside

A5 = (1748, 2480)  # 300 dpi


def page_of(words: list[Word]) -> Page:
    box = Box(0, 0, A5[0], A5[1])
    blocks = [Block(box=box, paragraphs=[Paragraph(box=box, lines=[Line(box=box, words=words)])])] if words else []
    return Page(number=1, width=A5[0], height=A5[1], dpi=300, blocks=blocks)


def printed() -> Image.Image:
    image = Image.new("L", A5, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=40)
    for row in range(12):
        draw.text((150, 200 + 90 * row), "TOTAL SALES INCLUSIVE GST RM 4.70", font=font, fill=40)
    return image


def test_a_page_of_text_is_not_missed_whatever_its_pixels() -> None:
    words = [Word(f"word{i}", Box(10 * i, 10, 10 * i + 8, 20), 90.0) for i in range(FEW_WORDS)]
    assert not missed(page_of(words), Image.new("L", (1, 1), 255))  # not even looked at: one pixel, no ink


def test_a_page_with_print_and_few_words_is_missed_a_blank_one_is_not() -> None:
    assert missed(page_of([]), printed())
    assert missed(page_of([Word("-", Box(5, 5, 9, 9), 30.0), Word("ot", Box(20, 5, 40, 20), 20.0)]), printed())
    assert not missed(page_of([]), Image.new("L", A5, 255))


def test_only_words_outside_tesseracts_join_each_calibrated_by_the_map_in_a_block_of_its_own() -> None:
    tesseract = Word("RM", Box(100, 100, 160, 130), 80.0)
    page = page_of([tesseract])
    lines = [
        [Word("RM", Box(102, 98, 158, 132), 99.0), Word("4.70", Box(170, 98, 260, 132), 99.0)],
        [Word("MEGAH", Box(100, 300, 240, 340), 97.0)],
        [Word("R", Box(120, 110, 130, 120), 50.0)],  # inside Tesseract's word: its line is left out
    ]
    kept = outside(lines, [tesseract.box])
    assert [[w.text for w in line] for line in kept] == [["4.70"], ["MEGAH"]]

    table = Calibration(short=((0.0, 0.0), (100.0, 50.0)), long=((0.0, 0.0), (100.0, 80.0)))
    joined(page, kept, table)
    assert [w.text for w in page.words()] == ["RM", "4.70", "MEGAH"]
    assert [w.confidence for w in page.words()] == [80.0, table.of(99.0, "4.70"), table.of(97.0, "MEGAH")]
    assert len(page.blocks) == 3 and page.blocks[2].box == Box(100, 300, 240, 340)
