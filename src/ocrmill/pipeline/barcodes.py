"""Barcodes on a page raster (DetectBarcodes, BarcodeFilter, BarcodeDirection); the only module importing zxingcpp.

What is reported (ownOCR's contract, made precise here):

- One entry per symbol on the page, `Type` as ownOCR numbers it (`BarcodeType`): EAN-8 1, UPC-E 2, UPC-A 4,
  EAN-13 5, ISBN-13 6, ITF 7 (ITF-14 included), Code 39 8 (standard, or full-ASCII extended when zxing-cpp finds it
  so encoded; its Code 32 and PZN readings too, with zxing-cpp's text), QR code 9 (models 1 and 2; Micro QR and
  rMQR are other symbologies and are not read), Code 128 10. The one exception is the ISBN-10 below, which adds a
  second entry for the same symbol.
- BarcodeFilter: a type is "taken" when its bit is set, or when the filter is 0 (every symbology, each in its own
  form). Only taken types are reported; only the symbologies they need are searched.
- EAN-13 bars. zxing-cpp 3 reads UPC-A as the EAN-13 with a leading 0 (same bars), so the 13 digits decide:
  - leading 0: the symbol is a UPC-A. Type 4 with the 12 UPC-A digits if UPCA is taken; else Type 5 with all 13
    digits if EAN13 is taken; else nothing.
  - 978 or 979 (Bookland): Type 6 with the 13 digits if ISBN13 is taken; else Type 5 if EAN13 is taken. 979-0
    (ISMN, printed music) is not told apart, as the issue defines ISBN-13 by its prefix alone.
  - ISBN-10: only when the filter sets 0x04 itself (filter 0 does not add it) and the code starts 978, an entry of
    Type 3 with the ISBN-10 (the 9 digits after 978 and their mod-11 check digit, 0-9 or X) is reported in addition
    to the 13-digit entry above (if any, e.g. 0x24 gives both, 0x04 alone only the ISBN-10). A 979 ISBN has no
    ISBN-10 form and gives no Type 3 entry.
  - anything else: Type 5 if EAN13 is taken.
- UPC-E: Type 2 with its own 8 digits (number system, 6 digits, check digit), as printed under it; never reported
  as UPC-A or EAN-13 (its bars are different), so a filter without 0x02 drops it.
- Value: the decoded text as encoded (zxing's TextMode.Plain): GS1's field separator stays the GS character
  (0x1D), not "<GS>" nor "(01)" human-readable text.
- BarcodeDirection: the angle zxing-cpp reports between the symbol's reading direction and the page's x axis
  decides: within 45 degrees of 0 or 180 is horizontal (a 1D code whose bars stand upright, a QR code upright or
  upside down), otherwise vertical. 1 keeps the horizontal ones, 2 the vertical ones, 3 both.
- Box: the axis-aligned rectangle around the symbol's bars or modules (not its quiet zones), clipped to the raster;
  X, Y its top-left pixel, Width and Height counting both edge pixels. For a QR code that is the rectangle around
  zxing-cpp's position quad. For a 1D code the quad spans only the scan lines that decoded (often a fraction of the
  bars, 3 px of 60 on one photo here) and cuts a skewed code's corners off, so it is grown along the bars over the
  lines that repeat the decoded bar pattern (step 5); it never shrinks. EAN/UPC guard bars that reach below the
  others are left out, as are the printed digits. Entries are sorted by Y, then X.

How it reads (cheap on a page without barcodes, harder where one seems to be):

1. One zxing-cpp call on the whole raster in grey, restricted to the taken symbologies (try_downscale and
   try_invert on; try_rotate only when vertical codes are wanted). About 15-40 ms for an A4 page at 300 dpi.
2. Photos on a page. zxing-cpp's 1D readers binarise each scan line with one threshold, taken from the histogram
   of the whole line (GlobalHistogram's black point, whatever the binariser: LocalAverage serves the 2D readers
   only), and scan every (height / 512)th line. On a photo alone the line is the photo, the threshold falls
   between bars and spaces and every line is scanned. On a page (a photo pasted on it, a label photographed onto
   it) the line is mostly paper: for a photo with a grey background the threshold falls between that grey and the
   paper, bars and spaces alike come out dark, and only every 3rd-6th line is scanned. 39 of the 73 set images
   read alone were lost somewhere on a white A4 page at 200 or 300 dpi, all of them grey photos (step 3's search,
   at 137 dpi, does not see their fine bars; where it did, its views read the ISBN printed above ean13-2/23's
   price code through the glare, a value the photo alone never gives). So on a raster larger than a photo (over
   1600 px) each photo is found and read as the raster it would be alone, by steps 1, 3 and 4 on its own, and
   that replaces what the page's scan lines read inside it. A photo: an area at least 44 px across of 4x4 px
   cells whose lightest pixel is 32 levels below the paper (text strokes and a printed code's bars leave paper in
   nearly every cell; thinner dark areas such as rules or a scan's edge are cut off where they touch it), filling
   80% of its rectangle, grey rather than solid ink (QR modules, bold type and bilevel halftones leave the
   threshold where it belongs), cut at its outermost rows and columns that are mostly that dark. About 2-5 ms on
   A4; a page of text has no such area.
3. Where that leaves a 1D code unread, each such region is read again in several views: scaled 1.5x, 2x (regions
   up to 1000 px) and 0.7x, unsharp-masked (at 1x and 1.5x, two strengths), CLAHE contrast, an Otsu-binarised copy
   and zxing-cpp's GlobalHistogram binariser. The regions: a small raster (up to 1600 px, e.g. a photo) on which
   step 1 found nothing is read again whole if some patch of it has gradients mostly in one direction, as bars
   have; otherwise the places that look like a 1D barcode (blocks of strong gradients all across one direction,
   15-20 ms to find on A4 at 300 dpi; text, photos and rules do not qualify) that neither a step-1 read nor a
   photo covers. So a page of text costs step 1, the photo search and this search, and no further zxing-cpp call.
   QR codes are not searched for this way: zxing-cpp's own finder-pattern detection finds them in step 1 or not
   at all.
4. Extra views misread more often than a single clean read (a mod-10 check digit lets one misread in ten through),
   so a symbol read only in step 3 needs two views that agree (same value at the same place), except for QR and
   Code 128, whose Reed-Solomon and mod-103 checks are strong enough for one. Different values at one place: the one
   read by more views wins, a tie drops both. Among step-1 reads, a 1D read supported by a sliver of scan lines
   (a quarter of the other's or less) next to a different, better supported read is a misread and is dropped.
5. 1D boxes are grown along the bars (see Box).

bench.barcodes compares this with a single zxing-cpp call on ../shared/data/barcodes-zxing.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import cv2
import numpy as np
import zxingcpp
from numpy.typing import NDArray
from PIL import Image

from ocrmill.domain.barcodes import BarcodeType
from ocrmill.errors import PipelineError

Pixels = NDArray[np.uint8]
Floats = NDArray[np.float32]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1, both ends included
Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]

HORIZONTAL, VERTICAL, BOTH = 1, 2, 3
ISBN_PREFIXES = ("978", "979")

# Step 3: which regions are read again, and how.
WHOLE_IMAGE_MAX = 1600  # px, longer side: a raster this small is read again whole when step 1 finds nothing ...
DIRECTIONAL_RATIO = 5.0  # ... and some patch of it has this much more gradient in one direction than the other
DIRECTIONAL_MIN_ENERGY = 8.0  # mean |Sobel| (x plus y) of such a patch; flat paper does not count
UPSCALE_2X_MAX = 1000  # px, longer side of a region: the 2x view only below this (cost grows with the square)
# The 1D-code search runs on a copy at most this large (an A4 page at 300 dpi becomes about 137 dpi: bars of
# 0.25 mm modules still give gradients), in cells of this many pixels (1.5 mm at 137 dpi).
SEARCH_MAX_SIDE = 1600
SEARCH_CELL = 8
SEARCH_MIN_ENERGY = 10.0  # mean |Sobel| in a cell; paper and flat photo areas stay below
SEARCH_CELL_RATIO = 2.0  # a bar cell has this much more gradient across the bars than along them
SEARCH_REGION_RATIO = 5.0  # ... and a region as a whole this much: 9-17 on barcodes, under 4.5 on 19 real pages
SEARCH_MIN_ALONG = 6  # cells along the reading direction (9 mm at 137 dpi: a small EAN-8 is 20 mm)
SEARCH_MIN_ACROSS = 4  # cells along the bars: text lines (one or two cells) do not qualify
SEARCH_MIN_RUN = 3  # ... nor do their cells join a code's: upright bar cells count in a run this deep (_bar_regions)
SEARCH_MIN_BAR_SHARE = 0.7  # share of a region's cells that are bar cells before the closing: 0.81 and up on the
# set's printed codes pasted on a page, 0.58 on three rules 4 mm apart (a code has an edge in nearly every cell)
SEARCH_MAX_REGIONS = 8  # the largest ones, to bound the cost of a page full of bar-like graphics
REGION_PAD_ALONG = 0.3  # a region is widened by this share of its length (quiet zones, guard bars) ...
REGION_PAD_ACROSS = 0.15  # ... and of its height
REGION_PAD_PX = 12
GROW_MIN_CORRELATION = 0.6  # a row repeats the decoded bar pattern (Pearson r); printed digits stay below 0.35
GROW_MAX_SHARE = 1.5  # bars grow by at most this share of the code's length each way
GROW_HIGH_PASS = 16  # shading is what varies slower than 1/16 of the code's length (EAN-13: 6 modules)
GROW_SLACK = 0.05  # lines may follow the bars this share of the code's length sideways (a 3 degree slant error)
GROW_MIN_SLANT_SPAN = 10  # px of scan lines needed to take the bars' slant from zxing-cpp's quad
# Step 2: photos on a page. It is looked at in cells of PHOTO_CELL px, each by its lightest pixel; a cell is a
# photo's when that is PHOTO_TONE_GAP below the paper (4 of the 32 buckets of zxing-cpp's line histogram; the paper:
# the level PHOTO_PAPER_SHARE of the cells reach).
PHOTO_CELL = 4
PHOTO_PAPER_SHARE = 0.75
PHOTO_TONE_GAP = 32
PHOTO_MIN_SIDE = 44  # px; thinner dark areas (text, rules, lines) are no photo, nor part of one
PHOTO_MIN_FILL = 0.8  # share of its rectangle such cells fill: 0.88 and up on the set's grey photos pasted on a page
# (shaded boxes and table heads pass too, rightly: a code printed on them meets the same threshold)
PHOTO_MIN_TONE = 40  # median lightest pixel of those cells: a photo is grey; solid ink (QR modules, bold type, bilevel
# halftones) is not, and leaves zxing-cpp's line threshold where it belongs
PHOTO_EDGE_SHARE = 0.5  # a photo's edge: its outermost rows and columns with this share of pixels that dark
PHOTO_INSET = PHOTO_CELL  # px: the bar-likeness test stays off a photo's edge (scanned photos: ragged or skewed)
MIN_VOTES = 2  # views that must agree on a symbol found only in step 3
THIN_SHARE = 0.25  # a step-1 1D read this thin next to a different, thicker one is a misread
NEAR_SHARE = 0.05  # boxes count as one place when they touch after growing by this share of their longer side


class Symbology(Enum):
    EAN8 = "EAN-8"
    UPCE = "UPC-E"
    EAN13 = "EAN-13"  # also UPC-A, ISBN
    ITF = "ITF"
    CODE39 = "Code 39"
    QRCODE = "QR Code"
    CODE128 = "Code 128"

    @property
    def linear(self) -> bool:
        return self is not Symbology.QRCODE

    @property
    def strong_check(self) -> bool:
        """A single read can be trusted: the symbology's check catches nearly all misreads."""
        return self in (Symbology.QRCODE, Symbology.CODE128)


