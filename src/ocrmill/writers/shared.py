"""What every document writer shares: the job's document properties and text cleaned for any format,
and one rule for heading levels."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ocrmill.domain.layout import PageLayout, TextBlock
from ocrmill.domain.options import JobOptions

DEFAULT_TITLE = "OCR result"


@dataclass(frozen=True)
class Properties:
    title: str
    subject: str
    author: str
    keywords: str
    creator: str = "ocrmill"

    @classmethod
    def of(cls, options: JobOptions) -> Properties:
        return cls(
            title=clean(options.PdfTitle),
            subject=clean(options.PdfSubject),
            author=clean(options.PdfAuthor),
            keywords=clean(options.PdfKeywords),
        )

    @property
    def title_or_default(self) -> str:
        return self.title or DEFAULT_TITLE

    def keyword_list(self) -> list[str]:
        return [k.strip() for k in re.split(r"[,;]", self.keywords) if k.strip()]


_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Text every format can hold: control characters, lone surrogates and non-characters dropped,
    white space runs made one space."""
    kept = "".join(
        ch for ch in _SPACES.sub(" ", text) if unicodedata.category(ch) not in ("Cc", "Cs") and not _noncharacter(ch)
    )
    return kept.strip()


def _noncharacter(ch: str) -> bool:
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def heading_levels(layouts: Sequence[PageLayout]) -> dict[float, int]:
    """Heading font size -> level: the document's largest headings (within 1 pt) are level 1, smaller
    ones level 2, so that a page's only heading is not level 1 merely for being the largest on its page."""
    sizes = {
        round(item.font_size * 2) / 2
        for layout in layouts
        for item in layout.items
        if isinstance(item, TextBlock) and item.role == "heading"
    }
    if not sizes:
        return {}
    top = max(sizes)
    return {size: 1 if size >= top - 1.0 else 2 for size in sizes}


def heading_level(levels: dict[float, int], item: TextBlock) -> int:
    return levels.get(round(item.font_size * 2) / 2, 2)
