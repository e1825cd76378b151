"""One invoice page image through clean-up and OCR, choosing the clean-up from the image itself.

Invoice pages carry no job options: what is applied is decided per page (turned upright when
Tesseract's orientation detection is sure, straightened when skewed, enlarged when the text is too
small for Tesseract) and reported as the page's `preprocessing`.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from ocrmill.domain.document import Box, Page, has_text, mean_confidence, sideways
from ocrmill.domain.scripts import UNACCENTED_LANGUAGES, plain_latin
from ocrmill.errors import EngineError, InputError
from ocrmill.pipeline.diacritics import accents_for, shows_others
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.pages import check_image_page, normalise_image, opened, short_error, working_dpi

log = logging.getLogger("ocrmill.worker")

TARGET_DPI = 300  # pages finer than MIN_DPI are recognised as they are; coarser ones are enlarged to this
MIN_DPI = 200
# The size of the text decides the enlargement where it can be measured (the dpi a file states, or one guessed
# from an A4 page, is wrong for receipts): glyphs shorter than MIN_TEXT_PX are enlarged to TARGET_TEXT_PX.
# Measured on the 50 SROIE receipts (word F1 of the OCR against their transcripts: A4 guess 0.71, text height
# with 20/30 px 0.75, 40/40 px 0.73; Sauvola binarisation on top 0.64, so none). Glyphs taller than
# MAX_TEXT_PX (a receipt scanned at 600 dpi: 35 Mpx) are reduced to TARGET_TEXT_PX too: on the 10 such SROIE
# photos (text 42-68 px) word F1 0.532 -> 0.589 and half the CPU (53 -> 27 s; to 36 px: 0.561, 37 s).
MIN_TEXT_PX = 30.0
TARGET_TEXT_PX = 30.0
MAX_TEXT_PX = 40.0
MAX_ENLARGE = 4.0
MIN_GLYPHS = 100  # fewer measured glyphs than this: the text height is not trusted
MIN_GLYPH_PX = 7.0  # glyphs measured shorter than this are the dots of dot-matrix print (or noise)
DOT_JOIN_PX = 3  # dot-matrix print: the dots are grown by this much to join them into strokes


@dataclass
class Preprocessing:
    enhanced: bool = False  # enlarged (low resolution) or contrast-stretched
    deskewed: bool = False
    denoised: bool = False
    binarized: bool = False
    rotation_angle: float = 0.0  # degrees clockwise: the quarter turn plus the skew corrected

    def to_api(self) -> dict[str, object]:
        return {
            "enhanced": self.enhanced,
            "deskewed": self.deskewed,
            "denoised": self.denoised,
            "binarized": self.binarized,
            "rotationAngle": round(self.rotation_angle, 2),
        }


@dataclass
class ImageProperties:
    width: int
    height: int
    dpi: int
    color_space: str  # rgb | grayscale | bilevel | cmyk
    format: str  # png | jpeg | tiff | ...
    size: int  # bytes

    def to_api(self) -> dict[str, object]:
        return {
            "width": self.width,
            "height": self.height,
            "dpi": self.dpi,
            "colorSpace": self.color_space,
            "format": self.format,
            "size": self.size,
        }


@dataclass
class RecognisedPage:
    page: Page  # words in pixels of `image`
    image: Image.Image  # the cleaned raster the words were recognised on
    dpi: float
    preprocessing: Preprocessing
    # 3x3 affine matrix from `image`'s pixels back to the source image's (undoing the enlargement, the
    # quarter turn and the deskew), so that boxes can be shown over the page as the client gave it
    to_source: NDArray[np.float64] = field(default_factory=lambda: np.eye(3))
    # an unsure page's other reading (same raster, same pixels): PP-OCR's (pipeline.lines). Field extraction
    # weighs the candidates of both readings; every output is made from `page`
    alternates: list[Page] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # what Tesseract read the page in (_read)

    def source_box(self, box: Box) -> Box:
        """`box` (in `image`'s pixels) in the source image's pixels."""
        return mapped_box(box, self.to_source)


def mapped_box(box: Box, matrix: NDArray[np.float64]) -> Box:
    """`box` taken through the affine `matrix`: the bounds of its mapped corners."""
    corners = np.array(
        [[box.left, box.top, 1], [box.right, box.top, 1], [box.left, box.bottom, 1], [box.right, box.bottom, 1]],
        dtype=np.float64,
    )
    mapped = corners @ matrix.T
    xs, ys = mapped[:, 0], mapped[:, 1]
    return Box(round(xs.min()), round(ys.min()), round(xs.max()), round(ys.max()))


_COLOR_SPACES = {"1": "bilevel", "L": "grayscale", "LA": "grayscale", "I;16": "grayscale", "CMYK": "cmyk"}


def open_page_image(data: bytes, *, max_pixels: float) -> tuple[Image.Image, float, ImageProperties]:
    """The page image (first frame) normalised to 1, L or RGB, its working dpi and what the file says; its size
    is checked against the limits (pages.check_image_page) before it is decoded."""
    try:
        with opened(io.BytesIO(data), "The page image", max_pixels=max_pixels) as im:
            check_image_page("The page image", im.width, im.height, max_pixels=max_pixels)
            properties = ImageProperties(
                width=im.width,
                height=im.height,
                dpi=round(float((im.info.get("dpi") or (0, 0))[0] or 0)),
                color_space=_COLOR_SPACES.get(im.mode, "rgb"),
                format=(im.format or "unknown").lower(),
                size=len(data),
            )
            im.load()
            image, _ = normalise_image(im)
            dpi = working_dpi(image, im.info.get("dpi"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        raise InputError(f"The page image could not be read: {short_error(e)}.") from None
    if not properties.dpi:
        properties.dpi = round(dpi)
    return image, dpi, properties


def recognise_page(
    image: Image.Image, dpi: float, *, engines: EnginePool, langs: list[str], number: int, tessdata: Path
) -> RecognisedPage:
    """Clean-up chosen for this page, then Tesseract: in the first of `langs`, and again in all of them when
    that reading shows words of the others (_read).

    In order: a colour page made grey with its coloured text kept dark (page_gray); a dark surround that
    hides the print painted in the paper's colour (without_surround); dotted print (dot-matrix receipts)
    joined into strokes; the page enlarged when its text is too small for Tesseract (measured on the glyphs,
    not guessed from the dpi); faint print darkened (pixels.improve_text, which leaves dark print alone);
    straightened; and when that reads badly (few words,
    low confidence), turned upright if Tesseract's OSD is sure, straightened and read again."""
    import cv2

    from ocrmill.pipeline.cleanup import geometry, pixels  # OpenCV: imported on first use

    done = Preprocessing()
    gray, height, glyphs, cleared = without_surround(page_gray(image, dpi), dpi)
    done.enhanced = cleared
    quarter = 0  # the quarter turn taken, in degrees clockwise
    if not measured(height, glyphs):
        joined = join_dots(gray)
        joined_height, joined_glyphs = text_height(joined)
        if measured(joined_height, joined_glyphs) and joined_glyphs > 2 * glyphs:
            gray, height, glyphs = joined, joined_height, joined_glyphs
            done.enhanced = True
    factor = enlargement(height, glyphs, dpi)
    forward = np.eye(3)
    if factor != 1.0:
        source_size = gray.shape
        smooth = cv2.INTER_CUBIC if factor > 1.0 else cv2.INTER_AREA
        gray = np.ascontiguousarray(cv2.resize(gray, None, fx=factor, fy=factor, interpolation=smooth))
        forward = np.diag([gray.shape[1] / source_size[1], gray.shape[0] / source_size[0], 1.0])
        dpi *= factor
        done.enhanced = done.enhanced or factor > 1.0
    better = pixels.improve_text(gray, dpi)
    if not np.array_equal(better, gray):
        gray, done.enhanced = better, True
    straight, skew, turn = _straightened(gray, dpi)
    cleaned = Image.fromarray(straight)
    page, read_in = _read(cleaned, dpi, engines=engines, langs=langs, number=number, tessdata=tessdata)
    if not _reads_well(page):  # perhaps sideways or upside down: Tesseract's OSD proposes a turn (about 0.5 s)
        turned, _ = geometry.orientation(gray, dpi, tessdata)
        if turned:
            upright = np.ascontiguousarray(np.rot90(gray, k=-turned // 90))
            other_straight, other_skew, other_turn = _straightened(upright, dpi)
            other_image = Image.fromarray(other_straight)
            other, other_in = _read(other_image, dpi, engines=engines, langs=langs, number=number, tessdata=tessdata)
            if _reading_score(other) > _reading_score(page):  # OSD's own confidence is low on sparse pages
                page, read_in, cleaned, skew = other, other_in, other_image, other_skew
                turn = other_turn @ quarter_turn(turned, gray.shape)
                done.rotation_angle = quarter = turned
    done.deskewed = skew != 0.0
    done.rotation_angle += skew
    forward = turn @ forward
    alternates = []
    if _unsure(page):
        glyph_px = height if measured(height, glyphs) else 0.0
        try:
            alternates.append(
                _read_lines(image, quarter, forward, cleaned.size, dpi=dpi, number=number, glyph_px=glyph_px)
            )
        except EngineError as e:  # a second opinion only: the page goes on with Tesseract's reading
            log.warning("PP-OCR could not read page %d: %s", number, e)
    if set(read_in) <= UNACCENTED_LANGUAGES:
        # PP-OCR knows the letters of many languages and now and then takes a speck for an accent ("Simpàng",
        # "Lapängan" in Malay street names): on a page in a language written without them, they go
        for reading in (page, *alternates):
            for word in reading.words():
                word.text = plain_latin(word.text)
    accents = accents_for(tessdata, read_in)
    if accents is not None:
        for reading in (page, *alternates):
            accents.restore_page(reading)
    return RecognisedPage(
        page=page,
        image=cleaned,
        dpi=dpi,
        preprocessing=done,
        to_source=np.linalg.inv(forward).astype(np.float64),
        alternates=alternates,
        languages=read_in,
    )


def _read(
    image: Image.Image, dpi: float, *, engines: EnginePool, langs: list[str], number: int, tessdata: Path
) -> tuple[Page, list[str]]:
    """Tesseract's reading of the cleaned page, and the languages it was read in: the first of `langs` alone,
    and all of them when that reading shows words of the others (diacritics.shows_others). Tesseract tries
    each further language on every word the first reads poorly, which on a receipt costs 40% more time
    (eng+deu+fra 1.35 s against 0.97 s of CPU a receipt, clean-up included)."""
    page = engines.recognize(langs[:1], image, dpi=dpi, number=number, source_index=number - 1)
    if len(langs) < 2 or not shows_others(page, tessdata, langs):
        return page, langs[:1]
    return engines.recognize(langs, image, dpi=dpi, number=number, source_index=number - 1), langs


def _read_lines(
    image: Image.Image,
    quarter: int,
    forward: NDArray[np.float64],
    size: tuple[int, int],
    *,
    dpi: float,
    number: int,
    glyph_px: float = 0.0,
) -> Page:
    """PP-OCR's reading of the page as the client gave it, only turned upright: its networks read the print
    better without Tesseract's clean-up (bench.invoices, SROIE with PP-OCRv5: F1 0.767 against 0.747 on the
    cleaned raster scaled back). The words come back in the cleaned raster's pixels (`forward` maps the
    source there)."""
    from ocrmill.pipeline.lines import line_reader  # ONNX Runtime and the models: loaded on first use

    source = np.asarray(image.convert("RGB"))
    upright = np.ascontiguousarray(np.rot90(source, k=-quarter // 90)) if quarter else source
    read = line_reader().read(upright, dpi=dpi, number=number, source_index=number - 1, glyph_px=glyph_px)
    return mapped_page(read, forward @ np.linalg.inv(quarter_turn(quarter, source.shape)), size)


def mapped_page(page: Page, matrix: NDArray[np.float64], size: tuple[int, int]) -> Page:
    """`page` with every box taken through the affine `matrix` (mapped_box), on a raster of `size` (width,
    height)."""

    def box(b: Box) -> Box:
        return mapped_box(b, matrix)

    blocks = [
        replace(
            block,
            box=box(block.box),
            paragraphs=[
                replace(
                    para,
                    box=box(para.box),
                    lines=[
                        replace(line, box=box(line.box), words=[replace(w, box=box(w.box)) for w in line.words])
                        for line in para.lines
                    ],
                )
                for para in block.paragraphs
            ],
        )
        for block in page.blocks
    ]
    return replace(page, width=size[0], height=size[1], blocks=blocks)


UNSURE_CONFIDENCE = 88.0  # a page read with less mean word confidence (0..100) is read a second time


def _unsure(page: Page) -> bool:
    """Receipts and poor scans (clean invoices read at 93-96) are read again by PP-OCR (clean pages pay
    nothing), and so is a page Tesseract read no word of: a receipt in faint dot-matrix print, its letters rows of
    dots Tesseract takes for specks (SROIE 278), has nothing else to give its fields. Tesseract's reading of the
    page as one block, a third reading until the field ranker, is gone: in the ranker's grouped cross-validation
    it changed SROIE F1 by 0.0005 and cost 0.65 s of CPU a page."""
    words = [w for w in page.words() if has_text(w)]
    return not words or mean_confidence(words) < UNSURE_CONFIDENCE


READS_WELL_CONFIDENCE = 70.0  # mean word confidence (0..100) of a page read the right way up ...
READS_WELL_WORDS = 15  # ... with at least this many words; otherwise OSD is asked whether it is turned


def _reads_well(page: Page) -> bool:
    """Enough words, read with confidence, and lying flat (Tesseract also reads a sideways page, in tall
    word boxes that no row of an invoice would make)."""
    words = [w for w in page.words() if sum(c.isalnum() for c in w.text) >= 3]
    if len(words) < READS_WELL_WORDS:
        return False
    return not sideways(words) and mean_confidence(words) >= READS_WELL_CONFIDENCE


def _reading_score(page: Page) -> float:
    """How well a page was read: the confidence of its words, summed over those lying flat."""
    return sum(w.confidence for w in page.words() if w.box.width > w.box.height and has_text(w))


def _straightened(gray: NDArray[np.uint8], dpi: float) -> tuple[NDArray[np.uint8], float, NDArray[np.float64]]:
    """The page deskewed (canvas grown, nothing cut off), the skew corrected and the pixel mapping of it."""
    from ocrmill.pipeline.cleanup import geometry

    straight, skew = geometry.deskew(gray, dpi, adjust_paper_size=True)
    mapping = rotation(skew, gray.shape, straight.shape) if skew else np.eye(3)
    return straight, skew, mapping


def quarter_turn(degrees: int, shape: tuple[int, ...]) -> NDArray[np.float64]:
    """The pixel mapping of np.rot90 turning an image of `shape` clockwise by `degrees` (0, 90, 180, 270)."""
    height, width = shape[0], shape[1]
    match degrees % 360:
        case 90:
            return np.array([[0.0, -1.0, height], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
        case 180:
            return np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]])
        case 270:
            return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width], [0.0, 0.0, 1.0]])
    return np.eye(3)


def rotation(skew: float, before: tuple[int, ...], after: tuple[int, ...]) -> NDArray[np.float64]:
    """The pixel mapping of geometry.deskew: a turn by the skew about the centre of the page of size
    `before`, on a canvas grown to `after`."""
    angle = np.radians(skew)  # OpenCV's turn by -skew degrees, with y pointing down
    cos, sin = np.cos(angle), np.sin(angle)
    cx, cy = before[1] / 2, before[0] / 2
    dx, dy = (after[1] - before[1]) / 2, (after[0] - before[0]) / 2
    return np.array(
        [[cos, -sin, cx - cos * cx + sin * cy + dx], [sin, cos, cy - sin * cx - cos * cy + dy], [0.0, 0.0, 1.0]]
    )


def text_height(gray: NDArray[np.uint8]) -> tuple[float, int]:
    """The median height in pixels of the page's glyphs (connected ink components of letter proportions, ink
    by Otsu's threshold) and how many there were. Where specks (a scanner's dust, the paper's grain) are as many
    as the letters, they pull that median down: a 600-dpi receipt's 58-px text measured 17 px and the page was
    enlarged to 106 Mpx instead of reduced. So when the glyphs that stand in a line beside another of their
    height (line_glyphs) measure at least MIN_TEXT_PX and NOISE_RATIO times the median of all, theirs is
    the text's height."""
    import cv2

    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, widths, heights, areas = (stats[1:, i] for i in range(5))
    glyph = (heights >= 4) & (heights <= gray.shape[0] / 20) & (widths <= 3 * heights) & (areas >= 6)
    found = heights[glyph]
    if not len(found):
        return 0.0, 0
    height = float(np.median(found))
    lined = found[line_glyphs(x[glyph], y[glyph], widths[glyph], found)]
    if len(lined) and (lined_height := float(np.median(lined))) >= max(MIN_TEXT_PX, NOISE_RATIO * height):
        return lined_height, len(lined)
    return height, len(found)


NOISE_RATIO = 1.5
# Pairs of glyphs line_glyphs compares at most (about 100 MB of arrays): a page of 20,000 glyphs in lines has
# under a million; one of nothing but specks, 400,000 of them on 35 Mpx, had 40 million (1.7 GB, 5.6 s).
MAX_LINE_PAIRS = 3_000_000


def line_glyphs(
    x: NDArray[np.int32], y: NDArray[np.int32], widths: NDArray[np.int32], heights: NDArray[np.int32]
) -> NDArray[np.bool_]:
    """Which glyphs (boxes) have another of about their height (at least 0.7 of the taller) beside them on
    their line: centres within 0.3 of the taller's height, and at most 0.8 of it apart. Letters do; specks
    scattered over the page rarely do. None on a page with more than MAX_LINE_PAIRS pairs to compare."""
    middle = y + heights / 2
    order = np.argsort(middle, kind="stable")
    x, widths, heights, middle = x[order], widths[order], heights[order], middle[order]
    reach = heights / 0.7 * 0.3  # the farthest a partner's centre may be: its height at most this one's / 0.7
    low = np.searchsorted(middle, middle - reach, side="left")
    high = np.searchsorted(middle, middle + reach, side="right")
    counts = high - low
    if int(counts.sum()) > MAX_LINE_PAIRS:  # a page of noise: too many to compare, and nothing to find
        return np.zeros(len(x), dtype=bool)
    first = np.repeat(np.arange(len(x)), counts)
    second = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(low, counts)
    taller = np.maximum(heights[first], heights[second])
    gap = np.maximum(x[second] - (x[first] + widths[first]), x[first] - (x[second] + widths[second]))
    beside = (
        (first != second)
        & (np.abs(middle[second] - middle[first]) < 0.3 * taller)
        & (np.minimum(heights[first], heights[second]) >= 0.7 * taller)
        & (gap < 0.8 * taller)
    )
    out = np.zeros(len(x), dtype=bool)
    out[order[np.unique(first[beside])]] = True
    return out


SURROUND_HEIGHT_RATIO = 1.25  # the text measured this much taller or shorter without the surround: it was in the way


def page_gray(image: Image.Image, dpi: float) -> NDArray[np.uint8]:
    """The page in grey, text printed in a light colour as dark as its darkest channel (pixels.text_gray): an
    orange item name is grey 173, which Tesseract's threshold takes for paper on a page with black print."""
    from ocrmill.pipeline.cleanup import pixels

    gray = np.asarray(image.convert("L"))
    return pixels.text_gray(np.asarray(image), dpi, gray=gray) if image.mode == "RGB" else gray


def without_surround(gray: NDArray[np.uint8], dpi: float) -> tuple[NDArray[np.uint8], float, int, bool]:
    """The page with a dark surround (a receipt photographed on a dark table, a scanner's lid;
    geometry.clear_border) painted in the paper's colour when the surround hides the print: its dark takes
    Otsu's threshold, so the text cannot be measured or is measured wrong, and Tesseract's own threshold,
    which then finds little print or none. A dark band printed on the page (a footer with white text) leaves
    the measurement alone and is kept (a page with no border costs the search for one, no copy). Returns the
    page, its text height and glyph count (text_height) and whether it was cleared."""
    from ocrmill.pipeline.cleanup import geometry

    height, glyphs = text_height(gray)
    cleared = geometry.border_cleared(gray, dpi)
    if cleared is None:
        return gray, height, glyphs, False
    clear_height, clear_glyphs = text_height(cleared)
    if not measured(clear_height, clear_glyphs):
        return gray, height, glyphs, False
    if measured(height, glyphs) and 1 / SURROUND_HEIGHT_RATIO <= clear_height / height <= SURROUND_HEIGHT_RATIO:
        return gray, height, glyphs, False
    return cleared, clear_height, clear_glyphs, True


def join_dots(gray: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Dot-matrix print with its dots grown into strokes: a grey erosion (the ink is dark) over DOT_JOIN_PX."""
    import cv2

    kernel = np.ones((DOT_JOIN_PX, DOT_JOIN_PX), np.uint8)
    return np.ascontiguousarray(cv2.erode(gray, kernel))


def measured(height: float, glyphs: int) -> bool:
    """Whether text_height found enough glyphs of a readable height to be trusted."""
    return glyphs >= MIN_GLYPHS and height >= MIN_GLYPH_PX


def enlargement(height: float, glyphs: int, dpi: float) -> float:
    """How much to enlarge the page (below 1: reduce it): by its text height when that can be measured, else by
    its dpi."""
    if measured(height, glyphs):
        if height < MIN_TEXT_PX:
            return min(MAX_ENLARGE, TARGET_TEXT_PX / height)
        return TARGET_TEXT_PX / height if height > MAX_TEXT_PX else 1.0
    return TARGET_DPI / dpi if dpi < MIN_DPI else 1.0
