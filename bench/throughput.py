"""Pages per minute: the engine's limit, raw tesseract CLI, OCRmyPDF CLI and ocrmill, on one batch.

    .venv/bin/python -m bench.throughput [--cores N] [--singles 40] [--multi-jobs 4]
        [--references limit,cli,ocrmypdf] [--rounds 1]

--references limit skips the two CLI runs (the ratio ocrmill/limit is the figure that matters); --rounds N
runs the limit and ocrmill N times one after the other and reports each round's ratio and their median, since on
a shared machine one round's figure moves with the other load.

Prints a table, the ratios ocrmill/limit and ocrmill/OCRmyPDF, job latencies, the server's peak
RSS, and a closing JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import tesserocr
from PIL import Image
from tests.harness import Server, running

from bench.pages import prepare
from ocrmill.pipeline.languages import tessdata_dir

VENV_BIN = Path(sys.executable).parent
WORKER_NICENESS = 10  # worker.child.child_main: os.nice(10)


def pages_per_minute(pages: int, seconds: float) -> float:
    return round(pages * 60 / seconds, 1)


def limit(images: list[Path], cores: int) -> float:
    """The in-process engine alone: one warm tesserocr instance per core, rasters decoded beforehand."""
    loaded = [Image.open(p) for p in images]
    for image in loaded:
        image.load()
    apis = [tesserocr.PyTessBaseAPI(path=str(tessdata_dir()) + "/", lang="eng") for _ in range(cores)]
    queue = list(range(len(loaded)))
    lock = threading.Lock()

    def work(api: Any) -> None:
        # at the niceness of ocrmill's workers (worker.child): on a machine others load, the reference then gets
        # the share of the CPU they get (Linux: a thread's own priority; on an idle machine it changes nothing)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop(0)
            api.SetImage(loaded[index])
            api.SetSourceResolution(300)
            api.Recognize()

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(api,)) for api in apis]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    for api in apis:
        api.End()
    return elapsed


def raw_cli(images: list[Path], cores: int, out: Path) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(path: Path) -> None:
        subprocess.run(["tesseract", str(path), str(out / path.stem), "pdf"], env=env, check=True, capture_output=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(cores) as pool:
        list(pool.map(one, images))
    return time.perf_counter() - started


def ocrmypdf_cli(jobs: list[Path], cores: int, out: Path) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    started = time.perf_counter()
    for path in jobs:
        subprocess.run(
            [str(VENV_BIN / "ocrmypdf"), "--output-type", "pdf", "-j", str(cores), "--image-dpi", "300",
             "-q", str(path), str(out / f"{path.stem}.pdf")],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
    return time.perf_counter() - started


def tree_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) a process has used so far, and its live children (the workers) with theirs."""
    root = psutil.Process(pid)
    own, children = 0.0, 0.0
    for process in (root, *root.children(recursive=True)):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        used = times.user + times.system + times.children_user + times.children_system
        if process.pid == pid:
            own = used
        else:
            children += used
    return own, children


