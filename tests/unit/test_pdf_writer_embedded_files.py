"""The PDF writer with born-digital pages and the embedded files of an input (an e-invoice's): each page kept as it
is, each embedded file carried over byte for byte with its relationship (names tree and the catalogue's /AF)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from ocrmill.domain.document import Document
from ocrmill.domain.options import JobOptions
from ocrmill.pipeline.pages import PageRef
from ocrmill.pipeline.pdftext import own_text_page
from ocrmill.writers.base import PageBase, WriteContext
from ocrmill.writers.pdf import PdfWriter
from tests.consumers import pdftotext
from tests.harness import DATA

EINFACH = DATA / "invoices-zugferd" / "EN16931_Einfach.pdf"
REISEKOSTEN = DATA / "invoices-zugferd" / "EN16931_Reisekostenabrechnung.pdf"  # the XML and two receipts (PDFs)


def born_digital(pdf: Path, tmp_path: Path, *, carry: list[Path]) -> Path:
    """Every page of `pdf` as the invoice worker writes a page with its own text, with `carry`'s embedded files."""
    with pikepdf.open(pdf) as source:
        count = len(source.pages)
    doc, bases = Document(), []
    for index in range(count):
        page = own_text_page(PageRef(pdf, "pdf", index, index), dpi=300)
        assert page is not None, f"page {index + 1} of {pdf.name} has its own text"
        doc.pages.append(page)
        bases.append(PageBase(pdf, index))
    ctx = WriteContext(
        options=JobOptions(PdfOutput=True), work_dir=tmp_path, bases=bases, doc=doc, embedded_files_of=carry
    )
    target = tmp_path / "out.pdf"
    PdfWriter().write(doc, ctx, target)
    return target


def embedded(pdf: pikepdf.Pdf) -> dict[str, tuple[bytes, str, str]]:
    """name: (file bytes, AFRelationship, Desc) of each file in the names tree."""
    return {
        name: (spec.get_file().read_bytes(), str(spec.obj.get("/AFRelationship")), str(spec.obj.get("/Desc")))
        for name, spec in pdf.attachments.items()
    }


def associated(pdf: pikepdf.Pdf) -> list[str]:
    return [str(spec.UF) for spec in pdf.Root.get("/AF", pikepdf.Array())]


@pytest.mark.parametrize("pdf", [EINFACH, REISEKOSTEN], ids=lambda p: p.stem)
def test_embedded_files_are_carried_with_their_relationship(pdf: Path, tmp_path: Path) -> None:
    out = born_digital(pdf, tmp_path, carry=[pdf])
    with pikepdf.open(pdf) as source, pikepdf.open(out) as result:
        assert embedded(result) == embedded(source)
        assert "factur-x.xml" in embedded(result)
        assert associated(result) == associated(source)
        # the /AF entries are the very file specifications of the names tree, as PDF/A-3 has them
        named = {spec.obj.objgen for spec in result.attachments.values()}
        assert {spec.objgen for spec in result.Root.AF} == named


def test_born_digital_pages_are_kept_as_they_are(tmp_path: Path) -> None:
    out = born_digital(EINFACH, tmp_path, carry=[])
    with pikepdf.open(EINFACH) as source, pikepdf.open(out) as result:
        assert len(result.pages) == len(source.pages)
        for mine, theirs in zip(result.pages, source.pages, strict=True):
            assert pikepdf.unparse_content_stream(pikepdf.parse_content_stream(mine)) == (
                pikepdf.unparse_content_stream(pikepdf.parse_content_stream(theirs))
            )
            assert not mine.get_images()
        assert not result.attachments and "/AF" not in result.Root
    assert out.stat().st_size < 1.2 * EINFACH.stat().st_size
    assert pdftotext(out).count("471102") == pdftotext(EINFACH).count("471102") > 0  # no second text layer


def test_a_file_only_among_the_associated_files_is_named_by_its_file_name(tmp_path: Path) -> None:
    """Some writers list the XML in /AF only (read_einvoice finds it there too): the output names it."""
    source = tmp_path / "af-only.pdf"
    with pikepdf.open(EINFACH) as pdf:
        del pdf.Root.Names
        pdf.save(source)
    out = born_digital(source, tmp_path, carry=[source])
    with pikepdf.open(EINFACH) as original, pikepdf.open(out) as result:
        assert embedded(result) == embedded(original)
        assert associated(result) == ["factur-x.xml"]
