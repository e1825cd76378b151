"""The invisible text layer of a searchable PDF, drawn from the OCR words.

As Tesseract's own PDF renderer does it: a glyphless CID font (every glyph blank and half an em
wide, embedded, with an identity ToUnicode map so text extraction yields the words) and each word
horizontally scaled (Tz) to exactly its box, with an explicit space between words.
"""

from __future__ import annotations

import functools
import io
import zlib
from dataclasses import dataclass

import pikepdf
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from pikepdf import Array, Dictionary, Name

from ocrmill.domain.document import Line, Page, Paragraph

FONT = "OcrText"  # resource name of the font in each text form
_HALF_EM = 0.5  # every glyph's advance, in ems
# Like a common text face: ascent 0.8 em, descent 0.2 em.
_ASCENT, _DESCENT = 800, -200

_TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


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


def add_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """The glyphless font as an indirect object of `pdf`, to be shared by every page."""
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
        ToUnicode=pdf.make_stream(_TO_UNICODE),
    )
    return pdf.make_indirect(font)


@dataclass(frozen=True)
class Marked:
    """One marked-content sequence of a tagged text layer: a paragraph, its MCID and its text."""

    mcid: int
    paragraph: Paragraph
    text: str


def text_form(
    pdf: pikepdf.Pdf, page: Page, font: pikepdf.Object, *, min_confidence: float, tagged: bool = False
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
                ops += _line_ops(line, scale, height, min_confidence)
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
        Resources=Dictionary(Font=Dictionary({f"/{FONT}": font})),
        Filter=Name.FlateDecode,
    )
    return form, marked


def _line_ops(line: Line, scale: float, height: float, min_confidence: float) -> list[str]:
    words = [w for w in line.words if w.kept(min_confidence)]
    if not words:
        return []
    slope, offset = line.baseline
    ops: list[str] = []
    for i, word in enumerate(words):
        baseline = line.box.bottom + offset + slope * (word.box.left - line.box.left)
        # the word's top is at the font's ascent above the baseline, as text extraction measures it
        size = max(1.0, (baseline - word.box.top) * scale * 1000 / _ASCENT)
        text = _hex(word.text)
        chars = len(text) // 4
        stretch = 100 * word.box.width * scale / (chars * size * _HALF_EM)
        x, y = word.box.left * scale, height - baseline * scale
        ops.append(f"/{FONT} {size:.2f} Tf {stretch:.2f} Tz 1 0 0 1 {x:.2f} {y:.2f} Tm <{text}> Tj\n")
        if i + 1 < len(words):
            gap = max(1, words[i + 1].box.left - word.box.right) * scale
            ops.append(f"{100 * gap / (size * _HALF_EM):.2f} Tz <0020> Tj\n")
    return ops


def _hex(text: str) -> str:
    """UTF-16BE code units as hex; characters beyond the BMP become U+FFFD (one CID each)."""
    return "".join(f"{ord(c):04X}" if ord(c) <= 0xFFFF else "FFFD" for c in text)
