"""Pages whose print Tesseract missed, read whole by PP-OCR.

Tesseract reads some pages as nothing, or as a few garbage words: faint dot-matrix receipts above all, whose letters
are rows of separate dots that its layout analysis takes for specks (5 of the 250 SROIE receipts read as no word at
all, 13 as fewer than FEW_WORDS; the raw CLI reads them no better). PP-OCR's detector finds text lines by their look
rather than by connected marks, and its recogniser reads them. So a page whose first reading holds fewer than
FEW_WORDS words of letters or digits, lying flat, and that is not blank (pipeline.blank: ink that matters, faint
thermal print and broken-up dotted print included), is read whole by PP-OCR (second_reading.read_whole: detection
and recognition); its words that lie outside every word of Tesseract's join the page, line by line, each with the
confidence of the "alone" map (PP-OCR's own confidence -> share of such words right, fitted by
bench.word_calibration on the pages this rule picks). On the 50 development receipts, 4 are read so (CER 0.93-1.0
-> 0.21-0.41) and no other page of the development sets changes. Costs: a page of text holds more words than
FEW_WORDS, so a clean page costs a count of its words; a page with fewer costs the blank check (some 30 ms for an A4
page at 300 dpi), which a sparse page of text (a cover's title: less ink than the blank check's 0.5%) ends at; a
page it picks costs PP-OCR's reading (about 1 s of CPU for a receipt photo; an A4 page is read at 2.5 Mpx at most,
pipeline.lines).
"""

from __future__ import annotations

from PIL import Image

from ocrmill.domain.document import Box, Page, Word, has_text, line_block, overlaps, sideways
from ocrmill.domain.options import JobOptions
from ocrmill.pipeline.blank import is_blank
from ocrmill.pipeline.calibration import Calibration

FEW_WORDS = 20  # words of letters or digits: a page of text holds more


def sparse(page: Page) -> bool:
    """Whether Tesseract read few words of letters or digits on the page, lying flat (a page read lying on its
    side is not read again: pipeline.second_reading)."""
    words = page.words()
    return sum(has_text(w) for w in words) < FEW_WORDS and not sideways(words)


def missed(page: Page, image: Image.Image) -> bool:
    """Whether Tesseract may have missed the page's print: a sparse reading of a page that is not blank."""
    return sparse(page) and not is_blank(
        image, page.dpi, max_noise_percent=JobOptions().BlankPagesMaxNoise, has_words=False, has_barcode=False
    )


def outside(lines: list[list[Word]], boxes: list[Box]) -> list[list[Word]]:
    """The words of `lines` that overlap none of `boxes` (Tesseract's words), line by line; empty lines dropped."""
    return [kept for words in lines if (kept := [w for w in words if not any(overlaps(w.box, b) for b in boxes)])]


def joined(page: Page, lines: list[list[Word]], table: Calibration) -> Page:
    """`page` with `lines` (PP-OCR's words, their own confidences) added as blocks of one line each, every word's
    confidence by `table` (the "alone" map). In place."""
    for words in lines:
        for word in words:
            word.confidence = table.of(word.confidence, word.text)
        page.blocks.append(line_block(words))
    return page
