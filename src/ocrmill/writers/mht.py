"""MIME HTML web archive (.mht, RFC 2557), as browsers and Word save a page: one HTML document with
each page's image followed by its text, and the images as parts of the archive.

Parts are named by absolute file: URLs in Content-Location, as Word names them, and the HTML refers
to the images by those same URLs, so no reader has to resolve a relative one; each image also has a
Content-ID for readers that look parts up by cid: URL.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import io
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import MIMEPart
from pathlib import Path

import lxml.html
from lxml.html import builder as E
from PIL import Image

from ocrmill.domain.document import Document
from ocrmill.domain.layout import PageLayout
from ocrmill.domain.options import JobOptions
from ocrmill.writers import html
from ocrmill.writers.base import WriteContext
from ocrmill.writers.shared import Properties, clean

BASE_URL = "file:///ocrmill/"
DOCUMENT_URL = BASE_URL + "ocr-result.htm"
SAVED_BY = "<Saved by ocrmill>"  # browsers write "<Saved by Blink>" and the like
POLICY = email.policy.SMTP  # CRLF line ends, as browsers write archives

STYLE = (
    html.STYLE
    + """\
.page { margin: 0 auto 3em; max-width: 60em; }
.page img { display: block; max-width: 100%; height: auto; border: 1px solid #ccc; margin-bottom: 1em; }
"""
)

_WEB_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif"}  # formats every browser and Word shows


@dataclass(frozen=True)
class _PageImage:
    number: int
    data: bytes
    subtype: str  # of image/*
    extension: str
    width: int
    height: int

    @classmethod
    def load(cls, path: Path, number: int) -> _PageImage:
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            if im.format in _WEB_FORMATS:
                extension = _WEB_FORMATS[im.format]
                return cls(number, data, Image.MIME[im.format].removeprefix("image/"), extension, width, height)
            png = io.BytesIO()
            im.save(png, "PNG")
        return cls(number, png.getvalue(), "png", "png", width, height)

    @property
    def url(self) -> str:
        return f"{BASE_URL}ocr-result_files/page-{self.number:04d}.{self.extension}"

    @property
    def content_id(self) -> str:
        return f"<page-{self.number:04d}.{self.extension}@ocrmill>"


class MhtWriter:
    extension = "mht"
    needs_page_images = True

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        layouts = ctx.layouts_for(doc)
        # A page without a picture (none was made for it) still shows its text.
        images = [_PageImage.load(path, layout.number) for layout, path in zip(layouts, ctx.page_images, strict=False)]
        page = _html_document(layouts, images, ctx.options)
        target.write_bytes(_archive(page, images, Properties.of(ctx.options).title_or_default).as_bytes(policy=POLICY))


def _html_document(layouts: Sequence[PageLayout], images: Sequence[_PageImage], options: JobOptions) -> str:
    elements = html.HtmlLayout.of(layouts)
    head = E.HEAD(
        E.META(charset="utf-8"),
        E.TITLE(Properties.of(options).title_or_default),
        E.META(name="generator", content="ocrmill"),
    )
    for name, value in (
        ("author", options.PdfAuthor),
        ("description", options.PdfSubject),
        ("keywords", ", ".join(Properties.of(options).keyword_list())),
    ):
        if value := clean(value.strip()):
            head.append(E.META(name=name, content=value))
    head.append(E.STYLE(STYLE))
    body = E.BODY()
    for index, layout in enumerate(layouts):
        section = E.SECTION(E.CLASS("page"), id=f"page-{layout.number}")
        if index < len(images):
            image = images[index]
            alt = f"Page {layout.number}"
            section.append(E.IMG(src=image.url, alt=alt, width=str(image.width), height=str(image.height)))
        section.append(E.DIV(E.CLASS("text"), *elements.elements(layout)))
        body.append(section)
    root = E.HTML(head, body)
    if tags := html.language_tags(options):
        root.set("lang", tags[0])
    return str(lxml.html.tostring(root, doctype="<!DOCTYPE html>", encoding="unicode", pretty_print=True))


def _archive(page: str, images: Sequence[_PageImage], title: str) -> MIMEPart:
    archive = MIMEPart(policy=POLICY)
    archive["From"] = SAVED_BY
    archive["Snapshot-Content-Location"] = DOCUMENT_URL
    archive["Subject"] = title
    archive["Date"] = email.utils.format_datetime(dt.datetime.now(dt.UTC))
    archive["MIME-Version"] = "1.0"
    archive.make_related()
    archive.set_param("type", "text/html")
    document = MIMEPart(policy=POLICY)
    document.set_content(
        page, subtype="html", charset="utf-8", cte="quoted-printable", headers=[f"Content-Location: {DOCUMENT_URL}"]
    )
    archive.attach(document)
    for image in images:
        part = MIMEPart(policy=POLICY)
        part.set_content(
            image.data,
            maintype="image",
            subtype=image.subtype,
            cid=image.content_id,
            headers=[f"Content-Location: {image.url}"],
        )
        archive.attach(part)
    return archive
