"""Tesseract through tesserocr, kept warm: the only module that imports tesserocr.

tesserocr's wheel carries its own libtesseract without OpenMP and releases the GIL while it
recognises, so engines lent one to a thread (EnginePool) run pages in parallel.
"""

from __future__ import annotations

import statistics
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import tesserocr
from PIL import Image

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word, drop_empty, mean_confidence, moved, union
from ocrmill.domain.scripts import joins, reordered
from ocrmill.errors import EngineError
from ocrmill.pipeline.spaces import respace
from ocrmill.pipeline.unspaced import even_out

Glyph = tuple[str, Box]  # a character as Tesseract read it, and its box

_TEXT_BLOCKS = {
    tesserocr.PT.FLOWING_TEXT,
    tesserocr.PT.HEADING_TEXT,
    tesserocr.PT.PULLOUT_TEXT,
    tesserocr.PT.VERTICAL_TEXT,
    tesserocr.PT.CAPTION_TEXT,
    tesserocr.PT.TABLE,
    tesserocr.PT.UNKNOWN,
}
# Languages set in vertical lines as well as horizontal ones (Tesseract's models of them read both)
VERTICAL_SCRIPTS = ("jpn", "chi_sim", "chi_tra", "kor")


class Engine:
    """One Tesseract instance for one set of languages. Not thread-safe: one thread at a time (EnginePool.lease)."""

    def __init__(self, tessdata: Path, langs: list[str]) -> None:
        # Tesseract's page layout analysis (PSM 3) tears Hangul apart (a syllable's jamo are separate blobs): on a
        # page of two short Korean lines it keeps one or neither, and reads the rest as noise, while the same
        # analysis for a single column (PSM 4) reads them all. Korean pages are read as one column.
        self._layout = tesserocr.PSM.SINGLE_COLUMN if "kor" in langs else tesserocr.PSM.AUTO
        self._upright = not any(lang.startswith(VERTICAL_SCRIPTS) for lang in langs)
        try:
            self._api = tesserocr.PyTessBaseAPI(path=str(tessdata) + "/", lang="+".join(langs), psm=self._layout)
        except RuntimeError as e:
            raise EngineError(f"Tesseract could not load the models for {'+'.join(langs)}: {e}") from e

    def recognize(
        self,
        image: Image.Image,
        *,
        dpi: float,
        number: int,
        source_index: int,
        fast: bool = False,
        single_block: bool = False,
    ) -> Page:
        """One page. `fast` (FastMode) skips Tesseract's second pass over words it recognised badly,
        in which it tries them as white-on-black text: about 10% less time, text almost unchanged
        (bench.accuracy measures both). `single_block` reads the page as one block of text instead of
        finding its layout (page segmentation mode 6; receipts read better so). Words run together across a
        space are read again alone (pipeline.spaces)."""
        self._api.SetVariable("tessedit_do_invert", "0" if fast else "1")
        self._recognise(image, dpi, tesserocr.PSM.SINGLE_BLOCK if single_block else self._layout, "the page")
        page = Page(number=number, width=image.width, height=image.height, dpi=dpi, source_index=source_index)
        iterator = self._api.GetIterator()
        if iterator is None:
            return page
        block: Block | None = None
        para: Paragraph | None = None
        line: Line | None = None
        level = tesserocr.RIL
        vertical: list[Block] = []  # blocks Tesseract read as text set in vertical lines
        while True:
            # a block begins with a paragraph, a paragraph with a line: asked in that order, most words ask once
            # (each question costs Tesseract's result iterator a walk to the line's logical start)
            starts_line = iterator.IsAtBeginningOf(level.TEXTLINE)
            starts_para = starts_line and iterator.IsAtBeginningOf(level.PARA)
            if starts_para and iterator.IsAtBeginningOf(level.BLOCK):
                kind = iterator.BlockType()
                block = Block(box=_box(iterator, level.BLOCK), kind="table" if kind == tesserocr.PT.TABLE else "text")
                if kind in _TEXT_BLOCKS:
                    page.blocks.append(block)
                if kind == tesserocr.PT.VERTICAL_TEXT and self._upright and not single_block:
                    vertical.append(block)
                para = line = None
            if block is not None and (para is None or starts_para):
                para = Paragraph(box=_box(iterator, level.PARA))
                block.paragraphs.append(para)
                line = None
            if para is not None and (line is None or starts_line):
                line = Line(box=_box(iterator, level.TEXTLINE), baseline=_baseline(iterator))
                para.lines.append(line)
            word = _word(iterator)
            if word is not None and line is not None:
                if line.words and iterator.BlanksBeforeWord() == 0 and joins(line.words[-1].text, word.text):
                    line.words[-1] = _merged(line.words[-1], word)
                else:
                    line.words.append(word)
            if not iterator.Next(level.WORD):
                break
        _drop_empty(page)
        if vertical and (words := page.words()):
            # a block narrower than a word is high holds no horizontal line of figures or words (two figures are
            # about that wide): a rule's or a speck's
            height = statistics.median(w.box.height for w in words)
            for block in vertical:
                if block.box.width >= height:
                    self._read_upright(block, image, dpi=dpi, fast=fast)
        respace(page, image, lambda crop: [word for word, _ in self.read_line(crop, dpi=dpi)])
        return page

    def _read_upright(self, block: Block, image: Image.Image, *, dpi: float, fast: bool) -> None:
        """A block Tesseract's layout took for text set in vertical lines, on a page in languages set in horizontal
        ones: mostly a column of short figures or words stacked one under the other, narrow and tall (a table's
        column of amounts read as one garbled word). Its box is read again as one block of horizontal lines, and
        that reading replaces the first where its words are surer on average (text that is set on its side reads
        as garbage across it, and keeps its first reading). In place."""
        first = [w for para in block.paragraphs for line in para.lines for w in line.words]
        if not first:
            return
        pad = max(2, round(dpi / 30))  # a margin of paper round its ink, some 0.8 mm
        left, top = max(0, block.box.left - pad), max(0, block.box.top - pad)
        crop = image.crop(
            (left, top, min(image.width, block.box.right + pad), min(image.height, block.box.bottom + pad))
        )
        again = self.recognize(crop, dpi=dpi, number=0, source_index=0, fast=fast, single_block=True)
        lines = [line for line in again.lines() if line.words]
        words = [w for line in lines for w in line.words]
        if not words or mean_confidence(words) <= mean_confidence(first):
            return
        placed = [
            Line(box=union(w.box for w in line_words), words=line_words, baseline=line.baseline)
            for line in lines
            if (line_words := [moved(w, left, top) for w in line.words])
        ]
        block.paragraphs = [Paragraph(box=union(line.box for line in placed), lines=placed)]

    def read_line(self, image: Image.Image, *, dpi: float) -> list[tuple[Word, list[Glyph]]]:
        """The words of `image` read as one line of text (page segmentation mode 7), in its pixels, each with its
        characters' boxes: a table cell read on its own, where Tesseract spaces its words by that cell's gaps."""
        self._recognise(image, dpi, tesserocr.PSM.SINGLE_LINE, "a line of the page")
        iterator = self._api.GetIterator()
        words: list[tuple[Word, list[Glyph]]] = []
        glyphs: list[Glyph] | None = None  # the current word's, when it has text
        while iterator is not None:
            if iterator.IsAtBeginningOf(tesserocr.RIL.WORD):
                word = _word(iterator)
                glyphs = None if word is None else []
                if word is not None and glyphs is not None:
                    words.append((word, glyphs))
            if glyphs is not None:
                try:
                    text = str(iterator.GetUTF8Text(tesserocr.RIL.SYMBOL) or "")
                except RuntimeError:
                    text = ""
                glyphs.append((text, _box(iterator, tesserocr.RIL.SYMBOL)))
            if not iterator.Next(tesserocr.RIL.SYMBOL):
                break
        return words

    def _recognise(self, image: Image.Image, dpi: float, segmentation: int, what: str) -> None:
        api = self._api
        api.SetPageSegMode(segmentation)
        set_pixels(api, image)
        api.SetSourceResolution(max(70, round(dpi)))
        recognised = api.Recognize()
        api.SetPageSegMode(self._layout)
        if recognised is False:
            raise EngineError(f"Tesseract could not recognise {what}.")

    def close(self) -> None:
        self._api.End()


