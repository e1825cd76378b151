"""Page loading: modes, alpha, resolution, damaged files, limits (checked from headers, before decoding)."""

from __future__ import annotations

import io
import resource
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import GifImagePlugin, Image

from ocrmill.errors import InputError, LimitExceeded
from ocrmill.pipeline.pages import MAX_SIDE, InputFile, enumerate_pages, image_bytes, limit_pixels, load_raster, opened
from tests.hostile import animated_gif, animated_png, bomb_png, text_pdf

PHOTOTEST = "ocr-tesseract-test/phototest.tif"


def _save(image: Image.Image, path: Path, **params: object) -> InputFile:
    image.save(path, **params)
    return InputFile(path, path.suffix.lstrip(".").upper())


def test_alpha_is_flattened_onto_white(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (400, 300), (0, 0, 0, 0))  # fully transparent black
    rgba.paste((10, 10, 10, 255), (100, 100, 200, 150))
    item = _save(rgba, tmp_path / "a.png")
    (ref,) = enumerate_pages([item], max_pages=10, max_pixels=1e9, render_dpi=300)
    raster = load_raster(ref, render_dpi=200, max_pixels=1e9)
    assert raster.image.mode == "RGB" and raster.transformed
    assert raster.image.getpixel((5, 5)) == (255, 255, 255)
    assert raster.image.getpixel((150, 120)) == (10, 10, 10)


def test_implausible_dpi_is_replaced_by_an_estimate(tmp_path: Path, data: Path) -> None:
    page = Image.open(data / PHOTOTEST).convert("L").resize((2480, 3508))  # A4 at 300 dpi
    item = _save(page, tmp_path / "p.png", dpi=(72, 72))
    (ref,) = enumerate_pages([item], max_pages=10, max_pixels=1e9, render_dpi=300)
    assert load_raster(ref, render_dpi=200, max_pixels=1e9).dpi == pytest.approx(300, abs=2)
    stated = _save(page, tmp_path / "s.png", dpi=(300, 300))
    (ref,) = enumerate_pages([stated], max_pages=10, max_pixels=1e9, render_dpi=300)
    assert load_raster(ref, render_dpi=200, max_pixels=1e9).dpi == pytest.approx(300, abs=0.5)


def test_multi_page_tiff_and_page_limit(tmp_path: Path, data: Path) -> None:
    frame = Image.open(data / PHOTOTEST)
    path = tmp_path / "three.tif"
    frame.save(path, save_all=True, append_images=[frame, frame], compression="group4")
    item = InputFile(path, "TIF")
    refs = enumerate_pages([item, item], max_pages=6, max_pixels=1e9, render_dpi=300)
    assert [r.source_index for r in refs] == list(range(6))
    assert [r.index for r in refs] == [0, 1, 2, 0, 1, 2]
    with pytest.raises(LimitExceeded, match="max_pages"):
        enumerate_pages([item, item], max_pages=5, max_pixels=1e9, render_dpi=300)


def test_pixel_limit(tmp_path: Path) -> None:
    item = _save(Image.new("L", (3000, 3000), 255), tmp_path / "big.png")
    (ref,) = enumerate_pages([item], max_pages=10, max_pixels=1e9, render_dpi=300)
    with pytest.raises(LimitExceeded, match="megapixels"):
        load_raster(ref, render_dpi=200, max_pixels=8e6)


@pytest.mark.parametrize(
    ("content", "ext", "message"),
    [
        (b"", "PNG", "empty"),
        (b"\x00garbage" * 100, "TIF", "not a readable image"),
        (b"%PDF-1.4\n%%EOF\n", "PDF", "not a readable PDF"),
    ],
)
def test_damaged_files_are_input_errors(tmp_path: Path, content: bytes, ext: str, message: str) -> None:
    path = tmp_path / f"bad.{ext.lower()}"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        enumerate_pages([InputFile(path, ext)], max_pages=10, max_pixels=1e9, render_dpi=300)


