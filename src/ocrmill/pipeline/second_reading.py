"""A second reading where Tesseract is unsure: its unsure lines read again by PP-OCR, each word's confidence
calibrated on whether the two readings agree, and where they differ the likelier reading kept.

1. Each line of Tesseract's holding a word (of letters or digits) whose calibrated confidence (pipeline.calibration,
   every word's map) is under UNSURE is read again by PP-OCR's recogniser (pipeline.lines: no detection), cut at
   its wide gaps into pieces, each piece cut out of the page (Tesseract's line height, its words' width; all of a
   page's at once). A clean page has no such line and costs nothing; a page with a few costs a few. (Reading only
   pages with many unsure words, 8% or more, left more right words out on the scribe and Tesseract test pages;
   reading only the unsure pieces of a line, more on SROIE's receipts: bench.word_calibration.) On a page with few
   unsure words (FEW_UNSURE), a line with few doubtful words is read first in windows, each doubtful word alone
   (read_again): where PP-OCR reads each as Tesseract did, surely, the line is settled at a few words' cost (a clean
   page's unsure "Cir." or "A-I": 18 ms instead of the line's 150), its other words not read again; else it is read
   whole.
2. The two readings of a piece are cut into clusters (words of either reading joined where they overlap by more
   than half of the narrower's width, so "RM 51.00" and "RM51.00" are one cluster; PP-OCR's joined words then cut
   where Tesseract spaced them, respaced); a cluster agrees when both readings have the same letters and digits
   there (case-folded), and so do its words.
3. The confidence of a word is the share of words right among the development pages' words of its class and
   evidence (CLASSES: Tesseract's word not read again, agreeing (evidence: the surer engine's confidence),
   disagreeing; PP-OCR's word one letter or digit from Tesseract's, more, or spaced otherwise, or alone on a page
   whose print Tesseract missed (its own confidence)): isotonic maps fitted by bench.word_calibration, shipped in
   word-confidence.json.
4. Where the readings differ, each cluster keeps the reading expected to have more characters right (score; a
   cluster only PP-OCR read is taken when more likely right than not). PP-OCR's words take Tesseract's boxes where
   they were cut as Tesseract's words, else their own (from where their characters were read) at the line's
   height, so every output places them.
Jobs in English only (LANGUAGES: where the maps were fitted); other jobs read their pages once.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ocrmill.domain.document import Box, Line, Page, Word, has_text, letters, page_skew, sideways, union
from ocrmill.errors import EngineError
from ocrmill.pipeline.calibration import Calibration, calibrate, calibration, class_calibrations
from ocrmill.pipeline.missed import joined, missed, outside

log = logging.getLogger("ocrmill.worker")

UNSURE = 60.0  # calibrated confidence: a word under it makes its stretch of line unsure (MinConfidence's default)
GAP = 2.0  # line heights: a wider gap between two words of a line parts the stretches read again
# A page with few unsure words (at most this share of its words of letters or digits) reads them alone first
# (read_again); others read every unsure line whole. Clean text pages have up to 0.4% (bench.pages' generated ones),
# the scribe pages 0-23%, SROIE's receipts 7.5% and more; on the receipts, where Tesseract's sure words are often
# wrong too, reading only the unsure words left 0.3 points of bag-of-words F1 (bench.accuracy) that reading their
# whole lines gets. Set between the two, not fitted.
FEW_UNSURE = 0.02
PAD_Y = 0.2  # a line's crop grown by this much of its height above and below ...
PAD_X = 0.5  # ... and to the left and right (PP-OCR was trained on detected lines, which have margins)
# The languages the second reading is for: its maps are fitted, and its gains measured, on English pages only (PP-OCR's
# recogniser knows Latin letters with their accents and CJK, but not Greek, Cyrillic or right-to-left scripts); a job in
# any other language reads its pages once, calibrated by every word's map
LANGUAGES = frozenset({"eng"})
# Tesseract's word not read again, agreeing with PP-OCR's, or not; PP-OCR's word agreeing with Tesseract's, or not
# (Cluster.other_kind: one letter or digit apart, more, or spaced otherwise); PP-OCR's word of a page whose print
# Tesseract missed, where Tesseract read nothing (pipeline.missed)
CLASSES = ("unread", "agrees", "disagrees", "other_agrees", "other_near", "other_far", "other_spaced", "alone")


def reads_again(langs: Sequence[str]) -> bool:
    """Whether a job in Tesseract's languages `langs` is read a second time where unsure."""
    return bool(langs) and all(lang in LANGUAGES for lang in langs)