class PeakRss:
    """Samples the RSS of a process and its children until stopped."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            try:
                total = self.process.memory_info().rss + sum(
                    c.memory_info().rss for c in self.process.children(recursive=True)
                )
            except psutil.Error:
                continue
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def ocrmill(
    server: Server, jobs: list[Path], clients: int = 8, options: dict[str, Any] | None = None
) -> tuple[float, list[float]]:
    """Every job over HTTP (PdfOutput + TxtOutput, and `options`), polled until Converted, outputs downloaded."""

    def one(path: Path) -> float:
        started = time.perf_counter()
        job = server.submit(path, PdfOutput=True, TxtOutput=True, **(options or {}))
        info = server.wait(job["Id"], timeout=1800, poll=0.5)  # as a client would; faster polling only loads the CPU
        if info["Status"] != 3:
            raise RuntimeError(f"job {job['Id']} failed: {info['ErrorDescription']}")
        for ext in ("pdf", "txt"):
            response = server.client.get(f"/download/{job['Id']}/{ext}")
            response.raise_for_status()
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(one, jobs))
    return time.perf_counter() - started, latencies


def measure(name: str, pages: int, run: Callable[..., float], *args: Any) -> float:
    seconds = run(*args)
    print(
        f"  {name:<14} {pages:4d} pages {seconds:8.1f} s {pages_per_minute(pages, seconds):8.1f} pages/min", flush=True
    )
    return pages_per_minute(pages, seconds)


def run_batch(
    server: Server,
    images: list[Path],
    jobs: list[Path],
    cores: int,
    out: Path,
    references: set[str],
    rounds: int,
    options: dict[str, Any],
) -> dict[str, Any]:
    pages = len(images)
    out.mkdir()
    figures: dict[str, Any] = {"jobs": len(jobs), "pages": pages}
    if "cli" in references:
        figures["raw_cli"] = measure("tesseract CLI", pages, raw_cli, images, cores, out)
    if "ocrmypdf" in references:
        figures["ocrmypdf"] = measure("OCRmyPDF CLI", pages, ocrmypdf_cli, jobs, cores, out)
    assert server.process is not None
    latencies: list[float] = []

    def run_ocrmill() -> float:
        seconds, lat = ocrmill(server, jobs, options=options)
        latencies.extend(lat)
        return seconds

    limits: list[float] = []
    ratios: list[float] = []
    peaks: list[int] = []
    cpu_ratios: list[float] = []
    for _ in range(rounds):  # the limit right before ocrmill: both see the same load from others
        cpu = time.process_time()
        limits.append(measure("limit", pages, limit, images, cores))
        limit_cpu = time.process_time() - cpu
        rss = PeakRss(server.process.pid)
        api_cpu, workers_cpu = tree_cpu(server.process.pid)
        figures["ocrmill"] = measure("ocrmill", pages, run_ocrmill)
        api_after, workers_after = tree_cpu(server.process.pid)
        api_cpu, workers_cpu = api_after - api_cpu, workers_after - workers_cpu
        ocrmill_cpu = api_cpu + workers_cpu
        peaks.append(rss.stop())
        ratios.append(round(figures["ocrmill"] / limits[-1], 3))
        # CPU seconds a page: the limit's against the whole server's (API and supervisor process, workers). On a machine
        # others load, wall-clock pages/min move with their load; CPU a page does not (much)
        cpu_ratios.append(round(limit_cpu / ocrmill_cpu, 3))
        print(
            f"  round ocrmill/limit {ratios[-1]:.3f}   CPU a page: limit {limit_cpu / pages:.2f} s, "
            f"ocrmill {ocrmill_cpu / pages:.2f} s (limit/ocrmill {cpu_ratios[-1]:.3f}; the API process "
            f"{api_cpu / pages:.2f} s, the workers {workers_cpu / pages:.2f} s)",
            flush=True,
        )
    figures["cpu_rounds"] = cpu_ratios
    figures["cpu_limit_over_ocrmill"] = round(statistics.median(cpu_ratios), 3)
    figures["limit"] = limits[-1]
    figures["rounds"] = ratios
    figures["peak_rss_mb"] = round(max(peaks) / 2**20)
    figures["latency_median_s"] = round(statistics.median(latencies), 2)
    figures["latency_p95_s"] = round(statistics.quantiles(latencies, n=20)[-1], 2)
    figures["ocrmill_over_limit"] = round(statistics.median(ratios), 3)
    if "ocrmypdf" in figures:
        figures["ocrmill_over_ocrmypdf"] = round(figures["ocrmill"] / figures["ocrmypdf"], 3)
    print(
        f"  ocrmill/limit {figures['ocrmill_over_limit']:.3f} (median of {rounds})   "
        f"ocrmill/OCRmyPDF {figures.get('ocrmill_over_ocrmypdf', '-')}   "
        f"latency median {figures['latency_median_s']} s p95 {figures['latency_p95_s']} s   "
        f"peak RSS {figures['peak_rss_mb']} MB",
        flush=True,
    )
    return figures


def _value(text: str) -> Any:
    """A job property's value as JSON has it (false, 300, "x"); a bare word as a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--singles", type=int, default=40)
    parser.add_argument("--multi-jobs", type=int, default=4)
    parser.add_argument("--batches", default="single,multi", help="which batches to run")
    parser.add_argument("--references", default="limit,cli,ocrmypdf", help="reference runs beside the limit")
    parser.add_argument("--rounds", type=int, default=1, help="limit + ocrmill runs, one after the other")
    parser.add_argument(
        "--set", action="append", default=[], metavar="PROPERTY=VALUE", help="a job property for ocrmill's jobs"
    )
    parser.add_argument("--work", type=Path, default=Path(__file__).parent / "out" / "throughput")
    args = parser.parse_args()
    cores = args.cores
    batch = prepare(args.work / "pages", singles=args.singles, multi_jobs=args.multi_jobs)
    results: dict[str, Any] = {"cores": cores}
    with tempfile.TemporaryDirectory(prefix="ocrmill-bench-") as tmp:
        root = Path(tmp)
        env = {"OCRMILL_JOBS_THREADS": str(cores), "OCRMILL_MAX_THREADS_PER_JOB": str(cores)}
        with running(Server(root / "server", env=env)) as server:
            for label, images, jobs in (
                ("single", batch["single"], batch["single"]),
                ("multi", batch["multi_pages"], batch["multi"]),
            ):
                if label not in args.batches.split(","):
                    continue
                print(f"{label}-page batch: {len(jobs)} jobs, {len(images)} pages, {cores} cores", flush=True)
                results[label] = run_batch(
                    server,
                    images,
                    jobs,
                    cores,
                    root / label,
                    set(args.references.split(",")),
                    args.rounds,
                    {name: _value(value) for name, value in (item.split("=", 1) for item in args.set)},
                )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
