"""Page geometry clean-up on real pages: Deskew (+DeskewAdjustPaperSize), AutoOrientation, ClearBorder,
DeleteBorder, RemoveHolePunch.

Each operation gets a real page from ../shared/data and a copy degraded in a known way (rotated by a known
angle, turned by 90/180/270, framed by a painted scan border, punched); what it must achieve is checked by
other means than its own estimators (Tesseract's text-line baselines, the painted geometry, OCR text)."""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from ocrmill.pipeline.cleanup.geometry import (
    clear_border,
    delete_border,
    deskew,
    orient,
    orientation,
    remove_hole_punch,
)
from ocrmill.pipeline.engine import Engine
from ocrmill.pipeline.languages import tessdata_dir
from ocrmill.pipeline.pages import InputFile, enumerate_pages, load_raster
from tests.harness import DATA

Array = NDArray[np.uint8]

PHOTOTEST = "ocr-tesseract-test/phototest.tif"
EUROTEXT = "ocr-tesseract-test/eurotext.tif"
UNLV = "ocr-tesseract-test/8087_054.3B.tif"
LINN = "pdfs-ocrmypdf/linn.png"
FILING = "ocr-scribe-benchmark/img/filing_01.png"
DEPOSITION = "ocr-scribe-benchmark/img/deposition_02.png"
DIGIT_TABLE = "ocr-scribe-benchmark/img/table_05.png"
SCANNED_WITH_BORDER = "ocr-scribe-benchmark/img/multicol_05.jpg"  # a real scan with black edges left and right
CLEAN_PAGES = [
    PHOTOTEST,
    EUROTEXT,
    UNLV,
    LINN,
    FILING,
    DEPOSITION,
    DIGIT_TABLE,
    "ocr-scribe-benchmark/img/table_08.png",
    "ocr-scribe-benchmark/img/receipt_03.png",
    "receipts-sroie/img/020.jpg",
    "receipts-sroie/img/548.jpg",
]


@functools.cache
def _page(name: str) -> tuple[Array, float]:
    """The page as the pipeline rasters it (greyscale or RGB) and its dpi (the pipeline's estimate when the
    file's own is implausible)."""
    path = DATA / name
    (ref,) = enumerate_pages(
        [InputFile(path, path.suffix.lstrip(".").upper())], max_pages=1, max_pixels=1e9, render_dpi=300
    )
    raster = load_raster(ref, render_dpi=300, max_pixels=1e9)
    image = raster.image.convert("L") if raster.image.mode == "1" else raster.image
    array = np.asarray(image)
    array.setflags(write=False)  # an operation that writes into its input fails loudly
    return array, raster.dpi


def _gray(image: Array) -> Array:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


@functools.cache
def _engine() -> Engine:
    return Engine(tessdata_dir(None), ["eng"])


def _ocr(image: Array, dpi: float) -> str:
    return _engine().recognize(Image.fromarray(image), dpi=dpi, number=1, source_index=0).text()


@functools.cache
def _own_skew(name: str) -> float:
    return _baseline_skew(*_page(name))


def _baseline_skew(image: Array, dpi: float) -> float:
    """The page's skew (degrees, counter-clockwise positive) from Tesseract's text-line baselines: the mean
    slope of the lines at least a third of the page wide, weighted by their length."""
    page = _engine().recognize(Image.fromarray(image), dpi=dpi, number=1, source_index=0)
    angles, weights = [], []
    for block in page.blocks:
        for para in block.paragraphs:
            for line in para.lines:
                width = line.box.right - line.box.left
                if width >= image.shape[1] / 3:
                    angles.append(-math.degrees(math.atan(line.baseline[0])))  # image y points down
                    weights.append(width)
    assert len(angles) >= 5, "too few text lines to measure the skew"
    return float(np.average(angles, weights=weights))


def _rotated(image: Array, degrees: float, *, expand: bool = True) -> Array:
    """The page turned counter-clockwise by `degrees`, corners filled white, as a crooked scan."""
    fill: int | tuple[int, ...] = 255 if image.ndim == 2 else (255,) * image.shape[2]
    return np.asarray(Image.fromarray(image).rotate(degrees, Image.Resampling.BICUBIC, expand=expand, fillcolor=fill))


# -- Deskew ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [PHOTOTEST, FILING, DEPOSITION])
@pytest.mark.parametrize("degrees", [-7, -3, -1, 1, 3, 7])
def test_deskew_straightens_a_rotated_real_page(name: str, degrees: float) -> None:
    page, dpi = _page(name)
    own_skew = _own_skew(name)
    crooked = _rotated(page, degrees)
    straight, corrected = deskew(crooked, dpi, adjust_paper_size=True)
    assert abs(_baseline_skew(straight, dpi)) < 0.2
    assert corrected == pytest.approx(degrees + own_skew, abs=0.2)


