"""Ruling lines Tesseract read as text: a table's or a form's vertical rule where it crosses a line of text.

Tesseract reads such a rule as a word "|" between the cells, and the CLI prints it ("Profile | To"). A bar set as a
character (a separator, "TEL: 03-9132 | FAX: 03-9132") stands no taller than its line, while a rule runs on: so a
word of nothing but bars (or a bar and the foot of a corner, "_|") whose ink goes on, in every row, for half its
height or more above or below it is a rule, and leaves the page. On a scan, where a row's rule crosses a column's,
a piece of the crossing reads as one character, a "T", a "4" or a "1": one straight line of ink runs through it
from its line's top to its bottom and on past it. A letter's strokes stay within its line, so such a character
leaves the page too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ocrmill.domain.document import Box, Page, Word, drop_empty

BARS = frozenset("|¦")
CORNER = frozenset("_")  # with a bar, a corner where a row's rule meets a column's: "_|", "|_"
RUNS_ON = 0.5  # of the word's height, above or below it, in ink: a rule, not a character
CONTRAST = 64  # grey levels: a rule's ink is at least a quarter of the scale darker than the paper beside it


def drop_rules(page: Page, image: Image.Image) -> int:
    """The words of `page` (read from `image`) that are ruling lines, removed with the lines, paragraphs and blocks
    they leave empty. In place; returns how many."""
    rules = {id(w) for line in page.lines() for w in line.words if is_rule(w, image, line.box)}
    if not rules:
        return 0
    for line in page.lines():
        line.words = [w for w in line.words if id(w) not in rules]
    drop_empty(page)
    return len(rules)


def is_rule(word: Word, image: Image.Image, line: Box) -> bool:
    """Whether `word`, read from `image` on `line`, is a piece of a ruling line (the module docstring): bars whose ink
    runs on, or one character no wider than tall that one straight line of ink runs through, from its line's top
    to its bottom and on past it. A letter's strokes stay within its line."""
    bars = set(word.text) <= BARS | CORNER and not set(word.text) <= CORNER
    if not word.text or not (bars or (len(word.text) == 1 and word.box.width <= word.box.height)):
        return False
    box = (
        word.box
        if bars
        else Box(word.box.left, min(line.top, word.box.top), word.box.right, max(line.bottom, word.box.bottom))
    )
    reach = max(1, round(RUNS_ON * box.height))
    window = Box(
        max(0, box.left - box.height),
        max(0, box.top - reach),
        min(image.width, box.right + box.height),
        min(image.height, box.bottom + reach),
    )  # all it looks at: a crop, not the page, is made grey
    piece = image.crop((window.left, window.top, window.right, window.bottom))
    grey = np.asarray(piece if piece.mode == "L" else piece.convert("L"))
    inner = Box(box.left - window.left, box.top - window.top, box.right - window.left, box.bottom - window.top)
    return _runs_on(grey, inner, through=not bars)


def _runs_on(grey: NDArray[np.uint8], box: Box, *, through: bool = False) -> bool:
    """Whether ink fills the columns of `box` in every row for RUNS_ON of its height above or below it; `through`:
    in one column (give or take a pixel, for skew) through the box's rows and on so."""
    height, width = grey.shape
    left, right = max(0, box.left), min(width, box.right)
    reach = max(1, round(RUNS_ON * box.height))
    if right <= left or box.height <= 0:
        return False
    top, bottom = max(0, box.top), min(height, box.bottom)
    inside = grey[top:bottom, left:right]
    beside = grey[top:bottom, max(0, left - box.height) : min(width, right + box.height)]
    if inside.size == 0 or (through and int(beside.max()) - int(inside.min()) < CONTRAST):
        return False  # no ink there: a character read in the paper's grain or a shade
    ink = (int(inside.min()) + int(beside.max())) / 2  # between the bar's darkest pixel and the paper beside it
    above = grey[max(0, box.top - reach) : top, left:right]
    below = grey[bottom : min(height, box.bottom + reach), left:right]
    if not through:
        return any(len(rows) == reach and bool((rows.min(axis=1) < ink).all()) for rows in (above, below))
    spans = (
        (grey[max(0, box.top - reach) : bottom, left:right], above),
        (grey[top : bottom + reach, left:right], below),
    )
    return any(len(rows) == reach and _one_column(span < ink) for span, rows in spans)


def _one_column(dark: NDArray[np.bool_]) -> bool:
    """Whether one column of `dark`, give or take a pixel either side (a skew), is dark in every row."""
    near = dark.copy()
    near[:, 1:] |= dark[:, :-1]
    near[:, :-1] |= dark[:, 1:]
    return bool(near.all(axis=0).any())
