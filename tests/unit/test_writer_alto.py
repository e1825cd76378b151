"""ALTO XML writer: every output is checked against the ALTO 4.4 schema shipped in tests/schemas (offline),
on real OCR results and on small hand-made pages."""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from ocrmill.domain.document import Block, Box, Document, Line, Page, Paragraph, Word
from ocrmill.domain.options import JobOptions
from ocrmill.service.server import version
from ocrmill.writers.base import WriteContext
from ocrmill.writers.xml import XmlWriter
from tests.documents import PHOTOTEST, hand_page, ocr_document, word
from tests.harness import DATA

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
EUROTEXT = DATA / "ocr-tesseract-test" / "eurotext.tif"  # multilingual, with & < > and two font sizes
NS = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}


class _Offline(etree.Resolver):  # type: ignore[misc]
    def resolve(self, url: str, pubid: str, context: object) -> None:
        if url.startswith(("http:", "https:", "ftp:")):
            raise AssertionError(f"schema validation tried to fetch {url}")


@functools.cache
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_Offline())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "alto-4-4.xsd"), parser))


def _write(
    doc: Document, tmp_path: Path, *, barcodes: list[dict[str, object]] | None = None, **options: object
) -> etree._Element:
    """The writer's output for `doc`, parsed, after checking it against the schema."""
    ctx = WriteContext(
        options=JobOptions(**options),  # type: ignore[arg-type]
        work_dir=tmp_path,
        bases=[],
        doc=doc,
        barcodes=barcodes or [],
    )
    target = tmp_path / "result.xml"
    XmlWriter().write(doc, ctx, target)
    tree = etree.parse(str(target), etree.XMLParser(no_network=True))
    _schema().assertValid(tree)
    return tree.getroot()


def _strings(root: etree._Element) -> list[etree._Element]:
    return list(root.iterfind(".//a:String", NS))


def _box(element: etree._Element) -> Box:
    left, top = int(element.get("HPOS")), int(element.get("VPOS"))
    return Box(left, top, left + int(element.get("WIDTH")), top + int(element.get("HEIGHT")))


def _kept(page: Page, min_confidence: float) -> list[Word]:
    return [w for w in page.words() if w.confidence >= min_confidence]


def _doc(*pages: Page) -> Document:
    return Document(pages=list(pages))


# --- the schema itself ---------------------------------------------------------------------------


def test_shipped_schemas_are_the_recorded_files() -> None:
    readme = (SCHEMAS / "README.md").read_text()
    for name in ("xlink.xsd",):
        digest = hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest()
        assert digest in readme, f"{name} differs from the file the README records"
    text = (SCHEMAS / "alto-4-4.xsd").read_text(encoding="utf-8")
    original = text.replace(
        'schemaLocation="xlink.xsd"', 'schemaLocation="http://www.loc.gov/standards/xlink/xlink.xsd"'
    )
    assert hashlib.sha256(original.encode()).hexdigest() in readme, "alto-4-4.xsd differs beyond schemaLocation"


def test_the_schema_rejects_what_alto_forbids(tmp_path: Path) -> None:
    """The validation can fail: a String without CONTENT, or a WC above 1, is not ALTO."""
    root = _write(_doc(hand_page([["one two"]])), tmp_path)
    first, _ = _strings(root)
    del first.attrib["CONTENT"]
    assert not _schema().validate(root)
    root = _write(_doc(hand_page([["one two"]])), tmp_path)
    _strings(root)[1].set("WC", "1.5")
    assert not _schema().validate(root)


# --- real OCR results ----------------------------------------------------------------------------


def test_a_real_page_has_its_words_boxes_and_confidences(tmp_path: Path) -> None:
    doc = ocr_document(PHOTOTEST)
    root = _write(doc, tmp_path)
    words = _kept(doc.pages[0], 60)
    strings = _strings(root)
    assert len(words) > 40
    assert [s.get("CONTENT") for s in strings] == [w.text for w in words]
    assert [_box(s) for s in strings] == [w.box for w in words]
    for s, w in zip(strings, words, strict=True):
        assert float(s.get("WC")) == pytest.approx(w.confidence / 100, abs=0.0006)
    assert xmlschema.XMLSchema(str(SCHEMAS / "alto-4-4.xsd")).is_valid(str(tmp_path / "result.xml"))


