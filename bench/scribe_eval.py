"""The scribe benchmark's own evaluation of ocrmill's hOCR, beside its published Tesseract.js and Scribe.js figures.

    .venv/bin/python -m bench.scribe_eval [--set Name=Value ...] [--label NAME] [--cli] [--work DIR]

1. `ocrmill ocr` (the CLI, no server) reads the 13 development pages of ../shared/data/ocr-scribe-benchmark/img
   with HocrOutput=true (PdfOutput=false; the job's other properties at their defaults unless --set says otherwise)
   into <work>/<label>/<page>.hocr.
2. The benchmark's `peer-eval/run_eval.js`, unchanged, runs under node in <work> (ground_truth/ linked there) on
   that folder: scribe.js-ocr imports both hOCR files, matches words by position (`compareOCR`, punctuation
   ignored) and writes per-page counts to <work>/stats/eval_stats_<label>.csv.
   With --cli the raw `tesseract` CLI's hOCR of the same pages (`tesseract <image> <out> hocr`, Debian's Tesseract,
   OMP_THREAD_LIMIT=1) is evaluated the same way, as a check of this evaluation against the published Tesseract.js
   figures (another build of Tesseract, so close to them, not equal).
3. Printed: per page, ocrmill's word accuracy (correct / total) beside the published Tesseract.js (LSTM) and
   Scribe.js figures from peer-eval/*.csv, and their means over the pages (the published means over these 13
   pages: Tesseract.js 86.5%, Scribe.js 96.8%); then one JSON line with every figure.

Needs node and npm (Debian's `nodejs`, `npm`). scribe.js-ocr is installed into <work> from the npm registry once:
version SCRIBE_VERSION, the newest whose dependencies the registry can resolve (0.15.0 asks for an
@scribe.js/canvas release the registry does not have); upstream pinned a git commit of scribe.js instead.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCHMARK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ocr-scribe-benchmark"
PEER_EVAL = BENCHMARK / "peer-eval"
SCRIBE_VERSION = "0.11.2"
PUBLISHED = {"Tesseract.js": "eval_stats_tesseractjs_lstm.csv", "Scribe.js": "eval_stats_scribejs.csv"}
OCRMILL = str(Path(sys.executable).parent / "ocrmill")


def page_name(truth_file: str) -> str:
    """chart_01.truth.hocr -> chart_01 (singlecol_01.hocr has no .truth)."""
    return truth_file.removesuffix(".hocr").removesuffix(".truth")


def read_stats(path: Path) -> dict[str, dict[str, int]]:
    """run_eval.js's CSV: page -> its counts (total, correct, incorrect, missed, extra, ...)."""
    with path.open(newline="") as f:
        return {page_name(row.pop("file")): {k: int(v) for k, v in row.items()} for row in csv.DictReader(f)}


def accuracy(counts: dict[str, int]) -> float:
    return 100.0 * counts["correct"] / counts["total"] if counts["total"] else 0.0


def install_scribe(work: Path) -> None:
    if (work / "node_modules" / "scribe.js-ocr").is_dir():
        return
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--no-save", f"scribe.js-ocr@{SCRIBE_VERSION}"],
        cwd=work, check=True,
    )  # fmt: skip


def ocrmill_hocr(out: Path, properties: list[str]) -> float:
    """Seconds for `ocrmill ocr` on the 13 pages (one process, models loaded once)."""
    shutil.rmtree(out, ignore_errors=True)
    images = sorted((BENCHMARK / "img").iterdir())
    settings = [f"--set={p}" for p in ("HocrOutput=true", "PdfOutput=false", *properties)]
    started = time.perf_counter()
    subprocess.run([OCRMILL, "ocr", *map(str, images), "--out", str(out), *settings], check=True)
    return time.perf_counter() - started


def tesseract_hocr(out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    for image in sorted((BENCHMARK / "img").iterdir()):
        subprocess.run(
            ["tesseract", str(image), str(out / image.stem), "hocr"], env=env, check=True, capture_output=True
        )


def run_eval(work: Path, label: str) -> Path:
    shutil.copy(PEER_EVAL / "run_eval.js", work / "run_eval.js")
    (work / "package.json").write_text(json.dumps({"name": "scribe-eval", "private": True, "type": "module"}))
    truth = work / "ground_truth"
    if not truth.exists():
        truth.symlink_to(BENCHMARK / "ground_truth")
    (work / "stats").mkdir(exist_ok=True)
    result = work / "stats" / f"eval_stats_{label}.csv"
    result.unlink(missing_ok=True)
    subprocess.run(["node", "run_eval.js", label], cwd=work, check=True)
    if not result.exists():  # run_eval.js prints its errors and exits 0
        raise SystemExit(f"run_eval.js wrote no {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", default=[], metavar="Name=Value", help="a job property")
    parser.add_argument("--label", default="ocrmill", help="the results folder's name (letters, digits, _)")
    parser.add_argument("--cli", action="store_true", help="also the raw tesseract CLI's hOCR")
    parser.add_argument("--work", type=Path, default=Path(__file__).parent / "out" / "scribe-eval")
    args = parser.parse_args()
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    install_scribe(work)
    seconds = ocrmill_hocr(work / args.label, args.set)
    ours = read_stats(run_eval(work, args.label))
    published = {name: read_stats(PEER_EVAL / file) for name, file in PUBLISHED.items()}
    pages = sorted(published["Scribe.js"])
    missing = [p for p in pages if p not in ours]
    if missing:
        raise SystemExit(f"no evaluation of {', '.join(missing)}")
    columns = {"ocrmill": ours}
    if args.cli:
        tesseract_hocr(work / "tesseract_cli")
        columns["tesseract CLI"] = read_stats(run_eval(work, "tesseract_cli"))
    columns.update(published)
    print(f"\nword accuracy (run_eval.js: correct / total words of the ground truth), ocrmill {' '.join(args.set)}")
    print(f"| page | words | {' | '.join(columns)} | ocrmill missed / extra |")
    print(f"| --- | --- | {' | '.join('---' for _ in columns)} | --- |")
    figures: dict[str, Any] = {"pages": {}, "set": args.set, "ocrmill_seconds": round(seconds, 1)}
    for page in pages:
        row = {name: accuracy(stats[page]) for name, stats in columns.items()}
        figures["pages"][page] = {name: round(value, 2) for name, value in row.items()}
        marks = " ".join(f"{value:.1f}%" for value in row.values())
        print(
            f"| {page} | {ours[page]['total']} | {marks.replace(' ', ' | ')} | "
            f"{ours[page]['missed']} / {ours[page]['extra']} |"
        )
    means = {name: statistics.mean(accuracy(stats[p]) for p in pages) for name, stats in columns.items()}
    figures["mean"] = {name: round(value, 2) for name, value in means.items()}
    print(f"| **mean** | | {' | '.join(f'**{v:.1f}%**' for v in means.values())} | |")
    under = [p for p in pages if accuracy(ours[p]) < accuracy(published["Tesseract.js"][p])]
    figures["pages_under_tesseractjs"] = under
    print(
        f"\npages where ocrmill trails Tesseract.js: {', '.join(under) or 'none'}; "
        f"ocrmill {seconds:.0f} s for the 13 pages ({os.cpu_count()} cores)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
