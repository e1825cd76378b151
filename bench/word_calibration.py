"""Fit the word-confidence calibration (ocrmill/pipeline/word-confidence.json) on the development pages.

    .venv/bin/python -m bench.word_calibration [--jobs 1] [--limit N] [--check]

Reads every development page with a text truth as a default job does (the raster, no clean-up, Tesseract with
its layout analysis), keeps Tesseract's own word confidences (cached in bench/out/word_calibration/, so fitting
again takes seconds) and labels each word right or wrong (bench.word_truth). The calibration is isotonic
regression (pool-adjacent-violators) of "right" on Tesseract's confidence, separately for short words (one or
two characters: "a", "1", "-", where Tesseract's confidence says less) and longer ones; a word's calibrated
confidence is the share of words right at its raw confidence and length, x 100, interpolated between knots.

Graded by leave-one-source-out cross-validation (sources: Tesseract's test pages, tesseract.js's test images,
the scribe benchmark, SROIE receipts (dev and train together: one source)): each source is scored with a
calibration fitted on the others only. Printed per source: the reliability table (confidence bucket -> share of
its words right) of the raw and the cross-validated calibrated confidence, and the expected calibration error.
Then the calibration fitted on every source is written (--check: compared with the shipped file instead).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.isotonic import isotonic_blocks
from bench.word_truth import (
    Rect,
    Truth,
    calibration_error,
    label,
    reliability,
    reliability_lines,
    scribe_truth,
    sroie_truth,
)
from ocrmill.domain import languages
from ocrmill.domain.document import Page, page_from_dict, page_to_dict
from ocrmill.domain.options import JobOptions
from ocrmill.pipeline.calibration import CALIBRATION_FILE, SHORT_WORD, Calibration
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.languages import installed_languages, tessdata_dir
from ocrmill.pipeline.pages import InputFile, enumerate_pages, load_raster
from ocrmill.pipeline.run import cleaned

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CACHE = Path(__file__).parent / "out" / "word_calibration"
KNOT_STEP = 1.0  # raw confidences are rounded to this before fitting: knots no finer than Tesseract's own precision


@dataclass(frozen=True)
class Sample:
    source: str
    name: str
    image: Path
    truth: Truth


def samples() -> list[Sample]:
    out: list[Sample] = []
    tess = DATA / "ocr-tesseract-test"
    for image in sorted(p for p in tess.iterdir() if p.suffix in (".tif", ".png") and "-rotated-" not in p.stem):
        if (tess / f"{image.stem}.txt").is_file():
            truth = Truth.of_text((tess / f"{image.stem}.txt").read_text(encoding="utf-8"))
            out.append(Sample("tesseract-test", image.stem, image, truth))
    js = DATA / "ocr-tesseractjs"
    for image in sorted(p for p in js.iterdir() if p.suffix in (".png", ".jpg")):
        if (js / f"{image.stem}.txt").is_file():
            truth = Truth.of_text((js / f"{image.stem}.txt").read_text(encoding="utf-8"))
            out.append(Sample("tesseractjs", image.stem, image, truth))
    scribe = DATA / "ocr-scribe-benchmark"
    for image in sorted((scribe / "img").iterdir()):
        hocr = next((p for p in scribe.glob(f"ground_truth/{image.stem}*.hocr")), None)
        if hocr is not None:
            out.append(Sample("scribe", image.stem, image, scribe_truth(hocr)))
    for folder in ("receipts-sroie", "receipts-sroie-train"):
        for image in sorted((DATA / folder / "img").glob("*.jpg")):
            csv = DATA / folder / "box" / f"{image.stem}.csv"
            if csv.is_file():
                out.append(Sample("sroie", f"{folder}/{image.stem}", image, sroie_truth(csv)))
    return out


# --- reading the pages as a default job does -------------------------------------------------------------------

_ENGINES: EnginePool | None = None


def _start() -> None:
    global _ENGINES
    _ENGINES = EnginePool(tessdata_dir(None))


def recognise(image: Path) -> tuple[dict[str, Any], float]:
    """The page as a default job recognises it, with Tesseract's confidences (before calibration), as page_to_dict
    data, and the factor from its raster's pixels to the image file's."""
    assert _ENGINES is not None
    options = JobOptions()
    langs = languages.parse(options.RecognitionLanguages, installed=installed_languages(_ENGINES.tessdata))
    ref = enumerate_pages(
        [InputFile(image, image.suffix.lstrip(".").upper())], max_pages=1, max_pixels=1e9, render_dpi=300
    )[0]
    raster = cleaned(
        load_raster(ref, render_dpi=options.RenderResolution, max_pixels=200e6), options, _ENGINES.tessdata
    )
    page = _ENGINES.get(langs).recognize(raster.image, dpi=raster.dpi, number=1, source_index=0)
    from PIL import Image

    with Image.open(image) as im:
        width = im.width
    return page_to_dict(page), width / page.width if page.width else 1.0


def cached(sample: Sample) -> tuple[Page, float]:
    path = CACHE / "pages" / f"{sample.source}-{sample.name.replace('/', '-')}.json"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        data, scale = recognise(sample.image)
        path.write_text(json.dumps({"page": data, "scale": scale}), encoding="utf-8")
    kept = json.loads(path.read_text(encoding="utf-8"))
    return page_from_dict(kept["page"]), float(kept["scale"])


def _read(sample: Sample) -> str:
    cached(sample)
    return sample.name


# --- fitting and grading -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Labelled:
    source: str
    text: str
    raw: float
    right: bool


def labelled(sample: Sample, page: Page, scale: float) -> list[Labelled]:
    words = page.words()
    boxes: list[tuple[str, Rect]] = [
        (w.text, (w.box.left * scale, w.box.top * scale, w.box.right * scale, w.box.bottom * scale)) for w in words
    ]
    return [
        Labelled(sample.source, w.text, w.confidence, r) for w, r in zip(words, label(boxes, sample.truth), strict=True)
    ]


def fit(words: Sequence[Labelled]) -> Calibration:
    knots: dict[str, list[tuple[float, float]]] = {}
    for kind in ("short", "long"):
        mine = [w for w in words if (len(w.text) <= SHORT_WORD) == (kind == "short")]
        blocks = isotonic_blocks([round(w.raw / KNOT_STEP) * KNOT_STEP for w in mine], [int(w.right) for w in mine])
        knots[kind] = [(x, round(100 * p, 2)) for x, p, _ in _ties_pooled(blocks)]
    return Calibration(short=tuple(knots["short"]), long=tuple(knots["long"]))


def _ties_pooled(blocks: Sequence[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """Blocks at one raw confidence made one (pool-adjacent-violators splits a tie between its wrong words and its
    right ones, which would make a step at a single point)."""
    out: list[tuple[float, float, int]] = []
    for x, p, n in blocks:
        if out and out[-1][0] == x:
            _, q, m = out.pop()
            p, n = (p * n + q * m) / (n + m), n + m
        out.append((x, p, n))
    return out


def report(name: str, words: Sequence[Labelled], calibrated: Sequence[float]) -> dict[str, Any]:
    raw_pairs = [(w.raw, w.right) for w in words]
    cal_pairs = list(zip(calibrated, (w.right for w in words), strict=True))
    raw_ece, cal_ece = calibration_error(raw_pairs), calibration_error(cal_pairs)
    right = sum(w.right for w in words)
    print(f"\n{name}: {len(words)} words, {right} right ({100 * right / max(1, len(words)):.1f}%)")
    print(f"  expected calibration error: raw {raw_ece:.1f} points, calibrated {cal_ece:.1f} points")
    raw_lines = reliability_lines(reliability(raw_pairs))
    cal_lines = reliability_lines(reliability(cal_pairs))
    print(f"  {'raw Tesseract confidence':<42}  calibrated (held out)")
    for i in range(max(len(raw_lines), len(cal_lines))):
        left = raw_lines[i] if i < len(raw_lines) else ""
        right_side = cal_lines[i] if i < len(cal_lines) else ""
        print(f"{left:<44}  {right_side.strip()}")
    return {
        "words": len(words),
        "right": right,
        "ece_raw": round(raw_ece, 2),
        "ece_calibrated": round(cal_ece, 2),
        "reliability_raw": [[b.low, b.words, b.right] for b in reliability(raw_pairs)],
        "reliability_calibrated": [[b.low, b.words, b.right] for b in reliability(cal_pairs)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1, help="pages read at once (one process each)")
    parser.add_argument("--limit", type=int, default=0, help="at most N pages per source (0: all)")
    parser.add_argument("--check", action="store_true", help="compare the fit with the shipped file, write nothing")
    args = parser.parse_args()

    chosen = samples()
    if args.limit:
        per: dict[str, int] = {}
        chosen = [
            s for s in chosen if (per.__setitem__(s.source, per.get(s.source, 0) + 1) or per[s.source]) <= args.limit
        ]
    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=spawn, initializer=_start) as pool:
        for n, name in enumerate(pool.map(_read, chosen), start=1):
            if n % 25 == 0:
                print(f"  {n}/{len(chosen)} pages read ({name})", flush=True)
    print(f"{len(chosen)} pages read or taken from {CACHE} in {time.perf_counter() - started:.0f} s")

    words = [w for s in chosen for w in labelled(s, *cached(s))]
    sources = sorted({w.source for w in words})
    figures: dict[str, Any] = {}
    held_out_all: list[Labelled] = []
    calibrated_all: list[float] = []
    for source in sources:
        calibration = fit([w for w in words if w.source != source])
        mine = [w for w in words if w.source == source]
        calibrated = [calibration.of(w.raw, w.text) for w in mine]
        figures[source] = report(f"{source} (calibration fitted on the other sources)", mine, calibrated)
        held_out_all += mine
        calibrated_all += calibrated
    figures["all"] = report("every source, each held out", held_out_all, calibrated_all)

    final = fit(words)
    data = final.to_json()
    if args.check:
        shipped = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
        same = shipped["short"] == data["short"] and shipped["long"] == data["long"]
        print(f"\nshipped calibration {'matches' if same else 'DIFFERS FROM'} this fit")
    else:
        data["fitted_on"] = {s: sum(1 for w in words if w.source == s) for s in sources}
        CALIBRATION_FILE.write_text(json.dumps(data) + "\n", encoding="utf-8")
        print(f"\nwrote {CALIBRATION_FILE} ({len(final.short)} + {len(final.long)} knots)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
