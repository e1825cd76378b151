"""Barcode reading: Type per symbology, ISBN/UPC forms, BarcodeFilter, BarcodeDirection, boxes, real photos."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp
from numpy.typing import NDArray
from PIL import Image

from ocrmill.domain.barcodes import BarcodeType as T
from ocrmill.pipeline import barcodes
from ocrmill.pipeline.barcodes import Barcode, grey, isbn10, read_barcodes, read_symbols
from ocrmill.pipeline.pages import InputFile, enumerate_pages, load_raster
from tests.harness import DATA

F = zxingcpp.BarcodeFormat
Pixels = NDArray[np.uint8]
Box = tuple[int, int, int, int]
A4_150 = (1754, 1240)  # rows, columns: A4 at 150 dpi
SET = DATA / "barcodes-zxing"

# The symbols drawn on the test pages: payload as encoded, format, module size in pixels. The EAN/UPC and ISBN
# payloads are published examples (ISBN 978-0-306-40615-7 is ISBN-10 0-306-40615-2; 0-8044-2957-X is 978-0-8044-2957-3).
EAN8 = ("96385074", F.EAN8, 2)
UPCE = ("01234565", F.UPCE, 2)
UPCA = ("036000291452", F.UPCA, 2)
EAN13 = ("4006381333931", F.EAN13, 2)
ISBN = ("9780306406157", F.EAN13, 2)
ITF = ("12345670", F.ITF, 2)
CODE39 = ("TEST-39", F.Code39, 2)
QR = ("https://example.org/ocrmill", F.QRCode, 4)
CODE128 = ("Ocrmill-128", F.Code128, 2)
ALL = (EAN8, UPCE, UPCA, EAN13, ISBN, ITF, CODE39, QR, CODE128)


@dataclass(frozen=True)
class Drawn:
    content: str
    bars: Box  # the lines that carry the whole pattern (for EAN/UPC: without the longer guard bars)
    outer: Box  # every dark pixel of the symbol


def symbol(content: str, fmt: F, module: int, *, turns: int = 0, stretch: float = 1.0) -> Pixels:
    """The symbol with its quiet zones, turned `turns` times 90 degrees counterclockwise, optionally narrowed."""
    image = np.asarray(zxingcpp.create_barcode(content, fmt).to_image(scale=module), dtype=np.uint8)
    if stretch != 1.0:
        image = np.asarray(cv2.resize(image, None, fx=stretch, fy=1.0, interpolation=cv2.INTER_AREA), np.uint8)
    return np.ascontiguousarray(np.rot90(image, turns))


def paste(page: Pixels, content: str, image: Pixels, x: int, y: int, *, linear: bool, vertical: bool) -> Drawn:
    page[y : y + image.shape[0], x : x + image.shape[1]] = image
    dark = image < 128
    ys, xs = np.nonzero(dark)
    outer = (x + int(xs.min()), y + int(ys.min()), x + int(xs.max()), y + int(ys.max()))
    if not linear:
        return Drawn(content, outer, outer)
    lines = dark.T if vertical else dark  # each row of `lines` crosses every bar
    counts = lines.sum(axis=1)
    full = np.nonzero(counts == counts.max())[0]
    ends = np.nonzero(lines[full].any(axis=0))[0]
    a0, a1, b0, b1 = int(ends.min()), int(ends.max()), int(full.min()), int(full.max())
    bars = (x + b0, y + a0, x + b1, y + a1) if vertical else (x + a0, y + b0, x + a1, y + b1)
    return Drawn(content, bars, outer)


def page_with(*placed: tuple[tuple[str, F, int], int, int, int]) -> tuple[Image.Image, dict[str, Drawn]]:
    """A white A4 page at 150 dpi with each (symbol, x, y, turns) drawn on it."""
    page = np.full(A4_150, 255, np.uint8)
    drawn: dict[str, Drawn] = {}
    for (content, fmt, module), x, y, turns in placed:
        image = symbol(content, fmt, module, turns=turns)
        linear = fmt != F.QRCode
        drawn[content] = paste(page, content, image, x, y, linear=linear, vertical=turns % 2 == 1)
    return Image.fromarray(page), drawn


def entries(found: list[Barcode]) -> set[tuple[int, str]]:
    return {(int(b.type), b.value) for b in found}


def box(b: Barcode) -> Box:
    return b.x, b.y, b.x + b.width - 1, b.y + b.height - 1


def assert_box_fits(b: Barcode, drawn: Drawn, *, slack: int = 1) -> None:
    """The reported box holds the drawn bars (within `slack` px) and reaches no more than 2 px past the symbol."""
    x0, y0, x1, y1 = box(b)
    bx0, by0, bx1, by1 = drawn.bars
    ox0, oy0, ox1, oy1 = drawn.outer
    assert x0 <= bx0 + slack and y0 <= by0 + slack and x1 >= bx1 - slack and y1 >= by1 - slack, (box(b), drawn)
    assert x0 >= ox0 - 2 and y0 >= oy0 - 2 and x1 <= ox1 + 2 and y1 <= oy1 + 2, (box(b), drawn)


@pytest.fixture(scope="module")
def mixed() -> tuple[Image.Image, dict[str, Drawn]]:
    """All nine test symbols upright, three to a row."""
    return page_with(*((s, 60 + 400 * (i % 3), 120 + 550 * (i // 3), 0) for i, s in enumerate(ALL)))


@pytest.fixture(scope="module")
def turned() -> tuple[Image.Image, dict[str, Drawn]]:
    """Three symbols lying horizontally (upright or upside down) and three standing vertically."""
    qr_turned = ("Turned QR", F.QRCode, 4)
    return page_with(
        (CODE128, 80, 100, 0),  # horizontal
        (EAN13, 700, 100, 1),  # vertical
        (ITF, 80, 700, 2),  # horizontal, read right to left
        (CODE39, 700, 700, 3),  # vertical
        (QR, 80, 1300, 0),  # horizontal
        (qr_turned, 700, 1300, 1),  # vertical
    )


@pytest.mark.parametrize(
    ("drawn", "filter_bits", "expected"),
    [
        (EAN8, 0, (T.EAN8, "96385074")),
        (UPCE, 0, (T.UPCE, "01234565")),
        (UPCA, 0, (T.UPCA, "036000291452")),
        (EAN13, 0, (T.EAN13, "4006381333931")),
        (ISBN, 0, (T.ISBN13, "9780306406157")),
        (ISBN, 0x04, (T.ISBN10, "0306406152")),
        (("9780804429573", F.EAN13, 2), 0x04, (T.ISBN10, "080442957X")),
        (ITF, 0, (T.INTERLEAVED2OF5, "12345670")),
        (CODE39, 0, (T.CODE39, "TEST-39")),
        (QR, 0, (T.QRCODE, "https://example.org/ocrmill")),
        (CODE128, 0, (T.CODE128, "Ocrmill-128")),
    ],
    ids=lambda v: v[0] if isinstance(v, tuple) and isinstance(v[0], str) else str(v),
)
def test_each_symbology_is_reported_with_its_type(
    drawn: tuple[str, F, int], filter_bits: int, expected: tuple[T, str]
) -> None:
    image, where = page_with((drawn, 300, 400, 0))
    found = read_barcodes(image, page_no=7, filter_bits=filter_bits, direction=3)
    assert [(b.type, b.value) for b in found] == [expected]
    assert found[0].page_no == 7
    assert_box_fits(found[0], where[drawn[0]])


def test_filter_zero_reports_every_symbol_once_in_its_own_form(mixed: tuple[Image.Image, dict[str, Drawn]]) -> None:
    image, _ = mixed
    found = read_barcodes(image, page_no=1, filter_bits=0, direction=3)
    assert len(found) == 9
    assert entries(found) == {
        (1, "96385074"),
        (2, "01234565"),
        (4, "036000291452"),
        (5, "4006381333931"),
        (6, "9780306406157"),
        (7, "12345670"),
        (8, "TEST-39"),
        (9, "https://example.org/ocrmill"),
        (10, "Ocrmill-128"),
    }


@pytest.mark.parametrize(
    ("bit", "expected"),
    [
        (0x01, {(1, "96385074")}),
        (0x02, {(2, "01234565")}),
        (0x04, {(3, "0306406152")}),
        (0x08, {(4, "036000291452")}),
        # without ISBN13 or UPCA in the filter, those symbols are EAN-13s like any other (UPC-A: its 13 digits)
        (0x10, {(5, "4006381333931"), (5, "9780306406157"), (5, "0036000291452")}),
        (0x20, {(6, "9780306406157")}),
        (0x40, {(7, "12345670")}),
        (0x80, {(8, "TEST-39")}),
        (0x100, {(9, "https://example.org/ocrmill")}),
        (0x200, {(10, "Ocrmill-128")}),
    ],
    ids=lambda v: hex(v) if isinstance(v, int) else "",
)
def test_each_filter_bit_alone_keeps_only_its_type(
    mixed: tuple[Image.Image, dict[str, Drawn]], bit: int, expected: set[tuple[int, str]]
) -> None:
    image, _ = mixed
    assert entries(read_barcodes(image, page_no=1, filter_bits=bit, direction=3)) == expected


def test_filter_bits_combine(mixed: tuple[Image.Image, dict[str, Drawn]]) -> None:
    image, _ = mixed
    isbn_both = read_barcodes(image, page_no=1, filter_bits=0x20 | 0x04, direction=3)
    assert entries(isbn_both) == {(6, "9780306406157"), (3, "0306406152")}
    assert box(isbn_both[0]) == box(isbn_both[1])  # one symbol, two forms
    upc_and_ean = read_barcodes(image, page_no=1, filter_bits=0x08 | 0x10, direction=3)
    assert entries(upc_and_ean) == {(4, "036000291452"), (5, "4006381333931"), (5, "9780306406157")}
    everything = read_barcodes(image, page_no=1, filter_bits=0x3FF, direction=3)
    assert len(everything) == 10 and (3, "0306406152") in entries(everything)


def test_boxes_hold_the_drawn_symbols_and_little_more(mixed: tuple[Image.Image, dict[str, Drawn]]) -> None:
    image, drawn = mixed
    found = read_barcodes(image, page_no=1, filter_bits=0, direction=3)
    by_content = {b.value if b.type != T.UPCA else "0" + b.value: b for b in found}
    for content, where in drawn.items():
        key = "0" + content if content == UPCA[0] else content
        assert_box_fits(by_content[key], where)
    assert [box(b)[1] for b in found] == sorted(box(b)[1] for b in found)  # by position, top first


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        (1, {"Ocrmill-128", "12345670", "https://example.org/ocrmill"}),
        (2, {"4006381333931", "TEST-39", "Turned QR"}),
        (3, {"Ocrmill-128", "12345670", "https://example.org/ocrmill", "4006381333931", "TEST-39", "Turned QR"}),
    ],
)
def test_direction_keeps_codes_lying_that_way(
    turned: tuple[Image.Image, dict[str, Drawn]], direction: int, expected: set[str]
) -> None:
    image, drawn = turned
    found = read_barcodes(image, page_no=2, filter_bits=0, direction=direction)
    assert {b.value for b in found} == expected
    for b in found:
        assert_box_fits(b, drawn[b.value])


def test_skewed_code_box_takes_in_its_corners() -> None:
    """zxing-cpp's quad spans raster rows, which cut off a skewed code's corners; the box must not."""
    page = np.full(A4_150, 255, np.uint8)
    image = symbol(*CODE128)
    h, w = image.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 5, 1.0)
    turn[:, 2] += 40
    skewed = np.asarray(cv2.warpAffine(image, turn, (w + 80, h + 80), borderValue=255), np.uint8)
    page[500 : 500 + skewed.shape[0], 300 : 300 + skewed.shape[1]] = skewed
    ys, xs = np.nonzero(page < 128)
    (found,) = read_barcodes(Image.fromarray(page), page_no=1, filter_bits=0, direction=3)
    x0, y0, x1, y1 = box(found)
    # the symbol's dark pixels, within 4 px (the quad's ends are read to a pixel or two)
    assert abs(x0 - xs.min()) <= 4 and abs(x1 - xs.max()) <= 4
    assert abs(y0 - ys.min()) <= 4 and abs(y1 - ys.max()) <= 4


def test_input_modes_give_the_same_barcodes(mixed: tuple[Image.Image, dict[str, Drawn]]) -> None:
    image, _ = mixed
    expected = [b.to_api() for b in read_barcodes(image, page_no=1, filter_bits=0, direction=3)]
    for mode in ("1", "RGB"):
        converted = image.convert(mode)
        assert [b.to_api() for b in read_barcodes(converted, page_no=1, filter_bits=0, direction=3)] == expected


def noisy_page(drawn: tuple[str, F, int], stretch: float) -> tuple[Pixels, Drawn]:
    """A4 at 300 dpi, the symbol narrowed to `stretch` (modules of 1.4-1.5 px) near the bottom, grey noise."""
    page = np.full((3508, 2480), 255, np.uint8)
    where = paste(page, drawn[0], symbol(*drawn, stretch=stretch), 1400, 2600, linear=True, vertical=False)
    noise = np.random.default_rng(7).normal(0, 8, page.shape)
    return np.clip(page + noise, 0, 255).astype(np.uint8), where


def test_trying_harder_reads_a_small_noisy_code() -> None:
    """One zxing-cpp call misses this EAN-13 (checked here, so that the test keeps testing the second step); the
    1D-code search and the extra views find it."""
    pixels, drawn = noisy_page(EAN13, 0.75)
    assert read_symbols(pixels, filter_bits=0, direction=3, try_harder=False).reads == []
    (found,) = read_barcodes(Image.fromarray(pixels), page_no=1, filter_bits=0, direction=3)
    assert (found.type, found.value) == (T.EAN13, EAN13[0])
    assert_box_fits(found, drawn, slack=2)


def test_a_code_only_extra_views_read_needs_two_of_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Except for Code 128 and QR, whose checks catch misreads: one view is enough for them."""
    ean, _ = noisy_page(EAN13, 0.75)
    code128, _ = noisy_page(CODE128, 0.7)
    assert read_symbols(code128, filter_bits=0, direction=3, try_harder=False).reads == []
    monkeypatch.setattr(barcodes, "VIEWS", (barcodes.View("x2", scale=2.0),))
    assert read_barcodes(Image.fromarray(ean), page_no=1, filter_bits=0, direction=3) == []
    assert entries(read_barcodes(Image.fromarray(code128), page_no=1, filter_bits=0, direction=3)) == {(10, CODE128[0])}
    monkeypatch.setattr(barcodes, "VIEWS", (barcodes.View("x2", scale=2.0), barcodes.View("x1.5", scale=1.5)))
    assert entries(read_barcodes(Image.fromarray(ean), page_no=1, filter_bits=0, direction=3)) == {(5, EAN13[0])}


