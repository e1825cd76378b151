"""Word boxes for lines of Chinese and Japanese, where Tesseract's are poor.

Tesseract's LSTM models place the characters of an unspaced script badly (a box three characters wide for one,
a sliver for the next, boxes that overlap), so a PDF viewer tears the text layer's line apart and selects the
wrong characters. Such characters are set in full-width cells: the line's box is shared among its words in
proportion to their characters (a full-width character one cell, any other half of one, half a cell for the
space between spaced words), along the line (across it for vertical lines)."""

from __future__ import annotations

from ocrmill.domain.document import Box, Line
from ocrmill.domain.scripts import spaced, unspaced

_HALF = 0.5


def even_out(line: Line) -> None:
    """Replaces the boxes of the words of `line` when it holds characters of an unspaced script."""
    words = line.words
    if not words or not any(unspaced(ch) for w in words for ch in w.text):
        return
    starts: list[float] = []
    ends: list[float] = []
    position = 0.0
    for i, word in enumerate(words):
        if i and spaced(words[i - 1].text, word.text):
            position += _HALF
        starts.append(position)
        position += sum(1.0 if unspaced(ch) else _HALF for ch in word.text)
        ends.append(position)
    box = line.box
    vertical = box.height > box.width
    length = box.height if vertical else box.width
    origin = box.top if vertical else box.left
    for word, start, end in zip(words, starts, ends, strict=True):
        low, high = origin + round(length * start / position), origin + round(length * end / position)
        high = max(high, low + 1)
        word.box = Box(box.left, low, box.right, high) if vertical else Box(low, box.top, high, box.bottom)
