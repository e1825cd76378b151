"""DOCX, ODT and RTF writers: each output read back with python-docx or odfpy (the RTF through
LibreOffice), and converted to PDF by LibreOffice, for real OCR results and for hand-made pages."""

from __future__ import annotations

import difflib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
import pikepdf
import pytest
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.oxml.ns import qn
from lxml import etree
from odf import teletype
from odf.opendocument import load as load_odt

from ocrmill.domain.document import Box, Document, Page
from ocrmill.domain.layout import Cell, PageLayout, Table, TextBlock, TextLine
from ocrmill.domain.options import JobOptions
from ocrmill.writers import flow
from ocrmill.writers.base import WriteContext, Writer
from ocrmill.writers.docx import DocxWriter
from ocrmill.writers.odt import OdtWriter
from ocrmill.writers.rtf import RtfWriter, escape
from tests import consumers, documents
from tests.harness import DATA

WRITERS: dict[str, Writer] = {"docx": DocxWriter(), "odt": OdtWriter(), "rtf": RtfWriter()}
EUROTEXT = DATA / "ocr-tesseract-test" / "eurotext.tif"
MAGAZINE = DATA / "ocr-tesseract-test" / "8087_054.3B.tif"  # 300 dpi, US letter, multi-column

A4 = (2480, 3508)  # pixels at 300 dpi
A5_LANDSCAPE = (2480, 1748)
A4_PT = (595.2, 841.92)
A5_LANDSCAPE_PT = (595.2, 419.52)

UNICODE = "Grüße aus Köln: café, naïve, 日本語のテキスト, emoji 😀 and {braces} \\ back\\slash."
OPTIONS = {
    "PdfTitle": "Jahresbericht \u2013 Übersicht",
    "PdfSubject": "Quartal {1} 😀",
    "PdfAuthor": "Zoë Ångström",
    "PdfKeywords": "ocr, Prüfung, 日本",
}


# --- the hand-made document: exact input, exact expectations --------------------------------------


def block(
    lines: list[str], top: int, *, size: float = 12.0, heading: bool = False, left: int = 300, right: int = 2100
) -> TextBlock:
    text_lines = [
        TextLine(text, Box(left, top + 60 * i, right, top + 60 * i + 50), size) for i, text in enumerate(lines)
    ]
    box = Box(left, top, right, top + 60 * len(lines))
    return TextBlock(text_lines, box, size, "heading" if heading else "paragraph")


def hand_layouts() -> list[PageLayout]:
    table = Table(
        box=Box(300, 900, 2100, 1200),
        rows=3,
        cols=3,
        cells=[
            Cell("Name", Box(300, 900, 900, 1000), 0, 0),
            Cell("Q1", Box(900, 900, 1500, 1000), 0, 1),
            Cell("Q2", Box(1500, 900, 2100, 1000), 0, 2),
            Cell("Summe über zwei", Box(300, 1000, 1500, 1100), 1, 0, col_span=2),
            Cell("hoch", Box(1500, 1000, 2100, 1200), 1, 2, row_span=2),
            Cell("a", Box(300, 1100, 900, 1200), 2, 0),
            Cell("b", Box(900, 1100, 1500, 1200), 2, 1),
        ],
        font_size=9.2,
    )
    first = PageLayout(1, *A4, dpi=300)
    first.items = [
        block(["Quarterly Report"], 300, size=20.2, heading=True),
        block([UNICODE], 420, size=12.2),
        block(["A hyphen-", "ated word flows on", "to the next line."], 540, size=10.3),
        table,
        block(["Details"], 1300, size=14, heading=True),
        block(["After the table."], 1400),
    ]
    second = PageLayout(2, *A5_LANDSCAPE, dpi=300)
    second.items = [block(["Tiny print"], 300, size=4.0), block(["Huge"], 500, size=90.0)]
    empty = PageLayout(3, *A4, dpi=300)
    columns = PageLayout(4, *A4, dpi=300, columns=2)
    columns.items = [
        *(block([f"Left column paragraph {i}."], 300 + 100 * i, left=300, right=1150) for i in range(5)),
        *(block([f"Right column paragraph {i}."], 300 + 100 * i, left=1300, right=2150) for i in range(5)),
    ]
    for item in columns.items[5:]:
        item.column = 1
    return [first, second, empty, columns]