@pytest.mark.parametrize("scan", ["ocr-tesseract-test/8087_054.3B.tif", "ocr-tesseract-test/phototest.tif"])
def test_a_page_without_barcodes_costs_one_read(scan: str) -> None:
    image = load(DATA / scan)
    assert read_barcodes(image, page_no=1, filter_bits=0, direction=3) == []
    outcome = read_symbols(grey(image), filter_bits=0, direction=3)
    assert outcome.regions == 0 and outcome.views_run == 0


MANIFEST = list(csv.DictReader((SET / "manifest.csv").open(encoding="utf-8"))) if SET.is_dir() else []
SYMBOLOGY_TYPE = {
    "EAN-8": T.EAN8,
    "UPC-E": T.UPCE,
    "UPC-A": T.UPCA,
    "EAN-13": T.EAN13,
    "ITF": T.INTERLEAVED2OF5,
    "Code 39": T.CODE39,
    "QR Code": T.QRCODE,
    "Code 128": T.CODE128,
}


def load(path: Path) -> Image.Image:
    (ref,) = enumerate_pages(
        [InputFile(path, path.suffix.lstrip(".").upper())], max_pages=1, max_pixels=1e9, render_dpi=300
    )
    return load_raster(ref, render_dpi=300, max_pixels=1e9).image


