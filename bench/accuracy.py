"""OCR accuracy per page set: raw tesseract CLI next to ocrmill (default, FastMode, clean-up options), in one run.

    .venv/bin/python -m bench.accuracy [--sets tesseract,orientation,scribe,sroie,degraded,speckled]
                                       [--limit N] [--jobs N] [--cleanup AutoOrientation,Deskew,...]
                                       [--variants 4] [--seed 1]

Sets (../shared/data, see each folder's README.md):
  tesseract    ocr-tesseract-test pages with their .txt (the clean pages; the pre-rotated copies are `orientation`)
  orientation  the phototest copies turned 90/180/270 degrees, against phototest.txt
  scribe       ocr-scribe-benchmark img/ against gt_txt/
  sroie        receipts-sroie img/ against the line transcripts of box/*.csv, rows in reading order
  degraded     the `tesseract` pages made worse here, seeded: turned 90/180/270, skewed 2-6 degrees, specks,
               halftone screen or tinted noisy paper, dark scan border (written with their recipe to
               bench/out/accuracy/degraded/)
  speckled     the `tesseract` and `scribe` pages in greys with fine salt-and-pepper noise (0.5% of the pixels,
               one pixel each, seeded; bench/out/accuracy/speckled/), also read with Despeckle
  layouts      pages of 2-3 text columns and of tables drawn here from the seed (bench.layouts), against their
               reading order: layouts no one tuned on (bench/out/accuracy/layouts/)
  scanned      the `layouts` pages through a simulated office scanner (bench.layouts.scanned: 200 or 300 dpi,
               blur, up to 2 degrees askew, greyish paper and ink, noise, JPEG; bench/out/accuracy/scanned/)
  bilevel      the `scanned` pages as a scanner set to black and white gives them (cut at Otsu's threshold before
               any JPEG, G4 TIFF; bench/out/accuracy/bilevel/)

Configurations: `tesseract <image> stdout` (OMP_THREAD_LIMIT=1, one per core); ocrmill's run_job in a process per
core (threads=1) with default options, without the second reading (SecondReading=false), with FastMode, and on
`degraded` and `orientation` with every --cleanup set of options. ocrmill is scored at MinConfidence=0, which is
what the CLI prints, and at the job's default MinConfidence (words below 60 left out; the page is rendered again
from the same recognition result); "never worse" compares the default with the CLI. Per set, the reliability table
of ocrmill's word confidences (calibrated, pipeline.calibration and pipeline.second_reading): confidence bucket
-> share of its words right (bench.word_truth labels them).

Metrics (text whitespace-normalised as in tests/metrics.py), summed over a set's pages: CER and WER (edits per
reference character / word) and the F1 of the word multisets (order-insensitive, fair to multi-column pages whose
reference order differs from any engine's). Ends with one JSON line holding every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import multiprocessing
import os
import pickle
import resource
import shutil
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw
from tests.metrics import levenshtein, normalise, word_bag, words

from bench.layouts import layout_pages, scanned_pages
from bench.word_truth import Truth, label, reliability, reliability_lines, scribe_truth, sroie_truth
from ocrmill.domain.document import page_from_dict
from ocrmill.domain.options import JobOptions
from ocrmill.pipeline import calibration
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.languages import tessdata_dir
from ocrmill.pipeline.pages import InputFile
from ocrmill.pipeline.run import Limits, run_job

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT = Path(__file__).parent / "out" / "accuracy"
SETS = ("tesseract", "orientation", "scribe", "sroie", "degraded", "speckled", "layouts", "scanned", "bilevel")
LAYOUT_PAGES = 20  # the `layouts` and `scanned` sets: 10 column pages and 10 table pages
CLEANUP = ("AutoOrientation", "Deskew", "ClearBorder", "RemoveHalftone", "Despeckle")
CLEANUP_SETS = ("degraded", "orientation")
CLEANUP_NAME = "ocrmill clean-up"
CLEANUP_TARGET = 0.30  # the issue: CER at least 30% below raw Tesseract's on the degraded copy
DEFAULT_MIN_CONFIDENCE = JobOptions().MinConfidence
NEVER_WORSE_TOLERANCE_PP = 0.25


@dataclass(frozen=True)
class Sample:
    name: str
    image: Path
    reference: str
    truth: Truth | None = None  # where the reference words lie, when the set says (else the page's bag of words)

    @property
    def words_truth(self) -> Truth:
        return self.truth if self.truth is not None else Truth.of_text(self.reference)


@dataclass(frozen=True)
class Config:
    name: str
    options: dict[str, Any] | None  # JobOptions fields; None is the raw tesseract CLI


RAW = Config("tesseract CLI", None)
DEFAULT = Config("ocrmill default", {})
FAST = Config("ocrmill FastMode", {"FastMode": True})
DESPECKLE = Config("ocrmill Despeckle", {"Despeckle": True})
ONE_READING = Config("ocrmill one reading", {"SecondReading": False})  # without pipeline.second_reading
SPECKLE_SHARE = 0.005  # of a speckled page's pixels, half turned black and half white


# --- page sets -----------------------------------------------------------------------------------------------


def tesseract_test(*, rotated: bool) -> list[Sample]:
    folder = DATA / "ocr-tesseract-test"
    samples = []
    for image in sorted(p for p in folder.iterdir() if p.suffix in (".tif", ".png")):
        is_rotated = "-rotated-" in image.stem
        truth = folder / f"{image.stem.split('-rotated-')[0]}.txt"
        if is_rotated == rotated and truth.is_file():
            samples.append(Sample(image.stem, image, truth.read_text(encoding="utf-8")))
    return samples


def scribe() -> list[Sample]:
    folder = DATA / "ocr-scribe-benchmark"
    return [
        Sample(
            image.stem,
            image,
            (folder / "gt_txt" / f"{image.stem}.gt.txt").read_text(encoding="utf-8"),
            next((scribe_truth(h) for h in folder.glob(f"ground_truth/{image.stem}*.hocr")), None),
        )
        for image in sorted((folder / "img").iterdir())
        if (folder / "gt_txt" / f"{image.stem}.gt.txt").is_file()
    ]


def sroie() -> list[Sample]:
    folder = DATA / "receipts-sroie"
    return [
        Sample(
            image.stem,
            image,
            sroie_reference(folder / "box" / f"{image.stem}.csv"),
            sroie_truth(folder / "box" / f"{image.stem}.csv"),
        )
        for image in sorted((folder / "img").glob("*.jpg"))
        if (folder / "box" / f"{image.stem}.csv").is_file()
    ]


def sroie_reference(csv: Path) -> str:
    """The receipt's line transcripts in reading order: boxes whose vertical centre falls inside a row's first
    box make one row (a label and its amount are separate boxes, one printed line), rows top to bottom, boxes
    left to right."""
    boxes: list[tuple[int, int, int, str]] = []
    for row in csv.read_text(encoding="utf-8").splitlines():
        parts = row.split(",", 8)  # the transcript may contain commas
        if len(parts) == 9 and parts[8].strip():
            xs, ys = [int(v) for v in parts[0:8:2]], [int(v) for v in parts[1:8:2]]
            boxes.append((min(ys), max(ys), min(xs), parts[8].strip()))
    boxes.sort(key=lambda b: b[0] + b[1])
    rows: list[list[tuple[int, int, int, str]]] = []
    for box in boxes:
        centre = (box[0] + box[1]) / 2
        if rows and rows[-1][0][0] <= centre <= rows[-1][0][1]:
            rows[-1].append(box)
        else:
            rows.append([box])
    return "\n".join(" ".join(b[3] for b in sorted(row, key=lambda b: b[2])) for row in rows)


# --- the degraded copy ---------------------------------------------------------------------------------------

# What each variant of a page gets; the parameters are drawn from a generator seeded by (seed, page, variant).
# Paper effects first (tint, halftone), then how it was fed (quarter turn, skew), then the scanner (border, specks).
RECIPES: tuple[dict[str, Any], ...] = (
    {"rotate": 90, "skew": True, "border": True, "specks": True},
    {"rotate": 180, "skew": True, "halftone": True, "specks": True},
    {"rotate": 270, "skew": True, "tint": True, "border": True, "specks": True},
    {"rotate": 0, "skew": True, "halftone": True, "border": True, "specks": True},
)

Array = NDArray[np.uint8]


def mm(dpi: float, millimetres: float) -> float:
    return millimetres * dpi / 25.4


def tint(page: Array, rng: np.random.Generator, dpi: float) -> tuple[Array, dict[str, Any]]:
    """Greyish paper: a level of 160-205 with a gradient of +-20 across the page, and grain (Gaussian noise)."""
    level, ramp, grain = float(rng.uniform(160, 205)), float(rng.uniform(-20, 20)), float(rng.uniform(6, 12))
    h, w = page.shape
    paper = level + ramp * (np.linspace(-1, 1, w)[None, :] + np.linspace(-0.5, 0.5, h)[:, None])
    noise = rng.standard_normal(page.shape, dtype=np.float32) * grain
    out = page.astype(np.float32) / 255 * paper.astype(np.float32) + noise
    return np.clip(out, 0, 255).astype(np.uint8), {
        "paper": round(level),
        "gradient": round(ramp),
        "grain": round(grain),
    }


def halftone(page: Array, rng: np.random.Generator, dpi: float) -> tuple[Array, dict[str, Any]]:
    """A screened tint over the whole page, as a photocopied shaded form: round dots at 45 degrees, 55-85 lines
    per inch, covering 15-25% of the paper, grey level 90-150."""
    lpi, coverage, dot = float(rng.uniform(55, 85)), float(rng.uniform(0.15, 0.25)), int(rng.integers(90, 151))
    h, w = page.shape
    y, x = np.arange(h, dtype=np.float32)[:, None], np.arange(w, dtype=np.float32)[None, :]
    f = np.float32(2 * np.pi * lpi / dpi / np.sqrt(2))
    screen = np.cos((x + y) * f) + np.cos((x - y) * f)
    threshold = float(np.quantile(screen[:200, :200], 1 - coverage))
    out = np.where(screen > threshold, np.minimum(page, dot), page).astype(np.uint8)
    return out, {"lpi": round(lpi), "coverage": round(coverage, 2), "dot_level": dot}


def skew(page: Array, rng: np.random.Generator, dpi: float) -> tuple[Array, dict[str, Any]]:
    """Turned by 2-6 degrees either way (counter-clockwise positive), white where the scanner saw no paper."""
    angle = float(rng.uniform(2, 6) * rng.choice([-1, 1]))
    turned = Image.fromarray(page).rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return np.asarray(turned).copy(), {"angle": round(angle, 2)}


def border(page: Array, rng: np.random.Generator, dpi: float) -> tuple[Array, dict[str, Any]]:
    """Dark scanner border (level 10-50) 4-12 mm wide on two to four sides, its inner edge ragged (+-1 mm)."""
    out = page.copy()
    h, w = out.shape
    sides: list[str] = rng.choice(
        ["top", "bottom", "left", "right"], size=int(rng.integers(2, 5)), replace=False
    ).tolist()
    level = int(rng.integers(10, 51))
    widths: dict[str, float] = {}
    for side in sides:
        width = float(rng.uniform(4, 12))
        widths[side] = round(width, 1)
        length = w if side in ("top", "bottom") else h
        edge = mm(dpi, width) + np.cumsum(rng.normal(0, mm(dpi, 1) / 20, length)).clip(-mm(dpi, 1), mm(dpi, 1))
        depth = np.round(edge).astype(int)
        for i, d in enumerate(depth):
            if side == "top":
                out[:d, i] = level
            elif side == "bottom":
                out[h - d :, i] = level
            elif side == "left":
                out[i, :d] = level
            else:
                out[i, w - d :] = level
    return out, {"sides_mm": widths, "level": level}


def specks(page: Array, rng: np.random.Generator, dpi: float) -> tuple[Array, dict[str, Any]]:
    """Salt and pepper: dark dots (2-4 per cm2) and white dots (0.5-1 per cm2), 0.2-0.4 mm across."""
    image = Image.fromarray(page)
    draw = ImageDraw.Draw(image)
    area_cm2 = page.shape[0] * page.shape[1] / (dpi / 2.54) ** 2
    dark, light = int(area_cm2 * rng.uniform(2, 4)), int(area_cm2 * rng.uniform(0.5, 1))
    for count, value in ((dark, 0), (light, 255)):
        for _ in range(count):
            r = mm(dpi, float(rng.uniform(0.2, 0.4))) / 2
            cx, cy = rng.uniform(0, page.shape[1]), rng.uniform(0, page.shape[0])
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=value)
    return np.asarray(image).copy(), {"dark": dark, "light": light, "diameter_mm": [0.2, 0.4]}


def salt_and_pepper(sample: Sample, seed: int, folder: Path) -> Sample:
    """The page in greys with SPECKLE_SHARE of its pixels turned black or white (one pixel each, as a noisy scanner
    or fax makes), drawn from a generator seeded by (seed, page)."""
    rng = np.random.default_rng([seed, zlib.crc32(sample.name.encode())])
    with Image.open(sample.image) as im:
        dpi = im.info.get("dpi")
        page = np.asarray(im.convert("L")).copy()
    draw = rng.random(page.shape)
    page[draw < SPECKLE_SHARE / 2] = 0
    page[(draw >= SPECKLE_SHARE / 2) & (draw < SPECKLE_SHARE)] = 255
    target = folder / f"{sample.name}-speckled.png"
    Image.fromarray(page).save(target, **({"dpi": dpi} if dpi else {}), compress_level=1)
    return Sample(target.stem, target, sample.reference, sample.truth)


def speckled(sources: list[Sample], *, seed: int) -> list[Sample]:
    folder = OUT / "speckled"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return [salt_and_pepper(sample, seed, folder) for sample in sources]


def quarter_turn(page: Array, degrees: int) -> Array:
    return np.ascontiguousarray(np.rot90(page, k=-degrees // 90))  # clockwise


STEPS: tuple[tuple[str, Callable[[Array, np.random.Generator, float], tuple[Array, dict[str, Any]]]], ...] = (
    ("tint", tint),
    ("halftone", halftone),
    ("skew", skew),
    ("border", border),
    ("specks", specks),
)


def degrade(sample: Sample, number: int, variant: int, seed: int, folder: Path) -> tuple[Sample, dict[str, Any]]:
    recipe = RECIPES[(number + variant) % len(RECIPES)]  # pages take turns, so that --limit still mixes them
    rng = np.random.default_rng([seed, variant, zlib.crc32(sample.name.encode())])
    with Image.open(sample.image) as im:
        dpi = float(im.info.get("dpi", (300, 300))[0])
        page = np.asarray(im.convert("L")).copy()
    applied: dict[str, Any] = {}
    for name, step in STEPS:
        if name == "skew":  # the quarter turn comes first: a page fed sideways, then askew
            page = quarter_turn(page, recipe["rotate"])
            applied["rotate_cw"] = recipe["rotate"]
        if recipe.get(name):
            page, applied[name] = step(page, rng, dpi)
    target = folder / f"{sample.name}-v{variant}.png"
    Image.fromarray(page).save(target, dpi=(dpi, dpi), compress_level=1)
    return Sample(target.stem, target, sample.reference), {"page": target.name, "source": sample.image.name, **applied}


def degraded(
    sources: list[Sample], *, variants: int, seed: int, limit: int
) -> tuple[list[Sample], list[dict[str, Any]]]:
    folder = OUT / "degraded"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    wanted = [(n, v) for v in range(variants) for n in range(len(sources))]
    made = [degrade(sources[n], n, v, seed, folder) for n, v in wanted[: limit or None]]
    recipes = [recipe for _, recipe in made]
    (folder / "manifest.json").write_text(json.dumps(recipes, indent=1) + "\n", encoding="utf-8")
    return [sample for sample, _ in made], recipes


# --- the two engines ------------------------------------------------------------------------------------------


def raw_tesseract(image: Path) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    result = subprocess.run(["tesseract", str(image), "stdout"], env=env, capture_output=True, check=False)
    if result.returncode:
        print(f"  tesseract failed on {image.name}: {result.stderr.decode(errors='replace')[-300:]}", file=sys.stderr)
    return result.stdout.decode("utf-8", errors="replace")


def raw_tesseract_tsv(image: Path, langs: str) -> str:
    """The tesseract CLI's TSV (words with boxes and confidences) of an image, as the program itself reads it."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    command = ["tesseract", str(image), "stdout", "-l", langs, "tsv"]
    result = subprocess.run(command, env=env, capture_output=True, check=False)
    if result.returncode:
        print(f"  tesseract failed on {image.name}: {result.stderr.decode(errors='replace')[-300:]}", file=sys.stderr)
    return result.stdout.decode("utf-8", errors="replace")


