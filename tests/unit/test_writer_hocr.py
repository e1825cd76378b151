"""hOCR writer: the structure hocr-tools' hocr-check and Tesseract's hOCR consumers expect, on a real OCR result
and on a hand-made page (MinConfidence, escaping, several pages)."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree, html

from ocrmill.domain.document import Box, Document
from ocrmill.domain.options import JobOptions
from ocrmill.writers.base import WriteContext
from ocrmill.writers.hocr import CAPABILITIES, HocrWriter
from tests.documents import hand_page, ocr_document

BBOX = re.compile(r"^bbox (\d+) (\d+) (\d+) (\d+)(;|$)")


def _write(doc: Document, tmp_path: Path, **options: object) -> Path:
    ctx = WriteContext(options=JobOptions(**options), work_dir=tmp_path, bases=[], doc=doc)  # type: ignore[arg-type]
    target = tmp_path / "result.hocr"
    HocrWriter().write(doc, ctx, target)
    return target


def _bbox(node: etree._Element) -> tuple[int, ...]:
    match = BBOX.match(node.get("title", ""))
    assert match, node.get("title")
    left, top, right, bottom = (int(match[i]) for i in range(1, 5))
    assert left <= right and top <= bottom
    return left, top, right, bottom


def _inside(inner: tuple[int, ...], outer: tuple[int, ...]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def test_a_real_page_is_well_formed_hocr_with_every_kept_word(tmp_path: Path) -> None:
    doc = ocr_document()
    target = _write(doc, tmp_path, MinConfidence=0)
    etree.parse(str(target), etree.XMLParser(no_network=True))  # well-formed XHTML
    tree = html.parse(str(target))  # as hocr-check reads it
    assert tree.xpath("//meta[@name='ocr-system']") and tree.xpath("//meta[@name='ocr-capabilities']")
    assert tree.xpath("//meta[@name='ocr-capabilities']")[0].get("content") == CAPABILITIES
    (page,) = tree.xpath("//*[@class='ocr_page']")
    assert _bbox(page) == (0, 0, doc.pages[0].width, doc.pages[0].height)
    assert "ppageno 0" in page.get("title") and "scan_res" in page.get("title")
    ids = [n.get("id") for n in tree.xpath("//*[@id]")]
    assert len(ids) == len(set(ids))
    for kind, parent in (("ocr_carea", "ocr_page"), ("ocr_par", "ocr_carea"), ("ocr_line", "ocr_par")):
        for node in tree.xpath(f"//*[@class='{kind}']"):
            (up,) = node.xpath(f"./ancestor::*[@class='{parent}']")
            assert _inside(_bbox(node), _bbox(up)) or kind == "ocr_carea", (kind, node.get("id"))
    words = tree.xpath("//*[@class='ocrx_word']")
    for node in words:
        (line,) = node.xpath("./ancestor::*[@class='ocr_line']")
        assert "baseline" in line.get("title") and "x_size" in line.get("title")
        confidence = int(re.search(r"x_wconf (\d+)", node.get("title"))[1])  # type: ignore[index]
        assert 0 <= confidence <= 100
    assert [w.text_content() for w in words] == [w.text for w in doc.pages[0].words() if w.kept(0)]
    assert "quick brown dog" in " ".join(w.text_content() for w in words)


def test_min_confidence_escaping_and_pages(tmp_path: Path) -> None:
    first = hand_page([["Fish & <Chips>", "sure words"]])
    first.blocks[0].paragraphs[0].lines[1].words[0].confidence = 40  # "sure" is unsure: left out at 60
    second = hand_page([["page two"]], number=2)
    blank = hand_page([["gone"]], number=3)
    for w in blank.words():
        w.confidence = 10
    doc = Document(pages=[first, second, blank])
    tree = html.parse(str(_write(doc, tmp_path)))
    pages = tree.xpath("//*[@class='ocr_page']")
    assert [p.get("id") for p in pages] == ["page_1", "page_2", "page_3"]
    assert [p.get("title").split("ppageno ")[1].split(";")[0] for p in pages] == ["0", "1", "2"]
    texts = [" ".join(w.text_content() for w in p.xpath(".//*[@class='ocrx_word']")) for p in pages]
    assert texts == ["Fish & <Chips> words", "page two", ""]
    assert not pages[2].xpath(".//*[@class='ocr_line' or @class='ocr_par' or @class='ocr_carea']")
    assert tree.xpath("//*[@id='word_2_1']")[0].text_content() == "page"


def test_boxes_are_page_pixels(tmp_path: Path) -> None:
    page = hand_page([["one"]])
    page.blocks[0].paragraphs[0].lines[0].words[0].box = Box(10, 20, 110, 60)
    tree = html.parse(str(_write(Document(pages=[page]), tmp_path)))
    (word,) = tree.xpath("//*[@class='ocrx_word']")
    assert word.get("title").startswith("bbox 10 20 110 60; x_wconf ")
