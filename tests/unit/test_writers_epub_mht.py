"""EPUB and MHT writers: real OCR results and hand-made layouts written, then opened the way readers
open them (ebooklib, EPUBCheck, Python's email parser, lxml, Pillow) and compared with the layout."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
import uuid
import zipfile
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path, PurePosixPath
from typing import Literal

import ebooklib
import lxml.html
from ebooklib import epub
from lxml import etree
from PIL import Image

from ocrmill.domain.document import Box, Document
from ocrmill.domain.layout import Cell, Item, PageLayout, Table, TextBlock, TextLine
from ocrmill.domain.options import JobOptions
from ocrmill.writers.base import WriteContext
from ocrmill.writers.epub import EpubWriter
from ocrmill.writers.html import language_tags
from ocrmill.writers.mht import MhtWriter
from tests import consumers
from tests.documents import PHOTOTEST, hand_page, ocr_document
from tests.harness import DATA

REAL_PAGES = (DATA / "ocr-tesseract-test" / "eurotext.tif", DATA / "ocr-tesseract-test" / "8087_054.3B.tif")

OPF = "http://www.idpf.org/2007/opf"
DC = "http://purl.org/dc/elements/1.1/"
XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"

# The hand-made document: text that markup must escape, non-ASCII text, two heading sizes, a table
# with merged cells, and a page that goes on under the previous page's heading.
PREFACE = 'Preface: "5 < 6 & 7 > 3" \u2013 naïve café, Grüße, ½ ≠ ¼, 東京'
CHAPTER_1 = 'Chapter 1: Über <Tables> & "Quotes"'
BODY_1 = "Text with <angle brackets>, ampersands & \"double\" and 'single' quotes; ß, é, ø."
SECTION = "Section 1.1 \u2013 Zahlen & Ziffern"
CONTINUED = "Continued from the previous page: 10 % < 20 %."
CHAPTER_2 = "Chapter 2"
LAST = "The end & more."
TABLE_ROWS = [["Quarter & Year", "", "Total <EUR>"], ["Q1 Über", "2024", "1.234,50 €"], ["", "2025", '"n/a"']]


def block(text: str, *, size: float = 11.0, role: Literal["paragraph", "heading"] = "paragraph") -> TextBlock:
    box = Box(300, 300, 2000, 360)
    return TextBlock([TextLine(text, box, size)], box, size, role)


def merged_table() -> Table:
    """3 x 3: the first row's first cell spans two columns, the second row's first cell two rows."""
    cells = [
        Cell(TABLE_ROWS[0][0], Box(300, 400, 900, 450), 0, 0, col_span=2),
        Cell(TABLE_ROWS[0][2], Box(900, 400, 1200, 450), 0, 2),
        Cell(TABLE_ROWS[1][0], Box(300, 450, 600, 550), 1, 0, row_span=2),
        Cell(TABLE_ROWS[1][1], Box(600, 450, 900, 500), 1, 1),
        Cell(TABLE_ROWS[1][2], Box(900, 450, 1200, 500), 1, 2),
        Cell(TABLE_ROWS[2][1], Box(600, 500, 900, 550), 2, 1),
        Cell(TABLE_ROWS[2][2], Box(900, 500, 1200, 550), 2, 2),
    ]
    return Table(Box(300, 400, 1200, 550), rows=3, cols=3, cells=cells)


def hand_document(first_number: int = 1) -> tuple[Document, list[PageLayout]]:
    pages = [hand_page([["placeholder"]], number=first_number + i) for i in range(2)]
    items: list[list[Item]] = [
        [
            block(PREFACE),
            block(CHAPTER_1, size=20, role="heading"),
            block(BODY_1),
            merged_table(),
            block(SECTION, size=14, role="heading"),
        ],
        [block(CONTINUED), block(CHAPTER_2, size=20, role="heading"), block(LAST)],
    ]
    layouts = [
        PageLayout(p.number, p.width, p.height, p.dpi, page_items) for p, page_items in zip(pages, items, strict=True)
    ]
    return Document(pages=pages), layouts


def context(
    doc: Document,
    tmp_path: Path,
    options: JobOptions | None = None,
    *,
    layouts: list[PageLayout] | None = None,
    images: Sequence[Path] = (),
) -> WriteContext:
    ctx = WriteContext(options or JobOptions(), tmp_path, bases=[], doc=doc, page_images=list(images))
    if layouts is not None:
        ctx.layouts = layouts  # stands in for what page_layout will find once it marks headings and tables
    return ctx


def layout_words(ctx: WriteContext) -> list[str]:
    return consumers.words("\n".join(layout.text() for layout in ctx.layouts))


def body_text(root: etree._Element) -> str:
    """The text a reader sees in an (X)HTML document's body, one block element a line."""
    body = next(el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname == "body")
    return " ".join(t.strip() for t in body.itertext() if t.strip())