class _Remembering:
    """An engine that keeps what it recognised (pickled, as run_job may change the page it gets), so that the run
    at the job's default MinConfidence reads the same recognition result again. Anything else goes to the engine."""

    def __init__(self, engine: Any, pages: dict[tuple[Any, ...], bytes]) -> None:
        self._engine = engine
        self._pages = pages

    def recognize(self, image: Image.Image, **kwargs: Any) -> Any:
        key = (hashlib.blake2b(image.tobytes()).hexdigest(), image.mode, image.size, tuple(sorted(kwargs.items())))
        if key in self._pages:
            return pickle.loads(self._pages[key])
        page = self._engine.recognize(image, **kwargs)
        self._pages[key] = pickle.dumps(page)
        return page

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


class RememberingPool(EnginePool):
    def __init__(self, tessdata: Path) -> None:
        super().__init__(tessdata)
        self.pages: dict[tuple[Any, ...], bytes] = {}

    @contextmanager
    def lease(self, langs: list[str]) -> Iterator[Any]:
        with super().lease(langs) as engine:
            yield _Remembering(engine, self.pages)


_ENGINES: RememberingPool | None = None


def _start_worker(calibration_file: Path | None) -> None:
    global _ENGINES
    _ENGINES = RememberingPool(tessdata_dir(None))
    if calibration_file is not None:
        calibration.use(calibration_file)