def test_a_damaged_pdf_reads_as_one_sentence_without_the_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.4 garbage")
    with pytest.raises(InputError) as refused:
        enumerate_pages([InputFile(path, "PDF")], max_pages=10, max_pixels=1e9, render_dpi=300)
    assert refused.value.message == (
        "The uploaded file 1 (PDF) is not a readable PDF: "
        "unable to find trailer dictionary while recovering damaged file."
    )


def test_truncated_png_is_an_input_error(tmp_path: Path, data: Path) -> None:
    buffer = io.BytesIO()
    Image.open(data / PHOTOTEST).convert("L").save(buffer, format="PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(InputError):
        enumerate_pages([InputFile(path, "PNG")], max_pages=10, max_pixels=1e9, render_dpi=300)


def test_page_image_encodings(data: Path, tmp_path: Path) -> None:
    (ref,) = enumerate_pages([InputFile(data / PHOTOTEST, "TIF")], max_pages=10, max_pixels=1e9, render_dpi=300)
    bilevel = load_raster(ref, render_dpi=200, max_pixels=1e9)
    assert bilevel.image.mode == "1"
    assert image_bytes(bilevel, lossless=False, jpeg_quality=70)[:4] in (b"II*\x00", b"MM\x00*")
    bilevel.image = bilevel.image.convert("L")
    assert image_bytes(bilevel, lossless=False, jpeg_quality=70)[:3] == b"\xff\xd8\xff"
    assert image_bytes(bilevel, lossless=True, jpeg_quality=70)[:8] == b"\x89PNG\r\n\x1a\n"


# -- limits from the header, before anything is decoded (issue 18) -------------------------------------------------


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding(tmp_path: Path) -> None:
    bomb = InputFile(bomb_png(tmp_path / "bomb.png"), "PNG")  # 60000 x 60000: 3.6 GB decoded
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with pytest.raises(
        LimitExceeded, match=r"file 1 \(PNG\) has 3600\.0 megapixels, more than the server's limit of 300 \("
    ):
        enumerate_pages([bomb], max_pages=10, max_pixels=300e6, render_dpi=300)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert grown < 100 * 2**20, f"the test process's peak memory grew by {grown / 2**20:.0f} MB"


def test_pillows_own_guard_refuses_at_the_servers_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # restored after the test
    path = bomb_png(tmp_path / "big.png", 3000, 2000)
    with pytest.raises(LimitExceeded, match=r"6\.0 megapixels, more than the server's limit of 5 "):
        opened(path, "big.png", max_pixels=5e6)  # nothing but Image.open: the refusal is Pillow's, from the header
    limit_pixels(5e6)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)  # any other opening in the process too
    with opened(path, "big.png", max_pixels=6e6) as im:
        assert im.size == (3000, 2000)


def test_frames_are_counted_only_up_to_the_page_limit(tmp_path: Path, data: Path) -> None:
    frame = Image.open(data / PHOTOTEST)
    path = tmp_path / "many.tif"
    frame.save(path, save_all=True, append_images=[frame] * 9, compression="group4")
    (item,) = [InputFile(path, "TIF")]
    with pytest.raises(LimitExceeded, match=r"more than 3 pages"):
        enumerate_pages([item], max_pages=3, max_pixels=1e9, render_dpi=300)
    assert len(enumerate_pages([item], max_pages=10, max_pixels=1e9, render_dpi=300)) == 10


@pytest.mark.parametrize("make", [animated_png, animated_gif])
def test_animation_frames_over_the_page_limit_are_refused_without_decoding_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Callable[[Path, int, int, int], Path]
) -> None:
    # Pillow's own GIF loading (img2pdf, imported with OCRmyPDF, changes it to one that happens to seek faster)
    monkeypatch.setattr(GifImagePlugin, "LOADING_STRATEGY", GifImagePlugin.LoadingStrategy.RGB_AFTER_FIRST)
    path = make(tmp_path / "frames", 10000, 10000, 40)  # 40 frames of 100 megapixels: 0.2 s (APNG), 0.7 s (GIF) each
    begun = time.monotonic()
    with pytest.raises(LimitExceeded, match=r"more than 30 pages"):
        enumerate_pages([InputFile(path, "PNG")], max_pages=30, max_pixels=300e6, render_dpi=300)
    assert time.monotonic() - begun < 2