@dataclass(frozen=True)
class Piece:
    """Words of a line with no gap wider than GAP line heights between them, and the box PP-OCR reads them in."""

    line: Line
    words: list[Word]

    @property
    def box(self) -> Box:
        return Box(min(w.box.left for w in self.words), self.line.box.top, max(w.box.right for w in self.words),
                   self.line.box.bottom)  # fmt: skip


def pieces(page: Page) -> list[Piece]:
    """Every line of the page cut at its wide gaps (a receipt's "CASH ... RM 51.00"), in reading order: PP-OCR, like
    the detector that finds its lines, reads a stretch of print, and across a wide gap it reads letters that are not
    there ("CASH09RM51.00")."""
    out = []
    for line in page.lines():
        words: list[Word] = []
        for word in line.words:
            if words and word.box.left - words[-1].box.right > GAP * line.box.height:
                out.append(Piece(line, words))
                words = []
            words.append(word)
        if words:
            out.append(Piece(line, words))
    return out


def unsure_pieces(page: Page, table: Calibration | None = None) -> list[int]:
    """The indices (in pieces order) of the stretches to read again: those holding a word of letters or digits
    whose calibrated confidence is under UNSURE (`page` has Tesseract's own confidences)."""
    table = table or calibration()
    stretches = pieces(page)
    unsure = {id(p.line) for p in stretches if any(_unsure(w, table) for w in p.words)}
    return [i for i, piece in enumerate(stretches) if id(piece.line) in unsure]


def _unsure(word: Word, *tables: Calibration) -> bool:
    return has_text(word) and any(table.of(word.confidence, word.text) < UNSURE for table in tables)


def windows(doubtful: Sequence[bool]) -> list[range]:
    """The stretches of a piece (ranges of its words) to read first where it holds few doubtful words: its runs of
    doubtful words."""
    out: list[range] = []
    for i in (i for i, d in enumerate(doubtful) if d):
        if out and out[-1].stop == i:
            out[-1] = range(out[-1].start, i + 1)
        else:
            out.append(range(i, i + 1))
    return out


def window_pixels(pixels: NDArray[np.uint8], piece: Piece, span: range) -> tuple[NDArray[np.uint8], int, int]:
    """The page's pixels of the words `span` of `piece`, for PP-OCR: across, from halfway to the word before to
    halfway to the word after (none of their ink), grown to PAD_X line heights beside the words with the edge's own
    pixels (the gap's paper); down, the line grown by PAD_Y. With the page position of its top-left pixel."""
    words, box = piece.words, piece.line.box
    dy, dx = round(PAD_Y * box.height), round(PAD_X * box.height)
    first, last = words[span.start].box, words[span.stop - 1].box
    left = (words[span.start - 1].box.right + first.left) // 2 if span.start > 0 else first.left - dx
    right = (last.right + words[span.stop].box.left + 1) // 2 if span.stop < len(words) else last.right + dx
    left, right = max(0, left), min(pixels.shape[1], max(left + 1, right))
    top, bottom = max(0, box.top - dy), min(pixels.shape[0], box.bottom + dy)
    margins = ((0, 0), (max(0, dx - (first.left - left)), max(0, dx - (right - last.right))))
    cut = pixels[top:bottom, left:right]
    padded = np.pad(cut, margins + ((0, 0),) * (cut.ndim - 2), mode="edge")
    return padded, left - margins[1][0], top


