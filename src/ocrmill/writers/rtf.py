"""Rich Text Format (RTF 1.9), written as control words here: no well-kept Python library writes RTF.

One section per page (\\sectd with the page's size, margins and columns, \\sect between pages),
paragraphs and headings (\\outlinelevel) with their sizes, tables with borders and merged cells.
The file is 7-bit ASCII: other characters are \\uN? escapes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ocrmill.domain.document import Document
from ocrmill.writers.base import WriteContext
from ocrmill.writers.flow import (
    COLUMN_GAP,
    FONT,
    FlowTable,
    Paragraph,
    Section,
    TableCell,
    paragraph_space,
    sections,
)
from ocrmill.writers.shared import Properties

_STYLES = {0: r"\s0", 1: r"\s1\outlinelevel0\keepn\b", 2: r"\s2\outlinelevel1\keepn\b"}
_BORDERS = "".join(rf"\clbrdr{side}\brdrs\brdrw10" for side in "tlbr")
_CELL_PADDING = 40  # twips between a cell's border and its text


class RtfWriter:
    extension = "rtf"
    needs_page_images = False

    def write(self, doc: Document, ctx: WriteContext, target: Path) -> None:
        target.write_bytes(rtf(sections(ctx.layouts_for(doc)), Properties.of(ctx.options)).encode("ascii"))


def rtf(pages: list[Section], props: Properties) -> str:
    out = [
        r"{\rtf1\ansi\ansicpg1252\deff0\uc1",
        rf"{{\fonttbl{{\f0\froman\fcharset0 {escape(FONT)};}}}}",
        r"{\stylesheet{\s0\snext0 Normal;}"
        + "".join(rf"{{{_STYLES[level]}\sbasedon0\snext0 heading {level};}}" for level in (1, 2))
        + "}",
        _info(props),
        rf"{{\*\generator {escape(props.creator)};}}",
    ]
    if pages:
        first = pages[0]
        out.append(
            rf"\paperw{_twips(first.width)}\paperh{_twips(first.height)}"
            + rf"\margl{_twips(first.margins.left)}\margr{_twips(first.margins.right)}"
            + rf"\margt{_twips(first.margins.top)}\margb{_twips(first.margins.bottom)}"
            + (r"\landscape" if first.landscape else "")
        )
    for index, page in enumerate(pages):
        if index:
            out.append(r"\sect")
        out.append(_section_properties(page))
        out.extend(_section_body(page))
    out.append("}")
    return "\n".join(out) + "\n"


def escape(text: str) -> str:
    r"""RTF text: \, { and } escaped; characters beyond ASCII as \uN? with N a signed 16-bit number,
    characters beyond the Basic Multilingual Plane as their UTF-16 surrogate pair."""
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch in "\\{}":
            out.append("\\" + ch)
        elif code == 0x09:
            out.append(r"\tab ")
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code < 0x20 or code == 0x7F:
            continue  # control characters have no place in text
        else:
            units = ch.encode("utf-16-le")
            for i in range(0, len(units), 2):
                unit = int.from_bytes(units[i : i + 2], "little")
                out.append(rf"\u{unit - 0x10000 if unit >= 0x8000 else unit}?")
    return "".join(out)


def _twips(points: float) -> int:
    return round(points * 20)


def _info(props: Properties) -> str:
    now = dt.datetime.now(dt.UTC)
    fields = [
        ("title", props.title),
        ("subject", props.subject),
        ("author", props.author),
        ("keywords", props.keywords),
    ]
    parts = [rf"{{\{name} {escape(value)}}}" for name, value in fields if value]
    parts.append(rf"{{\creatim\yr{now.year}\mo{now.month}\dy{now.day}\hr{now.hour}\min{now.minute}}}")
    return r"{\info" + "".join(parts) + "}"


def _section_properties(page: Section) -> str:
    words = [
        r"\sectd\sbkpage",
        rf"\pgwsxn{_twips(page.width)}\pghsxn{_twips(page.height)}",
        rf"\marglsxn{_twips(page.margins.left)}\margrsxn{_twips(page.margins.right)}",
        rf"\margtsxn{_twips(page.margins.top)}\margbsxn{_twips(page.margins.bottom)}",
    ]
    if page.landscape:
        words.append(r"\lndscpsxn")
    if page.columns > 1:
        words.append(rf"\cols{page.columns}\colsx{_twips(COLUMN_GAP)}")
    return "".join(words)


def _section_body(page: Section) -> list[str]:
    if not page.items:
        return [r"\pard\plain\par"]  # the page stays, empty
    lines: list[str] = []
    for index, item in enumerate(page.items):
        if isinstance(item, Paragraph):
            lines.append(_paragraph(item))
            continue
        lines.extend(_table(item))
        following = page.items[index + 1] if index + 1 < len(page.items) else None
        if not isinstance(following, Paragraph):  # a paragraph ends the table before a table or a page end
            lines.append(rf"\pard\plain\f0\fs{round(min(item.size, 6.0) * 2)}\par")
    return lines


def _paragraph(paragraph: Paragraph) -> str:
    return (
        rf"\pard\plain{_STYLES[paragraph.level]}\f0\fs{round(paragraph.size * 2)}"
        + rf"\sa{_twips(paragraph_space(paragraph.size))} {escape(paragraph.text)}\par"
    )


def _table(grid: FlowTable) -> list[str]:
    r"""Row by row: cell definitions (right edges, borders, vertical merges), then the cells' text.
    A cell spanning columns is one wider cell; one spanning rows starts a vertical merge (\clvmgf)
    that the cells below continue (\clvmrg)."""
    edges = [sum(grid.widths[: c + 1]) for c in range(grid.cols)]
    lines: list[str] = []
    for r, row in enumerate(grid.owners):
        cells: list[tuple[TableCell, bool]] = []  # (cell, whether it continues a merge from above)
        for c, owner in enumerate(row):
            if owner.col == c:  # a cell's first column: it shows here, as a cell or as its continuation
                cells.append((owner, owner.row != r))
        definition = [rf"\trowd\trgaph{_CELL_PADDING}\trleft0"]
        for owner, continued in cells:
            merge = r"\clvmrg" if continued else (r"\clvmgf" if owner.row_span > 1 else "")
            definition.append(rf"{merge}{_BORDERS}\cellx{_twips(edges[owner.col + owner.col_span - 1])}")
        lines.append("".join(definition))
        size = round(grid.size * 2)
        lines.append(
            "".join(
                rf"\pard\intbl\plain\f0\fs{size} {'' if continued else escape(owner.text)}\cell"
                for owner, continued in cells
            )
            + r"\row"
        )
    return lines
