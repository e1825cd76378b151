"""OpenDocument text (ODT) with odfpy: one page style per page size, each page starting on its own,
paragraphs and headings with their sizes, tables with borders and merged cells."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from odf import dc, meta, office, style, table, text
from odf.namespaces import METANS
from odf.opendocument import OpenDocument

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

_MIMETYPE = "application/vnd.oasis.opendocument.text"
_BODY = "Standard"
_HEADINGS = {1: "Heading_20_1", 2: "Heading_20_2"}
_BORDER = "0.5pt solid #000000"


class OdtWriter:
    extension = "odt"
    needs_page_images = False

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        props = Properties.of(ctx.options)
        out = _OdtDocument(_MIMETYPE, props.creator)
        body = office.Text()
        out.body.addElement(body)
        styles = _Styles(out)
        for section in sections(ctx.layouts_for(doc)):
            for element in _section(section, styles):
                body.addElement(element)
        _properties(out, props)
        out.save(str(target))


class _OdtDocument(OpenDocument):  # type: ignore[misc]
    """odfpy names itself as the generator on every save; this document names the program that made it."""

    def __init__(self, mimetype: str, generator: str) -> None:
        self._generator = generator
        super().__init__(mimetype, add_generator=False)

    def _OpenDocument__replaceGenerator(self) -> None:  # odfpy's private hook, called by save
        for node in self.meta.childNodes[:]:
            if node.qname == (METANS, "generator"):
                self.meta.removeChild(node)
        self.meta.addElement(meta.Generator(text=self._generator))


class _Styles:
    """The document's named styles, and automatic styles made once per distinct use."""

    def __init__(self, out: OpenDocument) -> None:
        self.out = out
        self.names: dict[tuple[Any, ...], str] = {}
        self.counts: Counter[str] = Counter()
        self.masters: set[str] = set()
        out.fontfacedecls.addElement(
            style.FontFace(name=FONT, fontfamily=f"'{FONT}'", fontfamilygeneric="roman", fontpitch="variable")
        )
        default = style.DefaultStyle(family="paragraph")
        default.addElement(style.TextProperties(fontname=FONT, fontsize="11pt"))
        out.styles.addElement(default)
        standard = style.Style(name=_BODY, family="paragraph", displayname="Default Paragraph Style")
        standard.addElement(style.TextProperties(fontname=FONT))
        out.styles.addElement(standard)
        for level, name in _HEADINGS.items():
            heading = style.Style(
                name=name,
                displayname=f"Heading {level}",
                family="paragraph",
                parentstylename=_BODY,
                nextstylename=_BODY,
                defaultoutlinelevel=str(level),
                attributes={"class": "text"},
            )
            heading.addElement(style.ParagraphProperties(margintop="6pt", keepwithnext="always"))
            heading.addElement(style.TextProperties(fontweight="bold", fontweightasian="bold"))
            out.styles.addElement(heading)

    def _auto(self, key: tuple[Any, ...], make: Callable[[str], Any]) -> str:
        """The automatic style for `key` (its first item names the kind), made by `make` on first use."""
        name = self.names.get(key)
        if name is None:
            kind = key[0]
            self.counts[kind] += 1
            name = self.names[key] = f"{kind}{self.counts[kind]}"
            self.out.automaticstyles.addElement(make(name))
        return name

    def master(self, section: Section) -> str:
        """The master page (page style) for the section's page size, margins and columns."""

        def make(name: str) -> Any:
            properties = style.PageLayoutProperties(
                pagewidth=_pt(section.width),
                pageheight=_pt(section.height),
                printorientation="landscape" if section.landscape else "portrait",
                margintop=_pt(section.margins.top),
                marginright=_pt(section.margins.right),
                marginbottom=_pt(section.margins.bottom),
                marginleft=_pt(section.margins.left),
            )
            if section.columns > 1:
                properties.addElement(style.Columns(columncount=str(section.columns), columngap=_pt(COLUMN_GAP)))
            layout = style.PageLayout(name=name)
            layout.addElement(properties)
            return layout

        layout = self._auto(("PageLayout", section.width, section.height, section.margins, section.columns), make)
        name = layout.replace("PageLayout", "Page")
        if name not in self.masters:
            self.masters.add(name)
            self.out.masterstyles.addElement(style.MasterPage(name=name, pagelayoutname=layout))
        return name

    def paragraph(self, paragraph: Paragraph, master: str | None = None, *, in_table: bool = False) -> str:
        parent = _HEADINGS.get(paragraph.level, _BODY)
        space = 0.0 if in_table else paragraph_space(paragraph.size)

        rtl = right_to_left(paragraph.text)

        def make(name: str) -> Any:
            element = style.Style(name=name, family="paragraph", parentstylename=parent)
            if master:
                element.setAttribute("masterpagename", master)
            # right-to-left text (Arabic, Hebrew) in a right-to-left paragraph, aligned at its start (the right)
            writing = {"writingmode": "rl-tb", "textalign": "start"} if rtl else {}
            element.addElement(style.ParagraphProperties(marginbottom=_pt(space), **writing))
            size = _pt(paragraph.size)
            element.addElement(style.TextProperties(fontsize=size, fontsizeasian=size, fontsizecomplex=size))
            return element

        return self._auto(("P", parent, paragraph.size, space, master, rtl), make)

    def table(self, grid: FlowTable, master: str | None = None) -> str:
        def make(name: str) -> Any:
            element = style.Style(name=name, family="table")
            if master:
                element.setAttribute("masterpagename", master)
            element.addElement(style.TableProperties(width=_pt(sum(grid.widths)), align="left", marginbottom="4pt"))
            return element

        return self._auto(("Table", sum(grid.widths), master), make)

    def column(self, width: float) -> str:
        def make(name: str) -> Any:
            element = style.Style(name=name, family="table-column")
            element.addElement(style.TableColumnProperties(columnwidth=_pt(width)))
            return element

        return self._auto(("Column", width), make)

    def cell(self) -> str:
        def make(name: str) -> Any:
            element = style.Style(name=name, family="table-cell")
            element.addElement(style.TableCellProperties(border=_BORDER, padding="2pt"))
            return element

        return self._auto(("Cell",), make)


