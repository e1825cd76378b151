"""DetectBarcodes and DeleteBlankPages over real HTTP with real OCR and real barcode images: what info
reports, what the outputs contain, and that nothing disappears without trace."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pytest
import zxingcpp
from lxml import etree
from PIL import Image, ImageDraw

from tests.harness import Server

pytestmark = pytest.mark.paired

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
BARCODES = Path("barcodes-zxing")


def decodable(data: Path, symbology: str) -> tuple[Path, str]:
    """The first image of a symbology that the reference zxing-cpp decodes, and its payload."""
    with (data / BARCODES / "manifest.csv").open() as f:
        for row in csv.DictReader(f):
            if row["symbology"] == symbology and row["zxingcpp_3_1_1_decodes"] == "true":
                return data / BARCODES / row["path"], (data / BARCODES / row["expected_text_file"]).read_text()
    raise AssertionError(f"no decodable {symbology} image")


def finish(server: Server, path: Path, **options: Any) -> dict[str, Any]:
    info = server.wait(server.submit(path, **options)["Id"])
    assert info["Status"] == 3, info["ErrorDescription"]
    return info


def a4_with(picture: Path, tmp_path: Path, *, at: tuple[int, int] = (300, 400)) -> tuple[Path, tuple[int, int]]:
    """A white 200-dpi page with the barcode picture pasted at `at`; returns the page and the picture's size."""
    page = Image.new("L", (1654, 2339), 255)
    with Image.open(picture) as im:
        page.paste(im.convert("RGBA").convert("L"), at)
        size = im.size
    path = tmp_path / "page.png"
    page.save(path, dpi=(200, 200))
    return path, size


def test_a_qr_code_is_reported_with_type_and_box(server: Server, data: Path, tmp_path: Path) -> None:
    picture, payload = decodable(data, "QR Code")
    page, (width, height) = a4_with(picture, tmp_path)
    info = finish(server, page, DetectBarcodes=True, PdfOutput=False, XmlOutput=True)
    codes = [c for c in info["Barcodes"] if c["Value"].replace("\r\n", "\n") == payload.replace("\r\n", "\n")]
    assert len(codes) == 1, info["Barcodes"]
    code = codes[0]
    assert list(code) == ["PageNo", "Value", "Type", "X", "Y", "Width", "Height"]
    assert code["PageNo"] == 1 and code["Type"] == 9
    # the reported box lies within the pasted picture
    slack = 2  # px: the box may reach a pixel or two past the symbol's edge
    assert code["X"] >= 300 - slack and code["X"] + code["Width"] <= 300 + width + slack
    assert code["Y"] >= 400 - slack and code["Y"] + code["Height"] <= 400 + height + slack
    assert code["Width"] > width / 3 and code["Height"] > height / 3
    # the same barcode is in the ALTO output
    xml = etree.fromstring(server.client.get(f"/download/{info['Id']}/xml").content)
    labels = [tag.get("LABEL") for tag in xml.iter(f"{ALTO}OtherTag")]
    assert len(labels) == 1 and labels[0].replace("\r\n", "\n") == payload.replace("\r\n", "\n")


def test_no_barcodes_without_detect_barcodes(server: Server, data: Path, tmp_path: Path) -> None:
    picture, _ = decodable(data, "QR Code")
    page, _ = a4_with(picture, tmp_path)
    assert finish(server, page, PdfOutput=False, TxtOutput=True)["Barcodes"] == []


def test_an_isbn_and_the_filter(server: Server, tmp_path: Path) -> None:
    """A crisp EAN-13 of a book (an ISBN: 978...) printed on a page."""
    isbn = "9780804816632"
    symbol = zxingcpp.create_barcode(isbn, zxingcpp.BarcodeFormat.EAN13).to_image(scale=4)
    picture = tmp_path / "isbn.png"
    Image.fromarray(np.asarray(symbol, dtype=np.uint8)).save(picture)
    page, _ = a4_with(picture, tmp_path)
    everything = finish(server, page, DetectBarcodes=True, PdfOutput=False, TxtOutput=True)["Barcodes"]
    assert [(c["Value"], c["Type"]) for c in everything] == [(isbn, 6)]  # ISBN13
    as_ean = finish(server, page, DetectBarcodes=True, BarcodeFilter=0x10, PdfOutput=False, TxtOutput=True)
    assert [(c["Value"], c["Type"]) for c in as_ean["Barcodes"]] == [(isbn, 5)]  # asked for EAN13 only
    only_qr = finish(server, page, DetectBarcodes=True, BarcodeFilter=0x100, PdfOutput=False, TxtOutput=True)
    assert only_qr["Barcodes"] == []