# (text, size in points, heading level) per page, as a reader of the document sees them
HAND_PARAGRAPHS = [
    [
        ("Quarterly Report", 20.0, 1),
        (UNICODE, 12.0, 0),
        ("A hyphenated word flows on to the next line.", 10.5, 0),
        ("Details", 14.0, 2),
        ("After the table.", 12.0, 0),
    ],
    [("Tiny print", 6.0, 0), ("Huge", 72.0, 0)],
    [],
    [(f"{side} column paragraph {i}.", 12.0, 0) for side in ("Left", "Right") for i in range(5)],
]
HAND_SIZES = [A4_PT, A5_LANDSCAPE_PT, A4_PT, A4_PT]
HAND_COLUMNS = [1, 1, 1, 2]
# the table: texts at each cell's top-left, and which cells span (row, col) -> (rows, cols)
HAND_TABLE = [["Name", "Q1", "Q2"], ["Summe über zwei", None, "hoch"], ["a", "b", None]]
HAND_SPANS = {(1, 0): (1, 2), (1, 2): (2, 1)}


def context(doc: Document, layouts: list[PageLayout] | None = None, **options: Any) -> WriteContext:
    ctx = WriteContext(options=JobOptions(**options), work_dir=Path("."), bases=[], doc=doc)
    if layouts is not None:
        ctx.layouts = layouts  # the layout analysis does not find headings and tables yet: give them
    return ctx


@dataclass
class Written:
    layouts: list[PageLayout]
    files: dict[str, Path]
    pdfs: dict[str, Path]


def write_all(folder: Path, ctx: WriteContext) -> Written:
    files, pdfs = {}, {}
    for ext, writer in WRITERS.items():
        files[ext] = folder / f"result.{ext}"
        writer.write(ctx.doc, ctx, files[ext])
        pdfs[ext] = consumers.soffice_to_pdf(files[ext], folder / f"pdf-{ext}")
    return Written(ctx.layouts, files, pdfs)


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Written:
    layouts = hand_layouts()
    doc = Document(pages=[Page(lay.number, lay.width, lay.height, lay.dpi) for lay in layouts])
    return write_all(tmp_path_factory.mktemp("hand"), context(doc, layouts, **OPTIONS))


@pytest.fixture(scope="module")
def phototest(tmp_path_factory: pytest.TempPathFactory) -> Written:
    doc = documents.ocr_document(documents.PHOTOTEST)
    return write_all(tmp_path_factory.mktemp("phototest"), context(doc))


@pytest.fixture(scope="module")
def two_pages(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """Two real pages of different sizes: a small multilingual card and a magazine page."""
    pages = [
        documents.ocr_page(EUROTEXT, number=1, langs=("eng", "deu", "fra")),
        documents.ocr_page(MAGAZINE, number=2),
    ]
    return write_all(tmp_path_factory.mktemp("two-pages"), context(Document(pages=pages)))


@pytest.fixture(scope="module")
def hand_rtf_read(hand: Written, tmp_path_factory: pytest.TempPathFactory) -> DocRead:
    """The hand-made RTF as LibreOffice reads it, saved as DOCX for python-docx."""
    return read_docx(consumers.soffice_convert(hand.files["rtf"], tmp_path_factory.mktemp("rtf-docx"), to="docx"))


@pytest.fixture(scope="module")
def real_outputs(phototest: Written, two_pages: Written) -> dict[str, Written]:
    return {"phototest": phototest, "two_pages": two_pages}


# --- readers: what a consumer of each file sees, page by page ---------------------------------------


@dataclass
class TableRead:
    texts: list[list[str | None]]  # a cell's text at its top-left; None where a merged cell covers
    spans: dict[tuple[int, int], tuple[int, int]]  # (row, col) -> (rows, cols) of the cells that span
    bordered: bool


@dataclass
class PageRead:
    width: float
    height: float
    landscape: bool
    columns: int
    paragraphs: list[tuple[str, float | None, int]] = field(default_factory=list)
    tables: list[TableRead] = field(default_factory=list)


@dataclass
class DocRead:
    pages: list[PageRead]
    meta: dict[str, str]


_CORE_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ep": "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
}