def expected_entry(row: dict[str, str]) -> tuple[T, str]:
    payload = (SET / row["expected_text_file"]).read_bytes().decode("utf-8")  # bytes: QR payloads hold CR LF
    kind = SYMBOLOGY_TYPE[row["symbology"]]
    if kind is T.EAN13 and payload.startswith(("978", "979")):
        kind = T.ISBN13
    return kind, payload


@pytest.mark.parametrize("row", MANIFEST, ids=[row["path"] for row in MANIFEST])
def test_real_photos_are_read_where_zxing_reads_them_and_never_wrong(row: dict[str, str]) -> None:
    """Every image zxing-cpp 3.1.1 reads (manifest) is read, with the right Type; no image gives a wrong value
    (upce-2/39 makes a single zxing-cpp call report a second, wrong UPC-E from two scan lines)."""
    kind, payload = expected_entry(row)
    found = read_barcodes(load(SET / row["path"]), page_no=1, filter_bits=0, direction=3)
    if row["zxingcpp_3_1_1_decodes"] == "true":
        assert (kind, payload) in {(b.type, b.value) for b in found}
    assert all((b.type, b.value) == (kind, payload) for b in found), [b.value for b in found]


def test_real_photos_zxing_misses_are_partly_read_by_trying_harder() -> None:
    """Of the manifest's images zxing-cpp 3.1.1 does not read, the extra views read some (bench.barcodes: 5 of 8)."""
    hard = [row for row in MANIFEST if row["zxingcpp_3_1_1_decodes"] == "false"]
    assert len(hard) == 8
    read = 0
    for row in hard:
        found = read_barcodes(load(SET / row["path"]), page_no=1, filter_bits=0, direction=3)
        read += expected_entry(row) in {(b.type, b.value) for b in found}
    assert read >= 4


