"""Text that Tesseract's page layout left out, found and read.

Tesseract's layout analysis drops some text altogether: a table's header row on a coloured band or boxed in by
heavy rules, a row under a dashed rule, a transcript's line numbers beside the margin's rule. After the first
reading, the page's ink outside the words it read is looked at: connected marks of a letter's size (UNREAD_HEIGHT
of the page's typical word height, at most UNREAD_WIDTH of it wide), joined into runs along a line, are cut out
and read as single lines (Engine.read_line); what reads as words of letters or digits with a confidence of at
least UNREAD_CONFIDENCE joins the page as a block of its own (pipeline.tables then places it in reading order).
A run that reads as nothing so is read once more through a median filter as wide as a halftone screen's dots
(SCREEN): text on a shaded band.

A page whose ink lies within its words (a clean page of text) costs a look at a quarter of its pixels with NumPy:
OpenCV, and the reading, only where there is ink elsewhere, at least as much as fills one small letter's square:
two or three figures a table's layout left out are looked for, a few specks are not (UNREAD_INK).
"""

from __future__ import annotations

import statistics

import numpy as np
from PIL import Image, ImageFilter

from ocrmill.domain.document import Box, Page, Word, has_text, letters, line_block, moved, overlaps, union
from ocrmill.pipeline.engine import Engine, Glyph
from ocrmill.pipeline.tables import spaced

UNREAD_HEIGHT = (0.5, 1.6)  # a mark's height in typical word heights: a letter's, not a speck's or a rule's
STROKE = 0.2  # a run narrower than this (in word heights) is a piece of a rule or a speck's tail, not text
UNREAD_WIDTH = 3.0  # a mark wider than this (in word heights) is a rule or a picture, not letters
UNREAD_CONFIDENCE = 70.0  # Tesseract's own confidence a word found so must have (it has no neighbours to vouch)
# share of the page's pixels dark outside its words from which a lone mark is read too (much text left out: a header
# band, a transcript's line numbers); under it only runs at least a word height wide are, two figures or letters side
# by side (a few figures a table's layout left out), not a lone mark, likelier a speck or a piece of a letter
UNREAD_INK = 0.002
MAX_RUNS = 60  # more runs than this are a picture's texture or noise, not text left out
SCREEN = 1 / 60  # inches: a median filter this wide (5 pixels at 300 dpi) takes a halftone screen's dots away
SCALE = 2  # the page is looked at at half its resolution


def read_unread(page: Page, image: Image.Image, engine: Engine) -> Page:
    """`page` with the words of text its first reading left out (the module docstring). In place."""
    words = page.words()
    if not words:
        return page
    height = statistics.median(w.box.height for w in words)
    runs = unread_runs(image, [w.box for w in words], height)
    if not runs or len(runs) > MAX_RUNS:
        return page
    for run in runs:
        found = [w for w in _read_run(image, run, height, engine, page.dpi) if not _read_before(w, words)]
        if found:
            page.blocks.append(line_block(found))
    return page


def _read_before(word: Word, words: list[Word]) -> bool:
    """Whether `word` lies on a word of the first reading that holds its letters and digits: a run's crop took in
    some of that word (a corner of rules beside a cell's figures) and read them again."""
    key = letters(word.text)
    return any(overlaps(word.box, w.box) and key in letters(w.text) for w in words)


def unread_runs(image: Image.Image, boxes: list[Box], height: float) -> list[Box]:
    """Runs of letter-sized marks outside `boxes` (the words read), in `image`'s pixels."""
    gray = image.convert("L") if image.mode != "L" else image
    small = gray.reduce(SCALE) if min(gray.size) >= 4 * SCALE else gray
    pixels = np.asarray(small)
    ink = pixels < 128
    grow = round(0.2 * height)
    for b in boxes:
        ink[max(0, (b.top - grow) // SCALE) : (b.bottom + grow) // SCALE + 1,
            max(0, (b.left - grow) // SCALE) : (b.right + grow) // SCALE + 1] = False  # fmt: skip
    low, high = (h * height / SCALE for h in UNREAD_HEIGHT)
    left_out = int(ink.sum())
    if left_out < low**2:  # less ink outside the words than would fill one small letter's square: no text
        return []
    narrowest = STROKE * height / SCALE if left_out >= UNREAD_INK * ink.size else height / SCALE  # a run's least width
    import cv2  # imported on first use: see pipeline.run.cleaned

    _threshold, dark = cv2.threshold(pixels, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    dark &= ink.astype(np.uint8)
    count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(dark, connectivity=8)
    marks = [
        Box(int(x), int(y), int(x + w), int(y + h))
        for x, y, w, h, _area in stats[1:count]
        if low <= h <= high and w <= UNREAD_WIDTH * height / SCALE
    ]
    runs = [r for r in _joined(marks, height / SCALE) if r.width >= narrowest]
    return [Box(r.left * SCALE, r.top * SCALE, r.right * SCALE, r.bottom * SCALE) for r in runs]


def _joined(marks: list[Box], height: float) -> list[Box]:
    """Marks side by side (at most a word height apart, mostly at one height) joined into runs."""
    runs: list[Box] = []
    for mark in sorted(marks, key=lambda b: b.left):
        for i, run in enumerate(runs):
            overlap = min(run.bottom, mark.bottom) - max(run.top, mark.top)
            if mark.left - run.right <= height and overlap >= 0.5 * min(run.height, mark.height):
                runs[i] = union((run, mark))
                break
        else:
            runs.append(mark)
    return runs


def _read_run(image: Image.Image, run: Box, height: float, engine: Engine, dpi: float) -> list[Word]:
    pad = 0.3 * height
    crop = Box(
        max(0, round(run.left - pad)),
        max(0, round(run.top - pad)),
        min(image.width, round(run.right + pad)),
        min(image.height, round(run.bottom + pad)),
    )
    piece = image.crop((crop.left, crop.top, crop.right, crop.bottom))
    kept = _sure(engine.read_line(piece, dpi=dpi))
    if not kept:  # text on a halftone screen (a shaded band): the screen's dots filtered out, read again
        size = max(3, round(dpi * SCREEN) // 2 * 2 + 1)
        smooth = (piece if piece.mode in ("L", "RGB") else piece.convert("L")).filter(ImageFilter.MedianFilter(size))
        kept = _sure(engine.read_line(smooth, dpi=dpi))
    return [moved(w, crop.left, crop.top) for w in spaced(kept)]


def _sure(read: list[tuple[Word, list[Glyph]]]) -> list[tuple[Word, list[Glyph]]]:
    return [(w, g) for w, g in read if w.confidence >= UNREAD_CONFIDENCE and has_text(w)]
