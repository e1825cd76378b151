"""The image clean-up options of a job over real HTTP with real OCR: each changes the page that is
recognised and shown in the PDF the way its name says; on a clean page none makes the text worse.
(The operations themselves are tested closely in tests/unit/test_cleanup_*.py.)"""

from __future__ import annotations

import difflib
import io
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw

from tests.consumers import words
from tests.harness import Server
from tests.metrics import cer

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"


pytestmark = pytest.mark.paired


@pytest.fixture(scope="module")
def page(data: Path) -> Image.Image:
    """phototest as an 8-bit page on a wider white margin, 200 dpi."""
    with Image.open(data / "ocr-tesseract-test" / "phototest.tif") as im:
        gray = im.convert("L")
    canvas = Image.new("L", (gray.width + 400, gray.height + 400), 255)
    canvas.paste(gray, (200, 200))
    return canvas


def save(image: Image.Image, folder: Path, name: str) -> Path:
    path = folder / name
    image.save(path, dpi=(200, 200))
    return path


def run(server: Server, path: Path, variants: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, bytes]]:
    """One job per option set, at once; each job's TXT and PDF."""
    ids = {key: server.submit(path, TxtOutput=True, MinConfidence=0, **opts)["Id"] for key, opts in variants.items()}
    out = {}
    for key, job_id in ids.items():
        info = server.wait(job_id)
        assert info["Status"] == 3, f"{key}: {info['ErrorDescription']}"
        out[key] = {ext: server.client.get(f"/download/{job_id}/{ext}").content for ext in ("txt", "pdf")}
    return out