def read_docx(path: Path) -> DocRead:
    document = docx.Document(str(path))
    pages: list[PageRead] = []
    for section in document.sections:
        cols = section._sectPr.find(qn("w:cols"))
        columns = int(cols.get(qn("w:num"), "1")) if cols is not None else 1
        if pages and section.start_type == WD_SECTION.CONTINUOUS:  # a change of columns within a page
            pages[-1].columns = max(pages[-1].columns, columns)
            continue
        assert section.page_width is not None and section.page_height is not None
        pages.append(
            PageRead(
                section.page_width.pt,
                section.page_height.pt,
                section.orientation == WD_ORIENT.LANDSCAPE,
                columns,
            )
        )
    starts = [i for i, s in enumerate(document.sections) if i == 0 or s.start_type != WD_SECTION.CONTINUOUS]
    page_of_section = {index: sum(1 for s in starts if s <= index) - 1 for index in range(len(document.sections))}
    index = 0  # of the section the next paragraph belongs to
    for item in document.iter_inner_content():
        page = pages[page_of_section[index]]
        if isinstance(item, docx.table.Table):
            page.tables.append(_docx_table(item))
            continue
        if item.text.strip():
            sizes = [run.font.size for run in item.runs if run.text.strip()]
            size = sizes[0].pt if sizes and sizes[0] is not None else None
            name = item.style.name if item.style is not None else ""
            level = int(name[-1]) if name.lower().startswith("heading ") else 0
            page.paragraphs.append((item.text, size, level))
        if item._p.pPr is not None and item._p.pPr.sectPr is not None:
            index += 1
    with zipfile.ZipFile(path) as package:  # python-docx misses core.xml when LibreOffice wrote it
        core = etree.fromstring(package.read("docProps/core.xml"))
        app = etree.fromstring(package.read("docProps/app.xml"))
    meta = {
        key: "".join(core.xpath(f"string(/*/{tag})", namespaces=_CORE_NS))
        for key, tag in [("title", "dc:title"), ("subject", "dc:subject"), ("author", "dc:creator")]
    }
    meta["keywords"] = core.xpath("string(/*/cp:keywords)", namespaces=_CORE_NS)
    meta["generator"] = app.xpath("string(/*/ep:Application)", namespaces=_CORE_NS)
    return DocRead(pages, meta)


def _docx_table(grid: Any) -> TableRead:
    rows, cols = len(grid.rows), len(grid.columns)
    owners = [[grid.cell(r, c)._tc for c in range(cols)] for r in range(rows)]
    texts: list[list[str | None]] = [[None] * cols for _ in range(rows)]
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    seen: set[int] = set()
    for r in range(rows):
        for c in range(cols):
            tc = owners[r][c]
            if id(tc) in seen:
                continue
            seen.add(id(tc))
            texts[r][c] = grid.cell(r, c).text
            row_span = sum(1 for rr in range(r, rows) if owners[rr][c] is tc)
            col_span = sum(1 for cc in range(c, cols) if owners[r][cc] is tc)
            if (row_span, col_span) != (1, 1):
                spans[(r, c)] = (row_span, col_span)
    style = grid.style.name if grid.style is not None else ""
    bordered = style == "Table Grid" or grid._tbl.tblPr.find(qn("w:tblBorders")) is not None
    cell_borders = [tc.tcPr is not None and tc.tcPr.find(qn("w:tcBorders")) is not None for tc in grid._tbl.iter_tcs()]
    return TableRead(texts, spans, bordered or all(cell_borders))


def read_odt(path: Path) -> DocRead:
    document = load_odt(str(path))
    styles = {
        s.getAttribute("name"): s
        for s in [*document.styles.childNodes, *document.automaticstyles.childNodes]
        if s.qname[1] in ("style", "page-layout")
    }
    masters = {m.getAttribute("name"): m.getAttribute("pagelayoutname") for m in document.masterstyles.childNodes}
    pages: list[PageRead] = []

    def start_page(style_name: str | None) -> None:
        master = styles[style_name].getAttribute("masterpagename") if style_name in styles else None
        if not master:
            assert pages, "the document's first paragraph names its page style"
            return
        props = _child(styles[masters[master]], "page-layout-properties")
        columns = _child(props, "columns")
        pages.append(
            PageRead(
                _points(props.getAttribute("pagewidth")),
                _points(props.getAttribute("pageheight")),
                props.getAttribute("printorientation") == "landscape",
                int(columns.getAttribute("columncount")) if columns is not None else 1,
            )
        )

    for element in document.text.childNodes:
        kind = element.qname[1]
        if kind not in ("p", "h", "table"):
            continue
        start_page(element.getAttribute("stylename"))
        if kind == "table":
            pages[-1].tables.append(_odt_table(element, styles))
            continue
        text = teletype.extractText(element)
        if text.strip():
            size = _odt_size(styles, element.getAttribute("stylename"))
            level = int(element.getAttribute("outlinelevel")) if kind == "h" else 0
            pages[-1].paragraphs.append((text, size, level))
    meta: dict[str, str] = {}
    for node in document.meta.childNodes:
        name = {"initial-creator": "author"}.get(node.qname[1], node.qname[1])
        meta[name] = (meta[name] + ", " if name == "keyword" and name in meta else "") + teletype.extractText(node)
    meta["keywords"] = meta.pop("keyword", "")
    return DocRead(pages, meta)


