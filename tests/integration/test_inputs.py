"""Every input type converts: the job's fields, the TXT result and the searchable PDF.

All jobs are submitted once per server (a module fixture) so the workers convert them while the
first tests check their results. Each case is made from real pages of the shared test data.

For every case the PDF result is compared with the input: page count and page sizes, the text
layer (pdftotext finds the words, `pdftotext -bbox` puts a known word where it is on the image,
text drawn invisibly), and the rendered page (pdftoppm) against the input image. A PDF input must
keep its own page content (content stream and images).
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import img2pdf
import numpy as np
import pikepdf
import pillow_heif
import pytest
from PIL import Image, ImageOps

from tests.harness import Server

pillow_heif.register_heif_opener()

pytestmark = pytest.mark.paired

UNSET_DATE = "0001-01-01T00:00:00"
PUNCTUATION = ".,;:!?()[]{}<>\"'\u2018\u2019\u201c\u201d\u00ab\u00bb"
TESSERACT_TEST = "ocr-tesseract-test"
PHOTOTEST_WORDS = ["quick", "brown", "dog", "jumped", "lazy", "fox", "point", "format"]
EUROTEXT_WORDS = ["Fuchs", "springt", "renard", "chien", "volpe", "perro", "spam"]
FILING_WORDS = ["COMPLAINT", "DISTRICT", "GEORGIA", "Plaintiff", "retaliation"]


# -- the cases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """What one input page must give: words in its text, and one word whose position is checked."""

    words: list[str]
    probe: str | None = None


@dataclass(frozen=True)
class Case:
    ext: str  # as sent to uploadext
    make: Callable[[Path, Path], Path]  # (data, folder) -> the input file
    pages: list[Page]
    # True: the page size in points follows from the resolution the file states, and the output
    # must have it; False: the file states none, or one no scanner uses (72, 96 dpi), so only the
    # page's shape and a believable resolution (70-600 dpi) are checked
    trusted_dpi: bool = True
    # how a reader sees the stored image (e.g. transparency on white paper)
    reference: Callable[[Image.Image], Image.Image] = field(default=lambda im: im)


def _open(data: Path, name: str) -> Image.Image:
    with Image.open(data / name) as im:
        im.load()
        return im.copy()


def _tiff_frame(image: Image.Image, dpi: float) -> Image.Image:
    """The image as a TIFF in memory: frames appended with save_all keep their own resolution."""
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF", dpi=(dpi, dpi))
    buffer.seek(0)
    return Image.open(buffer)


def make_tif(data: Path, folder: Path) -> Path:
    """phototest (200 dpi) and eurotext (300 dpi), bilevel, CCITT G4."""
    target = folder / "two-pages.tif"
    first = _tiff_frame(_open(data, f"{TESSERACT_TEST}/phototest.tif"), 200)
    second = _tiff_frame(_open(data, f"{TESSERACT_TEST}/eurotext.tif"), 300)
    first.save(target, save_all=True, append_images=[second], compression="group4")
    with Image.open(target) as check:
        assert getattr(check, "n_frames", 1) == 2
        check.seek(1)
        assert round(check.info["dpi"][0]) == 300, "the second frame must keep its own resolution"
    return target


def make_tiff(data: Path, folder: Path) -> Path:
    """A real court filing scan (grey, 235 dpi) and phototest (grey, 200 dpi), LZW."""
    target = folder / "grey-pages.TIFF"
    filing = _tiff_frame(_open(data, "ocr-scribe-benchmark/img/filing_01.png").convert("L"), 235)
    photo = _tiff_frame(_open(data, f"{TESSERACT_TEST}/phototest.tif").convert("L"), 200)
    filing.save(target, save_all=True, append_images=[photo], compression="tiff_lzw")
    return target


def make_jpg(data: Path, folder: Path) -> Path:
    target = folder / "phototest.jpg"
    _open(data, f"{TESSERACT_TEST}/phototest.tif").convert("L").save(target, quality=90, dpi=(200, 200))
    return target


def real_jpeg(data: Path, folder: Path) -> Path:
    """A camera/scanner JPEG of a receipt, as it is (SROIE 597, it claims 96 dpi)."""
    return data / "receipts-sroie/img/597.jpg"


def make_bmp(data: Path, folder: Path) -> Path:
    target = folder / "eurotext.bmp"
    _open(data, f"{TESSERACT_TEST}/eurotext.tif").convert("L").save(target, dpi=(300, 300))
    return target


def make_png(data: Path, folder: Path) -> Path:
    target = folder / "phototest.png"
    _open(data, f"{TESSERACT_TEST}/phototest.tif").convert("L").save(target, dpi=(200, 200))
    return target


def make_png_alpha(data: Path, folder: Path) -> Path:
    """Black ink on a transparent sheet: colour black everywhere, the page is in the alpha channel."""
    target = folder / "phototest-alpha.png"
    grey = _open(data, f"{TESSERACT_TEST}/phototest.tif").convert("L")
    rgba = Image.new("RGBA", grey.size, (0, 0, 0, 0))
    rgba.putalpha(ImageOps.invert(grey))
    rgba.save(target, dpi=(200, 200))
    return target


def real_png_alpha(data: Path, folder: Path) -> Path:
    """tesseract.js's cosmic.png: transparent background whose hidden colour is black."""
    return data / "ocr-tesseractjs/cosmic.png"