_F = zxingcpp.BarcodeFormat
# The zxing-cpp formats searched for each type the filter takes.
_FORMATS: dict[BarcodeType, tuple[zxingcpp.BarcodeFormat, ...]] = {
    BarcodeType.EAN8: (_F.EAN8,),
    BarcodeType.UPCE: (_F.UPCE,),
    BarcodeType.ISBN10: (_F.EAN13,),
    BarcodeType.UPCA: (_F.UPCA,),
    BarcodeType.EAN13: (_F.EAN13,),
    BarcodeType.ISBN13: (_F.EAN13,),
    BarcodeType.INTERLEAVED2OF5: (_F.ITF,),
    BarcodeType.CODE39: (_F.Code39,),
    BarcodeType.QRCODE: (_F.QRCodeModel1, _F.QRCodeModel2),
    BarcodeType.CODE128: (_F.Code128,),
}
_SYMBOLOGY: dict[zxingcpp.BarcodeFormat, Symbology] = {
    _F.EAN8: Symbology.EAN8,
    _F.UPCE: Symbology.UPCE,
    _F.EAN13: Symbology.EAN13,
    _F.UPCA: Symbology.EAN13,
    _F.ISBN: Symbology.EAN13,
    _F.ITF: Symbology.ITF,
    _F.ITF14: Symbology.ITF,
    _F.Code39: Symbology.CODE39,
    _F.Code39Std: Symbology.CODE39,
    _F.Code39Ext: Symbology.CODE39,
    _F.Code32: Symbology.CODE39,  # Code 39 read as Italian pharmacode, text as zxing-cpp converts it
    _F.PZN: Symbology.CODE39,  # Code 39 read as German pharmacode
    _F.QRCode: Symbology.QRCODE,
    _F.QRCodeModel1: Symbology.QRCODE,
    _F.QRCodeModel2: Symbology.QRCODE,
    _F.Code128: Symbology.CODE128,
}


