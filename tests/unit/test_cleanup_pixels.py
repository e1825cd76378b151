"""Pixel clean-up (Despeckle, RemoveColorNoise, RemoveHalftone, Binarize, ImproveText, text_gray) on real pages from
../shared/data and on degraded copies made here: what each option must remove is counted or measured, the text is
checked with the engine's OCR against the page's ground truth, and a clean page must come out (almost) unchanged."""

from __future__ import annotations

import functools
import time

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from ocrmill.pipeline.cleanup import pixels
from ocrmill.pipeline.engine import Engine
from ocrmill.pipeline.languages import tessdata_dir
from tests.harness import DATA
from tests.metrics import bag_error

Pixels = NDArray[np.uint8]

EUROTEXT = ("ocr-tesseract-test/eurotext.tif", 300.0)  # bilevel, i-dots, periods, commas, diacritics
PHOTOTEST = ("ocr-tesseract-test/phototest.tif", 200.0)  # bilevel
SINGLECOL = ("ocr-scribe-benchmark/img/singlecol_01.png", 300.0)  # letter page, 2550 px wide (its tag says 96)
MULTICOL = ("ocr-scribe-benchmark/img/multicol_04.png", 235.0)  # letter page, 1995 px wide; has halftone tints
RECEIPT = ("receipts-sroie/img/004.jpg", 150.0)  # colour scan: blue print on a bluish paper, show-through


@functools.cache
def _engine() -> Engine:
    return Engine(tessdata_dir(None), ["eng"])


@functools.cache
def page(name: str, mode: str = "L") -> Pixels:
    """A page of the shared data as the orchestrator gets it, read-only so that an operation cannot write to it."""
    with Image.open(DATA / name) as im:
        array = np.asarray(im.convert(mode)).copy()
    array.flags.writeable = False
    return array


def truth(name: str) -> str:
    return (DATA / name).with_suffix(".txt").read_text(encoding="utf-8")


def ocr(image: Pixels, dpi: float) -> str:
    return _engine().recognize(Image.fromarray(image), dpi=dpi, number=1, source_index=0).text()


def accuracy(reference: str, image: Pixels, dpi: float) -> float:
    """Word accuracy (1 - bag-of-words error) of the engine's reading of `image`."""
    return 1 - bag_error(reference, ocr(image, dpi))


@functools.cache
def ocr_clean(name: str, dpi: float) -> str:
    return ocr(page(name), dpi)


def chroma(rgb: Pixels) -> NDArray[np.float32]:
    """(Cr, Cb) - 128 per pixel."""
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb), np.float32)[..., 1:] - 128


# Degraded copies ----------------------------------------------------------------------------------------------


