"""Spaces Tesseract left out: a word whose ink parts at a gap as wide as the page's spaces is read again alone.

Tesseract's LSTM reads a line at once, and now and then it runs two words together across a plain space: a court
filing's header "Case 1:13-cv-01317 Document 1 Filed" read "Document1", a receipt's "Tax Code" read "TaxCode".
Read alone, such a word comes back spaced. So a word of letters (digits may be among them) whose ink has a gap at
least SPACE_SHARE of the page's typical space (the median of the gaps between neighbouring words on a line, those
narrower than the line is tall: spaces, not a table's columns) is cut out, on the paper's colour, and read again
as one line of text; where that reading has the same characters, parted by spaces, its words take the word's
place, when Tesseract is as sure of each of them as it was of the word. Nothing but spaces is ever added: a
reading with any character otherwise is not taken (figures of one width leave gaps inside numbers, "1,211", and
capitals inside headings, "SEPTEMBER": read alone, they come back as they were); and a less sure one is not
either (a receipt's letters set in cells of one width part widely between "L" and "I": "PETALING", 90, read
alone "PETAL ING", 75 and 75). Not for scripts written without spaces or right to left."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ocrmill.domain.document import Box, Line, Page, Word
from ocrmill.domain.scripts import unevenly_spaced

# A word's inner gap this share of the page's typical space (both in line heights) or wider may be a space. On the
# scribe, Tesseract test and SROIE pages the words Tesseract joined part at 0.35-0.43 of their line's height where
# the page's spaces measure 0.36-0.46; inner gaps of unjoined words (figures "1" beside another, capitals) reach
# as far, which the reading alone settles.
SPACE_SHARE = 0.8
MIN_SPACES = 5  # fewer spaces measured on the page: no typical space, nothing read again
MAX_READS = 100  # words read again at most on a page (the widest gaps first): 3 ms each in English, 13 in eng+deu+fra
MIN_CONTRAST = 64  # grey levels between a word's ink and its paper: fainter, its gaps are not measured

Reader = Callable[[Image.Image], list[Word]]  # a crop's words as one line of text, in the crop's pixels


def respace(page: Page, image: Image.Image, read: Reader) -> int:
    """The words of `page` (read from `image`) that were two or more run together, replaced by those words, in
    place. Returns how many were replaced."""
    lines = page.lines()
    space = typical_space(lines)
    if space is None:
        return 0
    suspects = []
    for line in lines:
        strip, left, top = _strip(image, line.box)  # a line's pixels, not the page's (a copy of 8 Mpx: 5-10 ms)
        for word in line.words:
            if (gap := _inner_gap(word, line, strip, left, top)) >= space * SPACE_SHARE:
                suspects.append((gap, line, word))
    suspects.sort(key=lambda suspect: -suspect[0])
    replaced = 0
    for _, line, word in suspects[:MAX_READS]:
        parts = reread(word, _strip(image, word.box)[0], read)
        if parts:
            at = next(i for i, w in enumerate(line.words) if w is word)
            line.words[at : at + 1] = parts
            replaced += 1
    return replaced


def _strip(image: Image.Image, box: Box) -> tuple[NDArray[np.uint8], int, int]:
    """The grey pixels of `image` inside `box` (within the image), and the position of their top-left one."""
    left, top = max(0, box.left), max(0, box.top)
    crop = image.crop((left, top, max(left, min(image.width, box.right)), max(top, min(image.height, box.bottom))))
    return np.asarray(crop if crop.mode == "L" else crop.convert("L")), left, top


def typical_space(lines: Sequence[Line]) -> float | None:
    """The median gap between neighbouring words of a line, in line heights, among those narrower than a line is
    tall; None where fewer than MIN_SPACES were measured."""
    gaps = [
        gap
        for line in lines
        for before, after in itertools.pairwise(line.words)
        if 0 < (gap := (after.box.left - before.box.right) / max(1, line.box.height)) < 1
    ]
    return float(np.median(gaps)) if len(gaps) >= MIN_SPACES else None


def _inner_gap(word: Word, line: Line, strip: NDArray[np.uint8], left: int, top: int) -> float:
    """The widest gap in the ink of `word` between its first and last stroke, in its line's heights; 0 for a word
    that cannot hold a space Tesseract missed (fewer than two letters or digits, no letter, an unspaced or
    right-to-left script). `strip` holds the line's pixels, its top-left one at (`left`, `top`)."""
    if not joinable(word.text):
        return 0.0
    box = word.box
    crop = strip[max(0, box.top - top) : max(0, box.bottom - top), max(0, box.left - left) : max(0, box.right - left)]
    if crop.size == 0:
        return 0.0
    columns = crop.min(axis=0)  # each column's darkest pixel
    darkest, lightest = int(columns.min()), int(crop.max())
    if lightest - darkest < MIN_CONTRAST:
        return 0.0
    inked = np.flatnonzero(columns < (darkest + lightest) / 2)
    if len(inked) < 2:
        return 0.0
    return float(np.diff(inked).max() - 1) / max(1, line.box.height)


def joinable(text: str) -> bool:
    """Whether `text` may be words Tesseract ran together: two letters or digits or more, one a letter, none of
    a script written without spaces or right to left."""
    return sum(c.isalnum() for c in text) >= 2 and any(c.isalpha() for c in text) and not unevenly_spaced(text)


def reread(word: Word, crop: NDArray[np.uint8], read: Reader) -> list[Word]:
    """`word` read again alone (`crop`, the grey pixels of its box, on a margin of paper half its height wide), as
    words in the page's pixels, when that reading is the same characters parted by spaces and Tesseract is as
    sure of each of its words as it was of the word; else none."""
    box = word.box
    margin = max(2, box.height // 2)
    paper = int(np.median(crop[crop >= (int(crop.min()) + int(crop.max())) / 2]))
    padded = np.pad(crop, margin, mode="constant", constant_values=paper)
    words = read(Image.fromarray(padded))
    if len(words) < 2 or "".join(w.text for w in words) != word.text:
        return []
    if min(w.confidence for w in words) < word.confidence:  # less sure alone: "PETAL ING" 75 against 90
        return []
    left = max(0, box.left) - margin
    return [
        replace(
            w,
            box=Box(
                min(max(box.left, w.box.left + left), box.right),
                box.top,
                max(min(box.right, w.box.right + left), box.left),
                box.bottom,
            ),
            font_size=word.font_size,
        )
        for w in words
    ]
