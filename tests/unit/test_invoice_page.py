"""The mapping from the recognised raster back to the page image the client gave (word boxes over it)."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from ocrmill.domain.document import Box, Page, Word
from ocrmill.errors import EngineError
from ocrmill.pipeline import invoice_page
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.invoice_page import (
    MAX_TEXT_PX,
    TARGET_TEXT_PX,
    Preprocessing,
    RecognisedPage,
    _read_lines,
    enlargement,
    line_glyphs,
    measured,
    open_page_image,
    quarter_turn,
    recognise_page,
    rotation,
    text_height,
    without_surround,
)
from ocrmill.pipeline.languages import tessdata_dir
from ocrmill.pipeline.lines import line_reader
from tests.documents import hand_page
from tests.harness import DATA


def _mark(shape: tuple[int, int], x: int, y: int) -> np.ndarray:
    image = np.full(shape, 255, np.uint8)
    image[y - 3 : y + 4, x - 3 : x + 4] = 0
    return image


def _where(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(image < 128)
    return float(xs.mean()), float(ys.mean())


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_quarter_turns_map_like_rot90(degrees: int) -> None:
    source = _mark((300, 200), 40, 250)
    turned = np.rot90(source, k=-degrees // 90)
    x, y, _ = quarter_turn(degrees, source.shape) @ np.array([40.0, 250.0, 1.0])
    found = _where(turned)
    assert abs(found[0] - x) <= 1.5 and abs(found[1] - y) <= 1.5


@pytest.mark.parametrize("skew", [-7.5, 2.0, 12.0])
def test_deskew_rotation_maps_like_warp_affine(skew: float) -> None:
    """Built as geometry.deskew builds its matrix (turn about the centre, canvas grown)."""
    source = _mark((400, 300), 60, 320)
    height, width = source.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -skew, 1.0)
    cos, sin = abs(np.cos(np.radians(skew))), abs(np.sin(np.radians(skew)))
    size = (int(np.ceil(width * cos + height * sin)), int(np.ceil(width * sin + height * cos)))
    matrix[0, 2] += (size[0] - width) / 2
    matrix[1, 2] += (size[1] - height) / 2
    out = cv2.warpAffine(source, matrix, size, borderValue=255)
    x, y, _ = rotation(skew, source.shape, out.shape) @ np.array([60.0, 320.0, 1.0])
    found = _where(out)
    assert abs(found[0] - x) <= 1.5 and abs(found[1] - y) <= 1.5


def test_source_box_undoes_enlargement_and_turn() -> None:
    """Enlarged and turned: a box around the mark in the processed raster maps back onto the mark."""
    source = _mark((600, 400), 100, 450)
    enlarged = cv2.resize(source, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    forward = np.diag([2.0, 2.0, 1.0])
    turned = np.ascontiguousarray(np.rot90(enlarged, k=-1))
    forward = quarter_turn(90, enlarged.shape) @ forward
    page = RecognisedPage(
        page=None,  # type: ignore[arg-type]
        image=None,  # type: ignore[arg-type]
        dpi=300,
        preprocessing=Preprocessing(),
        to_source=np.linalg.inv(forward).astype(np.float64),
    )
    x, y = _where(turned)
    mapped = page.source_box(Box(round(x) - 4, round(y) - 4, round(x) + 4, round(y) + 4))
    assert mapped.left <= 100 <= mapped.right and mapped.top <= 450 <= mapped.bottom
    assert mapped.width <= 6 and mapped.height <= 6


def test_text_is_brought_to_the_target_height_from_either_side() -> None:
    assert enlargement(15.0, 500, 150) == pytest.approx(TARGET_TEXT_PX / 15.0)
    assert enlargement(35.0, 500, 600) == 1.0
    assert enlargement(60.0, 500, 600) == pytest.approx(TARGET_TEXT_PX / 60.0)
    assert enlargement(MAX_TEXT_PX, 500, 600) == 1.0
    assert enlargement(60.0, 20, 600) == 1.0  # too few glyphs to trust: by the dpi, which is fine enough


def _lines_of_capitals(specks: int) -> np.ndarray:
    """A white page with eight lines of capitals about 35 px high, and `specks` dots 5 to 11 px across."""
    page = np.full((1400, 1200), 255, np.uint8)
    for line in range(8):
        cv2.putText(page, "RECEIPT TOTAL AMOUNT PAID", (40, 120 + 150 * line), cv2.FONT_HERSHEY_SIMPLEX, 1.7, 0, 4)
    rng = np.random.default_rng(5)
    for _ in range(specks):
        x, y, r = int(rng.integers(0, 1200)), int(rng.integers(0, 1400)), int(rng.integers(2, 6))
        cv2.circle(page, (x, y), r, 0, -1)
    return page


def test_specks_as_many_as_the_letters_do_not_shrink_the_measured_text() -> None:
    """The median of every glyph is the specks' size when they outnumber the letters; the glyphs that stand
    in a line beside others of their height measure the print. A clean page measures as before."""
    clean_height, clean_glyphs = text_height(_lines_of_capitals(0))
    assert 30 <= clean_height <= 40 and clean_glyphs >= 150
    speckled = _lines_of_capitals(1500)
    _, ink = cv2.threshold(speckled, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    assert np.median(stats[1:, cv2.CC_STAT_HEIGHT]) < 15  # what the plain median would say
    height, glyphs = text_height(speckled)
    assert height == pytest.approx(clean_height, rel=0.15) and glyphs >= 100


def test_a_page_of_nothing_but_specks_is_not_compared_pair_by_pair() -> None:
    """Glyphs so dense that their pairs on a line would take gigabytes are not compared: none is in a line,
    and the page keeps the median of all."""
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 5000, 200_000).astype(np.int32), rng.integers(0, 40_000, 200_000).astype(np.int32)
    sizes = np.full(200_000, 5, np.int32)
    assert not line_glyphs(x, y, sizes, sizes).any()
    assert line_glyphs(x[:2000], y[:2000], sizes[:2000], sizes[:2000]).any()  # fewer: compared


def test_a_specked_600_dpi_scan_is_reduced_not_enlarged() -> None:
    """A receipt scanned at 600 dpi with the scanner's dust all over it: its 50-odd-px print measured 17 px,
    and the 35-Mpx page was enlarged 1.8 times; it is reduced."""
    large, dpi, _ = open_page_image((DATA / "receipts-sroie-train" / "img" / "298.jpg").read_bytes(), max_pixels=1e9)
    height, glyphs = text_height(np.asarray(large.convert("L")))
    assert height > MAX_TEXT_PX and enlargement(height, glyphs, dpi) < 0.7


def test_a_receipt_scanned_at_600_dpi_is_read_reduced_and_its_words_land_on_the_source() -> None:
    """A receipt on an A4 scan at 600 dpi (35 Mpx, text about 50 px high) is read at the target text height,
    and its words' boxes map back onto the print of the scan."""
    large, dpi, _ = open_page_image((DATA / "receipts-sroie-train" / "img" / "289.jpg").read_bytes(), max_pixels=1e9)
    tessdata = tessdata_dir(None)
    seen = recognise_page(large, dpi, engines=EnginePool(tessdata), langs=["eng"], number=1, tessdata=tessdata)
    assert seen.image.width < 0.7 * large.width and seen.dpi < 0.7 * dpi
    words = [w for w in seen.page.words() if len(w.text) >= 4 and w.text.isalpha()]
    assert len(words) >= 20
    ink = np.asarray(large.convert("L")) < 128
    for word in words:
        box = seen.source_box(word.box)
        assert 0 <= box.left < box.right <= large.width and 0 <= box.top < box.bottom <= large.height
        assert ink[box.top : box.bottom, box.left : box.right].mean() > 0.05  # on the print, not beside it