def _section(section: Section, styles: _Styles) -> list[Any]:
    """The section's elements; the first names the section's master page, which starts a new page."""
    master: str | None = styles.master(section)
    elements: list[Any] = []
    for item in section.items or (Paragraph("", 11.0),):
        if isinstance(item, FlowTable):
            elements.append(_table(item, styles, master))
        elif item.level:
            elements.append(text.H(outlinelevel=item.level, stylename=styles.paragraph(item, master), text=item.text))
        else:
            elements.append(text.P(stylename=styles.paragraph(item, master), text=item.text))
        master = None
    return elements


def _table(grid: FlowTable, styles: _Styles, master: str | None) -> Any:
    out = table.Table(stylename=styles.table(grid, master))
    for width in grid.widths:
        out.addElement(table.TableColumn(stylename=styles.column(width)))
    cell_style = styles.cell()
    for r, row in enumerate(grid.owners):
        out_row = table.TableRow()
        for c, owner in enumerate(row):
            if (owner.row, owner.col) != (r, c):
                out_row.addElement(table.CoveredTableCell())
                continue
            cell = table.TableCell(
                stylename=cell_style,
                valuetype="string",
                numbercolumnsspanned=str(owner.col_span),
                numberrowsspanned=str(owner.row_span),
            )
            paragraph_style = styles.paragraph(Paragraph(owner.text, grid.size), in_table=True)
            cell.addElement(text.P(stylename=paragraph_style, text=owner.text))
            out_row.addElement(cell)
        out.addElement(out_row)
    return out


def _properties(out: OpenDocument, props: Properties) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat()
    if props.title:
        out.meta.addElement(dc.Title(text=props.title))
    if props.subject:
        out.meta.addElement(dc.Subject(text=props.subject))
    if props.author:
        out.meta.addElement(meta.InitialCreator(text=props.author))
        out.meta.addElement(dc.Creator(text=props.author))
    for keyword in props.keyword_list():
        out.meta.addElement(meta.Keyword(text=keyword))
    out.meta.addElement(meta.CreationDate(text=now))
    out.meta.addElement(dc.Date(text=now))


def _pt(points: float) -> str:
    return f"{points:.2f}pt"