@dataclass(frozen=True)
class Barcode:
    page_no: int
    value: str
    type: BarcodeType
    x: int
    y: int
    width: int
    height: int

    def to_api(self) -> dict[str, object]:
        return {
            "PageNo": self.page_no,
            "Value": self.value,
            "Type": int(self.type),
            "X": self.x,
            "Y": self.y,
            "Width": self.width,
            "Height": self.height,
        }


@dataclass(frozen=True)
class Read:
    """One symbol as zxing-cpp read it, in raster coordinates. value: EAN-13 bars always as 13 digits (UPC-A with
    its leading 0), UPC-E as its 8 digits, others as decoded."""

    symbology: Symbology
    value: str
    box: Box
    orientation: int  # degrees
    quad: Quad  # zxing-cpp's position: top-left, top-right, bottom-right, bottom-left in reading order

    @property
    def key(self) -> tuple[Symbology, str]:
        return self.symbology, self.value

    @property
    def horizontal(self) -> bool:
        angle = self.orientation % 180
        return angle <= 45 or angle >= 135

    @property
    def across(self) -> float:
        """Extent along the bars: for a 1D code, the span of the scan lines that decoded."""
        tl, tr, br, bl = self.quad
        return max(math.dist(tl, bl), math.dist(tr, br)) + 1


@dataclass(frozen=True)
class View:
    """A way of looking at a region again: image changes, then zxing-cpp with one binariser."""

    name: str
    scale: float = 1.0
    sharpen: tuple[float, float] | None = None  # unsharp mask: Gaussian sigma (px, before scaling), amount
    clahe: bool = False
    otsu: bool = False
    binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage
    max_side: int = 1 << 30  # skipped for regions larger than this


# All of them run on each region (the votes need several); bench.barcodes prints how many symbols each one read.
VIEWS: tuple[View, ...] = (
    View("x1.5", scale=1.5),
    View("x2", scale=2.0, max_side=UPSCALE_2X_MAX),
    View("x0.7", scale=0.7),
    View("sharpen", sharpen=(2.0, 1.5)),
    View("sharpen x1.5", scale=1.5, sharpen=(2.0, 1.5)),
    View("sharpen more", sharpen=(3.0, 2.0)),
    View("sharpen more x1.5", scale=1.5, sharpen=(3.0, 2.0)),
    View("clahe", clahe=True),
    View("otsu", otsu=True, binarizer=zxingcpp.Binarizer.FixedThreshold),
    View("global histogram", binarizer=zxingcpp.Binarizer.GlobalHistogram),
)


@dataclass
class Outcome:
    """read_symbols' result with how it came about, for the benchmark."""

    reads: list[Read]
    fast: list[Read]  # step 1 alone (after its own clean-up)
    blocks: int = 0  # photo blocks read as rasters of their own in step 2
    regions: int = 0  # regions read again in step 3 (those within photo blocks included)
    views_run: int = 0
    found_by_view: dict[str, int] = field(default_factory=dict)  # accepted step-3 symbols each view read


