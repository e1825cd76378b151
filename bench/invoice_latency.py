"""One receipt from upload to `completed` through a real server, next to the tesseract CLI on the same image.

    .venv/bin/python -m bench.invoice_latency [--runs 5] [--images a.jpg,b.png] [--poll 0.02]

Starts `ocrmill serve` (SQLite, two workers, a temporary data folder), uploads one receipt (after warm-up uploads,
one per worker at once, that load the models) and polls the job every --poll seconds until it is completed; one
job at a time, so the server is otherwise idle. Default images: SROIE receipt 020 (623 x 1255, read twice: it
is unsure) and a phone-sized photo made from SROIE 038 (enlarged x2.5 to 2700 x 3818, JPEG quality 90).

Per run, from the job's and its page's time stamps (milliseconds, the server's clock):
  upload     the POST until its response (the file saved, the job row written)
  split      the job created until its page exists (claimed, the image checked, kept as the page image or saved
             as PNG)
  pickup     the page created until a worker started it
  page       the page's processingTime (fetch, clean-up, the readings, barcodes, analysis, its PNG and JSON)
  outputs    the page completed until the poll that saw the job `completed` (the job queued again, its PDF and
             text written; plus up to --poll)
  total      the upload's start until the poll that saw `completed` (the client's view)
  cpu        CPU seconds the worker processes spent meanwhile (user + system), a figure that other programs on
             the machine do not change as much as they change the seconds above (workers run at nice 10: on a
             busy machine they wait); api_cpu, the API process's (mostly answering the polls), is in the JSON
The tesseract CLI reference is one `tesseract IMAGE stdout -l eng+deu+fra tsv` on the same file, as uploaded.
Ends with one JSON line holding every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from PIL import Image
from tests.harness import DATA, Server, running

RECEIPTS = DATA / "receipts-sroie" / "img"
WORKERS = 2  # tests.harness.Server's OCRMILL_JOBS_THREADS
STEPS = ("upload", "split", "pickup", "page", "outputs", "total", "cpu", "api_cpu")


def default_images(folder: Path) -> list[Path]:
    photo = folder / "photo-038.jpg"
    with Image.open(RECEIPTS / "038.jpg") as im:
        big = im.convert("RGB").resize((round(im.width * 2.5), round(im.height * 2.5)), Image.Resampling.BICUBIC)
    big.save(photo, format="JPEG", quality=90)
    return [RECEIPTS / "020.jpg", photo]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def server_cpu(server: Server) -> tuple[float, float]:
    """CPU seconds used so far by the server's API process and by its worker processes."""
    assert server.process is not None
    parent = psutil.Process(server.process.pid)
    used = []
    for process in [parent, *parent.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            used.append(times.user + times.system)
    return used[0], sum(used[1:])


def one_upload(server: Server, api: httpx.Client, image: Path, poll: float) -> dict[str, float]:
    media = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"
    cpu = server_cpu(server)
    started = time.perf_counter()
    response = api.post("/ocr-invoice-jobs", files=[("file", (image.name, image.read_bytes(), media))])
    uploaded = time.perf_counter()
    response.raise_for_status()
    job_id = response.json()["data"]["_id"]
    while True:
        job = api.get(f"/ocr-invoice-jobs/{job_id}").json()["data"]
        if job["status"] in ("completed", "failed"):
            break
        time.sleep(poll)
    total, seen = time.perf_counter() - started, datetime.now(UTC)
    api_cpu, worker_cpu = (now - before for now, before in zip(server_cpu(server), cpu, strict=True))
    if job["status"] != "completed":
        raise RuntimeError(f"job {job_id} failed: {job['errorLog']}")
    listed = api.get("/ocr-invoice-job-pages", params={"filter": json.dumps({"job": job_id})}).json()["data"]
    (page,) = listed
    return {
        "upload": uploaded - started,
        "split": (_when(page["createdAt"]) - _when(job["createdAt"])).total_seconds(),
        "pickup": (_when(page["startedAt"]) - _when(page["createdAt"])).total_seconds(),
        "page": page["processingTime"] / 1000,
        "outputs": (seen - _when(page["completedAt"])).total_seconds(),
        "total": total,
        "cpu": worker_cpu,
        "api_cpu": api_cpu,
    }


def warm_up(api: httpx.Client, image: Path, uploads: int) -> None:
    """As many uploads at once as there are workers, so that each loads Tesseract and PP-OCR (about 1 s the first
    time): the runs measured after them find every worker warm, whichever claims the job."""
    media = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"
    jobs = []
    for _ in range(uploads):
        response = api.post("/ocr-invoice-jobs", files=[("file", (image.name, image.read_bytes(), media))])
        response.raise_for_status()
        jobs.append(response.json()["data"]["_id"])
    for job_id in jobs:
        while api.get(f"/ocr-invoice-jobs/{job_id}").json()["data"]["status"] not in ("completed", "failed"):
            time.sleep(0.1)


def cli_seconds(image: Path, langs: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["tesseract", str(image), "stdout", "-l", langs, "tsv"],
        env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="uploads per image")
    parser.add_argument("--images", default="", help="comma-separated image files (default: see above)")
    parser.add_argument("--poll", type=float, default=0.02, help="seconds between the client's status requests")
    parser.add_argument("--langs", default="eng+deu+fra", help="the CLI reference's languages (the server's own)")
    args = parser.parse_args()
    report: dict[str, Any] = {"runs": args.runs, "images": {}}
    with tempfile.TemporaryDirectory(prefix="ocrmill-latency-") as tmp:
        root = Path(tmp)
        images = [Path(p) for p in args.images.split(",") if p] or default_images(root)
        with running(Server(root / "server")) as server:
            api = httpx.Client(base_url=f"http://127.0.0.1:{server.port}/api/v1", timeout=120)
            warm_up(api, images[0], WORKERS)
            for image in images:
                with Image.open(image) as im:
                    size = f"{im.width} x {im.height}"
                runs, cli = [], []
                for _ in range(args.runs):
                    runs.append(one_upload(server, api, image, args.poll))
                    cli.append(cli_seconds(image, args.langs))
                medians = {step: statistics.median(r[step] for r in runs) for step in STEPS}
                cli_median = statistics.median(cli)
                print(f"\n{image.name} ({size}), {args.runs} upload(s), medians in seconds:")
                print("  " + "  ".join(f"{step} {medians[step]:.2f}" for step in STEPS[:-1]))
                print(f"  total max {max(r['total'] for r in runs):.2f}; tesseract CLI {cli_median:.2f}", end="")
                print(f" (upload to completed x{medians['total'] / cli_median:.2f} the CLI)")
                report["images"][image.name] = {
                    "size": size,
                    "median": {k: round(v, 3) for k, v in medians.items()},
                    "total_max": round(max(r["total"] for r in runs), 3),
                    "cli_median": round(cli_median, 3),
                    "runs": [{k: round(v, 3) for k, v in r.items()} for r in runs],
                }
            api.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
