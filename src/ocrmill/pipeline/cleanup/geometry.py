"""Page geometry: orientation (AutoOrientation), skew (Deskew, DeskewAdjustPaperSize), dark scan borders
(ClearBorder, DeleteBorder) and punch holes (RemoveHolePunch).

Every operation takes a uint8 page, greyscale (H, W) or RGB (H, W, 3), and its dpi; sizes are set in
millimetres and turned into pixels with the dpi. Inputs are never modified; the result is a new array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ocrmill.pipeline.engine import detect_orientation
from ocrmill.pipeline.languages import tessdata_dir

Array = NDArray[np.uint8]
Colour = tuple[int, ...]

# Skew search (degrees): coarse steps over the whole range, then fine steps around the best coarse angle.
MAX_SKEW = 15.0
COARSE_STEP = 0.25
FINE_STEP = 0.05
MIN_SKEW = 0.1  # below this a rotation would blur the page for nothing
SKEW_DPI = 150  # text lines are still well resolved, and there are 4x fewer pixels than at 300 dpi

# Tesseract's OSD confidence above which AutoOrientation turns a page. Measured on 67 real pages of
# ../shared/data (Tesseract's tests, the scribe scans, linn, 50 SROIE receipts), each in 4 orientations,
# normalised to OSD_DPI: the 39 wrong answers never reached 9.0 (a table of digits, which OSD reads as
# turned, 6.6-9.0; all others at most 4.1); right answers exceed 10 on 63 of 229, the text pages (10.8-34),
# while most receipts stay below (0-9) and are left as they are.
MIN_ORIENTATION_CONFIDENCE = 10.0
OSD_DPI = 300  # OSD's confidence on low-resolution scans (receipts at 100-150 dpi) roughly doubles at 300 dpi

# Scan borders.
BORDER_SOLID_MM = 3.0  # a border band is solid over at least this width; words, even bold ones, are not
BORDER_LINE_MM = 20.0  # or a straight dark run along the edge at least this long (thin edge shadows)
BORDER_CONTACT_MM = 10.0  # it lies along the image edge over at least this length
BORDER_HALO_MM = 0.4  # the grey transition between a border and the paper is cleared with it
BORDER_DPI = 100

# Punch holes (ISO 838 and US 3-hole: 5.5-8 mm across, 10-15 mm from the edge).
HOLE_DIAMETER_MM = (4.5, 9.0)
HOLE_MAX_EDGE_MM = 25.0
HOLE_HALO_MM = 0.5
HOLE_DPI = 150


def _u8(array: NDArray[Any]) -> Array:
    """OpenCV's results, typed as what they are (no copy)."""
    return np.asarray(array, dtype=np.uint8)


def _gray(image: Array) -> Array:
    return image if image.ndim == 2 else _u8(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))


def _reduced(gray: Array, dpi: float, target_dpi: float) -> tuple[Array, float]:
    """The page at no more than target_dpi, and the scale factor used."""
    scale = min(1.0, target_dpi / dpi)
    if scale > 0.95:
        return gray, 1.0
    return _u8(cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)), scale


