"""Pages per minute: the engine's limit, raw tesseract CLI, OCRmyPDF CLI and ocrmill, on one batch.

    .venv/bin/python -m bench.throughput [--cores N] [--singles 40] [--multi-jobs 4]
        [--references limit,cli,ocrmypdf] [--rounds 1]

--parts clean (or scans) measures only that part of the single-page batch. --references limit skips the two CLI
runs (the ratio ocrmill/limit is the figure that matters); --rounds N
runs the limit and ocrmill N times one after the other and reports each round's ratio and their median, since on
a shared machine one round's figure moves with the other load.

The single-page batch is measured in two parts, each on its own (its limit, then ocrmill): the generated text
pages ("clean") and the real scans ("scans"), with pages/min and CPU seconds a page for each; the batch's figures
are the two parts' sums. The multi-page batch's jobs hold both kinds and are measured as one.

Prints a table, the ratios ocrmill/limit and ocrmill/OCRmyPDF, job latencies, the server's peak
RSS, and a closing JSON line with every figure. Beside each part's CPU a page: where ocrmill's went, by phase of its
pages (the workers' own accounting, pipeline.cpu, from their log lines), the rest of the workers' CPU for the jobs
(database, store, heartbeat), the workers' CPU between jobs and the API process's; and beside it, this process's
own CPU while ocrmill ran (its HTTP clients and RSS sampler: not ocrmill's, but on the same cores as its workers,
which the limit's run does not share with anything).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import tesserocr
from PIL import Image
from tests.harness import Server, running

from bench.pages import prepare
from ocrmill.pipeline.engine import set_pixels
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
            set_pixels(api, loaded[index])  # as the engine does: SetImage would encode an opened PNG again
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
    """Samples the RSS of a process and its children until stopped: every 0.1 s, the children looked up again
    every second (psutil finds them by reading every process's /proc entry: 2 ms, which 10 times a second took
    1% of a 2-core machine from the workers being measured)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        children: list[psutil.Process] = []
        for tick in itertools.count():
            if self._stop.wait(0.1):
                return
            try:
                if tick % 10 == 0:
                    children = self.process.children(recursive=True)
                total = self.process.memory_info().rss
            except psutil.Error:
                continue
            for child in children:
                with contextlib.suppress(psutil.Error):  # a worker restarted since the lookup
                    total += child.memory_info().rss
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def ocrmill(
    server: Server, jobs: list[Path], clients: int = 8, options: dict[str, Any] | None = None
) -> tuple[float, list[float], list[int]]:
    """Every job over HTTP (PdfOutput + TxtOutput, and `options`), polled until Converted, outputs downloaded:
    the seconds, each job's latency and its id."""

    def one(path: Path) -> tuple[float, int]:
        started = time.perf_counter()
        job = server.submit(path, PdfOutput=True, TxtOutput=True, **(options or {}))
        info = server.wait(job["Id"], timeout=1800, poll=0.5)  # as a client would; faster polling only loads the CPU
        if info["Status"] != 3:
            raise RuntimeError(f"job {job['Id']} failed: {info['ErrorDescription']}")
        for ext in ("pdf", "txt"):
            response = server.client.get(f"/download/{job['Id']}/{ext}")
            response.raise_for_status()
        return time.perf_counter() - started, int(job["Id"])

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        done = list(pool.map(one, jobs))
    return time.perf_counter() - started, [latency for latency, _ in done], [job for _, job in done]


def job_cpu(log: Path, jobs: list[int], *, timeout: float = 10.0) -> dict[str, float]:
    """CPU seconds by phase summed over `jobs`, from the workers' JSON log lines (worker.child: the pages' phases
    and "job", the process's CPU for the job). A worker logs a job right after its Converted commit, so the last
    lines may come a moment after the client saw the job done: read until every job has its line."""
    wanted, deadline = set(jobs), time.monotonic() + timeout
    while True:
        records = [
            record
            for line in log.read_text(errors="replace").splitlines()
            if line.startswith("{") and (record := json.loads(line)).get("event") == "job_run"
        ]
        found = {record["job_id"]: record["cpu"] for record in records if record["job_id"] in wanted}
        if len(found) == len(wanted):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"no job_run log line for jobs {sorted(wanted - found.keys())}")
        time.sleep(0.05)
    sums: dict[str, float] = {}
    for cpu in found.values():
        for name, seconds in cpu.items():
            sums[name] = sums.get(name, 0.0) + seconds
    return sums


def show(name: str, pages: int, seconds: float) -> None:
    print(
        f"  {name:<14} {pages:4d} pages {seconds:8.1f} s {pages_per_minute(pages, seconds):8.1f} pages/min", flush=True
    )


def measure(name: str, pages: int, run: Callable[..., float], *args: Any) -> float:
    seconds = run(*args)
    show(name, pages, seconds)
    return pages_per_minute(pages, seconds)