def read_barcodes(image: Image.Image, *, page_no: int, filter_bits: int, direction: int) -> list[Barcode]:
    """The barcodes on one page raster (mode 1, L or RGB), as the job reports them."""
    if direction not in (HORIZONTAL, VERTICAL, BOTH):
        raise ValueError(f"BarcodeDirection must be 1, 2 or 3, not {direction}")
    if not 0 <= filter_bits <= 0x3FF:
        raise ValueError(f"BarcodeFilter must be within 0..0x3FF, not {filter_bits:#x}")
    outcome = read_symbols(grey(image), filter_bits=filter_bits, direction=direction)
    return to_barcodes(outcome.reads, page_no=page_no, filter_bits=filter_bits, direction=direction)


def read_symbols(pixels: Pixels, *, filter_bits: int, direction: int, try_harder: bool = True) -> Outcome:
    """Steps 1-5 of the module docstring on a grey raster: the symbols of the taken symbologies, in the directions
    searched (to_barcodes applies the type rules and keeps the direction asked for), boxes grown along the bars."""
    outcome = _read(pixels, formats=formats_for(filter_bits), direction=direction, try_harder=try_harder)
    outcome.reads = [_grow_along_bars(pixels, r) for r in outcome.reads]
    outcome.fast = [_grow_along_bars(pixels, r) for r in outcome.fast]
    return outcome


def _read(
    pixels: Pixels,
    *,
    formats: Sequence[zxingcpp.BarcodeFormat],
    direction: int,
    try_harder: bool,
    inset: int = 0,
) -> Outcome:
    """read_symbols before the boxes grow. inset: the raster is a photo cut from a page; the bar-likeness test of a
    small raster (step 3) keeps this far from its edge, where a scanned photo's skewed or ragged edge against the
    paper would pass for a bar."""
    rotate = direction != HORIZONTAL
    fast = _drop_thin(_dedupe(_zxing(pixels, formats=formats, try_rotate=rotate)))
    outcome = Outcome(reads=list(fast), fast=list(fast))
    if not try_harder:
        return outcome
    seen: list[Box] = []  # places already read: a step-3 region or symbol there is not read again or added
    if max(pixels.shape[:2]) > WHOLE_IMAGE_MAX:
        for block in _photo_blocks(pixels, fast):
            x0, y0, x1, y1 = block
            crop = np.ascontiguousarray(pixels[y0 : y1 + 1, x0 : x1 + 1])
            alone = _read(crop, formats=formats, direction=direction, try_harder=True, inset=PHOTO_INSET)
            # what the photo gives alone replaces what the page's scan lines read there (module docstring, step 2)
            outcome.reads = [r for r in outcome.reads if not _inside(r.box, block)]
            outcome.reads += [_moved(r, x0, y0) for r in alone.reads]
            outcome.blocks += 1
            outcome.regions += alone.regions
            outcome.views_run += alone.views_run
            for name, count in alone.found_by_view.items():
                outcome.found_by_view[name] = outcome.found_by_view.get(name, 0) + count
            seen.append(block)
    seen += [r.box for r in outcome.reads]
    linear = any(_SYMBOLOGY[f].linear for f in formats)
    regions = _regions(pixels, seen, direction=direction, linear=linear, inset=inset)
    clusters: list[_Cluster] = []
    for x0, y0, x1, y1 in regions:
        crop = pixels[y0 : y1 + 1, x0 : x1 + 1]
        for view in VIEWS:
            if max(crop.shape) > view.max_side:
                continue
            viewed = _view_pixels(crop, view)
            scale = viewed.shape[1] / crop.shape[1]
            for read in _zxing(
                viewed,
                formats=formats,
                try_rotate=rotate,
                binarizer=view.binarizer,
                scale=scale,
                offset=(x0, y0),
            ):
                _vote(clusters, read, view.name)
            outcome.views_run += 1
    outcome.regions += len(regions)
    trusted = [c for c in clusters if len(c.views) >= (1 if c.symbology.strong_check else MIN_VOTES)]
    for cluster in _resolve_conflicts(trusted):
        read = cluster.read()
        if any(_near(read.box, box) for box in seen):
            continue  # the place is explained by step 1 or a photo block
        outcome.reads.append(read)
        for name in cluster.views:
            outcome.found_by_view[name] = outcome.found_by_view.get(name, 0) + 1
    return outcome


def to_barcodes(reads: Iterable[Read], *, page_no: int, filter_bits: int, direction: int) -> list[Barcode]:
    """Reads as API entries: the type rules of the module docstring, the direction kept, sorted by position."""
    out: list[Barcode] = []
    for read in reads:
        if (direction == HORIZONTAL and not read.horizontal) or (direction == VERTICAL and read.horizontal):
            continue
        x0, y0, x1, y1 = read.box
        for kind, value in report_forms(read.symbology, read.value, filter_bits):
            out.append(Barcode(page_no, value, kind, x0, y0, x1 - x0 + 1, y1 - y0 + 1))
    out.sort(key=lambda b: (b.y, b.x, b.type))
    return out


def report_forms(symbology: Symbology, value: str, filter_bits: int) -> list[tuple[BarcodeType, str]]:
    """The (Type, Value) entries one symbol gives under the filter (the rules of the module docstring)."""

    def taken(kind: BarcodeType) -> bool:
        return filter_bits == 0 or bool(filter_bits & kind.filter_bit)

    simple = {
        Symbology.EAN8: BarcodeType.EAN8,
        Symbology.UPCE: BarcodeType.UPCE,
        Symbology.ITF: BarcodeType.INTERLEAVED2OF5,
        Symbology.CODE39: BarcodeType.CODE39,
        Symbology.QRCODE: BarcodeType.QRCODE,
        Symbology.CODE128: BarcodeType.CODE128,
    }
    if symbology in simple:
        kind = simple[symbology]
        return [(kind, value)] if taken(kind) else []
    forms: list[tuple[BarcodeType, str]] = []
    if value.startswith("0"):
        if taken(BarcodeType.UPCA):
            forms.append((BarcodeType.UPCA, value[1:]))
        elif taken(BarcodeType.EAN13):
            forms.append((BarcodeType.EAN13, value))
    elif value.startswith(ISBN_PREFIXES):
        if taken(BarcodeType.ISBN13):
            forms.append((BarcodeType.ISBN13, value))
        elif taken(BarcodeType.EAN13):
            forms.append((BarcodeType.EAN13, value))
        if filter_bits & BarcodeType.ISBN10.filter_bit and value.startswith("978"):
            forms.append((BarcodeType.ISBN10, isbn10(value)))
    elif taken(BarcodeType.EAN13):
        forms.append((BarcodeType.EAN13, value))
    return forms


