"""What writing systems need of the text (domain.scripts, pipeline.unspaced) and the PDF text layer's characters
beyond the BMP, read back by poppler."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from ocrmill.domain.document import Block, Box, Document, Line, Page, Paragraph, Word
from ocrmill.domain.options import JobOptions
from ocrmill.domain.scripts import join_words, joins, plain_latin, reordered, right_to_left, spaced
from ocrmill.pipeline.unspaced import even_out
from ocrmill.writers.base import PageBase, WriteContext
from ocrmill.writers.pdf import PdfWriter
from tests.consumers import pdftotext


def test_chinese_and_japanese_words_join_without_spaces_others_with() -> None:
    assert join_words(["我们", "的", "工厂", "。"]) == "我们的工厂。"
    assert join_words(["東京", "は", "Tokyo", "です"]) == "東京は Tokyo です"
    assert join_words(["서울은", "큰", "도시입니다."]) == "서울은 큰 도시입니다."  # Korean has spaces
    assert join_words(["a", "", "b"]) == "a b"
    assert not spaced("的", "工") and spaced("的", "x") and spaced("word", "word")


@pytest.mark.parametrize(
    ("visual", "logical"),
    [
        ("ابحرم", "مرحبا"),  # Arabic letters reversed
        ("םולש", "שלום"),
        ("2024 הנש", "שנה 2024"),  # digits keep their order inside a right-to-left word
        ("PDF-ב", "ב-PDF"),
        ("Tesseract", "Tesseract"),  # nothing right to left: unchanged
        ("\u05d0\u05b8\u05d1", "\u05d1\u05d0\u05b8"),  # a combining mark stays after its letter
    ],
)
def test_right_to_left_words_turn_between_visual_and_logical_order(visual: str, logical: str) -> None:
    assert reordered(visual) == logical
    assert reordered(logical) == visual  # the same turn both ways


def test_paragraph_direction_is_its_first_strong_character() -> None:
    assert right_to_left("2024 שנה טובה") and right_to_left("«مرحبا» PDF")
    assert not right_to_left("PDF מסמך") and not right_to_left("123") and not right_to_left("")


def test_korean_syllables_join_but_cjk_and_rtl_pieces_do_not() -> None:
    assert joins("서", "울은") and joins("ab", "c")
    assert not joins("我", "们") and not joins("מ", "לה") and not joins("", "a")


def test_cjk_word_boxes_are_shared_along_the_line_and_across_a_vertical_one() -> None:
    # Tesseract's boxes: overlapping and out of proportion; the line is 100..772 (14 full-width cells of 48 px)
    line = Line(Box(100, 110, 772, 160))
    line.words = [
        Word(t, Box(b, 110, e, 160), 90) for t, b, e in [("我们", 102, 300), ("的", 200, 213), ("A4", 218, 241)]
    ]
    even_out(line)
    assert [(w.box.left, w.box.right) for w in line.words] == [
        (100, 399),
        (399, 548),
        (623, 772),
    ]  # cells: 2, 1, a half for the space, 2 halves
    vertical = Line(
        Box(1500, 100, 1548, 400),
        [Word("東京", Box(1500, 100, 1548, 300), 90), Word("は", Box(1500, 250, 1548, 400), 90)],
    )
    even_out(vertical)
    assert [(w.box.top, w.box.bottom) for w in vertical.words] == [(100, 300), (300, 400)]
    latin = Line(Box(0, 0, 100, 20), [Word("plain", Box(3, 0, 50, 20), 90)])
    even_out(latin)
    assert latin.words[0].box == Box(3, 0, 50, 20)  # no unspaced script: Tesseract's boxes stay


def test_characters_beyond_the_bmp_read_back_from_the_text_layer(tmp_path: Path) -> None:
    """CJK extension B ideographs and a mathematical letter: one code each in the text layer, named by the font's
    ToUnicode map, so pdftotext gives the characters themselves (not U+FFFD)."""
    words = ["\U00020000\U0002a6d6", "\U0001d400x", "\U00020000"]
    page = Page(number=1, width=1000, height=400, dpi=300)
    boxes = [Box(100, 100, 300, 160), Box(400, 100, 600, 160), Box(700, 100, 800, 160)]
    line = Line(Box(100, 100, 800, 160), [Word(t, b, 95) for t, b in zip(words, boxes, strict=True)])
    page.blocks = [Block(line.box, [Paragraph(line.box, [line])])]
    image = tmp_path / "page.pdf"
    with pikepdf.new() as blank:
        blank.add_blank_page(page_size=(240, 96))
        blank.save(image)
    doc = Document([page])
    ctx = WriteContext(options=JobOptions(PdfOutput=True), work_dir=tmp_path, bases=[PageBase(image, 0)], doc=doc)
    target = tmp_path / "out.pdf"
    PdfWriter().write(doc, ctx, target)
    text = pdftotext(target)
    assert text.split() == ["\U00020000\U0002a6d6", "\U0001d400x", "\U00020000"], text


@pytest.mark.parametrize(
    ("read", "plain"),
    [
        ("Simpàng", "Simpang"),
        ("NANÚING", "NANUING"),
        ("Lapängan,", "Lapangan,"),
        ("Straße", "Straße"),  # a letter of its own, no accent on a plain one
        ("한국어", "한국어"),  # Hangul decomposes in NFD: other scripts are left alone
        ("€5.00", "€5.00"),
        ("ROTI", "ROTI"),
    ],
)
def test_plain_latin_takes_the_accents_off_latin_letters_only(read: str, plain: str) -> None:
    assert plain_latin(read) == plain
