"""Fit the word-confidence calibration (ocrmill/pipeline/word-confidence.json) on the development pages.

    .venv/bin/python -m bench.word_calibration [--jobs 1] [--limit N] [--check] [--without FOLDER --out FILE]

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

--without FOLDER (a folder of ../shared/data, repeatable) leaves that folder's pages out of everything, and --out
writes the fit elsewhere: `--without receipts-sroie --out F` and `bench.accuracy --sets sroie --calibration F` read
the 50 development receipts with maps fitted without them (on the other sources and the SROIE train receipts), as
receipts the shipped file never saw would be read.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
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
from ocrmill.domain.document import Box, Page, Word, page_from_dict, page_to_dict
from ocrmill.domain.options import JobOptions
from ocrmill.pipeline.calibration import CALIBRATION_FILE, SHORT_WORD, Calibration
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.languages import installed_languages, tessdata_dir
from ocrmill.pipeline.missed import joined, missed, outside, sparse
from ocrmill.pipeline.pages import InputFile, Raster, enumerate_pages, load_raster
from ocrmill.pipeline.run import cleaned
from ocrmill.pipeline.second_reading import (
    CLASSES,
    GAP,
    clusters,
    combined,
    pieces,
    read_lines,
    read_whole,
    unsure_pieces,
)

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


def _start(cache: Path) -> None:
    global _ENGINES, CACHE
    _ENGINES = EnginePool(tessdata_dir(None))
    CACHE = cache


def raster(image: Path) -> Raster:
    """The page's raster as a default job makes it (the default clean-up: fine specks removed where there are)."""
    assert _ENGINES is not None
    options = JobOptions()
    ref = enumerate_pages(
        [InputFile(image, image.suffix.lstrip(".").upper())], max_pages=1, max_pixels=1e9, render_dpi=300
    )[0]
    return cleaned(load_raster(ref, render_dpi=options.RenderResolution, max_pixels=200e6), options, _ENGINES.tessdata)


def recognise(image: Path) -> tuple[dict[str, Any], float]:
    """The page as a default job recognises it, with Tesseract's confidences (before calibration), as page_to_dict
    data, and the factor from its raster's pixels to the image file's."""
    assert _ENGINES is not None
    langs = languages.parse(JobOptions().RecognitionLanguages, installed=installed_languages(_ENGINES.tessdata))
    picture = raster(image)
    page = _ENGINES.recognize(langs, picture.image, dpi=picture.dpi, number=1, source_index=0)
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


def second_cached(sample: Sample) -> dict[int, list[Word]]:
    """PP-OCR's reading of every stretch of line of the page (by second_reading.pieces index), as the second reading
    reads one it chose: which it chooses is decided when fitting, from these."""
    path = CACHE / f"pieces-gap{GAP}" / f"{sample.source}-{sample.name.replace('/', '-')}.json"
    if not path.is_file():
        page, _ = cached(sample)
        boxes = [piece.box for piece in pieces(page)]
        _keep_lines(path, read_lines(raster(sample.image).image, boxes))
    return dict(enumerate(_kept_lines(path)))


def alone_cached(sample: Sample) -> list[list[Word]]:
    """PP-OCR's words outside Tesseract's of a page whose print Tesseract missed (pipeline.missed), line by line
    with PP-OCR's own confidences; none for any other page."""
    page, _ = cached(sample)
    if not sparse(page):
        return []  # no raster needed to know: not a missed page
    path = CACHE / "alone" / f"{sample.source}-{sample.name.replace('/', '-')}.json"
    if not path.is_file():
        image = raster(sample.image).image
        lines = outside(read_whole(image, page), [w.box for w in page.words()]) if missed(page, image) else []
        _keep_lines(path, lines)
    return _kept_lines(path)


def _keep_lines(path: Path, lines: Sequence[Sequence[Word]]) -> None:
    data = [[[w.text, [w.box.left, w.box.top, w.box.right, w.box.bottom], w.confidence] for w in ws] for ws in lines]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def _kept_lines(path: Path) -> list[list[Word]]:
    lines = json.loads(path.read_text(encoding="utf-8"))
    return [[Word(str(t), Box(*b), float(c)) for t, b, c in ws] for ws in lines]