def crop_corners(piece: Piece, skew: float, width: int, height: int) -> NDArray[np.float32]:
    """Where PP-OCR reads `piece`: its words' stretch of the line's type, top to bottom, along the line's slope
    (its baseline's) where the line is slanted as its page is (`skew`: page_skew; a page scanned or photographed
    askew), grown by PAD_Y and PAD_X of the type's height; 4 corners clockwise from top-left, within the page. A
    slanted line's box is taller than its type by the slant (a sentence across an A4 page turned 1.4 degrees: 50
    px of box for 25 px of type), and read in that box its type would come to the recogniser at half its height.
    A line whose slant its crop's margin (PAD_Y) takes in is read in its box, and so is one whose slope is not
    its page's (within half to twice it: a curled receipt's lines, or a slope Tesseract got wrong)."""
    box, line = piece.box, piece.line.box
    slope = piece.line.baseline[0]
    rise = abs(slope) * line.width
    if not (
        slope * skew > 0 and abs(skew) / 2 <= abs(slope) <= 2 * abs(skew) and PAD_Y * line.height < rise < line.height
    ):
        slope, rise = 0.0, 0.0
    size = line.height - rise
    dy, dx = PAD_Y * size, PAD_X * size
    anchor = line.left if slope >= 0 else line.right  # where the type's top is the box's

    def top(x: float) -> float:
        return line.top + slope * (x - anchor)

    left, right = max(0.0, box.left - dx), min(width - 1.0, box.right + dx)
    corners = [(left, top(left) - dy), (right, top(right) - dy), (right, top(right) + size + dy)]
    corners.append((left, top(left) + size + dy))
    return np.array([[x, min(max(y, 0.0), height - 1.0)] for x, y in corners], dtype=np.float32)


def _pixels(image: Image.Image) -> NDArray[np.uint8]:
    # a gray page stays gray (its lines are cut out of it and made RGB one by one: the same pixels, without
    # 26 MB of RGB A4 page for a clean page's one unsure line)
    return np.asarray(image if image.mode in ("L", "RGB") else image.convert("L" if image.mode == "1" else "RGB"))


def read_lines(image: Image.Image, corners: Sequence[NDArray[np.float32]]) -> list[list[Word]]:
    """PP-OCR's words of each line (crop_corners), in `image`'s pixels."""
    from ocrmill.pipeline.lines import line_reader, line_words  # ONNX Runtime and the models: loaded on first use

    if not corners:
        return []
    return [line_words(line) for line in line_reader().recognise(_pixels(image), list(corners))]


def read_whole(image: Image.Image, page: Page) -> list[list[Word]]:
    """PP-OCR's lines of the whole page (detection and recognition), words with PP-OCR's own confidences."""
    from ocrmill.pipeline.lines import line_reader

    found = line_reader().read(_pixels(image), dpi=page.dpi, number=page.number, source_index=page.source_index)
    return [line.words for line in found.lines()]


def read_windows(image: Image.Image, spans: Sequence[tuple[Piece, range]]) -> list[list[Word]]:
    """PP-OCR's words of each window (window_pixels), in `image`'s pixels."""
    from ocrmill.pipeline.lines import line_reader, line_words

    if not spans:
        return []
    pixels, out = _pixels(image), []
    for piece, span in spans:
        cut, left, top = window_pixels(pixels, piece, span)
        height, width = cut.shape[:2]
        corners = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
        (line,) = line_reader().recognise(cut, [corners])
        out.append([
            Word(w.text, Box(w.box.left + left, w.box.top + top, w.box.right + left, w.box.bottom + top), w.confidence)
            for w in line_words(line)
        ])  # fmt: skip
    return out


def key(text: str) -> str:
    """A word compared by its letters and digits only, case-folded (a word of none: by its text)."""
    return letters(text) or text.strip()


