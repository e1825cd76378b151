"""Blank pages (DeleteBlankPages, BlankPagesMaxNoise): how much of a page is ink that matters.

A page is blank when the ink left after taking away what a scanner adds to an empty sheet (grain, specks, the dark
band around the sheet, show-through from its back) covers less than BlankPagesMaxNoise percent of it. The ink is
measured on a copy reduced to about 100 dpi by averaging, where a pixel partly covered by ink is that much darker:
summing how much each pixel is covered keeps a stroke's true area, while the grain averages out.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

Pixels = NDArray[np.uint8]
Labels = NDArray[np.int32]
Mask = NDArray[np.bool_]

WORK_DPI = 100.0  # finer pages are reduced by a whole factor to between this and twice this

# Darkness: (paper - grey) / paper per colour channel, the largest of them (a red stamp on white paper is dark in
# green and blue), 0-1 scaled to 0-255. Black print on a scan reaches 0.8-0.9, faded thermal receipt print 0.3.
# A blob is what is darker than LOW. It is ink when it reaches CORE somewhere: show-through from the back of the
# sheet, grey 200-230 on white paper and blurred by the paper, stays under 0.2, and grain and JPEG noise far under.
# Its darkest pixel is taken as fully covered, the others as covered in proportion to their darkness.
LOW = 0.15
CORE = 0.25
PAPER_QUANTILE = 0.75  # the paper level is this quantile of each channel: the median of the brighter half
DARK_PAGE = 96  # grey levels; with no channel's paper level brighter, darkness is measured from white

MARK_MM = 12.0  # an ink stroke this long (inside the borders) keeps its page: a signature, a note
SPECK_MM = 0.5  # blobs at most this wide and tall are specks (scanner dust, toner dots)...
CLUSTER_MM = 4.0  # ... unless at least CLUSTER_COUNT other small blobs lie within a window this wide around them
CLUSTER_COUNT = 3  # (dotted lines, broken-up faint print; random specks are far sparser)

BORDER_REACH_MM = 1.0  # a blob touches an edge when it comes this close to it
BORDER_CONTACT_MM = 15.0  # a scan border touches its edge along at least this much...
BORDER_CONTACT_FRACTION = 0.2  # ... or this fraction of the edge on small images (a glyph cut by the edge: 2-4 mm)
BORDER_BAND_MM = 4.0  # along an edge with a border, this band is left out wherever the border is thinner...
BORDER_MARGIN_MM = 2.0  # ... and wherever it is thicker, this much beyond its inner edge (shadow, ragged paper edge)
BORDER_SMOOTH_MM = 3.0  # the border's thickness is the largest within this distance along the edge
BORDER_MAX_MM = 25.0  # never more than this from an edge (nor a quarter of the page): deeper is content, such
# as a picture printed to the edge (and what is left of a wider border counts as ink: such a scan is kept)


def is_blank(image: Image.Image, dpi: float, *, max_noise_percent: float, has_words: bool, has_barcode: bool) -> bool:
    """Whether the page can be left out of the result: never with words, a barcode or a mark on it (a stroke
    at least MARK_MM long: a signature, a handwritten note, which OCR does not read as words), else when
    its ink (see ink_percent) covers less than `max_noise_percent` percent of it.

    Keeping a blank page with a stray hair or fold line on it costs the reader a page; deleting a signed
    page loses the document's point: marks therefore always keep their page."""
    if has_words or has_barcode:
        return False
    percent, longest = _measure(image, dpi)
    return longest < MARK_MM and percent < max_noise_percent


def ink_percent(image: Image.Image, dpi: float) -> float:
    """The percentage of the page inside any scan border that is covered by ink that matters: blobs clearly
    darker than the paper that reach the darkness of ink, leaving out isolated specks and the scan border.

    image: the page in any Pillow mode (the pipeline gives 1, L or RGB); dpi: its resolution.
    """
    return _measure(image, dpi)[0]