def make_png_72dpi(data: Path, folder: Path) -> Path:
    """eurotext (a 300 dpi scan) saved by a tool that writes 72 dpi into every PNG."""
    target = folder / "eurotext-72dpi.png"
    _open(data, f"{TESSERACT_TEST}/eurotext.tif").convert("L").save(target, dpi=(72, 72))
    return target


def make_gif(data: Path, folder: Path) -> Path:
    target = folder / "phototest.gif"
    _open(data, f"{TESSERACT_TEST}/phototest.tif").convert("L").save(target)
    return target


def make_heif(data: Path, folder: Path) -> Path:
    target = folder / "phototest.heif"
    _open(data, f"{TESSERACT_TEST}/phototest.tif").convert("RGB").save(target, format="HEIF", quality=90)
    return target


def make_heic(data: Path, folder: Path) -> Path:
    target = folder / "eurotext.heic"
    _open(data, f"{TESSERACT_TEST}/eurotext.tif").convert("L").save(target, format="HEIF", quality=90)
    return target


def multipage_pdf(data: Path, folder: Path) -> Path:
    return data / "pdfs-ocrmypdf/multipage.pdf"


def make_scan_pdf(data: Path, folder: Path) -> Path:
    """Two real scans as a scanner driver would write them: one image per page, at its resolution."""
    target = folder / "scan.pdf"
    filing = folder / "filing.png"
    _open(data, "ocr-scribe-benchmark/img/filing_01.png").convert("L").save(filing, dpi=(235, 235))
    target.write_bytes(img2pdf.convert([str(filing), str(data / f"{TESSERACT_TEST}/phototest.tif")]))
    return target


def on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


PHOTOTEST = Page(PHOTOTEST_WORDS, probe="quick")
EUROTEXT = Page(EUROTEXT_WORDS, probe="springt")

CASES: dict[str, Case] = {
    "tif-multipage": Case("tif", make_tif, [PHOTOTEST, EUROTEXT]),
    "TIFF-multipage-grey": Case("TIFF", make_tiff, [Page(FILING_WORDS, probe="COMPLAINT"), PHOTOTEST]),
    "jpg": Case("jpg", make_jpg, [PHOTOTEST]),
    "jpeg-receipt": Case(
        "jpeg", real_jpeg, [Page(["SEAFOOD", "RESTAURANT", "DENGKIL", "SELANGOR"])], trusted_dpi=False
    ),
    "bmp": Case("bmp", make_bmp, [EUROTEXT]),
    "png": Case("png", make_png, [PHOTOTEST]),
    "png-alpha-ink": Case("png", make_png_alpha, [PHOTOTEST], reference=on_white),
    "png-alpha-cosmic": Case(
        "PNG",
        real_png_alpha,
        [Page(["World", "beyond", "Cosmic", "Void"], probe="beyond")],
        trusted_dpi=False,
        reference=on_white,
    ),
    "png-72dpi": Case("png", make_png_72dpi, [EUROTEXT], trusted_dpi=False),
    "gif": Case("gif", make_gif, [PHOTOTEST], trusted_dpi=False),
    "heif": Case("heif", make_heif, [PHOTOTEST], trusted_dpi=False),
    "heic": Case("HEIC", make_heic, [EUROTEXT], trusted_dpi=False),
    "pdf-multipage": Case(
        "pdf",
        multipage_pdf,
        [
            Page(["trees", "garden", "kitchen"], probe="garden"),
            Page([]),
            Page([]),
            Page([]),
            Page(["England", "king", "queen"]),
            Page(["throne", "England", "pincers"], probe="throne"),
        ],
    ),
    "pdf-scan": Case("pdf", make_scan_pdf, [Page(FILING_WORDS, probe="COMPLAINT"), PHOTOTEST]),
}


