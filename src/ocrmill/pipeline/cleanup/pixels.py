"""Pixel clean-up: specks (Despeckle), colour noise (RemoveColorNoise), halftone screens (RemoveHalftone),
faint or broken strokes (ImproveText), adaptive binarization (Binarize), and the grey page of a colour page on
which coloured text stays dark (text_gray).

Every operation takes a uint8 page, greyscale (H, W) or RGB (H, W, 3), and its dpi; sizes are set in
millimetres and turned into pixels with the dpi. Inputs are never modified; the result is a new array.
Each one leaves a clean page (almost) as it is: it acts only where it finds what it is meant to remove.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ocrmill.pipeline.cleanup import speckle

Pixels = NDArray[np.uint8]
Floats = NDArray[np.float32]
Ints = NDArray[np.int64]
Coords = NDArray[Any]  # pixel coordinates, integer or not

# Despeckle. A period of 10-12 pt text is 0.35-0.45 mm across: proximity to text, not size, tells them apart.
SPECK_MM = 0.5  # largest speck, across
SPECK_REACH_X = 1.0  # a small component this many text heights beside a glyph belongs to it (a period, a comma)
SPECK_REACH_Y = 0.4  # ... or this many above or below it (the dot of an i or j, an accent, an umlaut)
SPECK_CLUSTER = 2  # a small component with this many small neighbours is part of a pattern (an ellipsis, a quote)
SPECK_CLUSTER_REACH = 1.0  # ... counted within this many text heights sideways (half of it up and down)
DEFAULT_TEXT_MM = 2.5  # text height assumed when a page has no glyphs to measure
FINE_SPECK_MM = 0.15  # salt-and-pepper: dots and holes at most this across (and 2 pixels), on a speckled page

# RemoveColorNoise.
CHROMA_RADIUS_MM = 0.6  # the ink colour is averaged over this radius
COLOUR_DPI = 100.0  # ... at this resolution: colour detail is coarser than luminance detail
CHROMA_FLOOR = (0.04, 0.1)  # ink colours (chroma per grey level of darkness) faded to grey: all below, none above
INK_CHROMA = (6.0, 12.0)  # ... and weaker than this chroma (YCrCb units) at the darkest ink around: all, none
PAPER_GAIN = 1.2  # the most a channel is brightened to make the paper white

# RemoveHalftone.
SCREEN_TILE_MM = 10.0  # a screen is looked for tile by tile (about 20-60 periods across)
SCREEN_MAX_PERIOD_MM = 0.8  # coarsest screen (about 32 lpi); longer periods are text structure (pitch, lines)
SCREEN_PROMINENCE = 25.0  # two peaks at least this far over their neighbourhood; text tiles reach 20 (of 70 pages)
SCREEN_MIN_AMPLITUDE = 6.0  # grey levels; fainter periodic patterns (JPEG blocks, scanner noise) are left alone
SCREEN_BLUR = 0.35  # Gaussian sigma per screen period: the fundamental drops to 9 %

# Binarize (Sauvola). Window and k chosen by the ink F-measure on 4 real bilevel pages under 6 lightings (shadow,
# grey ink, noise): 3 mm and 0.3 score 0.96, Otsu 0.63; smaller windows hollow large type, larger ones lose thin
# ink. The Otsu floor (SAUVOLA_PAPER) costs 0.02 of that but keeps evenly lit faint receipts at Otsu's OCR score.
SAUVOLA_WINDOW_MM = 3.0
SAUVOLA_K = 0.3
SAUVOLA_RANGE = 128.0
SAUVOLA_PAPER = 0.9  # the global threshold applies where it is below this fraction of the local mean

# text_gray. Text printed in a light colour (orange: grey 173, light green, cyan) is paper to a global threshold
# (Otsu's and Tesseract's own) on a page that also has black print: an invoice's orange item names were not read.
TEXT_CHROMA = 96  # max - min channel (mean of 3 x 3) from which a pixel is coloured; paper casts, JPEG fringes: less
TEXT_STROKE_MM = 0.8  # a coloured shape is text when no part of it is wider (body text 0.3-0.5 mm; bold headings)
TEXT_MIN_MM = 0.4  # ... and when it is at least a period's size across (coloured specks of a photo are not)
TEXT_TOUCH_MM = 0.2  # a coloured shape this close to dark print is part of it (its edge, a fringe, a marker's rim)

# ImproveText.
FAINT_CONTRAST = 140.0  # paper minus ink (grey levels) below which the contrast is stretched
STROKE_MM = 0.3  # thinner strokes (body text is 0.3-0.4 mm) are grown to about this width


def _px(mm: float, dpi: float) -> float:
    return mm * dpi / 25.4


def _odd(size: float) -> int:
    return max(1, round(size) // 2 * 2 + 1)


def _check(image: Pixels) -> None:
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"expected uint8 pixels (H, W) or (H, W, 3), got {image.dtype} {image.shape}")


def _u8(array: NDArray[Any]) -> Pixels:
    """OpenCV's results, typed as what they are (no copy)."""
    return np.asarray(array, np.uint8)