def with_specks(
    gray: Pixels, dpi: float, count: int, *, clear_mm: float = 2.5, value: tuple[int, int] = (0, 60), seed: int = 1
) -> tuple[Pixels, list[tuple[int, int]]]:
    """`gray` with `count` dark specks (round or oval, 0.15-0.45 mm across) at least `clear_mm` from its ink and
    4 mm from each other, and their centres."""
    px = dpi / 25.4
    far = cv2.distanceTransform((gray >= 128).astype(np.uint8), cv2.DIST_L2, 5) > clear_mm * px
    step = round(4 * px)
    spots = [(x, y) for y in range(step // 2, gray.shape[0], step) for x in range(step // 2, gray.shape[1], step)]
    spots = [(x, y) for x, y in spots if far[y, x]]
    rng = np.random.default_rng(seed)
    out = gray.copy()
    centres = [spots[i] for i in rng.choice(len(spots), count, replace=False)]
    for x, y in centres:
        radius = rng.uniform(0.15, 0.45) * px / 2
        axes = (max(0, round(radius - 0.5)), max(0, round(radius * rng.uniform(0.6, 1) - 0.5)))
        shade = int(rng.integers(*value))
        cv2.ellipse(out, (x, y), axes, float(rng.uniform(0, 180)), 0, 360, shade, -1)
    return out, centres


def screened(gray: Pixels, period: float, coverage: float, angle: float) -> Pixels:
    """`gray` printed through a halftone dot screen (`period` pixels, dots covering `coverage` of the paper,
    turned by `angle` degrees): the page multiplied with a lattice of dark round dots."""
    h, w = gray.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.deg2rad(angle)
    u = (x * np.cos(a) + y * np.sin(a)) / period
    v = (-x * np.sin(a) + y * np.cos(a)) / period
    distance = np.hypot(u - np.round(u), v - np.round(v)) * period  # to the nearest dot centre, in pixels
    paper = np.clip(distance - np.sqrt(coverage / np.pi) * period + 0.5, 0, 1)  # 1 between the dots
    shade = 60 + 195 * paper
    return np.asarray(gray.astype(np.float32) * shade / 255 + 0.5, np.uint8)


def shadowed(gray: Pixels, dpi: float, depth: float, seed: int = 3) -> Pixels:
    """A scan of `gray` lit unevenly: soft edges, a shadow darkening to 1 - `depth` towards the right edge (a
    book's spine), a falloff down the page, sensor noise."""
    rng = np.random.default_rng(seed)
    h, w = gray.shape
    soft = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 0.08 * dpi / 25.4)
    x = np.arange(w, dtype=np.float32)[None, :]
    y = np.arange(h, dtype=np.float32)[:, None]
    light = (1 - depth * np.exp(-(w - x) / (0.3 * w))) * (1 - 0.15 * y / h)
    scan = 255 * (0.06 + 0.88 * soft / 255) * light + rng.normal(0, 3, (h, w))
    return np.asarray(np.clip(scan, 0, 255) + 0.5, np.uint8)


def faded(gray: Pixels, dpi: float, *, dropout: float, seed: int = 4) -> Pixels:
    """A faded photocopy of `gray`: strokes thinned by a pixel on each side, ink dropped out in small holes
    (`dropout` of the pixels), soft edges, ink at grey 165 on paper at 232, noise."""
    rng = np.random.default_rng(seed)
    thin = cv2.dilate(gray, np.ones((3, 3), np.uint8))
    holes = cv2.dilate((rng.random(gray.shape) < dropout).astype(np.uint8), np.ones((2, 2), np.uint8))
    thin = np.maximum(thin, holes * 255)
    soft = cv2.GaussianBlur(thin.astype(np.float32), (0, 0), 0.06 * dpi / 25.4)
    copy = 165 + (232 - 165) * soft / 255 + rng.normal(0, 3, gray.shape)
    return np.asarray(np.clip(copy, 0, 255) + 0.5, np.uint8)


def colour_noise(rgb: Pixels, seed: int = 2) -> Pixels:
    """`rgb` scanned by a noisy colour scanner: a yellowish paper tint, chroma noise, coloured speckle, JPEG."""
    rng = np.random.default_rng(seed)
    tinted = np.asarray(rgb.astype(np.float32) * (np.array([250, 244, 226], np.float32) / 255), np.uint8)
    ycc = np.asarray(cv2.cvtColor(tinted, cv2.COLOR_RGB2YCrCb), np.float32)
    ycc[..., 1:] += rng.normal(0, 8, ycc[..., 1:].shape)
    h, w = rgb.shape[:2]
    ys, xs = rng.integers(0, h, 3000), rng.integers(0, w, 3000)
    ycc[ys, xs, 1:] += rng.choice([-45.0, 45.0], (3000, 2))
    noisy = cv2.cvtColor(np.asarray(np.clip(ycc, 0, 255) + 0.5, np.uint8), cv2.COLOR_YCrCb2BGR)
    _, jpeg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return np.asarray(cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB), np.uint8)


def components(gray: Pixels) -> int:
    return int(cv2.connectedComponents((gray < 128).astype(np.uint8), connectivity=8)[0]) - 1


# Despeckle ----------------------------------------------------------------------------------------------------


