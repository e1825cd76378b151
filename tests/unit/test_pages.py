"""Page loading: modes, alpha, resolution, damaged files, limits."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from ocrmill.errors import InputError, LimitExceeded
from ocrmill.pipeline.pages import InputFile, enumerate_pages, image_bytes, load_raster

PHOTOTEST = "ocr-tesseract-test/phototest.tif"


def _save(image: Image.Image, path: Path, **params: object) -> InputFile:
    image.save(path, **params)
    return InputFile(path, path.suffix.lstrip(".").upper())


def test_alpha_is_flattened_onto_white(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (400, 300), (0, 0, 0, 0))  # fully transparent black
    rgba.paste((10, 10, 10, 255), (100, 100, 200, 150))
    item = _save(rgba, tmp_path / "a.png")
    (ref,) = enumerate_pages([item], max_pages=10)
    raster = load_raster(ref, render_dpi=200, max_pixels=1e9)
    assert raster.image.mode == "RGB" and raster.transformed
    assert raster.image.getpixel((5, 5)) == (255, 255, 255)
    assert raster.image.getpixel((150, 120)) == (10, 10, 10)


def test_implausible_dpi_is_replaced_by_an_estimate(tmp_path: Path, data: Path) -> None:
    page = Image.open(data / PHOTOTEST).convert("L").resize((2480, 3508))  # A4 at 300 dpi
    item = _save(page, tmp_path / "p.png", dpi=(72, 72))
    (ref,) = enumerate_pages([item], max_pages=10)
    assert load_raster(ref, render_dpi=200, max_pixels=1e9).dpi == pytest.approx(300, abs=2)
    stated = _save(page, tmp_path / "s.png", dpi=(300, 300))
    (ref,) = enumerate_pages([stated], max_pages=10)
    assert load_raster(ref, render_dpi=200, max_pixels=1e9).dpi == pytest.approx(300, abs=0.5)


def test_multi_page_tiff_and_page_limit(tmp_path: Path, data: Path) -> None:
    frame = Image.open(data / PHOTOTEST)
    path = tmp_path / "three.tif"
    frame.save(path, save_all=True, append_images=[frame, frame], compression="group4")
    item = InputFile(path, "TIF")
    refs = enumerate_pages([item, item], max_pages=6)
    assert [r.source_index for r in refs] == list(range(6))
    assert [r.index for r in refs] == [0, 1, 2, 0, 1, 2]
    with pytest.raises(LimitExceeded, match="max_pages"):
        enumerate_pages([item, item], max_pages=5)


def test_pixel_limit(tmp_path: Path) -> None:
    item = _save(Image.new("L", (3000, 3000), 255), tmp_path / "big.png")
    (ref,) = enumerate_pages([item], max_pages=10)
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
        enumerate_pages([InputFile(path, ext)], max_pages=10)


def test_truncated_png_is_an_input_error(tmp_path: Path, data: Path) -> None:
    buffer = io.BytesIO()
    Image.open(data / PHOTOTEST).convert("L").save(buffer, format="PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(InputError):
        enumerate_pages([InputFile(path, "PNG")], max_pages=10)


def test_page_image_encodings(data: Path, tmp_path: Path) -> None:
    (ref,) = enumerate_pages([InputFile(data / PHOTOTEST, "TIF")], max_pages=10)
    bilevel = load_raster(ref, render_dpi=200, max_pixels=1e9)
    assert bilevel.image.mode == "1"
    assert image_bytes(bilevel, lossless=False, jpeg_quality=70)[:4] in (b"II*\x00", b"MM\x00*")
    bilevel.image = bilevel.image.convert("L")
    assert image_bytes(bilevel, lossless=False, jpeg_quality=70)[:3] == b"\xff\xd8\xff"
    assert image_bytes(bilevel, lossless=True, jpeg_quality=70)[:8] == b"\x89PNG\r\n\x1a\n"