def _warm(_: int) -> int:
    assert _ENGINES is not None
    with _ENGINES.lease(["eng"]):  # loaded, and kept by the process
        pass
    time.sleep(0.3)  # so that each warm-up task lands in its own process
    return os.getpid()


PageWords = list[tuple[str, tuple[float, float, float, float], float]]  # text, box in the image's pixels, confidence


def ocrmill_page(
    image: Path, overrides: dict[str, Any], min_confidence: int, work: Path
) -> tuple[str, str, float, PageWords]:
    """result.txt of a one-page job, the error if it failed, the CPU seconds it took and the words of the page
    JSON the console's viewer shows (every word, with its confidence). The first call for a page (at
    MinConfidence=0) leaves its recognition result in `work` for the second (at the default MinConfidence),
    which may run in another process; so only the first is timed work."""
    assert _ENGINES is not None
    kept = work / "pages.pickle"
    _ENGINES.pages = pickle.loads(kept.read_bytes()) if kept.is_file() else {}
    out_dir = work / f"out-{min_confidence}"
    cpu = time.process_time()
    try:
        run_job(
            inputs=[InputFile(image, image.suffix.lstrip(".").upper())],
            options=JobOptions(TxtOutput=True, PdfOutput=False, MinConfidence=min_confidence, **overrides),
            out_dir=out_dir,
            work_dir=work / f"work-{min_confidence}",
            engines=_ENGINES,
            limits=Limits(max_pages=1000, max_image_megapixels=200),
            threads=1,
        )
        text, seconds = (out_dir / "result.txt").read_text(encoding="utf-8"), time.process_time() - cpu
        return text, "", seconds, page_words(out_dir / "pages" / "0001.json", image)
    except Exception as e:  # a failed job, as the worker would report it; the page scores as empty
        return "", f"{type(e).__name__}: {e}", time.process_time() - cpu, []
    finally:
        if not kept.is_file():
            kept.write_bytes(pickle.dumps(_ENGINES.pages))
        _ENGINES.pages = {}


