"""One job through the pipeline: pages > raster > OCR (once per page) > every requested output."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import img2pdf
from PIL import Image

from ocrmill.domain import languages
from ocrmill.domain.document import Document, Page, has_text, page_to_dict
from ocrmill.domain.options import CLEANUP_OPTIONS, JobOptions
from ocrmill.errors import InputError, PipelineError
from ocrmill.pipeline.calibration import calibrate
from ocrmill.pipeline.cleanup.speckle import speckled
from ocrmill.pipeline.compression import run_length_page
from ocrmill.pipeline.cpu import (
    BARCODES,
    BLANK_PAGES,
    CLEAN_UP,
    LAYOUT,
    OPEN,
    OUTPUTS,
    PAGE_IMAGES,
    RECOGNISE,
    SECOND_READING,
    CpuTimes,
)
from ocrmill.pipeline.diacritics import accents_for
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.languages import installed_languages
from ocrmill.pipeline.pages import InputFile, PageRef, Raster, enumerate_pages, image_bytes, load_raster
from ocrmill.pipeline.pdftext import own_text_page
from ocrmill.pipeline.rules import drop_rules
from ocrmill.pipeline.second_reading import read_twice, reads_again
from ocrmill.pipeline.tables import read_in_order
from ocrmill.pipeline.unread import read_unread
from ocrmill.writers import WRITERS
from ocrmill.writers.base import PageBase, WriteContext

if TYPE_CHECKING:
    from ocrmill.pipeline.barcodes import Barcode

JPEG_QUALITY = {0: 40, 1: 70, 2: 90}  # ColorCompression: low, medium, high


@dataclass(frozen=True)
class Limits:
    max_pages: int
    max_image_megapixels: float


@dataclass
class JobResult:
    pages: int
    outputs: list[str]
    barcodes: list[dict[str, object]] = field(default_factory=list)
    removed_pages: list[int] = field(default_factory=list)  # 1-based source pages left out as blank
    text: str = ""  # the recognised text of the kept pages, as the outputs have it (for the search index)
    cpu: CpuTimes = field(default_factory=CpuTimes)  # where the job's CPU went, by phase (pipeline.cpu)


def run_job(
    *,
    inputs: list[InputFile],
    options: JobOptions,
    out_dir: Path,
    work_dir: Path,
    engines: EnginePool,
    limits: Limits,
    threads: int,
    on_page: Callable[[int, int], None] | None = None,
    ocr_gate: AbstractContextManager[object] | None = None,
) -> JobResult:
    """Write the requested outputs as out_dir/result.<ext>; raises PipelineError subclasses.

    `ocr_gate` (a semaphore shared by a machine's workers) bounds how many pages are recognised at
    once; loading and writing happen outside it."""
    missing = [ext for ext in options.outputs() if ext not in WRITERS]
    if missing:
        raise PipelineError(
            f"{', '.join(e.upper() for e in missing)} output is not available in this version of ocrmill."
        )
    langs = languages.parse(options.RecognitionLanguages, installed=installed_languages(engines.tessdata))
    max_pixels = limits.max_image_megapixels * 1e6
    cpu = CpuTimes()
    with cpu.phase(OPEN):
        refs = enumerate_pages(
            inputs, max_pages=limits.max_pages, max_pixels=max_pixels, render_dpi=options.RenderResolution
        )
    work_dir.mkdir(parents=True, exist_ok=True)
    done = itertools.count(1)
    images = any(WRITERS[ext].needs_page_images for ext in options.outputs())
    intelligent = options.IntelligentPDFProcessing

    needs_pixels = images or options.DetectBarcodes or options.DeleteBlankPages
    twice = options.SecondReading and reads_again(langs)
    accents = accents_for(engines.tessdata, langs)

    def one(ref: PageRef) -> _Outcome:
        with cpu.phase(OPEN):
            own = own_text_page(ref, dpi=options.RenderResolution) if intelligent and ref.kind == "pdf" else None
            raster = (
                load_raster(ref, render_dpi=options.RenderResolution, max_pixels=max_pixels)
                if own is None or needs_pixels
                else None
            )
        if own is not None:  # a born-digital page: its own text, its own content, no OCR
            page, base = own, PageBase(ref.file, ref.index)
        else:
            assert raster is not None
            with ocr_gate or nullcontext():  # clean-up is as CPU-bound as the OCR: the same bound
                with cpu.phase(CLEAN_UP):
                    raster = cleaned(raster, options, engines.tessdata)
                image, dpi = fast_raster(raster) if options.FastMode else (raster.image, raster.dpi)
                with engines.lease(langs) as engine:
                    with cpu.phase(RECOGNISE):
                        page = engine.recognize(
                            image,
                            dpi=dpi,
                            number=ref.source_index + 1,
                            source_index=ref.source_index,
                            fast=options.FastMode,
                        )
                    with cpu.phase(LAYOUT):
                        page = read_unread(page, image, engine)
                        drop_rules(page, image)
                        page = read_in_order(page, image, engine)
                with cpu.phase(SECOND_READING):
                    page = read_twice(page, image) if twice else calibrate(page)
                    if accents is not None:
                        accents.restore_page(page)
            with cpu.phase(PAGE_IMAGES):
                base = page_base(ref, raster, options, work_dir) if options.PdfOutput else PageBase(ref.file, 0)
        codes: list[Barcode] = []
        blank = False
        if raster is not None and options.DetectBarcodes:
            from ocrmill.pipeline.barcodes import read_barcodes  # imported on first use: see cleaned()

            with cpu.phase(BARCODES):
                codes = read_barcodes(
                    raster.image,
                    page_no=ref.source_index + 1,
                    filter_bits=options.BarcodeFilter,
                    direction=options.BarcodeDirection,
                )
        if raster is not None and options.DeleteBlankPages:
            from ocrmill.pipeline.blank import is_blank  # imported on first use: see cleaned()

            with cpu.phase(BLANK_PAGES):
                blank = is_blank(
                    raster.image,
                    raster.dpi,
                    max_noise_percent=options.BlankPagesMaxNoise,
                    has_words=_has_words(page),
                    has_barcode=bool(codes),
                )
        with cpu.phase(PAGE_IMAGES):
            picture = page_image(ref, raster, work_dir) if raster is not None and images and not blank else None
            preview = None if blank else page_preview(ref, raster, work_dir)
        if on_page:
            on_page(next(done), len(refs))  # count's next() is atomic under the GIL
        return _Outcome(page, base, picture, codes, blank, preview)

    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(refs)))) as pool:
        results = list(pool.map(one, refs))

    kept = [r for r in results if not r.blank]
    removed = [r.page.source_index + 1 for r in results if r.blank]
    if not kept:
        raise InputError(f"Every page of the job is blank ({len(results)}); DeleteBlankPages left nothing to write.")
    codes = []
    for number, outcome in enumerate(kept, start=1):  # output page numbers, after the blank pages left out
        outcome.page.number = number
        codes += [replace(code, page_no=number) for code in outcome.codes]
    doc = Document(pages=[r.page for r in kept])
    ctx = WriteContext(
        options=options,
        work_dir=work_dir,
        bases=[r.base for r in kept],
        doc=doc,
        page_images=[r.picture for r in kept if r.picture is not None],
        barcodes=[code.to_api() for code in codes],
    )
    staging = out_dir.with_name(out_dir.name + ".partial")
    with cpu.phase(OUTPUTS):
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for ext in options.outputs():
            WRITERS[ext].write(doc, ctx, staging / f"result.{ext}")
        save_pages(staging / "pages", kept)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.replace(staging, out_dir)
        text = "\n\n".join(page.text(options.MinConfidence) for page in doc.pages)
    return JobResult(
        pages=len(doc.pages),
        outputs=options.outputs(),
        barcodes=ctx.barcodes,
        removed_pages=removed,
        text=text,
        cpu=cpu,
    )


@dataclass
class _Outcome:
    """One source page through the pipeline."""

    page: Page
    base: PageBase
    picture: Path | None
    codes: list[Barcode]
    blank: bool
    preview: Path | None = None


def _has_words(page: Page) -> bool:
    """Words a reader would call text (not OCR of specks): a page with them is never blank."""
    return any(
        (w.confidence >= BLANK_WORD_CONFIDENCE and sum(c.isalnum() for c in w.text) >= 2)
        or (w.confidence >= SURE_CONFIDENCE and has_text(w))  # a page number "3"
        for w in page.words()
    )


PAGE_IMAGE_DPI = 150
BLANK_WORD_CONFIDENCE = 60  # a word this sure keeps its page, whatever the ink ...
SURE_CONFIDENCE = 85  # ... and a single letter or digit this sure


def page_image(ref: PageRef, raster: Raster, work_dir: Path) -> Path:
    """A picture of the page for documents that show it (MHT): at most 150 dpi, JPEG or, for
    bilevel scans, PNG."""
    image = raster.image
    if raster.dpi > PAGE_IMAGE_DPI:
        factor = PAGE_IMAGE_DPI / raster.dpi
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        image = image.convert("L").resize(size, Image.Resampling.LANCZOS) if image.mode == "1" else image.resize(size)
    bilevel = raster.image.mode == "1"
    target = work_dir / f"page-image-{ref.source_index + 1:05d}.{'png' if bilevel else 'jpg'}"
    if bilevel:
        image.save(target, format="PNG", optimize=False)
    else:
        image.save(target, format="JPEG", quality=80)
    return target


PREVIEW_DPI = 100  # the web console's page viewer shows each page at this resolution


def page_preview(ref: PageRef, raster: Raster | None, work_dir: Path) -> Path:
    """The page as the console's viewer shows it: a JPEG at PREVIEW_DPI, written at once so that a long
    job holds no pictures in memory. A born-digital page recognised from its own text has no raster: it
    is rendered at that resolution."""
    if raster is None:
        raster = load_raster(ref, render_dpi=PREVIEW_DPI, max_pixels=1e9)
    image = raster.image.convert("L") if raster.image.mode == "1" else raster.image
    factor = min(1.0, PREVIEW_DPI / raster.dpi)
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    target = work_dir / f"preview-{ref.source_index + 1:05d}.jpg"
    whole = round(raster.dpi / PREVIEW_DPI)
    # 200, 300, 600 dpi (a PNG's 300 is 299.9994: its pixels per metre): the box filter's averages of whole pixels,
    # at a quarter of its time (an A4 page at 300 dpi: 3.5 ms instead of 12.6)
    if whole >= 2 and abs(raster.dpi / PREVIEW_DPI - whole) < 0.001:
        image = image.reduce(whole, (0, 0, min(image.width, size[0] * whole), min(image.height, size[1] * whole)))
    (image.resize(size, Image.Resampling.BOX) if size != image.size else image).save(target, "JPEG", quality=75)
    return target


def save_pages(folder: Path, outcomes: list[_Outcome]) -> None:
    """pages/NNNN.json (the page's OCR: words with boxes in its raster's pixels) and pages/NNNN.jpg (its
    preview), by output page number: what the console's page viewer shows."""
    folder.mkdir(parents=True, exist_ok=True)
    for outcome in outcomes:
        stem = folder / f"{outcome.page.number:04d}"
        stem.with_suffix(".json").write_text(json.dumps(page_to_dict(outcome.page)))
        if outcome.preview is not None:
            os.replace(outcome.preview, stem.with_suffix(".jpg"))


FAST_DPI = 200  # FastMode recognises pages at most at this resolution


def fast_raster(raster: Raster) -> tuple[Image.Image, float]:
    """FastMode's OCR input: the page at FAST_DPI when it is finer (Tesseract's time grows with the
    pixels; bench.accuracy measures what it costs in accuracy). The page shown keeps its resolution,
    and the OCR result is in the smaller raster's pixels, at its dpi, so every output places it."""
    if raster.dpi <= FAST_DPI:
        return raster.image, raster.dpi
    factor = FAST_DPI / raster.dpi
    size = (max(1, round(raster.image.width * factor)), max(1, round(raster.image.height * factor)))
    source = raster.image.convert("L") if raster.image.mode == "1" else raster.image
    return source.resize(size, Image.Resampling.BOX), FAST_DPI


def cleaned(raster: Raster, options: JobOptions, tessdata: Path) -> Raster:
    """The raster with the job's clean-up options applied (pipeline.cleanup), or as it is.

    The clean-up, barcode and blank-page modules are imported when a job first needs them: OpenCV
    costs each worker process some 30 MB that jobs without these options never use."""
    if not any(getattr(options, name) for name in CLEANUP_OPTIONS):
        # Fine salt-and-pepper noise is removed by default where a page has it: it costs Tesseract words and
        # confidence, and the test (cleanup.speckle, NumPy on sampled rows) takes milliseconds
        if not speckled(raster.image):
            return raster
        from ocrmill.pipeline.cleanup import chain as cleanup  # imported on first use, as said above

        image = cleanup.remove_fine_specks(raster.image, raster.dpi)
        return Raster(image=image, dpi=raster.dpi, transformed=True, cleaned=True)
    from ocrmill.pipeline.cleanup import chain as cleanup  # imported on first use, as said above

    image = cleanup.clean(raster.image, raster.dpi, options, tessdata=tessdata)
    return Raster(image=image, dpi=raster.dpi, transformed=True, cleaned=True)


def page_base(ref: PageRef, raster: Raster, options: JobOptions, work_dir: Path) -> PageBase:
    """The visible page: a PDF input's own page, unless clean-up changed it; else the raster, encoded
    as BWCompression / ColorCompression say (a re-rendered PDF page with RenderQuality's JPEG)."""
    if ref.kind == "pdf" and not raster.cleaned:
        return PageBase(ref.file, ref.index)
    target = work_dir / f"page-{ref.source_index:05d}.pdf"
    if raster.image.mode == "1" and options.BWCompression == 1:
        run_length_page(raster.image, raster.dpi, target)
        return PageBase(target, 0)
    if ref.jpeg_passthrough and not raster.transformed and options.ColorCompression != 3:
        data = ref.file.read_bytes()  # the camera's JPEG as it is: no second lossy encoding
    else:
        data = image_bytes(
            raster,
            lossless=options.ColorCompression == 3,
            jpeg_quality=options.RenderQuality if ref.kind == "pdf" else JPEG_QUALITY.get(options.ColorCompression, 70),
        )
    dpi = round(raster.dpi)
    try:
        target.write_bytes(img2pdf.convert(data, layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))))
    except (img2pdf.ImageOpenError, ValueError) as e:
        raise InputError(f"Page {ref.source_index + 1} could not be placed in the PDF: {e}") from e
    return PageBase(target, 0)