def isbn10(ean: str) -> str:
    """The ISBN-10 of a 978 EAN-13: its 9 digits after 978 and their mod-11 check digit (10 is written X)."""
    body = ean[3:12]
    check = (11 - sum((10 - i) * int(d) for i, d in enumerate(body)) % 11) % 11
    return body + ("X" if check == 10 else str(check))


def formats_for(filter_bits: int) -> list[zxingcpp.BarcodeFormat]:
    """The zxing-cpp formats to search for the filter's taken types."""
    formats: list[zxingcpp.BarcodeFormat] = []
    for kind in BarcodeType:
        if filter_bits == 0 or filter_bits & kind.filter_bit:
            formats += [f for f in _FORMATS[kind] if f not in formats]
    return formats


def grey(image: Image.Image) -> Pixels:
    """The raster as a contiguous uint8 grey array (alpha, if any, flattened onto white)."""
    if image.mode in ("RGBA", "LA", "PA", "P"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    if image.mode != "L":
        image = image.convert("L")
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def _zxing(
    pixels: Pixels,
    *,
    formats: Sequence[zxingcpp.BarcodeFormat],
    try_rotate: bool,
    try_downscale: bool = True,
    binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage,
    scale: float = 1.0,
    offset: tuple[int, int] = (0, 0),
) -> list[Read]:
    """zxing-cpp on one image; boxes mapped back by 1/scale and the offset of the region it was cut from."""
    if not formats:
        return []
    try:
        results = zxingcpp.read_barcodes(
            pixels,
            formats=zxingcpp.BarcodeFormats(list(formats)),
            try_rotate=try_rotate,
            try_downscale=try_downscale,
            try_invert=True,
            text_mode=zxingcpp.TextMode.Plain,
            binarizer=binarizer,
        )
    except Exception as e:  # a native library: whatever it raises is a failure of this step
        raise PipelineError(f"The barcode reader failed: {e}") from e
    height, width = pixels.shape[:2]
    reads: list[Read] = []
    for result in results:
        symbol = _symbol(result)
        if symbol is None:
            continue
        position = result.position
        corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
        xs = [min(max(p.x, 0), width - 1) / scale + offset[0] for p in corners]
        ys = [min(max(p.y, 0), height - 1) / scale + offset[1] for p in corners]
        box = (math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys)))
        quad = ((xs[0], ys[0]), (xs[1], ys[1]), (xs[2], ys[2]), (xs[3], ys[3]))
        reads.append(Read(symbol[0], symbol[1], box, int(result.orientation), quad))
    return reads


def _symbol(result: zxingcpp.Barcode) -> tuple[Symbology, str] | None:
    """(symbology, value) of a zxing-cpp result, with the EAN/UPC digits as Read.value keeps them."""
    symbology = _SYMBOLOGY.get(result.format)
    text = str(result.text)
    if symbology is Symbology.EAN13:
        if len(text) == 12:  # zxing-cpp 2 gave UPC-A as 12 digits
            text = "0" + text
        if len(text) != 13 or not text.isdigit():
            return None
    elif symbology is Symbology.UPCE:
        extra = result.extra if isinstance(result.extra, dict) else {}
        text = str(extra.get("UPCE", text))  # zxing-cpp 3 expands UPC-E to 13 digits and keeps the 8 here
        if len(text) != 8 or not text.isdigit():
            return None
    elif symbology is None:
        return None
    return symbology, text


def _dedupe(reads: list[Read]) -> list[Read]:
    """One read per symbol: the same value at the same place (e.g. found at two scales) is kept once."""
    kept: list[Read] = []
    for read in sorted(reads, key=lambda r: -_area(r.box)):
        if not any(k.key == read.key and _near(k.box, read.box) for k in kept):
            kept.append(read)
    return kept


def _drop_thin(reads: list[Read]) -> list[Read]:
    """Without 1D reads that a sliver of scan lines gave next to a different read many more lines agree on."""
    return [
        r
        for r in reads
        if not (
            r.symbology.linear
            and any(
                o.symbology.linear and o.key != r.key and r.across <= THIN_SHARE * o.across and _near(r.box, o.box)
                for o in reads
            )
        )
    ]


@dataclass
class _Cluster:
    symbology: Symbology
    value: str
    reads: list[Read] = field(default_factory=list)
    views: set[str] = field(default_factory=set)

    def read(self) -> Read:
        """The agreed read: the median box of its views (one view's box can be off after scaling)."""
        box = tuple(round(statistics.median(r.box[i] for r in self.reads)) for i in range(4))
        first = self.reads[0]
        return Read(self.symbology, self.value, (box[0], box[1], box[2], box[3]), first.orientation, first.quad)

    @property
    def box(self) -> Box:
        return self.read().box