def _f32(array: NDArray[Any]) -> Floats:
    return np.asarray(array, np.float32)


def _gray(image: Pixels) -> Pixels:
    return image if image.ndim == 2 else _u8(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))


def _ink_level(gray: Pixels, paper: float) -> int:
    """The grey level at or below which a pixel is ink: Otsu's threshold, but at least 48 levels below the paper
    (so that the noise of an empty page is not split into ink and paper)."""
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return int(min(otsu, paper - 48))


def _paper_level(gray: Pixels) -> float:
    """The median grey of the brighter half of the page (the paper on any page that is mostly paper)."""
    hist = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(hist)
    middle = int(np.searchsorted(cumulative, cumulative[-1] * 0.5))
    bright = cumulative[-1] - cumulative[middle - 1] if middle else cumulative[-1]
    return float(np.searchsorted(cumulative, cumulative[-1] - bright * 0.5))


# Despeckle ----------------------------------------------------------------------------------------------------


def despeckle(image: Pixels, dpi: float, *, max_mm: float = SPECK_MM) -> Pixels:
    """Remove fine salt-and-pepper noise when the page has it (remove_fine_specks), then isolated specks: dark
    connected components at most `max_mm` across, away from text.

    A small component is kept when a glyph (a larger component, at most a few text heights tall) is within
    SPECK_REACH_X text heights beside it or SPECK_REACH_Y above or below it (the dot of an i or j, a period, a
    comma, a diacritic, a decimal point), or when at least SPECK_CLUSTER other small components are around it
    (dotted leaders, the fragments of faint print, a stippled picture). The others are filled with the mean
    colour of the paper around them. Components are found at a threshold halfway between Otsu's and the paper,
    so that the pieces of faint glyphs join up and the dark cores of faint glyphs are not taken for specks.

    image: uint8 (H, W) or (H, W, 3); dpi: the page's resolution; max_mm: the largest speck, across.
    """
    _check(image)
    image = remove_fine_specks(image, dpi)
    gray = _gray(image)
    paper = _paper_level(gray)
    level = _ink_level(gray, paper)
    if level < 0:
        return image.copy()
    ink = _u8(cv2.threshold(gray, (level + paper) / 2, 255, cv2.THRESH_BINARY_INV)[1])
    _, found, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(ink, 8, cv2.CV_32S, cv2.CCL_GRANA)
    labels: NDArray[np.int32] = np.asarray(found, np.int32)
    boxes = stats[1:, :4].astype(np.int64)  # left, top, width, height
    limit = max(1, round(_px(max_mm, dpi)))  # whole pixels: a 3-pixel dot is 0.5 mm at 150 dpi
    small = (boxes[:, 2] <= limit) & (boxes[:, 3] <= limit)
    if not small.any():
        return image.copy()
    heights = boxes[~small, 3]
    text = _px(DEFAULT_TEXT_MM, dpi)
    if (heights <= 4 * text).any():
        text = max(float(np.median(heights[heights <= 4 * text])), limit)
    glyphs = boxes[~small & (boxes[:, 3] <= 4 * text)]

    grid = _Grid(gray.shape, cell=max(1, round(dpi / 100)))
    specks = boxes[small]
    x0, y0 = specks[:, 0], specks[:, 1]
    x1, y1 = x0 + specks[:, 2], y0 + specks[:, 3]
    reach_x, reach_y = SPECK_REACH_X * text, SPECK_REACH_Y * text
    near_glyph = grid.boxes_hit(glyphs, x0 - reach_x, y0 - reach_y, x1 + reach_x, y1 + reach_y) > 0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    around = grid.points_hit(
        cx,
        cy,
        cx - SPECK_CLUSTER_REACH * text,
        cy - SPECK_CLUSTER_REACH * text / 2,
        cx + SPECK_CLUSTER_REACH * text,
        cy + SPECK_CLUSTER_REACH * text / 2,
    )
    lone = ~near_glyph & (around - 1 < SPECK_CLUSTER)
    if not lone.any():
        return image.copy()
    ids = np.flatnonzero(small)[lone] + 1
    out = image.copy()
    for start in range(0, len(ids), 4096):  # bounded memory on a page full of specks
        _fill(out, labels, ink, ids[start : start + 4096], specks[lone][start : start + 4096], dpi)
    return out