def _paper_level(gray: Array) -> float:
    """The grey level of the paper: the median of the pixels on the light side of Otsu's threshold."""
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    counts = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel()  # the median from the levels' counts
    counts[: int(threshold) + 1] = 0
    total = int(counts.sum())
    if not total:
        return 255.0
    running = np.cumsum(counts)
    low, high = np.searchsorted(running, [(total - 1) // 2 + 1, total // 2 + 1])
    return (float(low) + float(high)) / 2


def _background(image: Array, gray: Array) -> Colour:
    """The paper's colour (one value per channel), used to fill what an operation uncovers or erases."""
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    step = max(1, int(math.sqrt(gray.size / 250_000)))  # a sample is enough for a median
    light = gray[::step, ::step] > threshold
    pixels = image[::step, ::step][light]
    if pixels.size == 0:
        return (255,) * (1 if image.ndim == 2 else image.shape[2])
    return tuple(int(v) for v in np.atleast_1d(np.median(pixels, axis=0)))


def _fill(image: Array, colour: Colour) -> float | tuple[float, ...]:
    return float(colour[0]) if image.ndim == 2 else tuple(float(c) for c in colour)


def _is_bilevel(image: Array) -> bool:
    return image.ndim == 2 and not np.any((image != 0) & (image != 255))


# -- Deskew ------------------------------------------------------------------------------------------------


def skew_angle(gray: Array, dpi: float) -> float:
    """The skew of the page's text lines in degrees, counter-clockwise positive (lines rising to the right),
    within ±MAX_SKEW; 0.0 when the page has too little text to tell.

    Projection profiles of the glyph pixels: at the right angle the pixels of each text line fall into the
    same few rows, so the profile is sharpest (largest sum of squared differences between neighbouring rows,
    as in Leptonica's pixFindSkew). Only glyph-sized connected components count, so pictures, frames and
    rules do not pull the angle. Coarse steps of COARSE_STEP degrees over the range, then FINE_STEP steps
    around the best one, then a parabola through the best three."""
    small, scale = _reduced(gray, dpi, SKEW_DPI)
    mm = dpi * scale / 25.4
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    glyph = (height <= 12 * mm) & (width <= 25 * mm) & (stats[:, cv2.CC_STAT_AREA] >= 2)
    glyph[0] = False  # the background
    ys, xs = np.nonzero(glyph[labels])
    if ys.size < 500:
        return 0.0
    xs_f = xs.astype(np.float64) - small.shape[1] / 2
    ys_f = ys.astype(np.float64)

    def sharpness(points: slice, angle: float) -> float:
        rows = ys_f[points] + xs_f[points] * math.tan(math.radians(angle))
        profile = np.bincount((rows - rows.min()).astype(np.int64)).astype(np.float64)
        return float(np.sum(np.diff(profile) ** 2))

    coarse_points = slice(None, None, max(1, ys.size // 60_000))
    coarse = np.arange(-MAX_SKEW, MAX_SKEW + COARSE_STEP / 2, COARSE_STEP)
    best = float(coarse[int(np.argmax([sharpness(coarse_points, a) for a in coarse]))])
    fine = best + np.arange(-2 * COARSE_STEP, 2 * COARSE_STEP + FINE_STEP / 2, FINE_STEP)
    scores = [sharpness(slice(None), a) for a in fine]
    i = int(np.argmax(scores))
    angle = float(fine[i])
    if 0 < i < len(fine) - 1:
        left, mid, right = scores[i - 1], scores[i], scores[i + 1]
        bend = left - 2 * mid + right
        if bend < 0:
            angle += FINE_STEP * 0.5 * (left - right) / bend
    return float(np.clip(angle, -MAX_SKEW, MAX_SKEW))


def deskew(image: Array, dpi: float, *, adjust_paper_size: bool) -> tuple[Array, float]:
    """Straighten the page: rotate it by its measured skew (skew_angle), filling uncovered areas with the
    paper's colour. Returns the new page and the skew that was corrected (degrees, counter-clockwise
    positive); a skew under MIN_SKEW degrees is left alone (a copy of the page, 0.0).

    adjust_paper_size (ownOCR's DeskewAdjustPaperSize, "adjust paper size to the original document size
    after deskew") is read as: False keeps the image's size, so the rotated content is cut at the corners
    and the corners it leaves are filled; True grows the canvas to the bounding box of the whole rotated
    page, so nothing of the original is cut off (the paper becomes the size of the original document
    straightened, not the size of the crooked scan). A bilevel page stays bilevel."""
    gray = _gray(image)
    angle = skew_angle(gray, dpi)
    if abs(angle) < MIN_SKEW:
        return image.copy(), 0.0
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -angle, 1.0)  # clockwise by the skew
    size = (width, height)
    if adjust_paper_size:
        cos, sin = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
        size = (math.ceil(width * cos + height * sin - 1e-6), math.ceil(width * sin + height * cos - 1e-6))
        matrix[0, 2] += (size[0] - width) / 2
        matrix[1, 2] += (size[1] - height) / 2
    bilevel = _is_bilevel(image)
    fill = _fill(image, _background(image, gray))
    out = _u8(
        cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    )
    if bilevel:
        out = np.where(out >= 128, 255, 0).astype(np.uint8)
    return out, angle


# -- AutoOrientation ---------------------------------------------------------------------------------------


def orientation(gray: Array, dpi: float, tessdata: Path | None = None) -> tuple[int, float]:
    """The clockwise rotation (0, 90, 180 or 270) that makes the page upright, and Tesseract's confidence.

    Tesseract's OSD, on the page scaled to OSD_DPI (its confidence on low-resolution scans is much higher
    there). tessdata defaults to the installed models (languages.tessdata_dir)."""
    scale = OSD_DPI / dpi
    if abs(scale - 1) > 0.1:
        interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        gray = _u8(cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interpolation))
        dpi = OSD_DPI
    return detect_orientation(Image.fromarray(gray), dpi, tessdata or tessdata_dir(None))


def orient(
    image: Array, dpi: float, tessdata: Path | None = None, *, min_confidence: float = MIN_ORIENTATION_CONFIDENCE
) -> tuple[Array, int]:
    """Turn the page upright (AutoOrientation): rotate it clockwise by 90, 180 or 270 degrees when Tesseract's
    OSD is more confident than min_confidence; returns the page and the rotation applied (0: a copy)."""
    rotation, confidence = orientation(_gray(image), dpi, tessdata)
    if rotation == 0 or confidence <= min_confidence:
        return image.copy(), 0
    return np.ascontiguousarray(np.rot90(image, k=-rotation // 90)), rotation


# -- ClearBorder, DeleteBorder -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Border:
    mask: NDArray[np.bool_]  # full resolution: the pixels to clear
    page: tuple[int, int, int, int]  # left, top, right, bottom (exclusive) of the page inside the border


def _find_border(gray: Array, dpi: float) -> _Border | None:
    """Dark regions connected to the image edge that are not text: bands at least BORDER_SOLID_MM thick or
    straight runs at least BORDER_LINE_MM long (thin strokes of glyphs cut by the edge are neither), lying
    along the edge over at least BORDER_CONTACT_MM. The page is the largest region left; None when there is
    no border, or when what is left is too small to be a page (a dark photo, not a scan border)."""
    small, scale = _reduced(gray, dpi, BORDER_DPI)
    mm = dpi * scale / 25.4
    dark = (small < 0.7 * _paper_level(small)).astype(np.uint8)
    # No closing first: it would turn bold words into solid blobs that join a band they touch. The
    # reduction has already averaged a photocopy band's speckle away.
    solid = max(3, round(BORDER_SOLID_MM * mm))
    line = max(solid + 1, round(BORDER_LINE_MM * mm))
    core = _u8(cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((solid, solid), np.uint8)))
    core |= _u8(cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((1, line), np.uint8)))
    core |= _u8(cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((line, 1), np.uint8)))
    count, labels = cv2.connectedComponents(core, connectivity=8)
    if count <= 1:
        return None
    contact = np.zeros(count, np.int64)
    for edge in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        contact = np.maximum(contact, np.bincount(edge, minlength=count))
    seeds = contact >= BORDER_CONTACT_MM * mm
    seeds[0] = False
    if not seeds.any():
        return None
    border = seeds[labels].astype(np.uint8)
    # One pixel more where the band goes on (the opening shaved its ragged edge); text next to it stays.
    border = _u8(cv2.dilate(border, np.ones((3, 3), np.uint8))) & dark | border
    count, labels, stats, _ = cv2.connectedComponentsWithStats(1 - border, connectivity=4)
    if count <= 1:
        return None
    page_label = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[page_label, cv2.CC_STAT_AREA] < 0.25 * small.size:
        return None
    page = (labels == page_label).astype(np.uint8)
    height, width = gray.shape
    page_full = cv2.resize(page, (width, height), interpolation=cv2.INTER_NEAREST)
    # The band's edge at full resolution: its dark pixels and grey halo next to the low-resolution outline.
    halo = max(1, round(BORDER_HALO_MM * dpi / 25.4))
    reach = math.ceil(1 / scale) + halo
    outside = page_full == 0
    near = cv2.dilate(outside.astype(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
    paper = _paper_level(gray)
    dark_full = gray < 0.7 * paper
    band = outside | (near & dark_full)
    band |= cv2.dilate(band.astype(np.uint8), np.ones((2 * halo + 1, 2 * halo + 1), np.uint8)) > 0
    band &= outside | near
    inside = ~band
    if not inside.any():
        return None
    ys = np.flatnonzero(inside.any(axis=1))
    xs = np.flatnonzero(inside.any(axis=0))
    return _Border(mask=band, page=(int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1))


def clear_border(image: Array, dpi: float) -> Array:
    """ClearBorder: paint the dark scan border (the black or grey frame a scanner lid or a photocopier leaves
    around the page, see _find_border) in the paper's colour; the image keeps its size. A page without
    such a border comes back unchanged (a copy)."""
    cleared = border_cleared(image, dpi)
    return image.copy() if cleared is None else cleared


def border_cleared(image: Array, dpi: float) -> Array | None:
    """clear_border's page, or None when the page has no such border (and nothing is copied)."""
    gray = _gray(image)
    border = _find_border(gray, dpi)
    if border is None:
        return None
    out = image.copy()
    out[border.mask] = _background(image, gray)
    return out


def delete_border(image: Array, dpi: float) -> Array:
    """DeleteBorder: cut the image down to the page inside its dark scan border (the same detection as
    clear_border); what is left of the border inside that rectangle (a crooked page's wedges) is painted in
    the paper's colour. A page without such a border comes back unchanged (a copy)."""
    gray = _gray(image)
    border = _find_border(gray, dpi)
    if border is None:
        return image.copy()
    out = image.copy()
    out[border.mask] = _background(image, gray)
    left, top, right, bottom = border.page
    return out[top:bottom, left:right].copy()


# -- RemoveHolePunch ---------------------------------------------------------------------------------------


def _holes(gray: Array, dpi: float) -> list[tuple[float, float, float]]:
    """Punch holes as (x, y, radius) in full-resolution pixels: dark, solid, round blobs HOLE_DIAMETER_MM
    across whose nearest point lies within HOLE_MAX_EDGE_MM of an image edge. Glyphs fail the test: o, O, 0
    are rings (not solid), bullets and dots are far smaller, and blobs in the page body are too far in."""
    small, scale = _reduced(gray, dpi, HOLE_DPI)
    mm = dpi * scale / 25.4
    dark = (small < 0.7 * _paper_level(small)).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    height, width = small.shape
    low, high = HOLE_DIAMETER_MM[0] * mm, HOLE_DIAMETER_MM[1] * mm
    x, y, w, h, area = (stats[:, i] for i in range(5))
    edge = np.minimum.reduce([x, y, width - x - w, height - y - h])
    candidates = np.flatnonzero(
        (w >= low)
        & (w <= high)
        & (h >= low)
        & (h <= high)
        & (edge > 0)
        & (edge <= HOLE_MAX_EDGE_MM * mm)
        & (area >= 0.65 * w * h)  # a disc fills pi/4 = 0.785 of its box
        & (area <= 0.9 * w * h)
    )
    holes = []
    for label in candidates[candidates > 0]:
        if not 0.8 <= w[label] / h[label] <= 1.25:
            continue
        blob = (labels[y[label] : y[label] + h[label], x[label] : x[label] + w[label]] == label).astype(np.uint8)
        contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        outline = max(contours, key=cv2.contourArea)
        (cx, cy), radius = cv2.minEnclosingCircle(outline)
        hull = cv2.contourArea(cv2.convexHull(outline))
        if area[label] < 0.75 * math.pi * radius**2 or hull <= 0 or area[label] < 0.93 * hull:
            continue
        holes.append(((x[label] + cx + 0.5) / scale - 0.5, (y[label] + cy + 0.5) / scale - 0.5, radius / scale))
    return holes


def remove_hole_punch(image: Array, dpi: float) -> Array:
    """RemoveHolePunch: fill punch holes (see _holes) with the paper's colour, HOLE_HALO_MM beyond their edge
    so that their grey rim goes too. A page without holes comes back unchanged (a copy)."""
    gray = _gray(image)
    out = image.copy()
    holes = _holes(gray, dpi)
    if not holes:
        return out
    fill = _fill(image, _background(image, gray))
    halo = HOLE_HALO_MM * dpi / 25.4
    for cx, cy, radius in holes:
        cv2.circle(out, (round(cx), round(cy)), math.ceil(radius + halo + 1), fill, thickness=-1)
    return out