def _read(sample: Sample) -> str:
    cached(sample)
    second_cached(sample)
    alone_cached(sample)
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


# --- the second reading (pipeline.second_reading) -----------------------------------------------------------------


def classed(sample: Sample, plain: Calibration) -> dict[str, list[Labelled]]:
    """The page's words by second-reading class, when the stretches `plain` finds unsure are read again: Tesseract's
    words with their own confidences, PP-OCR's words of the stretches read again with theirs."""
    page, scale = cached(sample)
    read = second_cached(sample)
    chosen = set(unsure_pieces(page, plain))
    out: dict[str, list[Labelled]] = {kind: [] for kind in CLASSES}
    rights = dict(zip(map(id, page.words()), labelled(sample, page, scale), strict=True))
    others: list[tuple[Word, str]] = []
    for i, piece in enumerate(pieces(page)):
        if i not in chosen:
            out["unread"] += [rights[id(w)] for w in piece.words]
            continue
        for cluster in clusters(piece.words, read[i]):
            out[cluster.kind] += [replace(rights[id(w)], raw=cluster.evidence(w)) for w in cluster.mine]
            others += [(w, cluster.other_kind) for w in cluster.theirs]
    others += [(w, "alone") for line in alone_cached(sample) for w in line]
    found = _rights(sample, [w for w, _ in others], scale)
    for (word, kind), right in zip(others, found, strict=True):
        out[kind].append(Labelled(sample.source, word.text, word.confidence, right))
    return out


def _rights(sample: Sample, words: Sequence[Word], scale: float) -> list[bool]:
    boxes: list[tuple[str, Rect]] = [
        (w.text, (w.box.left * scale, w.box.top * scale, w.box.right * scale, w.box.bottom * scale)) for w in words
    ]
    return label(boxes, sample.truth)


def fit_classes(pages: Sequence[dict[str, list[Labelled]]]) -> dict[str, Calibration]:
    return {kind: fit([w for page in pages for w in page[kind]]) for kind in CLASSES}


@dataclass
class Outcome:
    """A held-out source's words as one way of reading makes them: (confidence, right, characters) each."""

    words: list[tuple[float, bool, int]]

    def kept(self, at: float) -> tuple[int, int, int]:
        """Characters of words kept at MinConfidence `at`: right, wrong; and right characters left out."""
        right = sum(n for c, r, n in self.words if c >= at and r)
        wrong = sum(n for c, r, n in self.words if c >= at and not r)
        lost = sum(n for c, r, n in self.words if c < at and r)
        return right, wrong, lost


def held_out(
    samples_: Sequence[Sample], plain: Calibration, tables: dict[str, Calibration] | None, *, keep_better: bool = True
) -> Outcome:
    """The sources' pages read as a job does: `tables` None is part 1 (every word by `plain`), else the second
    reading with its classes' maps."""
    words: list[tuple[float, bool, int]] = []
    for sample in samples_:
        page, scale = cached(sample)
        if tables is None:
            for word in page.words():
                word.confidence = plain.of(word.confidence, word.text)
        else:
            read = second_cached(sample)
            combined(page, {i: read[i] for i in unsure_pieces(page, plain)}, tables, keep_better=keep_better)
            joined(page, alone_cached(sample), tables["alone"])
        found = page.words()
        rights = _rights(sample, found, scale)
        words += [(w.confidence, r, len(w.text)) for w, r in zip(found, rights, strict=True)]
    return Outcome(words)