def remove_fine_specks(image: Pixels, dpi: float) -> Pixels:
    """On a page speckled with salt-and-pepper noise (cleanup.speckle), every dark dot on the paper and every light
    hole in the ink at most FINE_SPECK_MM across (and 2 pixels at least, whatever the dpi) takes the median colour
    of the pixels around it. Specks this fine are too small to be a period or the dot of an i (0.3 mm and more);
    near text they are what the larger-speck pass keeps. A page that is not speckled is returned as it is (a copy).
    """
    _check(image)
    if not speckle.speckled(Image.fromarray(image)):
        return image.copy()
    gray = _gray(image)
    paper = _paper_level(gray)
    level = _ink_level(gray, paper)
    threshold = (level + paper) / 2 if level >= 0 else paper / 2
    area = max(2, round(_px(FINE_SPECK_MM, dpi) ** 2))
    ink = _u8(cv2.threshold(gray, threshold, 255, cv2.THRESH_BINARY_INV)[1])
    noise = np.zeros(gray.shape, bool)
    for mask in (ink, _u8(255 - ink)):  # dark dots on the paper, then light holes in the ink
        _, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_GRANA)
        tiny = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] <= area)
        tiny = tiny[tiny > 0]
        if tiny.size:
            lookup = np.zeros(len(stats), bool)
            lookup[tiny] = True
            noise |= lookup[labels]
    out = image.copy()
    out[noise] = _u8(cv2.medianBlur(image, 3 if area <= 2 else 5))[noise]
    return out


