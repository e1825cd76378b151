"""The OCR result of a document: pages > blocks > lines > words, with boxes in page-raster pixels."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ocrmill.domain.scripts import join_words


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


def union(boxes: Iterable[Box]) -> Box:
    """The smallest box around all of `boxes` (at least one)."""
    it = iter(boxes)
    first = next(it)
    left, top, right, bottom = first.left, first.top, first.right, first.bottom
    for b in it:
        left, top, right, bottom = min(left, b.left), min(top, b.top), max(right, b.right), max(bottom, b.bottom)
    return Box(left, top, right, bottom)


@dataclass
class Word:
    text: str
    box: Box
    confidence: float  # 0..100: the share of words right at this confidence (pipeline.calibration), x 100
    font_size: float = 0.0  # points, estimated

    def kept(self, min_confidence: float) -> bool:
        """Whether the word is in the outputs at the job's MinConfidence: the one rule of every writer and of the
        console's page viewer. A word without a place (no width) cannot be placed in a text layer: out too."""
        return self.confidence >= min_confidence and self.box.width > 0 and bool(self.text.strip())


def mean_confidence(words: Sequence[Word]) -> float:
    """The words' mean confidence (0..100); at least one word."""
    return sum(w.confidence for w in words) / len(words)


def moved(word: Word, dx: int, dy: int) -> Word:
    """`word` with its box shifted by (dx, dy): a word read in a crop, placed on its page."""
    b = word.box
    return Word(word.text, Box(b.left + dx, b.top + dy, b.right + dx, b.bottom + dy), word.confidence, word.font_size)


@dataclass
class Line:
    box: Box
    words: list[Word] = field(default_factory=list)
    baseline: tuple[float, float] = (0.0, 0.0)  # slope, offset from the box's bottom (hOCR convention)

    def text(self, min_confidence: float = 0) -> str:
        return join_words(w.text for w in self.words if w.kept(min_confidence))


@dataclass
class Paragraph:
    box: Box
    lines: list[Line] = field(default_factory=list)


@dataclass
class Block:
    box: Box
    paragraphs: list[Paragraph] = field(default_factory=list)
    kind: str = "text"


@dataclass
class Page:
    number: int  # 1-based, in the output
    width: int  # raster pixels
    height: int
    dpi: float
    blocks: list[Block] = field(default_factory=list)
    source_index: int = 0  # 0-based page of the input files, in upload order
    own_text: bool = False  # the words are the PDF page's own text, not OCR (IntelligentPDFProcessing)

    def words(self) -> list[Word]:
        return [w for b in self.blocks for p in b.paragraphs for ln in p.lines for w in ln.words]

    def lines(self) -> list[Line]:
        return [ln for b in self.blocks for p in b.paragraphs for ln in p.lines]

    def text(self, min_confidence: float = 0) -> str:
        """Reading order: blocks as Tesseract orders them, paragraphs separated by a blank line."""
        paragraphs: list[str] = []
        for block in self.blocks:
            for para in block.paragraphs:
                lines = [ln.text(min_confidence) for ln in para.lines]
                text = "\n".join(ln for ln in lines if ln)
                if text:
                    paragraphs.append(text)
        return "\n\n".join(paragraphs)


@dataclass
class Document:
    pages: list[Page] = field(default_factory=list)


def overlaps(a: Box, b: Box) -> bool:
    """Whether the two boxes share some area (touching edges do not)."""
    return min(a.right, b.right) > max(a.left, b.left) and min(a.bottom, b.bottom) > max(a.top, b.top)


def letters(text: str) -> str:
    """The text's letters and digits, case-folded: what two readings of a word are compared by."""
    return "".join(c for c in text.casefold() if c.isalnum())


def has_text(word: Word) -> bool:
    """Whether the word holds a letter or a digit (not only punctuation, a rule read as "|", a speck as ".")."""
    return any(c.isalnum() for c in word.text)