@pytest.mark.parametrize(("size", "problem"), [((1, 1), "1 x 1 pixels, too small"), ((33000, 20), "too long")])
def test_an_image_page_too_small_or_too_long_names_its_size_and_the_limits(
    tmp_path: Path, size: tuple[int, int], problem: str
) -> None:
    item = _save(Image.new("L", size, 255), tmp_path / "odd.png")
    with pytest.raises(InputError, match=problem) as caught:
        enumerate_pages([item], max_pages=10, max_pixels=300e6, render_dpi=300)
    assert "10 to 32767 pixels a side and at most 300 megapixels" in caught.value.message


def test_a_small_image_page_gets_a_resolution_that_makes_a_pdf_page(tmp_path: Path) -> None:
    item = _save(Image.new("L", (12, 12), 255), tmp_path / "small.png", dpi=(600, 600))
    (ref,) = enumerate_pages([item], max_pages=10, max_pixels=1e9, render_dpi=300)
    raster = load_raster(ref, render_dpi=300, max_pixels=1e9)
    assert 12 * 72 / raster.dpi >= 3  # PDF units: the smallest page a PDF can have


@pytest.mark.parametrize(
    ("width", "height", "problem"), [(1, 1, "0.0139 x 0.0139 inches"), (20000, 792, "278 x 11 inches")]
)
def test_a_pdf_page_beyond_the_pdf_formats_sizes_is_refused_from_its_mediabox(
    tmp_path: Path, width: float, height: float, problem: str
) -> None:
    item = InputFile(text_pdf(tmp_path / "odd.pdf", width, height), "PDF")
    with pytest.raises(LimitExceeded, match=problem) as caught:
        enumerate_pages([item], max_pages=10, max_pixels=1e9, render_dpi=300)
    assert "0.0417 to 200 inches a side (3 to 14400 PDF units)" in caught.value.message


def test_a_pdf_page_over_the_pixel_limit_is_refused_before_it_is_rendered(tmp_path: Path) -> None:
    item = InputFile(text_pdf(tmp_path / "letter.pdf", 612, 792), "PDF")  # 8.4 megapixels at 300 dpi
    with pytest.raises(LimitExceeded, match=r"8\.4 megapixels at 300 dpi, more than the server's limit of 5 "):
        enumerate_pages([item], max_pages=10, max_pixels=5e6, render_dpi=300)


def test_a_200_inch_pdf_page_is_rendered_at_a_resolution_tesseract_reads(tmp_path: Path) -> None:
    item = InputFile(text_pdf(tmp_path / "wide.pdf", 14400, 792), "PDF")
    (ref,) = enumerate_pages([item], max_pages=10, max_pixels=300e6, render_dpi=300)
    raster = load_raster(ref, render_dpi=300, max_pixels=300e6)
    assert max(raster.image.size) <= MAX_SIDE
    assert raster.dpi == pytest.approx(163.8, abs=0.1)
    assert raster.image.width == pytest.approx(14400 / 72 * raster.dpi, abs=2)


@pytest.mark.parametrize(("name", "changed"), [("AmazonWebServices.pdf", True), ("saeco.pdf", False)])
def test_a_pdf_page_with_coloured_text_is_its_grey_rendering_with_that_text_darker(
    data: Path, name: str, changed: bool
) -> None:
    """coloured_text: the page in grey as PDFium renders it, where text printed in a light colour (the AWS
    invoice's orange item names) is darker; a page without such text (blue and grey print) is the grey
    rendering itself."""
    item = InputFile(data / "invoices-invoice2data" / name, "PDF")
    (ref, *_) = enumerate_pages([item], max_pages=10, max_pixels=1e9, render_dpi=300)
    plain = np.asarray(load_raster(ref, render_dpi=300, max_pixels=1e9).image)
    coloured = load_raster(ref, render_dpi=300, max_pixels=1e9, coloured_text=True).image
    assert coloured.mode == "L"
    darker = np.asarray(coloured) < plain
    assert bool(np.all(np.asarray(coloured) <= plain))
    assert bool(np.count_nonzero(darker) > 10_000) == changed