@pytest.mark.parametrize("name", ["phototest-rotated-180.png", "phototest-rotated-L.png"])
def test_a_turned_page_is_read_upright_and_its_boxes_land_on_the_turned_image(name: str) -> None:
    """Upside down, Tesseract reads garbage; sideways, it reads tall word boxes: either way OSD's turn is tried
    and kept because it reads better."""
    path = DATA / "ocr-tesseract-test" / name
    image, dpi, _ = open_page_image(path.read_bytes(), max_pixels=1e9)
    tessdata = tessdata_dir(None)
    seen = recognise_page(image, dpi, engines=EnginePool(tessdata), langs=["eng"], number=1, tessdata=tessdata)
    assert "quick brown dog" in " ".join(seen.page.text().split())
    assert seen.preprocessing.rotation_angle % 90 == pytest.approx(0, abs=1) and seen.preprocessing.rotation_angle
    for word in seen.page.words()[:20]:
        box = seen.source_box(word.box)
        assert 0 <= box.left < box.right <= image.width + 2 and 0 <= box.top < box.bottom <= image.height + 2
        if len(word.text) >= 5:  # a long word lies across the text lines of the turned image
            sideways = name.endswith("-L.png")
            assert (box.height > box.width) == sideways


def test_a_sideways_page_that_tesseract_reads_in_tall_boxes_is_turned() -> None:
    """A clean invoice turned a quarter: Tesseract reads it confidently, but in tall word boxes."""
    pdf = pdfium.PdfDocument(DATA / "invoices-zugferd" / "EN16931_Einfach.pdf")
    try:
        image = pdf[0].render(scale=200 / 72, grayscale=True).to_pil().rotate(-90, expand=True)
    finally:
        pdf.close()
    tessdata = tessdata_dir(None)
    seen = recognise_page(image, 200, engines=EnginePool(tessdata), langs=["deu"], number=1, tessdata=tessdata)
    assert seen.preprocessing.rotation_angle == pytest.approx(270, abs=1)
    words = [w for w in seen.page.words() if len(w.text) >= 5]
    assert sum(w.box.width > w.box.height for w in words) > 0.9 * len(words)


