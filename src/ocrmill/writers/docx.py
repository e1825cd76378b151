"""Word document (DOCX) with python-docx: one section per page with the page's size, paragraphs and
headings with their sizes, tables with borders and merged cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section as DocxSection
from docx.shared import Pt
from docx.table import _Cell as DocxCell
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

from ocrmill.domain.document import Document
from ocrmill.domain.scripts import right_to_left
from ocrmill.writers.base import WriteContext
from ocrmill.writers.flow import (
    COLUMN_GAP,
    FONT,
    FlowTable,
    Paragraph,
    Section,
    paragraph_space,
    sections,
)
from ocrmill.writers.shared import Properties

_HEADING_STYLES = {1: "Heading 1", 2: "Heading 2"}
# what follows w:bidi in w:pPr, w:szCs and w:rtl in w:rPr (the schema's order)
_AFTER_BIDI = ("w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:jc", "w:rPr",
               "w:sectPr", "w:pPrChange")  # fmt: skip
_AFTER_RTL = ("w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")
_AFTER_SZ_CS = ("w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", *_AFTER_RTL)
_APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"


class DocxWriter:
    extension = "docx"
    needs_page_images = False

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        out = docx.Document()
        _styles(out)
        table_style = out.styles["Table Grid"]  # borders on every cell; looked up once, it is slow
        for index, section in enumerate(sections(ctx.layouts_for(doc))):
            if index:
                _end_section(out)
            _page(out.sections[-1], section)
            _content(out, section, table_style)
        _properties(out, Properties.of(ctx.options))
        out.save(str(target))


def _styles(out: DocxDocument) -> None:
    normal = out.styles["Normal"]
    normal.font.name = FONT
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    for name in _HEADING_STYLES.values():
        style = out.styles[name]
        style.font.name = FONT
        style.font.bold = True
        style.font.color.rgb = None  # the template's blue: black like the scan
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)  # the template's theme fonts would win over FONT
        style.paragraph_format.space_before = Pt(6)
        style.paragraph_format.keep_with_next = True


def _end_section(out: DocxDocument) -> None:
    """Ends the current section at a page break; the body's section properties then belong to the next.

    python-docx adds an empty paragraph to carry the ended section's properties; when the section ends
    with a paragraph, that paragraph carries them instead, so no blank line is added to the page.
    """
    out.add_section(WD_SECTION.NEW_PAGE)
    marker = out.paragraphs[-1]._p
    previous = marker.getprevious()
    sect_pr = marker.pPr.sectPr if marker.pPr is not None else None
    if sect_pr is not None and previous is not None and previous.tag == qn("w:p"):
        previous.get_or_add_pPr().append(sect_pr)  # sectPr is pPr's last child
        marker.getparent().remove(marker)


def _page(target: DocxSection, section: Section) -> None:
    target.start_type = WD_SECTION.NEW_PAGE
    target.orientation = WD_ORIENT.LANDSCAPE if section.landscape else WD_ORIENT.PORTRAIT
    target.page_width = Pt(section.width)
    target.page_height = Pt(section.height)
    target.top_margin = Pt(section.margins.top)
    target.right_margin = Pt(section.margins.right)
    target.bottom_margin = Pt(section.margins.bottom)
    target.left_margin = Pt(section.margins.left)
    target.header_distance = Pt(min(36.0, section.margins.top / 2))
    target.footer_distance = Pt(min(36.0, section.margins.bottom / 2))
    target.gutter = Pt(0)
    sect_pr = target._sectPr
    cols = sect_pr.find(qn("w:cols"))
    if cols is None:
        cols = OxmlElement("w:cols")
        sect_pr.get_or_add_pgMar().addnext(cols)
    cols.set(qn("w:num"), str(section.columns))
    cols.set(qn("w:space"), str(round(COLUMN_GAP * 20)))


def _content(out: DocxDocument, section: Section, table_style: Any) -> None:
    items = section.items
    if not items:
        out.add_paragraph()  # the page stays, empty
    for index, item in enumerate(items):
        if isinstance(item, Paragraph):
            _paragraph(out.add_paragraph(style=_HEADING_STYLES.get(item.level)), item.text, item.size)
        else:
            _table(out, item, table_style)
            following = items[index + 1] if index + 1 < len(items) else None
            if not isinstance(following, Paragraph):  # tables need a paragraph between them and at the end
                _paragraph(out.add_paragraph(), "", min(item.size, 6.0))


def _paragraph(paragraph: DocxParagraph, text: str, size: float) -> None:
    paragraph.paragraph_format.space_after = Pt(paragraph_space(size))
    if text:
        _run(paragraph, text, size)
    else:
        paragraph.paragraph_format.line_spacing = Pt(size)


def _run(paragraph: DocxParagraph, text: str, size: float) -> None:
    """The paragraph's text; right-to-left text (Arabic, Hebrew) in a right-to-left paragraph (w:bidi) and run
    (w:rtl), its size as complex-script size too (w:szCs), which Word uses for those scripts."""
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    if right_to_left(text):
        paragraph._p.get_or_add_pPr().insert_element_before(OxmlElement("w:bidi"), *_AFTER_BIDI)
        properties = run._r.get_or_add_rPr()
        cs_size = OxmlElement("w:szCs")
        cs_size.set(qn("w:val"), str(round(size * 2)))
        properties.insert_element_before(cs_size, *_AFTER_SZ_CS)
        properties.insert_element_before(OxmlElement("w:rtl"), *_AFTER_RTL)


def _table(out: DocxDocument, table: FlowTable, style: Any) -> None:
    """python-docx looks cells up by walking the table (grid.cell, row.cells), so the grid's cells
    are listed once; spanned cells, rare, are merged last, when their neighbours are written."""
    grid = out.add_table(rows=table.rows, cols=table.cols)
    grid.style = style
    grid.autofit = False
    cells = [row.cells for row in grid.rows]
    for c, width in enumerate(table.widths):
        grid.columns[c].width = Pt(width)
        for row_cells in cells:
            row_cells[c].width = Pt(width)
    spanned = []
    for cell in table.cells():
        if cell.row_span > 1 or cell.col_span > 1:
            spanned.append(cell)
        else:
            _cell_text(cells[cell.row][cell.col], cell.text, table.size)
    for cell in spanned:
        target = grid.cell(cell.row, cell.col).merge(
            grid.cell(cell.row + cell.row_span - 1, cell.col + cell.col_span - 1)
        )
        _cell_text(target, cell.text, table.size)


def _cell_text(target: DocxCell, text: str, size: float) -> None:
    paragraph = target.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    if text:
        _run(paragraph, text, size)


def _properties(out: DocxDocument, props: Properties) -> None:
    core = out.core_properties
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    core.title = props.title
    core.subject = props.subject
    core.author = props.author  # replaces the template's "python-docx"
    core.keywords = props.keywords
    core.last_modified_by = props.author
    core.comments = ""
    core.created = now
    core.modified = now
    core.revision = 1
    _application(out, props.creator)


def _application(out: DocxDocument, creator: str) -> None:
    """docProps/app.xml names the program that made the file; the template's says Microsoft Word."""
    for rel in out.part.package.rels.values():
        part = rel.target_part
        if part.content_type.endswith("extended-properties+xml"):
            root = etree.fromstring(part.blob)
            for child in list(root):
                if etree.QName(child).localname not in ("Application", "DocSecurity"):
                    root.remove(child)  # word and page counts of the empty template
            app = root.find(f"{{{_APP_NS}}}Application")
            if app is None:
                app = etree.SubElement(root, f"{{{_APP_NS}}}Application")
            app.text = creator
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
