"""Which uploaded images the invoice split keeps as they are (as the page image) instead of saving them as PNG."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ExifTags, Image

from ocrmill.worker.invoices import _kept_as_is


def _saved(tmp_path: Path, name: str, image: Image.Image, **params: object) -> Path:
    path = tmp_path / name
    image.save(path, **params)
    return path


@pytest.mark.parametrize(
    ("name", "mode", "params", "kept"),
    [
        ("photo.jpg", "RGB", {}, "jpg"),
        ("scan.jpg", "L", {}, "jpg"),
        ("scan.png", "L", {}, "png"),
        ("bilevel.png", "1", {}, "png"),
        ("colour.png", "RGB", {}, "png"),
        ("named-wrongly.png", "RGB", {"format": "JPEG"}, "jpg"),  # by its bytes, not its name
        ("alpha.png", "RGBA", {}, None),
        ("palette.png", "P", {}, None),
        ("cmyk.jpg", "CMYK", {}, None),
        ("scan.tif", "L", {}, None),
    ],
)
def test_plain_jpegs_and_pngs_are_kept(
    tmp_path: Path, name: str, mode: str, params: dict[str, object], kept: str | None
) -> None:
    assert _kept_as_is(_saved(tmp_path, name, Image.new(mode, (40, 30)), **params)) == kept


def test_a_photo_with_an_exif_turn_is_not_kept(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # to be turned 90 degrees: the page image is the turned raster
    assert _kept_as_is(_saved(tmp_path, "turned.jpg", Image.new("RGB", (40, 30)), exif=exif)) is None
    exif[ExifTags.Base.Orientation] = 1
    assert _kept_as_is(_saved(tmp_path, "upright.jpg", Image.new("RGB", (40, 30)), exif=exif)) == "jpg"


def test_a_multi_frame_image_is_not_kept(tmp_path: Path) -> None:
    frames = [Image.new("L", (40, 30)), Image.new("L", (40, 30), 255)]
    path = tmp_path / "two.png"
    frames[0].save(path, save_all=True, append_images=frames[1:])  # an animated PNG
    assert _kept_as_is(path) is None
