"""Barcode reading: zxing-cpp called once against ocrmill's fast step and its full strategy, in one run.

    .venv/bin/python -m bench.barcodes [--pages 6]

Images: every one in ../shared/data/barcodes-zxing/manifest.csv, loaded as the job pipeline loads a page (alpha
flattened onto white, mode 1, L or RGB). Per image:
  (a) reference  zxingcpp.read_barcodes(image) with its default options (all formats, try_rotate,
                 try_downscale, try_invert, LocalAverage), once;
  (b) fast       ocrmill's step 1 only (one zxing-cpp call restricted to the ten API types);
  (c) full       ocrmill.pipeline.barcodes.read_barcodes with BarcodeFilter 0, BarcodeDirection 3.
Correct: the expected payload (<dir>/<stem>.txt, read as bytes) is among the values. Values are compared after the
README's UPC normalisation (UPC-A as 12 digits, UPC-E as its 8 digits; zxing-cpp 3 reports both as 13-digit
EANs), and for ocrmill the Type must also be right (EAN-13 is ISBN13 = 6 when it starts 978/979, else 5). Wrong:
any other value reported for the image. "met" per symbology: ocrmill's full strategy reads correctly (value and
Type) every image the reference reads, so at least as many, with no more wrong values.

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
WAYS = ("reference", "fast", "full")
R = TypeVar("R")


@dataclass
class Tally:
    images: int = 0
    correct: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(WAYS, 0.0))
    reference_only: list[str] = field(default_factory=list)  # read by the reference, not by ocrmill
    gained: list[str] = field(default_factory=list)  # read by ocrmill's full strategy, not by the reference


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
    (ref,) = enumerate_pages([InputFile(path, path.suffix.lstrip(".").upper())], max_pages=1)
    return load_raster(ref, render_dpi=300, max_pixels=1e9).image


def fast_barcodes(image: Image.Image) -> list[barcodes.Barcode]:
    outcome = barcodes.read_symbols(barcodes.grey(image), filter_bits=0, direction=3, try_harder=False)
    return barcodes.to_barcodes(outcome.fast, page_no=1, filter_bits=0, direction=3)


def full_outcome(image: Image.Image) -> tuple[barcodes.Outcome, list[barcodes.Barcode]]:
    outcome = barcodes.read_symbols(barcodes.grey(image), filter_bits=0, direction=3)
    return outcome, barcodes.to_barcodes(outcome.reads, page_no=1, filter_bits=0, direction=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=6, help="A4 pages without barcodes for the cost on a page")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # Pillow's note on palette images with transparency

    with (SET / "manifest.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    tallies: dict[str, Tally] = {}
    by_view: Counter[str] = Counter()
    regions = views = 0
    for image_file in (SET / row["path"] for row in rows[:1]):
        image = load(image_file)  # warm-up: imports, first zxing-cpp call
        zxingcpp.read_barcodes(image)
        full_outcome(image)
    for row in rows:
        tally = tallies.setdefault(row["symbology"], Tally())
        tally.images += 1
        payload = (SET / row["expected_text_file"]).read_bytes().decode("utf-8")
        kind, value = expected_entry(row["symbology"], payload)
        image = load(SET / row["path"])

        found, spent = timed(reference_values, image)
        tally.seconds["reference"] += spent
        reference_ok = value in found
        tally.correct["reference"] += reference_ok
        tally.wrong["reference"] += len(found - {value})

        fast, spent = timed(fast_barcodes, image)
        tally.seconds["fast"] += spent
        (outcome, full), spent = timed(full_outcome, image)
        tally.seconds["full"] += spent
        for way, entries in (("fast", fast), ("full", full)):
            pairs = {(int(b.type), b.value) for b in entries}
            tally.correct[way] += (kind, value) in pairs
            tally.wrong[way] += len(pairs - {(kind, value)})
        full_ok = (kind, value) in {(int(b.type), b.value) for b in full}
        if reference_ok and not full_ok:
            tally.reference_only.append(row["path"])
        if full_ok and not reference_ok:
            tally.gained.append(row["path"])
        regions += outcome.regions
        views += outcome.views_run
        by_view.update(outcome.found_by_view)

    print(f"barcodes-zxing: {len(rows)} images; zxing-cpp {version('zxing-cpp')}")
    print("correct/wrong values: (a) zxing-cpp once, default options; (b) ocrmill step 1; (c) ocrmill full\n")
    columns = "".join(f"{'(' + w + ') ok/wrong':>18}" for w in "abc")
    print(f"{'symbology':<10}{'images':>7}{columns}{'ms/img a':>10}{'b':>7}{'c':>7}{'gain c-a':>10}  met")
    total = Tally()
    figures: dict[str, Any] = {"symbologies": {}}
    for name, t in tallies.items():
        met = not t.reference_only and t.wrong["full"] <= t.wrong["reference"]
        print(line(name, t, met))
        total.images += t.images
        total.correct.update(t.correct)
        total.wrong.update(t.wrong)
        for way in WAYS:
            total.seconds[way] += t.seconds[way]
        figures["symbologies"][name] = {
            "images": t.images,
            "correct": dict(t.correct),
            "wrong": dict(t.wrong),
            "ms_per_image": {w: round(1000 * t.seconds[w] / t.images, 2) for w in WAYS},
            "gained": t.gained,
            "reference_only": t.reference_only,
            "met": met,
        }
    all_met = all(s["met"] for s in figures["symbologies"].values())
    print(line("all", total, all_met))
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
    print(f"views that read a step-2 symbol: {', '.join(f'{k} {v}' for k, v in by_view.most_common()) or '-'}")

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
        views_that_found=dict(by_view),
        met=all_met,
        pages_without_barcodes=page_figures,
    )
    print(json.dumps(figures, ensure_ascii=False))


def line(name: str, t: Tally, met: bool) -> str:
    cells = "".join(f"{t.correct[w]:>13}/{t.wrong[w]:<4}" for w in WAYS)
    a, b, c = (1000 * t.seconds[w] / t.images for w in WAYS)
    gain = t.correct["full"] - t.correct["reference"]
    return f"{name:<10}{t.images:>7}{cells}{a:>10.1f}{b:>7.1f}{c:>7.1f}{gain:>+10}  {'yes' if met else 'NO'}"


def pages_without_barcodes(count: int) -> dict[str, Any]:
    """ms per A4 page at 300 dpi for (a), (b), (c), and what (c) found and read again (should be nothing)."""
    if count <= 0:
        return {}
    from bench.pages import REAL_SCANS, _vocabulary, a4_from_scan, text_page  # needs ocrmypdf's font

    words = _vocabulary()
    pages = [a4_from_scan(REAL_SCANS[i % len(REAL_SCANS)]) if i % 2 == 0 else text_page(i, words) for i in range(count)]
    seconds = dict.fromkeys(WAYS, 0.0)
    found = regions = views = 0
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
    ms = {w: round(1000 * seconds[w] / count, 1) for w in WAYS}
    print(
        f"\n{count} A4 pages at 300 dpi without barcodes, ms per page: (a) {ms['reference']}, (b) {ms['fast']}, "
        f"(c) {ms['full']}; (c) reported {found} barcodes and read {regions} regions again ({views} views)"
    )
    return {"pages": count, "ms_per_page": ms, "barcodes": found, "regions_read_again": regions, "views_run": views}


if __name__ == "__main__":
    main()