def _measure(image: Image.Image, dpi: float) -> tuple[float, float]:
    """ink_percent, and the longest extent (mm) of an ink blob that counts, inside the borders."""
    darkness, work_dpi = _darkness(image, dpi)
    ink, peaks = _ink(darkness)
    count, found, found_stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        ink.view(np.uint8), 8, cv2.CV_32S, cv2.CCL_GRANA
    )
    if count == 1:
        return 0.0, 0.0
    labels, stats = np.asarray(found, np.int32), np.asarray(found_stats, np.int32)
    outside = _border_bands(labels, count, work_dpi)
    examined = outside.size - int(np.count_nonzero(outside))
    if examined == 0:  # nothing but border: nothing to call blank
        return 100.0, 0.0
    kept = ~_specks(stats, work_dpi, labels.shape)
    kept[0] = False
    counted = (kept[labels] & ~outside).view(np.uint8)
    # The ink of the blobs kept and the pixels around it, each by how much of it is covered (its darkness over
    # that of its blob's darkest pixel): a stroke 1.5 pixels wide on this copy counts 1.5, not 1 or 2, and the
    # edges of a faint stroke, lighter than LOW, count too.
    square = np.ones((3, 3), np.uint8)
    near = np.asarray(cv2.dilate(counted, square), np.uint8).view(np.bool_) & ~outside
    full = np.asarray(cv2.dilate(peaks, square), np.uint8)[near].astype(np.float32)
    covered = np.minimum(darkness[near] / np.maximum(full, 1), 1)
    area = float(covered.sum(dtype=np.float64))
    inside_ids = np.unique(labels[counted.view(np.bool_)])
    extents = np.maximum(stats[inside_ids, cv2.CC_STAT_WIDTH], stats[inside_ids, cv2.CC_STAT_HEIGHT])
    longest = float(extents.max(initial=0)) * 25.4 / work_dpi
    return 100.0 * area / examined, longest


def _px(mm: float, dpi: float) -> float:
    return mm * dpi / 25.4