def _near(a: Box, b: Box) -> bool:
    """Whether two boxes of one word overlap by half the smaller one."""
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    smaller = min(a.width * a.height, b.width * b.height)
    return width > 0 and height > 0 and width * height >= 0.5 * smaller


def _common_words(one: list[Word], other: list[Word]) -> list[tuple[Word, Word]]:
    """Words of five letters or more that occur once in each reading, paired."""

    def once(words: list[Word]) -> dict[str, Word]:
        counts: dict[str, int] = {}
        for w in words:
            counts[w.text] = counts.get(w.text, 0) + 1
        return {w.text: w for w in words if len(w.text) >= 5 and counts[w.text] == 1}

    mine, theirs = once(one), once(other)
    return [(mine[t], theirs[t]) for t in mine.keys() & theirs.keys()]


def test_an_unsure_receipt_is_read_twice_in_one_raster() -> None:
    """SROIE 004 is enlarged for Tesseract; PP-OCR reads it at its own size, and its words come back in the
    enlarged raster's pixels, on the same words as Tesseract's."""
    image, dpi, _ = open_page_image((DATA / "receipts-sroie" / "img" / "004.jpg").read_bytes(), max_pixels=1e9)
    tessdata = tessdata_dir(None)
    seen = recognise_page(image, dpi, engines=EnginePool(tessdata), langs=["eng"], number=1, tessdata=tessdata)
    assert seen.preprocessing.enhanced and len(seen.alternates) == 1
    lines = seen.alternates[0]
    assert (lines.width, lines.height) == seen.image.size
    pairs = _common_words(seen.page.words(), lines.words())
    assert len(pairs) >= 8
    assert sum(_near(a.box, b.box) for a, b in pairs) >= 0.8 * len(pairs)


def test_a_receipt_tesseract_reads_no_word_of_is_read_by_pp_ocr() -> None:
    """SROIE 278, faint dot-matrix print: Tesseract, even on the enhanced raster, reads no word of it; PP-OCR's
    reading is then the page's only source of text (its total, its date), so it is read so."""
    image, dpi, _ = open_page_image((DATA / "receipts-sroie" / "img" / "278.jpg").read_bytes(), max_pixels=1e9)
    tessdata = tessdata_dir(None)
    seen = recognise_page(image, dpi, engines=EnginePool(tessdata), langs=["eng"], number=1, tessdata=tessdata)
    assert not [w for w in seen.page.words() if any(c.isalnum() for c in w.text)]
    assert len(seen.alternates) == 1
    text = " ".join(w.text for w in seen.alternates[0].words())
    assert len(seen.alternates[0].words()) >= 40 and "Selangor" in text, text


def test_pp_ocr_words_of_a_turned_page_land_in_the_upright_raster() -> None:
    """The page as given lies sideways; PP-OCR reads it turned upright, and `forward` (here the quarter turn
    alone) takes its words into the upright raster, where a reading of the upright image has them."""
    upright = Image.open(DATA / "receipts-sroie" / "img" / "004.jpg").convert("RGB")
    sideways = upright.rotate(90, expand=True)  # counter-clockwise: the page needs a 90° clockwise turn
    forward = quarter_turn(90, np.asarray(sideways).shape)
    mapped = _read_lines(sideways, 90, forward, upright.size, dpi=200, number=1)
    direct = line_reader().read(np.asarray(upright), dpi=200, number=1)
    pairs = _common_words(mapped.words(), direct.words())
    assert len(pairs) >= 8
    assert all(_near(a.box, b.box) for a, b in pairs)