@dataclass
class Part:
    """Some of a batch's pages, measured on their own (the limit, then ocrmill): "clean" (generated text pages),
    "scans" (real scans), or "all" when a batch's jobs mix both."""

    name: str
    images: list[Path]
    jobs: list[Path]


@dataclass
class Round:
    """One part's limit and ocrmill run, right after each other: wall seconds and CPU seconds."""

    pages: int
    limit_s: float
    limit_cpu: float
    ocrmill_s: float
    api_cpu: float
    workers_cpu: float
    peak_rss: int
    latencies: list[float]
    phases: dict[str, float]  # the workers' CPU seconds by phase of the jobs' pages, and "job" (job_cpu)
    client_cpu: float  # this process's while ocrmill ran: the HTTP clients and the RSS sampler, not ocrmill's

    @classmethod
    def total(cls, rounds: list[Round]) -> Round:
        names = dict.fromkeys(name for r in rounds for name in r.phases)
        return cls(
            sum(r.pages for r in rounds),
            sum(r.limit_s for r in rounds),
            sum(r.limit_cpu for r in rounds),
            sum(r.ocrmill_s for r in rounds),
            sum(r.api_cpu for r in rounds),
            sum(r.workers_cpu for r in rounds),
            max(r.peak_rss for r in rounds),
            [latency for r in rounds for latency in r.latencies],
            {name: sum(r.phases.get(name, 0.0) for r in rounds) for name in names},
            sum(r.client_cpu for r in rounds),
        )

    @property
    def ratio(self) -> float:
        return round(self.limit_s / self.ocrmill_s, 3)

    @property
    def cpu_ratio(self) -> float:
        # CPU seconds a page: the limit's against the whole server's (API and supervisor process, workers). On a
        # machine others load, wall-clock pages/min move with their load; CPU a page does not (much)
        return round(self.limit_cpu / (self.api_cpu + self.workers_cpu), 3)

    def report(self, label: str) -> str:
        return (
            f"  {label}ocrmill/limit {self.ratio:.3f}   CPU a page: limit {self.limit_cpu / self.pages:.2f} s, "
            f"ocrmill {(self.api_cpu + self.workers_cpu) / self.pages:.2f} s (limit/ocrmill {self.cpu_ratio:.3f}; "
            f"the API process {self.api_cpu / self.pages:.2f} s, the workers {self.workers_cpu / self.pages:.2f} s)\n"
            f"    where ocrmill's CPU a page went, in ms: {self.breakdown()}"
        )

    def where(self) -> dict[str, float]:
        """ocrmill's CPU a page in milliseconds: each phase of the pages, the rest of the workers' CPU for the jobs
        (database, store, heartbeat), the workers' CPU between jobs (claiming, polling) and the API process's."""
        phases = {name: s for name, s in self.phases.items() if name != "job"}
        jobs = self.phases.get("job", 0.0)
        parts = {
            **phases,
            "rest of the jobs": jobs - sum(phases.values()),
            "workers between jobs": self.workers_cpu - jobs,
            "API process": self.api_cpu,
        }
        return {name: round(1000 * seconds / self.pages, 1) for name, seconds in parts.items()}

    def breakdown(self) -> str:
        limit = 1000 * self.limit_cpu / self.pages
        client = 1000 * self.client_cpu / self.pages
        return (
            f"(the limit's {limit:.0f}) "
            + ", ".join(f"{name} {ms:.0f}" for name, ms in self.where().items())
            + f"; beside it on the same cores, this bench's clients {client:.0f}"
        )

    def figures(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "limit": pages_per_minute(self.pages, self.limit_s),
            "ocrmill": pages_per_minute(self.pages, self.ocrmill_s),
            "ocrmill_over_limit": self.ratio,
            "cpu_limit_s": round(self.limit_cpu / self.pages, 3),
            "cpu_ocrmill_s": round((self.api_cpu + self.workers_cpu) / self.pages, 3),
            "cpu_limit_over_ocrmill": self.cpu_ratio,
            "cpu_ms_a_page": self.where(),
            "client_cpu_ms_a_page": round(1000 * self.client_cpu / self.pages, 1),
        }


def measure_part(server: Server, part: Part, cores: int, options: dict[str, Any]) -> Round:
    assert server.process is not None
    label = "" if part.name == "all" else f" {part.name}"
    pages = len(part.images)
    cpu = time.process_time()
    limit_s = limit(part.images, cores)
    limit_cpu = time.process_time() - cpu
    show(f"limit{label}", pages, limit_s)
    rss = PeakRss(server.process.pid)
    api_cpu, workers_cpu = tree_cpu(server.process.pid)
    client_cpu = time.process_time()
    seconds, latencies, jobs = ocrmill(server, part.jobs, options=options)
    client_cpu = time.process_time() - client_cpu
    show(f"ocrmill{label}", pages, seconds)
    api_after, workers_after = tree_cpu(server.process.pid)
    return Round(
        pages,
        limit_s,
        limit_cpu,
        seconds,
        api_after - api_cpu,
        workers_after - workers_cpu,
        rss.stop(),
        latencies,
        job_cpu(server.log, jobs),
        client_cpu,
    )