def page_words(path: Path, image: Path) -> PageWords:
    page = page_from_dict(json.loads(path.read_text(encoding="utf-8")))
    with Image.open(image) as im:
        scale = im.width / page.width if page.width else 1.0  # the raster is the image, unless turned (EXIF)
    return [
        (w.text, (w.box.left * scale, w.box.top * scale, w.box.right * scale, w.box.bottom * scale), w.confidence)
        for w in page.words()
    ]


# --- metrics --------------------------------------------------------------------------------------------------


def word_edits(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level Levenshtein: each distinct word becomes one private-use character, then tests.metrics'."""
    codes: dict[str, str] = {}

    def encode(ws: list[str]) -> str:
        return "".join(codes.setdefault(w, chr(0xF0000 + len(codes))) for w in ws)

    return levenshtein(encode(reference), encode(hypothesis))


@dataclass
class Score:
    """Sums over pages; the rates are edits per reference unit of the whole set (pages weighted by length)."""

    chars: int = 0
    char_edits: int = 0
    words: int = 0
    word_edits: int = 0
    matched: int = 0
    hyp_words: int = 0
    per_page: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, reference: str, hypothesis: str) -> None:
        ref, hyp = normalise(reference), normalise(hypothesis)
        edits = levenshtein(ref, hyp)
        self.chars += len(ref)
        self.char_edits += edits
        ref_words, hyp_words = words(reference), words(hypothesis)
        self.words += len(ref_words)
        self.word_edits += word_edits(ref_words, hyp_words)
        bag = word_bag(reference, hypothesis)
        self.matched += bag.matched
        self.hyp_words += bag.hypothesis_words
        self.per_page[name] = round(edits / len(ref), 4) if ref else float(bool(hyp))

    def merge(self, other: Score) -> None:
        for name in ("chars", "char_edits", "words", "word_edits", "matched", "hyp_words"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def cer(self) -> float:
        return self.char_edits / self.chars if self.chars else 0.0

    @property
    def wer(self) -> float:
        return self.word_edits / self.words if self.words else 0.0

    @property
    def f1(self) -> float:
        total = self.words + self.hyp_words
        return 2 * self.matched / total if total else 1.0


# --- running --------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    config: Config
    pages: int
    seconds: float  # wall time of the whole set, MinConfidence=0 pass only
    score: Score
    cpu_seconds: float = 0.0  # summed over pages; less disturbed than wall time by whatever else the machine runs
    score_default: Score | None = None  # ocrmill at the job's default MinConfidence
    # (confidence, right) of every word ocrmill recognised (MinConfidence=0), labelled by bench.word_truth
    words: list[tuple[float, bool]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def pages_per_minute(self) -> float:
        return self.pages * 60 / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_page(self) -> float:
        return self.cpu_seconds / self.pages if self.pages else 0.0

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cer": round(self.score.cer, 4),
            "wer": round(self.score.wer, 4),
            "bag_f1": round(self.score.f1, 4),
            "seconds": round(self.seconds, 2),
            "pages_per_min": round(self.pages_per_minute, 1),
            "cpu_seconds_per_page": round(self.cpu_per_page, 3),
        }
        if self.config.options is not None:
            out["options"] = self.config.options
        if self.score_default is not None:
            m = DEFAULT_MIN_CONFIDENCE
            out[f"cer_minconf{m}"] = round(self.score_default.cer, 4)
            out[f"wer_minconf{m}"] = round(self.score_default.wer, 4)
            out[f"bag_f1_minconf{m}"] = round(self.score_default.f1, 4)
        if self.words:
            out["reliability"] = [[b.low, b.words, b.right] for b in reliability(self.words)]
        if self.score.per_page:
            out["cer_per_page"] = self.score.per_page
        if self.errors:
            out["errors"] = self.errors
        return out


def run_config(config: Config, samples: list[Sample], pool: Executor, jobs: int, texts: Path, work: Path) -> Outcome:
    outcome = Outcome(config=config, pages=len(samples), seconds=0.0, score=Score())
    started = time.perf_counter()
    if config.options is None:
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers are alive, so not counted in it
        with ThreadPoolExecutor(jobs) as threads:
            hypotheses = list(threads.map(raw_tesseract, [s.image for s in samples]))
        outcome.seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        outcome.cpu_seconds = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
        for sample, hypothesis in zip(samples, hypotheses, strict=True):
            outcome.score.add(sample.name, sample.reference, hypothesis)
            (texts / f"{sample.name}.txt").write_text(hypothesis, encoding="utf-8")
        return outcome
    dirs = [work / f"{i:04d}" for i in range(len(samples))]
    shutil.rmtree(work, ignore_errors=True)

    def each(min_confidence: int) -> list[tuple[str, str, float, PageWords]]:
        assert config.options is not None
        futures = [
            pool.submit(ocrmill_page, s.image, config.options, min_confidence, d)
            for s, d in zip(samples, dirs, strict=True)
        ]
        return [f.result() for f in futures]

    results = each(0)
    outcome.seconds = time.perf_counter() - started
    outcome.score_default = Score()
    for sample, (text, error, cpu_seconds, found), (text_default, *_) in zip(
        samples, results, each(DEFAULT_MIN_CONFIDENCE), strict=True
    ):
        rights = label([(t, box) for t, box, _ in found], sample.words_truth)
        outcome.words += [(confidence, right) for (_, _, confidence), right in zip(found, rights, strict=True)]
        if error:
            outcome.errors.append(f"{sample.name}: {error}")
        outcome.cpu_seconds += cpu_seconds
        outcome.score.add(sample.name, sample.reference, text)
        outcome.score_default.add(sample.name, sample.reference, text_default)
        (texts / f"{sample.name}.txt").write_text(text, encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return outcome


def pct(value: float) -> str:
    return f"{value * 100:6.2f}%"


def print_table(outcomes: list[Outcome]) -> None:
    m = DEFAULT_MIN_CONFIDENCE
    print(f"  ocrmill at MinConfidence 0 (what the CLI prints), then at the job's default MinConfidence {m}")
    print(
        f"  {'configuration':<20} {'CER@0':>7} {'WER@0':>7} {'F1@0':>7} {'pages/min':>10} {'CPU s/page':>10}"
        f"   {f'CER@{m}':>7} {f'WER@{m}':>7} {f'F1@{m}':>7}"
    )
    for o in outcomes:
        line = (
            f"  {o.config.name:<20} {pct(o.score.cer)} {pct(o.score.wer)} {pct(o.score.f1)}"
            f" {o.pages_per_minute:10.1f} {o.cpu_per_page:10.2f}"
        )
        if o.score_default is not None:
            line += f"   {pct(o.score_default.cer)} {pct(o.score_default.wer)} {pct(o.score_default.f1)}"
        print(line)
        for error in o.errors:
            print(f"    error: {error}")


def pp(value: float) -> float:
    return round(value * 100, 2)


def speedups(slow: Outcome, fast: Outcome) -> dict[str, float | None]:
    return {
        "speedup": round(fast.pages_per_minute / slow.pages_per_minute, 3) if slow.pages_per_minute else None,
        "cpu_speedup": round(slow.cpu_per_page / fast.cpu_per_page, 3) if fast.cpu_per_page else None,
    }


def versus(raw: Score, ocrmill: Score, what: str) -> dict[str, Any]:
    # Worse means a higher CER or WER or a lower bag F1 than the CLI's on the same pages, by more than the
    # tolerance: the CLI (Tesseract 5.3) and tesserocr (its own 5.5) differ by that much on identical input.
    worse = [
        measure
        for measure, delta in (
            ("CER", ocrmill.cer - raw.cer),
            ("WER", ocrmill.wer - raw.wer),
            ("bag F1", raw.f1 - ocrmill.f1),
        )
        if delta * 100 > NEVER_WORSE_TOLERANCE_PP
    ]
    d = {
        "cer_ratio": round(ocrmill.cer / raw.cer, 3) if raw.cer else None,
        "cer_delta_pp": pp(ocrmill.cer - raw.cer),
        "wer_delta_pp": pp(ocrmill.wer - raw.wer),
        "bag_f1_delta_pp": pp(ocrmill.f1 - raw.f1),
        "never_worse": not worse,
    }
    print(
        f"  {what}: CER {d['cer_delta_pp']:+.2f} pp, WER {d['wer_delta_pp']:+.2f} pp, "
        f"bag F1 {d['bag_f1_delta_pp']:+.2f} pp: never worse (tolerance {NEVER_WORSE_TOLERANCE_PP} pp) "
        + ("met" if not worse else f"NOT met ({', '.join(worse)})")
    )
    return d


def second_reading_figures(raw: Score, one: Outcome, default: Outcome) -> dict[str, Any]:
    """What the second reading changes: the one-reading job against the CLI at the default MinConfidence, and the
    CPU seconds a page it costs."""
    assert one.score_default is not None
    figures = {
        "one_reading_vs_raw": versus(
            raw, one.score_default, f"one reading (MinConfidence {DEFAULT_MIN_CONFIDENCE}) vs raw"
        ),
        "cpu_seconds_per_page_cost": round(default.cpu_per_page - one.cpu_per_page, 3),
    }
    print(f"  second reading's cost: {figures['cpu_seconds_per_page_cost']:+.2f} CPU s a page")
    return figures


def compare(name: str, outcomes: list[Outcome]) -> dict[str, Any]:
    by_name = {o.config.name: o for o in outcomes}
    raw, default, fast = by_name[RAW.name].score, by_name[DEFAULT.name].score, by_name[FAST.name].score
    at_default = by_name[DEFAULT.name].score_default
    assert at_default is not None
    figures: dict[str, Any] = {
        "default_vs_raw": versus(raw, at_default, f"default (MinConfidence {DEFAULT_MIN_CONFIDENCE}) vs raw"),
        "minconf0_vs_raw": versus(raw, default, "MinConfidence 0 vs raw"),
    }
    if ONE_READING.name in by_name:
        figures["second_reading"] = second_reading_figures(raw, by_name[ONE_READING.name], by_name[DEFAULT.name])
    figures["fastmode"] = {
        **speedups(by_name[DEFAULT.name], by_name[FAST.name]),
        "cer_cost_pp": pp(fast.cer - default.cer),
        "cer_cost_relative": round(fast.cer / default.cer - 1, 3) if default.cer else None,
        "wer_cost_pp": pp(fast.wer - default.wer),
        "bag_f1_cost_pp": pp(default.f1 - fast.f1),
    }
    f = figures["fastmode"]
    print(
        f"  FastMode vs default: speed-up {f['speedup']}x in pages/min, {f['cpu_speedup']}x in CPU time per page; "
        f"accuracy cost: CER {f['cer_cost_pp']:+.2f} pp, WER {f['wer_cost_pp']:+.2f} pp, "
        f"bag F1 {-f['bag_f1_cost_pp']:+.2f} pp"
    )
    cleanups = [o for o in outcomes if o.config.name.startswith(CLEANUP_NAME)]
    if cleanups:
        drops = {o.config.name: 1 - o.score.cer / raw.cer if raw.cer else 0.0 for o in cleanups}
        best = max(drops, key=lambda k: drops[k])
        target = name == "degraded"
        figures["cleanup"] = {
            "cer_drop_vs_raw": {k: round(v, 3) for k, v in drops.items()},
            "best": best,
            "best_options": sorted(by_name[best].config.options or {}),
        }
        for config_name, drop in drops.items():
            verdict = ""
            if target and config_name == best:
                verdict = f" (target >= {CLEANUP_TARGET:.0%}: {'met' if drop >= CLEANUP_TARGET else 'NOT met'})"
            print(f"  {config_name} vs raw: CER drop {drop:.1%}{verdict}")
        if target:
            figures["cleanup"]["target_met"] = drops[best] >= CLEANUP_TARGET
    return figures


def cleanup_configs(groups: list[str]) -> list[Config]:
    fields = {f.name for f in dataclasses.fields(JobOptions)}
    configs: list[Config] = []
    for group in groups:
        names = [n.strip() for n in group.split(",") if n.strip()]
        unknown = [n for n in names if n not in fields]
        if unknown:
            raise SystemExit(f"--cleanup: no such job option: {', '.join(unknown)}")
        label = CLEANUP_NAME if len(groups) == 1 else f"{CLEANUP_NAME} {len(configs) + 1}"
        configs.append(Config(label, dict.fromkeys(names, True)))
    return configs


def load(name: str, args: argparse.Namespace, recipes: list[dict[str, Any]]) -> list[Sample]:
    if name == "tesseract":
        samples = tesseract_test(rotated=False)
    elif name == "orientation":
        samples = tesseract_test(rotated=True)
    elif name == "scribe":
        samples = scribe()
    elif name == "sroie":
        samples = sroie()
    elif name == "speckled":
        samples = speckled(tesseract_test(rotated=False) + scribe(), seed=args.seed)
    elif name == "layouts":
        shutil.rmtree(OUT / "layouts", ignore_errors=True)
        drawn = layout_pages(OUT / "layouts", count=LAYOUT_PAGES, seed=args.seed)
        samples = [Sample(page, image, reference) for page, image, reference in drawn]
    elif name in ("scanned", "bilevel"):
        shutil.rmtree(OUT / name, ignore_errors=True)
        drawn = scanned_pages(OUT / name, count=LAYOUT_PAGES, seed=args.seed, bilevel=name == "bilevel")
        samples = [Sample(page, image, reference) for page, image, reference in drawn]
    else:
        samples, made = degraded(
            tesseract_test(rotated=False), variants=args.variants, seed=args.seed, limit=args.limit
        )
        recipes.extend(made)
    return samples[: args.limit] if args.limit else samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated, from: " + ", ".join(SETS))
    parser.add_argument("--limit", type=int, default=0, help="at most N pages per set (0: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="pages at once (one process each)")
    parser.add_argument(
        "--cleanup",
        action="append",
        help=f"clean-up options for {' and '.join(CLEANUP_SETS)}, comma-separated; repeat to compare several "
        f"(default: {','.join(CLEANUP)})",
    )
    parser.add_argument("--variants", type=int, default=len(RECIPES), help="degraded copies per clean page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--calibration",
        type=Path,
        help="word calibration to read with instead of the shipped one (bench.word_calibration --without ... --out)",
    )
    args = parser.parse_args()
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise SystemExit(f"--sets: unknown set {', '.join(unknown)}; choose from {', '.join(SETS)}")
    cleanups = cleanup_configs(args.cleanup or [",".join(CLEANUP)])

    recipes: list[dict[str, Any]] = []
    sets = {name: load(name, args, recipes) for name in names}
    for config in cleanups:
        print(f"{config.name}: {', '.join(config.options or {})}")
    if recipes:
        print(f"degraded copy ({OUT / 'degraded'}):")
        for recipe in recipes:
            print("  " + json.dumps(recipe))
    shutil.rmtree(OUT / "texts", ignore_errors=True)
    work = OUT / "work"
    shutil.rmtree(work, ignore_errors=True)

    results: dict[str, Any] = {
        "jobs": args.jobs,
        "limit": args.limit,
        "seed": args.seed,
        "calibration": str(args.calibration) if args.calibration else "shipped",
        "min_confidence": 0,
        "extra_min_confidence": DEFAULT_MIN_CONFIDENCE,
        "cleanup_options": [c.options for c in cleanups],
        "sets": {},
        "degraded_recipes": recipes,
    }
    totals: dict[str, Outcome] = {}
    spawn = multiprocessing.get_context("spawn")  # workers start clean, whatever threads this process runs
    calibrated = (args.calibration,)
    with ProcessPoolExecutor(args.jobs, mp_context=spawn, initializer=_start_worker, initargs=calibrated) as pool:
        list(pool.map(_warm, range(args.jobs)))
        for name, samples in sets.items():
            print(f"\n{name}: {len(samples)} page(s), {args.jobs} at once", flush=True)
            configs = [RAW, DEFAULT, ONE_READING, FAST, *(cleanups if name in CLEANUP_SETS else [])]
            configs += [DESPECKLE] if name == "speckled" else []
            outcomes = []
            for config in configs:
                texts = OUT / "texts" / name / config.name.replace(" ", "_").replace("+", "_")
                texts.mkdir(parents=True)
                outcomes.append(run_config(config, samples, pool, args.jobs, texts, work / name))
                total = totals.setdefault(config.name, Outcome(config=config, pages=0, seconds=0.0, score=Score()))
                total.pages += len(samples)
                total.seconds += outcomes[-1].seconds
                total.cpu_seconds += outcomes[-1].cpu_seconds
                total.score.merge(outcomes[-1].score)
            print_table(outcomes)
            default_words = next(o.words for o in outcomes if o.config is DEFAULT)
            print(f"  reliability of ocrmill's word confidences ({len(default_words)} words, bench.word_truth):")
            print("\n".join(reliability_lines(reliability(default_words), indent="    ")))
            entry: dict[str, Any] = {"pages": len(samples)}
            entry["configs"] = {o.config.name: o.figures() for o in outcomes}
            entry.update(compare(name, outcomes))
            results["sets"][name] = entry
    shutil.rmtree(work, ignore_errors=True)

    # Pooled over every page of every set run (long pages weigh more); clean-up only covers its sets.
    results["all_sets"] = {name: o.figures() for name, o in totals.items()}
    results["default_never_worse"] = {n: s["default_vs_raw"]["never_worse"] for n, s in results["sets"].items()}
    results["cleanup_target_met"] = results["sets"].get("degraded", {}).get("cleanup", {}).get("target_met")
    if DEFAULT.name in totals and FAST.name in totals:
        default, fast = totals[DEFAULT.name], totals[FAST.name]
        results["fastmode"] = {**speedups(default, fast), "cer_cost_pp": pp(fast.score.cer - default.score.cer)}
        f = results["fastmode"]
        print(
            f"\nall sets, pooled: FastMode vs default: speed-up {f['speedup']}x in pages/min "
            f"({fast.pages_per_minute:.1f} vs {default.pages_per_minute:.1f}), "
            f"{f['cpu_speedup']}x in CPU time per page ({fast.cpu_per_page:.2f} vs {default.cpu_per_page:.2f} s); "
            f"CER {pct(fast.score.cer).strip()} vs {pct(default.score.cer).strip()} ({f['cer_cost_pp']:+.2f} pp)"
        )
    print(f"hypotheses in {OUT / 'texts'}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
