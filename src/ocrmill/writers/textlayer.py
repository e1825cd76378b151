"""The invisible text layer of a searchable PDF, drawn from the OCR words.

As Tesseract's own PDF renderer does it: a glyphless CID font (every glyph blank and half an em
wide, embedded, with an identity ToUnicode map so text extraction yields the words) and each word
horizontally scaled (Tz) to exactly its box, with an explicit space between words (none between Chinese or
Japanese words). A right-to-left word (Arabic, Hebrew) is drawn in visual order, which viewers turn back into
logical order; a vertical line of Chinese or Japanese runs down the page.
"""

from __future__ import annotations

import functools
import io
import statistics
import zlib
from dataclasses import dataclass

import pikepdf
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from pikepdf import Array, Dictionary, Name

from ocrmill.domain.document import Line, Page, Paragraph, Word
from ocrmill.domain.scripts import reordered, spaced, unspaced

FONT = "OcrText"  # resource name of the font in each text form
_HALF_EM = 0.5  # every glyph's advance, in ems
# Like a common text face: ascent 0.8 em, descent 0.2 em.
_ASCENT, _DESCENT = 800, -200

# Character codes are UTF-16 code units, so that the identity maps them to their characters; the codes of the
# surrogates (U+D800-DFFF, never characters of their own) stand for the characters beyond the BMP (CJK extension
# ideographs, ...), one code each, mapped by the document's own entries.
_TO_UNICODE_HEAD = """/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
2 beginbfrange
<0000> <D7FF> <0000>
<E000> <FFFF> <E000>
endbfrange
"""
_TO_UNICODE_TAIL = """endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""
_ASTRAL_CODES = range(0xD800, 0xE000)
_BFCHAR_BLOCK = 100  # entries a bfchar block may hold


@functools.cache
def _font_program() -> bytes:
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "blank"])
    builder.setupCharacterMap({})
    empty = TTGlyphPen(None).glyph()
    builder.setupGlyf({".notdef": empty, "blank": empty})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "blank": (500, 0)})
    builder.setupHorizontalHeader(ascent=_ASCENT, descent=_DESCENT)
    builder.setupNameTable({"familyName": "GlyphLessFont", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=_ASCENT, sTypoDescender=_DESCENT, usWinAscent=_ASCENT, usWinDescent=-_DESCENT)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


@functools.cache
def _cid_to_gid() -> bytes:
    return zlib.compress(b"\x00\x01" * 65536, 9)  # every character code draws glyph 1


class TextFont:
    """The glyphless font of one PDF, shared by its pages, and the character codes its text is written in.

    `finish` writes the font's ToUnicode map once every page is written: it names the characters beyond the BMP
    the pages use."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self._to_unicode = pdf.make_stream(b"")
        self.obj = _font(pdf, self._to_unicode)
        self._astral: dict[str, int] = {}

    def hex(self, text: str) -> str:
        """The text's character codes as hex, one code (4 hex digits) a character."""
        return "".join(self._code(ch) for ch in text)

    def _code(self, ch: str) -> str:
        code = ord(ch)
        if code <= 0xFFFF:
            return f"{code:04X}" if code not in _ASTRAL_CODES else "FFFD"
        if ch not in self._astral:
            if len(self._astral) == len(_ASTRAL_CODES):
                return "FFFD"  # more characters beyond the BMP than codes for them: a replacement character
            self._astral[ch] = _ASTRAL_CODES[len(self._astral)]
        return f"{self._astral[ch]:04X}"

    def finish(self) -> None:
        entries = [f"<{code:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for ch, code in self._astral.items()]
        blocks = [entries[i : i + _BFCHAR_BLOCK] for i in range(0, len(entries), _BFCHAR_BLOCK)]
        chars = "".join(f"{len(b)} beginbfchar\n" + "\n".join(b) + "\nendbfchar\n" for b in blocks)
        self._to_unicode.write((_TO_UNICODE_HEAD + chars + _TO_UNICODE_TAIL).encode("ascii"))


def _font(pdf: pikepdf.Pdf, to_unicode: pikepdf.Stream) -> pikepdf.Object:
    """The glyphless font as an indirect object of `pdf`."""
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name("/GlyphLessFont"),
        Flags=5,
        FontBBox=Array([0, _DESCENT, 500, _ASCENT]),
        ItalicAngle=0,
        Ascent=_ASCENT,
        Descent=_DESCENT,
        CapHeight=_ASCENT,
        StemV=80,
        FontFile2=pikepdf.Stream(pdf, _font_program()),
    )
    cid_font = Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType2,
        BaseFont=Name("/GlyphLessFont"),
        CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=500,
        CIDToGIDMap=pdf.make_stream(_cid_to_gid(), Filter=Name.FlateDecode),
    )
    font = Dictionary(
        Type=Name.Font,
        Subtype=Name.Type0,
        BaseFont=Name("/GlyphLessFont"),
        Encoding=Name("/Identity-H"),
        DescendantFonts=Array([pdf.make_indirect(cid_font)]),
        ToUnicode=to_unicode,
    )
    return pdf.make_indirect(font)