class _Grid:
    """A coarse grid over the page for counting boxes and points within windows."""

    def __init__(self, shape: tuple[int, ...], cell: int) -> None:
        self.cell = cell
        self.rows, self.cols = -(-shape[0] // cell), -(-shape[1] // cell)

    def _cells(self, x0: Coords, y0: Coords, x1: Coords, y1: Coords) -> tuple[NDArray[np.int64], ...]:
        """Window [x0, x1) x [y0, y1) in pixels as half-open cell ranges, rounded outwards and clipped."""
        c = self.cell
        return (
            np.clip(np.floor(np.asarray(x0) / c), 0, self.cols).astype(np.int64),
            np.clip(np.floor(np.asarray(y0) / c), 0, self.rows).astype(np.int64),
            np.clip(np.ceil(np.asarray(x1) / c), 0, self.cols).astype(np.int64),
            np.clip(np.ceil(np.asarray(y1) / c), 0, self.rows).astype(np.int64),
        )

    def _sums(self, counts: NDArray[Any], x0: Coords, y0: Coords, x1: Coords, y1: Coords) -> NDArray[np.int64]:
        table = cv2.integral(np.minimum(counts, 255).astype(np.uint8))
        cx0, cy0, cx1, cy1 = self._cells(x0, y0, x1, y1)
        sums: NDArray[np.int64] = table[cy1, cx1].astype(np.int64) - table[cy0, cx1] - table[cy1, cx0] + table[cy0, cx0]
        return sums

    def boxes_hit(self, boxes: Ints, x0: Coords, y0: Coords, x1: Coords, y1: Coords) -> NDArray[np.int64]:
        """For each window, the number of cells in it that some box (left, top, width, height) covers."""
        covered = np.zeros((self.rows + 1, self.cols + 1), np.int32)
        bx0, by0, bx1, by1 = self._cells(boxes[:, 0], boxes[:, 1], boxes[:, 0] + boxes[:, 2], boxes[:, 1] + boxes[:, 3])
        for xs, ys, sign in ((bx0, by0, 1), (bx1, by0, -1), (bx0, by1, -1), (bx1, by1, 1)):
            np.add.at(covered, (ys, xs), sign)
        occupied = (covered.cumsum(0, dtype=np.int32).cumsum(1, dtype=np.int32)[:-1, :-1] > 0).astype(np.int32)
        return self._sums(occupied, x0, y0, x1, y1)

    def points_hit(self, px: Coords, py: Coords, x0: Coords, y0: Coords, x1: Coords, y1: Coords) -> NDArray[np.int64]:
        """For each window, the number of points (px, py) in it (to the grid's precision)."""
        counts = np.zeros((self.rows, self.cols), np.int32)
        np.add.at(
            counts,
            (
                np.minimum(py // self.cell, self.rows - 1).astype(np.int64),
                np.minimum(px // self.cell, self.cols - 1).astype(np.int64),
            ),
            1,
        )
        return self._sums(counts, x0, y0, x1, y1)


def _fill(image: Pixels, labels: NDArray[np.int32], ink: Pixels, ids: Ints, boxes: Ints, dpi: float) -> None:
    """Fill the components `ids` of `image` (and a one-pixel rim around each), in place, with the mean colour
    of the paper (non-ink pixels) within about 0.5 mm of them."""
    h, w = labels.shape
    margin = max(2, round(_px(0.5, dpi)))
    size = int(boxes[:, 2:].max()) + 2 * margin
    offsets = np.arange(size) - margin
    ys = np.clip(boxes[:, 1, None] + offsets, 0, h - 1)[:, :, None]  # (n, size, 1)
    xs = np.clip(boxes[:, 0, None] + offsets, 0, w - 1)[:, None, :]  # (n, 1, size)
    mine = labels[ys, xs] == ids[:, None, None]
    rim = mine.copy()
    rim[:, 1:, :] |= mine[:, :-1, :]
    rim[:, :-1, :] |= mine[:, 1:, :]
    rim[:, :, 1:] |= rim[:, :, :-1].copy()
    rim[:, :, :-1] |= rim[:, :, 1:].copy()
    paper = (ink[ys, xs] == 0) & ~rim
    weight = np.maximum(paper.sum(axis=(1, 2)), 1)
    values = image[ys, xs].astype(np.float32)  # (n, size, size) or (n, size, size, 3)
    if values.ndim == 4:
        colour = (values * paper[..., None]).sum(axis=(1, 2)) / weight[:, None]
    else:
        colour = (values * paper).sum(axis=(1, 2)) / weight
    colour[~paper.any(axis=(1, 2))] = 255
    n, r, c = np.nonzero(rim)
    image[ys[n, r, 0], xs[n, 0, c]] = np.round(colour[n]).astype(np.uint8)


# RemoveColorNoise ---------------------------------------------------------------------------------------------


def remove_color_noise(image: Pixels, dpi: float) -> Pixels:
    """Remove colour noise from a colour scan: chroma speckle, JPEG colour fringes, show-through and tints of
    the paper, keeping real colour (coloured text, logos, stamps). Greyscale pages are returned unchanged.

    First each channel is scaled so that the paper is white (a tinted or greyish sheet; up to PAPER_GAIN).
    Then, in YCrCb, each pixel's chroma is rebuilt as its darkness (255 - luma) times the local ink colour, the
    chroma per grey level of darkness over a window of CHROMA_RADIUS_MM at COLOUR_DPI (sum of chroma / sum of
    darkness): coloured ink on paper has a chroma roughly proportional to its darkness, so a coloured stroke
    keeps its colour, while speckle and fringes average out and the paper gets none. An ink colour weaker than
    CHROMA_FLOOR, or than INK_CHROMA at the darkest ink around (show-through, smudges), fades to grey. The result
    is clamped between no chroma and the pixel's own: colour is only ever taken away, so black text on a
    coloured background does not take on its colour.

    image: uint8 (H, W) or (H, W, 3); dpi: the page's resolution.
    """
    _check(image)
    if image.ndim == 2:
        return image.copy()
    h, w = image.shape[:2]
    factor = max(1, min(round(dpi / COLOUR_DPI), h, w))  # whole pixels: OpenCV's fast path
    reduced = _u8(cv2.resize(image[: h // factor * factor, : w // factor * factor], (w // factor, h // factor),
                             interpolation=cv2.INTER_AREA))  # fmt: skip
    lut = _white_point(reduced)
    if lut is not None:
        image, reduced = _u8(cv2.LUT(image, lut)), _u8(cv2.LUT(reduced, lut))
    ycc = _u8(cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb))
    small = _f32(cv2.cvtColor(reduced, cv2.COLOR_RGB2YCrCb))
    k = (_odd(2 * _px(CHROMA_RADIUS_MM, dpi / factor)),) * 2
    darkness = 255 - small[..., 0]
    mean_darkness = np.maximum(_f32(cv2.blur(darkness, k)), 4)  # no division by (almost) zero on paper
    inks = [_f32(cv2.blur(small[..., c] - 128, k)) / mean_darkness for c in (1, 2)]  # chroma per darkness
    colour = _f32(cv2.magnitude(inks[0], inks[1]))
    vivid = colour * _f32(cv2.dilate(darkness, np.ones(k, np.uint8)))  # the chroma of the darkest ink around
    strength = np.clip((colour - CHROMA_FLOOR[0]) / (CHROMA_FLOOR[1] - CHROMA_FLOOR[0]), 0, 1)
    strength *= np.clip((vivid - INK_CHROMA[0]) / (INK_CHROMA[1] - INK_CHROMA[0]), 0, 1)

    luma = _u8(cv2.extractChannel(ycc, 0))
    channels = [luma, np.full((h, w), 128, np.uint8), np.full((h, w), 128, np.uint8)]
    rows, cols = np.nonzero(strength.max(axis=1))[0], np.nonzero(strength.max(axis=0))[0]
    if rows.size:  # rebuild the chroma where there is colour; elsewhere it is none
        r0, r1, c0, c1 = max(0, rows[0] - 1), rows[-1] + 2, max(0, cols[0] - 1), cols[-1] + 2
        box = (slice(r0 * factor, min(h, r1 * factor)), slice(c0 * factor, min(w, c1 * factor)))
        dark = _f32(cv2.bitwise_not(luma[box]))
        size = (dark.shape[1], dark.shape[0])
        offset, neutral = np.full(dark.shape, 128, np.float32), np.full(dark.shape, 128, np.uint8)
        for c, ink in zip((1, 2), inks, strict=True):
            part = (ink * strength)[r0:r1, c0:c1]
            rebuilt = _f32(cv2.resize(part, size, interpolation=cv2.INTER_LINEAR)) if factor > 1 else part[: size[1]]
            rebuilt8 = cv2.add(cv2.multiply(rebuilt, dark), offset, dtype=cv2.CV_8U)  # saturated
            own = _u8(cv2.extractChannel(ycc, c))[box]
            low, high = cv2.min(own, neutral), cv2.max(own, neutral)
            channels[c][box] = _u8(cv2.min(cv2.max(rebuilt8, low), high))
    return _u8(cv2.cvtColor(cv2.merge(channels), cv2.COLOR_YCrCb2RGB))


def _white_point(rgb: Pixels) -> Pixels | None:
    """A lookup table (256 x 1 x 3) scaling each channel (by 1 to PAPER_GAIN) so that the paper, the median of
    the brightest quarter of the pixels, turns white; None when the paper is white already or there is no paper
    to speak of (a dark or colourful picture)."""
    sample = rgb.reshape(-1, 3)
    luma = sample @ np.array([0.299, 0.587, 0.114])
    paper = np.median(sample[luma >= np.percentile(luma, 75)], axis=0)
    gains = np.clip(255 / np.maximum(paper, 1), 1, PAPER_GAIN)
    if np.all(gains < 1.005) or paper.min() < 160 or paper.max() - paper.min() > 40:
        return None
    lut: Pixels = np.clip(np.arange(256)[:, None] * gains[None, :] + 0.5, 0, 255).astype(np.uint8)
    return lut.reshape(256, 1, 3)


# RemoveHalftone -----------------------------------------------------------------------------------------------


def remove_halftone(image: Pixels, dpi: float) -> Pixels:
    """Remove halftone screens (the regular dot patterns of printed photos and tinted boxes) where there are any,
    so that text printed on a tint reads as text on a flat grey.

    The page is cut into tiles of about SCREEN_TILE_MM; a tile holds a screen when its spectrum has sharp peaks
    (SCREEN_PROMINENCE over their neighbourhood, SCREEN_MIN_AMPLITUDE grey levels) in at least two directions: a
    dot lattice, not a dotted line or the banding of a resampled scan. There the page is blurred with a Gaussian
    of SCREEN_BLUR times the screen period (the lowest-frequency peak), fading out over a quarter tile around
    them. A page without a screen is returned unchanged.

    image: uint8 (H, W) or (H, W, 3); dpi: the page's resolution.
    """
    _check(image)
    gray = _gray(image)
    tile = max(128, 2 ** round(math.log2(_px(SCREEN_TILE_MM, dpi))))  # the thresholds were measured on 128
    periods = _screen_periods(gray, dpi, tile)
    found = periods > 0
    if not found.any():
        return image.copy()
    sigma = SCREEN_BLUR * float(np.median(periods[found]))
    weight = _tile_weight(found, tile, gray.shape)
    rows, cols = np.nonzero(weight.max(axis=1))[0], np.nonzero(weight.max(axis=0))[0]
    margin = math.ceil(3 * sigma)
    top, bottom = max(0, rows[0] - margin), min(gray.shape[0], rows[-1] + 1 + margin)
    left, right = max(0, cols[0] - margin), min(gray.shape[1], cols[-1] + 1 + margin)
    region = image[top:bottom, left:right]
    blurred = cv2.GaussianBlur(region, (0, 0), sigma)
    alpha = weight[top:bottom, left:right]
    if region.ndim == 3:
        alpha = _u8(cv2.merge([alpha] * 3))
    mixed = cv2.add(
        cv2.multiply(region, cv2.bitwise_not(alpha), scale=1 / 255), cv2.multiply(blurred, alpha, scale=1 / 255)
    )
    out = image.copy()
    out[top:bottom, left:right] = mixed
    return out


def _screen_periods(gray: Pixels, dpi: float, tile: int) -> Floats:
    """Per tile of `tile` pixels (the last row and column padded), the period in pixels of the halftone screen
    found there, or 0."""
    h, w = gray.shape
    rows, cols = -(-h // tile), -(-w // tile)
    padded = cv2.copyMakeBorder(gray, 0, rows * tile - h, 0, cols * tile - w, cv2.BORDER_REPLICATE)
    hann = np.hanning(tile).astype(np.float32)
    window = np.outer(hann, hann)
    checker = 1 - 2 * (np.add.outer(np.arange(tile), np.arange(tile)) % 2).astype(np.float32)
    centred = window * checker  # (-1)^(x+y) puts frequency 0 in the middle of the spectrum
    gain = float(window.sum())
    freq = (np.arange(tile) - tile // 2) / tile
    fx, fy = freq[None, :], freq[:, None]
    radius = np.hypot(fx, fy)
    edge = 0.5 - 5 / tile  # the 9 x 9 neighbourhood of a peak stays inside the spectrum
    band = (radius >= 25.4 / (SCREEN_MAX_PERIOD_MM * dpi)) & (np.abs(fx) <= edge) & (fy >= 0) & (fy <= edge)
    for k in range(1, 5):  # JPEG's 8 x 8 blocks: peaks at multiples of 1/8 on the axes
        band &= ~((np.abs(np.abs(fx) - k / 8) <= 1.5 / tile) & (np.abs(fy) <= 1.5 / tile))
        band &= ~((np.abs(fy - k / 8) <= 1.5 / tile) & (np.abs(fx) <= 1.5 / tile))
    ones = np.ones((3, 3), np.uint8)

    periods = np.zeros((rows, cols), np.float32)
    for r in range(rows):
        for c in range(cols):
            patch = padded[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile]
            if cv2.meanStdDev(patch)[1][0, 0] < SCREEN_MIN_AMPLITUDE / 2:
                continue  # too flat to hold a screen of that amplitude
            spectrum = cv2.dft(cv2.multiply(patch, centred, dtype=cv2.CV_32F), flags=cv2.DFT_COMPLEX_OUTPUT)
            power = cv2.magnitude(spectrum[..., 0], spectrum[..., 1]).astype(np.float64) ** 2
            inner = cv2.boxFilter(power, -1, (3, 3), normalize=False, borderType=cv2.BORDER_CONSTANT)
            outer = cv2.boxFilter(power, -1, (9, 9), normalize=False, borderType=cv2.BORDER_CONSTANT)
            peaks = band & (inner * 72 >= SCREEN_PROMINENCE * 9 * (outer - inner))
            peaks &= inner >= (SCREEN_MIN_AMPLITUDE * gain / 2) ** 2
            if not peaks.any():
                continue
            peaks &= power >= cv2.dilate(power, ones)
            ys, xs = np.nonzero(peaks)
            vx, vy = fx[0, xs], fy[ys, 0]
            lengths = np.hypot(vx, vy)
            cross = np.abs(np.outer(vx, vy) - np.outer(vy, vx))
            if (cross > 0.34 * np.outer(lengths, lengths)).any():  # two peaks at least 20 degrees apart
                periods[r, c] = 1 / lengths.min()
    return periods


def _tile_weight(found: NDArray[np.bool_], tile: int, shape: tuple[int, ...]) -> Pixels:
    """A full-size weight (0-255): 255 on the tiles marked `found`, fading to 0 over a quarter tile around them."""
    cells = 8  # per tile
    grid = cv2.resize(found.astype(np.uint8) * 255, None, fx=cells, fy=cells, interpolation=cv2.INTER_NEAREST)
    grid = cv2.blur(cv2.dilate(grid, np.ones((3, 3), np.uint8)), (3, 3))
    scaled = cv2.resize(grid, (found.shape[1] * tile, found.shape[0] * tile), interpolation=cv2.INTER_LINEAR)
    return _u8(scaled)[: shape[0], : shape[1]]


# Binarize -----------------------------------------------------------------------------------------------------


def binarize(image: Pixels, dpi: float, *, window_mm: float = SAUVOLA_WINDOW_MM, k: float = SAUVOLA_K) -> Pixels:
    """The page as black and white (uint8 0 or 255, shape (H, W)) by Sauvola's adaptive threshold.

    Each pixel is compared with T = m * (1 + k * (s / R - 1)), m and s the mean and standard deviation of the
    grey levels in a window of `window_mm` around it (box filters, so the cost does not depend on the window)
    and R = SAUVOLA_RANGE: the threshold follows the local paper, so a shadow or an illumination gradient
    across the page does not turn into a black area, and flat paper (s small) stays white. Where the local
    paper is bright, T is raised to the page's Otsu threshold (but not above SAUVOLA_PAPER times the local
    mean, so the paper stays white): on evenly lit faint print Sauvola alone drops thin grey strokes that a
    global threshold keeps.

    image: uint8 (H, W) or (H, W, 3); dpi: the page's resolution; window_mm: side of the window; k: how far
    below the local mean the threshold drops on flat paper.
    """
    _check(image)
    gray8 = _gray(image)
    otsu, _ = cv2.threshold(gray8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    gray = gray8.astype(np.float32)
    size = (_odd(_px(window_mm, dpi)),) * 2
    mean = _f32(cv2.boxFilter(gray, -1, size, borderType=cv2.BORDER_REFLECT))
    threshold = _f32(cv2.boxFilter(gray * gray, -1, size, borderType=cv2.BORDER_REFLECT))  # in place from here
    threshold -= mean * mean
    np.maximum(threshold, 0, out=threshold)
    np.sqrt(threshold, out=threshold)  # the standard deviation
    threshold *= k / SAUVOLA_RANGE
    threshold += 1 - k
    threshold *= mean
    floor = mean  # reused
    floor *= SAUVOLA_PAPER
    np.minimum(floor, otsu, out=floor)
    np.maximum(threshold, floor, out=threshold)
    return _u8(cv2.compare(gray, threshold, cv2.CMP_GT))


# ImproveText --------------------------------------------------------------------------------------------------


def improve_text(image: Pixels, dpi: float) -> Pixels:
    """Make faint, thin or broken glyphs readable; a page whose ink is dark enough is returned unchanged.

    On a faint page (paper minus ink below FAINT_CONTRAST grey levels) the contrast is stretched, the 10th
    percentile of the ink to black and the lower quartile of the paper to white. Then, if the strokes are
    thinner than STROKE_MM (faded and eroded copies), the ink is grown by the shortfall; otherwise a small
    closing of the ink (0.6 stroke widths) bridges breaks in the strokes. The ink is the darker class of Otsu's
    threshold, and the stroke width twice its area over its boundary.

    image: uint8 (H, W) or (H, W, 3); dpi: the page's resolution.
    """
    _check(image)
    gray = _gray(image)
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    cumulative = np.cumsum(cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel())
    dark = cumulative[int(otsu)]
    if dark < 1e-3 * cumulative[-1]:
        return image.copy()  # no ink to speak of
    ink = float(np.searchsorted(cumulative, 0.1 * dark))
    paper = float(np.searchsorted(cumulative, dark + 0.25 * (cumulative[-1] - dark)))
    if paper - ink >= FAINT_CONTRAST:
        return image.copy()
    lut = np.clip((np.arange(256) - ink) * 255 / max(1.0, paper - ink), 0, 255).round().astype(np.uint8)
    out = _u8(cv2.LUT(image, lut))
    stroke = _stroke_width(_u8(cv2.LUT(gray, lut)))
    target = _px(STROKE_MM, dpi)
    # the ink is dark: a grey erosion grows it, a grey opening closes it
    if stroke < target:
        size = 2 * max(1, round((target - stroke) / 2)) + 1  # half the shortfall on each side
        return _u8(cv2.erode(out, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))))
    size = max(2, round(0.6 * stroke))
    return _u8(cv2.morphologyEx(out, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))))


def text_gray(image: Pixels, dpi: float, *, gray: Pixels | None = None) -> Pixels:
    """The grey page of an RGB page, on which text printed in a colour that is light in grey (orange, light green)
    is as dark as its darkest channel. Only the coloured pixels lighter than Otsu's threshold (what a threshold
    would take for paper) that make thin shapes are changed. Left as grey as they were: a coloured area with any
    part wider than TEXT_STROKE_MM (a highlighter's mark, a tinted bar, a logo's fill) and the thin shapes
    touching one (the marker's strokes between the letters it covers); specks smaller than a period; shapes
    touching print that is dark already (the light edges of dark blue print, JPEG's colour fringes, a marker's
    colour inside the letters it covers). A page without such text is its plain grey: `gray` itself when given
    (the caller's, such as Pillow's "L", which rounds some colours a level apart from OpenCV's; it is copied
    only when something changes), else OpenCV's; a grey page is returned as it is (a copy)."""
    _check(image)
    if image.ndim == 2:
        return image.copy()
    plain = gray is None
    gray = _gray(image) if gray is None else gray
    r, g, b = cv2.split(image)
    darkest = _u8(cv2.min(cv2.min(r, g), b))
    chroma = _u8(cv2.blur(cv2.subtract(cv2.max(cv2.max(r, g), b), darkest), (3, 3)))
    _, coloured = cv2.threshold(chroma, TEXT_CHROMA - 1, 255, cv2.THRESH_BINARY)
    if not cv2.countNonZero(coloured):
        return gray
    _, light = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    x, y, w, h = cv2.boundingRect(cv2.bitwise_and(coloured, light))
    if not w:
        return gray
    box = (slice(y, y + h), slice(x, x + w))  # the work is done where the light coloured pixels are
    shapes = _u8(cv2.bitwise_and(coloured[box], light[box]))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(shapes, connectivity=8)
    half = _px(TEXT_STROKE_MM, dpi) / 2
    _, core = cv2.threshold(_f32(cv2.distanceTransform(shapes, cv2.DIST_L2, 3)), half, 255, cv2.THRESH_BINARY)
    reach = _odd(4 * half)  # the wide parts grown by their own width and as much again: the shapes they touch
    near = cv2.dilate(_u8(core), cv2.getStructuringElement(cv2.MORPH_RECT, (reach, reach)))
    touch = max(5, _odd(2 * _px(TEXT_TOUCH_MM, dpi) + 1))  # and 2 pixels at least: a JPEG's blur
    ink = cv2.dilate(cv2.bitwise_not(light[box]), np.ones((touch, touch), np.uint8))  # print, as a threshold sees it
    not_text = np.zeros(count, bool)
    not_text[0] = True  # the background
    not_text[stats[:, cv2.CC_STAT_AREA] < _px(TEXT_MIN_MM, dpi) ** 2] = True  # specks
    not_text[labels[cv2.bitwise_and(cv2.bitwise_or(near, ink), shapes) > 0]] = True
    text = ~not_text[labels]
    if not text.any():
        return gray
    out = gray if plain else gray.copy()  # OpenCV's grey is this call's own
    out[box][text] = np.minimum(gray[box], darkest[box])[text]
    return out


def _stroke_width(gray: Pixels) -> float:
    """The mean stroke width in pixels of the ink (Otsu's darker class): twice its area over its boundary."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    area = cv2.countNonZero(ink)
    boundary = area - cv2.countNonZero(cv2.erode(ink, np.ones((3, 3), np.uint8)))
    return 2 * area / max(1, boundary)