def _vote(clusters: list[_Cluster], read: Read, view: str) -> None:
    for cluster in clusters:
        if (cluster.symbology, cluster.value) == read.key and any(_near(r.box, read.box) for r in cluster.reads):
            cluster.reads.append(read)
            cluster.views.add(view)
            return
    clusters.append(_Cluster(read.symbology, read.value, [read], {view}))


def _resolve_conflicts(clusters: list[_Cluster]) -> list[_Cluster]:
    """At one place one symbol: the value more views read wins; a tie leaves the place empty."""
    kept: list[_Cluster] = []
    for cluster in clusters:
        rivals = [o for o in clusters if o is not cluster and _near(o.box, cluster.box)]
        if all(len(cluster.views) > len(o.views) for o in rivals):
            kept.append(cluster)
    return kept


def _regions(pixels: Pixels, seen: list[Box], *, direction: int, linear: bool, inset: int = 0) -> list[Box]:
    """Where step 3 reads again (module docstring); seen: the places read already."""
    height, width = pixels.shape[:2]
    if not linear:
        return []
    if not seen and max(height, width) <= WHOLE_IMAGE_MAX:
        inner = pixels[inset : height - inset, inset : width - inset] if inset else pixels
        return [(0, 0, width - 1, height - 1)] if _directional(np.ascontiguousarray(inner)) else []
    found = [
        box
        for horizontal, box in _bar_regions(pixels)
        if (direction != VERTICAL if horizontal else direction != HORIZONTAL)
        and not any(_near(box, other) for other in seen)
    ]
    return _merge(found)


def _photo_blocks(pixels: Pixels, fast: list[Read]) -> list[Box]:
    """The photos on a page (module docstring, step 2), each cut to its edge: areas at least PHOTO_MIN_SIDE across
    of cells whose lightest pixel is well below the paper's (text, rules and a scan's edge lines are thinner, and
    are cut off where they touch a photo), that fill most of their rectangle and are grey rather than solid ink. An
    area through which a symbol step 1 read reaches out is part of something larger and left out."""
    height, width = pixels.shape[:2]
    cell = PHOTO_CELL
    rows, cols = height // cell, width // cell
    side = PHOTO_MIN_SIDE // cell | 1  # odd: the opening keeps its areas where they are
    if rows < side or cols < side:
        return []
    whole = pixels[: rows * cell, : cols * cell]
    # each cell's lightest pixel: text strokes and the bars of a printed code leave paper in nearly every cell
    lines = _u8(functools.reduce(np.maximum, (whole[k::cell] for k in range(cell))))
    light = np.ascontiguousarray(_u8(functools.reduce(np.maximum, (lines[:, k::cell] for k in range(cell)))))
    counts = np.cumsum(np.bincount(light.ravel(), minlength=256))
    darker = int(np.searchsorted(counts, PHOTO_PAPER_SHARE * light.size)) - PHOTO_TONE_GAP
    dark = _u8(light < darker)
    closed = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    body = _u8(cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones((side, side), np.uint8)))
    if not body.any():
        return []  # a page of text
    count, _, stats, _ = cv2.connectedComponentsWithStats(body, connectivity=8)
    blocks: list[Box] = []
    for i in range(1, count):
        x, y, w, h, _ = (int(v) for v in stats[i])
        if max(w, h) * cell > WHOLE_IMAGE_MAX:
            continue
        cells = dark[y : y + h, x : x + w]
        if float(cells.mean()) < PHOTO_MIN_FILL:
            continue
        if float(np.median(light[y : y + h, x : x + w][cells > 0])) < PHOTO_MIN_TONE:
            continue
        # the cells lie within the photo and its edge within a cell of them: the outermost rows and columns near
        # there that are mostly as dark (for a photo pasted as it was, the very raster the photo alone would be)
        x0, y0 = max(0, (x - 2) * cell), max(0, (y - 2) * cell)
        x1, y1 = min(width, (x + w + 2) * cell) - 1, min(height, (y + h + 2) * cell) - 1
        inked = pixels[y0 : y1 + 1, x0 : x1 + 1] < darker
        ys = np.flatnonzero(inked.mean(axis=1) >= PHOTO_EDGE_SHARE)
        xs = np.flatnonzero(inked.mean(axis=0) >= PHOTO_EDGE_SHARE)
        if len(ys) == 0 or len(xs) == 0:
            continue
        block = (x0 + int(xs[0]), y0 + int(ys[0]), x0 + int(xs[-1]), y0 + int(ys[-1]))
        if any(_overlap(r.box, block) and not _inside(r.box, block) for r in fast):
            continue
        blocks.append(block)
    return blocks


def _moved(read: Read, dx: int, dy: int) -> Read:
    """A read in a crop, in the coordinates of the raster it was cut from at (dx, dy)."""
    x0, y0, x1, y1 = read.box
    tl, tr, br, bl = ((x + dx, y + dy) for x, y in read.quad)
    return Read(read.symbology, read.value, (x0 + dx, y0 + dy, x1 + dx, y1 + dy), read.orientation, (tl, tr, br, bl))