@dataclass
class Cluster:
    """Words of the two readings of a line that overlap one another (directly or through others): the same stretch
    of the line, however each reading split it into words."""

    mine: list[Word] = field(default_factory=list)
    theirs: list[Word] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return bool(self.mine and self.theirs) and key(_joined(self.mine)) == key(_joined(self.theirs))

    @property
    def kind(self) -> str:
        """The class of Tesseract's words here (CLASSES)."""
        return "agrees" if self.agrees else "disagrees"

    def evidence(self, word: Word) -> float:
        """What the class's map reads for one of Tesseract's words here: its confidence, where both readings agree
        the surer engine's (PP-OCR's: its least sure word's). Kept at MinConfidence 60, SROIE's receipts read
        with 0.9 points less CER than with the mean of the two, the scribe pages 0.3 (bench.word_calibration)."""
        if not self.agrees:
            return word.confidence
        return max(word.confidence, min(w.confidence for w in self.theirs))

    @property
    def other_kind(self) -> str:
        """The class of PP-OCR's words here: the same text; spaced as Tesseract's, one letter or digit apart or
        more; or spaced otherwise (PP-OCR misses narrow spaces, and a word it joined is rarely right)."""
        if self.agrees:
            return "other_agrees"
        if len(self.theirs) != len(self.mine):
            return "other_spaced"
        return "other_near" if _edits(key(_joined(self.mine)), key(_joined(self.theirs))) <= 1 else "other_far"


def _joined(words: Sequence[Word]) -> str:
    return "".join(w.text for w in words)