def test_deskew_adjust_paper_size_keeps_or_grows_the_canvas() -> None:
    page, dpi = _page(LINN)
    crooked = _rotated(_gray(page), 5, expand=False).copy()  # a crooked scan: the page fills the frame
    marker = round(8 * dpi / 25.4)
    for rows in (slice(0, marker), slice(-marker, None)):
        for cols in (slice(0, marker), slice(-marker, None)):
            crooked[rows, cols] = 0  # ink in the very corners, which straightening turns past the frame
    kept, angle = deskew(crooked, dpi, adjust_paper_size=False)
    grown, same_angle = deskew(crooked, dpi, adjust_paper_size=True)
    assert angle == same_angle == pytest.approx(5, abs=0.2)
    assert kept.shape == crooked.shape
    height, width = crooked.shape
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    assert grown.shape == pytest.approx((width * sin + height * cos, width * cos + height * sin), abs=2)

    def ink(image: Array) -> float:
        return float(np.sum(255 - image.astype(np.float64)))

    markers = 4 * marker**2 * 255
    assert ink(grown) == pytest.approx(ink(crooked), abs=0.1 * markers)  # nothing cut off
    assert ink(kept) < ink(crooked) - 0.5 * markers  # the corners went past the frame
    assert min(kept[0, marker * 2], kept[marker * 2, 0], grown[0, marker * 2], grown[marker * 2, 0]) >= 250


def test_deskew_keeps_a_bilevel_page_bilevel_and_a_colour_page_in_colour() -> None:
    page, dpi = _page(PHOTOTEST)
    assert set(np.unique(page)) == {0, 255}
    crooked = np.where(_rotated(page, 3) >= 128, 255, 0).astype(np.uint8)
    straight, _ = deskew(crooked, dpi, adjust_paper_size=False)
    assert set(np.unique(straight)) == {0, 255}
    colour, dpi = _page(FILING.replace("filing_01", "filing_03"))
    assert colour.ndim == 3
    straight, angle = deskew(_rotated(colour, -3), dpi, adjust_paper_size=True)
    assert straight.ndim == 3 and angle == pytest.approx(-3, abs=0.3)


@pytest.mark.parametrize("name", [PHOTOTEST, LINN])
def test_a_straight_page_is_left_alone(name: str) -> None:
    page, dpi = _page(name)
    assert abs(_own_skew(name)) < 0.1
    straight, angle = deskew(page, dpi, adjust_paper_size=True)
    assert angle == 0.0
    assert np.array_equal(straight, page)


# -- AutoOrientation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rotation"),
    [
        ("phototest.tif", 0),
        ("phototest-rotated-L.png", 90),  # turned 90 degrees left: upright after a quarter turn clockwise
        ("phototest-rotated-180.png", 180),
        ("phototest-rotated-R.png", 270),
    ],
)
def test_orientation_of_tesseracts_own_rotated_copies(name: str, rotation: int) -> None:
    image, dpi = _page(f"ocr-tesseract-test/{name}")
    found, confidence = orientation(_gray(image), dpi)
    assert found == rotation and confidence > 5
    upright, applied = orient(image, dpi, tessdata_dir(None))
    assert applied == rotation
    reference, _ = _page(PHOTOTEST)
    assert upright.shape[:2] == reference.shape[:2]
    if rotation:
        # the copies are the same scan turned: upright again, they match the original nearly pixel for pixel
        assert np.mean(_gray(upright) == reference) > 0.99


@pytest.mark.parametrize("name", [EUROTEXT, FILING, DEPOSITION, LINN])
def test_orient_turns_rotated_copies_of_real_pages_upright(name: str) -> None:
    page, dpi = _page(name)
    upright, applied = orient(page, dpi)
    assert applied == 0 and np.array_equal(upright, page)
    for quarter_turns_left in (1, 2, 3):
        turned = np.ascontiguousarray(np.rot90(page, quarter_turns_left))
        upright, applied = orient(turned, dpi)
        assert applied == 90 * quarter_turns_left
        assert np.array_equal(upright, page)


def test_orient_leaves_a_page_alone_when_osd_is_unsure() -> None:
    # Digits alone look much the same upside down; OSD reads this table as turned 180 degrees (measured
    # confidence 6.6-9.0), which the threshold must not act on.
    page, dpi = _page(DIGIT_TABLE)
    upright, applied = orient(page, dpi)
    assert applied == 0 and np.array_equal(upright, page)
    assert orient(page, dpi, min_confidence=0.0)[1] == 180  # what OSD itself says, so the test can fail


# -- ClearBorder, DeleteBorder -----------------------------------------------------------------------------