def _merged(first: Word, second: Word) -> Word:
    """Two pieces of one word: Tesseract parts a Korean word into its syllables, with no space between them."""
    return Word(
        text=first.text + second.text,
        box=union((first.box, second.box)),
        confidence=min(first.confidence, second.confidence),
        font_size=first.font_size or second.font_size,
    )


def _word(iterator: tesserocr.PyResultIterator) -> Word | None:
    text = _word_text(iterator)
    if not text:
        return None
    attributes = iterator.WordFontAttributes() or {}
    return Word(
        text=text,
        box=_box(iterator, tesserocr.RIL.WORD),
        confidence=float(iterator.Confidence(tesserocr.RIL.WORD)),
        font_size=float(attributes.get("pointsize") or 0),
    )


def _word_text(iterator: tesserocr.PyResultIterator) -> str:
    """The current word's text in logical order; tesserocr raises instead of returning "" for a word without any.

    tesserocr's word text is Tesseract's left-to-right one (its LTRResultIterator's): a right-to-left word
    (Arabic, Hebrew) comes with its letters in visual order, so they are turned round. The words themselves
    come in reading order (the iterator is a ResultIterator)."""
    try:
        return reordered(str(iterator.GetUTF8Text(tesserocr.RIL.WORD) or "").strip())
    except RuntimeError:
        return ""


