"""Blank pages (DeleteBlankPages, BlankPagesMaxNoise) on scans made here and on real pages.

The scans are A4 sheets at 200 and 300 dpi, white (scanned in grey) or cream (scanned in colour), with what a
scanner adds to an empty sheet: grain, specks of 0.1-0.3 mm, a dark border on 2-4 sides (a skewed, ragged sheet
edge) and show-through of real text (phototest.tif, mirrored, blurred and lightened to grey 200-230). What is put
on them is real text cut from phototest.tif, a signature-like scribble and a barcode; how much of the page that
covers is counted when it is drawn, not taken from the code under test.
"""

from __future__ import annotations

import copy
import functools
import math
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from ocrmill.pipeline.blank import ink_percent, is_blank
from ocrmill.pipeline.pages import InputFile, enumerate_pages, load_raster
from tests.harness import DATA

Floats = NDArray[np.float32]

DEFAULT = 0.5  # BlankPagesMaxNoise's default
A4_MM = (210.0, 297.0)
WHITE = (245.0, 245.0, 245.0)
CREAM = (238.0, 229.0, 206.0)
INK = (28.0, 28.0, 30.0)  # black print as a scanner sees it
BLUE_PEN = (35.0, 45.0, 120.0)
SCANNER_BLUR_MM = 0.05  # sigma of the optics' blur
PHOTOTEST = DATA / "ocr-tesseract-test" / "phototest.tif"  # 1-bit, 200 dpi
PHOTOTEST_DPI = 200.0
FIRST_LINE = (slice(92, 123), slice(36, 580))  # "This is a lot of 12 point text to test the"
TWELVE = (slice(92, 123), slice(251, 283))  # "12" from that line: a page number
PARAGRAPH = (slice(92, 362), slice(36, 620))  # all eight lines


def _px(mm: float, dpi: float) -> float:
    return mm * dpi / 25.4


def _f32(array: object) -> Floats:
    return np.asarray(array, np.float32)


@functools.cache
def _phototest() -> Floats:
    """phototest.tif as ink coverage: 1 on the glyphs, 0 on the paper."""
    with Image.open(PHOTOTEST) as im:
        return (np.asarray(im.convert("L"), np.float32) < 128).astype(np.float32)


def _text(part: tuple[slice, slice], dpi: float) -> Floats:
    """A part of phototest.tif as coverage at `dpi` (area-averaged, so the ink area is kept)."""
    crop = _phototest()[part]
    scale = dpi / PHOTOTEST_DPI
    if scale == 1:
        return crop.copy()
    size = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
    return _f32(cv2.resize(crop, size, interpolation=cv2.INTER_AREA))