def _paint_border(
    page: Array, dpi: float, *, left: float, top: float, right: float, bottom: float, wedge: float = 0.0, seed: int = 1
) -> tuple[Array, NDArray[np.bool_]]:
    """A dark scan border (photocopier toner: grey-black with noise, soft inner edge) of the given widths in
    mm; `wedge` mm more at the bottom of the left band and at the right end of the top band, as a crooked
    sheet leaves. Returns the page and the painted mask."""
    mm = dpi / 25.4
    height, width = page.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    mask = (
        (xs < (left + wedge * ys / height) * mm)
        | (ys < (top + wedge * xs / width) * mm)
        | (xs >= width - right * mm)
        | (ys >= height - bottom * mm)
    )
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.15 * mm)
    toner = np.random.default_rng(seed).normal(40, 18, (height, width)).clip(0, 255).astype(np.float32)
    if page.ndim == 3:
        soft, toner = soft[..., None], toner[..., None]
    painted = page.astype(np.float32) * (1 - soft) + toner * soft
    return painted.round().astype(np.uint8), mask


BORDER = {"left": 6.0, "top": 4.0, "right": 9.0, "bottom": 3.0}


@pytest.mark.parametrize("name", [LINN, FILING, EUROTEXT])
def test_clear_border_whitens_a_painted_border_and_keeps_the_page(name: str) -> None:
    page, dpi = _page(name)
    framed, mask = _paint_border(page, dpi, **BORDER)
    cleared = clear_border(framed, dpi)
    assert cleared.shape == page.shape
    gray = _gray(cleared)
    assert gray[mask].min() >= 200  # the border is paper now
    assert np.percentile(gray[mask], 5) >= np.percentile(_gray(page), 50) - 10
    # Nothing changed more than 2 mm from the border; eurotext's text runs into the right band, and a
    # letter it touches goes with it (3 mm).
    reach = round((3 if name == EUROTEXT else 2) * dpi / 25.4)
    near = cv2.dilate(mask.astype(np.uint8), np.ones((2 * reach + 1,) * 2, np.uint8)).astype(bool)
    assert np.array_equal(cleared[~near], framed[~near])
    paper = near & ~mask & (_gray(page) >= 200)  # where the band's soft edge lay on blank paper
    if name != EUROTEXT:
        assert gray[paper].min() >= 200  # no grey line is left where the band met the paper


def test_clear_border_follows_a_crooked_wedge() -> None:
    page, dpi = _page(FILING)
    framed, mask = _paint_border(page, dpi, left=2.0, top=1.5, right=0.0, bottom=0.0, wedge=8.0)
    cleared = clear_border(framed, dpi)
    assert _gray(cleared)[mask].min() >= 200
    assert np.mean(cleared[~mask] == framed[~mask]) > 0.995