_BYTES_PER_PIXEL = {"1": 0, "L": 1, "RGB": 3, "RGBA": 4}  # "1": packed bits, a 1 is white (as Pillow has it)


def set_pixels(api: tesserocr.PyTessBaseAPI, image: Image.Image) -> None:
    """The image's pixels handed to Tesseract as they are. tesserocr's SetImage writes a Pillow image to a file
    in memory first, which Leptonica then reads: as PNG when the image was opened from a PNG (0.1-0.25 s an A4
    page at 300 dpi), else as BMP."""
    if image.mode not in _BYTES_PER_PIXEL:
        image = image.convert("RGB")
    depth = _BYTES_PER_PIXEL[image.mode]
    line = (image.width + 7) // 8 if depth == 0 else image.width * depth
    api.SetImageBytes(pixel_bytes(image), image.width, image.height, depth, line)


def pixel_bytes(image: Image.Image) -> bytes:
    """`image.tobytes()`, through NumPy: Pillow's tobytes encodes in chunks and joins them (10 ms an A4 page at 300
    dpi in greys), NumPy copies the pixels once (1.5 ms). A bilevel image's bits packed as Pillow packs them."""
    pixels = np.asarray(image)
    return np.packbits(pixels, axis=1).tobytes() if image.mode == "1" else pixels.tobytes()


def _box(iterator: tesserocr.PyResultIterator, level: int) -> Box:
    bbox = iterator.BoundingBox(level)
    if bbox is None:
        return Box(0, 0, 0, 0)
    left, top, right, bottom = bbox
    return Box(left, top, right, bottom)