def test_despeckle_removes_specks_and_keeps_dots_and_periods() -> None:
    clean = page(EUROTEXT[0])
    dpi = EUROTEXT[1]
    specked, centres = with_specks(clean, dpi, 40)
    assert components(specked) == components(clean) + 40  # the set-up: 40 separate specks

    out = pixels.despeckle(specked, dpi)
    assert [c for c in centres if out[c[1], c[0]] < 128] == []
    assert components(out) == components(clean)
    assert np.array_equal(out, clean)  # every i-dot, period, comma and accent of the page is still there
    assert ocr(out, dpi) == ocr_clean(*EUROTEXT)


@pytest.mark.parametrize("dpi", [150.0, 300.0, 600.0])
def test_despeckle_sizes_scale_with_dpi(dpi: float) -> None:
    """The same page and the same specks in millimetres at three resolutions; a 1.2 mm dot is no speck."""
    size = (round(page(EUROTEXT[0]).shape[1] * dpi / 300), round(page(EUROTEXT[0]).shape[0] * dpi / 300))
    clean = np.asarray(cv2.resize(page(EUROTEXT[0]), size, interpolation=cv2.INTER_AREA) >= 128, np.uint8) * 255
    specked, centres = with_specks(clean, dpi, 25, seed=7)
    blob = centres.pop()
    cv2.circle(specked, blob, round(0.6 * dpi / 25.4), 0, -1)

    out = pixels.despeckle(specked, dpi)
    assert [c for c in centres if out[c[1], c[0]] < 128] == []
    assert out[blob[1], blob[0]] == 0
    far_from_specks = cv2.dilate((specked != clean).astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    assert np.array_equal(out[far_from_specks], clean[far_from_specks])


def test_despeckle_grey_scan() -> None:
    """Soft grey specks on a real anti-aliased greyscale page are painted with its paper."""
    dpi = SINGLECOL[1]
    clean = page(SINGLECOL[0])[1200:2100, 450:2100]
    specked, centres = with_specks(clean, dpi, 30, clear_mm=2.5, value=(30, 90), seed=3)
    specked = np.asarray(np.minimum(clean, cv2.GaussianBlur(specked, (0, 0), 0.6)), np.uint8)

    out = pixels.despeckle(specked, dpi)
    assert min(out[y, x] for x, y in centres) >= 240  # paper, not a speck (nor a grey ghost of one)
    around_specks = cv2.dilate((specked != clean).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    assert np.array_equal(out[~around_specks], clean[~around_specks])
    assert ocr(out, dpi) == ocr(clean, dpi)


@pytest.mark.parametrize("name", [EUROTEXT, PHOTOTEST, SINGLECOL], ids=lambda p: p[0].split("/")[-1])
def test_despeckle_clean_page_unchanged(name: tuple[str, float]) -> None:
    clean = page(name[0])
    out = pixels.despeckle(clean, name[1])
    assert np.count_nonzero(out != clean) <= 1e-5 * clean.size


# RemoveColorNoise ---------------------------------------------------------------------------------------------


@functools.cache
def stamped() -> tuple[Pixels, NDArray[np.bool_], NDArray[np.bool_]]:
    """eurotext in colour with a red rubber stamp and a blue logo on its empty lower margin, and their masks."""
    rgb = np.asarray(cv2.cvtColor(page(EUROTEXT[0]), cv2.COLOR_GRAY2RGB))
    cv2.circle(rgb, (900, 730), 55, (200, 30, 30), 7, cv2.LINE_AA)
    cv2.putText(rgb, "PAID", (862, 742), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (200, 30, 30), 3, cv2.LINE_AA)
    cv2.rectangle(rgb, (40, 700), (200, 780), (30, 60, 200), -1)
    red = np.all(np.abs(rgb.astype(int) - (200, 30, 30)) < 20, axis=2)
    blue = np.all(np.abs(rgb.astype(int) - (30, 60, 200)) < 20, axis=2)
    rgb.flags.writeable = False
    return rgb, red, blue


def test_remove_color_noise_cleans_the_paper_and_keeps_stamp_and_logo() -> None:
    clean, red, blue = stamped()
    dpi = EUROTEXT[1]
    noisy = colour_noise(clean)
    out = pixels.remove_color_noise(noisy, dpi)

    ink = cv2.cvtColor(clean, cv2.COLOR_RGB2GRAY) < 250
    paper = cv2.dilate(ink.astype(np.uint8), np.ones((25, 25), np.uint8)) == 0  # 2 mm from any ink
    before, after = chroma(noisy)[paper], chroma(out)[paper]
    assert after.std(axis=0).max() < before.std(axis=0).min() / 4  # chroma noise
    assert np.abs(after.mean(axis=0)).max() < 1.0 < np.abs(before.mean(axis=0)).max()  # the yellow tint
    assert cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)[paper].mean() > 252

    for mask in (cv2.erode(red.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0, blue):
        painted, kept = chroma(clean)[mask].mean(axis=0), chroma(out)[mask].mean(axis=0)
        assert np.linalg.norm(kept) > 0.75 * np.linalg.norm(painted)
        cosine = kept @ painted / (np.linalg.norm(kept) * np.linalg.norm(painted))
        assert cosine > np.cos(np.deg2rad(10))  # the same hue
    reference = truth(EUROTEXT[0])
    assert accuracy(reference, out, dpi) >= accuracy(reference, noisy, dpi)


def test_remove_color_noise_real_receipt() -> None:
    """A real colour scan: the bluish paper and the show-through go, the blue print stays blue."""
    scan = page(RECEIPT[0], "RGB")
    out = pixels.remove_color_noise(scan, RECEIPT[1])
    gray = cv2.cvtColor(scan, cv2.COLOR_RGB2GRAY)
    paper = cv2.dilate((gray < 200).astype(np.uint8), np.ones((7, 7), np.uint8)) == 0
    colour_before, colour_after = (np.linalg.norm(chroma(image)[paper], axis=1).mean() for image in (scan, out))
    assert colour_after < colour_before / 3
    print_ = gray < 150
    blue_before, blue_after = chroma(scan)[print_][:, 1].mean(), chroma(out)[print_][:, 1].mean()  # Cb
    assert blue_before > 8 and blue_after > 0.7 * blue_before


def test_remove_color_noise_clean_page_almost_unchanged() -> None:
    """A clean colour page (black text, a blue court header): at most faint changes, the same text."""
    clean = page(SINGLECOL[0], "RGB")
    out = pixels.remove_color_noise(clean, SINGLECOL[1])
    difference = np.abs(out.astype(int) - clean).max(axis=2)
    assert difference.max() <= 8 and np.count_nonzero(difference) < 0.01 * difference.size
    header = (slice(60, 140), slice(300, 2250))
    blue = np.linalg.norm(chroma(clean)[header], axis=2) > 20
    assert (
        np.linalg.norm(chroma(out)[header], axis=2)[blue].mean()
        > 0.85 * np.linalg.norm(chroma(clean)[header], axis=2)[blue].mean()
    )
    assert ocr(out, SINGLECOL[1]) == ocr_clean(*SINGLECOL)


def test_remove_color_noise_leaves_greyscale_alone() -> None:
    gray = page(PHOTOTEST[0])
    out = pixels.remove_color_noise(gray, PHOTOTEST[1])
    assert out is not gray and np.array_equal(out, gray)


# RemoveHalftone -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "period", "coverage", "angle"),
    [(EUROTEXT, 5.0, 0.3, 45.0), (EUROTEXT, 4.5, 0.5, 15.0), (PHOTOTEST, 3.5, 0.3, 45.0)],
    ids=["eurotext-5px-45deg", "eurotext-4.5px-15deg", "phototest-3.5px-45deg"],
)
def test_remove_halftone_makes_text_on_a_tint_readable(
    name: tuple[str, float], period: float, coverage: float, angle: float
) -> None:
    reference = truth(name[0])
    tint = screened(page(name[0]), period, coverage, angle)
    before = accuracy(reference, tint, name[1])
    after = accuracy(reference, pixels.remove_halftone(tint, name[1]), name[1])
    clean = 1 - bag_error(reference, ocr_clean(*name))
    assert before < 0.3, before  # the set-up: the screen makes the page unreadable
    assert after > max(before + 0.5, clean - 0.1), (before, after, clean)


def test_remove_halftone_only_where_the_screen_is() -> None:
    """A tinted box behind the lower half of the page: the upper half, a tile and a quarter away, is untouched."""
    clean = page(EUROTEXT[0])
    tint = clean.copy()
    tint[400:] = screened(clean[400:], 5.0, 0.3, 45.0)
    out = pixels.remove_halftone(tint, EUROTEXT[1])
    assert np.array_equal(out[:230], clean[:230])
    assert (
        np.abs(cv2.Laplacian(out[450:780].astype(np.float32), cv2.CV_32F)).mean()
        < 0.5 * np.abs(cv2.Laplacian(tint[450:780].astype(np.float32), cv2.CV_32F)).mean()
    )


def test_remove_halftone_real_tinted_bar() -> None:
    """multicol_04's heading bar is a real halftone tint; the text blocks far below it are left alone."""
    scan = page(MULTICOL[0])
    out = pixels.remove_halftone(scan, MULTICOL[1])
    bar = (slice(180, 230), slice(100, 1900))
    detail_before = np.abs(cv2.Laplacian(scan[bar].astype(np.float32), cv2.CV_32F)).mean()
    detail_after = np.abs(cv2.Laplacian(out[bar].astype(np.float32), cv2.CV_32F)).mean()
    assert detail_after < 0.3 * detail_before
    assert np.array_equal(out[1700:], scan[1700:])


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        (EUROTEXT, "L"),
        (PHOTOTEST, "L"),
        (SINGLECOL, "RGB"),
        (("ocr-scribe-benchmark/img/filing_01.png", 235.0), "L"),
        (("ocr-scribe-benchmark/img/table_05.png", 235.0), "L"),
        (("pdfs-ocrmypdf/linn.png", 300.0), "L"),
        (RECEIPT, "RGB"),
        (("receipts-sroie/img/379.jpg", 150.0), "RGB"),  # a dotted line: periodic, but in one direction only
    ],
    ids=lambda p: p[0].split("/")[-1] if isinstance(p, tuple) else p,
)
def test_remove_halftone_leaves_pages_without_a_screen_alone(name: tuple[str, float], mode: str) -> None:
    scan = page(name[0], mode)
    assert np.array_equal(pixels.remove_halftone(scan, name[1]), scan)