def test_clear_border_on_a_real_scan_with_black_edges() -> None:
    page, dpi = _page(SCANNED_WITH_BORDER)
    gray = _gray(page)
    edge = max(2, round(1.5 * dpi / 25.4))
    strips = [(slice(0, edge), slice(None)), (slice(-edge, None), slice(None)), (slice(None), slice(-edge, None))]
    assert all(gray[strip].mean() < 50 for strip in strips)  # the scanner's black edges: top, bottom, right
    cleared = _gray(clear_border(page, dpi))
    assert all(cleared[strip].mean() > 200 for strip in strips)
    middle = (slice(gray.shape[0] // 8, -gray.shape[0] // 8), slice(gray.shape[1] // 8, -gray.shape[1] // 8))
    assert np.array_equal(cleared[middle], gray[middle])
    cropped = delete_border(page, dpi)
    assert page.shape[0] - 6 * edge < cropped.shape[0] < page.shape[0] - edge
    assert page.shape[1] - 6 * edge < cropped.shape[1] < page.shape[1] - edge


@pytest.mark.parametrize("name", [LINN, FILING])
def test_delete_border_crops_to_the_page_inside_the_border(name: str) -> None:
    page, dpi = _page(name)
    framed, _ = _paint_border(page, dpi, **BORDER)
    cropped = delete_border(framed, dpi)
    mm = dpi / 25.4
    height, width = page.shape[:2]
    expected = ((height - (BORDER["top"] + BORDER["bottom"]) * mm), (width - (BORDER["left"] + BORDER["right"]) * mm))
    assert cropped.shape[:2] == pytest.approx(expected, abs=1.5 * mm)
    assert cropped.shape[2:] == page.shape[2:]
    assert _gray(cropped).min(axis=0)[[0, -1]].min() >= 200 and _gray(cropped).min(axis=1)[[0, -1]].min() >= 200
    if name == FILING:
        assert _ocr(cropped, dpi) == _ocr(np.ascontiguousarray(page), dpi)


@pytest.mark.parametrize("name", CLEAN_PAGES)
def test_clean_pages_are_unchanged_by_border_and_hole_removal(name: str) -> None:
    page, dpi = _page(name)
    assert np.array_equal(clear_border(page, dpi), page)
    assert np.array_equal(delete_border(page, dpi), page)
    assert np.array_equal(remove_hole_punch(page, dpi), page)


# -- RemoveHolePunch ---------------------------------------------------------------------------------------


def _punch(page: Array, dpi: float, centres_mm: list[tuple[float, float]], *, diameter: float, level: int) -> Array:
    """Punch holes as a scanner shows them: a disc of the lid's colour (`level`, with noise) and a soft rim."""
    mm = dpi / 25.4
    height, width = page.shape[:2]
    disc = np.zeros((height, width), np.float32)
    for x, y in centres_mm:
        cx, cy = x * mm if x >= 0 else width + x * mm, y * mm if y >= 0 else height + y * mm
        cv2.circle(disc, (round(cx * 16), round(cy * 16)), round(diameter / 2 * mm * 16), 1.0, -1, cv2.LINE_AA, 4)
    disc = cv2.GaussianBlur(disc, (0, 0), 0.1 * mm)
    lid = np.random.default_rng(7).normal(level, 10, (height, width)).clip(0, 255).astype(np.float32)
    if page.ndim == 3:
        disc, lid = disc[..., None], lid[..., None]
    return (page.astype(np.float32) * (1 - disc) + lid * disc).round().astype(np.uint8)


@pytest.mark.parametrize(
    ("name", "centres", "diameter", "level"),
    [
        (FILING, [(12, 60), (12, 140), (12, 220)], 6.0, 20),  # US three-hole, on a black lid
        (LINN, [(-11, 99), (-11, 179)], 5.5, 60),  # ISO 838 two holes, right edge
        (LINN, [(70, 10), (178, 10)], 8.0, 110),  # top edge, a grey lid
        (FILING, [(14, 100)], 7.0, 30),  # one hole
    ],
)
def test_punch_holes_are_removed_and_the_text_stays(
    name: str, centres: list[tuple[float, float]], diameter: float, level: int
) -> None:
    page, dpi = _page(name)
    punched = _punch(page, dpi, centres, diameter=diameter, level=level)
    mended = remove_hole_punch(punched, dpi)
    changed = np.any((mended != punched).reshape(*page.shape[:2], -1), axis=2)
    holes = np.any((punched != page).reshape(*page.shape[:2], -1), axis=2)
    assert _gray(mended)[holes].min() >= 200  # the holes are paper now
    count, _ = cv2.connectedComponents(changed.astype(np.uint8))
    assert count - 1 == len(centres)  # and nothing else was touched ...
    reach = cv2.dilate(holes.astype(np.uint8), np.ones((round(dpi / 25.4) * 2 + 1,) * 2, np.uint8)).astype(bool)
    assert not np.any(changed & ~reach)  # ... beyond 1 mm around them
    if name == FILING:
        assert _ocr(mended, dpi) == _ocr(np.ascontiguousarray(page), dpi)


def test_round_glyphs_bullets_and_body_dots_are_not_holes() -> None:
    page, dpi = _page(FILING)
    mm = dpi / 25.4
    picture = Image.fromarray(page)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=round(9 * mm))  # capitals about 6-7 mm tall, as big as a hole
    draw.text((round(5 * mm), round(40 * mm)), "O 0 o", fill=0, font=font)  # in the margin, near the edge
    for y in (120, 130, 140):  # bullets 2.5 mm across, 8 mm from the edge
        draw.ellipse([round(7 * mm), round(y * mm), round(9.5 * mm), round((y + 2.5) * mm)], fill=0)
    middle = (page.shape[1] / 2, page.shape[0] / 2)
    draw.ellipse([middle[0] - 3 * mm, middle[1] - 3 * mm, middle[0] + 3 * mm, middle[1] + 3 * mm], fill=0)  # a dot 6 mm
    marked = np.asarray(picture)
    assert np.sum(marked != page) > 1000
    assert np.array_equal(remove_hole_punch(marked, dpi), marked)
    # The same dot 12 mm from the edge is a hole: the page body, not its shape, is what saved it.
    draw.ellipse([9 * mm, middle[1] - 3 * mm, 15 * mm, middle[1] + 3 * mm], fill=0)
    dotted = np.asarray(picture)
    assert not np.array_equal(remove_hole_punch(dotted, dpi), dotted)


def test_operations_never_write_into_their_input() -> None:
    page, dpi = _page(FILING)
    framed, _ = _paint_border(page, dpi, **BORDER)
    punched = _punch(page, dpi, [(12, 60)], diameter=6.0, level=20)
    for image, operation in ((framed, clear_border), (framed, delete_border), (punched, remove_hole_punch)):
        before = image.copy()
        image.setflags(write=False)
        assert not np.array_equal(operation(image, dpi), before)
        assert np.array_equal(image, before)