def test_two_real_pages(tmp_path: Path) -> None:
    doc = ocr_document(PHOTOTEST, EUROTEXT)
    root = _write(doc, tmp_path)
    pages = root.findall(".//a:Page", NS)
    assert [p.get("PHYSICAL_IMG_NR") for p in pages] == ["1", "2"]
    for element, page in zip(pages, doc.pages, strict=True):
        assert (int(element.get("WIDTH")), int(element.get("HEIGHT"))) == (page.width, page.height)
        assert [s.get("CONTENT") for s in _strings(element)] == [w.text for w in _kept(page, 60)]
        space = _box(element.find("a:PrintSpace", NS))
        for s in _strings(element):
            box = _box(s)
            assert space.left <= box.left and space.top <= box.top
            assert box.right <= space.right and box.bottom <= space.bottom
    eurotext = " ".join(s.get("CONTENT") for s in _strings(pages[1]))
    assert "&" in eurotext and "<lazy>" in eurotext and "«rapide»" in eurotext


def test_real_page_below_min_confidence(tmp_path: Path) -> None:
    page = ocr_document(EUROTEXT).pages[0]
    low = [w for w in page.words() if w.confidence < 80]
    assert low, "eurotext has words Tesseract is unsure of"
    root = _write(_doc(page), tmp_path, MinConfidence=80)
    assert [s.get("CONTENT") for s in _strings(root)] == [w.text for w in _kept(page, 80)]
    assert len(_strings(root)) == len(page.words()) - len(low)


def test_text_styles_are_the_words_font_sizes(tmp_path: Path) -> None:
    doc = ocr_document(PHOTOTEST, EUROTEXT)
    root = _write(doc, tmp_path)
    sizes = {s.get("ID"): float(s.get("FONTSIZE")) for s in root.iterfind("a:Styles/a:TextStyle", NS)}
    words = [w for page in doc.pages for w in _kept(page, 60)]
    assert sorted(sizes.values()) == sorted({w.font_size for w in words})
    assert len(sizes) >= 2
    for s, w in zip(_strings(root), words, strict=True):
        assert sizes[s.get("STYLEREFS")] == w.font_size


def test_real_baselines_lie_on_their_lines(tmp_path: Path) -> None:
    doc = ocr_document(PHOTOTEST, EUROTEXT)
    root = _write(doc, tmp_path)
    lines = root.findall(".//a:TextLine", NS)
    assert len(lines) > 10
    for ln in lines:  # Tesseract's baselines lie within their lines' boxes
        box = _box(ln)
        points = [tuple(map(int, p.split(","))) for p in ln.get("BASELINE").split(" ")]
        assert len(points) == 2
        assert [x for x, _ in points] == [box.left, box.right]
        assert all(box.top <= y <= box.bottom for _, y in points)


# --- hand-made pages -----------------------------------------------------------------------------


