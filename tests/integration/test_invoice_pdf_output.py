"""The invoice job's PDF through HTTP keeps what the input had: a born-digital page stays the PDF page it was (its
content and text, no picture of it), a ZUGFeRD invoice's embedded XML stays attached with its relationship, scanned
pages and images get their OCR text layer as before, and the PDF follows the job's pages as they are moved, deleted
and added."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pikepdf
import pytest

from tests.consumers import pdftotext
from tests.harness import DATA, Server
from tests.invoice_api import data_url, new_job, new_page, ok, pages_of, text_png, upload, v1, wait_job, writable

pytestmark = pytest.mark.paired

EINFACH = DATA / "invoices-zugferd" / "EN16931_Einfach.pdf"
LINN = DATA / "pdfs-ocrmypdf" / "linn.pdf"  # a scanned page, no text
EXPECTED = json.loads(EINFACH.with_suffix(".expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    with v1(server) as client:
        yield client


@pytest.fixture(scope="module")
def jobs(api: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The ZUGFeRD invoice twice (one to read, one to edit), and a mixed upload: a PDF of a born-digital page and a
    scanned one, then an image."""
    mixed = tmp_path_factory.mktemp("mixed") / "mixed.pdf"
    with pikepdf.new() as pdf, pikepdf.open(EINFACH) as einfach, pikepdf.open(LINN) as linn:
        pdf.pages.extend([einfach.pages[0], linn.pages[0]])
        pdf.save(mixed)
    scan = text_png(["Invoice SCANNEDPAGE 4711", "Total 12.50 EUR"])
    made = {
        "einfach": upload(api, (EINFACH.name, EINFACH.read_bytes(), "application/pdf")),
        "edited": upload(api, (EINFACH.name, EINFACH.read_bytes(), "application/pdf")),
        "mixed": upload(api, ("mixed.pdf", mixed.read_bytes(), "application/pdf"), ("scan.png", scan, "image/png")),
    }
    done = {key: wait_job(api, job["_id"], timeout=300) for key, job in made.items()}
    for job in done.values():
        assert job["status"] == "completed" and "pdf" in job["outputs"], job["errorLog"]
    return done


def download(api: httpx.Client, job_id: str, target: Path) -> Path:
    response = api.get(f"/ocr-invoice-jobs/{job_id}/download/pdf")
    assert response.status_code == 200, response.text
    target.write_bytes(response.content)
    return target


def content(page: pikepdf.Page) -> bytes:
    """A page's content stream, normalised (the same drawing however its stream is split and compressed)."""
    return pikepdf.unparse_content_stream(pikepdf.parse_content_stream(page))


def einfach_page(index: int) -> bytes:
    with pikepdf.open(EINFACH) as pdf:
        return content(pdf.pages[index])


def page_texts(pdf: Path) -> list[str]:
    return pdftotext(pdf).split("\f")[:-1]


def embedded_xml(pdf: pikepdf.Pdf) -> tuple[bytes, str]:
    spec = pdf.attachments["factur-x.xml"]
    return spec.get_file().read_bytes(), str(spec.obj.AFRelationship)


def test_a_zugferd_invoice_keeps_its_pages_its_text_and_its_xml(
    api: httpx.Client, tmp_path: Path, jobs: dict[str, dict[str, Any]]
) -> None:
    out = download(api, jobs["einfach"]["_id"], tmp_path / "einfach.pdf")
    with pikepdf.open(EINFACH) as source, pikepdf.open(out) as result:
        # the XML, byte for byte, under its name, with its relationship, and among the catalogue's associated files
        assert embedded_xml(result) == embedded_xml(source)
        assert embedded_xml(result)[1] == "/Alternative"
        (associated,) = result.Root.AF
        assert associated.objgen == result.attachments["factur-x.xml"].obj.objgen
        # the pages as they were: the same drawing, no picture of the page
        assert [content(page) for page in result.pages] == [content(page) for page in source.pages]
        assert not any(page.get_images() for page in result.pages)
    assert out.stat().st_size < 1.2 * EINFACH.stat().st_size  # was 6 times larger as page pictures

    # the page's own text, once (no OCR text layer over it)
    text = pdftotext(out)
    assert EXPECTED["invoice_number"] in text and "Joghurt" in text and EXPECTED["seller_name"] in text
    assert text.count(EXPECTED["invoice_number"]) == pdftotext(EINFACH).count(EXPECTED["invoice_number"])
    txt = api.get(f"/ocr-invoice-jobs/{jobs['einfach']['_id']}/download/txt").text
    assert txt.count("\f") == 1 and EXPECTED["invoice_number"] in txt and "Lieferant GmbH" in txt


def test_a_mixed_upload_keeps_born_digital_pages_and_reads_the_others(
    api: httpx.Client, tmp_path: Path, jobs: dict[str, dict[str, Any]]
) -> None:
    out = download(api, jobs["mixed"]["_id"], tmp_path / "mixed.pdf")
    with pikepdf.open(out) as result:
        assert len(result.pages) == 3
        first, scanned, image = result.pages
        assert content(first) == einfach_page(0) and not first.get_images()
        assert scanned.get_images() and image.get_images()  # the page pictures, with OCR text over them
        assert not result.attachments and "/AF" not in result.Root  # no e-invoice: nothing to carry
    texts = page_texts(out)
    assert EXPECTED["invoice_number"] in texts[0]
    assert "LinnSequencer" in texts[1] and "SCANNEDPAGE" in texts[2]
    txt = api.get(f"/ocr-invoice-jobs/{jobs['mixed']['_id']}/download/txt").text.split("\f")
    assert len(txt) == 3 and "Lieferant GmbH" in txt[0] and "LinnSequencer" in txt[1] and "SCANNEDPAGE" in txt[2]


def test_the_pdf_follows_the_pages_as_they_are_moved_deleted_and_added(
    api: httpx.Client, tmp_path: Path, jobs: dict[str, dict[str, Any]]
) -> None:
    job_id = jobs["edited"]["_id"]
    first, second = pages_of(api, job_id)

    ok(api.put(f"/ocr-invoice-job-pages/{first['_id']}", json=writable(first, pageNumber=3)))  # now after page 2
    assert wait_job(api, job_id)["status"] == "completed"
    with pikepdf.open(download(api, job_id, tmp_path / "moved.pdf")) as result:
        assert [content(page) for page in result.pages] == [einfach_page(1), einfach_page(0)]

    ok(api.delete(f"/ocr-invoice-job-pages/{second['_id']}"))
    new_page(api, job_id, 1, data_url(text_png(["Invoice ADDEDPAGE 99"])))
    assert wait_job(api, job_id)["status"] == "completed"
    out = download(api, job_id, tmp_path / "edited.pdf")
    with pikepdf.open(out) as result, pikepdf.open(EINFACH) as source:
        added, kept = result.pages
        assert added.get_images() and content(kept) == einfach_page(0) and not kept.get_images()
        assert embedded_xml(result) == embedded_xml(source)  # the job still has its e-invoice
    texts = page_texts(out)
    assert "ADDEDPAGE" in texts[0] and EXPECTED["invoice_number"] in texts[1]

    # another job's page made from this invoice's page image is that PDF page too (without the XML: not its job's)
    other = new_job(api, name="borrowed page")
    new_page(api, other["_id"], 1, first["pageUrl"])
    assert wait_job(api, other["_id"])["status"] == "completed"
    with pikepdf.open(download(api, other["_id"], tmp_path / "other.pdf")) as result:
        (page,) = result.pages
        assert content(page) == einfach_page(0) and not result.attachments
