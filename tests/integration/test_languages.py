"""Chinese, Japanese (horizontal and vertical), Korean, Arabic and Hebrew over real HTTP with real OCR, on pages the
test renders (Noto CJK, DejaVu Sans: Debian's fonts-noto-cjk and fonts-dejavu-core, installed by
scripts/install-system.sh --tests with the language packs): each output carries the text in logical order, without
spaces between Chinese or Japanese characters, within a character error rate of the truth; right-to-left paragraphs
are marked as such in DOCX and ODT; the PDF text layer reads back in logical order through poppler (pdftotext), as
search and copy in a viewer do."""

from __future__ import annotations

import functools
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from lxml import etree
from PIL import Image, ImageDraw, ImageFont
from xmlschema import XMLSchema

from tests.consumers import pdftotext
from tests.harness import Server
from tests.metrics import cer

pytestmark = pytest.mark.paired

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_INDEX = {"ja": 0, "ko": 1, "zh": 2}  # the faces of Noto Sans CJK's collection
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
MAX_CER = 0.1
ALTO_XSD = Path(__file__).resolve().parents[1] / "schemas" / "alto-4-4.xsd"
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CJK = "\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef"  # CJK punctuation, kana, ideographs, full-width forms
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # pdftotext marks right-to-left runs


@dataclass(frozen=True)
class Script:
    name: str
    language: str  # RecognitionLanguages
    lines: tuple[str, ...]
    font: Path
    index: int = 0
    rtl: bool = False
    vertical: bool = False

    @property
    def unspaced(self) -> bool:
        return self.index in (CJK_INDEX["ja"], CJK_INDEX["zh"]) and self.font == CJK_FONT

    @property
    def truth(self) -> str:
        return "\n".join(self.lines)


SCRIPTS = (
    Script("chinese", "ChineseSimplified", ("我们的工厂生产高质量的纸张。", "今天天气很好\uff0c我们去公园散步。"),
           CJK_FONT, CJK_INDEX["zh"]),
    Script("japanese", "Japanese", ("私たちは毎日日本語を勉強します。", "東京は大きな都市です。"),
           CJK_FONT, CJK_INDEX["ja"]),
    Script("japanese-vertical", "JapaneseVertical", ("私たちは毎日日本語を勉強します", "東京は大きな都市です"),
           CJK_FONT, CJK_INDEX["ja"], vertical=True),
    Script("korean", "Korean", ("서울은 큰 도시입니다.", "우리는 매일 한국어를 공부합니다."),
           CJK_FONT, CJK_INDEX["ko"]),
    Script("arabic", "Arabic", ("مرحبا بكم في المدينة الكبيرة", "نحن نحب القراءة كل يوم"), DEJAVU, rtl=True),
    Script("hebrew", "Hebrew", ("שלום לכם בעיר הגדולה", "אנחנו אוהבים לקרוא כל יום"), DEJAVU, rtl=True),
)  # fmt: skip
OUTPUTS = ("txt", "pdf", "docx", "odt", "xml", "epub")


@functools.cache
def alto_schema() -> XMLSchema:
    return XMLSchema(str(ALTO_XSD))


def render(script: Script, target: Path) -> Path:
    """A 300 dpi page with the script's lines at 48 px (11.5 pt): right-aligned for right-to-left scripts (shaped
    by Pillow's libraqm), one character under the other in columns from the right for vertical text."""
    size = 48
    font = ImageFont.truetype(str(script.font), size, index=script.index)
    page = Image.new("L", (1700, 1200), 255)
    draw = ImageDraw.Draw(page)
    for n, line in enumerate(script.lines):
        if script.vertical:
            x = 1500 - n * round(size * 1.8)
            for k, ch in enumerate(line):
                draw.text((x, 100 + k * round(size * 1.1)), ch, font=font, fill=0)
        elif script.rtl:
            draw.text((1600, 100 + n * round(size * 1.8)), line, font=font, fill=0, anchor="ra", direction="rtl")
        else:
            draw.text((100, 100 + n * round(size * 1.8)), line, font=font, fill=0)
    page.save(target, dpi=(300, 300))
    return target