def _grow_along_bars(pixels: Pixels, read: Read) -> Read:
    """A 1D read's box grown along its bars: zxing-cpp's quad spans only the scan lines that decoded (sometimes
    3 px of 60 px bars), and a skewed code's scan lines cut its corners off. The code's surroundings are resampled
    in its own frame (lines square to its bars) and the box takes in the lines that repeat the decoded bar pattern;
    growth stops where the pattern ends (quiet zone, printed digits, the bare guard bars of EAN/UPC). Never smaller
    than the quad's rectangle."""
    if not read.symbology.linear:
        return read
    corners = np.array(read.quad, dtype=np.float64)
    tl, tr, br, bl = corners
    scan = (tr - tl) + (br - bl)
    if float(np.linalg.norm(scan)) < 1e-6:
        return read
    scan /= float(np.linalg.norm(scan))
    # zxing-cpp's scan lines are raster rows (columns), so the quad's sides follow the bars, skewed or not; from a
    # sliver of lines that slant is noise, and the bars are taken square to the scan lines
    sides = (bl - tl) + (br - tr)
    if float(np.linalg.norm(sides)) / 2 >= GROW_MIN_SLANT_SPAN:
        bars = sides / float(np.linalg.norm(sides))
    else:
        bars = np.array([-scan[1], scan[0]])
    along = np.array([bars[1], -bars[0]])  # square to the bars, in reading direction
    if float(along @ scan) < 0:
        along = -along
    centre = corners.mean(axis=0)
    us, vs = (corners - centre) @ along, (corners - centre) @ bars
    u0, length = float(us.min()), float(us.max() - us.min())
    if length < 16:
        return read
    reach = round(GROW_MAX_SHARE * length)
    slack = math.ceil(GROW_SLACK * length) + 2  # the slant read off the quad may be off by a degree or two
    left = centre + (u0 - slack) * along
    # lines whose middle is on the raster (their ends may not be: edge pixels repeat there)
    v_lo, v_hi = _on_raster(pixels.shape[:2], centre, bars, reach)
    v_lo, v_hi = min(v_lo, math.floor(vs.min())), max(v_hi, math.ceil(vs.max()))
    columns, rows = round(length) + 1 + 2 * slack, v_hi - v_lo + 1
    # output pixel (j, i) samples left + j * along + (v_lo + i) * bars
    origin = left + v_lo * bars
    frame = np.array([[along[0], bars[0], origin[0]], [along[1], bars[1], origin[1]]])
    strip = _f32(
        cv2.warpAffine(
            pixels,
            frame,
            (columns, rows),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
    )
    # bars, not shading: each line less its running mean over a few modules (an illumination gradient would make
    # any two lines alike)
    window = max(3, round(length / GROW_HIGH_PASS) | 1)
    strip -= _f32(cv2.blur(strip, (window, 1), borderType=cv2.BORDER_REFLECT))
    middle = -v_lo  # the line through the quad's centre
    pattern = strip[max(0, middle - 1) : middle + 2, slack : columns - slack].mean(axis=0)
    pattern /= max(float(np.linalg.norm(pattern)), 1e-6)
    span = len(pattern)

    def similarity(i: int, k: int) -> float:
        """Line i against the middle line's pattern, moved by k - slack pixels along the code."""
        line = strip[i, k : k + span]
        return float(line @ pattern) / max(float(np.linalg.norm(line)), 1e-6)

    # each way from the edge of the decoded lines (they hold the pattern), line by line while it continues,
    # following it a pixel sideways at most per line
    ends: list[tuple[int, int]] = []
    for step, edge in ((-1, float(vs.min())), (1, float(vs.max()))):
        i, k = min(rows - 1, max(0, middle + round(edge))), slack
        while 0 <= i + step < rows:
            best, shift = max((similarity(i + step, c), c) for c in (k - 1, k, k + 1) if 0 <= c <= 2 * slack)
            if best < GROW_MIN_CORRELATION:
                break
            i, k = i + step, shift
        ends.append((i - middle, k - slack))
    (v_top, shift_top), (v_bottom, shift_bottom) = ends
    u1 = u0 + length
    grown = [
        centre + (u0 + shift_top) * along + min(v_top, float(vs.min())) * bars,
        centre + (u1 + shift_top) * along + min(v_top, float(vs.min())) * bars,
        centre + (u0 + shift_bottom) * along + max(v_bottom, float(vs.max())) * bars,
        centre + (u1 + shift_bottom) * along + max(v_bottom, float(vs.max())) * bars,
    ]
    height, width = pixels.shape[:2]
    x0, y0, x1, y1 = read.box
    box = (
        max(0, min(x0, math.floor(min(c[0] for c in grown)))),
        max(0, min(y0, math.floor(min(c[1] for c in grown)))),
        min(width - 1, max(x1, math.ceil(max(c[0] for c in grown)))),
        min(height - 1, max(y1, math.ceil(max(c[1] for c in grown)))),
    )
    return Read(read.symbology, read.value, box, read.orientation, read.quad)


def _on_raster(shape: tuple[int, ...], point: Any, step: Any, reach: int) -> tuple[int, int]:
    """The offsets v in [-reach, reach] for which point + v * step lies on the raster."""
    lo, hi = float(-reach), float(reach)
    for axis, top in ((0, shape[1] - 1), (1, shape[0] - 1)):
        p, d = float(point[axis]), float(step[axis])
        if abs(d) > 1e-9:
            a, b = -p / d, (top - p) / d
            lo, hi = max(lo, min(a, b)), min(hi, max(a, b))
    return math.ceil(lo), math.floor(hi)


def _directional(pixels: Pixels) -> bool:
    """Whether some patch (a quarter of the shorter side) has gradients mostly in one direction, as a 1D code has,
    even blurred: on the barcode photos of ../shared/data/barcodes-zxing the ratio is 4.3 and up (6.5 and up on
    those step 1 misses), on text pages and receipts 2.0-3.6 (one receipt 6.3)."""
    gx = np.abs(cv2.Sobel(pixels, cv2.CV_32F, 1, 0, ksize=3))
    gy = np.abs(cv2.Sobel(pixels, cv2.CV_32F, 0, 1, ksize=3))
    k = max(8, min(pixels.shape[:2]) // 4)
    sx, sy = cv2.blur(gx, (k, k)), cv2.blur(gy, (k, k))
    ratio = np.maximum(sx, sy) / (np.minimum(sx, sy) + 1e-3)
    return bool(np.any((sx + sy > DIRECTIONAL_MIN_ENERGY) & (ratio >= DIRECTIONAL_RATIO)))


def _bar_regions(pixels: Pixels) -> list[tuple[bool, Box]]:
    """Places that look like a 1D barcode (horizontal?, padded box), largest first: cells whose gradient runs across
    the bars, in blocks big enough for a barcode whose gradients, taken together, are as one-sided.

    The closing that joins a code's bars joins them as well to text printed a few millimetres beside them, whose
    sparse cells spoil the block's fill and ratio. For upright bars, only cells in a run of SEARCH_MIN_RUN along the
    bars are joined: a line of text has bar cells too, but one or two deep. (Lying bars run along the lines of text,
    where depth tells nothing.) Rules and box edges a few cells apart, joined like bars, fail SEARCH_MIN_BAR_SHARE."""
    height, width = pixels.shape[:2]
    s = min(1.0, SEARCH_MAX_SIDE / max(height, width))
    size = (max(1, round(width * s)), max(1, round(height * s)))
    small = _u8(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)) if s < 1 else pixels
    cell = SEARCH_CELL
    rows, cols = small.shape[0] // cell, small.shape[1] // cell
    if rows < SEARCH_MIN_ACROSS or cols < SEARCH_MIN_ACROSS:
        return []
    gx = np.abs(cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3))[: rows * cell, : cols * cell]
    gy = np.abs(cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3))[: rows * cell, : cols * cell]
    ex = cv2.resize(gx, (cols, rows), interpolation=cv2.INTER_AREA)
    ey = cv2.resize(gy, (cols, rows), interpolation=cv2.INTER_AREA)
    found: list[tuple[int, bool, Box]] = []
    for horizontal, across_bars, along_bars in ((True, ex, ey), (False, ey, ex)):
        bar_cells = (across_bars > SEARCH_MIN_ENERGY) & (across_bars > SEARCH_CELL_RATIO * along_bars)
        joined = bar_cells.astype(np.uint8)
        if horizontal:
            deep = cv2.getStructuringElement(cv2.MORPH_RECT, (1, SEARCH_MIN_RUN))
            joined = _u8(cv2.morphologyEx(joined, cv2.MORPH_OPEN, deep))
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 1) if horizontal else (1, 3))
        mask = _u8(cv2.morphologyEx(joined, cv2.MORPH_CLOSE, kernel))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
        for i in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[i])
            along, across = (w, h) if horizontal else (h, w)
            if along < SEARCH_MIN_ALONG or across < SEARCH_MIN_ACROSS or area < 0.5 * w * h:
                continue
            ratio = float(across_bars[y : y + h, x : x + w].sum()) / max(
                1e-6, float(along_bars[y : y + h, x : x + w].sum())
            )
            if ratio < SEARCH_REGION_RATIO:
                continue
            if float(bar_cells[y : y + h, x : x + w][labels[y : y + h, x : x + w] == i].mean()) < SEARCH_MIN_BAR_SHARE:
                continue
            f = cell / s
            box = (round(x * f), round(y * f), round((x + w) * f) - 1, round((y + h) * f) - 1)
            found.append((area, horizontal, _pad(box, horizontal, width, height)))
    found.sort(key=lambda t: -t[0])
    return [(horizontal, box) for _, horizontal, box in found[:SEARCH_MAX_REGIONS]]