class Scan:
    """An A4 sheet as a scanner gives it, built up in layers; `content_mm2` is the ink put on it on purpose."""

    def __init__(self, dpi: float, *, paper: tuple[float, float, float] = WHITE, colour: bool = False, seed: int = 0):
        self.dpi = dpi
        self.rng = np.random.default_rng(seed)
        self.height, self.width = round(_px(A4_MM[1], dpi)), round(_px(A4_MM[0], dpi))
        self.colour = colour
        grain = self.rng.standard_normal((self.height, self.width), np.float32) * 4.0
        if colour:  # the sensor's noise, a little different in each channel
            self.pixels = np.empty((self.height, self.width, 3), np.float32)
            for c in range(3):
                self.pixels[..., c] = grain + paper[c] + 0.5 * np.roll(grain, 101 * (c + 1), axis=1)
        else:
            self.pixels = grain + float(np.mean(paper))
        self.content_mm2 = 0.0
        self.border_mm2 = 0.0

    def copy(self) -> Scan:
        twin = copy.copy(self)
        twin.pixels = self.pixels.copy()
        return twin

    def _blend(self, coverage: Floats, top: int, left: int, colour: tuple[float, float, float]) -> float:
        """Lay a colour over the sheet where `coverage` (0-1) is, its top left corner at (top, left); what falls
        off the sheet is lost. Returns how many pixels' worth of coverage it laid."""
        coverage = coverage[max(0, -top) : self.height - top, max(0, -left) : self.width - left]
        top, left = max(0, top), max(0, left)
        h, w = coverage.shape
        region = self.pixels[top : top + h, left : left + w]
        if self.colour:
            a = coverage[..., None]
            region *= 1 - a
            region += a * np.asarray(colour, np.float32)
        else:
            region *= 1 - coverage
            region += coverage * float(np.dot(colour, (0.299, 0.587, 0.114)))
        return float(coverage.sum())

    def put(self, coverage: Floats, *, x_mm: float, y_mm: float, colour: tuple[float, float, float] = INK) -> Scan:
        """Content: ink over `coverage` at (x_mm, y_mm) from the top left corner of the sheet, as blurred as a
        scanner's optics blur it (which keeps its area)."""
        pad = round(_px(0.3, self.dpi))
        padded = cv2.copyMakeBorder(coverage, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
        coverage = _f32(cv2.GaussianBlur(padded, (0, 0), _px(SCANNER_BLUR_MM, self.dpi)))
        laid = self._blend(coverage, round(_px(y_mm, self.dpi)) - pad, round(_px(x_mm, self.dpi)) - pad, colour)
        self.content_mm2 += laid * (25.4 / self.dpi) ** 2
        return self

    @property
    def content_percent(self) -> float:
        """The content's share of the sheet inside the border."""
        return 100 * self.content_mm2 / (A4_MM[0] * A4_MM[1] - self.border_mm2)

    def specks(self, count: int) -> Scan:
        """Dust: `count` dark dots 0.1-0.3 mm across, anywhere."""
        dots = np.zeros((self.height, self.width), np.float32)
        for _ in range(count):
            radius = _px(self.rng.uniform(0.1, 0.3), self.dpi) / 2
            centre = (int(self.rng.uniform(0, self.width) * 16), int(self.rng.uniform(0, self.height) * 16))
            darkness = float(self.rng.uniform(0.6, 0.9))
            cv2.circle(dots, centre, max(8, round(radius * 16)), darkness, -1, cv2.LINE_AA, 4)
        where = np.nonzero(dots)
        keep = 1 - dots[where]
        self.pixels[where] *= keep[:, None] if self.colour else keep
        return self

    def border(self, sides: str) -> Scan:
        """The scanner's dark lid around a skewed sheet: on each of `sides` (t, b, l, r) a band 2-10 mm deep,
        deeper at one end than at the other (at the top, 0 at the left: the sheet's corner touches the image's
        edge), with a ragged, slightly blurred inner edge, light dust on it, the sheet's shadow (1-2.5 mm, of
        uneven strength) inside it and dark fibres of the cut edge just off it."""
        deepest = round(_px(15, self.dpi))
        mm = _px(1, self.dpi)
        into = np.arange(deepest, dtype=np.float32)[None, :]
        for side in sides:
            along = self.height if side in "lr" else self.width
            ends = self.rng.uniform(2, 10, 2)
            if side == "t":  # the sheet's corner at the image's edge
                ends[0] = 0
            ragged = cv2.GaussianBlur(self.rng.normal(0, 0.6, (along, 1)).astype(np.float32), (0, 0), 0.2 * mm)
            depth = mm * (np.linspace(ends[0], ends[1], along)[:, None] + ragged)
            band = (into < depth).astype(np.float32)  # (along, into the page)
            self.border_mm2 += float(band.sum()) / mm**2
            band = cv2.GaussianBlur(band, (0, 0), 0.3 * mm) * 0.9
            wave = cv2.GaussianBlur(self.rng.uniform(0, 1, (along, 1)).astype(np.float32), (0, 0), 20 * mm)
            strength = 0.3 + 0.25 * (wave - wave.min()) / max(float(np.ptp(wave)), 1e-6)
            reach = mm * self.rng.uniform(1, 2.5)
            shadow = strength * np.clip(1 - (into - depth) / reach, 0, 1) * (into >= depth)
            darkness = np.maximum(band, shadow.astype(np.float32))
            for at in self.rng.uniform(0, along, round(along / (10 * mm))):
                centre = (round(float(depth[int(at), 0] + self.rng.uniform(0.5, 1.5) * mm) * 16), round(at * 16))
                size = round(self.rng.uniform(0.2, 0.4) * mm * 16)
                cv2.circle(darkness, centre, size, 0.6, -1, cv2.LINE_AA, 4)
            for at in self.rng.uniform(0, along, round(along / (5 * mm))):  # dust on the lid, light on dark
                centre = (round(float(depth[int(at), 0] * self.rng.uniform(0.1, 0.9)) * 16), round(at * 16))
                cv2.circle(darkness, centre, round(self.rng.uniform(0.1, 0.25) * mm * 16), 0.0, -1, cv2.LINE_AA, 4)
            # the strip of the page along that side, seen as (along, into the page)
            strip = {
                "l": self.pixels[:, :deepest],
                "r": self.pixels[:, ::-1][:, :deepest],
                "t": self.pixels[:deepest].swapaxes(0, 1),
                "b": self.pixels[::-1][:deepest].swapaxes(0, 1),
            }[side]
            lid = 21.0
            a = darkness[..., None] if self.colour else darkness
            strip *= 1 - a
            strip += a * lid
        return self

    def show_through(self, grey: float) -> Scan:
        """The back of the sheet printed with phototest.tif's text, seen through the paper: mirrored, blurred
        and as dark as `grey` on white paper (proportionally on tinted paper), filling the sheet."""
        text = _text(PARAGRAPH, self.dpi)[:, ::-1]
        back = np.zeros((self.height, self.width), np.float32)
        h, w = text.shape
        step = h + round(_px(6, self.dpi))
        for top in range(round(_px(20, self.dpi)), self.height - h - round(_px(20, self.dpi)), step):
            for left in (round(_px(20, self.dpi)), self.width - w - round(_px(12, self.dpi))):
                back[top : top + h, left : left + w] = text
        back = _f32(cv2.GaussianBlur(back, (0, 0), _px(0.25, self.dpi)))
        factor = 1 - back * (1 - grey / 245.0)
        self.pixels *= factor[..., None] if self.colour else factor
        return self

    def image(self) -> Image.Image:
        pixels = cv2.convertScaleAbs(self.pixels)  # rounded and saturated to 0-255 (nothing here is negative)
        return Image.fromarray(pixels, "RGB" if self.colour else "L")


def _blank_scan(dpi: float, *, colour: bool, sides: str, grey: float, seed: int) -> Scan:
    """An empty sheet as scanned (a fresh copy each time: tests put things on it)."""
    return _empty_sheet(dpi, colour, sides, grey, seed).copy()


@functools.cache
def _empty_sheet(dpi: float, colour: bool, sides: str, grey: float, seed: int) -> Scan:
    paper = CREAM if colour else WHITE
    return Scan(dpi, paper=paper, colour=colour, seed=seed).show_through(grey).specks(300).border(sides)


def _scribble(dpi: float, *, width_mm: float, height_mm: float, stroke_mm: float) -> Floats:
    """A signature-like scribble: a looping pen line across a box, anti-aliased, as coverage."""
    t = np.linspace(0, 1, 4000)
    x = width_mm * (0.05 + 0.9 * t) + 3.5 * np.sin(2 * math.pi * 9 * t)
    y = height_mm * (0.5 + 0.3 * np.sin(2 * math.pi * 2.3 * t) * np.cos(2 * math.pi * 0.7 * t)) + 3.0 * np.cos(
        2 * math.pi * 9 * t
    )
    shape = (round(_px(height_mm + 8, dpi)), round(_px(width_mm + 8, dpi)))
    canvas = np.zeros(shape, np.uint8)
    points = np.stack([x + 4, y + 4], axis=1) * dpi / 25.4 * 16
    thickness = max(1, round(_px(stroke_mm, dpi)))
    cv2.polylines(canvas, [np.rint(points).astype(np.int32)], False, 255, thickness, cv2.LINE_AA, 4)
    return _f32(canvas) / np.float32(255)


def _barcode(dpi: float, *, module_mm: float, height_mm: float, seed: int) -> Floats:
    """A 1D barcode: 95 modules of random bars and spaces with guard bars, as coverage."""
    modules = np.random.default_rng(seed).integers(0, 2, 95)
    modules[[0, 2, 46, 48, 92, 94]] = 1
    modules[[1, 45, 47, 49, 93]] = 0
    sharp = np.repeat(modules.astype(np.float32), 16)[None, :]
    row = _f32(cv2.resize(sharp, (round(_px(module_mm * 95, dpi)), 1), interpolation=cv2.INTER_AREA))
    return np.repeat(row, round(_px(height_mm, dpi)), axis=0)


# -- the rule ------------------------------------------------------------------------------------------------


def test_words_or_a_barcode_keep_any_page() -> None:
    empty = Image.new("L", (1654, 2339), 250)
    assert is_blank(empty, 200, max_noise_percent=DEFAULT, has_words=False, has_barcode=False)
    assert not is_blank(empty, 200, max_noise_percent=100, has_words=True, has_barcode=False)
    assert not is_blank(empty, 200, max_noise_percent=100, has_words=False, has_barcode=True)


# -- scans of empty sheets -----------------------------------------------------------------------------------

BLANK_SCANS = [
    # dpi, colour (cream paper) or grey (white paper), sides with a border, show-through grey
    (200, False, "lr", 200),
    (200, True, "tblr", 215),
    (200, True, "tl", 200),
    (300, False, "tbl", 230),
    (300, True, "lr", 200),
    (300, False, "tblr", 200),
]


@pytest.mark.parametrize(("dpi", "colour", "sides", "grey"), BLANK_SCANS)
def test_noisy_scans_of_empty_sheets_are_blank(dpi: int, colour: bool, sides: str, grey: float) -> None:
    scan = _blank_scan(dpi, colour=colour, sides=sides, grey=grey, seed=dpi + len(sides))
    ink = ink_percent(scan.image(), dpi)
    assert ink < DEFAULT / 100, f"grain, specks, border and show-through left {ink:.4f} % ink"
    assert is_blank(scan.image(), dpi, max_noise_percent=DEFAULT, has_words=False, has_barcode=False)


def test_each_kind_of_noise_alone_would_not_be_blank_if_it_counted() -> None:
    """The noise tested above is enough to fail a naive count of dark pixels: the border alone covers several
    percent of the sheet, the show-through and the specks are visibly darker than the paper."""
    scan = Scan(300, seed=7).border("tblr")
    pixels = np.asarray(scan.image())
    assert (pixels < 128).mean() * 100 > 3 * DEFAULT  # the border
    scan = Scan(300, seed=7).show_through(200)
    assert (np.asarray(scan.image()) < 225).mean() * 100 > 3 * DEFAULT  # the show-through
    scan = Scan(300, seed=7).specks(300)
    dark = (np.asarray(scan.image()) < 128).astype(np.uint8)
    assert cv2.connectedComponents(dark)[0] - 1 > 200  # the specks


def test_real_empty_paper_from_scans_is_blank() -> None:
    """The empty lower third of two A4 scans from receipts-sroie (a flatbed's dust: real specks, a few flecks),
    and from multicol_05.jpg (yellowed paper) its right margin with the real black scan border, and the empty
    paper under the right column."""
    for name, box, dpi in (
        ("receipts-sroie/img/051.jpg", (0, 1000, 1080, 1527), 131.0),
        ("receipts-sroie/img/057.jpg", (0, 1000, 1080, 1527), 131.0),
        ("ocr-scribe-benchmark/img/multicol_05.jpg", (1080, 0, 1200, 1461), 125.0),
        ("ocr-scribe-benchmark/img/multicol_05.jpg", (660, 830, 1200, 1050), 125.0),
    ):
        with Image.open(DATA / name) as im:
            part = im.convert("RGB").crop(box)
        assert ink_percent(part, dpi) < DEFAULT / 10, (name, box)
        assert is_blank(part, dpi, max_noise_percent=DEFAULT, has_words=False, has_barcode=False)


def test_a_border_off_the_very_edge_is_still_a_border() -> None:
    """Some scanners leave a thin light line between the image's edge and the dark border."""
    scan = _blank_scan(300, colour=False, sides="tblr", grey=215, seed=35)
    gap = round(_px(0.3, 300))
    for strip in (scan.pixels[:gap], scan.pixels[-gap:], scan.pixels[:, :gap], scan.pixels[:, -gap:]):
        strip[...] = 240
    assert ink_percent(scan.image(), 300) < DEFAULT / 10


def test_content_at_the_edge_is_not_border() -> None:
    """Text cut by the edge of the sheet, and a picture printed to the edge, count as ink."""
    text = _text(PARAGRAPH, 300)
    scan = _blank_scan(300, colour=False, sides="", grey=215, seed=36)
    scan.put(text, x_mm=150, y_mm=100)  # cut by the right edge
    assert ink_percent(scan.image(), 300) == pytest.approx(scan.content_percent, rel=0.15)
    scan = _blank_scan(300, colour=False, sides="", grey=215, seed=36)
    picture = np.full((round(_px(80, 300)), round(_px(40, 300))), 0.7, np.float32)
    scan.put(picture, x_mm=0, y_mm=60)  # 40 x 80 mm, from the left edge
    assert not is_blank(scan.image(), 300, max_noise_percent=DEFAULT, has_words=False, has_barcode=False)


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_dusty_sheet_is_blank(dpi: int) -> None:
    """3000 specks of 0.1-0.3 mm (a dirty glass): about 0.17 % of the sheet if they were counted."""
    scan = Scan(dpi, seed=30).specks(3000)
    assert ink_percent(scan.image(), dpi) < 0.04


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize(("colour", "grey"), [(False, 185), (True, 180)])
def test_heavy_show_through_is_ignored(dpi: int, colour: bool, grey: float) -> None:
    """Show-through darker than in the scans above, from a thin sheet: 1-5 % of the page if it were counted."""
    scan = Scan(dpi, paper=CREAM if colour else WHITE, colour=colour, seed=31).show_through(grey)
    assert ink_percent(scan.image(), dpi) < DEFAULT / 10


@pytest.mark.parametrize("dpi", [200, 300])
def test_faint_print_counts(dpi: int) -> None:
    """Faded thermal print, grey 175 on white, over show-through: counted at its area like black print."""
    scan = Scan(dpi, seed=32).show_through(215)
    scan.put(_text(PARAGRAPH, dpi), x_mm=30, y_mm=50, colour=(175.0, 175.0, 175.0))
    assert ink_percent(scan.image(), dpi) == pytest.approx(scan.content_percent, rel=0.15)


def test_pages_without_paper_are_not_blank() -> None:
    """A black page and a dark slide with white text: no paper to compare with, all of it is ink."""
    slide = np.full((1169, 827, 3), (48, 52, 64), np.uint8)
    slide[300:340, 100:700] = 250
    for image in (Image.new("L", (827, 1169), 0), Image.fromarray(slide), Image.fromarray(slide).convert("L")):
        assert ink_percent(image, 100) > 50
        assert not is_blank(image, 100, max_noise_percent=DEFAULT, has_words=False, has_barcode=False)


@pytest.mark.parametrize("mode", ["1", "RGB", "P", "RGBA", "LA"])
def test_any_image_mode(mode: str) -> None:
    scan = _blank_scan(200, colour=False, sides="tl", grey=215, seed=33)
    scan.put(_text(PARAGRAPH, 200), x_mm=30, y_mm=60)
    grey = scan.image()
    image = grey.convert("1", dither=Image.Dither.NONE) if mode == "1" else grey.convert(mode)
    assert ink_percent(image, 200) == pytest.approx(ink_percent(grey, 200), rel=0.1)


@pytest.mark.parametrize("dpi", [70, 150, 240, 400, 600])
def test_resolution_does_not_change_the_ink(dpi: int) -> None:
    """The same scan resampled from 300 dpi to others: the same ink, and a blank sheet stays blank."""
    scan = _blank_scan(300, colour=False, sides="lr", grey=205, seed=34)
    empty = scan.image()
    scan.put(_text(PARAGRAPH, 300), x_mm=30, y_mm=60)
    size = (round(scan.width * dpi / 300), round(scan.height * dpi / 300))
    resampled = scan.image().resize(size, Image.Resampling.BOX if dpi < 300 else Image.Resampling.BICUBIC)
    assert ink_percent(resampled, dpi) == pytest.approx(ink_percent(scan.image(), 300), rel=0.1)
    assert ink_percent(resampled, dpi) == pytest.approx(scan.content_percent, rel=0.2)
    resampled = empty.resize(size, Image.Resampling.BOX if dpi < 300 else Image.Resampling.BICUBIC)
    assert ink_percent(resampled, dpi) < DEFAULT / 10


# -- how much ink ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize("colour", [False, True])
def test_ink_is_the_area_of_the_text_on_the_page(dpi: int, colour: bool) -> None:
    """Three paragraphs of real text on a noisy sheet without a border: the ink is the text's area, within
    15 %, whatever the resolution and the paper."""
    scan = _blank_scan(dpi, colour=colour, sides="", grey=215, seed=3)
    for y in (30, 120, 210):
        scan.put(_text(PARAGRAPH, dpi), x_mm=25, y_mm=y)
    expected = scan.content_percent
    assert 2 < expected < 4
    assert ink_percent(scan.image(), dpi) == pytest.approx(expected, rel=0.15)


def test_a_border_does_not_change_the_ink() -> None:
    plain = _blank_scan(300, colour=False, sides="", grey=215, seed=4)
    framed = _blank_scan(300, colour=False, sides="tblr", grey=215, seed=4)
    for scan in (plain, framed):
        for y in (40, 150):
            scan.put(_text(PARAGRAPH, 300), x_mm=25, y_mm=y)
    # the same text, a larger share of the smaller sheet inside the border
    assert framed.content_percent > plain.content_percent * 1.05
    for scan in (plain, framed):
        assert ink_percent(scan.image(), 300) == pytest.approx(scan.content_percent, rel=0.1)


def test_a_normal_text_page_is_clearly_not_blank() -> None:
    scan = _blank_scan(300, colour=True, sides="tblr", grey=215, seed=5)
    for y in range(25, 250, 38):
        for x in (16, 108):
            scan.put(_text(PARAGRAPH, 300)[:, :-40], x_mm=x, y_mm=y)
    ink = ink_percent(scan.image(), 300)
    assert ink > 10 * DEFAULT
    assert ink == pytest.approx(scan.content_percent, rel=0.15)
    assert not is_blank(scan.image(), 300, max_noise_percent=DEFAULT, has_words=False, has_barcode=False)


@pytest.mark.parametrize("dpi", [200, 300])
def test_threshold_is_monotonic_around_the_known_ink(dpi: int) -> None:
    """A page with p % ink (one paragraph, p known from the drawing): blank for BlankPagesMaxNoise above p and
    kept below it, with a single switch within the measuring accuracy (-25 %, +30 %) around p."""
    scan = _blank_scan(dpi, colour=False, sides="lr", grey=215, seed=6)
    scan.put(_text(PARAGRAPH, dpi), x_mm=30, y_mm=60)
    p = scan.content_percent
    image = scan.image()

    def blank(threshold: float) -> bool:
        return is_blank(image, dpi, max_noise_percent=threshold, has_words=False, has_barcode=False)

    coarse = [0.01, 0.25 * p, 0.5 * p, 0.75 * p, 1.3 * p, 2 * p, 4 * p, 10.0, 100.0]
    assert [blank(t) for t in coarse] == [t > p for t in coarse], p
    fine = np.geomspace(p / 10, p * 10, 41)
    decisions = [blank(t) for t in fine]
    assert decisions == sorted(decisions), "blank, then kept again, as the threshold grows"
    switch = fine[decisions.index(True)]
    assert 0.75 * p < switch < 1.3 * p * 1.13  # a step of the sweep is 12 %


# -- nearly empty pages -------------------------------------------------------------------------------------
# Their content is far under the default 0.5 % (a line of text 0.1 %, a signature 0.15-0.3 %, a page number
# 0.007 %): at the default they are kept by the words OCR finds, the barcode read on them, or (a signature)
# a stroke of at least MARK_MM. Here: their ink is
# measured at its true area over the noise of the sheet, and they are kept at any BlankPagesMaxNoise under it,
# where the same sheet without them is blank.


def _near_blank(dpi: int) -> Scan:
    return _blank_scan(dpi, colour=True, sides="lr", grey=205, seed=10)


def _kept_where_the_empty_sheet_is_not(scan: Scan, empty: Scan, threshold: float) -> None:
    dpi = scan.dpi
    assert not is_blank(scan.image(), dpi, max_noise_percent=threshold, has_words=False, has_barcode=False)
    assert is_blank(empty.image(), dpi, max_noise_percent=threshold, has_words=False, has_barcode=False)


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_single_line_of_text(dpi: int) -> None:
    empty = _near_blank(dpi)
    scan = empty.copy().put(_text(FIRST_LINE, dpi), x_mm=30, y_mm=40)
    assert 0.08 < scan.content_percent < 0.12
    assert ink_percent(scan.image(), dpi) == pytest.approx(scan.content_percent, rel=0.15)
    _kept_where_the_empty_sheet_is_not(scan, empty, scan.content_percent / 2)
    assert not is_blank(scan.image(), dpi, max_noise_percent=DEFAULT, has_words=True, has_barcode=False)


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_page_number(dpi: int) -> None:
    """The number 12 at the foot of the page: 0.007 %, under even the smallest BlankPagesMaxNoise (0.01), so only OCR
    reading it keeps the page. Its ink is still measured, clear of the sheet's noise."""
    empty = _near_blank(dpi)
    scan = empty.copy().put(_text(TWELVE, dpi), x_mm=101, y_mm=280)
    assert scan.content_percent < 0.01
    assert ink_percent(scan.image(), dpi) == pytest.approx(scan.content_percent, rel=0.2)
    assert ink_percent(empty.image(), dpi) < scan.content_percent / 4
    assert not is_blank(scan.image(), dpi, max_noise_percent=DEFAULT, has_words=True, has_barcode=False)


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize(("stroke_mm", "width_mm"), [(0.3, 50), (0.6, 70)])
def test_a_signature(dpi: int, stroke_mm: float, width_mm: float) -> None:
    """A ballpoint (0.3 mm) or felt-tip (0.6 mm) signature in blue ink, thin strokes included."""
    empty = _near_blank(dpi)
    pen = _scribble(dpi, width_mm=width_mm, height_mm=18, stroke_mm=stroke_mm)
    scan = empty.copy().put(pen, x_mm=110, y_mm=230, colour=BLUE_PEN)
    assert 0.1 < scan.content_percent < 0.4
    assert ink_percent(scan.image(), dpi) == pytest.approx(scan.content_percent, rel=0.15)
    _kept_where_the_empty_sheet_is_not(scan, empty, scan.content_percent / 2)
    # OCR reads no words in a signature, yet a signed page is never blank: its long stroke keeps it
    assert not is_blank(scan.image(), dpi, max_noise_percent=DEFAULT, has_words=False, has_barcode=False)
    assert is_blank(empty.image(), dpi, max_noise_percent=DEFAULT, has_words=False, has_barcode=False)


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_small_barcode(dpi: int) -> None:
    empty = _near_blank(dpi)
    scan = empty.copy().put(_barcode(dpi, module_mm=0.25, height_mm=10, seed=dpi), x_mm=150, y_mm=20)
    assert ink_percent(scan.image(), dpi) == pytest.approx(scan.content_percent, rel=0.15)
    _kept_where_the_empty_sheet_is_not(scan, empty, scan.content_percent / 2)
    assert not is_blank(scan.image(), dpi, max_noise_percent=DEFAULT, has_words=False, has_barcode=True)


# -- real pages --------------------------------------------------------------------------------------------


def _real_pages() -> list[str]:
    names = [
        *(f"ocr-tesseract-test/{n}" for n in ("phototest.tif", "eurotext.tif", "8087_054.3B.tif")),
        "ocr-tesseract-test/phototest-rotated-L.png",
        *(f"ocr-scribe-benchmark/img/{p.name}" for p in sorted((DATA / "ocr-scribe-benchmark" / "img").iterdir())),
        *(f"receipts-sroie/img/{p.name}" for p in sorted((DATA / "receipts-sroie" / "img").glob("*.jpg"))),
        "invoices-invoice2data/AmazonWebServices.png",
        "invoices-invoice2data/FlipkartInvoice.png",
        "pdfs-ocrmypdf/linn.png",
        "pdfs-ocrmypdf/skew.pdf",
        "pdfs-ocrmypdf/c02-22.pdf",
        "ocr-tesseractjs/testocr.png",
        "ocr-tesseractjs/cosmic.png",
    ]
    return names


def _raster(name: str) -> tuple[Image.Image, float]:
    """The page as the pipeline loads it (mode 1, L or RGB) and the dpi it works with."""
    path = Path(DATA / name)
    (ref,) = enumerate_pages(
        [InputFile(path, path.suffix.lstrip(".").upper())], max_pages=1, max_pixels=1e9, render_dpi=300
    )[:1]
    raster = load_raster(ref, render_dpi=300, max_pixels=1e9)
    return raster.image, raster.dpi


@pytest.mark.parametrize("name", _real_pages())
def test_real_pages_are_never_blank(name: str) -> None:
    image, dpi = _raster(name)
    assert not is_blank(image, dpi, max_noise_percent=DEFAULT, has_words=False, has_barcode=False), (
        f"{name}: {ink_percent(image, dpi):.3f} % ink"
    )


# -- speed -------------------------------------------------------------------------------------------------


def test_an_a4_page_at_300_dpi_takes_well_under_100_ms() -> None:
    scan = _blank_scan(300, colour=True, sides="tblr", grey=215, seed=20)
    for y in range(25, 250, 38):
        scan.put(_text(PARAGRAPH, 300), x_mm=16, y_mm=y)
    image = scan.image()
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        ink_percent(image, 300)
        best = min(best, time.perf_counter() - start)
    assert best < 0.1, f"{best * 1000:.0f} ms"