@pytest.fixture(scope="module")
def outputs(server: Server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """Each script's page, one job each with default settings (MinConfidence too), every output downloaded."""
    root = tmp_path_factory.mktemp("languages")
    options = {"TxtOutput": True, "PdfOutput": True, "DocxOutput": True, "OdtOutput": True, "XmlOutput": True,
               "EpubOutput": True}  # fmt: skip
    ids = {
        s.name: server.submit(render(s, root / f"{s.name}.png"), RecognitionLanguages=s.language, **options)["Id"]
        for s in SCRIPTS
    }
    out: dict[str, dict[str, bytes]] = {}
    for name, job_id in ids.items():
        info = server.wait(job_id)
        assert info["Status"] == 3, f"{name}: {info['ErrorDescription']}"
        out[name] = {ext: server.client.get(f"/download/{job_id}/{ext}").content for ext in OUTPUTS}
    return out


def assert_read(script: Script, text: str, where: str) -> None:
    """Within MAX_CER of the truth, and the first line's first and last words in that order: a line read backwards
    (right to left) fails. Chinese and Japanese, written without spaces, have none between two of their characters
    (a line break between them is no error: a paragraph's lines join without one). The PDF text layer has a space
    where a word MinConfidence leaves out leaves a hole in the line: one a line is allowed."""
    lines = [ln for ln in (" ".join(raw.split()) for raw in text.splitlines()) if ln]
    got = "\n".join(lines)
    if script.unspaced:
        spaced = re.findall(f"[{CJK}] +[{CJK}]", got)
        assert len(spaced) <= len(script.lines), f"{script.name} {where}: spaces between characters {spaced}\n{got}"
        error = cer(re.sub(r"\s", "", script.truth), re.sub(r"\s", "", got))
    else:
        error = cer(script.truth, got)
    assert error <= MAX_CER, f"{script.name} {where}: CER {error:.3f}\n{got}"
    words = script.lines[0].split() if " " in script.lines[0] else [script.lines[0][:2], script.lines[0][-3:-1]]
    first, last = got.find(words[0]), got.find(words[-1])
    assert 0 <= first < last, f"{script.name} {where}: {words[0]!r} before {words[-1]!r}\n{got}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_txt_is_in_logical_order(outputs: dict[str, dict[str, bytes]], script: Script) -> None:
    assert_read(script, outputs[script.name]["txt"].decode("utf-8"), "TXT")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_pdf_text_layer_reads_back_in_logical_order(
    outputs: dict[str, dict[str, bytes]], script: Script, tmp_path: Path
) -> None:
    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(outputs[script.name]["pdf"])
    assert_read(script, BIDI_CONTROLS.sub("", pdftotext(pdf, layout=True)), "PDF text layer")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_docx_paragraphs_carry_the_text_and_its_direction(outputs: dict[str, dict[str, bytes]], script: Script) -> None:
    document = docx.Document(io.BytesIO(outputs[script.name]["docx"]))
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    assert_read(script, "\n".join(p.text for p in paragraphs), "DOCX")
    for p in paragraphs:
        bidi = p._p.pPr is not None and p._p.pPr.find(f"{W}bidi") is not None
        rtl_runs = all(r._r.rPr is not None and r._r.rPr.find(f"{W}rtl") is not None for r in p.runs)
        assert bidi == script.rtl and rtl_runs == script.rtl, f"{script.name}: {p.text!r}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_odt_paragraphs_carry_the_text_and_its_direction(outputs: dict[str, dict[str, bytes]], script: Script) -> None:
    with zipfile.ZipFile(io.BytesIO(outputs[script.name]["odt"])) as odt:
        content = etree.fromstring(odt.read("content.xml"))
    ns = {
        "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
        "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    }
    modes = {
        s.get(f"{{{ns['style']}}}name"): s.find("style:paragraph-properties", ns).get(f"{{{ns['style']}}}writing-mode")
        for s in content.iterfind(".//style:style[@style:family='paragraph']", ns)
    }
    paragraphs = [p for p in content.iterfind(".//text:p", ns) if "".join(p.itertext()).strip()]
    assert_read(script, "\n".join("".join(p.itertext()) for p in paragraphs), "ODT")
    for p in paragraphs:
        mode = modes.get(p.get(f"{{{ns['text']}}}style-name"))
        assert (mode == "rl-tb") == script.rtl, f"{script.name}: {''.join(p.itertext())!r} has writing mode {mode}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_alto_strings_in_reading_order(outputs: dict[str, dict[str, bytes]], script: Script) -> None:
    """Valid ALTO; the lines' Strings in reading order (an SP between two only where the script spaces words),
    each String further along the line than the one before: leftwards in a right-to-left line, down a vertical one."""
    alto_schema().validate(io.BytesIO(outputs[script.name]["xml"]))
    alto = etree.fromstring(outputs[script.name]["xml"])
    lines: list[str] = []
    for line in alto.iter(f"{ALTO}TextLine"):
        strings = line.findall(f"{ALTO}String")
        lines.append("".join(" " if e.tag == f"{ALTO}SP" else e.get("CONTENT", "") for e in line))
        axis = "VPOS" if script.vertical else "HPOS"
        places = [int(s.get(axis, "0")) for s in strings]
        expected = sorted(places, reverse=script.rtl)
        assert places == expected, f"{script.name}: {axis} of {[s.get('CONTENT') for s in strings]}: {places}"
    assert_read(script, "\n".join(lines), "ALTO")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_epub_paragraphs_carry_the_text_and_its_direction(outputs: dict[str, dict[str, bytes]], script: Script) -> None:
    xhtml = "{http://www.w3.org/1999/xhtml}"
    paragraphs: list[etree._Element] = []
    with zipfile.ZipFile(io.BytesIO(outputs[script.name]["epub"])) as epub:
        for name in sorted(n for n in epub.namelist() if n.endswith(".xhtml") and "nav" not in n):
            body = etree.fromstring(epub.read(name)).find(f"{xhtml}body")
            assert body is not None
            blocks = body.iter(f"{xhtml}p", f"{xhtml}h1", f"{xhtml}h2")
            paragraphs += [p for p in blocks if "".join(p.itertext()).strip()]
    assert_read(script, "\n".join("".join(p.itertext()) for p in paragraphs), "EPUB")
    for p in paragraphs:
        assert (p.get("dir") == "rtl") == script.rtl, f"{script.name}: {''.join(p.itertext())!r} dir={p.get('dir')}"
