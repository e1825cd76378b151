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
from ocrmill.domain.layout import Item, PageLayout, Table, TextBlock
from ocrmill.domain.options import JobOptions
from ocrmill.domain.scripts import right_to_left
from ocrmill.writers.shared import clean, heading_level, heading_levels

UNDETERMINED_LANGUAGE = "und"  # BCP 47 for "language not known"

STYLE = """\
table { border-collapse: collapse; margin: 1em 0; }
td { border: 1px solid #888; padding: 0.2em 0.5em; vertical-align: top; }
"""


@dataclass(frozen=True)
class HtmlLayout:
    """Layout items as HTML elements, headings <h1> or <h2> by their level in the whole document."""

    levels: dict[float, int]

    @classmethod
    def of(cls, layouts: Sequence[PageLayout]) -> HtmlLayout:
        return cls(levels=heading_levels(layouts))

    def elements(self, layout: PageLayout) -> list[etree._Element]:
        return [self.element(item) for item in layout.items]

    def element(self, item: Item) -> etree._Element:
        if isinstance(item, Table):
            return table_element(item)
        text = clean(item.text)
        if item.role == "heading":
            heading = E.H1 if heading_level(self.levels, item) == 1 else E.H2
            element = heading(text)
        else:
            element = E.P(text)
        if right_to_left(text):  # Arabic, Hebrew: the paragraph runs and is aligned right to left
            element.set("dir", "rtl")
        return element


def is_heading(item: Item) -> TypeGuard[TextBlock]:
    return isinstance(item, TextBlock) and item.role == "heading"


def table_element(table: Table) -> etree._Element:
    """One <tr> per grid row, even a row whose cells all span into it from above: rowspan counts it."""
    rows = [E.TR() for _ in range(table.rows)]
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        td = E.TD(clean(cell.text))
        if cell.row_span > 1:
            td.set("rowspan", str(cell.row_span))
        if cell.col_span > 1:
            td.set("colspan", str(cell.col_span))
        rows[cell.row].append(td)
    return E.TABLE(E.TBODY(*rows))


def language_tags(options: JobOptions) -> list[str]:
    """BCP 47 tags ("en", "de", "zh-Hans") of all the job's recognition languages, in the job's order;
    names that are no known language are left out."""
    tags = [languages.bcp47(name) for name in re.split(r"[;,+]", options.RecognitionLanguages)]
    return list(dict.fromkeys(tag for tag in tags if tag != UNDETERMINED_LANGUAGE))