def test_to_api_uses_the_contract_keys_in_order() -> None:
    api = Barcode(page_no=3, value="036000291452", type=T.UPCA, x=10, y=20, width=30, height=40).to_api()
    assert list(api) == ["PageNo", "Value", "Type", "X", "Y", "Width", "Height"]
    assert api == {"PageNo": 3, "Value": "036000291452", "Type": 4, "X": 10, "Y": 20, "Width": 30, "Height": 40}
    assert type(api["Type"]) is int


def test_isbn10_check_digit() -> None:
    assert isbn10("9780306406157") == "0306406152"
    assert isbn10("9780804429573") == "080442957X"
    assert isbn10("9780131103627") == "0131103628"  # The C Programming Language, 2nd ed.


def test_direction_and_filter_are_checked() -> None:
    image = Image.new("L", (100, 100), 255)
    with pytest.raises(ValueError, match="BarcodeDirection"):
        read_barcodes(image, page_no=1, filter_bits=0, direction=0)
    with pytest.raises(ValueError, match="BarcodeFilter"):
        read_barcodes(image, page_no=1, filter_bits=0x400, direction=3)


# Photos pasted on a page. A photo whose background is grey is read alone, but on a page zxing-cpp's 1D readers
# threshold each scan line by the histogram of the whole line, mostly paper there (module docstring, step 2).