# Binarize -----------------------------------------------------------------------------------------------------


def test_binarize_gives_a_bilevel_page() -> None:
    for scan, dpi in ((page(RECEIPT[0], "RGB"), RECEIPT[1]), (page(SINGLECOL[0]), SINGLECOL[1])):
        out = pixels.binarize(scan, dpi)
        assert out.dtype == np.uint8 and out.shape == scan.shape[:2]
        assert set(np.unique(out)) <= {0, 255}


def f_measure(truth_ink: NDArray[np.bool_], ink: NDArray[np.bool_]) -> float:
    """The binarization F-measure (DIBCO) of the ink pixels."""
    hits = np.count_nonzero(truth_ink & ink)
    return 2 * hits / (np.count_nonzero(truth_ink) + np.count_nonzero(ink))


@pytest.mark.parametrize("name", [EUROTEXT, PHOTOTEST], ids=["eurotext", "phototest"])
def test_binarize_reads_a_page_in_shadow(name: tuple[str, float]) -> None:
    """A real page lit from one side: a global (Otsu) threshold blackens the shadow, Sauvola follows it."""
    clean, dpi = page(name[0]), name[1]
    reference = truth(name[0])
    scan = shadowed(clean, dpi, depth=0.85)
    _, otsu = cv2.threshold(scan, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    out = pixels.binarize(scan, dpi)

    assert f_measure(clean < 128, out == 0) > 0.9 > 0.7 > f_measure(clean < 128, otsu == 0)
    raw, global_, sauvola = (accuracy(reference, image, dpi) for image in (scan, otsu, out))
    assert sauvola > max(raw, global_) + 0.05, (raw, global_, sauvola)
    assert sauvola > 1 - bag_error(reference, ocr_clean(*name)) - 0.1


def test_binarize_clean_pages() -> None:
    bilevel = page(EUROTEXT[0])
    assert np.array_equal(pixels.binarize(bilevel, EUROTEXT[1]), bilevel)
    gray = page(SINGLECOL[0])[300:1380, 400:2150]  # anti-aliased text: binarizing it must not lose words
    assert bag_error(ocr(gray, SINGLECOL[1]), ocr(pixels.binarize(gray, SINGLECOL[1]), SINGLECOL[1])) <= 0.02


# ImproveText --------------------------------------------------------------------------------------------------


def test_improve_text_restores_a_faded_copy() -> None:
    dpi = PHOTOTEST[1]
    reference = truth(PHOTOTEST[0])
    copy = faded(page(PHOTOTEST[0]), dpi, dropout=0.01)
    before, after = accuracy(reference, copy, dpi), accuracy(reference, pixels.improve_text(copy, dpi), dpi)
    assert after > before + 0.3 and after > 0.75, (before, after)


def test_improve_text_faded_greyscale_scan() -> None:
    """A real greyscale page faded the same way reads (almost) as well as the original after ImproveText."""
    dpi = SINGLECOL[1]
    clean = page(SINGLECOL[0])[300:1380, 400:2150]
    copy = faded(np.asarray(np.where(clean < 128, 0, 255), np.uint8), dpi, dropout=0.02)
    reference = ocr(clean, dpi)
    before, after = 1 - bag_error(reference, ocr(copy, dpi)), accuracy(reference, pixels.improve_text(copy, dpi), dpi)
    assert after > before + 0.1, (before, after)


@pytest.mark.parametrize(
    ("name", "mode"), [(EUROTEXT, "L"), (PHOTOTEST, "L"), (SINGLECOL, "RGB"), (RECEIPT, "RGB")], ids=str
)
def test_improve_text_leaves_clean_pages_alone(name: tuple[str, float], mode: str) -> None:
    scan = page(name[0], mode)
    assert np.array_equal(pixels.improve_text(scan, name[1]), scan)


def test_improve_text_faint_but_whole_page_not_worse() -> None:
    """Low contrast only (no broken strokes): the stretch and the small closing must not cost words."""
    dpi = EUROTEXT[1]
    reference = truth(EUROTEXT[0])
    copy = faded(cv2.erode(page(EUROTEXT[0]), np.ones((3, 3), np.uint8)), dpi, dropout=0)  # eroded back to width
    assert accuracy(reference, pixels.improve_text(copy, dpi), dpi) >= accuracy(reference, copy, dpi)


# text_gray ----------------------------------------------------------------------------------------------------

ORANGE = (255, 165, 0)  # grey 173 by ITU-R 601: paper to Otsu's threshold on a page that has black print too
MARKER = (250, 240, 40)  # a yellow highlighter


def inked(gray: Pixels, colour: tuple[int, int, int], rows: slice) -> Pixels:
    """The page in RGB with the print in `rows` in `colour` (each pixel's darkness times the colour)."""
    rgb = np.repeat(gray[..., None], 3, axis=2).astype(np.float32)
    darkness = 1 - gray[rows].astype(np.float32)[..., None] / 255
    rgb[rows] = 255 - darkness * (255 - np.array(colour, np.float32))
    return np.asarray(rgb + 0.5, np.uint8)


def test_text_gray_reads_text_printed_in_a_light_colour() -> None:
    """Half of a page's lines in orange: in plain grey the engine loses them, in text_gray it reads them as it
    reads the page in black."""
    dpi = SINGLECOL[1]
    clean = page(SINGLECOL[0])[300:1380, 400:2150]
    coloured = inked(clean, ORANGE, slice(540, None))
    reference = ocr(clean, dpi)
    plain = np.asarray(Image.fromarray(coloured).convert("L"))
    plain.flags.writeable = False  # the caller's grey is read, never written
    before, after = (
        1 - bag_error(reference, ocr(plain, dpi)),
        1 - bag_error(reference, ocr(pixels.text_gray(coloured, dpi, gray=plain), dpi)),
    )
    assert before < 0.75 and after > 0.97, (before, after)


def test_text_gray_leaves_highlighter_marks_and_dark_colours_alone() -> None:
    """A highlighter's mark over black print and a marker's stroke stay as grey as they were (the print under them
    reads as before); print in a dark colour is dark already, its light edges too."""
    dpi = SINGLECOL[1]
    clean = page(SINGLECOL[0])[300:1380, 400:2150]
    rgb = inked(clean, (20, 40, 160), slice(0, 200))  # dark blue print
    mark = (slice(400, 520), slice(100, 1500))
    rgb[mark] = np.minimum(rgb[mark], np.array(MARKER, np.uint8))  # a highlighter over a line: the ink shows through
    stroke = np.zeros(clean.shape, np.uint8)
    cv2.line(stroke, (100, 700), (1400, 760), 255, 12)  # a marker's stroke 1 mm wide over the lines below
    rgb[stroke > 0] = np.minimum(rgb[stroke > 0], np.array(MARKER, np.uint8))
    plain = np.asarray(Image.fromarray(rgb).convert("L"))
    out = pixels.text_gray(rgb, dpi, gray=plain)
    assert np.array_equal(out, plain)
    assert bag_error(ocr(clean, dpi), ocr(out, dpi)) <= 0.03


@pytest.mark.parametrize("name", [MULTICOL, RECEIPT], ids=str)
def test_text_gray_is_the_plain_grey_of_a_page_without_coloured_text(name: tuple[str, float]) -> None:
    """A page in black and grey (halftone tints) and a colour scan of blue print on bluish paper (its colours are
    dark or faint): the page's own grey, as Pillow makes it."""
    rgb, plain = page(name[0], "RGB"), page(name[0], "L")
    assert np.array_equal(pixels.text_gray(rgb, name[1], gray=plain), plain)
    assert np.array_equal(pixels.text_gray(page(name[0]), name[1]), page(name[0]))


# All operations -----------------------------------------------------------------------------------------------

OPERATIONS = [pixels.despeckle, pixels.remove_color_noise, pixels.remove_halftone, pixels.improve_text]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_operation_returns_a_new_array_of_the_same_kind(operation: object, mode: str) -> None:
    scan = page(RECEIPT[0], mode)  # read-only: writing to it would raise
    out = operation(scan, RECEIPT[1])  # type: ignore[operator]
    assert out is not scan and out.dtype == np.uint8 and out.shape == scan.shape


@pytest.mark.parametrize("operation", [*OPERATIONS, pixels.binarize, pixels.text_gray], ids=lambda f: f.__name__)
def test_operation_rejects_other_pixels(operation: object) -> None:
    for bad in (np.zeros((10, 10), np.float32), np.zeros((10, 10, 4), np.uint8)):
        with pytest.raises(ValueError, match="uint8"):
            operation(bad, 300.0)  # type: ignore[operator]


@pytest.mark.slow
def test_a4_page_at_300_dpi_takes_well_under_300_ms() -> None:
    a4 = (2480, 3508)
    gray = np.asarray(cv2.resize(page(SINGLECOL[0]), a4, interpolation=cv2.INTER_AREA))
    rgb = np.asarray(cv2.resize(page(SINGLECOL[0], "RGB"), a4, interpolation=cv2.INTER_AREA))
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        for operation in [*OPERATIONS, pixels.binarize]:
            for scan in (gray, rgb):
                best = min(_timed(operation, scan) for _ in range(3))
                assert best < 0.3, (operation.__name__, scan.ndim, best)
    finally:
        cv2.setNumThreads(threads)


def _timed(operation: object, scan: Pixels) -> float:
    start = time.perf_counter()
    operation(scan, 300.0)  # type: ignore[operator]
    return time.perf_counter() - start
