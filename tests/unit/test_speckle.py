"""The default job's speckle check (pipeline.cleanup.speckle) on real pages: a clean scan is not speckled, the same
scan with fine salt-and-pepper noise is, and the paper's grey it measures is NumPy's percentile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ocrmill.pipeline.cleanup import speckle


def test_a_clean_scan_is_not_speckled_and_a_noisy_copy_is(data: Path) -> None:
    with Image.open(data / "ocr-scribe-benchmark" / "img" / "singlecol_01.png") as im:
        page = im.convert("L")
    assert not speckle.speckled(page)
    pixels = np.asarray(page).copy()
    noise = np.random.default_rng(1).random(pixels.shape)
    pixels[noise < 0.0025], pixels[noise > 0.9975] = 0, 255  # 0.5% of the pixels, one pixel each
    assert speckle.speckled(Image.fromarray(pixels))


def test_the_papers_grey_is_numpys_percentile(data: Path) -> None:
    rng = np.random.default_rng(2)
    bands = [np.asarray(Image.open(data / "ocr-tesseract-test" / name).convert("L"))[100:148] for name in
             ("8087_054.3B.tif", "eurotext.tif", "phototest.tif")]  # fmt: skip
    bands += [rng.integers(0, 256, size=(int(rng.integers(1, 49)), int(rng.integers(1, 400))), dtype=np.uint8)
              for _ in range(200)]  # fmt: skip
    for band in bands:
        for q in (0, 12.5, 50, 90, 100):
            assert speckle._percentile(band, q) == float(np.percentile(band, q))