def drop_empty(page: Page) -> None:
    """Lines without words, paragraphs without lines and blocks without paragraphs taken out of `page`, in place."""
    for block in page.blocks:
        for para in block.paragraphs:
            para.lines = [ln for ln in para.lines if ln.words]
        block.paragraphs = [p for p in block.paragraphs if p.lines]
    page.blocks = [b for b in page.blocks if b.paragraphs]


def line_block(words: list[Word]) -> Block:
    """A block of one paragraph of one line holding `words` (at least one), each as big as the words' union:
    text a reading found apart from the page's layout (PP-OCR's lines, runs Tesseract's layout left out)."""
    box = union(w.box for w in words)
    return Block(box=box, paragraphs=[Paragraph(box=box, lines=[Line(box=box, words=words)])])


def sideways(words: Iterable[Word]) -> bool:
    """Whether words Tesseract read lie on their side: of those with three letters or digits or more, fewer than
    half in boxes wider than tall (a page turned a quarter reads in tall boxes, one upside down in flat ones)."""
    long = [w for w in words if sum(c.isalnum() for c in w.text) >= 3]
    return bool(long) and sum(w.box.width > w.box.height for w in long) < 0.5 * len(long)


MAX_SKEW = 0.18  # tan(10 degrees): more than a page fed askew; text this steep is set so, or lies on its side


def page_skew(page: Page) -> float:
    """The slope of the page's text lines (Tesseract's baselines; y grows downwards): the median over its lines of
    two words or more; 0 without any, or beyond MAX_SKEW. A page scanned 1 degree askew has its rows' ends 35 px
    apart at 300 dpi across an A4 table: most of a line's height."""
    slopes = [line.baseline[0] for line in page.lines() if len(line.words) >= 2]
    skew = statistics.median(slopes) if slopes else 0.0
    return skew if abs(skew) <= MAX_SKEW else 0.0


def level(box: Box, skew: float) -> tuple[float, float]:
    """The box's top and bottom taken to the page's left edge along its skew (page_skew): where they would stand on
    the page set straight, so that the pieces of a row scanned askew stand at one height."""
    dy = skew * (box.left + box.right) / 2
    return box.top - dy, box.bottom - dy


def page_to_dict(page: Page) -> dict[str, object]:
    """A page as plain JSON data (kept between a page's OCR and its job's outputs)."""

    def box(b: Box) -> list[int]:
        return [b.left, b.top, b.right, b.bottom]

    return {
        "number": page.number,
        "width": page.width,
        "height": page.height,
        "dpi": page.dpi,
        "source_index": page.source_index,
        "own_text": page.own_text,
        "blocks": [
            {
                "box": box(b.box),
                "kind": b.kind,
                "paragraphs": [
                    {
                        "box": box(p.box),
                        "lines": [
                            {
                                "box": box(ln.box),
                                "baseline": list(ln.baseline),
                                "words": [[w.text, box(w.box), w.confidence, w.font_size] for w in ln.words],
                            }
                            for ln in p.lines
                        ],
                    }
                    for p in b.paragraphs
                ],
            }
            for b in page.blocks
        ],
    }


def page_from_dict(data: dict[str, Any]) -> Page:
    def box(values: list[int]) -> Box:
        return Box(*values)

    page = Page(
        number=int(data["number"]),
        width=int(data["width"]),
        height=int(data["height"]),
        dpi=float(data["dpi"]),
        source_index=int(data.get("source_index", 0)),
        own_text=bool(data.get("own_text", False)),
    )
    for b in data["blocks"]:
        block = Block(box=box(b["box"]), kind=str(b["kind"]))
        for p in b["paragraphs"]:
            para = Paragraph(box=box(p["box"]))
            for ln in p["lines"]:
                words = [Word(str(t), box(bx), float(c), float(s)) for t, bx, c, s in ln["words"]]
                slope, offset = ln["baseline"]
                para.lines.append(Line(box=box(ln["box"]), words=words, baseline=(float(slope), float(offset))))
            block.paragraphs.append(para)
        page.blocks.append(block)
    return page
