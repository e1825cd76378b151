"""The OCR settings of a job over real HTTP with real OCR: IntelligentPDFProcessing, FastMode,
RecognitionLanguages, RenderResolution, MinConfidence. Each must change the result the way its name
says, measured on the job's outputs."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import pytest

from tests.consumers import pdf_words, pdftotext, words
from tests.harness import Server

pytestmark = pytest.mark.paired

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"


def run(server: Server, path: Path, variants: dict[Any, dict[str, Any]], ext: str = "txt") -> dict[Any, bytes]:
    """One job per option set, submitted at once; each job's `ext` output."""
    ids = {key: server.submit(path, **options)["Id"] for key, options in variants.items()}
    out = {}
    for key, job_id in ids.items():
        info = server.wait(job_id)
        assert info["Status"] == 3, f"{key}: {info['ErrorDescription']}"
        out[key] = server.client.get(f"/download/{job_id}/{ext}").content
    return out


def similarity(a: list[str], b: list[str]) -> float:
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()


# -- IntelligentPDFProcessing -------------------------------------------------------------------


def test_born_digital_pages_keep_their_own_text(server: Server, data: Path, tmp_path: Path) -> None:
    source = data / "pdfs-ocrmypdf" / "tagged.pdf"  # a word-processor PDF: real text, no scan
    original = words(pdftotext(source))
    common = {"TxtOutput": True, "PdfOutput": True}
    ids = {flag: server.submit(source, IntelligentPDFProcessing=flag, **common)["Id"] for flag in (True, False)}
    texts, pdfs = {}, {}
    for flag, job_id in ids.items():
        assert server.wait(job_id)["Status"] == 3
        texts[flag] = server.client.get(f"/download/{job_id}/txt").text
        pdfs[flag] = tmp_path / f"{flag}.pdf"
        pdfs[flag].write_bytes(server.client.get(f"/download/{job_id}/pdf").content)
    # the page's own text, exactly (OCR would misread the dot leaders of the table of contents)
    assert words(texts[True]) == original
    # its PDF is the original with no second, OCRed text layer over the same words
    assert words(pdftotext(pdfs[True])) == original
    # without it the page is OCRed: the OCR text is added over the page's own
    assert len(words(pdftotext(pdfs[False]))) > 1.5 * len(original)


def test_scanned_pdf_pages_are_still_recognised(server: Server, data: Path) -> None:
    source = data / "pdfs-ocrmypdf" / "linn.pdf"  # a scan without text
    reference = words((data / "pdfs-ocrmypdf" / "linn.txt").read_text(encoding="utf-8"))
    out = run(server, source, {"on": {"IntelligentPDFProcessing": True, "PdfOutput": False, "TxtOutput": True}})
    assert similarity(words(out["on"].decode()), reference) > 0.8


def test_a_page_whose_text_has_no_unicode_mapping_is_recognised(server: Server, data: Path) -> None:
    """type3_font_nomapping.pdf shows text whose font cannot be mapped to Unicode: OCR it."""
    source = data / "pdfs-ocrmypdf" / "type3_font_nomapping.pdf"
    out = run(server, source, {k: {"IntelligentPDFProcessing": k, "PdfOutput": False, "TxtOutput": True}
                               for k in (True, False)})  # fmt: skip
    assert words(out[True].decode()) == words(out[False].decode())


# -- FastMode ---------------------------------------------------------------------------------


def test_fast_mode_reads_nearly_the_same_text(server: Server, data: Path) -> None:
    source = data / "ocr-tesseract-test" / "8087_054.3B.tif"
    out = run(server, source, {m: {"FastMode": m, "PdfOutput": False, "TxtOutput": True} for m in (False, True)})
    assert similarity(words(out[True].decode()), words(out[False].decode())) > 0.97


# -- SecondReading (an ocrmill addition) ------------------------------------------------------


def test_second_reading_keeps_a_receipts_words_and_can_be_switched_off(
    server: Server, data: Path, tmp_path: Path
) -> None:
    """The receipt of issue 16: read once, its "RM 51.00" and a third of its words were left out at the default
    MinConfidence. Read twice, the PDF's text layer and the console's page viewer hold the same words, with it."""
    source = data / "receipts-sroie" / "img" / "004.jpg"
    ids = {flag: server.submit(source, SecondReading=flag, TxtOutput=True)["Id"] for flag in (True, False)}
    kept: dict[bool, list[str]] = {}
    for flag, job_id in ids.items():
        info = server.wait(job_id)
        assert info["Status"] == 3, info["ErrorDescription"]
        # the job's JSON names the ocrmill addition only where it is switched off
        assert info.get("SecondReading", True) is flag
        viewer = server.client.get(f"http://127.0.0.1:{server.port}/api/console/jobs/{job_id}/pages/1/words").json()
        kept[flag] = [w["text"] for w in viewer["words"] if w["kept"]]
        pdf = tmp_path / f"{flag}.pdf"
        pdf.write_bytes(server.client.get(f"/download/{job_id}/pdf").content)
        assert sorted(text for text, _, _ in pdf_words(pdf)) == sorted(kept[flag])
        assert ("RM 51.00" in server.client.get(f"/download/{job_id}/txt").text) is flag
    assert len(kept[True]) > 1.3 * len(kept[False])


# -- languages --------------------------------------------------------------------------------


def test_recognition_languages_by_english_name(server: Server, data: Path) -> None:
    """eurotext mixes English, German and French: umlauts and accents come with those models. (Tesseract's alone:
    the second reading, PP-OCR, reads accents whatever the job's languages.)"""
    source = data / "ocr-tesseract-test" / "eurotext.tif"
    common = {"PdfOutput": False, "TxtOutput": True, "MinConfidence": 0, "SecondReading": False}
    out = run(
        server,
        source,
        {"english": {"RecognitionLanguages": "English", **common},
         "three": {"RecognitionLanguages": "English, German, French", **common}},
    )  # fmt: skip
    reference = (data / "ocr-tesseract-test" / "eurotext.txt").read_text(encoding="utf-8")
    accented = set(re.findall(r"\w*[äöüßéèàçôÄÖÜ]\w*", reference))
    found = {k: len(accented & set(re.findall(r"\w+", v.decode()))) for k, v in out.items()}
    assert found["three"] > found["english"], found


def test_the_languages_action_offers_the_european_languages(server: Server) -> None:
    offered = set(server.client.get("/languages").json())
    european = {
        "English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch", "Polish", "Russian",
        "Ukrainian", "Romanian", "Czech", "Hungarian", "Swedish", "Greek", "Bulgarian", "Danish", "Finnish",
        "Slovak", "Croatian",
    }  # fmt: skip
    assert european <= offered, european - offered


# -- RenderResolution -------------------------------------------------------------------------


def test_render_resolution_sets_the_raster_of_pdf_pages(server: Server, data: Path) -> None:
    """The ALTO output gives the page in raster pixels: letter size (612 pt wide) at 100 and 300 dpi."""
    from lxml import etree

    source = data / "pdfs-ocrmypdf" / "linn.pdf"
    out = run(
        server,
        source,
        {dpi: {"RenderResolution": dpi, "PdfOutput": False, "XmlOutput": True} for dpi in (100, 300)},
        ext="xml",
    )
    widths = {dpi: int(etree.fromstring(xml).find(f".//{ALTO}Page").get("WIDTH")) for dpi, xml in out.items()}
    assert widths == {100: round(612 * 100 / 72), 300: round(612 * 300 / 72)}
