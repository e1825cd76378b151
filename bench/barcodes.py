"""Barcode reading: zxing-cpp called once against ocrmill's fast step and its full strategy, in one run.

    .venv/bin/python -m bench.barcodes [--pages 6] [--paste-dpi 200] [--paste-on white|text]

Images: every one in ../shared/data/barcodes-zxing/manifest.csv, loaded as the job pipeline loads a page (alpha
flattened onto white, mode 1, L or RGB). Per image:
  (a) reference  zxingcpp.read_barcodes(image) with its default options (all formats, try_rotate,
                 try_downscale, try_invert, LocalAverage), once;
  (b) fast       ocrmill's step 1 only (one zxing-cpp call restricted to the ten API types);
  (c) full       ocrmill.pipeline.barcodes.read_barcodes with BarcodeFilter 0, BarcodeDirection 3;
  (d) ref on A4  (a) on the image pasted as it is on an A4 page at --paste-dpi (white, or a real text scan with
                 the area around the image cleared), its top-left corner at (300, 400) where it fits;
  (e) ocr on A4  (c) on that same page.
Correct: the expected payload (<dir>/<stem>.txt, read as bytes) is among the values. Values are compared after the
README's UPC normalisation (UPC-A as 12 digits, UPC-E as its 8 digits; zxing-cpp 3 reports both as 13-digit
EANs), and for ocrmill the Type must also be right (EAN-13 is ISBN13 = 6 when it starts 978/979, else 5). Wrong:
any other value reported for the image. "met" per symbology: ocrmill's full strategy reads correctly (value and
Type) every image the reference reads, so at least as many, with no more wrong values. "kept" per symbology:
ocrmill reads on the A4 page every image it reads alone, with no more wrong values than alone.

Then the cost on pages without barcodes: A4 pages at 300 dpi (real scans and generated text, as bench.pages makes
them), each read by (a), (b) and (c). Ends with one JSON line holding every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import zxingcpp
from PIL import Image

from ocrmill.domain.barcodes import BarcodeType
from ocrmill.pipeline import barcodes
from ocrmill.pipeline.pages import InputFile, enumerate_pages, load_raster

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SET = DATA / "barcodes-zxing"
TYPES = {
    "EAN-8": BarcodeType.EAN8,
    "UPC-E": BarcodeType.UPCE,
    "UPC-A": BarcodeType.UPCA,
    "EAN-13": BarcodeType.EAN13,
    "ITF": BarcodeType.INTERLEAVED2OF5,
    "Code 39": BarcodeType.CODE39,
    "QR Code": BarcodeType.QRCODE,
    "Code 128": BarcodeType.CODE128,
}
WAYS = ("reference", "fast", "full", "reference on A4", "full on A4")
A4_ROWS_COLUMNS = {200: (2339, 1654), 300: (3508, 2480)}
PASTE_AT = (300, 400)
EMPTY_MARGIN = 40  # px of paper cleared around an image pasted on a text page
TEXT_SCAN = DATA / "ocr-scribe-benchmark" / "img" / "singlecol_01.png"
R = TypeVar("R")


@dataclass
class Tally:
    images: int = 0
    correct: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(WAYS, 0.0))
    reference_only: list[str] = field(default_factory=list)  # read by the reference, not by ocrmill
    gained: list[str] = field(default_factory=list)  # read by ocrmill's full strategy, not by the reference
    lost_on_page: list[str] = field(default_factory=list)  # read by ocrmill alone, not on the A4 page


def expected_entry(symbology: str, payload: str) -> tuple[int, str]:
    """(Type, Value) the API should report for the image's symbol: from the manifest, not from the module."""
    kind = TYPES[symbology]
    if kind is BarcodeType.EAN13 and payload.startswith(("978", "979")):
        kind = BarcodeType.ISBN13
    elif kind is BarcodeType.EAN13 and payload.startswith("0"):
        kind, payload = BarcodeType.UPCA, payload[1:]
    return int(kind), payload


def reference_values(image: Image.Image) -> set[str]:
    """zxing-cpp once, default options; EAN/UPC values normalised as the README says."""
    values: set[str] = set()
    for result in zxingcpp.read_barcodes(image):
        text = str(result.text)
        extra = result.extra if isinstance(result.extra, dict) else {}
        if "UPCE" in extra:
            text = str(extra["UPCE"])
        elif result.format in (zxingcpp.BarcodeFormat.EAN13, zxingcpp.BarcodeFormat.UPCA) and text[:1] == "0":
            text = text[1:]  # the UPC-A inside a 13-digit EAN
        values.add(text)
    return values


def timed(run: Callable[[Image.Image], R], image: Image.Image) -> tuple[R, float]:
    started = time.perf_counter()
    result = run(image)
    return result, time.perf_counter() - started


def load(path: Path) -> Image.Image:
    (ref,) = enumerate_pages(
        [InputFile(path, path.suffix.lstrip(".").upper())], max_pages=1, max_pixels=1e9, render_dpi=300
    )
    return load_raster(ref, render_dpi=300, max_pixels=1e9).image


