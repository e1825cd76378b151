"""What the writers whose output is HTML (EPUB, MHT) share: a page's layout as HTML elements
(paragraphs as <p>, headings as <h1>/<h2>, tables as <table> with their spans), and the document's
title and languages as the job names them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from lxml import etree
from lxml.html import builder as E

from ocrmill.domain import languages
from ocrmill.domain.document import Document
from ocrmill.domain.layout import Item, PageLayout, Table, TextBlock
from ocrmill.domain.options import JobOptions
from ocrmill.writers.base import WriteContext

DEFAULT_TITLE = "OCR result"
UNDETERMINED_LANGUAGE = "und"  # BCP 47 for "language not known"

# Headings at least this share of the document's largest heading size are <h1>, smaller ones <h2>.
H1_SHARE = 0.9

STYLE = """\
table { border-collapse: collapse; margin: 1em 0; }
td { border: 1px solid #888; padding: 0.2em 0.5em; vertical-align: top; }
"""

# Characters XML 1.0 does not allow (lxml refuses them); OCR text rarely has them, but must not fail.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class HtmlLayout:
    """Layout items as HTML elements. Heading levels are chosen across the whole document, so that a
    page's only heading is not <h1> merely for being the largest one on its page."""

    h1_size: float  # points: headings this large or larger are <h1>

    @classmethod
    def of(cls, layouts: Sequence[PageLayout]) -> HtmlLayout:
        sizes = [item.font_size for layout in layouts for item in layout.items if is_heading(item)]
        return cls(h1_size=max(sizes, default=0.0) * H1_SHARE)

    def elements(self, layout: PageLayout) -> list[etree._Element]:
        return [self.element(item) for item in layout.items]

    def element(self, item: Item) -> etree._Element:
        if isinstance(item, Table):
            return table_element(item)
        if item.role == "heading":
            heading = E.H1 if item.font_size >= self.h1_size else E.H2
            return heading(xml_text(item.text))
        return E.P(xml_text(item.text))


def is_heading(item: Item) -> TypeGuard[TextBlock]:
    return isinstance(item, TextBlock) and item.role == "heading"


def table_element(table: Table) -> etree._Element:
    """One <tr> per grid row, even a row whose cells all span into it from above: rowspan counts it."""
    rows = [E.TR() for _ in range(table.rows)]
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        td = E.TD(xml_text(cell.text))
        if cell.row_span > 1:
            td.set("rowspan", str(cell.row_span))
        if cell.col_span > 1:
            td.set("colspan", str(cell.col_span))
        rows[cell.row].append(td)
    return E.TABLE(E.TBODY(*rows))


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def page_layouts(doc: Document, ctx: WriteContext) -> list[PageLayout]:
    """The context's layouts, which must be those of `doc`: a writer would otherwise write nothing."""
    if len(ctx.layouts) != len(doc.pages):
        raise ValueError(f"WriteContext has {len(ctx.layouts)} page layouts for {len(doc.pages)} pages")
    return ctx.layouts


def title(options: JobOptions) -> str:
    """The job's title on one line (it also goes into mail-style headers), or a default one."""
    return " ".join(xml_text(options.PdfTitle).split()) or DEFAULT_TITLE


def keywords(options: JobOptions) -> list[str]:
    return [k for k in (xml_text(part).strip() for part in re.split(r"[;,]", options.PdfKeywords)) if k]


def language_tags(options: JobOptions) -> list[str]:
    """BCP 47 tags ("en", "de", "zh-Hans") of all the job's recognition languages, in the job's order;
    names that are no known language are left out."""
    tags = [languages.bcp47(name) for name in re.split(r"[;,+]", options.RecognitionLanguages)]
    return list(dict.fromkeys(tag for tag in tags if tag != UNDETERMINED_LANGUAGE))
