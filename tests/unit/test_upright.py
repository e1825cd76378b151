"""Blocks Tesseract's layout takes for text set in vertical lines, on a page of horizontal text, read again as
horizontal lines (pipeline.engine Engine._read_upright), with the real engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from ocrmill.domain.document import Block, Box, Line, Paragraph, Word
from ocrmill.pipeline.engine import Engine
from ocrmill.pipeline.languages import tessdata_dir

SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FIGURES = ["46", "343", "80", "223"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(tessdata_dir(), ["eng"])


def _figures_page() -> tuple[Image.Image, Box]:
    """A column of short figures stacked one under the other at 300 dpi, as a table's column is, and its box."""
    image = Image.new("L", (600, 700), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(SANS), 42)
    for i, text in enumerate(FIGURES):
        draw.text((250, 150 + 75 * i), text, fill=0, font=font)
    return image, Box(245, 150, 330, 150 + 75 * len(FIGURES))


def _block(text: str, box: Box, confidence: float) -> Block:
    word = Word(text, box, confidence, 10)
    return Block(box=box, paragraphs=[Paragraph(box=box, lines=[Line(box=box, words=[word])])])


def test_a_column_of_figures_read_as_one_vertical_word_is_read_again_line_by_line(engine: Engine) -> None:
    image, box = _figures_page()
    block = _block("BYR", box, 66)  # table-15-11-bw (bench.layouts seed 15): four figures read so
    engine._read_upright(block, image, dpi=300, fast=False)
    lines = [[w.text for w in line.words] for para in block.paragraphs for line in para.lines]
    assert lines == [[text] for text in FIGURES]
    words = [w for para in block.paragraphs for line in para.lines for w in line.words]
    assert all(box.left - 10 <= w.box.left and w.box.right <= box.right + 10 for w in words)  # in page pixels
    assert [w.box.top for w in words] == sorted(w.box.top for w in words)
    assert words[0].box.top < 160 < words[-1].box.top


def test_text_set_on_its_side_keeps_its_first_reading(engine: Engine) -> None:
    """A word printed on its side (a form's margin note) reads as nothing sure across it: the first reading
    stays."""
    word = Image.new("L", (520, 90), 255)
    ImageDraw.Draw(word).text((10, 10), "Registered", fill=0, font=ImageFont.truetype(str(SANS), 56))
    image = Image.new("L", (600, 800), 255)
    image.paste(word.rotate(90, expand=True), (250, 100))
    box = Box(255, 100, 345, 620)
    block = _block("Registered", box, 93)
    engine._read_upright(block, image, dpi=300, fast=False)
    assert [w.text for para in block.paragraphs for line in para.lines for w in line.words] == ["Registered"]
