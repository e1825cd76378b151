"""EPUB 3 e-book of the OCR text, written with ebooklib: one XHTML chapter per page, or, where the
layout marks headings, a new chapter at each heading. Each page's start is marked as a page break,
so readers can list and go to the printed pages."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ebooklib import epub
from lxml import etree

from ocrmill.domain.document import Document
from ocrmill.domain.layout import PageLayout
from ocrmill.domain.options import JobOptions
from ocrmill.writers import html
from ocrmill.writers.base import WriteContext
from ocrmill.writers.shared import DEFAULT_TITLE, Properties, clean

EPUB_NS = "http://www.idpf.org/2007/ops"


class EpubWriter:
    extension = "epub"
    needs_page_images = False

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        book = epub.EpubBook()
        _metadata(book, ctx.options)
        style = epub.EpubItem(uid="style", file_name="style.css", media_type="text/css", content=html.STYLE.encode())
        book.add_item(style)
        items: list[epub.EpubHtml] = []
        for number, chapter in enumerate(_chapters(ctx.layouts_for(doc)), start=1):
            item = epub.EpubHtml(title=chapter.title, file_name=f"chapter-{number:04d}.xhtml", lang=book.language)
            item.content = _content(chapter.body)
            item.add_item(style)
            book.add_item(item)
            items.append(item)
        book.toc = items
        book.spine = items
        book.add_item(epub.EpubNcx())  # ebooklib always names an NCX in the spine; EPUB 2 readers use it
        book.add_item(epub.EpubNav())
        options = {"raise_exceptions": True, "mtime": dt.datetime.now(dt.UTC), "epub2_guide": False}
        epub.write_epub(str(target), book, options)


@dataclass
class _Chapter:
    title: str
    body: list[etree._Element] = field(default_factory=list)


def _chapters(layouts: Sequence[PageLayout]) -> list[_Chapter]:
    """Chapters in reading order, none without text (but one for a document without any text, as a
    book needs one). A page without text still gets its page-break mark, in the next chapter."""
    elements = html.HtmlLayout.of(layouts)
    by_heading = any(html.is_heading(item) for layout in layouts for item in layout.items)
    chapters: list[_Chapter] = []
    marks: list[etree._Element] = []  # page breaks not yet placed in a chapter
    for layout in layouts:
        marks.append(_page_break(layout.number))
        for index, item in enumerate(layout.items):
            if by_heading and html.is_heading(item):
                chapters.append(_Chapter(" ".join(clean(item.text).split()) or f"Page {layout.number}"))
            elif not chapters or (not by_heading and index == 0):
                chapters.append(_Chapter(f"Page {layout.number}"))
            chapters[-1].body += marks
            marks = []
            chapters[-1].body.append(elements.element(item))
    if not chapters:
        chapters.append(_Chapter(f"Page {layouts[0].number}" if layouts else DEFAULT_TITLE))
    chapters[-1].body += marks
    return chapters


def _page_break(number: int) -> etree._Element:
    attributes = {
        f"{{{EPUB_NS}}}type": "pagebreak",
        "role": "doc-pagebreak",
        "id": f"page-{number}",
        "aria-label": str(number),
    }
    return etree.Element("span", attributes)


def _content(body: list[etree._Element]) -> bytes:
    """The chapter's body as ebooklib takes it: HTML, which it parses and puts into its XHTML page."""
    root = etree.Element("html")
    etree.SubElement(root, "body", nsmap={"epub": EPUB_NS}).extend(body)
    return bytes(etree.tostring(root, method="html", encoding="utf-8"))


def _metadata(book: epub.EpubBook, options: JobOptions) -> None:
    book.set_identifier(f"urn:uuid:{uuid.uuid4()}")
    book.set_title(Properties.of(options).title_or_default)
    tags = html.language_tags(options) or [html.UNDETERMINED_LANGUAGE]
    book.set_language(tags[0])
    for tag in tags[1:]:
        book.add_metadata("DC", "language", tag)
    if author := clean(options.PdfAuthor.strip()):
        book.add_author(author)
    if subject := clean(options.PdfSubject.strip()):
        book.add_metadata("DC", "description", subject)  # a PDF's Subject is a description (as in XMP)
    for keyword in Properties.of(options).keyword_list():
        book.add_metadata("DC", "subject", keyword)
    book.set_unique_metadata("OPF", "generator", "", {"name": "generator", "content": "ocrmill"})