# -- submitting everything once per server ------------------------------------------------------


@dataclass
class Submitted:
    file: Path
    job_id: int = 0
    error: str = ""
    info: dict[str, Any] | None = None
    pdf: bytes = b""
    txt: str = ""
    pdf_path: Path | None = None


@pytest.fixture(scope="module")
def submitted(server: Server, data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Submitted]:
    folder = tmp_path_factory.mktemp("inputs")
    # every file first: encoding HEIF is slow while the workers are busy
    jobs = {name: Submitted(file=case.make(data, folder)) for name, case in CASES.items()}
    for name, case in CASES.items():
        entry = jobs[name]
        path = entry.file
        created = server.client.post("/create", json={"TxtOutput": True, "PdfOutput": True})
        if created.status_code != 200:
            entry.error = f"create: {created.status_code} {created.text}"
            continue
        entry.job_id = created.json()["Id"]
        up = server.client.post(f"/uploadext/{entry.job_id}/{case.ext}", content=path.read_bytes())
        if up.status_code != 200:
            entry.error = f"uploadext/{case.ext}: {up.status_code} {up.text}"
    return jobs


def finished(server: Server, submitted: dict[str, Submitted], name: str, folder: Path) -> Submitted:
    """The case's job, converted, with both results downloaded (once per server)."""
    entry = submitted[name]
    assert not entry.error, entry.error
    if entry.info is None:
        info = server.wait(entry.job_id, timeout=300)
        assert info["Status"] == 3, f"{name}: {info['ErrorDescription']}"
        pdf = server.client.get(f"/download/{entry.job_id}/pdf")
        txt = server.client.get(f"/download/{entry.job_id}/txt")
        assert pdf.status_code == 200, pdf.text
        assert txt.status_code == 200, txt.text
        entry.pdf, entry.txt, entry.info = pdf.content, txt.text, info
        entry.pdf_path = folder / f"{name}-{entry.job_id}.pdf"
        entry.pdf_path.write_bytes(entry.pdf)
    return entry


# -- helpers: the input side ----------------------------------------------------------------------


class Reference:
    """One input page as the reader sees it: its raster (made on first use) and its size in points
    (None: the file states no usable size)."""

    def __init__(self, load: Callable[[], Image.Image], size_pt: tuple[float, float] | None) -> None:
        self._load = load
        self._image: Image.Image | None = None
        self.size_pt = size_pt

    @property
    def image(self) -> Image.Image:
        if self._image is None:
            self._image = self._load()
        return self._image


_REFERENCES: dict[tuple[str, Path], list[Reference]] = {}


def reference_pages(name: str, path: Path) -> list[Reference]:
    """The input's pages (cached: the same file is compared by several tests)."""
    key = (name, path)
    if key not in _REFERENCES:
        _REFERENCES[key] = _reference_pages(CASES[name], path)
    return _REFERENCES[key]


def _reference_pages(case: Case, path: Path) -> list[Reference]:
    if case.ext.upper() == "PDF":
        return [
            # pages with a probe word are read by tesseract: they need the finer raster
            Reference(functools.partial(render, path, n, longest=1600 if page.probe else 600), size)
            for n, (page, size) in enumerate(zip(case.pages, pdf_page_sizes(path), strict=True), start=1)
        ]
    pages: list[Reference] = []
    with Image.open(path) as im:
        for index in range(getattr(im, "n_frames", 1)):
            im.seek(index)
            im.load()
            frame = ImageOps.exif_transpose(im.copy()) or im.copy()
            image = case.reference(frame).convert("L")
            dpi = im.info.get("dpi")
            size = None
            if case.trusted_dpi:
                assert dpi, f"{path.name} frame {index} states no resolution"
                size = (image.width * 72 / float(dpi[0]), image.height * 72 / float(dpi[1]))
            pages.append(Reference(functools.partial(lambda image: image, image), size))
    return pages