def test_description(tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    root = _write(_doc(hand_page([["Hello"]], number=3)), tmp_path)
    description = root.find("a:Description", NS)
    assert description.findtext("a:MeasurementUnit", namespaces=NS) == "pixel"
    assert description.findtext("a:sourceImageInformation/a:fileName", namespaces=NS) == "page-3"
    step = description.find("a:OCRProcessing/a:ocrProcessingStep", NS)
    software = step.find("a:processingSoftware", NS)
    assert software.findtext("a:softwareCreator", namespaces=NS) == "ocrmill"
    assert software.findtext("a:softwareName", namespaces=NS) == "ocrmill"
    assert software.findtext("a:softwareVersion", namespaces=NS) == version()
    when = datetime.fromisoformat(step.findtext("a:processingDateTime", namespaces=NS))
    assert before <= when <= datetime.now(UTC) + timedelta(seconds=1)
    assert root.get("SCHEMAVERSION") == "4.4"


def test_several_pages_name_each_page_image(tmp_path: Path) -> None:
    root = _write(_doc(hand_page([["a"]], number=1), hand_page([["b"]], number=2)), tmp_path)
    source = root.find("a:Description/a:sourceImageInformation", NS)
    assert [e.text for e in source.iterfind("a:fileIdentifier", NS)] == ["page-1", "page-2"]


def test_layout_of_a_hand_page(tmp_path: Path) -> None:
    page = hand_page([["The first line", "and the second"], ["Another paragraph"]])
    root = _write(_doc(page), tmp_path)
    blocks = root.findall(".//a:TextBlock", NS)
    paragraphs = [p for b in page.blocks for p in b.paragraphs]
    assert [_box(b) for b in blocks] == [p.box for p in paragraphs]
    assert [[_box(ln) for ln in b.iterfind("a:TextLine", NS)] for b in blocks] == [
        [ln.box for ln in p.lines] for p in paragraphs
    ]
    space = _box(root.find(".//a:PrintSpace", NS))
    assert space == Box(300, 300, max(p.box.right for p in paragraphs), paragraphs[1].box.bottom)
    first = blocks[0].find("a:TextLine", NS)
    assert [etree.QName(e).localname for e in first] == ["String", "SP", "String", "SP", "String"]
    sp = first.find("a:SP", NS)
    # hand_page lays "The" at 300..366 and "first" from 391: the space between them
    assert (sp.get("HPOS"), sp.get("WIDTH")) == ("366", "25")


def test_confidence_becomes_wc(tmp_path: Path) -> None:
    page = hand_page([["a b c d"]])
    for w, conf in zip(page.words(), (100, 96.4444, 60, 0.5), strict=True):
        w.confidence = conf
    root = _write(_doc(page), tmp_path, MinConfidence=0)
    assert [float(s.get("WC")) for s in _strings(root)] == pytest.approx([1.0, 0.964, 0.6, 0.005], abs=0.0006)


def test_min_confidence_drops_words_lines_and_paragraphs(tmp_path: Path) -> None:
    page = hand_page([["sure unsure sure", "unsure unsure"], ["unsure"], ["edge"]])
    for w in page.words():
        w.confidence = {"sure": 95, "unsure": 40, "edge": 70}[w.text]
    root = _write(_doc(page), tmp_path, MinConfidence=70)
    assert [s.get("CONTENT") for s in _strings(root)] == ["sure", "sure", "edge"]
    assert len(root.findall(".//a:TextBlock", NS)) == 2
    assert len(root.findall(".//a:TextLine", NS)) == 2
    first_line = root.find(".//a:TextLine", NS)
    assert [etree.QName(e).localname for e in first_line] == ["String", "SP", "String"]
    everything = _write(_doc(page), tmp_path, MinConfidence=0)
    assert len(_strings(everything)) == 7


def test_a_page_without_words_is_still_a_page(tmp_path: Path) -> None:
    empty = Page(number=1, width=2480, height=3508, dpi=300)
    only_unsure = hand_page([["maybe"]], number=2)
    only_unsure.blocks[0].paragraphs[0].lines[0].words[0].confidence = 10
    root = _write(_doc(empty, only_unsure, hand_page([["text"]], number=3)), tmp_path)
    pages = root.findall(".//a:Page", NS)
    assert [p.get("PHYSICAL_IMG_NR") for p in pages] == ["1", "2", "3"]
    assert (pages[0].get("WIDTH"), pages[0].get("HEIGHT")) == ("2480", "3508")
    for page in pages[:2]:
        assert page.find("a:PrintSpace", NS) is not None
        assert page.find(".//a:TextBlock", NS) is None
    assert [s.get("CONTENT") for s in _strings(root)] == ["text"]
    assert root.find("a:Styles", NS) is not None
    alone = _write(_doc(empty), tmp_path)
    assert alone.find("a:Styles", NS) is None and alone.find("a:Tags", NS) is None


def test_special_characters_round_trip(tmp_path: Path) -> None:
    texts = ["&", "<b>", 'say "hi"', "it's", "naïve", "Straße", "ﬁ", "日本語", "😀", "a>b&c"]
    page = hand_page([["x"]])
    line = page.blocks[0].paragraphs[0].lines[0]
    line.words = [word(t, 300 + 200 * i, 300) for i, t in enumerate(texts)]
    root = _write(_doc(page), tmp_path)
    assert [s.get("CONTENT") for s in _strings(root)] == texts
    raw = (tmp_path / "result.xml").read_bytes()
    assert b"&amp;" in raw and b"&lt;b&gt;" in raw and "Straße".encode() in raw


def test_characters_xml_cannot_carry_are_replaced(tmp_path: Path) -> None:
    page = hand_page([["x"]])
    page.blocks[0].paragraphs[0].lines[0].words = [word("a\x0cb", 300, 300), word("c\x00", 500, 300)]
    root = _write(_doc(page), tmp_path)
    assert [s.get("CONTENT") for s in _strings(root)] == ["a\u240cb", "c\u2400"]


def test_font_sizes_become_text_styles(tmp_path: Path) -> None:
    page = hand_page([["big words"], ["small"], ["unknown"]])
    sizes = {"big": 14, "words": 14, "small": 9.5, "unknown": 0}
    for w in page.words():
        w.font_size = sizes[w.text]
    root = _write(_doc(page), tmp_path)
    styles = {s.get("ID"): s.get("FONTSIZE") for s in root.iterfind("a:Styles/a:TextStyle", NS)}
    assert sorted(styles.values()) == ["14", "9.5"]
    refs = {s.get("CONTENT"): s.get("STYLEREFS") for s in _strings(root)}
    assert styles[refs["big"]] == styles[refs["words"]] == "14"
    assert styles[refs["small"]] == "9.5"
    assert refs["unknown"] is None


def test_baseline_from_slope_and_offset(tmp_path: Path) -> None:
    level = Line(box=Box(100, 200, 600, 250), words=[word("level", 100, 200, width=500, height=50)], baseline=(0, -10))
    rising = Line(box=Box(100, 300, 600, 350), words=[word("rising", 100, 300, width=500, height=50)])
    rising.baseline = (-0.02, -2)  # y falls by 10 px over 500 px
    outside = Line(box=Box(100, 400, 600, 450), words=[word("below", 100, 400, width=500, height=50)])
    outside.baseline = (0, 12)  # under the box: not a baseline of this line
    page = Page(number=1, width=1000, height=1000, dpi=300)
    para = Paragraph(box=Box(100, 200, 600, 450), lines=[level, rising, outside])
    page.blocks.append(Block(box=para.box, paragraphs=[para]))
    root = _write(_doc(page), tmp_path)
    assert [ln.get("BASELINE") for ln in root.iterfind(".//a:TextLine", NS)] == [
        "100,240 600,240",
        "100,348 600,338",
        None,
    ]


# --- barcodes ------------------------------------------------------------------------------------

QR = {
    "PageNo": 1,
    "Type": 9,
    "Value": "https://example.org/?a=1&b=<2>",
    "X": 900,
    "Y": 1200,
    "Width": 300,
    "Height": 310,
}
GS1 = {
    "PageNo": 2,
    "Type": 10,
    "Value": "]C1\x1d0101234567890128",
    "X": 40,
    "Y": 60,
    "Width": 500,
    "Height": 90,
}


def _barcode_tags(root: etree._Element) -> dict[str, etree._Element]:
    return {t.get("ID"): t for t in root.iterfind("a:Tags/a:OtherTag", NS)}


def test_barcodes_are_tagged_illustrations(tmp_path: Path) -> None:
    doc = _doc(hand_page([["Invoice"]], number=1), hand_page([["Label"]], number=2))
    root = _write(doc, tmp_path, barcodes=[QR, GS1], DetectBarcodes=True)
    tags = _barcode_tags(root)
    for element, barcode in zip(root.iterfind(".//a:Page", NS), (QR, GS1), strict=True):
        (illustration,) = element.iterfind(".//a:Illustration", NS)
        assert illustration.get("TYPE") == "Barcode"
        box = _box(illustration)
        assert (box.left, box.top, box.width, box.height) == tuple(barcode[k] for k in ("X", "Y", "Width", "Height"))
        tag = tags[illustration.get("TAGREFS")]
        assert tag.get("TYPE") == "Barcode" and tag.get("DESCRIPTION") == {9: "QRCODE", 10: "CODE128"}[barcode["Type"]]
        space = _box(element.find("a:PrintSpace", NS))
        assert space.right >= box.right and space.bottom >= box.bottom
    qr, gs1 = tags.values()
    assert qr.get("LABEL") == QR["Value"]
    assert gs1.get("LABEL") == "]C1\u241d0101234567890128"  # GS, which XML cannot carry, as its control picture
    assert [s.get("CONTENT") for s in _strings(root)] == ["Invoice", "Label"]  # barcodes are not text


def test_barcodes_need_detect_barcodes(tmp_path: Path) -> None:
    root = _write(_doc(hand_page([["Invoice"]])), tmp_path, barcodes=[QR], DetectBarcodes=False)
    assert root.find(".//a:Illustration", NS) is None and root.find("a:Tags", NS) is None
    root = _write(_doc(hand_page([["Invoice"]])), tmp_path, DetectBarcodes=True)  # context without barcodes
    assert root.find(".//a:Illustration", NS) is None


def test_barcode_without_position(tmp_path: Path) -> None:
    barcode = {"PageNo": 1, "Type": 5, "Value": "4006381333931"}
    root = _write(
        _doc(Page(number=1, width=100, height=100, dpi=300)), tmp_path, barcodes=[barcode], DetectBarcodes=True
    )
    (illustration,) = root.iterfind(".//a:Illustration", NS)
    assert illustration.get("HPOS") is None
    assert _barcode_tags(root)[illustration.get("TAGREFS")].get("LABEL") == "4006381333931"


def test_writer_registry_attributes() -> None:
    assert XmlWriter.extension == "xml" and XmlWriter.needs_page_images is False
    assert re.fullmatch(r"v\d+\.\d+.*", version())
