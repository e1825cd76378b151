"""Pages whose print Tesseract missed, read whole by PP-OCR.

Tesseract reads some pages as nothing, or as a few garbage words: faint dot-matrix receipts above all, whose letters
are rows of separate dots that its layout analysis takes for specks (5 of the 250 SROIE receipts read as no word at
all, 13 as fewer than FEW_WORDS; the raw CLI reads them no better). PP-OCR's detector finds text lines by their look
rather than by connected marks, and its recogniser reads them. So a page whose first reading holds fewer than
FEW_WORDS words of letters or digits, and that is not blank (pipeline.blank: ink that matters, faint thermal print
and broken-up dotted print included), is read whole by PP-OCR (pipeline.lines: detection and recognition); its
words that lie outside every word of Tesseract's join the page, line by line, each with the confidence of the
"alone" map (PP-OCR's own confidence -> share of such words right, fitted by bench.word_calibration on the pages
this rule picks). On the 50 development receipts, 4 are read so (CER 0.93-1.0 -> 0.21-0.41) and no other page of
the development sets changes. Costs: a page of text holds more words than FEW_WORDS, so a clean page costs a count
of its words; a page with fewer costs the blank check (some 30 ms for an A4 page at 300 dpi), which a sparse page of
text (a cover's title: less ink than the blank check's 0.5%) ends at; a page it picks costs PP-OCR's reading (about
1 s of CPU for a receipt photo; an A4 page is read at 2.5 Mpx at most, pipeline.lines).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word, union
from ocrmill.domain.options import JobOptions
from ocrmill.pipeline.blank import is_blank
from ocrmill.pipeline.calibration import Calibration

FEW_WORDS = 20  # words of letters or digits: a page of text holds more


def has_text(word: Word) -> bool:
    return any(c.isalnum() for c in word.text)


def missed(page: Page, image: Image.Image) -> bool:
    """Whether Tesseract may have missed the page's print: few words of letters or digits on a page not blank."""
    if sum(has_text(w) for w in page.words()) >= FEW_WORDS:
        return False
    return not is_blank(
        image, page.dpi, max_noise_percent=JobOptions().BlankPagesMaxNoise, has_words=False, has_barcode=False
    )


def read_whole(image: Image.Image, page: Page) -> list[list[Word]]:
    """PP-OCR's lines of the page (detection and recognition), words with PP-OCR's own confidences."""
    from ocrmill.pipeline.lines import line_reader  # ONNX Runtime and the models: loaded on first use

    rgb = np.asarray(image.convert("RGB") if image.mode != "RGB" else image)
    found = line_reader().read(rgb, dpi=page.dpi, number=page.number, source_index=page.source_index)
    return [line.words for line in found.lines()]


def outside(lines: list[list[Word]], boxes: list[Box]) -> list[list[Word]]:
    """The words of `lines` that overlap none of `boxes` (Tesseract's words), line by line; empty lines dropped."""

    def free(word: Word) -> bool:
        return not any(_overlap(word.box, box) for box in boxes)

    return [kept for words in lines if (kept := [w for w in words if free(w)])]


def joined(page: Page, lines: list[list[Word]], table: Calibration) -> Page:
    """`page` with `lines` (PP-OCR's words, their own confidences) added as blocks of one line each, every word's
    confidence by `table` (the "alone" map). In place."""
    for words in lines:
        for word in words:
            word.confidence = table.of(word.confidence, word.text)
        box = union(w.box for w in words)
        page.blocks.append(Block(box=box, paragraphs=[Paragraph(box=box, lines=[Line(box=box, words=words)])]))
    return page


def _overlap(a: Box, b: Box) -> bool:
    return min(a.right, b.right) > max(a.left, b.left) and min(a.bottom, b.bottom) > max(a.top, b.top)