def _edits(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def respaced(theirs: list[Word], mine: Sequence[Word]) -> list[Word]:
    """PP-OCR's words of a cluster cut where Tesseract's are, in Tesseract's boxes, when the two readings spaced it
    otherwise ("RM51.00" where Tesseract read "RM 51.0O"): their letters and digits aligned (fewest edits), each
    of Tesseract's words takes the characters aligned with its own. Punctuation after a cut stays with the word
    before, unless the next word of Tesseract's begins with it. As they are when a word would take none."""
    if not mine or len(theirs) == len(mine) or not all(has_text(w) for w in mine):
        return theirs
    text = _joined(theirs)
    counts = _aligned_counts([sum(c.isalnum() for c in w.text) for w in mine], _letters(_joined(mine)), _letters(text))
    if not all(counts):
        return theirs
    pieces, at = [], 0
    for n, following in zip(counts, [*mine[1:], None], strict=True):
        start = at
        while n:
            n -= text[at].isalnum()
            at += 1
        while following is not None and at < len(text) and not text[at].isalnum() and text[at] != following.text[0]:
            at += 1
        pieces.append(text[start:at] if following is not None else text[start:])
    confidence = min(w.confidence for w in theirs)
    return [Word(piece, w.box, confidence, w.font_size) for piece, w in zip(pieces, mine, strict=True)]


def _letters(text: str) -> list[str]:
    return [c.casefold() for c in text if c.isalnum()]


def _aligned_counts(lengths: Sequence[int], a: Sequence[str], b: Sequence[str]) -> list[int]:
    """How many characters of `b` each stretch of `a` (of `lengths`, in order) is aligned with, by the alignment of
    fewest edits; characters of `b` inserted at a boundary go to the stretch before it."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, start=1):
        row = [i]
        for j, cb in enumerate(b, start=1):
            row.append(min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb)))
        rows.append(row)
    owner = [0] * len(b)  # the position in `a` each character of `b` is aligned with (or inserted after)
    i, j = len(a), len(b)
    while j > 0:
        if i > 0 and rows[i][j] == rows[i - 1][j - 1] + (a[i - 1] != b[j - 1]):
            i, j = i - 1, j - 1
            owner[j] = i
        elif i > 0 and rows[i][j] == rows[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
            owner[j] = max(0, i - 1)
    ends = list(itertools.accumulate(lengths))
    return [sum(1 for o in owner if start <= o < end) for start, end in zip([0, *ends[:-1]], ends, strict=True)]


def clusters(words: Sequence[Word], others: Sequence[Word]) -> list[Cluster]:
    """The line's stretches, left to right: words of either reading joined where they overlap by more than half of
    the narrower one's width."""
    both = [(w, True) for w in words] + [(w, False) for w in others]
    parent = list(range(len(both)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (a, _) in enumerate(both[: len(words)]):
        for j, (b, _) in enumerate(both[len(words) :], start=len(words)):
            if _overlap(a.box, b.box) > 0.5 * max(1, min(a.box.width, b.box.width)):
                parent[root(j)] = root(i)
    groups: dict[int, Cluster] = {}
    for i, (word, mine) in enumerate(both):
        group = groups.setdefault(root(i), Cluster())
        (group.mine if mine else group.theirs).append(word)
    for group in groups.values():
        group.theirs = respaced(group.theirs, group.mine)
    return sorted(groups.values(), key=lambda c: min(w.box.left for w in c.mine + c.theirs))


def agreement(words: Sequence[Word], others: Sequence[Word]) -> list[bool]:
    """For each of `words`: whether `others` read the same there (the module docstring, 2)."""
    agreed = {id(w) for c in clusters(words, others) if c.agrees for w in c.mine}
    return [id(w) in agreed for w in words]


def _overlap(a: Box, b: Box) -> int:
    return max(0, min(a.right, b.right) - max(a.left, b.left))


def score(words: Sequence[Word]) -> float:
    """The characters a reading is expected to have right less those it is expected to have wrong: each word's
    length weighed by 2p - 1 (p its calibrated confidence / 100)."""
    return sum(len(w.text) * (2 * w.confidence / 100 - 1) for w in words)


def combined(
    page: Page,
    readings: Mapping[int, list[Word]],
    tables: Mapping[str, Calibration] | None = None,
    *,
    keep_better: bool = True,
    stretches: Sequence[Piece] | None = None,
) -> Page:
    """`page` (Tesseract's confidences) with every word calibrated by its class, and in each stretch of `readings`
    (by index in `stretches`, pieces(page) unless given: PP-OCR's words, their own confidences) each cluster where
    the readings differ read as the likelier of the two (unless not `keep_better`: the bench's comparison). In
    place."""
    tables = tables or class_calibrations()
    lines: dict[int, list[Word]] = {}
    for i, piece in enumerate(pieces(page) if stretches is None else stretches):
        words = lines.setdefault(id(piece.line), [])
        other = readings.get(i)
        if other is None:
            for word in piece.words:
                word.confidence = tables["unread"].of(word.confidence, word.text)
            words += piece.words
            continue
        size, box = float(np.median([w.font_size for w in piece.words])), piece.box
        for cluster in clusters(piece.words, other):
            for word in cluster.mine:
                word.confidence = tables[cluster.kind].of(cluster.evidence(word), word.text)
            table = tables[cluster.other_kind]
            # PP-OCR's word boxes are as tall as the crop, margins included: the line's height is Tesseract's
            theirs = [
                Word(w.text, Box(w.box.left, box.top, w.box.right, box.bottom), table.of(w.confidence, w.text), size)
                for w in cluster.theirs
            ]
            better = keep_better and not cluster.agrees and score(theirs) > (score(cluster.mine) if cluster.mine else 0)
            words += theirs if better else cluster.mine
    for line in page.lines():
        line.words = lines.get(id(line), [])
        if line.words:
            line.box = union([line.box, *(w.box for w in line.words)])
    return page


def read_twice(page: Page, image: Image.Image) -> Page:
    """`page` as Tesseract read it from `image` (its own confidences), calibrated and mended by the second
    reading (in place; returned). Should PP-OCR fail, the page keeps Tesseract's reading. A page Tesseract read
    lying on its side (a sideways scan without AutoOrientation) is not read again: PP-OCR's recogniser reads a
    line left to right, and such a page's lines are none (a phototest page turned a quarter: its garbage, CER 0.82
    as Tesseract read it, became CER 0.98 read twice). A page whose print Tesseract missed (pipeline.missed) is
    also read whole by PP-OCR, and what PP-OCR reads outside Tesseract's words joins it."""
    table = class_calibrations().get("alone")
    boxes = [w.box for w in page.words()] if table is not None and missed(page, image) else None
    page = _read_unsure(page, image, [] if sideways(page.words()) else unsure_pieces(page))
    if boxes is None or table is None:
        return page
    try:
        lines = outside(read_whole(image, page), boxes)
    except EngineError as e:
        log.warning("PP-OCR could not read page %d whole: %s", page.number, e)
        return page
    return joined(page, lines, table)


def _read_unsure(page: Page, image: Image.Image, chosen: list[int]) -> Page:
    if not chosen:
        return combined(page, {})
    try:
        stretches, readings = read_again(page, image, chosen)
    except EngineError as e:  # a second opinion only: the page keeps Tesseract's reading, calibrated as one
        log.warning("PP-OCR could not read page %d again: %s", page.number, e)
        return calibrate(page)
    return combined(page, readings, stretches=stretches)


def read_again(page: Page, image: Image.Image, chosen: Sequence[int]) -> tuple[list[Piece], dict[int, list[Word]]]:
    """PP-OCR's readings of the unsure lines (`chosen`: unsure_pieces), as combined() takes them: the stretches of
    the page's lines and the readings of those read again, by index in them.

    On a page with few unsure words (FEW_UNSURE), a line whose doubtful words (unsure by the map of every word, or
    by that of words not read again, which is theirs unless read) are few is read first in windows around them
    (windows()); where PP-OCR reads every window as Tesseract did and surely (_confirmed), Tesseract's doubtful words
    are confirmed and the line is settled: its windows keep their readings, its other words are not read again (a
    clean page's line with one unsure word costs a word's reading, not the line's). The other lines, and any whose
    window does not settle it, are read whole."""
    tables = class_calibrations()
    every, unread = calibration(), tables["unread"]
    stretches = pieces(page)
    by_line: dict[int, list[int]] = {}
    for i in chosen:
        by_line.setdefault(id(stretches[i].line), []).append(i)
    spans: dict[int, list[range]] = {}  # by pieces index, for the lines read first in windows
    text = [w for w in page.words() if has_text(w)]
    few = sum(_unsure(w, every) for w in text) <= FEW_UNSURE * len(text)
    for indices in by_line.values() if few else ():
        cut = {i: windows([_unsure(w, every, unread) for w in stretches[i].words]) for i in indices}
        wide = sum(_span_box(stretches[i], r).width for i in indices for r in cut[i])
        # windows only where they cost less than half the line: where they do not settle it, it is read whole too
        if 2 * wide < sum(stretches[i].box.width for i in indices):
            spans.update(cut)
    first = [(i, r) for i, rs in spans.items() for r in rs]
    read = dict(zip(first, read_windows(image, [(stretches[i], r) for i, r in first]), strict=True))
    unsettled = {
        id(stretches[i].line)
        for (i, r), words in read.items()
        if not all(_confirmed(c, tables) for c in clusters(stretches[i].words[r.start : r.stop], words))
    }
    whole = [i for i in chosen if i not in spans or id(stretches[i].line) in unsettled]
    skew = page_skew(page)
    corners = [crop_corners(stretches[i], skew, image.width, image.height) for i in whole]
    readings = dict(zip(whole, read_lines(image, corners), strict=True))
    units: list[Piece] = []
    out: dict[int, list[Word]] = {}
    for i, piece in enumerate(stretches):
        if i in readings or i not in spans or id(piece.line) in unsettled:
            if i in readings:
                out[len(units)] = readings[i]
            units.append(piece)
            continue
        at = 0
        for r in spans[i]:  # a settled line's piece: its windows with their readings, its other words unread
            if at < r.start:
                units.append(Piece(piece.line, piece.words[at : r.start]))
            out[len(units)] = read[i, r]
            units.append(Piece(piece.line, piece.words[r.start : r.stop]))
            at = r.stop
        if at < len(piece.words):
            units.append(Piece(piece.line, piece.words[at:]))
    return units, out


def _confirmed(cluster: Cluster, tables: Mapping[str, Calibration]) -> bool:
    """Whether a window's stretch settles its line: PP-OCR read it as Tesseract did, surely enough that its words are
    no longer unsure (alone, PP-OCR is less sure of a word than in its line: "01Aug2018" 61 against 96)."""
    return cluster.agrees and all(
        tables[cluster.kind].of(cluster.evidence(word), word.text) >= UNSURE for word in cluster.mine
    )


def _span_box(piece: Piece, span: range) -> Box:
    return Piece(piece.line, piece.words[span.start : span.stop]).box