def test_a_failing_second_recogniser_leaves_the_page_to_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise EngineError("PP-OCR failed: out of memory")

    monkeypatch.setattr("ocrmill.pipeline.lines.line_reader", broken)
    image, dpi, _ = open_page_image((DATA / "receipts-sroie" / "img" / "004.jpg").read_bytes(), max_pixels=1e9)
    tessdata = tessdata_dir(None)
    seen = recognise_page(image, dpi, engines=EnginePool(tessdata), langs=["eng"], number=1, tessdata=tessdata)
    assert seen.alternates == [] and seen.page.words()


def test_a_receipt_photographed_on_a_dark_table_is_read_without_the_table() -> None:
    """The dark surround took the threshold: the print was not measured, and Tesseract read no word at all.
    Painted in the paper's colour, the receipt reads."""
    path = DATA / "receipts-sroie-train" / "img" / "415.jpg"
    image, dpi, _ = open_page_image(path.read_bytes(), max_pixels=1e9)
    gray = np.asarray(image.convert("L"))
    page, height, glyphs, cleared = without_surround(gray, dpi)
    assert cleared and page.shape == gray.shape and measured(height, glyphs)
    tessdata = tessdata_dir(None)
    seen = recognise_page(image, dpi, engines=EnginePool(tessdata), langs=["eng"], number=1, tessdata=tessdata)
    assert seen.preprocessing.enhanced and len(seen.page.words()) >= 60


def test_a_dark_band_printed_on_the_page_keeps_its_white_text() -> None:
    """A footer printed full-bleed in grey with white words is a border by its shape, but it does not hide the
    print (the text measures the same with and without it): it is left as it is."""
    pdf = pdfium.PdfDocument(DATA / "invoices-invoice2data" / "coolblue1.pdf")
    try:
        gray = np.asarray(pdf[0].render(scale=300 / 72, grayscale=True).to_pil().convert("L"))
    finally:
        pdf.close()
    page, _, _, cleared = without_surround(gray, 300)
    assert not cleared and page is gray


def test_a_receipt_is_read_in_english_alone_and_a_german_invoice_in_every_language() -> None:
    """The invoice languages are eng+deu+fra: a Malaysian receipt shows no German or French words and keeps
    its English reading; a German invoice page read in English shows them and is read again in all three."""
    tessdata = tessdata_dir(None)
    engines, langs = EnginePool(tessdata), ["eng", "deu", "fra"]
    receipt, dpi, _ = open_page_image((DATA / "receipts-sroie" / "img" / "004.jpg").read_bytes(), max_pixels=1e9)
    seen = recognise_page(receipt, dpi, engines=engines, langs=langs, number=1, tessdata=tessdata)
    assert seen.languages == ["eng"]
    pdf = pdfium.PdfDocument(DATA / "invoices-zugferd" / "EN16931_Einfach.pdf")
    try:
        invoice = pdf[0].render(scale=300 / 72, grayscale=True).to_pil()
    finally:
        pdf.close()
    seen = recognise_page(invoice, 300, engines=engines, langs=langs, number=1, tessdata=tessdata)
    assert seen.languages == langs
    assert "Rechnung" in {w.text.strip(":.") for w in seen.page.words()}


def test_a_page_read_in_english_alone_keeps_no_accents_from_the_second_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """PP-OCR writes accents it saw in specks ("Simpàng" for a Malay street name); on a page read in English
    alone they go, on a page read in German too they stay."""

    def lines(*args: object, **kwargs: object) -> Page:
        size = args[3]
        assert isinstance(size, tuple)
        page = hand_page([["No 7, Simpàng Off Batu Village", "Grüße aus Köln"]])
        return replace(page, width=size[0], height=size[1])

    monkeypatch.setattr(invoice_page, "_read_lines", lines)
    monkeypatch.setattr(invoice_page, "_unsure", lambda page: True)
    image, dpi, _ = open_page_image((DATA / "receipts-sroie" / "img" / "004.jpg").read_bytes(), max_pixels=1e9)
    tessdata = tessdata_dir(None)
    engines = EnginePool(tessdata)
    seen = recognise_page(image, dpi, engines=engines, langs=["eng"], number=1, tessdata=tessdata)
    assert {"Simpang", "Gruße", "Koln"} <= {w.text for w in seen.alternates[0].words()}
    seen = recognise_page(image, dpi, engines=engines, langs=["deu"], number=1, tessdata=tessdata)
    assert {"Simpàng", "Grüße", "Köln"} <= {w.text for w in seen.alternates[0].words()}
