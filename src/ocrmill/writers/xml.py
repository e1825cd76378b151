"""ALTO 4.4 XML: the OCR result word by word, boxes in page-raster pixels, one Page per page.

Each Page's PrintSpace covers everything placed on it. ALTO has no paragraph level, so each paragraph
of the OCR result is a TextBlock; its lines are TextLines and its words at or above MinConfidence are
Strings (WC is the word's confidence / 100), with an SP between two words. Lines and paragraphs left
without words are left out. A TextLine has a BASELINE (ALTO 4.2+ form: a polyline "x1,y1 x2,y2") when
the line's baseline lies within the line's box, as every baseline Tesseract reports does. Each String
refers by STYLEREFS to the TextStyle of its font size; words of unknown size have none.

Barcodes (DetectBarcodes on, and the context carries them): each is an Illustration TYPE="Barcode" at
the barcode's box in its page's PrintSpace, whose TAGREFS names an OtherTag (TYPE "Barcode") with the
decoded value as LABEL and the symbology as DESCRIPTION. Not a ComposedBlock with the value in a
String, because:
- a barcode is a graphic on the page, not printed text: ALTO readers build a page's text and search
  index from its Strings, which therefore stay exactly the recognised words;
- the value is kept whole in one attribute instead of being one "word", and the symbology has a place;
- Tags referred to by TAGREFS are ALTO 4's way of attaching information that is not text.

XML 1.0 cannot carry control characters even as references (GS1 barcodes separate fields with GS), so
C0 control characters are written as their Unicode control pictures (GS becomes U+241D) and other
unrepresentable characters as U+FFFD.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from lxml import etree

from ocrmill.domain.barcodes import type_name
from ocrmill.domain.document import Box, Document, Line, Page, Word, union
from ocrmill.domain.scripts import spaced
from ocrmill.writers.base import WriteContext

NS = "http://www.loc.gov/standards/alto/ns-v4#"
SCHEMA_VERSION = "4.4"
SCHEMA_URL = "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

Barcode = Mapping[str, object]

# Characters XML 1.0 does not allow: C0 controls other than tab, LF and CR; surrogates; U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class XmlWriter:
    extension = "xml"
    needs_page_images = False

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        barcodes: list[Barcode] = list(ctx.barcodes) if ctx.options.DetectBarcodes else []
        root = _Alto(min_confidence=ctx.min_confidence).document(doc, barcodes, now=datetime.now(UTC))
        etree.ElementTree(root).write(str(target), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def software_version() -> str:
    """The version the API reports (ocrmill.service.server.version()), read the same way: importing the
    service layer would pull the database and web stack into every worker that writes a file."""
    try:
        return "v" + package_version("ocrmill")
    except PackageNotFoundError:
        return "unknown"


class _Alto:
    """Builds one ALTO document: numbers each page's elements and collects the text styles and tags
    that the pages refer to. Every element is made in its place under the root, so the namespace is
    declared once."""

    def __init__(self, *, min_confidence: float) -> None:
        self.min_confidence = min_confidence
        self.style_ids: dict[float, str] = {}  # font size (pt) -> TextStyle ID
        self.root = etree.Element(_q("alto"), nsmap={None: NS, "xsi": _XSI})
        self.root.set("SCHEMAVERSION", SCHEMA_VERSION)
        self.root.set(f"{{{_XSI}}}schemaLocation", f"{NS} {SCHEMA_URL}")
        self.description = _sub(self.root, "Description")
        self.styles = _sub(self.root, "Styles")
        self.tags = _sub(self.root, "Tags")
        self.layout = _sub(self.root, "Layout")

    def document(self, doc: Document, barcodes: list[Barcode], *, now: datetime) -> etree._Element:
        _describe(self.description, doc, now)
        for page in doc.pages:
            self.page(page, [b for b in barcodes if b.get("PageNo") == page.number])
        for size, style_id in sorted(self.style_ids.items()):
            _sub(self.styles, "TextStyle", ID=style_id, FONTSIZE=_num(size))
        for optional in (self.styles, self.tags):
            if not len(optional):
                self.root.remove(optional)
        return self.root

    def page(self, page: Page, barcodes: list[Barcode]) -> None:
        pid = f"P{page.number}"
        attributes = {
            "ID": pid,
            "PHYSICAL_IMG_NR": str(page.number),
            "WIDTH": str(page.width),
            "HEIGHT": str(page.height),
        }
        space = _sub(_sub(self.layout, "Page", **attributes), "PrintSpace", ID=f"{pid}_PS")
        covered: list[Box] = []
        blocks = 0
        for block in page.blocks:
            for para in block.paragraphs:
                lines = [(line, words) for line in para.lines if (words := self.kept(line))]
                if not lines:
                    continue
                blocks += 1
                bid = f"{pid}_B{blocks}"
                text_block = _sub(space, "TextBlock", ID=bid, **_box(para.box))
                for n, (line, words) in enumerate(lines, start=1):
                    self.line(text_block, f"{bid}_L{n}", line, words)
                covered.append(para.box)
        for n, barcode in enumerate(barcodes, start=1):
            box = self.barcode(space, f"{pid}_BC{n}", barcode)
            if box is not None:
                covered.append(box)
        space.attrib.update(_box(_union(covered)))

    def kept(self, line: Line) -> list[Word]:
        return [w for w in line.words if w.kept(self.min_confidence)]

    def line(self, block: etree._Element, lid: str, line: Line, words: list[Word]) -> None:
        text_line = _sub(block, "TextLine", ID=lid, **_box(line.box))
        baseline = _baseline(line)
        if baseline:
            text_line.set("BASELINE", baseline)
        previous: Word | None = None
        for n, word in enumerate(words, start=1):
            if previous is not None and spaced(previous.text, word.text):  # none between Chinese or Japanese words
                # the space between the two words: left of the previous one in a right-to-left line
                first, second = (previous, word) if previous.box.left <= word.box.left else (word, previous)
                gap = max(0, second.box.left - first.box.right)
                _sub(text_line, "SP", HPOS=str(first.box.right), VPOS=str(line.box.top), WIDTH=str(gap))
            previous = word
            string = _sub(text_line, "String", ID=f"{lid}_S{n}", CONTENT=xml_text(word.text), **_box(word.box))
            string.set("WC", _num(min(1.0, max(0.0, word.confidence / 100))))
            style = self.style(word.font_size)
            if style:
                string.set("STYLEREFS", style)

    def style(self, font_size: float) -> str:
        size = round(font_size, 1)
        if size <= 0:
            return ""
        return self.style_ids.setdefault(size, f"FONT{_num(size)}")

    def barcode(self, space: etree._Element, bid: str, barcode: Barcode) -> Box | None:
        tag_id = f"TAG_{bid}"
        tag = _sub(self.tags, "OtherTag", ID=tag_id, TYPE="Barcode", LABEL=xml_text(str(barcode.get("Value", ""))))
        symbology = type_name(barcode.get("Type"))
        if symbology:
            tag.set("DESCRIPTION", xml_text(symbology))
        box = _barcode_box(barcode)
        _sub(space, "Illustration", ID=bid, TAGREFS=tag_id, TYPE="Barcode", **(_box(box) if box else {}))
        return box


def _describe(description: etree._Element, doc: Document, now: datetime) -> None:
    _sub(description, "MeasurementUnit").text = "pixel"
    source = _sub(description, "sourceImageInformation")
    if len(doc.pages) == 1:
        _sub(source, "fileName").text = f"page-{doc.pages[0].number}"
    else:  # one fileName only: name each page's image by an identifier instead
        for page in doc.pages:
            _sub(source, "fileIdentifier", fileIdentifierLocation="ocrmill").text = f"page-{page.number}"
    step = _sub(_sub(description, "OCRProcessing", ID="OCR_1"), "ocrProcessingStep")
    _sub(step, "processingDateTime").text = now.replace(microsecond=0).isoformat()
    software = _sub(step, "processingSoftware")
    _sub(software, "softwareCreator").text = "ocrmill"
    _sub(software, "softwareName").text = "ocrmill"
    _sub(software, "softwareVersion").text = software_version()


def _baseline(line: Line) -> str:
    """The line's baseline as an ALTO polyline across its box, or "" when it does not lie within the box
    (or the box is empty): then there is nothing sure to say."""
    box = line.box
    slope, offset = line.baseline
    left_y = box.bottom + offset
    right_y = left_y + slope * box.width
    if box.width <= 0 or box.height <= 0 or not all(box.top <= y <= box.bottom for y in (left_y, right_y)):
        return ""
    return f"{box.left},{round(left_y)} {box.right},{round(right_y)}"


def _barcode_box(barcode: Barcode) -> Box | None:
    values = [barcode.get(key) for key in ("X", "Y", "Width", "Height")]
    numbers = [round(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != 4:
        return None
    left, top, width, height = numbers
    return Box(left, top, left + max(0, width), top + max(0, height))


def _union(boxes: list[Box]) -> Box:
    return union(boxes) if boxes else Box(0, 0, 0, 0)


def xml_text(text: str) -> str:
    """`text` with each character XML 1.0 cannot carry replaced by a visible stand-in."""
    return _NOT_XML.sub(_stand_in, text)


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else "\ufffd"


def _box(box: Box) -> dict[str, str]:
    return {"HPOS": str(box.left), "VPOS": str(box.top), "WIDTH": str(box.width), "HEIGHT": str(box.height)}


def _num(value: float) -> str:
    """At most three decimals, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, _q(tag), attributes)