# -- blank pages --------------------------------------------------------------------------------


def blank_scan(size: tuple[int, int], seed: int) -> Image.Image:
    """A white sheet as a scanner sees it: grain, a few specks, a dark border along two edges."""
    rng = np.random.default_rng(seed)
    pixels = np.clip(rng.normal(245, 4, (size[1], size[0])), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for x, y in zip(rng.integers(0, size[0], 40), rng.integers(0, size[1], 40), strict=True):
        draw.point((int(x), int(y)), fill=40)
    draw.rectangle((0, 0, size[0], 25), fill=30)
    draw.rectangle((0, 0, 20, size[1]), fill=30)
    return image


@pytest.fixture(scope="module")
def three_pages(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Path:
    """phototest, a blank scan, eurotext: a 3-page 8-bit TIFF at 300 dpi."""
    with (
        Image.open(data / "ocr-tesseract-test" / "phototest.tif") as a,
        Image.open(data / "ocr-tesseract-test" / "eurotext.tif") as b,
    ):
        first, third = a.convert("L"), b.convert("L")
    blank = blank_scan((1200, 1600), seed=3)
    path = tmp_path_factory.mktemp("blank") / "three.tif"
    first.save(path, save_all=True, append_images=[blank, third], dpi=(300, 300))
    return path


def test_blank_pages_are_left_out_and_recorded(server: Server, three_pages: Path) -> None:
    info = finish(server, three_pages, DeleteBlankPages=True, TxtOutput=True)
    assert info["NumberOfPages"] == 2
    assert info["RemovedPages"] == [2]
    text = server.client.get(f"/download/{info['Id']}/txt").text
    first, second = text.split("\f")
    assert "brown dog jumped" in first and "brown dog jumped" not in second and "lazy" in second
    with pikepdf.open(io.BytesIO(server.client.get(f"/download/{info['Id']}/pdf").content)) as pdf:
        assert len(pdf.pages) == 2


def test_without_delete_blank_pages_every_page_stays(server: Server, three_pages: Path) -> None:
    info = finish(server, three_pages, TxtOutput=True)
    assert info["NumberOfPages"] == 3
    assert "RemovedPages" not in info  # the document's shape, unless the job asks for DeleteBlankPages


def test_a_page_with_a_few_words_is_not_blank(server: Server, data: Path, tmp_path: Path) -> None:
    page = blank_scan((1654, 2339), seed=5)
    with Image.open(data / "ocr-tesseract-test" / "phototest.tif") as im:
        line = im.convert("L").crop((30, 88, 625, 126))  # the first line of text only
    page.paste(line, (500, 1100))
    path = tmp_path / "nearly-blank.png"
    page.save(path, dpi=(200, 200))
    info = finish(server, path, DeleteBlankPages=True, TxtOutput=True)
    assert info["NumberOfPages"] == 1 and info["RemovedPages"] == []


def test_a_page_with_only_a_barcode_is_not_blank(server: Server, data: Path, tmp_path: Path) -> None:
    picture, _ = decodable(data, "QR Code")
    page = blank_scan((1654, 2339), seed=9)
    with Image.open(picture) as im:
        page.paste(im.convert("RGBA").convert("L"), (700, 1000))
    path = tmp_path / "barcode-only.png"
    page.save(path, dpi=(200, 200))
    info = finish(server, path, DeleteBlankPages=True, DetectBarcodes=True, TxtOutput=True)
    assert info["NumberOfPages"] == 1 and info["RemovedPages"] == [] and info["Barcodes"]


def test_a_job_of_blank_pages_only_ends_in_error(server: Server, tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    blank_scan((1654, 2339), seed=11).save(path, dpi=(200, 200))
    info = server.wait(server.submit(path, DeleteBlankPages=True)["Id"])
    assert info["Status"] == 4 and "blank" in info["ErrorDescription"]