def pdf_page_sizes(path: Path) -> list[tuple[float, float]]:
    """Visible page sizes in points (crop box, turned by /Rotate), as a viewer shows them."""
    sizes: list[tuple[float, float]] = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            box = pikepdf.Rectangle(page.cropbox)
            width, height = float(box.width), float(box.height)
            if int(page.obj.get("/Rotate", 0)) % 180:
                width, height = height, width
            sizes.append((width, height))
    return sizes


def render(pdf: Path, page: int, *, longest: int = 0, size: tuple[int, int] | None = None) -> Image.Image:
    """One page as grey pixels: the longest side `longest` pixels, or exactly `size`."""
    args = ["pdftoppm", "-f", str(page), "-l", str(page), "-gray", "-png"]
    if size:
        args += ["-scale-to-x", str(size[0]), "-scale-to-y", str(size[1])]
    else:
        args += ["-scale-to", str(longest or 300)]
    out = subprocess.run([*args, str(pdf)], capture_output=True, check=True, timeout=120).stdout
    return Image.open(io.BytesIO(out)).convert("L")


@dataclass(frozen=True)
class WordBox:
    text: str
    left: float
    top: float
    right: float
    bottom: float

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.left + self.right) / 2, (self.top + self.bottom) / 2)


def tesseract_boxes(image: Image.Image, word: str, folder: Path) -> list[WordBox]:
    """Pixel boxes of `word` on the image, from the tesseract command (not the server's engine)."""
    source = folder / f"probe-{hashlib.sha1(image.tobytes()).hexdigest()[:12]}.png"
    image.save(source)
    tsv = subprocess.run(
        ["tesseract", str(source), "-", "--psm", "3", "tsv"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    boxes = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) == 12 and cols[0] == "5" and cols[11].strip(PUNCTUATION) == word:
            left, top, width, height = (int(c) for c in cols[6:10])
            boxes.append(WordBox(word, left, top, left + width, top + height))
    return boxes


# -- helpers: the output side ---------------------------------------------------------------------


def pdftotext(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pdf_word_boxes(pdf: Path, page: int, word: str) -> list[WordBox]:
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    boxes = []
    for m in _WORD.finditer(out):
        if html.unescape(m.group(5)).strip(PUNCTUATION) == word:
            boxes.append(WordBox(word, *(float(m.group(i)) for i in range(1, 5))))
    return boxes


def missing_words(text: str, words: list[str]) -> list[str]:
    found = {w.lower() for w in re.findall(r"\w+", text)}
    return [w for w in words if w.lower() not in found]


def text_show_modes(pdf: Path, page_number: int) -> list[int]:
    """The text rendering mode (Tr) in force at every text-showing operator of the page,
    following q/Q and Form XObjects."""
    modes: list[int] = []

    def walk(obj: pikepdf.Object, resources: pikepdf.Object | None, tr: int, depth: int) -> None:
        stack: list[int] = []
        for instruction in pikepdf.parse_content_stream(obj):
            op = str(instruction.operator)
            if op == "q":
                stack.append(tr)
            elif op == "Q" and stack:
                tr = stack.pop()
            elif op == "Tr":
                tr = int(instruction.operands[0])
            elif op in ("Tj", "TJ", "'", '"'):
                modes.append(tr)
            elif op == "Do" and depth < 8:
                xobjects = resources.get("/XObject") if resources is not None else None
                name = str(instruction.operands[0])
                target = xobjects.get(name) if xobjects is not None else None
                if target is not None and target.get("/Subtype") == "/Form":
                    walk(target, target.get("/Resources", resources), tr, depth + 1)

    with pikepdf.open(pdf) as doc:
        page = doc.pages[page_number - 1]
        walk(page.obj, page.obj.get("/Resources"), 0, 0)
    return modes


def grid(image: Image.Image, width: int = 64) -> np.ndarray[Any, np.dtype[np.float64]]:
    height = max(1, round(image.height * width / image.width))
    return np.asarray(image.convert("L").resize((width, height), Image.Resampling.BOX), dtype=np.float64) / 255


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute grey difference of two pages reduced to a coarse grid (0 same, 1 opposite)."""
    return float(np.abs(grid(a) - grid(b)).mean())


def moment(value: str, name: str) -> datetime:
    assert value and value != UNSET_DATE, f"{name} is not set: {value!r}"
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{name} has no offset: {value!r}"
    return parsed


# -- the tests ------------------------------------------------------------------------------------

CASE_IDS = list(CASES)


@pytest.mark.parametrize("name", CASE_IDS)
def test_job_converts_with_dates_and_page_count(
    name: str, server: Server, submitted: dict[str, Submitted], tmp_path: Path
) -> None:
    entry = finished(server, submitted, name, tmp_path)
    info = entry.info
    assert info is not None
    assert info["NumberOfPages"] == len(CASES[name].pages)
    assert info["ErrorDescription"] == ""
    assert info["FileUploaded"] is True
    created = moment(info["Created"], "Created")
    scheduled = moment(info["Scheduled"], "Scheduled")
    started = moment(info["Started"], "Started")
    ended = moment(info["Finished"], "Finished")
    modified = moment(info["Modified"], "Modified")
    assert created <= scheduled <= started <= ended <= modified, info


@pytest.mark.parametrize("name", CASE_IDS)
def test_txt_has_one_form_feed_between_pages_and_the_words(
    name: str, server: Server, submitted: dict[str, Submitted], tmp_path: Path
) -> None:
    case = CASES[name]
    entry = finished(server, submitted, name, tmp_path)
    pages = entry.txt.split("\f")
    assert len(pages) == len(case.pages), f"{entry.txt.count(chr(12))} form feeds for {len(case.pages)} pages"
    for number, (text, page) in enumerate(zip(pages, case.pages, strict=True), start=1):
        assert not missing_words(text, page.words), f"page {number}: {missing_words(text, page.words)}\n{text}"


@pytest.mark.parametrize("name", CASE_IDS)
def test_pdf_has_the_input_pages_and_sizes(
    name: str, server: Server, submitted: dict[str, Submitted], tmp_path: Path
) -> None:
    case = CASES[name]
    entry = finished(server, submitted, name, tmp_path)
    assert entry.pdf.startswith(b"%PDF-")
    assert entry.pdf_path is not None
    out_sizes = pdf_page_sizes(entry.pdf_path)
    references = reference_pages(name, entry.file)
    assert len(out_sizes) == len(references) == len(case.pages)
    for number, (ref, (width, height)) in enumerate(zip(references, out_sizes, strict=True), start=1):
        if ref.size_pt is not None:
            assert width == pytest.approx(ref.size_pt[0], abs=1), f"page {number} width"
            assert height == pytest.approx(ref.size_pt[1], abs=1), f"page {number} height"
        else:
            # no usable resolution: the page keeps the image's shape at a believable resolution
            assert width / height == pytest.approx(ref.image.width / ref.image.height, rel=0.01), f"page {number}"
            dpi = ref.image.width * 72 / width
            assert 70 <= dpi <= 600, f"page {number}: {width:.1f} x {height:.1f} pt is {dpi:.0f} dpi"


@pytest.mark.parametrize("name", CASE_IDS)
def test_pdf_text_layer_is_searchable_and_invisible(
    name: str, server: Server, submitted: dict[str, Submitted], tmp_path: Path
) -> None:
    case = CASES[name]
    entry = finished(server, submitted, name, tmp_path)
    assert entry.pdf_path is not None
    for number, page in enumerate(case.pages, start=1):
        text = pdftotext(entry.pdf_path, number)
        assert not missing_words(text, page.words), f"page {number}: {missing_words(text, page.words)}\n{text}"
        if case.ext.upper() != "PDF":  # a PDF input may have visible text of its own
            modes = text_show_modes(entry.pdf_path, number)
            assert modes, f"page {number} has no text layer"
            assert set(modes) <= {3, 7}, f"page {number}: text drawn visibly (rendering modes {set(modes)})"


@pytest.mark.parametrize("name", [n for n in CASE_IDS if any(p.probe for p in CASES[n].pages)])
def test_pdf_text_sits_on_the_word_in_the_image(
    name: str, server: Server, submitted: dict[str, Submitted], tmp_path: Path
) -> None:
    case = CASES[name]
    entry = finished(server, submitted, name, tmp_path)
    assert entry.pdf_path is not None
    references = reference_pages(name, entry.file)
    out_sizes = pdf_page_sizes(entry.pdf_path)
    for number, (page, ref) in enumerate(zip(case.pages, references, strict=True), start=1):
        if not page.probe:
            continue
        width_pt, height_pt = out_sizes[number - 1]
        sx, sy = width_pt / ref.image.width, height_pt / ref.image.height
        expected = sorted(
            (
                WordBox(b.text, b.left * sx, b.top * sy, b.right * sx, b.bottom * sy)
                for b in tesseract_boxes(ref.image, page.probe, tmp_path)
            ),
            key=lambda b: (round(b.top), b.left),
        )
        actual = sorted(pdf_word_boxes(entry.pdf_path, number, page.probe), key=lambda b: (round(b.top), b.left))
        assert expected, f"page {number}: tesseract does not find {page.probe!r} on the input"
        assert actual, f"page {number}: {page.probe!r} is not in the PDF's text layer"
        tolerance = max(3.0, 3 * sx)  # a few points, or a few pixels on coarse images
        for want in expected:
            nearest = min(actual, key=lambda b: abs(b.centre[0] - want.centre[0]) + abs(b.centre[1] - want.centre[1]))
            assert abs(nearest.centre[0] - want.centre[0]) <= tolerance, (page.probe, number, want, nearest)
            assert abs(nearest.centre[1] - want.centre[1]) <= tolerance, (page.probe, number, want, nearest)
            assert abs((nearest.right - nearest.left) - (want.right - want.left)) <= tolerance, (want, nearest)


@pytest.mark.parametrize("name", CASE_IDS)
def test_pdf_page_looks_like_the_input(
    name: str, server: Server, submitted: dict[str, Submitted], tmp_path: Path
) -> None:
    entry = finished(server, submitted, name, tmp_path)
    assert entry.pdf_path is not None
    references = reference_pages(name, entry.file)
    for number, ref in enumerate(references, start=1):
        if CASES[name].ext.upper() == "PDF":  # drawn exactly as the input page was
            rendered = render(entry.pdf_path, number, longest=max(ref.image.size))
        else:
            rendered = render(entry.pdf_path, number, size=ref.image.size)
        ink = difference(ref.image, Image.new("L", ref.image.size, 255))
        diff = difference(rendered, ref.image)
        # an image is re-encoded (JPEG, G4...); a PDF page keeps its content, so it must look the same
        limit = 0.005 if CASES[name].ext.upper() == "PDF" else 0.02 + 0.25 * ink
        assert diff <= limit, f"page {number}: differs by {diff:.3f} (page ink {ink:.3f})"


@pytest.mark.parametrize("name", [n for n in CASE_IDS if CASES[n].ext.upper() == "PDF"])
def test_pdf_input_keeps_its_page_content(
    name: str, server: Server, submitted: dict[str, Submitted], tmp_path: Path
) -> None:
    entry = finished(server, submitted, name, tmp_path)
    assert entry.pdf_path is not None
    with pikepdf.open(entry.file) as source, pikepdf.open(entry.pdf_path) as result:
        assert len(result.pages) == len(source.pages)
        for number, (before, after) in enumerate(zip(source.pages, result.pages, strict=True), start=1):
            original = _instructions(before)
            output = _instructions(after)
            n = len(original)
            assert any(output[k : k + n] == original for k in range(len(output) - n + 1)), (
                f"page {number}: the original content stream is not in the output page"
            )
            assert _images(before.obj) <= _images(after.obj), f"page {number}: original images were re-encoded"


def _instructions(page: pikepdf.Page) -> list[bytes]:
    return [pikepdf.unparse_content_stream([i]) for i in pikepdf.parse_content_stream(page)]


def _images(obj: pikepdf.Object, depth: int = 0) -> set[str]:
    """Digests of the raw (still encoded) image streams a page or form uses."""
    digests: set[str] = set()
    resources = obj.get("/Resources")
    if resources is None or "/XObject" not in resources or depth > 8:
        return digests
    for _, xobject in resources.XObject.items():
        if xobject.get("/Subtype") == "/Image":
            digests.add(hashlib.sha256(xobject.read_raw_bytes()).hexdigest())
        elif xobject.get("/Subtype") == "/Form":
            digests |= _images(xobject, depth + 1)
    return digests
