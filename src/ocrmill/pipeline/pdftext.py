"""The text a PDF page already carries, as an OCR-shaped Page (IntelligentPDFProcessing).

pdfium reads the page's characters with their boxes; characters become words at spaces, words become
lines at pdfium's line breaks, lines become paragraphs where the gap between them is wider than a
line. Confidence is 100: the text is the document's own. A page whose text is missing, too short, or
mostly without a Unicode mapping (a font without ToUnicode yields U+FFFD or control characters, or
byte-swapped letters) is reported as having no text, so it is OCRed like a scan. Rotated pages are
OCRed too.
"""

from __future__ import annotations

import statistics

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word, union
from ocrmill.pipeline.pages import PDFIUM_LOCK, PageRef

MIN_CHARACTERS = 20  # fewer visible characters than this: a scan with a stray label, OCR it
MAX_UNMAPPED = 0.1  # share of characters without a usable Unicode value


def own_text_page(ref: PageRef, *, dpi: float) -> Page | None:
    """The page's text in raster pixels at `dpi`, or None when the page should be OCRed."""
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(ref.file)
        try:
            page = pdf[ref.index]
            if page.get_rotation() != 0:
                return None
            left, bottom, right, top = page.get_cropbox()
            text = page.get_textpage()
            chars = [
                (text.get_text_range(i, 1), text.get_charbox(i), pdfium_c.FPDFText_GetFontSize(text, i))
                for i in range(text.count_chars())
            ]
            text.close()
            page.close()
        finally:
            pdf.close()
    visible = [c for c, _, _ in chars if c.strip()]
    unmapped = sum(1 for c in visible if _unmapped(c))
    if len(visible) < MIN_CHARACTERS or unmapped > MAX_UNMAPPED * len(visible):
        return None
    scale = dpi / 72.0
    result = Page(
        number=ref.source_index + 1,
        width=round((right - left) * scale),
        height=round((top - bottom) * scale),
        dpi=dpi,
        source_index=ref.source_index,
        own_text=True,
    )

    def box(x0: float, y0: float, x1: float, y1: float) -> Box:
        return Box(round((x0 - left) * scale), round((top - y1) * scale), round((x1 - left) * scale),
                   round((top - y0) * scale))  # fmt: skip

    lines: list[Line] = []
    word_chars: list[tuple[str, tuple[float, float, float, float], float]] = []
    words: list[Word] = []

    def end_word() -> None:
        if word_chars:
            x0 = min(b[0] for _, b, _ in word_chars)
            y0 = min(b[1] for _, b, _ in word_chars)
            x1 = max(b[2] for _, b, _ in word_chars)
            y1 = max(b[3] for _, b, _ in word_chars)
            size = statistics.median(s for _, _, s in word_chars)
            words.append(Word("".join(c for c, _, _ in word_chars), box(x0, y0, x1, y1), 100.0, round(size, 1)))
            word_chars.clear()

    def end_line() -> None:
        end_word()
        if words:
            lines.append(Line(box=union([w.box for w in words]), words=list(words)))
            words.clear()

    for char, charbox, size in chars:
        if char in ("\r", "\n"):
            end_line()
        elif not char.strip():
            end_word()
        else:
            word_chars.append((char, charbox, size))
    end_line()
    result.blocks = _paragraphs(lines)
    return result


def _unmapped(char: str) -> bool:
    """A character that is no real text: the replacement character, a control character, private
    use, or a byte-swapped Latin letter (U+4D00 for "M": a broken ToUnicode map)."""
    code = ord(char)
    return char == "\ufffd" or code < 32 or 0xE000 <= code <= 0xF8FF or (code > 0xFF and code & 0xFF == 0)


def _paragraphs(lines: list[Line]) -> list[Block]:
    """Consecutive lines a line's height or less apart, left edges roughly aligned, form a paragraph."""
    blocks: list[Block] = []
    current: list[Line] = []
    for line in lines:
        if current:
            previous = current[-1]
            gap = line.box.top - previous.box.bottom
            height = max(1, previous.box.height)
            if gap > height or gap < -height or abs(line.box.left - current[0].box.left) > 4 * height:
                blocks.append(_block(current))
                current = []
        current.append(line)
    if current:
        blocks.append(_block(current))
    return blocks


def _block(lines: list[Line]) -> Block:
    box = union([ln.box for ln in lines])
    return Block(box=box, paragraphs=[Paragraph(box=box, lines=lines)])