def run_batch(
    server: Server,
    images: list[Path],
    jobs: list[Path],
    parts: list[Part],
    cores: int,
    out: Path,
    references: set[str],
    rounds: int,
    options: dict[str, Any],
) -> dict[str, Any]:
    """The batch's figures; with more than one part, each part is measured on its own (its limit, then ocrmill)
    and the batch's figures are the parts' sums."""
    pages = len(images)
    out.mkdir()
    figures: dict[str, Any] = {"jobs": len(jobs), "pages": pages}
    if "cli" in references:
        figures["raw_cli"] = measure("tesseract CLI", pages, raw_cli, images, cores, out)
    if "ocrmypdf" in references:
        figures["ocrmypdf"] = measure("OCRmyPDF CLI", pages, ocrmypdf_cli, jobs, cores, out)
    totals: list[Round] = []
    by_part: dict[str, list[Round]] = {part.name: [] for part in parts}
    for _ in range(rounds):  # the limit right before ocrmill: both see the same load from others
        measured = [measure_part(server, part, cores, options) for part in parts]
        for part, one in zip(parts, measured, strict=True):
            by_part[part.name].append(one)
            if len(parts) > 1:
                print(one.report(f"{part.name}: "), flush=True)
        totals.append(Round.total(measured))
        print(totals[-1].report("round "), flush=True)
    if len(parts) > 1:
        figures["parts"] = {}
        for name, measured in by_part.items():
            middle = sorted(measured, key=lambda r: r.cpu_ratio)[len(measured) // 2]  # the median round by CPU
            figures["parts"][name] = {**middle.figures(), "cpu_rounds": [r.cpu_ratio for r in measured]}
            print(
                f"  {name}: {middle.pages} pages, limit {pages_per_minute(middle.pages, middle.limit_s)} pages/min, "
                f"ocrmill {pages_per_minute(middle.pages, middle.ocrmill_s)} (ocrmill/limit {middle.ratio:.3f}); CPU a "
                f"page limit {middle.limit_cpu / middle.pages:.2f} s, ocrmill "
                f"{(middle.api_cpu + middle.workers_cpu) / middle.pages:.2f} s (limit/ocrmill median of {rounds} "
                f"{statistics.median(r.cpu_ratio for r in measured):.3f})",
                flush=True,
            )
    latencies = [latency for r in totals for latency in r.latencies]
    figures["cpu_rounds"] = [r.cpu_ratio for r in totals]
    figures["cpu_limit_over_ocrmill"] = round(statistics.median(figures["cpu_rounds"]), 3)
    figures["limit"] = pages_per_minute(pages, totals[-1].limit_s)
    figures["ocrmill"] = pages_per_minute(pages, totals[-1].ocrmill_s)
    figures["rounds"] = [r.ratio for r in totals]
    figures["peak_rss_mb"] = round(max(r.peak_rss for r in totals) / 2**20)
    figures["latency_median_s"] = round(statistics.median(latencies), 2)
    figures["latency_p95_s"] = round(statistics.quantiles(latencies, n=20)[-1], 2)
    figures["ocrmill_over_limit"] = round(statistics.median(figures["rounds"]), 3)
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
    parser.add_argument(
        "--parts", default="clean,scans", help="which parts of the single-page batch to run (clean, scans)"
    )
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
        env = {
            "OCRMILL_JOBS_THREADS": str(cores),
            "OCRMILL_MAX_THREADS_PER_JOB": str(cores),
            "OCRMILL_LOG_FORMAT": "json",  # the workers' CPU by phase (job_cpu)
        }
        with running(Server(root / "server", env=env)) as server:
            singles = [
                Part(name, batch[f"single_{name}"], batch[f"single_{name}"])
                for name in ("clean", "scans")
                if batch[f"single_{name}"] and name in args.parts.split(",")
            ]
            chosen = [path for part in singles for path in part.images]
            for label, images, jobs, parts in (
                ("single", chosen, chosen, singles),
                # a job of the multi-page batch holds both kinds: measured as one
                ("multi", batch["multi_pages"], batch["multi"], [Part("all", batch["multi_pages"], batch["multi"])]),
            ):
                if label not in args.batches.split(","):
                    continue
                print(f"{label}-page batch: {len(jobs)} jobs, {len(images)} pages, {cores} cores", flush=True)
                results[label] = run_batch(
                    server,
                    images,
                    jobs,
                    parts,
                    cores,
                    root / label,
                    set(args.references.split(",")),
                    args.rounds,
                    {name: _value(value) for name, value in (item.split("=", 1) for item in args.set)},
                )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