def shown(pdf: bytes) -> Image.Image:
    """The page picture the PDF shows, decoded, as 8-bit grey."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        (raw,) = doc.pages[0].get_images().values()
        return pikepdf.PdfImage(raw).as_pil_image().convert("L")


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(a=words(a), b=words(b), autojunk=False).ratio()


def test_auto_orientation_turns_the_page_upright(server: Server, data: Path) -> None:
    source = data / "ocr-tesseract-test" / "phototest-rotated-180.png"
    out = run(server, source, {k: {"AutoOrientation": k} for k in (False, True)})
    reference = (data / "ocr-tesseract-test" / "phototest.txt").read_text(encoding="utf-8")
    assert similarity(out[True]["txt"].decode(), reference) > 0.9
    assert similarity(out[False]["txt"].decode(), reference) < 0.5
    with Image.open(source) as original:
        upright = shown(out[True]["pdf"])
        assert upright.size == original.size
        turned = np.asarray(original.convert("L").rotate(180))
        assert np.mean(np.abs(np.asarray(upright, dtype=int) - turned)) < 2  # shown upright too


def test_deskew_straightens_what_is_read_and_shown(server: Server, page: Image.Image, tmp_path: Path,
                                                  data: Path) -> None:  # fmt: skip
    skewed = page.rotate(5, resample=Image.Resampling.BICUBIC, fillcolor=255)
    out = run(server, save(skewed, tmp_path, "skewed.png"), {k: {"Deskew": k} for k in (False, True)})
    reference = (data / "ocr-tesseract-test" / "phototest.txt").read_text(encoding="utf-8")
    assert similarity(out[True]["txt"].decode(), reference) > similarity(out[False]["txt"].decode(), reference)
    # the shown page is straight: its dark rows are as concentrated as the unskewed page's
    assert _row_peakiness(shown(out[True]["pdf"])) > 0.8 * _row_peakiness(page)
    assert _row_peakiness(shown(out[False]["pdf"])) < 0.6 * _row_peakiness(page)


def _row_peakiness(image: Image.Image) -> float:
    """Variance of the dark-pixel count per row: high when text lines are horizontal."""
    dark = (np.asarray(image) < 128).sum(axis=1).astype(float)
    return float(np.var(dark))


def bordered(page: Image.Image, width: int = 60) -> Image.Image:
    framed = page.copy()
    draw = ImageDraw.Draw(framed)
    w, h = framed.size
    for box in ((0, 0, w, width), (0, h - width, w, h), (0, 0, width, h), (w - width, 0, w, h)):
        draw.rectangle(box, fill=20)
    return framed


def test_clear_border_whitens_it_and_delete_border_crops_it(server: Server, page: Image.Image,
                                                           tmp_path: Path) -> None:  # fmt: skip
    source = save(bordered(page), tmp_path, "bordered.png")
    out = run(server, source, {"off": {}, "clear": {"ClearBorder": True}, "delete": {"DeleteBorder": True}})
    off, clear, delete = (shown(out[k]["pdf"]) for k in ("off", "clear", "delete"))
    edge = np.asarray(clear)[:, :40]
    assert clear.size == off.size and edge.mean() > 240
    assert np.asarray(off)[:, :40].mean() < 60
    assert delete.width < off.width - 100 and delete.height < off.height - 100
    for key in ("clear", "delete"):
        assert similarity(out[key]["txt"].decode(), out["off"]["txt"].decode()) > 0.95


def test_despeckle_removes_specks(server: Server, page: Image.Image, tmp_path: Path) -> None:
    specked = page.copy()
    draw = ImageDraw.Draw(specked)
    rng = np.random.default_rng(7)
    for x, y in zip(rng.integers(0, page.width, 400), rng.integers(0, page.height, 400), strict=True):
        draw.ellipse((int(x), int(y), int(x) + 2, int(y) + 2), fill=0)
    out = run(server, save(specked, tmp_path, "specked.png"), {k: {"Despeckle": k} for k in (False, True)})
    import cv2

    def components(image: Image.Image) -> int:
        count, _ = cv2.connectedComponents((np.asarray(image) < 128).astype(np.uint8))
        return int(count)

    assert components(shown(out[True]["pdf"])) < components(shown(out[False]["pdf"])) - 300


def test_binarize_makes_a_bilevel_page(server: Server, page: Image.Image, tmp_path: Path) -> None:
    grey = Image.fromarray((np.asarray(page) * 0.6 + 80).astype(np.uint8))  # faded grey
    out = run(server, save(grey, tmp_path, "grey.png"), {k: {"Binarize": k} for k in (False, True)})
    with pikepdf.open(io.BytesIO(out[True]["pdf"])) as doc:
        (raw,) = doc.pages[0].get_images().values()
        assert int(raw.BitsPerComponent) == 1 and "/CCITTFaxDecode" in str(raw.Filter)
    with pikepdf.open(io.BytesIO(out[False]["pdf"])) as doc:
        (raw,) = doc.pages[0].get_images().values()
        assert int(raw.BitsPerComponent) == 8


def test_render_quality_sets_the_jpeg_of_a_cleaned_pdf_page(server: Server, data: Path) -> None:
    source = data / "pdfs-ocrmypdf" / "francais.pdf"  # a JPEG scan in a PDF
    out = run(server, source, {q: {"Deskew": True, "ColorCompression": 1, "RenderQuality": q} for q in (10, 95)})
    sizes = {}
    for quality, files in out.items():
        with pikepdf.open(io.BytesIO(files["pdf"])) as doc:
            (raw,) = doc.pages[0].get_images().values()
            assert "/DCTDecode" in str(raw.Filter)
            sizes[quality] = len(raw.read_raw_bytes())
    assert sizes[10] < 0.6 * sizes[95]


def test_no_option_makes_a_clean_page_worse(server: Server, data: Path) -> None:
    source = data / "ocr-tesseract-test" / "phototest.tif"
    everything = {
        name: True
        for name in ("AutoOrientation", "Deskew", "ClearBorder", "Despeckle", "RemoveColorNoise", "RemoveHalftone",
                     "RemoveHolePunch", "ImproveText")
    }  # fmt: skip
    out = run(server, source, {"off": {}, "on": everything})
    reference = (data / "ocr-tesseract-test" / "phototest.txt").read_text(encoding="utf-8")
    assert similarity(out["on"]["txt"].decode(), reference) >= similarity(out["off"]["txt"].decode(), reference)


def salt_and_pepper(page: Image.Image, share: float, seed: int) -> Image.Image:
    """`share` of the page's pixels turned black or white, one pixel each (a noisy scanner or fax)."""
    pixels = np.asarray(page).copy()
    draw = np.random.default_rng(seed).random(pixels.shape)
    pixels[draw < share / 2] = 0
    pixels[(draw >= share / 2) & (draw < share)] = 255
    return Image.fromarray(pixels)


def test_fine_salt_and_pepper_noise_is_read_through_with_default_settings(
    server: Server, page: Image.Image, data: Path, tmp_path: Path
) -> None:
    """Issue 16: with default settings (no Despeckle asked for) a page with fine salt-and-pepper noise reads
    within one point of CER of the clean page; Despeckle does not change the clean page's text."""
    truth = (data / "ocr-tesseract-test" / "phototest.txt").read_text(encoding="utf-8")
    clean, noisy = save(page, tmp_path, "clean.png"), save(salt_and_pepper(page, 0.005, 11), tmp_path, "noisy.png")
    texts = {}
    for name, path, options in (
        ("clean", clean, {}),
        ("noisy", noisy, {}),
        ("clean despeckled", clean, {"Despeckle": True}),
    ):
        job = server.submit(path, TxtOutput=True, **options)
        info = server.wait(int(job["Id"]))
        assert info["Status"] == 3, f"{name}: {info['ErrorDescription']}"
        texts[name] = server.client.get(f"/download/{job['Id']}/txt").content.decode()
    assert cer(truth, texts["noisy"]) <= cer(truth, texts["clean"]) + 0.01, (texts["noisy"], texts["clean"])
    assert texts["clean despeckled"] == texts["clean"]
