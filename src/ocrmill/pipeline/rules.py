"""Ruling lines Tesseract read as text: a table's or a form's vertical rule where it crosses a line of text.

Tesseract reads such a rule as a word "|" between the cells, and the CLI prints it ("Profile | To"). A bar set as a
character (a separator, "TEL: 03-9132 | FAX: 03-9132") stands no taller than its line, while a rule runs on: so a
word of nothing but bars whose ink goes on, in every row, for half its height or more above or below it is a rule,
and leaves the page.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ocrmill.domain.document import Box, Page, drop_empty

BARS = frozenset("|¦")
RUNS_ON = 0.5  # of the word's height, above or below it, in ink: a rule, not a character


def drop_rules(page: Page, image: Image.Image) -> int:
    """The words of `page` (read from `image`) that are ruling lines, removed with the lines, paragraphs and blocks
    they leave empty. In place; returns how many."""
    suspects = [w for w in page.words() if w.text and set(w.text) <= BARS]
    if not suspects:
        return 0
    grey = np.asarray(image if image.mode == "L" else image.convert("L"))
    rules = {id(w) for w in suspects if _runs_on(grey, w.box)}
    if not rules:
        return 0
    for line in page.lines():
        line.words = [w for w in line.words if id(w) not in rules]
    drop_empty(page)
    return len(rules)


def _runs_on(grey: NDArray[np.uint8], box: Box) -> bool:
    """Whether ink fills the columns of `box` in every row for RUNS_ON of its height above or below it."""
    height, width = grey.shape
    left, right = max(0, box.left), min(width, box.right)
    reach = max(1, round(RUNS_ON * box.height))
    if right <= left or box.height <= 0:
        return False
    inside = grey[max(0, box.top) : min(height, box.bottom), left:right]
    beside = grey[max(0, box.top) : min(height, box.bottom), max(0, left - box.height) : min(width, right + box.height)]
    if inside.size == 0:
        return False
    ink = (int(inside.min()) + int(beside.max())) / 2  # between the bar's darkest pixel and the paper beside it
    above = grey[max(0, box.top - reach) : max(0, box.top), left:right]
    below = grey[min(height, box.bottom) : min(height, box.bottom + reach), left:right]
    return any(len(rows) == reach and bool((rows.min(axis=1) < ink).all()) for rows in (above, below))
