"""Documents for writer tests: real OCR results of real pages (the engine, not a fake), made once
per test session, and small hand-made ones for exact checks."""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import Image

from ocrmill.domain.document import Block, Box, Document, Line, Page, Paragraph, Word
from ocrmill.pipeline.engine import Engine
from ocrmill.pipeline.languages import tessdata_dir
from tests.harness import DATA

PHOTOTEST = DATA / "ocr-tesseract-test" / "phototest.tif"


@functools.cache
def ocr_page(path: Path = PHOTOTEST, *, number: int = 1, langs: tuple[str, ...] = ("eng",)) -> Page:
    """The real OCR result of one image file's first frame, as the pipeline makes it."""
    engine = Engine(tessdata_dir(None), list(langs))
    with Image.open(path) as im:
        image = im.convert("L") if im.mode not in ("1", "L", "RGB") else im.copy()
        dpi = float(im.info.get("dpi", (300, 300))[0] or 300)
    return engine.recognize(image, dpi=dpi, number=number, source_index=number - 1)


def ocr_document(*paths: Path) -> Document:
    """Real OCR of each file (first frame), numbered as pages of one document."""
    return Document(pages=[ocr_page(path, number=i) for i, path in enumerate(paths or (PHOTOTEST,), start=1)])


def word(
    text: str, left: int, top: int, *, width: int = 0, height: int = 40, conf: float = 95, size: float = 12
) -> Word:
    return Word(text, Box(left, top, left + (width or 22 * len(text)), top + height), conf, size)


def hand_page(paragraphs: list[list[str]], *, number: int = 1, dpi: float = 300, size: float = 12) -> Page:
    """An A4 page at `dpi` with one block per paragraph, one line per string, words laid left to right."""
    page = Page(number=number, width=round(8.27 * dpi), height=round(11.69 * dpi), dpi=dpi, source_index=number - 1)
    top = 300
    for lines in paragraphs:
        para_top = top
        para = Paragraph(box=Box(0, 0, 0, 0))
        for text in lines:
            left, words = 300, []
            for token in text.split():
                words.append(word(token, left, top, size=size))
                left += 22 * len(token) + 25
            para.lines.append(Line(box=Box(300, top, left, top + 40), words=words))
            top += 60
        para.box = Box(300, para_top, max(ln.box.right for ln in para.lines), top)
        page.blocks.append(Block(box=para.box, paragraphs=[para]))
        top += 60
    return page
