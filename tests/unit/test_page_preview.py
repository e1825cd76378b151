"""The console viewer's page preview (pipeline.run.page_preview): the page at PREVIEW_DPI, each pixel the mean of
the pixels it covers, whatever the raster's resolution."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocrmill.pipeline.pages import PageRef, Raster
from ocrmill.pipeline.run import PREVIEW_DPI, page_preview


@pytest.mark.parametrize(
    ("dpi", "mode"), [(300, "L"), (299.9994, "L"), (300, "1"), (240, "L"), (200, "RGB"), (72, "L")]
)
def test_the_preview_is_the_page_at_the_viewers_resolution(data: Path, tmp_path: Path, dpi: float, mode: str) -> None:
    with Image.open(data / "ocr-tesseract-test" / "8087_054.3B.tif") as im:
        image = im.convert(mode)
    ref = PageRef(data / "ocr-tesseract-test" / "8087_054.3B.tif", "image", 0, 0)
    with Image.open(page_preview(ref, Raster(image, dpi, transformed=False), tmp_path)) as preview:
        shown = np.asarray(preview.convert("L"), dtype=np.float32)
    factor = min(1.0, PREVIEW_DPI / dpi)
    size = (round(image.width * factor), round(image.height * factor))
    assert (shown.shape[1], shown.shape[0]) == size
    page = image.convert("L") if mode == "1" else image
    box = page.resize(size, Image.Resampling.BOX) if size != page.size else page
    box.save(tmp_path / "box.jpg", "JPEG", quality=75)
    with Image.open(tmp_path / "box.jpg") as im:
        expected = np.asarray(im.convert("L"), dtype=np.float32)
    # the box filter's averages (through the same JPEG): whole 3 x 3 pixels at 300 dpi, where the filter's boxes are
    # 3.0012 pixels wide on this page (2560 -> 853), so a text edge falls a fraction of a pixel apart here and there
    assert float(np.abs(shown - expected).mean()) < 5.0
