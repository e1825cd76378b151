"""PDF output over real HTTP with real OCR: every PdfConformance level, the image compressions,
document properties, and what a PDF input keeps. PDF/A is checked with pikepdf's PDF/A validator
(pikepdf.pdfa.check, the one OCRmyPDF uses) and by reading the structure the level requires."""

from __future__ import annotations

import gc
import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pikepdf.pdfa
import pytest
from PIL import Image, ImageChops

from tests.consumers import pdftotext, words
from tests.harness import Server

pytestmark = pytest.mark.paired

PROPERTIES = {
    "PdfTitle": "Quarterly report — Zoë",
    "PdfSubject": "OCR test",
    "PdfAuthor": "Ada Lovelace",
    "PdfKeywords": "ocr, pdf/a",
}
# PdfConformance -> (pdfaid:part, pdfaid:conformance)
LEVELS = {1: ("1", "B"), 2: ("2", "B"), 3: ("3", "B"), 4: ("1", "A"), 5: ("2", "A"), 6: ("3", "A")}


def run_all(server: Server, path: Path, variants: dict[Any, dict[str, Any]]) -> dict[Any, tuple[int, bytes]]:
    ids = {key: server.submit(path, **options)["Id"] for key, options in variants.items()}
    out: dict[Any, tuple[int, bytes]] = {}
    for key, job_id in ids.items():
        info = server.wait(job_id)
        assert info["Status"] == 3, f"{key}: {info['ErrorDescription']}"
        response = server.client.get(f"/download/{job_id}/pdf")
        assert response.status_code == 200
        out[key] = job_id, response.content
    return out


@pytest.fixture(scope="module")
def levels(server: Server, data: Path) -> dict[int, tuple[int, bytes]]:
    variants = {level: {"PdfConformance": level, "TxtOutput": True, **PROPERTIES} for level in range(7)}
    return run_all(server, data / "ocr-tesseract-test" / "phototest.tif", variants)


def pdfa_findings(pdf: pikepdf.Pdf, flavour: str) -> list[Any]:
    """pikepdf's PDF/A findings. Its content parser reports any warning raised meanwhile as a finding,
    so a ResourceWarning of the garbage collector (an HTTP client's socket of another test) is kept out."""
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        return list(pikepdf.pdfa.check(pdf, flavour).findings)


def open_pdf(content: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(content))


