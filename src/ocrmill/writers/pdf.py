"""Searchable PDF: each page's visible content with an invisible text layer from the OCR result,
laid over the page with pikepdf (a PDF input keeps its own page content; a page with its own text keeps
it as its text layer). The embedded files of the inputs the context names (an e-invoice's) are carried
over with their relationship to the document. PdfConformance 1-6 turn it into PDF/A (writers.pdfa),
with a structure tree for the level-a ones (writers.tagging)."""

from __future__ import annotations

import logging
from pathlib import Path

import pikepdf

from ocrmill.domain.document import Document
from ocrmill.domain.languages import bcp47
from ocrmill.writers import pdfa
from ocrmill.writers.base import WriteContext
from ocrmill.writers.tagging import StructureTree
from ocrmill.writers.textlayer import TextFont, text_form

log = logging.getLogger(__name__)


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

        def opened(path: Path) -> pikepdf.Pdf:
            source = sources.get(path)
            if source is None:
                source = sources[path] = pikepdf.open(path)
            return source

        try:
            with pikepdf.new() as out:
                font = TextFont(out)
                tree = StructureTree(out, lang=bcp47(ctx.options.RecognitionLanguages)) if tagged else None
                for base, page, layout in zip(ctx.bases, doc.pages, ctx.layouts, strict=True):
                    out.pages.append(opened(base.path).pages[base.index])
                    visible = out.pages[-1]
                    if page.own_text:
                        continue  # its own text is its text layer (IntelligentPDFProcessing, a born-digital invoice)
                    form, marked = text_form(out, page, font, min_confidence=ctx.min_confidence, tagged=tagged)
                    form = out.make_indirect(form)
                    if tree is not None:
                        tree.add_page(visible, form, marked, layout)
                    visible.add_overlay(form, pikepdf.Rectangle(visible.cropbox))
                font.finish()
                if tree is not None:
                    tree.finish()
                for path in ctx.embedded_files_of:
                    _carry_embedded_files(out, opened(path))
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


def _carry_embedded_files(out: pikepdf.Pdf, source: pikepdf.Pdf) -> None:
    """The source's embedded files, each file specification copied as it is (the file's bytes, /AFRelationship,
    /Desc, /Params): in the embedded-files name tree under the source's names (a file only in /AF under its file
    name), and those the source lists as the document's associated files in the catalogue's /AF too (PDF/A-3).
    A name the output has already keeps its first file. Files a broken source does not give are left out."""
    try:
        associated = source.Root.get("/AF")
        listed = list(associated) if isinstance(associated, pikepdf.Array) else []
        files: list[tuple[str, pikepdf.Object]] = [(name, spec.obj) for name, spec in source.attachments.items()]
        files += [(_file_name(spec), spec) for spec in listed if not any(_same(spec, known) for _, known in files)]
        files = [(name, spec) for name, spec in files if name and isinstance(spec, pikepdf.Dictionary)]
        if not files:
            return
        names = out.Root.get("/Names")
        if not isinstance(names, pikepdf.Dictionary):
            names = out.Root.Names = pikepdf.Dictionary()
        present = names.get("/EmbeddedFiles")
        tree = pikepdf.NameTree(present) if isinstance(present, pikepdf.Dictionary) else pikepdf.NameTree.new(out)
        names.EmbeddedFiles = tree.obj
        also_associated = []
        for name, spec in files:
            if name in tree:
                continue
            copied = out.copy_foreign(spec if spec.is_indirect else source.make_indirect(spec))  # and what it uses
            tree[name] = copied
            if any(_same(spec, item) for item in listed):
                also_associated.append(copied)
        if also_associated:
            present_af = out.Root.get("/AF")
            out.Root.AF = pikepdf.Array(
                [*(present_af if isinstance(present_af, pikepdf.Array) else []), *also_associated]
            )
    except (pikepdf.PdfError, ValueError, TypeError) as e:
        log.warning("the embedded files of %s are not all carried over: %s", source.filename, e)


def _file_name(spec: pikepdf.Object) -> str:
    """A file specification's file name, without a path."""
    if not isinstance(spec, pikepdf.Dictionary):
        return ""
    return str(spec.get("/UF", spec.get("/F", ""))).rsplit("/", 1)[-1]


def _same(a: pikepdf.Object, b: pikepdf.Object) -> bool:
    """The same file specification: one object, or (direct ones) the same file name and description."""
    if a.is_indirect or b.is_indirect:
        return a.is_indirect and b.is_indirect and a.objgen == b.objgen
    return _file_name(a) == _file_name(b) and str(a.get("/Desc", "")) == str(b.get("/Desc", ""))


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
