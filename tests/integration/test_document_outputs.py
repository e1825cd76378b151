"""Every output format of one job over real HTTP, from one OCR pass, opened by a real consumer: the
TXT the job produced is the reference text each other format must carry."""

from __future__ import annotations

import email
import email.policy
import io
import zipfile
from pathlib import Path

import docx
import pytest
import xmlschema
from ebooklib import epub
from odf import teletype
from odf import text as odf_text
from odf.opendocument import load as load_odt

from tests.consumers import epubcheck, pdftotext, soffice_to_pdf, words
from tests.harness import Server

FORMATS = ("pdf", "txt", "docx", "xml", "rtf", "odt", "mht", "epub")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "txt": "text/plain; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xml": "application/xml",
    "rtf": "application/rtf",
    "odt": "application/vnd.oasis.opendocument.text",
    "mht": "multipart/related",
    "epub": "application/epub+zip",
}
pytestmark = pytest.mark.paired

ALTO_XSD = Path(__file__).resolve().parents[1] / "schemas" / "alto-4-4.xsd"


@pytest.fixture(scope="module")
def job(server: Server, data: Path) -> tuple[Server, int]:
    flags = {f"{ext.capitalize()}Output": True for ext in FORMATS}
    submitted = server.submit(
        data / "ocr-tesseract-test" / "eurotext.tif", PdfTitle="Eurotext", PdfAuthor="ocrmill tests", **flags
    )
    info = server.wait(submitted["Id"])
    assert info["Status"] == 3, info["ErrorDescription"]
    return server, submitted["Id"]


@pytest.fixture(scope="module")
def files(job: tuple[Server, int], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    server, job_id = job
    folder = tmp_path_factory.mktemp("downloads")
    out = {}
    for ext in FORMATS:
        response = server.client.get(f"/download/{job_id}/{ext}")
        assert response.status_code == 200, response.text
        out[ext] = folder / f"result.{ext}"
        out[ext].write_bytes(response.content)
    return out


@pytest.fixture(scope="module")
def reference(files: dict[str, Path]) -> list[str]:
    return words(files["txt"].read_text(encoding="utf-8"))


def same_words(got: list[str], want: list[str], *, at_least: float = 0.98) -> None:
    """`got` has the reference words in order, allowing a few to differ (hyphen joins, table cells)."""
    import difflib

    matcher = difflib.SequenceMatcher(a=want, b=got, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    assert matched >= at_least * len(want), f"{matched} of {len(want)} words in order"


@pytest.mark.parametrize("ext", FORMATS)
def test_download_type_and_name(job: tuple[Server, int], ext: str) -> None:
    server, job_id = job
    response = server.client.get(f"/download/{job_id}/{ext}")
    assert response.headers["content-type"] == MEDIA_TYPES[ext]
    assert f'filename="{job_id}.{ext}"' in response.headers["content-disposition"]
    assert server.client.get(f"/status/{job_id}/{ext}").content == response.content


def test_pdf_text(files: dict[str, Path], reference: list[str]) -> None:
    same_words(words(pdftotext(files["pdf"])), reference, at_least=1.0)


def test_docx_reads_back(files: dict[str, Path], reference: list[str]) -> None:
    document = docx.Document(str(files["docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    same_words(words(text), reference, at_least=0.95)
    assert document.core_properties.title == "Eurotext"
    assert document.core_properties.author == "ocrmill tests"


def test_odt_reads_back(files: dict[str, Path], reference: list[str]) -> None:
    document = load_odt(str(files["odt"]))
    parts = [teletype.extractText(e) for e in document.getElementsByType(odf_text.H)]
    parts += [teletype.extractText(e) for e in document.getElementsByType(odf_text.P)]
    assert set(words(" ".join(parts))) >= set(reference) - {"-"}


@pytest.mark.parametrize("ext", ["docx", "odt", "rtf"])
def test_libreoffice_opens_office_formats(files: dict[str, Path], reference: list[str], ext: str,
                                          tmp_path: Path) -> None:  # fmt: skip
    converted = soffice_to_pdf(files[ext], tmp_path)
    same_words(words(pdftotext(converted)), reference, at_least=0.95)


def test_alto_validates(files: dict[str, Path], reference: list[str]) -> None:
    schema = xmlschema.XMLSchema(str(ALTO_XSD))
    schema.validate(str(files["xml"]))
    tree = schema.to_dict(str(files["xml"]))
    assert tree is not None
    content = files["xml"].read_text(encoding="utf-8")
    assert 'CONTENT="' in content


def test_epub_passes_epubcheck_and_reads_back(files: dict[str, Path], reference: list[str]) -> None:
    epubcheck(files["epub"])
    with zipfile.ZipFile(files["epub"]) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    book = epub.read_epub(str(files["epub"]))
    import lxml.html

    text = " ".join(
        lxml.html.fromstring(item.get_content()).text_content()
        for item in book.get_items_of_type(9)  # ebooklib.ITEM_DOCUMENT
        if not item.get_name().endswith("nav.xhtml")
    )
    same_words(words(text), reference, at_least=0.95)
    assert book.get_metadata("DC", "title")[0][0] == "Eurotext"


def test_mht_parses_with_the_page_picture(files: dict[str, Path], reference: list[str]) -> None:
    message = email.message_from_bytes(files["mht"].read_bytes(), policy=email.policy.default)
    assert message.get_content_type() == "multipart/related"
    parts = list(message.iter_parts())  # type: ignore[attr-defined]
    html = parts[0]
    assert html.get_content_type() == "text/html"
    import lxml.html

    same_words(words(lxml.html.fromstring(html.get_content()).text_content()), reference, at_least=0.95)
    pictures = [p for p in parts[1:] if p.get_content_maintype() == "image"]
    assert len(pictures) == 1
    from PIL import Image

    with Image.open(io.BytesIO(pictures[0].get_content())) as im:
        assert im.width > 500