def _darkness(image: Image.Image, dpi: float) -> tuple[Pixels, float]:
    """The page at WORK_DPI to twice that (or its own resolution if coarser) as darkness 0-255 (0: paper or
    lighter), and the dpi of that copy. Each channel's paper level is the brighter half's median; on a page
    without any (a black page, a dark photograph) darkness is measured from white, so all of it is ink."""
    if image.mode not in ("L", "RGB"):
        image = image.convert("L" if image.mode in ("1", "I", "I;16", "F") else "RGB")
    factor = max(1, int(dpi // WORK_DPI))
    if factor > 1:
        image = image.reduce(factor)  # the mean of each factor x factor block
    pixels: Pixels = np.asarray(image)
    channels = [pixels] if pixels.ndim == 2 else [np.asarray(c, np.uint8) for c in cv2.split(pixels)]
    papers = [_quantile(channel, PAPER_QUANTILE) for channel in channels]
    brightest = max(papers)
    if brightest < DARK_PAGE:
        papers, brightest = [255] * len(channels), 255
    levels = np.arange(256, dtype=np.float64)
    darkness: Pixels | None = None
    for channel, paper in zip(channels, papers, strict=True):
        # in units of the brightest channel's paper: on coloured paper, a channel in which the paper is dark
        # does not magnify its noise
        lut = np.clip(np.rint(255 * (paper - levels) / brightest), 0, 255).astype(np.uint8)
        shade = np.asarray(cv2.LUT(channel, lut), np.uint8)
        darkness = shade if darkness is None else np.maximum(darkness, shade)
    assert darkness is not None
    return darkness, dpi / factor


def _quantile(channel: Pixels, q: float) -> int:
    hist = cv2.calcHist([channel[::2, ::2]], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(hist)
    return int(np.searchsorted(cumulative, q * cumulative[-1]))


def _ink(darkness: Pixels) -> tuple[Mask, Pixels]:
    """In the blobs darker than LOW that reach CORE: their ink (the pixels at least half as dark as the blob's
    darkest, which are more covered than not) and the darkness of that darkest pixel all over the blob."""
    low = (darkness >= round(LOW * 255)).view(np.uint8)
    count, found = cv2.connectedComponentsWithAlgorithm(low, 8, cv2.CV_32S, cv2.CCL_GRANA)
    labels = np.asarray(found, np.int32)
    inside = low.view(np.bool_)
    ids = labels[inside]
    values = darkness[inside]
    peak = np.zeros(count, np.uint8)
    np.maximum.at(peak, ids, values)
    peak[peak < round(CORE * 255)] = 0  # a blob that never gets that dark has no ink
    tops = peak[ids]
    ink = np.zeros(darkness.shape, np.bool_)
    ink[inside] = (values.astype(np.int16) * 2 >= tops) & (tops > 0)
    peaks = np.zeros(darkness.shape, np.uint8)
    peaks[inside] = tops
    return ink, peaks


def _specks(stats: NDArray[np.int32], dpi: float, shape: tuple[int, ...]) -> Mask:
    """For each blob, whether it is a speck: at most SPECK_MM across and without CLUSTER_COUNT small neighbours."""
    limit = max(1, round(_px(SPECK_MM, dpi)))
    small = (stats[:, cv2.CC_STAT_WIDTH] <= limit) & (stats[:, cv2.CC_STAT_HEIGHT] <= limit)
    small[0] = False
    if not small.any():
        return small
    # Small blobs counted on a grid of cells a fifth of the window wide, summed over 5 x 5 cells around each.
    cell = max(1.0, _px(CLUSTER_MM, dpi) / 5)
    x = ((stats[small, cv2.CC_STAT_LEFT] + stats[small, cv2.CC_STAT_WIDTH] / 2) / cell).astype(np.intp)
    y = ((stats[small, cv2.CC_STAT_TOP] + stats[small, cv2.CC_STAT_HEIGHT] / 2) / cell).astype(np.intp)
    cells = np.zeros((int(shape[0] / cell) + 1, int(shape[1] / cell) + 1), np.float32)
    np.add.at(cells, (y, x), 1.0)
    around = cv2.boxFilter(cells, -1, (5, 5), normalize=False, borderType=cv2.BORDER_CONSTANT)
    lone = around[y, x] - 1 < CLUSTER_COUNT - 0.5
    specks = np.zeros_like(small)
    specks[np.flatnonzero(small)[lone]] = True
    return specks


def _border_bands(labels: Labels, count: int, dpi: float) -> Mask:
    """The parts of the page left out as scan border: along each edge that a blob touches over a long stretch,
    a band as deep as that blob reaches in from the edge plus a margin, and at least BORDER_BAND_MM."""
    outside = np.zeros(labels.shape, np.bool_)
    reach = max(1, round(_px(BORDER_REACH_MM, dpi)))
    # Each edge seen as rows along the edge and columns going into the page: left, right, top, bottom.
    for view, out in (
        (labels, outside),
        (labels[:, ::-1], outside[:, ::-1]),
        (labels.T, outside.T),
        (labels.T[:, ::-1], outside.T[:, ::-1]),
    ):
        length, depth_max = view.shape
        cap = max(1, int(min(depth_max / 4, _px(BORDER_MAX_MM, dpi))))
        strip = view[:, :reach]
        along, _ = np.nonzero(strip)
        if along.size == 0:
            continue
        touching = np.unique(strip[strip > 0].astype(np.int64) * length + along)
        contact = np.bincount(touching // length, minlength=count)
        border = contact >= min(_px(BORDER_CONTACT_MM, dpi), BORDER_CONTACT_FRACTION * length)
        border[0] = False
        if not border.any():
            continue
        band = border[np.ascontiguousarray(view[:, :cap])]
        band[:, :reach] |= band[:, :reach].any(axis=1, keepdims=True)  # a thin light line at the very edge
        depth = np.where(band.all(axis=1), cap, band.argmin(axis=1)).astype(np.float32)
        smooth = max(1, round(_px(BORDER_SMOOTH_MM, dpi)) // 2 * 2 + 1)
        deepest = np.asarray(cv2.dilate(depth.reshape(-1, 1), np.ones((smooth, 1), np.uint8)), np.float32).ravel()
        reaching = np.where(deepest > 0, deepest + _px(BORDER_MARGIN_MM, dpi), 0)
        width = np.clip(np.maximum(reaching, _px(BORDER_BAND_MM, dpi)), 0, cap)
        out[:, :cap] |= np.arange(cap)[None, :] < width[:, None]
    return outside
