"""Searchable PDF: each page's visible content with an invisible text layer from the OCR result,
laid over the page with pikepdf (a PDF input keeps its own page content). PdfConformance 1-6 turn
it into PDF/A (writers.pdfa), with a structure tree for the level-a ones (writers.tagging)."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from ocrmill.domain.document import Document
from ocrmill.domain.languages import bcp47
from ocrmill.writers import pdfa
from ocrmill.writers.base import WriteContext
from ocrmill.writers.tagging import StructureTree
from ocrmill.writers.textlayer import add_font, text_form


class PdfWriter:
    extension = "pdf"
    needs_page_images = False

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        level = pdfa.LEVELS.get(ctx.options.PdfConformance)
        if level is None:
            self._searchable(doc, ctx, target, tagged=False)
            return
        plain = ctx.work_dir / "searchable.pdf"
        self._searchable(doc, ctx, plain, tagged=level.conformance == "A")
        pdfa.convert(plain, target, level, ctx.options)

    def _searchable(self, doc: Document, ctx: WriteContext, target: Path, *, tagged: bool) -> None:
        sources: dict[Path, pikepdf.Pdf] = {}
        try:
            with pikepdf.new() as out:
                font = add_font(out)
                tree = StructureTree(out, lang=bcp47(ctx.options.RecognitionLanguages)) if tagged else None
                for base, page, layout in zip(ctx.bases, doc.pages, ctx.layouts, strict=True):
                    source = sources.get(base.path)
                    if source is None:
                        source = sources[base.path] = pikepdf.open(base.path)
                    out.pages.append(source.pages[base.index])
                    visible = out.pages[-1]
                    if page.own_text:
                        continue  # the page's own text is its text layer (IntelligentPDFProcessing)
                    form, marked = text_form(out, page, font, min_confidence=ctx.min_confidence, tagged=tagged)
                    form = out.make_indirect(form)
                    if tree is not None:
                        tree.add_page(visible, form, marked, layout)
                    visible.add_overlay(form, pikepdf.Rectangle(visible.cropbox))
                if tree is not None:
                    tree.finish()
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


def _metadata(pdf: pikepdf.Pdf, ctx: WriteContext) -> None:
    """The document properties in the XMP and, kept in step by pikepdf, the Info dictionary."""
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