def _baseline(iterator: tesserocr.PyResultIterator) -> tuple[float, float]:
    """hOCR-style baseline of the current line: slope, and offset from the bottom of its box."""
    points = iterator.Baseline(tesserocr.RIL.TEXTLINE)
    bbox = iterator.BoundingBox(tesserocr.RIL.TEXTLINE)
    if not points or not bbox:
        return (0.0, 0.0)
    (x1, y1), (x2, y2) = points
    slope = (y2 - y1) / (x2 - x1) if x2 != x1 else 0.0
    left, _top, _right, bottom = bbox
    return (slope, (y1 + slope * (left - x1)) - bottom)


def _drop_empty(page: Page) -> None:
    drop_empty(page)
    for line in page.lines():
        even_out(line)


T = TypeVar("T")


class Lender(Generic[T]):
    """Warm objects by key, each lent to one thread at a time and kept for the process's life: at most `keys`
    keys are kept (the least recently used one's objects are closed), of each as many objects as were ever in
    use at once. Kept per process, not per thread: a job's page threads are new with each job, and objects kept
    per thread were made again for every job (a Tesseract model load, 45-130 ms)."""

    def __init__(self, make: Callable[[str], T], close: Callable[[T], object], *, keys: int = 4) -> None:
        self._make = make
        self._close = close
        self._keys = keys
        self._idle: OrderedDict[str, list[T]] = OrderedDict()  # the least recently given back key first
        self._lock = threading.Lock()

    @contextmanager
    def lend(self, key: str) -> Iterator[T]:
        with self._lock:
            idle = self._idle.get(key)
            lent = idle.pop() if idle else None
        if lent is None:
            lent = self._make(key)
        try:
            yield lent
        finally:
            self._give_back(key, lent)

    def _give_back(self, key: str, lent: T) -> None:
        closing: list[T] = []
        with self._lock:
            self._idle.setdefault(key, []).append(lent)
            self._idle.move_to_end(key)
            while len(self._idle) > self._keys:  # a few language sets: models are large
                closing += self._idle.popitem(last=False)[1]
        for old in closing:
            self._close(old)


class EnginePool:
    """Warm engines per set of languages, each used by one thread at a time (a Lender)."""

    def __init__(self, tessdata: Path) -> None:
        self.tessdata = tessdata
        self._engines = Lender[Engine](lambda key: Engine(tessdata, key.split("+")), Engine.close)

    def lease(self, langs: list[str]) -> AbstractContextManager[Engine]:
        """`with pool.lease(langs) as engine:` an engine no other thread uses until the block ends."""
        return self._engines.lend("+".join(langs))

    def recognize(self, langs: list[str], image: Image.Image, *, dpi: float, number: int, source_index: int) -> Page:
        """One page read by a lent engine (Engine.recognize)."""
        with self.lease(langs) as engine:
            return engine.recognize(image, dpi=dpi, number=number, source_index=source_index)


def _osd(tessdata: str) -> tesserocr.PyTessBaseAPI:
    try:
        return tesserocr.PyTessBaseAPI(path=tessdata + "/", lang="osd", psm=tesserocr.PSM.OSD_ONLY)
    except RuntimeError as e:
        raise EngineError(f"Tesseract could not load its orientation model (osd): {e}") from e


_OSD = Lender[tesserocr.PyTessBaseAPI](_osd, tesserocr.PyTessBaseAPI.End)


def detect_orientation(image: Image.Image, dpi: float, tessdata: Path) -> tuple[int, float]:
    """Tesseract's orientation detection (OSD): the clockwise rotation (0, 90, 180, 270) that makes the
    page upright, and Tesseract's confidence in it (0.0 when it found too little text to tell).

    OSD instances per tessdata folder are kept warm like the engines of EnginePool."""
    with _OSD.lend(str(tessdata)) as api:
        set_pixels(api, image)
        api.SetSourceResolution(max(70, round(dpi)))
        result = api.DetectOrientationScript()
        api.Clear()
    if not result:
        return 0, 0.0
    # orient_deg is how far the image is turned clockwise from upright; undoing it is the opposite turn.
    return (360 - int(result["orient_deg"])) % 360, float(result["orient_conf"])
