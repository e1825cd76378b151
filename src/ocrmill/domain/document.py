"""The OCR result of a document: pages > blocks > lines > words, with boxes in page-raster pixels."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass
class Word:
    text: str
    box: Box
    confidence: float  # 0..100, as Tesseract reports it
    font_size: float = 0.0  # points, estimated


@dataclass
class Line:
    box: Box
    words: list[Word] = field(default_factory=list)
    baseline: tuple[float, float] = (0.0, 0.0)  # slope, offset from the box's bottom (hOCR convention)

    def text(self, min_confidence: float = 0) -> str:
        return " ".join(w.text for w in self.words if w.confidence >= min_confidence)


@dataclass
class Paragraph:
    box: Box
    lines: list[Line] = field(default_factory=list)


@dataclass
class Block:
    box: Box
    paragraphs: list[Paragraph] = field(default_factory=list)
    kind: str = "text"


@dataclass
class Page:
    number: int  # 1-based, in the output
    width: int  # raster pixels
    height: int
    dpi: float
    blocks: list[Block] = field(default_factory=list)
    source_index: int = 0  # 0-based page of the input files, in upload order
    own_text: bool = False  # the words are the PDF page's own text, not OCR (IntelligentPDFProcessing)

    def words(self) -> list[Word]:
        return [w for b in self.blocks for p in b.paragraphs for ln in p.lines for w in ln.words]

    def text(self, min_confidence: float = 0) -> str:
        """Reading order: blocks as Tesseract orders them, paragraphs separated by a blank line."""
        paragraphs: list[str] = []
        for block in self.blocks:
            for para in block.paragraphs:
                lines = [ln.text(min_confidence) for ln in para.lines]
                text = "\n".join(ln for ln in lines if ln)
                if text:
                    paragraphs.append(text)
        return "\n\n".join(paragraphs)


@dataclass
class Document:
    pages: list[Page] = field(default_factory=list)