A4_ROWS_COLUMNS = {200: (2339, 1654), 300: (3508, 2480)}
TEXT_SCANS = {200: "ocr-scribe-benchmark/img/singlecol_01.png", 300: "ocr-scribe-benchmark/img/table_08.png"}
EMPTY_MARGIN = 40  # px of paper cleared around a photo pasted on a text page
Placed = tuple[str, int, int]  # set path, x, y


def found_entries(found: list[Barcode]) -> list[tuple[T, str]]:
    return sorted((b.type, b.value) for b in found)


@pytest.fixture(scope="module")
def read_alone() -> dict[str, tuple[Pixels, list[tuple[T, str]]]]:
    """Every set image the module reads on its own, as the pipeline loads it, with what it reads there."""
    alone: dict[str, tuple[Pixels, list[tuple[T, str]]]] = {}
    for row in MANIFEST:
        pixels = grey(load(SET / row["path"]))
        found = found_entries(read_barcodes(Image.fromarray(pixels), page_no=1, filter_bits=0, direction=3))
        if found:
            alone[row["path"]] = pixels, found
    return alone


@functools.cache
def text_scan(dpi: int) -> Pixels:
    """A real text scan scaled onto an A4 page at `dpi` with 5% margins (read-only: shared by the tests)."""
    rows, columns = A4_ROWS_COLUMNS[dpi]
    scan = grey(Image.open(DATA / TEXT_SCANS[dpi]))
    scale = min(0.9 * columns / scan.shape[1], 0.9 * rows / scan.shape[0])
    scan = np.asarray(cv2.resize(scan, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.uint8)
    page = np.full((rows, columns), 255, np.uint8)
    top, left = (rows - scan.shape[0]) // 2, (columns - scan.shape[1]) // 2
    page[top : top + scan.shape[0], left : left + scan.shape[1]] = scan
    page.setflags(write=False)
    return page


def pasted_pages(
    photos: dict[str, tuple[Pixels, list[tuple[T, str]]]], dpi: int, *, text: bool
) -> list[tuple[Pixels, list[Placed]]]:
    """Each photo pasted as it is on an A4 page at `dpi` (white, or a text scan with a cleared area around the photo),
    several to a page in a staircase, so that no row or column holds two and each is read as if pasted alone (and
    100 px apart or more, beyond the margin step 3 gives a region around a code); the offsets vary so that photos
    land at all sorts of positions (and pixel phases of zxing-cpp's 8 px blocks)."""
    rows, columns = A4_ROWS_COLUMNS[dpi]
    base = text_scan(dpi) if text else np.full((rows, columns), 255, np.uint8)
    pages: list[tuple[Pixels, list[Placed]]] = []
    placed: list[Placed] = []
    page, x, y = base.copy(), 0, 0
    for i, (path, (pixels, _)) in enumerate(photos.items()):
        h, w = pixels.shape
        step = 100 + (37 * i) % 61
        if x + step + w > columns or y + step + h > rows:
            pages.append((page, placed))
            page, placed, x, y = base.copy(), [], (29 * len(pages)) % 83, (41 * len(pages)) % 97
        x, y = min(x + step, columns - w), min(y + step, rows - h)
        if text:
            page[max(0, y - EMPTY_MARGIN) : y + h + EMPTY_MARGIN, max(0, x - EMPTY_MARGIN) : x + w + EMPTY_MARGIN] = 255
        page[y : y + h, x : x + w] = pixels
        placed.append((path, x, y))
        x, y = x + w, y + h
    pages.append((page, placed))
    return pages


@pytest.mark.parametrize(
    ("dpi", "text"), [(200, False), (300, False), (200, True), (300, True)], ids=["200", "300", "200-text", "300-text"]
)
def test_photos_read_alone_are_read_the_same_pasted_on_a_page(
    read_alone: dict[str, tuple[Pixels, list[tuple[T, str]]]], dpi: int, text: bool
) -> None:
    """Same values and types as alone, nothing else, for every set image that reads alone (not only the grey photos:
    the other images must keep reading too), pasted on a white A4 page or on a real text scan."""
    assert len(read_alone) >= 70
    differ: list[str] = []
    for page, placed in pasted_pages(read_alone, dpi, text=text):
        found = read_barcodes(Image.fromarray(page), page_no=1, filter_bits=0, direction=3)
        for path, x, y in placed:
            pixels, expected = read_alone[path]
            h, w = pixels.shape
            here = [b for b in found if x <= b.x + b.width // 2 < x + w and y <= b.y + b.height // 2 < y + h]
            found = [b for b in found if b not in here]
            if found_entries(here) != expected:
                differ.append(f"{path} at ({x}, {y}): {found_entries(here)}, alone {expected}")
        differ += [f"outside the photos: {b}" for b in found]
    assert differ == []


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_text_page_has_no_photo_to_read(dpi: int) -> None:
    """The text scans the photos are pasted on cost step 1 and the searches: no photo, no region, no extra read."""
    outcome = read_symbols(text_scan(dpi), filter_bits=0, direction=3)
    assert (outcome.reads, outcome.blocks, outcome.regions, outcome.views_run) == ([], 0, 0, 0)


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize("text", [False, True], ids=["white", "text"])
def test_book_photo_gives_its_price_code_and_nothing_else_on_a_page(dpi: int, text: bool) -> None:
    """ean13-2/23.png, loaded and pasted as in the integration report: read alone it gives the price code at the
    bottom, 1920081045006. On the page the region views used to add 9784872348880 too, the ISBN printed above it,
    which zxing-cpp does not read on the photo (glare); the page must report what the photo gives."""
    photo = Image.open(SET / "ean13-2/23.png").convert("RGBA").convert("L")
    expected = [(T.EAN13, "1920081045006")]
    assert found_entries(read_barcodes(photo, page_no=1, filter_bits=0, direction=3)) == expected
    rows, columns = A4_ROWS_COLUMNS[dpi]
    page = Image.fromarray(text_scan(dpi).copy()) if text else Image.new("L", (columns, rows), 255)
    page.paste(
        255,
        (300 - EMPTY_MARGIN, 400 - EMPTY_MARGIN, 300 + photo.width + EMPTY_MARGIN, 400 + photo.height + EMPTY_MARGIN),
    )
    page.paste(photo, (300, 400))
    assert found_entries(read_barcodes(page, page_no=1, filter_bits=0, direction=3)) == expected