# EPUB


def write_epub(ctx: WriteContext, tmp_path: Path, name: str = "out.epub") -> Path:
    target = tmp_path / name
    EpubWriter().write(ctx.doc, ctx, target)
    return target


def opf_of(book: zipfile.ZipFile) -> tuple[PurePosixPath, etree._Element]:
    container = etree.fromstring(book.read("META-INF/container.xml"))
    rootfile = container.find(f"{{{CONTAINER}}}rootfiles/{{{CONTAINER}}}rootfile")
    assert rootfile is not None and rootfile.get("media-type") == "application/oebps-package+xml"
    path = PurePosixPath(rootfile.get("full-path"))
    return path, etree.fromstring(book.read(str(path)))


def spine_documents(path: Path) -> list[tuple[str, etree._Element]]:
    """Read back with ebooklib: (title in the table of contents, parsed XHTML) of each spine document."""
    book = epub.read_epub(str(path))
    titles = {PurePosixPath(link.href).name: link.title for link in book.toc}
    out = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        out.append((titles[PurePosixPath(item.get_name()).name], etree.fromstring(item.content)))
    return out


def xhtml(root: etree._Element, tag: str) -> list[etree._Element]:
    return list(root.iter(f"{{{XHTML}}}{tag}"))


def test_epub_package_structure_of_a_real_page(tmp_path: Path) -> None:
    ctx = context(ocr_document(PHOTOTEST), tmp_path)
    path = write_epub(ctx, tmp_path)
    with zipfile.ZipFile(path) as book:
        first = book.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert book.read(first) == b"application/epub+zip"

        opf_path, opf = opf_of(book)
        assert opf.tag == f"{{{OPF}}}package" and opf.get("version") == "3.0"
        metadata = opf.find(f"{{{OPF}}}metadata")
        assert metadata is not None
        identifier = metadata.find(f"{{{DC}}}identifier[@id='{opf.get('unique-identifier')}']")
        assert identifier is not None and identifier.text is not None
        assert identifier.text.startswith("urn:uuid:")
        uuid.UUID(identifier.text.removeprefix("urn:uuid:"))
        assert metadata.findtext(f"{{{DC}}}title") == "OCR result"
        assert metadata.findtext(f"{{{DC}}}language") == "en"
        modified = metadata.findtext(f"{{{OPF}}}meta[@property='dcterms:modified']")
        assert modified is not None and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", modified)
        when = dt.datetime.strptime(modified, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 300  # UTC, not local time

        base = opf_path.parent
        items = {item.get("id"): item for item in opf.iter(f"{{{OPF}}}item")}
        names = set(book.namelist())
        for item in items.values():
            assert str(base / item.get("href")) in names, item.get("href")
        spine = [ref.get("idref") for ref in opf.iter(f"{{{OPF}}}itemref")]
        assert spine and all(idref in items for idref in spine)
        navs = [item for item in items.values() if "nav" in (item.get("properties") or "").split()]
        assert len(navs) == 1
        nav = etree.fromstring(book.read(str(base / navs[0].get("href"))))
        toc = next(el for el in nav.iter(f"{{{XHTML}}}nav") if el.get(f"{{{OPS}}}type") == "toc")
        linked = [a.get("href") for a in toc.iter(f"{{{XHTML}}}a")]
        assert linked == [items[idref].get("href") for idref in spine]
        for name in names:
            if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
                etree.fromstring(book.read(name))  # well-formed XML, or this raises

    assert consumers.words(" ".join(body_text(doc) for _, doc in spine_documents(path))) == layout_words(ctx)
    with zipfile.ZipFile(write_epub(ctx, tmp_path, "again.epub")) as again:
        _, opf_again = opf_of(again)
    assert opf_again.findtext(f"{{{OPF}}}metadata/{{{DC}}}identifier") != identifier.text


def test_epub_reads_back_two_real_pages_in_order(tmp_path: Path) -> None:
    ctx = context(ocr_document(*REAL_PAGES), tmp_path)
    chapters = spine_documents(write_epub(ctx, tmp_path))
    text = " ".join(body_text(doc) for _, doc in chapters)
    assert len(layout_words(ctx)) > 200
    assert consumers.words(text) == layout_words(ctx)
    assert all(body_text(doc) for _, doc in chapters)  # no empty chapter
    marks = [span.get("id") for _, doc in chapters for span in xhtml(doc, "span")]
    assert marks == ["page-1", "page-2"]


def test_epub_chapters_at_headings_with_tables_and_escaped_text(tmp_path: Path) -> None:
    doc, layouts = hand_document()
    ctx = context(doc, tmp_path, layouts=layouts)
    path = write_epub(ctx, tmp_path)
    chapters = spine_documents(path)

    assert [title for title, _ in chapters] == ["Page 1", CHAPTER_1, SECTION, CHAPTER_2]
    first, second, third, fourth = (root for _, root in chapters)
    assert [p.text for p in xhtml(first, "p")] == [PREFACE]
    assert [h.text for h in xhtml(second, "h1")] == [CHAPTER_1]
    assert [p.text for p in xhtml(second, "p")] == [BODY_1]
    assert [h.text for h in xhtml(third, "h2")] == [SECTION]  # smaller than the chapters' headings
    assert [p.text for p in xhtml(third, "p")] == [CONTINUED]
    assert [h.text for h in xhtml(fourth, "h1")] == [CHAPTER_2]
    assert [p.text for p in xhtml(fourth, "p")] == [LAST]
    # page 2 starts in the middle of the section's chapter
    assert [s.get("id") for s in xhtml(third, "span")] == ["page-2"]

    (table,) = xhtml(second, "table")
    rows = [
        [(td.text or "", td.get("rowspan"), td.get("colspan")) for td in xhtml(tr, "td")] for tr in xhtml(table, "tr")
    ]
    assert rows == [
        [(TABLE_ROWS[0][0], None, "2"), (TABLE_ROWS[0][2], None, None)],
        [(TABLE_ROWS[1][0], "2", None), (TABLE_ROWS[1][1], None, None), (TABLE_ROWS[1][2], None, None)],
        [(TABLE_ROWS[2][1], None, None), (TABLE_ROWS[2][2], None, None)],
    ]
    assert consumers.words(" ".join(body_text(root) for _, root in chapters)) == layout_words(ctx)
    with zipfile.ZipFile(path) as book:
        raw = b"".join(book.read(n) for n in book.namelist() if n.endswith(".xhtml"))
    assert b"<Tables>" not in raw and b"&lt;Tables&gt;" in raw


def test_epub_one_chapter_per_page_without_headings(tmp_path: Path) -> None:
    pages = [hand_page([["placeholder"]], number=n) for n in (1, 2, 3)]
    texts = [["First page, first paragraph.", "First page, second paragraph."], [], ["Third page."]]
    layouts = [
        PageLayout(p.number, p.width, p.height, p.dpi, [block(t) for t in page_texts])
        for p, page_texts in zip(pages, texts, strict=True)
    ]
    chapters = spine_documents(write_epub(context(Document(pages), tmp_path, layouts=layouts), tmp_path))
    assert [title for title, _ in chapters] == ["Page 1", "Page 3"]  # the empty page makes no chapter
    assert [[p.text for p in xhtml(root, "p")] for _, root in chapters] == [texts[0], texts[2]]
    assert [[s.get("id") for s in xhtml(root, "span")] for _, root in chapters] == [["page-1"], ["page-2", "page-3"]]


def test_epub_metadata_from_the_job(tmp_path: Path) -> None:
    options = JobOptions(
        PdfTitle='Bericht <2024> & "Q1" \u2013 Über',
        PdfAuthor="Zoë O'Brien",
        PdfSubject="Quarterly report",
        PdfKeywords="finance; Q1, Überblick",
        RecognitionLanguages="German, English",
    )
    path = write_epub(context(ocr_document(PHOTOTEST), tmp_path, options), tmp_path)
    book = epub.read_epub(str(path))
    assert [v for v, _ in book.get_metadata("DC", "title")] == [options.PdfTitle]
    assert [v for v, _ in book.get_metadata("DC", "creator")] == [options.PdfAuthor]
    assert [v for v, _ in book.get_metadata("DC", "description")] == [options.PdfSubject]
    assert [v for v, _ in book.get_metadata("DC", "subject")] == ["finance", "Q1", "Überblick"]
    assert [v for v, _ in book.get_metadata("DC", "language")] == ["de", "en"]
    (_, chapter), *_ = spine_documents(path)
    assert chapter.get("lang") == "de"


def test_language_tags_are_bcp47() -> None:
    def tags(value: str) -> list[str]:
        return language_tags(JobOptions(RecognitionLanguages=value))

    assert tags("English") == ["en"]
    assert tags("German;French, english") == ["de", "fr", "en"]
    assert tags("ChineseSimplified,ChineseTraditional,SerbianLatin") == ["zh-Hans", "zh-Hant", "sr-Latn"]
    assert tags("Filipino, Cebuano") == ["fil", "ceb"]  # no two-letter code: the three-letter one
    assert tags("Klingon, Dutch") == ["nl"]
    assert tags("") == []


def test_epub_of_an_unknown_language_says_undetermined(tmp_path: Path) -> None:
    options = JobOptions(RecognitionLanguages="Klingon")
    book = epub.read_epub(str(write_epub(context(ocr_document(PHOTOTEST), tmp_path, options), tmp_path)))
    assert [v for v, _ in book.get_metadata("DC", "language")] == ["und"]


def test_epubcheck_accepts_real_and_hand_made_pages(tmp_path: Path) -> None:
    real = ocr_document(*REAL_PAGES)
    hand, hand_layouts = hand_document(first_number=len(real.pages) + 1)
    doc = Document(pages=real.pages + hand.pages)
    real_layouts = context(real, tmp_path).layouts
    options = JobOptions(PdfTitle="Scans & <notes>", PdfAuthor="Zoë", PdfKeywords="a, b", PdfSubject="test")
    ctx = context(doc, tmp_path, options, layouts=real_layouts + hand_layouts)
    report = consumers.epubcheck(write_epub(ctx, tmp_path))
    assert "No errors or warnings detected" in report


def test_epubcheck_accepts_a_book_without_text(tmp_path: Path) -> None:
    doc = Document(pages=[hand_page([])])
    path = write_epub(context(doc, tmp_path), tmp_path)
    assert len(spine_documents(path)) == 1
    consumers.epubcheck(path)


# MHT


def pictures(doc: Document, sources: Sequence[Path], tmp_path: Path) -> list[Path]:
    """Each page's scan at 150 dpi, as the pipeline makes them: PNG for odd pages, JPEG for even ones."""
    out = []
    for page, source in zip(doc.pages, sources, strict=True):
        with Image.open(source) as im:
            scale = 150 / page.dpi
            small = im.convert("L").resize((round(im.width * scale), round(im.height * scale)))
        path = tmp_path / f"page-{page.number}.{'png' if page.number % 2 else 'jpg'}"
        small.save(path)
        out.append(path)
    return out


def plain_pictures(doc: Document, tmp_path: Path) -> list[Path]:
    out = []
    for page in doc.pages:
        path = tmp_path / f"page-{page.number}.{'png' if page.number % 2 else 'jpg'}"
        Image.new("RGB", (page.width // 4, page.height // 4), (250, 250, 245)).save(path)
        out.append(path)
    return out


def write_mht(ctx: WriteContext, tmp_path: Path) -> EmailMessage:
    target = tmp_path / "out.mht"
    MhtWriter().write(ctx.doc, ctx, target)
    message = email.message_from_bytes(target.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def html_part(archive: EmailMessage) -> tuple[EmailMessage, lxml.html.HtmlElement]:
    part = next(archive.iter_parts())
    assert isinstance(part, EmailMessage)
    assert part.get_content_type() == "text/html"
    assert part.get_content_charset() == "utf-8"
    assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    return part, lxml.html.document_fromstring(part.get_content())


def referenced_image(archive: EmailMessage, src: str) -> EmailMessage:
    """The archive's part an <img src> names: by Content-Location, or by Content-ID for a cid: URL."""
    for part in archive.iter_parts():
        assert isinstance(part, EmailMessage)
        if part["Content-Location"] == src or (
            src.startswith("cid:") and part["Content-ID"] == f"<{src.removeprefix('cid:')}>"
        ):
            return part
    raise AssertionError(f"no part for {src}")


def test_mht_archive_of_two_real_pages(tmp_path: Path) -> None:
    doc = ocr_document(*REAL_PAGES)
    images = pictures(doc, REAL_PAGES, tmp_path)
    ctx = context(doc, tmp_path, images=images)
    archive = write_mht(ctx, tmp_path)

    assert archive.get_content_type() == "multipart/related"
    assert archive.get_param("type") == "text/html"
    assert archive["MIME-Version"] == "1.0"
    assert archive["From"] and archive["Subject"] == "OCR result"
    assert archive["Date"].datetime is not None
    parts = list(archive.iter_parts())
    assert all(part["Content-Location"] for part in parts)
    html, tree = html_part(archive)
    assert archive["Snapshot-Content-Location"] == html["Content-Location"]

    body = tree.find("body")
    assert consumers.words(body.text_content()) == layout_words(ctx)
    sources = [img.get("src") for img in tree.iter("img")]
    assert len(sources) == len(images)
    for src, original in zip(sources, images, strict=True):
        part = referenced_image(archive, src)
        assert part["Content-Transfer-Encoding"] == "base64"
        data = part.get_content()
        assert data == original.read_bytes()
        with Image.open(io.BytesIO(data)) as shown, Image.open(original) as expected:
            assert shown.size == expected.size
            assert part.get_content_type() == Image.MIME[str(shown.format)]
    assert len(parts) == 1 + len(images)  # nothing unreferenced


def test_mht_headings_tables_and_escaped_text(tmp_path: Path) -> None:
    doc, layouts = hand_document()
    options = JobOptions(PdfTitle="Grüße <an> & von «uns»", PdfAuthor="Zoë", RecognitionLanguages="German")
    ctx = context(doc, tmp_path, options, layouts=layouts, images=plain_pictures(doc, tmp_path))
    archive = write_mht(ctx, tmp_path)
    assert archive["Subject"] == options.PdfTitle
    _, tree = html_part(archive)

    assert tree.get("lang") == "de"
    assert tree.findtext(".//title") == options.PdfTitle
    assert tree.find(".//meta[@name='author']").get("content") == options.PdfAuthor
    assert [h.text for h in tree.iter("h1")] == [CHAPTER_1, CHAPTER_2]
    assert [h.text for h in tree.iter("h2")] == [SECTION]
    assert [p.text for p in tree.iter("p")] == [PREFACE, BODY_1, CONTINUED, LAST]
    (table,) = tree.iter("table")
    grid = [[(td.text or "", td.get("rowspan"), td.get("colspan")) for td in tr.iter("td")] for tr in table.iter("tr")]
    assert grid == [
        [(TABLE_ROWS[0][0], None, "2"), (TABLE_ROWS[0][2], None, None)],
        [(TABLE_ROWS[1][0], "2", None), (TABLE_ROWS[1][1], None, None), (TABLE_ROWS[1][2], None, None)],
        [(TABLE_ROWS[2][1], None, None), (TABLE_ROWS[2][2], None, None)],
    ]
    # each page's picture comes before its text
    order = [el.tag for el in tree.iter("img", "h1", "p")]
    assert order == ["img", "p", "h1", "p", "img", "p", "h1", "p"]


def test_mht_without_page_pictures_still_has_the_text(tmp_path: Path) -> None:
    ctx = context(ocr_document(PHOTOTEST), tmp_path)
    archive = write_mht(ctx, tmp_path)
    assert len(list(archive.iter_parts())) == 1
    _, tree = html_part(archive)
    assert not list(tree.iter("img"))
    assert consumers.words(tree.find("body").text_content()) == layout_words(ctx)


def test_a_context_made_for_another_document_still_writes_this_one(tmp_path: Path) -> None:
    """A writer called with a document that is not its context's lays that document out itself."""
    doc = ocr_document(PHOTOTEST)
    ctx = context(Document(), tmp_path)
    expected = consumers.words(" ".join(layout.text() for layout in ctx.layouts_for(doc)))
    assert expected
    EpubWriter().write(doc, ctx, tmp_path / "out.epub")
    book = epub.read_epub(str(tmp_path / "out.epub"))
    text = " ".join(
        lxml.html.fromstring(item.get_content()).text_content()
        for item in book.get_items_of_type(ebooklib.ITEM_DOCUMENT)
        if "nav" not in item.get_name()
    )
    assert consumers.words(text) == expected
