"""A page's words as printed rows: what the field rules read.

Tesseract splits a printed line into several lines when it has wide gaps (a label on the left, its value in a
column on the right); here those pieces are joined again into one `Row` by their height, measured along the
page's slope (domain.document.page_skew) so that a page scanned askew keeps its rows. A word with a colon inside
("Date:12/03/2018", "Nr.:471102") is split after the colon, so the label and the value are separate tokens with
their share of the word's box.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from ocrmill.domain.document import Box, Line, Page, level, page_skew, union
from ocrmill.invoices.labels import label_key

SEGMENT_GAP = 1.5  # a gap wider than this many text heights starts a new segment (column) of a row


@dataclass
class Token:
    text: str
    box: Box
    confidence: float  # 0..1
    key: str = ""  # labels.label_key(text)

    def __post_init__(self) -> None:
        self.key = label_key(self.text)

    @property
    def height(self) -> int:
        return self.box.height


@dataclass
class Row:
    tokens: list[Token] = field(default_factory=list)
    index: int = 0

    @property
    def box(self) -> Box:
        return union([t.box for t in self.tokens])

    @property
    def height(self) -> float:
        return statistics.median(t.height for t in self.tokens)

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)

    def segments(self) -> list[list[Token]]:
        """The row cut at wide gaps: a label, a value, a column."""
        out: list[list[Token]] = []
        for token in self.tokens:
            if out and token.box.left - out[-1][-1].box.right <= SEGMENT_GAP * self.height:
                out[-1].append(token)
            else:
                out.append([token])
        return out


def tokens_of(line: Line) -> list[Token]:
    out = []
    for word in line.words:
        if not word.text.strip():
            continue
        out.extend(_split(word.text, word.box, word.confidence / 100))
    return out


# Words that are two tokens run together: a colon and a value, a label and its value ("Date:12/03/2018",
# "Nr.:471102", "n°562044387"), a date and its time ("20/03/20181:11:38PM", "17-04-1614:01"; recognisers that
# print few spaces), a date with its month's name ("29Mar201818:19")
GLUED = (
    re.compile(r"^([:;|]+)([^\W_].*)$"),  # a label's colon run into its value (":05-05-2018")
    re.compile(r"^([^\d:]{2,}:)(.+)$"),
    re.compile(r"^([Nn][°º]|№)(\d.*)$"),  # the numero sign run into its number ("Facture n°562044387")
    re.compile(r"^(\d{1,2}(?:[/.-]\d{1,2}[/.-]|[A-Za-z]{3,9}\.?)(?:\d{4}|\d{2}))(\d{1,2}:\d{2}.*)$"),
)


def _split(text: str, box: Box, confidence: float) -> list[Token]:
    """A word cut where two tokens run together (GLUED); the pieces share its box in proportion to their
    length, and each piece is cut again."""
    for pattern in GLUED:
        match = pattern.match(text)
        if match is not None:
            break
    else:
        return [Token(text, box, confidence)]
    out: list[Token] = []
    left, done = box.left, 0
    pieces = [piece for piece in match.groups() if piece]
    for i, piece in enumerate(pieces):
        done += len(piece)
        right = box.right if i == len(pieces) - 1 else box.left + round(box.width * done / len(text))
        piece_box = Box(left, box.top, right, box.bottom)
        last = i == len(pieces) - 1
        out.extend(_split(piece, piece_box, confidence) if last else [Token(piece, piece_box, confidence)])
        left = right
    return out


def page_rows(page: Page) -> list[Row]:
    """The page's printed rows, top to bottom, each one's tokens left to right."""
    lines = [
        tokens
        for block in page.blocks
        for para in block.paragraphs
        for line in para.lines
        if (tokens := tokens_of(line))
    ]
    skew = page_skew(page)
    lines.sort(key=lambda ts: _middle(ts, skew))
    rows: list[Row] = []
    for tokens in lines:
        row = _row_for(tokens, rows[-6:], skew)
        if row is None:
            rows.append(Row(list(tokens)))
        else:
            row.tokens = sorted([*row.tokens, *tokens], key=lambda t: t.box.left)
    rows.sort(key=lambda r: min(level(t.box, skew)[0] for t in r.tokens))
    for i, row in enumerate(rows):
        row.index = i
    return rows


def _middle(tokens: list[Token], skew: float) -> float:
    """The tokens' median middle height, each taken to the page's left edge along its skew (a row of a page
    scanned askew is level so)."""
    return statistics.median(sum(level(t.box, skew)) / 2 for t in tokens)


def _row_for(tokens: list[Token], rows: list[Row], skew: float) -> Row | None:
    """The row a piece of a line continues: aligned with it along the page's skew and not overlapping it
    sideways."""
    middle = _middle(tokens, skew)
    height = statistics.median(t.height for t in tokens)
    left, right = min(t.box.left for t in tokens), max(t.box.right for t in tokens)
    for row in reversed(rows):
        if abs(_middle(row.tokens, skew) - middle) > 0.45 * min(height, row.height):
            continue
        if any(t.box.left < right and left < t.box.right for t in row.tokens):
            continue
        return row
    return None


def text_of(tokens: list[Token]) -> str:
    return " ".join(t.text for t in tokens)


def box_of(tokens: list[Token]) -> Box:
    return union([t.box for t in tokens])


def confidence_of(tokens: list[Token]) -> float:
    return sum(t.confidence for t in tokens) / len(tokens) if tokens else 0.0
