"""What each output format costs per page, next to the OCR of that page, in one process.

    .venv/bin/python -m bench.writers [--pages 10]

Prepares A4 300-dpi pages (real scans from ../shared/data and generated text, as bench.throughput
does), recognises each with the in-process engine (the reference: OCR time per page), then writes
every format from that one result, one thread, after one warm-up document per writer (a worker
process writes many jobs), and prints per format the time per page and its
share of the OCR time: PDF, TXT, DOCX, XML, RTF, ODT, MHT, EPUB, the shared work they need (page
layout; PDF page bases; page pictures for MHT) and the PDF/A levels 2b and 2a. The goal is that the
eight formats together, with their shared work, cost under 15% of the OCR time. Ends with a JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.pages import prepare
from ocrmill.domain.document import Document
from ocrmill.domain.options import JobOptions
from ocrmill.pipeline.engine import Engine
from ocrmill.pipeline.languages import tessdata_dir
from ocrmill.pipeline.pages import InputFile, enumerate_pages, load_raster
from ocrmill.pipeline.run import page_base, page_image
from ocrmill.writers import WRITERS
from ocrmill.writers.base import WriteContext

FORMATS = ("pdf", "txt", "docx", "xml", "rtf", "odt", "mht", "epub")
GOAL = 0.15


def timed(run: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--work", type=Path, default=Path(__file__).parent / "out" / "writers")
    args = parser.parse_args()
    batch = prepare(args.work / "pages", singles=args.pages, multi_jobs=0)
    paths = batch["single"][: args.pages]
    engine = Engine(tessdata_dir(None), ["eng"])
    options = JobOptions(PdfOutput=True, PdfTitle="Benchmark", PdfAuthor="ocrmill")
    seconds: dict[str, float] = {"ocr": 0.0, "pdf page bases": 0.0, "page pictures": 0.0}
    with tempfile.TemporaryDirectory(prefix="ocrmill-writers-") as tmp:
        work = Path(tmp)
        pages, bases, pictures = [], [], []
        for path in paths:
            (ref,) = enumerate_pages(
                [InputFile(path, path.suffix.lstrip(".").upper())], max_pages=1, max_pixels=1e9, render_dpi=300
            )
            raster = load_raster(ref, render_dpi=300, max_pixels=1e9)
            page, spent = timed(
                lambda raster=raster, ref=ref: engine.recognize(
                    raster.image, dpi=raster.dpi, number=len(pages) + 1, source_index=ref.source_index
                )
            )
            page.number = len(pages) + 1
            seconds["ocr"] += spent
            base, spent = timed(lambda raster=raster, ref=ref: page_base(ref, raster, options, work))
            seconds["pdf page bases"] += spent
            picture, spent = timed(lambda raster=raster, ref=ref: page_image(ref, raster, work))
            seconds["page pictures"] += spent
            pages.append(page)
            bases.append(base)
            pictures.append(picture)
        doc = Document(pages=pages)

        def context(**changes: Any) -> WriteContext:
            ctx = WriteContext(
                options=JobOptions(**{**options.to_dict(), **changes}),
                work_dir=work,
                bases=bases,
                doc=doc,
                page_images=pictures,
            )
            return ctx

        # A worker process writes many jobs: warm every writer up once (lazy imports, templates) on
        # a one-page document, as its first job would, and measure the steady state.
        first = Document(pages=pages[:1])
        warm = WriteContext(options=options, work_dir=work, bases=bases[:1], doc=first, page_images=pictures[:1])
        for ext in FORMATS:
            WRITERS[ext].write(first, warm, work / f"warm-up.{ext}")
        shared = context()
        _, seconds["page layout"] = timed(lambda: shared.layouts)
        for ext in FORMATS:
            writer = WRITERS[ext]
            _, seconds[ext] = timed(lambda writer=writer, ext=ext: writer.write(doc, shared, work / f"out.{ext}"))
        for level, name in ((2, "pdf/a-2b"), (5, "pdf/a-2a")):
            ctx = context(PdfConformance=level)
            ctx.layouts  # noqa: B018 - made once, as in a job
            _, seconds[name] = timed(
                lambda ctx=ctx, name=name: WRITERS["pdf"].write(doc, ctx, work / f"{name[4:]}.pdf")
            )
    n = len(paths)
    ocr = seconds["ocr"] / n
    print(f"{n} A4 pages at 300 dpi; OCR {1000 * ocr:.0f} ms a page (in-process engine, one thread)\n")
    print(f"{'':<16}{'ms/page':>10}{'% of OCR':>10}")
    rows = {k: v for k, v in seconds.items() if k != "ocr"}
    for name, total in rows.items():
        print(f"{name:<16}{1000 * total / n:>10.1f}{100 * total / n / ocr:>9.1f}%")
    eight = sum(seconds[k] for k in (*FORMATS, "page layout", "pdf page bases", "page pictures")) / n
    share = eight / ocr
    print(f"\nall eight formats with their shared work: {1000 * eight:.1f} ms a page, {100 * share:.1f}% of OCR "
          f"(goal under {100 * GOAL:.0f}%: {'met' if share < GOAL else 'NOT met'})")  # fmt: skip
    figures = {
        "pages": n,
        "ocr_ms_per_page": round(1000 * ocr, 1),
        "ms_per_page": {k: round(1000 * v / n, 2) for k, v in rows.items()},
        "share_of_ocr": {k: round(v / n / ocr, 4) for k, v in rows.items()},
        "eight_formats_share": round(share, 4),
        "goal": GOAL,
        "goal_met": share < GOAL,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