def fast_barcodes(image: Image.Image) -> list[barcodes.Barcode]:
    outcome = barcodes.read_symbols(barcodes.grey(image), filter_bits=0, direction=3, try_harder=False)
    return barcodes.to_barcodes(outcome.fast, page_no=1, filter_bits=0, direction=3)


def full_outcome(image: Image.Image) -> tuple[barcodes.Outcome, list[barcodes.Barcode]]:
    outcome = barcodes.read_symbols(barcodes.grey(image), filter_bits=0, direction=3)
    return outcome, barcodes.to_barcodes(outcome.reads, page_no=1, filter_bits=0, direction=3)


def a4_base(dpi: int, text: bool) -> Image.Image:
    """A white A4 page at `dpi`, or one carrying a real text scan scaled to it with 5% margins."""
    rows, columns = A4_ROWS_COLUMNS[dpi]
    page = Image.new("L", (columns, rows), 255)
    if text:
        scan = Image.open(TEXT_SCAN).convert("L")
        scale = min(0.9 * columns / scan.width, 0.9 * rows / scan.height)
        scan = scan.resize((round(scan.width * scale), round(scan.height * scale)), Image.Resampling.BOX)
        page.paste(scan, ((columns - scan.width) // 2, (rows - scan.height) // 2))
    return page


def pasted(image: Image.Image, base: Image.Image) -> Image.Image:
    """The image (as the pipeline loaded it) pasted as it is on a copy of the page, at PASTE_AT where it fits."""
    photo = Image.fromarray(barcodes.grey(image))
    x, y = (min(at, size - own) for at, size, own in zip(PASTE_AT, base.size, photo.size, strict=True))
    page = base.copy()
    page.paste(
        255, (x - EMPTY_MARGIN, y - EMPTY_MARGIN, x + photo.width + EMPTY_MARGIN, y + photo.height + EMPTY_MARGIN)
    )
    page.paste(photo, (x, y))
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=6, help="A4 pages without barcodes for the cost on a page")
    parser.add_argument("--paste-dpi", type=int, choices=sorted(A4_ROWS_COLUMNS), default=200, help="(d), (e)")
    parser.add_argument("--paste-on", choices=("white", "text"), default="white", help="(d), (e): the page")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # Pillow's note on palette images with transparency

    with (SET / "manifest.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    base = a4_base(args.paste_dpi, args.paste_on == "text")
    tallies: dict[str, Tally] = {}
    by_view: Counter[str] = Counter()
    regions = views = blocks = 0
    for image_file in (SET / row["path"] for row in rows[:1]):
        image = load(image_file)  # warm-up: imports, first zxing-cpp call
        zxingcpp.read_barcodes(image)
        full_outcome(image)
        full_outcome(pasted(image, base))
    for row in rows:
        tally = tallies.setdefault(row["symbology"], Tally())
        tally.images += 1
        payload = (SET / row["expected_text_file"]).read_bytes().decode("utf-8")
        kind, value = expected_entry(row["symbology"], payload)
        image = load(SET / row["path"])
        page = pasted(image, base)

        reference_ok = False
        for way, shown in (("reference", image), ("reference on A4", page)):
            found, spent = timed(reference_values, shown)
            tally.seconds[way] += spent
            tally.correct[way] += value in found
            tally.wrong[way] += len(found - {value})
            reference_ok = reference_ok or (way == "reference" and value in found)

        fast, spent = timed(fast_barcodes, image)
        tally.seconds["fast"] += spent
        (outcome, full), spent = timed(full_outcome, image)
        tally.seconds["full"] += spent
        (page_outcome, on_page), spent = timed(full_outcome, page)
        tally.seconds["full on A4"] += spent
        for way, entries in (("fast", fast), ("full", full), ("full on A4", on_page)):
            pairs = {(int(b.type), b.value) for b in entries}
            tally.correct[way] += (kind, value) in pairs
            tally.wrong[way] += len(pairs - {(kind, value)})
        full_ok = (kind, value) in {(int(b.type), b.value) for b in full}
        if reference_ok and not full_ok:
            tally.reference_only.append(row["path"])
        if full_ok and not reference_ok:
            tally.gained.append(row["path"])
        if full_ok and (kind, value) not in {(int(b.type), b.value) for b in on_page}:
            tally.lost_on_page.append(row["path"])
        regions += outcome.regions
        views += outcome.views_run
        blocks += page_outcome.blocks
        by_view.update(outcome.found_by_view)

    print(f"barcodes-zxing: {len(rows)} images; zxing-cpp {version('zxing-cpp')}")
    print(
        "correct/wrong values: (a) zxing-cpp once, default options; (b) ocrmill step 1; (c) ocrmill full; "
        f"pasted on a {args.paste_on} A4 page at {args.paste_dpi} dpi: (d) as (a), (e) as (c)\n"
    )
    columns = "".join(f"{'(' + w + ') ok/wrong':>16}" for w in "abcde")
    times = "".join(f"{w:>7}" for w in "bcde")
    print(f"{'symbology':<10}{'images':>7}{columns}{'ms/img a':>10}{times}{'gain c-a':>10}  met  kept")
    total = Tally()
    figures: dict[str, Any] = {"symbologies": {}, "pasted_on": f"{args.paste_on} A4 at {args.paste_dpi} dpi"}
    for name, t in tallies.items():
        met = not t.reference_only and t.wrong["full"] <= t.wrong["reference"]
        kept = not t.lost_on_page and t.wrong["full on A4"] <= t.wrong["full"]
        print(line(name, t, met, kept))
        total.images += t.images
        total.correct.update(t.correct)
        total.wrong.update(t.wrong)
        for way in WAYS:
            total.seconds[way] += t.seconds[way]
        total.lost_on_page += t.lost_on_page
        figures["symbologies"][name] = {
            "images": t.images,
            "correct": dict(t.correct),
            "wrong": dict(t.wrong),
            "ms_per_image": {w: round(1000 * t.seconds[w] / t.images, 2) for w in WAYS},
            "gained": t.gained,
            "reference_only": t.reference_only,
            "lost_on_page": t.lost_on_page,
            "met": met,
            "kept": kept,
        }
    all_met = all(s["met"] for s in figures["symbologies"].values())
    all_kept = all(s["kept"] for s in figures["symbologies"].values())
    print(line("all", total, all_met, all_kept))
    gained = [p for t in tallies.values() for p in t.gained]
    missed = [p for t in tallies.values() for p in t.reference_only]
    harder = total.correct["full"] - total.correct["fast"]
    extra_ms = 1000 * (total.seconds["full"] - total.seconds["fast"]) / total.images
    print(
        f"\ntrying harder (c over b): {harder:+d} images read, {extra_ms:.1f} ms more per image on average; "
        f"{regions} regions read again in {views} views"
    )
    print(f"read by ocrmill, not by the reference: {', '.join(gained) or '-'}")
    print(f"read by the reference, not by ocrmill: {', '.join(missed) or '-'}")
    print(f"read by ocrmill alone, not on the A4 page: {', '.join(total.lost_on_page) or '-'}")
    print(f"photos (e) read on the A4 page as rasters of their own: {blocks}")
    print(f"views that read a step-3 symbol: {', '.join(f'{k} {v}' for k, v in by_view.most_common()) or '-'}")

    page_figures = pages_without_barcodes(args.pages)
    figures.update(
        images=total.images,
        correct={w: total.correct[w] for w in WAYS},
        wrong={w: total.wrong[w] for w in WAYS},
        ms_per_image={w: round(1000 * total.seconds[w] / total.images, 2) for w in WAYS},
        gain_over_reference=total.correct["full"] - total.correct["reference"],
        gain_of_trying_harder=harder,
        regions_read_again=regions,
        views_run=views,
        photo_blocks_on_a4=blocks,
        views_that_found=dict(by_view),
        met=all_met,
        kept_on_page=all_kept,
        pages_without_barcodes=page_figures,
    )
    print(json.dumps(figures, ensure_ascii=False))


def line(name: str, t: Tally, met: bool, kept: bool) -> str:
    cells = "".join(f"{t.correct[w]:>11}/{t.wrong[w]:<4}" for w in WAYS)
    a, b, c, d, e = (1000 * t.seconds[w] / t.images for w in WAYS)
    gain = t.correct["full"] - t.correct["reference"]
    return (
        f"{name:<10}{t.images:>7}{cells}{a:>10.1f}{b:>7.1f}{c:>7.1f}{d:>7.1f}{e:>7.1f}{gain:>+10}"
        f"  {'yes' if met else 'NO ':<5}{'yes' if kept else 'NO'}"
    )


def pages_without_barcodes(count: int) -> dict[str, Any]:
    """ms per A4 page at 300 dpi for (a), (b), (c), and what (c) found and read again (should be nothing)."""
    if count <= 0:
        return {}
    from bench.pages import REAL_SCANS, _vocabulary, a4_from_scan, text_page  # needs ocrmypdf's font

    words = _vocabulary()
    pages = [a4_from_scan(REAL_SCANS[i % len(REAL_SCANS)]) if i % 2 == 0 else text_page(i, words) for i in range(count)]
    ways = WAYS[:3]
    seconds = dict.fromkeys(ways, 0.0)
    found = regions = views = blocks = 0
    for page in pages:
        _, spent = timed(zxingcpp.read_barcodes, page)
        seconds["reference"] += spent
        _, spent = timed(fast_barcodes, page)
        seconds["fast"] += spent
        (outcome, full), spent = timed(full_outcome, page)
        seconds["full"] += spent
        found += len(full)
        regions += outcome.regions
        views += outcome.views_run
        blocks += outcome.blocks
    ms = {w: round(1000 * seconds[w] / count, 1) for w in ways}
    print(
        f"\n{count} A4 pages at 300 dpi without barcodes, ms per page: (a) {ms['reference']}, (b) {ms['fast']}, "
        f"(c) {ms['full']}; (c) reported {found} barcodes, read {blocks} photos and {regions} regions again "
        f"({views} views)"
    )
    return {
        "pages": count,
        "ms_per_page": ms,
        "barcodes": found,
        "photo_blocks": blocks,
        "regions_read_again": regions,
        "views_run": views,
    }


if __name__ == "__main__":
    main()
