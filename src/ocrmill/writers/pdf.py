"""Searchable PDF: each page's visible content with an invisible text layer from the OCR result.

The text layer is drawn by OCRmyPDF's fpdf2 renderer from our words, then laid over the page
with pikepdf; a PDF input keeps its own page content.
"""

from __future__ import annotations

import logging
from pathlib import Path

import ocrmypdf
import pikepdf
from ocrmypdf.font import MultiFontManager
from ocrmypdf.fpdf_renderer import Fpdf2MultiPageRenderer
from ocrmypdf.models.ocr_element import Baseline, BoundingBox, OcrClass, OcrElement

from ocrmill.domain.document import Box, Document, Page
from ocrmill.writers.base import WriteContext

_FONT_DIR = Path(ocrmypdf.__file__).parent / "data"
logging.getLogger("fontTools").setLevel(logging.WARNING)
logging.getLogger("ocrmypdf").setLevel(logging.WARNING)


class PdfWriter:
    extension = "pdf"

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        text_layer = ctx.work_dir / "text-layer.pdf"
        pages_data = [(i, _ocr_tree(page, ctx.min_confidence), page.dpi) for i, page in enumerate(doc.pages)]
        Fpdf2MultiPageRenderer(
            pages_data=pages_data, multi_font_manager=MultiFontManager(_FONT_DIR), invisible_text=True
        ).render(text_layer)

        sources: dict[Path, pikepdf.Pdf] = {}
        try:
            with pikepdf.new() as out, pikepdf.open(text_layer) as text:
                for base, text_page in zip(ctx.bases, text.pages, strict=True):
                    source = sources.get(base.path)
                    if source is None:
                        source = sources[base.path] = pikepdf.open(base.path)
                    out.pages.append(source.pages[base.index])
                    page = out.pages[-1]
                    page.add_overlay(out.copy_foreign(text_page.as_form_xobject()), _visible_box(page))
                _metadata(out, ctx)
                out.remove_unreferenced_resources()
                out.save(
                    target,
                    min_version="1.5",
                    compress_streams=True,
                    object_stream_mode=pikepdf.ObjectStreamMode.generate,
                )
        finally:
            for pdf in sources.values():
                pdf.close()


def _visible_box(page: pikepdf.Page) -> pikepdf.Rectangle:
    return pikepdf.Rectangle(page.cropbox)


def _metadata(pdf: pikepdf.Pdf, ctx: WriteContext) -> None:
    options = ctx.options
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["xmp:CreatorTool"] = "ocrmill"
        if options.PdfTitle:
            meta["dc:title"] = options.PdfTitle
        if options.PdfSubject:
            meta["dc:description"] = options.PdfSubject
        if options.PdfAuthor:
            meta["dc:creator"] = [options.PdfAuthor]
        if options.PdfKeywords:
            meta["pdf:Keywords"] = options.PdfKeywords
        meta["pdf:Producer"] = "ocrmill"


def _bbox(box: Box) -> BoundingBox:
    return BoundingBox(left=box.left, top=box.top, right=max(box.right, box.left), bottom=max(box.bottom, box.top))


def _ocr_tree(page: Page, min_confidence: float) -> OcrElement:
    root = OcrElement(ocr_class=OcrClass.PAGE, bbox=BoundingBox(0, 0, page.width, page.height), dpi=page.dpi)
    for block in page.blocks:
        for para in block.paragraphs:
            par = OcrElement(ocr_class=OcrClass.PARAGRAPH, bbox=_bbox(para.box))
            for line in para.lines:
                words = [
                    OcrElement(ocr_class=OcrClass.WORD, bbox=_bbox(w.box), text=w.text, confidence=w.confidence / 100)
                    for w in line.words
                    if w.confidence >= min_confidence and w.box.width > 0 and w.box.height > 0
                ]
                if words:
                    slope, offset = line.baseline
                    par.children.append(
                        OcrElement(
                            ocr_class=OcrClass.LINE,
                            bbox=_bbox(line.box),
                            baseline=Baseline(slope=slope, intercept=offset),
                            children=words,
                        )
                    )
            if par.children:
                root.children.append(par)
    return root