def _child(element: Any, local: str) -> Any:
    return next((c for c in element.childNodes if c.qname[1] == local), None)


def _points(length: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(pt|in|cm|mm)", length).groups()  # type: ignore[union-attr]
    return float(number) * {"pt": 1.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4}[unit]


def _odt_size(styles: dict[str, Any], name: str | None) -> float | None:
    while name in styles:
        props = _child(styles[name], "text-properties")
        if props is not None and props.getAttribute("fontsize"):
            return _points(props.getAttribute("fontsize"))
        name = styles[name].getAttribute("parentstylename")
    return None


def _odt_table(element: Any, styles: dict[str, Any]) -> TableRead:
    texts: list[list[str | None]] = []
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    bordered = True
    for r, row in enumerate(c for c in element.childNodes if c.qname[1] == "table-row"):
        texts.append([])
        for c, cell in enumerate(row.childNodes):
            if cell.qname[1] == "covered-table-cell":
                texts[r].append(None)
                continue
            texts[r].append(teletype.extractText(cell))
            span = (
                int(cell.getAttribute("numberrowsspanned") or 1),
                int(cell.getAttribute("numbercolumnsspanned") or 1),
            )
            if span != (1, 1):
                spans[(r, c)] = span
            props = _child(styles[cell.getAttribute("stylename")], "table-cell-properties")
            bordered = bordered and "solid" in (props.getAttribute("border") or "")
    return TableRead(texts, spans, bordered)


def read(ext: str, written: Written, hand_rtf_read: DocRead | None = None) -> DocRead:
    if ext == "docx":
        return read_docx(written.files["docx"])
    if ext == "odt":
        return read_odt(written.files["odt"])
    assert hand_rtf_read is not None
    return hand_rtf_read


def pdf_pages(pdf: Path) -> list[tuple[float, float]]:
    with pikepdf.open(pdf) as doc:
        return [(float(p.mediabox[2] - p.mediabox[0]), float(p.mediabox[3] - p.mediabox[1])) for p in doc.pages]


def in_order_share(expected: list[str], got: list[str]) -> float:
    """The share of the expected words found in `got` in the same order."""
    matcher = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    return sum(m.size for m in matcher.get_matching_blocks()) / max(1, len(expected))


def expected_size(points: float) -> float:
    return min(72.0, max(6.0, round(points * 2) / 2))


# --- the hand-made document, read back -------------------------------------------------------------


@pytest.fixture(scope="module", params=["docx", "odt", "rtf"])
def hand_read(request: pytest.FixtureRequest, hand: Written) -> Iterator[DocRead]:
    if request.param == "rtf":
        yield request.getfixturevalue("hand_rtf_read")
    else:
        yield read(request.param, hand)


def test_one_page_each_with_its_size_and_orientation(hand_read: DocRead) -> None:
    assert len(hand_read.pages) == len(HAND_SIZES)
    for page, (width, height) in zip(hand_read.pages, HAND_SIZES, strict=True):
        assert page.width == pytest.approx(width, abs=0.5)
        assert page.height == pytest.approx(height, abs=0.5)
        assert page.landscape == (width > height)


def test_paragraphs_in_order_with_sizes_and_heading_levels(hand_read: DocRead) -> None:
    assert [page.paragraphs for page in hand_read.pages] == HAND_PARAGRAPHS


def test_columns_where_the_whole_page_is_columns(hand_read: DocRead) -> None:
    assert [page.columns for page in hand_read.pages] == HAND_COLUMNS


def test_table_with_borders_and_merged_cells(hand_read: DocRead) -> None:
    [table] = hand_read.pages[0].tables
    assert table.texts == HAND_TABLE
    assert table.spans == HAND_SPANS
    assert table.bordered
    assert not any(page.tables for page in hand_read.pages[1:])


def test_document_properties(hand_read: DocRead) -> None:
    expected = {"title": "PdfTitle", "subject": "PdfSubject", "author": "PdfAuthor", "keywords": "PdfKeywords"}
    for key, option in expected.items():
        assert hand_read.meta[key] == OPTIONS[option] or key == "keywords", key
    # LibreOffice turns the RTF's "a, b" into "a b": the keywords, not their separators
    assert re.split(r"[,;\s]+", hand_read.meta["keywords"]) == re.split(r"[,;\s]+", OPTIONS["PdfKeywords"])


def test_names_ocrmill_as_the_program_that_made_it(hand: Written) -> None:
    assert read_docx(hand.files["docx"]).meta["generator"] == "ocrmill"
    assert read_odt(hand.files["odt"]).meta["generator"] == "ocrmill"
    assert r"{\*\generator ocrmill;}" in hand.files["rtf"].read_text("ascii")


@pytest.mark.parametrize("ext", WRITERS)
def test_libreoffice_keeps_pages_sizes_text_and_properties(hand: Written, ext: str) -> None:
    pdf = hand.pdfs[ext]
    sizes = pdf_pages(pdf)
    assert len(sizes) == len(HAND_SIZES)  # the empty page too
    for (width, height), (want_width, want_height) in zip(sizes, HAND_SIZES, strict=True):
        assert width == pytest.approx(want_width, abs=1)
        assert height == pytest.approx(want_height, abs=1)
    text = consumers.pdftotext(pdf)
    for page in HAND_PARAGRAPHS:
        for paragraph, _, _ in page:
            assert " ".join(paragraph.split()) in " ".join(text.split())
    with pikepdf.open(pdf) as doc:
        assert str(doc.docinfo["/Title"]) == OPTIONS["PdfTitle"]
        assert str(doc.docinfo["/Author"]) == OPTIONS["PdfAuthor"]


# --- RTF: its own structure -------------------------------------------------------------------------


def test_rtf_escapes_specials_and_writes_unicode_as_signed_16_bit_units() -> None:
    assert escape("a\\b{c}d") == r"a\\b\{c\}d"
    assert escape("Grüße") == r"Gr\u252?\u223?e"
    assert escape("日") == r"\u26085?"
    assert escape("\u7fff\u8000\uffef") == r"\u32767?\u-32768?\u-17?"
    assert escape("😀") == r"\u-10179?\u-8704?"  # U+1F600 is the surrogate pair D83D DE00


def _groups_balanced(rtf: str) -> bool:
    depth = 0
    for token in re.findall(r"\\[\\{}]|[{}]", rtf):
        if token in "{}":
            depth += 1 if token == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def test_rtf_structure(hand: Written) -> None:
    raw = hand.files["rtf"].read_bytes()
    assert raw.isascii()
    rtf = raw.decode("ascii")
    assert rtf.startswith(r"{\rtf1") and _groups_balanced(rtf)
    assert re.search(r"\\paperw11904\\paperh16838(?![0-9])", rtf)  # the first page, in twips
    parts = re.split(r"\\sect(?![a-z])", rtf)
    assert len(parts) == len(HAND_SIZES)  # \sect between pages
    for part, (width, height) in zip(parts, HAND_SIZES, strict=True):
        assert f"\\pgwsxn{round(width * 20)}\\pghsxn{round(height * 20)}" in part
        assert ("\\lndscpsxn" in part) == (width > height)
    assert "\\cols2" in parts[3] and "\\cols" not in parts[0]
    assert re.search(r"\\s1\\outlinelevel0[^ ]* Quarterly Report\\par", rtf)
    assert re.search(r"\\s2\\outlinelevel1[^ ]* Details\\par", rtf)
    assert "\\clvmgf" in parts[0] and "\\clvmrg" in parts[0]  # the row-spanning cell
    assert r"{\title Jahresbericht \u8211? \u220?bersicht}" in rtf
    assert r"{\author Zo\u235? \u197?ngstr\u246?m}" in rtf


def test_rtf_unicode_round_trips_through_libreoffice(hand_rtf_read: DocRead) -> None:
    texts = [text for text, _, _ in hand_rtf_read.pages[0].paragraphs]
    assert UNICODE in texts


# --- real OCR results --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["phototest", "two_pages"])
@pytest.mark.parametrize("ext", WRITERS)
def test_libreoffice_shows_the_ocr_text_on_the_pages_of_the_scan(
    real_outputs: dict[str, Written], name: str, ext: str
) -> None:
    written = real_outputs[name]
    pdf = written.pdfs[ext]
    sizes = pdf_pages(pdf)
    assert len(sizes) == len(written.layouts)
    for (width, height), layout in zip(sizes, written.layouts, strict=True):
        assert width == pytest.approx(layout.width_pt, abs=1)
        assert height == pytest.approx(layout.height_pt, abs=1)
    expected = consumers.words("\n".join(layout.text() for layout in written.layouts))
    assert len(expected) > 20  # the OCR found the pages' text
    assert in_order_share(expected, consumers.words(consumers.pdftotext(pdf))) >= 0.98


@pytest.mark.parametrize("name", ["phototest", "two_pages"])
@pytest.mark.parametrize("ext", ["docx", "odt"])
def test_real_paragraphs_read_back_in_order_with_their_sizes(
    real_outputs: dict[str, Written], name: str, ext: str
) -> None:
    written = real_outputs[name]
    got = read(ext, written)
    assert len(got.pages) == len(written.layouts)
    for page, layout in zip(got.pages, written.layouts, strict=True):
        want = [
            (" ".join(item.text.split()), expected_size(item.font_size), 0)
            for item in layout.items
            if isinstance(item, TextBlock) and item.text.strip()
        ]
        assert page.paragraphs == want
        assert page.width == pytest.approx(layout.width_pt, abs=0.1)
        assert page.height == pytest.approx(layout.height_pt, abs=0.1)
        assert page.landscape == (layout.width > layout.height)


def test_real_text_keeps_accents_and_umlauts(two_pages: Written) -> None:
    card = " ".join(text for text, _, _ in read_docx(two_pages.files["docx"]).pages[0].paragraphs)
    assert {"über", "Hund."} <= set(card.split())  # eurotext: "über den faulen Hund."


# --- the writers take the layouts from the document when the context has none -------------------------


def test_layouts_are_made_from_the_document_when_the_context_lacks_it(tmp_path: Path) -> None:
    pages = [documents.hand_page([["Erste Seite mit Umlauten: äöü"]], number=1), documents.hand_page([], number=2)]
    doc = Document(pages=pages)
    ctx = WriteContext(options=JobOptions(), work_dir=tmp_path, bases=[])  # as the pipeline builds it today
    DocxWriter().write(doc, ctx, tmp_path / "out.docx")
    OdtWriter().write(doc, ctx, tmp_path / "out.odt")
    for got in (read_docx(tmp_path / "out.docx"), read_odt(tmp_path / "out.odt")):
        assert [page.paragraphs for page in got.pages] == [[("Erste Seite mit Umlauten: äöü", 12.0, 0)], []]


# --- tables as the layout gives them: each writer gets a regular grid ----------------------------------


def test_tables_with_gaps_and_overlaps_become_regular_grids() -> None:
    page = PageLayout(1, *A4, dpi=300)
    page.items = [
        Table(
            box=Box(300, 300, 1500, 500),
            rows=2,
            cols=3,
            cells=[
                Cell("wide", Box(300, 300, 1100, 400), 0, 0, col_span=5),  # spans past the grid's edge
                Cell("hidden", Box(900, 300, 1100, 400), 0, 1),  # under "wide"
                Cell("low", Box(300, 400, 700, 500), 1, 0),
                Cell("outside", Box(300, 600, 700, 700), 4, 0),
            ],  # (1, 1) and (1, 2): no cell
        )
    ]
    [table] = flow.sections([page])[0].items
    assert isinstance(table, flow.FlowTable)
    assert (table.rows, table.cols) == (2, 3)
    assert [(c.text, c.row, c.col, c.row_span, c.col_span) for c in table.cells()] == [
        ("wide", 0, 0, 1, 3),
        ("low", 1, 0, 1, 1),
        ("", 1, 1, 1, 1),
        ("", 1, 2, 1, 1),
    ]
    assert len(table.widths) == 3 and sum(table.widths) == pytest.approx(1200 * 72 / 300, abs=1)
