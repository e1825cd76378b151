"""hOCR 1.2: the OCR result as XHTML, as Tesseract's own hOCR renderer writes it.

One `ocr_page` per page (bbox in page-raster pixels, `ppageno`, `scan_res`), then per block an `ocr_carea`,
per paragraph an `ocr_par`, per line an `ocr_line` (bbox, baseline, x_size) and per word an `ocrx_word`
(bbox and `x_wconf`, the calibrated confidence rounded to a whole number). Words under MinConfidence are left
out (Word.kept, as in every output); lines, paragraphs and blocks left without words are left out too. The
`ocr-capabilities` meta names the classes and properties used, so hocr-tools and other consumers know what to
expect. Ids are numbered per page as Tesseract numbers them (`word_1_12`: page 1, word 12).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lxml import etree

from ocrmill.domain.document import Box, Document, Line, Page
from ocrmill.writers.base import WriteContext
from ocrmill.writers.xml import software_version, xml_text

XHTML = "http://www.w3.org/1999/xhtml"
CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf"
DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">'
)


class HocrWriter:
    extension = "hocr"
    needs_page_images = False

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        root = document(doc, min_confidence=ctx.min_confidence)
        target.write_bytes(
            etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=DOCTYPE, pretty_print=True)
        )


def document(doc: Document, *, min_confidence: float) -> etree._Element:
    html = etree.Element(f"{{{XHTML}}}html", nsmap={None: XHTML})
    head = etree.SubElement(html, f"{{{XHTML}}}head")
    etree.SubElement(head, f"{{{XHTML}}}title").text = ""
    etree.SubElement(head, f"{{{XHTML}}}meta", {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    etree.SubElement(head, f"{{{XHTML}}}meta", {"name": "ocr-system", "content": f"ocrmill {software_version()}"})
    etree.SubElement(head, f"{{{XHTML}}}meta", {"name": "ocr-capabilities", "content": CAPABILITIES})
    body = etree.SubElement(html, f"{{{XHTML}}}body")
    for index, page in enumerate(doc.pages):
        _page(body, page, index, min_confidence)
    return html


def _bbox(box: Box) -> str:
    return f"bbox {box.left} {box.top} {box.right} {box.bottom}"


def _div(parent: etree._Element, tag: str, kind: str, ident: str, title: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{XHTML}}}{tag}", {"class": kind, "id": ident, "title": title})


def _page(body: etree._Element, page: Page, index: int, min_confidence: float) -> None:
    number = page.number
    dpi = round(page.dpi)
    title = f"{_bbox(Box(0, 0, page.width, page.height))}; ppageno {index}; scan_res {dpi} {dpi}"
    element = _div(body, "div", "ocr_page", f"page_{number}", title)
    counts = {"block": 0, "par": 0, "line": 0, "word": 0}

    def ident(kind: str) -> str:
        counts[kind] += 1
        return f"{kind}_{number}_{counts[kind]}"

    for block in page.blocks:
        paragraphs = [(p, [ln for ln in p.lines if _kept(ln, min_confidence)]) for p in block.paragraphs]
        paragraphs = [(p, lines) for p, lines in paragraphs if lines]
        if not paragraphs:
            continue
        area = _div(element, "div", "ocr_carea", ident("block"), _bbox(block.box))
        for para, lines in paragraphs:
            par = _div(area, "p", "ocr_par", ident("par"), _bbox(para.box))
            for line in lines:
                _line(par, line, ident, min_confidence)


def _kept(line: Line, min_confidence: float) -> bool:
    return any(w.kept(min_confidence) for w in line.words)


def _line(par: etree._Element, line: Line, ident: Callable[[str], str], min_confidence: float) -> None:
    slope, offset = line.baseline
    title = f"{_bbox(line.box)}; baseline {slope:.3f} {round(offset)}; x_size {line.box.height}"
    element = _div(par, "span", "ocr_line", ident("line"), title)
    words = [w for w in line.words if w.kept(min_confidence)]
    for i, word in enumerate(words):
        title = f"{_bbox(word.box)}; x_wconf {round(word.confidence)}"
        span = _div(element, "span", "ocrx_word", ident("word"), title)
        span.text = xml_text(word.text)
        if i < len(words) - 1:
            span.tail = " "