def _pad(box: Box, horizontal: bool, width: int, height: int) -> Box:
    x0, y0, x1, y1 = box
    w, h = x1 - x0 + 1, y1 - y0 + 1
    along, across = (REGION_PAD_ALONG, REGION_PAD_ACROSS) if horizontal else (REGION_PAD_ACROSS, REGION_PAD_ALONG)
    px, py = round(w * along) + REGION_PAD_PX, round(h * across) + REGION_PAD_PX
    return max(0, x0 - px), max(0, y0 - py), min(width - 1, x1 + px), min(height - 1, y1 + py)


def _merge(boxes: list[Box]) -> list[Box]:
    """Overlapping regions as one, so that one symbol is not voted for twice by the same view."""
    merged: list[Box] = []
    for box in boxes:
        for i, other in enumerate(merged):
            if _overlap(box, other):
                merged[i] = (min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3]))
                break
        else:
            merged.append(box)
    return merged


def _view_pixels(crop: Pixels, view: View) -> Pixels:
    image = crop
    if view.clahe:
        image = _u8(cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(image))
    if view.sharpen is not None:
        sigma, amount = view.sharpen
        blurred = cv2.GaussianBlur(image, (0, 0), sigma)
        image = _u8(cv2.addWeighted(image, 1 + amount, blurred, -amount, 0))
    if view.otsu:
        smooth = cv2.GaussianBlur(image, (3, 3), 0)
        image = _u8(cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1])
    if view.scale != 1:
        interpolation = cv2.INTER_CUBIC if view.scale > 1 else cv2.INTER_AREA
        image = _u8(cv2.resize(image, None, fx=view.scale, fy=view.scale, interpolation=interpolation))
    return np.ascontiguousarray(image)


def _u8(array: NDArray[Any]) -> Pixels:
    return np.asarray(array, np.uint8)


def _f32(array: NDArray[Any]) -> Floats:
    return np.asarray(array, np.float32)


def _area(box: Box) -> int:
    return (box[2] - box[0] + 1) * (box[3] - box[1] + 1)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _inside(a: Box, b: Box) -> bool:
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def _near(a: Box, b: Box) -> bool:
    """The same place: the boxes touch once grown by NEAR_SHARE of the longer side of either."""
    pad = math.ceil(NEAR_SHARE * max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1])) + 1
    return _overlap((a[0] - pad, a[1] - pad, a[2] + pad, a[3] + pad), b)
