"""PP-OCR (pipeline.lines): the CTC decoding, DB's boxes and corner order on made-up arrays, and the real
networks on rendered text and on a SROIE receipt, with each word's box where the word was drawn."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word
from ocrmill.pipeline.invoice_page import mapped_page, quarter_turn
from ocrmill.pipeline.lines import ctc_decode, db_boxes, line_reader, order_corners
from tests.harness import DATA

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
KEYS = ["<blank>", "a", "b", "c", " "]


def _steps(classes: list[int], sure: float = 0.9) -> np.ndarray:
    out = np.full((len(classes), len(KEYS)), (1 - sure) / (len(KEYS) - 1), np.float32)
    for t, k in enumerate(classes):
        out[t, k] = sure
    return out


def test_ctc_collapses_repeats_and_keeps_blank_separated_doubles() -> None:
    chars = ctc_decode(_steps([0, 1, 1, 0, 1, 2, 2, 4, 3, 0]), KEYS)
    assert "".join(c for c, *_ in chars) == "aab c"
    assert [(first, last) for _, first, last, _ in chars] == [(1, 2), (4, 4), (5, 6), (7, 7), (8, 8)]
    assert all(abs(p - 0.9) < 1e-6 for *_, p in chars)


def test_ctc_of_only_blanks_is_empty() -> None:
    assert ctc_decode(_steps([0, 0, 0]), KEYS) == []


def test_corners_run_clockwise_from_the_top_left() -> None:
    points = np.array([[50, 30], [10, 12], [48, 10], [12, 32]], np.float32)
    assert order_corners(points).tolist() == [[10, 12], [48, 10], [50, 30], [12, 32]]


def test_db_boxes_grow_each_region_and_scale_it_to_the_page() -> None:
    probability = np.zeros((64, 128), np.float32)
    probability[10:20, 10:60] = 0.9  # a line
    probability[40:50, 20:100] = 0.9  # another
    probability[30:32, 5:8] = 0.9  # too small
    probability[54:60, 100:120] = 0.4  # too unsure: under DET_THRESHOLD
    boxes = db_boxes(probability, 2.0, 2.0)
    assert len(boxes) == 2
    for box, (left, top, right, bottom) in zip(
        sorted(boxes, key=lambda b: float(b[:, 1].min())), [(10, 10, 59, 19), (20, 40, 99, 49)], strict=True
    ):
        # the region's rectangle runs through its outer pixels' centres; it grows by area x 1.5 / perimeter
        w, h = right - left, bottom - top
        grow = w * h * 1.5 / (2 * (w + h))
        xs, ys = box[:, 0] / 2, box[:, 1] / 2
        assert np.allclose([xs.min(), ys.min()], [left - grow, top - grow], atol=0.5)
        assert np.allclose([xs.max(), ys.max()], [right + grow, bottom + grow], atol=0.5)


def _rendered(lines: list[tuple[str, tuple[int, int]]]) -> tuple[np.ndarray, dict[str, Box]]:
    image = Image.new("RGB", (900, 300), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 30)
    boxes = {}
    for text, (x, y) in lines:
        draw.text((x, y), text, fill="black", font=font)
        for word in text.split():
            left, top, right, bottom = draw.textbbox(
                (x + draw.textlength(text[: text.index(word)], font=font), y), word, font=font
            )
            boxes[word] = Box(round(left), round(top), round(right), round(bottom))
    return np.asarray(image), boxes


def test_reads_rendered_lines_with_a_box_for_each_word() -> None:
    image, drawn = _rendered([("Invoice number 4711", (40, 40)), ("Total amount 1234.50 EUR", (300, 180))])
    page = line_reader().read(image, dpi=300, number=3, source_index=2)
    assert (page.number, page.source_index, page.width, page.height) == (3, 2, 900, 300)
    read = {w.text: w for w in page.words()}
    assert set(read) == set(drawn)
    for text, box in drawn.items():
        found = read[text].box
        middle_x, middle_y = (found.left + found.right) / 2, (found.top + found.bottom) / 2
        assert box.left - 4 <= middle_x <= box.right + 4 and box.top - 4 <= middle_y <= box.bottom + 4, text
        assert found.width < 1.6 * box.width + 12, text
        assert 80 < read[text].confidence <= 100
    assert [line.words[0].text for block in page.blocks for para in block.paragraphs for line in para.lines] == [
        "Invoice",
        "Total",
    ]


def test_reads_a_scanned_receipt() -> None:
    """SROIE 004's head, where Tesseract reads badly: company, address and total are in the reading."""
    path = DATA / "receipts-sroie" / "img" / "004.jpg"
    truth = json.loads((DATA / "receipts-sroie" / "key" / "004.json").read_text())
    page = line_reader().read(np.asarray(Image.open(path).convert("RGB")), dpi=200, number=1)
    text = "".join(ch for ch in page.text().casefold() if ch.isalnum())
    assert "kawasanperindustrianbalakong" in text
    assert "".join(ch for ch in truth["total"] if ch.isalnum()) in text


def test_an_empty_page_has_no_words() -> None:
    assert line_reader().read(np.full((200, 300), 255, np.uint8), dpi=300, number=1).words() == []


@pytest.mark.parametrize("degrees", [0, 90, 270])
def test_mapped_page_takes_every_box_through_the_matrix(degrees: int) -> None:
    word = Word("x", Box(10, 20, 30, 25), 90.0)
    line = Line(Box(10, 20, 30, 25), [word])
    page = Page(1, 100, 50, 300, [Block(Box(10, 20, 30, 25), [Paragraph(Box(10, 20, 30, 25), [line])])])
    matrix = np.diag([2.0, 2.0, 1.0]) @ quarter_turn(degrees, (50, 100))
    out = mapped_page(page, matrix, (7, 9))
    corners = np.array([[10, 20, 1], [30, 20, 1], [10, 25, 1], [30, 25, 1]]) @ matrix.T
    want = Box(*map(round, (corners[:, 0].min(), corners[:, 1].min(), corners[:, 0].max(), corners[:, 1].max())))
    boxes = {out.blocks[0].box, out.blocks[0].paragraphs[0].box, out.blocks[0].paragraphs[0].lines[0].box}
    assert boxes == {want} and out.words()[0].box == want
    assert (out.width, out.height, out.words()[0].text) == (7, 9, "x")
    assert page.words()[0].box == Box(10, 20, 30, 25)  # the reading itself is left as it was