def report_second(name: str, outcomes: dict[str, Outcome]) -> dict[str, Any]:
    at = JobOptions().MinConfidence
    print(f"\n{name}")
    print(
        f"  {'reading':<34} {'words':>6} {'% right':>8} {'ECE':>5}   chars kept at {at}: right  wrong  right left out"
    )
    figures: dict[str, Any] = {}
    for what, o in outcomes.items():
        pairs = [(c, r) for c, r, _ in o.words]
        right, wrong, lost = o.kept(at)
        share = 100 * sum(r for _, r in pairs) / max(1, len(pairs))
        ece = calibration_error(pairs)
        print(f"  {what:<34} {len(pairs):6d} {share:8.1f} {ece:5.1f}   {right:28d} {wrong:6d} {lost:8d}")
        figures[what] = {
            "words": len(pairs),
            "ece": round(ece, 2),
            "kept_right": right,
            "kept_wrong": wrong,
            "lost": lost,
        }
    last = list(outcomes.values())[-1]
    print(f"  reliability of {list(outcomes)[-1]}:")
    print("\n".join(reliability_lines(reliability([(c, r) for c, r, _ in last.words]), indent="    ")))
    figures["reliability"] = [[b.low, b.words, b.right] for b in reliability([(c, r) for c, r, _ in last.words])]
    return figures


def second_reading(chosen: Sequence[Sample], words: Sequence[Labelled]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Leave-one-source-out grading of the second reading against part 1's calibration alone, then the maps of
    every class fitted on every source (as written to the shipped file)."""
    sources = sorted({s.source for s in chosen})
    figures: dict[str, Any] = {}
    pooled: dict[str, Outcome] = {}
    for source in sources:
        plain = fit([w for w in words if w.source != source])
        tables = fit_classes([classed(s, plain) for s in chosen if s.source != source])
        mine = [s for s in chosen if s.source == source]
        outcomes = {
            "Tesseract, calibrated (part 1)": held_out(mine, plain, None),
            "second reading, Tesseract's words": held_out(mine, plain, tables, keep_better=False),
            "second reading, better reading kept": held_out(mine, plain, tables),
        }
        figures[source] = report_second(f"{source}, second reading (fitted on the other sources)", outcomes)
        for what, outcome in outcomes.items():
            pooled.setdefault(what, Outcome([])).words.extend(outcome.words)
    figures["all"] = report_second("every source, each held out, second reading", pooled)
    plain = fit(words)
    pages = [classed(s, plain) for s in chosen]
    tables = fit_classes(pages)
    data = {kind: table.to_json() for kind, table in tables.items()}
    counts = {kind: sum(len(page[kind]) for page in pages) for kind in CLASSES}
    return figures, {"second_reading": data, "second_reading_words": counts}


def main() -> None:
    global CACHE
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1, help="pages read at once (one process each)")
    parser.add_argument("--limit", type=int, default=0, help="at most N pages per source (0: all)")
    parser.add_argument("--check", action="store_true", help="compare the fit with the shipped file, write nothing")
    parser.add_argument("--without", action="append", default=[], help="a data folder whose pages are left out")
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE, help="where the fit is written")
    parser.add_argument(
        "--cache", type=Path, default=CACHE, help="the pages' readings, by page name (a new one once the OCR changed)"
    )
    args = parser.parse_args()
    if args.without and args.out == CALIBRATION_FILE and not args.check:
        parser.error("--without fits on part of the pages: write it elsewhere (--out), not over the shipped file")

    chosen = [s for s in samples() if s.image.relative_to(DATA).parts[0] not in args.without]
    if args.limit:
        per: dict[str, int] = {}
        chosen = [
            s for s in chosen if (per.__setitem__(s.source, per.get(s.source, 0) + 1) or per[s.source]) <= args.limit
        ]
    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    CACHE = args.cache
    with ProcessPoolExecutor(args.jobs, mp_context=spawn, initializer=_start, initargs=(CACHE,)) as pool:
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
    figures["second_reading"], second = second_reading(chosen, words)

    final = fit(words)
    data = final.to_json() | second
    if args.check:
        shipped = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
        same = all(shipped.get(k) == data[k] for k in ("short", "long", "second_reading"))
        print(f"\nshipped calibration {'matches' if same else 'DIFFERS FROM'} this fit")
        if not same:
            raise SystemExit(1)
    else:
        data["fitted_on"] = {s: sum(1 for w in words if w.source == s) for s in sources}
        if args.without:
            data["fitted_without"] = args.without
        args.out.write_text(json.dumps(data) + "\n", encoding="utf-8")
        print(f"\nwrote {args.out} ({len(final.short)} + {len(final.long)} knots)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