def fonts(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every font of every page, including those of form XObjects (the text layer)."""
    seen: set[tuple[int, int]] = set()

    def walk(resources: Any) -> Iterator[pikepdf.Dictionary]:
        for font in (resources.get("/Font") or {}).values():
            if font.objgen not in seen:
                seen.add(font.objgen)
                yield font
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                yield from walk(xobject.Resources)

    for page in pdf.pages:
        yield from walk(page.obj.get("/Resources", {}))


def embedded(font: pikepdf.Dictionary) -> bool:
    descendants = font.get("/DescendantFonts")
    target = descendants[0] if descendants else font
    descriptor = target.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


# -- PDF/A levels -------------------------------------------------------------------------------


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_pdfa_levels_validate_and_declare_themselves(levels: dict[int, tuple[int, bytes]], level: int) -> None:
    part, conformance = LEVELS[level]
    with open_pdf(levels[level][1]) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == part
        assert meta["pdfaid:conformance"] == conformance
        findings = [
            f for f in pdfa_findings(pdf, f"{part}b") if not (conformance == "A" and "conformance is 'A'" in f.message)
        ]
        assert findings == [], findings
        assert not pdf.is_encrypted
        intents = pdf.Root.OutputIntents
        assert len(intents) == 1 and intents[0].S == "/GTS_PDFA1" and "/DestOutputProfile" in intents[0]
        all_fonts = list(fonts(pdf))
        assert all_fonts and all(embedded(f) for f in all_fonts)
        assert pdf.pdf_version == ("1.4" if part == "1" else pdf.pdf_version)


def test_a_plain_pdf_claims_no_conformance(levels: dict[int, tuple[int, bytes]]) -> None:
    with open_pdf(levels[0][1]) as pdf:
        assert "pdfaid:part" not in pdf.open_metadata()
        assert pdf.pdf_version >= "1.5"
        assert "/StructTreeRoot" not in pdf.Root


@pytest.mark.parametrize("level", range(7))
def test_document_properties_in_info_and_xmp(levels: dict[int, tuple[int, bytes]], level: int) -> None:
    with open_pdf(levels[level][1]) as pdf:
        info, meta = pdf.docinfo, pdf.open_metadata()
        assert str(info["/Title"]) == meta["dc:title"] == PROPERTIES["PdfTitle"]
        assert str(info["/Subject"]) == meta["dc:description"] == PROPERTIES["PdfSubject"]
        assert str(info["/Author"]) == PROPERTIES["PdfAuthor"]
        assert meta["dc:creator"] == [PROPERTIES["PdfAuthor"]]
        assert str(info["/Keywords"]) == meta["pdf:Keywords"] == PROPERTIES["PdfKeywords"]


@pytest.mark.parametrize("level", [4, 5, 6])
def test_level_a_is_tagged_with_the_ocr_text(server: Server, levels: dict[int, tuple[int, bytes]], level: int) -> None:
    job_id, content = levels[level]
    text = server.client.get(f"/download/{job_id}/txt").text
    with open_pdf(content) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert str(pdf.Root.Lang) == "en"
        root = pdf.Root.StructTreeRoot
        document = root.K[0]
        assert document.S == "/Document"
        elements = list(document.K)
        assert elements and all(e.S in ("/P", "/H1") for e in elements)
        # ActualText of the elements, in order, is the text of the page
        assert words(" ".join(str(e.ActualText) for e in elements)) == words(text)
        # each element claims one marked-content sequence of the page's text layer, and the parent
        # tree leads back from that sequence to the element
        page = pdf.pages[0]
        nums = list(root.ParentTree.Nums)
        parents = dict(zip(nums[::2], nums[1::2], strict=True))
        for element in elements:
            reference = element.K
            assert reference.Type == "/MCR" and reference.Pg.objgen == page.obj.objgen
            form = reference.Stm
            assert form.Subtype == "/Form"
            assert f"/MCID {int(reference.MCID)}".encode() in form.read_bytes()
            assert parents[int(form.StructParents)][int(reference.MCID)].objgen == element.objgen
        # the scan itself is an artifact
        assert (
            page.obj.Contents[0].read_bytes().startswith(b"/Artifact BMC")
            if isinstance(page.obj.Contents, pikepdf.Array)
            else b"/Artifact BMC" in page.obj.Contents.read_bytes()
        )


@pytest.mark.parametrize("level", range(7))
def test_every_level_stays_searchable(server: Server, levels: dict[int, tuple[int, bytes]], level: int,
                                      tmp_path: Path) -> None:  # fmt: skip
    job_id, content = levels[level]
    text = server.client.get(f"/download/{job_id}/txt").text
    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(content)
    assert words(pdftotext(pdf)) == words(text)


def test_level_a_of_a_tagged_born_digital_pdf(server: Server, data: Path) -> None:
    """A PDF input's own structure refers to content we keep but a tree we do not copy: the output's
    tree is ours, and valid."""
    ((_, content),) = run_all(
        server, data / "pdfs-ocrmypdf" / "tagged.pdf", {5: {"PdfConformance": 5}}
    ).values()  # fmt: skip
    with open_pdf(content) as pdf:
        assert len(pdf.pages) == 2
        assert [f for f in pdfa_findings(pdf, "2b") if "conformance is 'A'" not in f.message] == []
        assert all("/StructParents" not in page.obj for page in pdf.pages)
        assert len(pdf.Root.StructTreeRoot.ParentTree.Nums) == 2 * 2  # one text layer per page


# -- image compression --------------------------------------------------------------------------


def page_images(content: bytes) -> list[tuple[list[str], int, int, Image.Image]]:
    """(filters, bits per component, compressed size, decoded picture) of every image of every page."""
    images = []
    with open_pdf(content) as pdf:
        for page in pdf.pages:
            for raw in page.get_images().values():
                image = pikepdf.PdfImage(raw)
                pil = image.as_pil_image().copy()
                images.append((filters(raw.get("/Filter")), image.bits_per_component, len(raw.read_raw_bytes()), pil))
    return images


def filters(raw_filter: Any) -> list[str]:
    if raw_filter is None:
        return []
    return [str(f) for f in raw_filter] if isinstance(raw_filter, pikepdf.Array) else [str(raw_filter)]


def test_bilevel_compression_g4_and_run_length(server: Server, data: Path) -> None:
    source = data / "ocr-tesseract-test" / "phototest.tif"  # a bilevel scan
    out = run_all(server, source, {0: {"BWCompression": 0}, 1: {"BWCompression": 1}})
    with Image.open(source) as original:
        expected = original.convert("1")
        for choice, wanted in ((0, "/CCITTFaxDecode"), (1, "/RunLengthDecode")):
            ((names, bits, _, pil),) = page_images(out[choice][1])
            assert names == [wanted]
            assert bits == 1
            assert ImageChops.difference(pil.convert("L"), expected.convert("L")).getbbox() is None, (
                f"BWCompression {choice} is lossless"
            )


@pytest.fixture(scope="module")
def colour_page(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Path:
    """A colour PNG (lossless input, so every ColorCompression re-encodes it)."""
    source = next(iter(sorted((data / "receipts-sroie").rglob("*.jpg"))))
    target = tmp_path_factory.mktemp("colour") / "page.png"
    with Image.open(source) as im:
        im.convert("RGB").save(target)
    return target


def test_colour_compression_jpeg_qualities_and_lossless(server: Server, colour_page: Path) -> None:
    out = run_all(server, colour_page, {c: {"ColorCompression": c} for c in range(4)})
    sizes = {}
    with Image.open(colour_page) as original:
        original_rgb = original.convert("RGB")
    for choice in range(4):
        ((names, _, sizes[choice], pil),) = page_images(out[choice][1])
        if choice == 3:
            assert names == ["/FlateDecode"]
            assert ImageChops.difference(pil.convert("RGB"), original_rgb).getbbox() is None
        else:
            assert names == ["/DCTDecode"]
    assert sizes[0] < sizes[1] < sizes[2] < sizes[3]


def test_a_born_digital_page_keeps_its_content_and_only_gains_text(server: Server, data: Path) -> None:
    source = data / "pdfs-ocrmypdf" / "tagged.pdf"
    (_, content), = run_all(server, source, {0: {}}).values()  # fmt: skip
    with pikepdf.open(source) as original, open_pdf(content) as result:
        assert len(result.pages) == len(original.pages)
        for before, after in zip(original.pages, result.pages, strict=True):
            assert after.mediabox == before.mediabox
            kept = (
                before.obj.Contents.read_bytes()
                if isinstance(before.obj.Contents, pikepdf.Stream)
                else b"".join(c.read_bytes() for c in before.obj.Contents)
            )
            after_bytes = (
                b"".join(c.read_bytes() for c in after.obj.Contents)
                if isinstance(after.obj.Contents, pikepdf.Array)
                else after.obj.Contents.read_bytes()
            )
            assert kept.strip() in after_bytes
    assert len(content) < 1.5 * source.stat().st_size + 20_000


# -- text --------------------------------------------------------------------------------------


def test_txt_paragraphs_blank_lines_and_remove_white_space_regions(server: Server, data: Path) -> None:
    source = data / "ocr-tesseract-test" / "phototest.tif"
    ids = {
        flag: server.submit(source, PdfOutput=False, TxtOutput=True, RemoveWhiteSpaceRegions=flag)["Id"]
        for flag in (False, True)
    }
    texts = {}
    for flag, job_id in ids.items():
        assert server.wait(job_id)["Status"] == 3
        texts[flag] = server.client.get(f"/download/{job_id}/txt").text
    assert "\n\n" in texts[False].strip()  # phototest has two paragraphs
    assert all(line.strip() for line in texts[True].strip().split("\n"))
    assert words(texts[True]) == words(texts[False])


def test_txt_pages_are_separated_by_a_form_feed(server: Server, data: Path, tmp_path: Path) -> None:
    two = tmp_path / "two.tif"
    with (
        Image.open(data / "ocr-tesseract-test" / "phototest.tif") as a,
        Image.open(data / "ocr-tesseract-test" / "eurotext.tif") as b,
    ):
        a.save(two, save_all=True, append_images=[b.convert(a.mode)], compression="group4", dpi=(300, 300))
    job_id = server.submit(two, PdfOutput=False, TxtOutput=True)["Id"]
    assert server.wait(job_id)["Status"] == 3
    text = server.client.get(f"/download/{job_id}/txt").text
    first, second = text.split("\f")
    assert "quick brown dog" in first and "quick brown dog" not in second
    assert "\f" not in second


def test_downloads_name_the_file_and_type(server: Server, levels: dict[int, tuple[int, bytes]]) -> None:
    job_id, _ = levels[0]
    for ext, media in (("pdf", "application/pdf"), ("txt", "text/plain; charset=utf-8")):
        response = server.client.get(f"/download/{job_id}/{ext}")
        assert response.headers["content-type"] == media
        assert f'filename="{job_id}.{ext}"' in response.headers["content-disposition"]