@dataclass(frozen=True)
class Marked:
    """One marked-content sequence of a tagged text layer: a paragraph, its MCID and its text."""

    mcid: int
    paragraph: Paragraph
    text: str


def text_form(
    pdf: pikepdf.Pdf, page: Page, font: TextFont, *, min_confidence: float, tagged: bool = False
) -> tuple[pikepdf.Stream, list[Marked]]:
    """A form XObject the size of the page (in points) holding its invisible words.

    Tagged (for PDF/A level a): each paragraph is a marked-content sequence `/P <</MCID n>> BDC`,
    so that a structure element can claim it; the sequences are returned in content order."""
    scale = 72.0 / page.dpi
    height = page.height * scale
    parts: list[str] = []
    marked: list[Marked] = []
    for block in page.blocks:
        for para in block.paragraphs:
            ops: list[str] = []
            for line in para.lines:
                ops += _line_ops(line, font, scale, height, min_confidence)
            if not ops:
                continue
            if tagged:
                text = " ".join(t for t in (ln.text(min_confidence) for ln in para.lines) if t)
                marked.append(Marked(len(marked), para, text))
                parts.append(f"/P <</MCID {len(marked) - 1}>> BDC\nBT\n3 Tr\n{''.join(ops)}ET\nEMC\n")
            else:
                parts.append("".join(ops))
    if tagged:
        content = "".join(parts).encode("ascii")
    else:
        content = ("BT\n3 Tr\n" + "".join(parts) + "ET\n").encode("ascii") if parts else b""
    form = pdf.make_stream(
        zlib.compress(content),
        Type=Name.XObject,
        Subtype=Name.Form,
        BBox=Array([0, 0, page.width * scale, height]),
        Resources=Dictionary(Font=Dictionary({f"/{FONT}": font.obj})),
        Filter=Name.FlateDecode,
    )
    return form, marked


def _line_ops(line: Line, font: TextFont, scale: float, height: float, min_confidence: float) -> list[str]:
    words = [w for w in line.words if w.kept(min_confidence)]
    if not words:
        return []
    if line.box.height > line.box.width and any(unspaced(ch) for w in words for ch in w.text):
        return _vertical_line_ops(line, words, font, scale, height)
    slope, offset = line.baseline

    def baseline(word: Word) -> float:
        return line.box.bottom + offset + slope * (word.box.left - line.box.left)

    # one size for the line: the word's top is at the font's ascent above the baseline, as text extraction measures
    # it, and a viewer keeps words of one size on one baseline together as a line (a CJK line is many short words:
    # sized each its own, "。" or "一" would fall out of it)
    size = max(1.0, statistics.median(baseline(w) - w.box.top for w in words) * scale * 1000 / _ASCENT)
    ops: list[str] = []
    for i, word in enumerate(words):
        # a right-to-left word is drawn in visual order, left to right like every word here, so that viewers
        # (whose bidi algorithm turns it back) search and copy it in logical order
        text = font.hex(reordered(word.text))
        chars = len(text) // 4
        stretch = 100 * word.box.width * scale / (chars * size * _HALF_EM)
        x, y = word.box.left * scale, height - baseline(word) * scale
        ops.append(f"/{FONT} {size:.2f} Tf {stretch:.2f} Tz 1 0 0 1 {x:.2f} {y:.2f} Tm <{text}> Tj\n")
        following = words[i + 1] if i + 1 < len(words) else None
        if following is None:
            continue
        # the gap after the word, on the side where the next word is (left of it when right to left)
        gap = max(1, following.box.left - word.box.right, word.box.left - following.box.right) * scale
        # a space fills it; between Chinese or Japanese words only where a word left out (MinConfidence) leaves a
        # hole, which viewers would otherwise take for the edge of a column
        if spaced(word.text, following.text) or gap > size * _HALF_EM:
            ops.append(f"{100 * gap / (size * _HALF_EM):.2f} Tz <0020> Tj\n")
    return ops


def _vertical_line_ops(line: Line, words: list[Word], font: TextFont, scale: float, height: float) -> list[str]:
    """A vertical line (Chinese, Japanese): the text runs down the page (the text matrix turns it a quarter
    clockwise), its baseline at the line's left edge and the glyphs' ascent across the line's width."""
    size = max(1.0, line.box.width * scale * 1000 / _ASCENT)
    x = line.box.left * scale
    ops: list[str] = []
    for word in words:
        text = font.hex(word.text)
        stretch = 100 * word.box.height * scale / (len(text) // 4 * size * _HALF_EM)
        y = height - word.box.top * scale
        ops.append(f"/{FONT} {size:.2f} Tf {stretch:.2f} Tz 0 -1 1 0 {x:.2f} {y:.2f} Tm <{text}> Tj\n")
    return ops
