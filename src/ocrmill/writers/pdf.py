"""Searchable PDF: each page's visible content with an invisible text layer from the OCR result,
laid over the page with pikepdf (a PDF input keeps its own page content)."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from ocrmill.domain.document import Document
from ocrmill.writers.base import WriteContext
from ocrmill.writers.textlayer import add_font, text_form


class PdfWriter:
    extension = "pdf"

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        sources: dict[Path, pikepdf.Pdf] = {}
        try:
            with pikepdf.new() as out:
                font = add_font(out)
                for base, page in zip(ctx.bases, doc.pages, strict=True):
                    source = sources.get(base.path)
                    if source is None:
                        source = sources[base.path] = pikepdf.open(base.path)
                    out.pages.append(source.pages[base.index])
                    visible = out.pages[-1]
                    form = text_form(out, page, font, min_confidence=ctx.min_confidence)
                    visible.add_overlay(form, pikepdf.Rectangle(visible.cropbox))
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
