"""Is a page speckled with fine salt-and-pepper noise: lone dark pixels on the paper (pepper) and lone light pixels
in the ink (salt), which a clean scan or photo hardly has. NumPy only and on a sample of the page's rows, so that a
default job can ask it of every page for a few milliseconds without loading OpenCV.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

# A page is speckled from this share of its pixels that are lone (no neighbour of their kind among the 8 around
# them): twice the most a clean development page has (0.063%, a chart; SROIE receipts up to 0.04%, text pages
# 0-0.03%). Salt-and-pepper noise on 0.5% of the pixels makes about 0.23%, on 0.2% about 0.09% (not detected).
SPECKLED_SHARE = 0.0012
BANDS = 16  # rows are sampled in this many bands spread over the page ...
BAND_ROWS = 48  # ... of this many rows each


def lone_share(image: Image.Image) -> float:
    """The share of the sampled pixels that are lone dark pixels on light paper or lone light pixels in dark ink."""
    height = image.height
    if height < 3 or image.width < 3:
        return 0.0
    rows = min(BAND_ROWS, height)
    starts = np.unique(np.linspace(0, height - rows, min(BANDS, max(1, height // rows))).astype(int))
    lone = total = 0
    for start in starts:
        band = image.crop((0, int(start), image.width, int(start) + rows))
        gray: NDArray[np.uint8] = np.asarray(band.convert("L"))
        paper = _percentile(gray, 90)
        dark = gray < paper / 2  # ink: darker than half the paper's grey
        count = _neighbours(dark)
        inner = dark[1:-1, 1:-1]
        lone += int(np.count_nonzero(inner & (count == 0)) + np.count_nonzero(~inner & (count == 8)))
        total += inner.size
    return lone / total if total else 0.0


def _percentile(gray: NDArray[np.uint8], q: float) -> float:
    """np.percentile(gray, q) (linear between the two nearest ranks) from the grey levels' counts: a band's counts
    take a third of the time its sort does."""
    ends = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    rank = q / 100 * (gray.size - 1)
    low = int(rank)
    below, above = (int(np.searchsorted(ends, k, side="right")) for k in (low, min(low + 1, gray.size - 1)))
    return below + (above - below) * (rank - low)


def speckled(image: Image.Image) -> bool:
    return lone_share(image) >= SPECKLED_SHARE


def _neighbours(mask: NDArray[np.bool_]) -> NDArray[np.int8]:
    """For each inner pixel, how many of its 8 neighbours are set."""
    h, w = mask.shape
    m = mask.astype(np.int8)
    count = np.zeros((h - 2, w - 2), np.int8)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy != 1 or dx != 1:
                count += m[dy : dy + h - 2, dx : dx + w - 2]
    return count
