"""Many seeds of the drawn layout pages, scanned and in black and white, read with the job's defaults: a quick look
at pages no one tuned on, page by page, against another run.

    .venv/bin/python -m bench.layout_seeds --seeds 6-14 [--kinds table,columns] [--jobs 2] --out F.json
        [--compare OTHER.json] [--work DIR]

For each seed, bench.layouts draws its 20 pages (columns and tables in turn) and scans them twice, in grey (JPEG)
and in black and white (G4 TIFF); the pages of `--kinds` are read by the pipeline itself as bench.accuracy reads
them (ocrmill_page: pipeline.run.run_job, a job with TxtOutput and every other property at its default, MinConfidence
60 and the second reading on), one process per page at a time, and scored against their reading order (character
edits, bench.accuracy.Score). Printed: CER by seeds and scan, over the pages; with --compare, the same for that run
and every page whose edits differ. To compare
code, run it once with PYTHONPATH pointing at another checkout's src (its own bench module is this one).

bench.accuracy's `scanned`, `bilevel` and `layouts` sets measure a seed in full (the raw CLI, MinConfidence 0, one
reading, FastMode); this reads one configuration on many seeds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.accuracy import DEFAULT_MIN_CONFIDENCE, Score, _start_worker, ocrmill_page
from bench.layouts import scanned_pages


def read(item: tuple[str, str, str]) -> tuple[str, int, int]:
    """A page read as bench.accuracy reads it (ocrmill_page: a job with TxtOutput, the other properties at their
    defaults): (name, character edits, reference characters)."""
    name, image, reference = item
    with tempfile.TemporaryDirectory() as tmp:
        text, error, _seconds, _words = ocrmill_page(Path(image), {}, DEFAULT_MIN_CONFIDENCE, Path(tmp))
    if error:
        raise RuntimeError(f"{name}: {error}")
    score = Score()
    score.add(name, reference, text)
    return name, score.char_edits, score.chars


def seeds(text: str) -> list[int]:
    """ "6-14" or "6,9,12"."""
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(s) for s in text.split(",")]


def totals(pages: dict[str, tuple[int, int]]) -> dict[str, float]:
    """CER (%) by scan ("scan", "bw") over `pages`."""
    out = {}
    for scan in ("scan", "bw"):
        edits = sum(e for name, (e, _) in pages.items() if name.endswith(f"-{scan}"))
        chars = sum(c for name, (_, c) in pages.items() if name.endswith(f"-{scan}"))
        out[scan] = round(100 * edits / chars, 3) if chars else 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=seeds, required=True)
    parser.add_argument("--kinds", default="table,columns", help="comma-separated: table, columns")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--work", type=Path, default=Path("bench/out/layout_seeds"))
    args = parser.parse_args()
    kinds = tuple(args.kinds.split(","))
    items = []
    for seed in args.seeds:
        for bilevel in (False, True):
            folder = args.work / f"{seed}-{'bw' if bilevel else 'scan'}"
            for name, image, reference in scanned_pages(folder, count=20, seed=seed, bilevel=bilevel):
                if name.startswith(kinds):
                    items.append((name, str(image), reference))
    with ProcessPoolExecutor(args.jobs, initializer=_start_worker, initargs=(None,)) as pool:
        pages = {name: (edits, chars) for name, edits, chars in pool.map(read, items)}
    args.out.write_text(json.dumps(pages, indent=0))
    print(f"seeds {args.seeds[0]}-{args.seeds[-1]}, {len(pages)} pages ({args.kinds}): CER {totals(pages)}")
    if args.compare:
        other = {
            name: (int(e), int(c)) for name, (e, c) in json.loads(args.compare.read_text()).items() if name in pages
        }
        print(f"  {args.compare.name}: CER {totals(other)}")
        for name, (edits, chars) in pages.items():
            if name in other and other[name][0] != edits:
                print(f"  {name}: {other[name][0] / chars:.4f} -> {edits / chars:.4f}")


if __name__ == "__main__":
    main()
