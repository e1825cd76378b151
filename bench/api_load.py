"""API latency while OCR runs: ocrmill's status/info polling against a minimal Starlette app, in one run.

    .venv/bin/python -m bench.api_load [--seconds 30] [--clients 50] [--jobs 20] [--generator raw|httpx]
                                       [--database sqlite|postgres]

Starts `ocrmill serve` (SQLite, or a throwaway PostgreSQL cluster; default settings) and keeps its
workers converting 10-page TIFFs for the whole run. Then `--clients` keep-alive clients, each
alternating GET status/<id> and GET info/<id> on random jobs, load ocrmill for `--seconds`, then for
as long a minimal Starlette app served by uvicorn in another process with ocrmill's uvicorn settings
(the reference), while ocrmill's workers are still converting, so that both see the same CPU
contention. Prints requests/s, p50, p99 and max latency of both, the ratio ocrmill/reference, the
errors, whether the targets are met (p99 under 50 ms, at least half the reference's requests/s) and
a closing JSON line with every figure.

The load generator is one asyncio process (uvloop) with one keep-alive connection per client and
HTTP/1.1 written and parsed by hand: measured on a 2-core machine, it spends 40-80 us of CPU per
request, where httpx.AsyncClient spends about 1 ms (3 ms with 50 connections in its pool) and could not
load even ocrmill (`--generator httpx` uses it instead). The same generator loads both targets; the
table shows its CPU share next to the servers'.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import psutil
from tests.harness import Postgres, Server, free_port, running, stop_process

from bench.pages import prepare

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PREFIX = "/api/ocrjobs"
ENDPOINTS = ("status", "info")
TARGET_P99_MS = 50.0
TARGET_RATIO = 0.5
TIFF_PAGES = 10
CONVERTED = 3


# -- the load generator -------------------------------------------------------------------------


class Connection(Protocol):
    async def get(self, path: str) -> tuple[int, bytes]: ...

    async def close(self) -> None: ...


class RawConnection:
    """One keep-alive HTTP/1.1 connection; requests written and answers parsed by hand."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.tail = f" HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        reader = self.reader
        self.writer.write(b"GET " + path.encode() + self.tail)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = -1, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if chunked:
            body = await self._chunked(reader)
        elif length >= 0:
            body = await reader.readexactly(length)
        else:
            body, close = await reader.read(), True
        if close:
            await self.close()
        return status, body

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class HttpxConnection:
    """A client's turn on a shared httpx.AsyncClient (its pool keeps one connection per client)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, path: str) -> tuple[int, bytes]:
        response = await self.client.get(path)
        return response.status_code, response.content

    async def close(self) -> None:
        pass


@dataclass
class Load:
    """What one run of the clients saw: (end offset s, latency s, endpoint index) per 200 answer."""

    seconds: float = 0.0
    answers: list[tuple[float, float, int]] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


async def drive(port: int, job_ids: list[int], *, clients: int, seconds: float, generator: str, seed: int) -> Load:
    """`clients` loops, each alternating status and info on random jobs until `seconds` have passed."""
    load = Load()
    shared = (
        httpx.AsyncClient(
            base_url=f"http://{HOST}:{port}",
            limits=httpx.Limits(max_connections=clients, max_keepalive_connections=clients),
            timeout=10,
        )
        if generator == "httpx"
        else None
    )
    paths = [[f"{PREFIX}/{endpoint}/{job_id}" for job_id in job_ids] for endpoint in ENDPOINTS]
    clock = time.perf_counter
    started = clock()
    deadline = started + seconds

    async def client(index: int) -> None:
        rng = random.Random(seed * 10_000 + index)
        connection: Connection = HttpxConnection(shared) if shared else RawConnection(port)
        endpoint = index % 2
        while clock() < deadline:
            path = rng.choice(paths[endpoint])
            sent = clock()
            try:
                async with asyncio.timeout(10):
                    status, _ = await connection.get(path)
            except Exception as e:  # a refused, reset or stuck connection: count it, reconnect
                load.errors[type(e).__name__] += 1
                await connection.close()
                await asyncio.sleep(0.01)
                continue
            done = clock()
            if status == 200:
                load.answers.append((done - started, done - sent, endpoint))
            else:
                load.errors[f"HTTP {status}"] += 1
            endpoint ^= 1
        await connection.close()

    try:
        await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(clients))), seconds + 30)
    finally:
        load.seconds = clock() - started
        if shared:
            await shared.aclose()
    return load


async def sample_load(port: int, phase: list[str], samples: list[dict[str, Any]], stop: asyncio.Event) -> None:
    """ocrmill's serverload once a second, on a connection of its own (not counted in the load)."""
    connection = RawConnection(port)
    while not stop.is_set():
        try:
            async with asyncio.timeout(10):
                status, body = await connection.get(f"{PREFIX}/serverload")
            load = json.loads(body) if status == 200 else {}
            samples.append(
                {
                    "phase": phase[0],
                    "JobsInProcessing": load.get("JobsInProcessing", -1),
                    "ScheduledJobs": load.get("ScheduledJobs", -1),
                }
            )
        except Exception:
            await connection.close()
            samples.append({"phase": phase[0], "JobsInProcessing": -1, "ScheduledJobs": -1})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
    await connection.close()


# -- CPU accounting -------------------------------------------------------------------------------


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def children_cpu(process: psutil.Process) -> dict[int, float]:
    result: dict[int, float] = {}
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            result[child.pid] = cpu_seconds(child)
    return result


class CpuMeter:
    """CPU used during a window, in % of one core: the loaded server, ocrmill's workers, the generator
    (this process), the whole machine, and what is left of it for other processes (other benchmarks)."""

    def __init__(self, target: psutil.Process, ocrmill: psutil.Process) -> None:
        self.target, self.ocrmill = target, ocrmill
        self.started = time.perf_counter()
        self.target_cpu = cpu_seconds(target)
        self.ocrmill_cpu = cpu_seconds(ocrmill)
        self.workers_cpu = children_cpu(ocrmill)
        self.own_cpu = time.process_time()
        psutil.cpu_percent()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        machine = psutil.cpu_percent() * (psutil.cpu_count() or 1)
        workers = children_cpu(self.ocrmill)
        worker_seconds = sum(workers[pid] - before for pid, before in self.workers_cpu.items() if pid in workers)
        server = 100 * (cpu_seconds(self.target) - self.target_cpu) / wall
        idle_ocrmill = 0.0 if self.target.pid == self.ocrmill.pid else cpu_seconds(self.ocrmill) - self.ocrmill_cpu
        ours = server + 100 * (worker_seconds + idle_ocrmill + time.process_time() - self.own_cpu) / wall
        return {
            "server_cpu_pct": round(server),
            "ocr_workers_cpu_pct": round(100 * worker_seconds / wall),
            "generator_cpu_pct": round(100 * (time.process_time() - self.own_cpu) / wall),
            "machine_cpu_pct": round(machine),
            "other_processes_cpu_pct": max(0, round(machine - ours)),
        }


# -- figures ------------------------------------------------------------------------------------


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank, in ms."""
    if not ordered:
        return math.nan
    return round(1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))], 2)


def figures(load: Load, cpu: dict[str, float]) -> dict[str, Any]:
    latencies = sorted(latency for _, latency, _ in load.answers)
    result: dict[str, Any] = {
        "requests": len(latencies),
        "seconds": round(load.seconds, 2),
        "rps": round(len(latencies) / load.seconds, 1),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": percentile(latencies, 100),
    }
    for index, endpoint in enumerate(ENDPOINTS):
        own = sorted(latency for _, latency, i in load.answers if i == index)
        result[f"{endpoint}_p50_ms"] = percentile(own, 50)
        result[f"{endpoint}_p99_ms"] = percentile(own, 99)
    by_second: dict[int, list[float]] = {}
    for end, latency, _ in load.answers:
        by_second.setdefault(int(end), []).append(latency)
    seconds = [sorted(values) for _, values in sorted(by_second.items())]
    result["worst_second_p99_ms"] = max((percentile(s, 99) for s in seconds), default=math.nan)
    result["seconds_with_max_over_50ms"] = sum(1 for s in seconds if s[-1] * 1000 > TARGET_P99_MS)
    result["errors"] = dict(load.errors)
    result["error_count"] = sum(load.errors.values())
    return result | cpu


# -- the reference ------------------------------------------------------------------------------


def serve_reference(port: int, payload: Path) -> None:
    """A minimal Starlette app: one JSON endpoint answering status/<id> and info/<id> with a job."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    job: dict[str, Any] = json.loads(payload.read_text())

    async def endpoint(request: Request) -> JSONResponse:
        if request.path_params["action"] == "status":
            return JSONResponse(job["Status"])
        return JSONResponse({**job, "Id": request.path_params["job_id"]})

    app = Starlette(routes=[Route(PREFIX + "/{action}/{job_id:int}", endpoint)])
    # exactly as `ocrmill serve` runs uvicorn: one process, auto loop (uvloop) and parser (httptools)
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def reference_server(root: Path, job: dict[str, Any]) -> Iterator[tuple[int, psutil.Process]]:
    payload = root / "reference-job.json"
    payload.write_text(json.dumps(job))
    port = free_port()
    log = root / "reference.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.api_load", "--serve-reference", str(port), "--payload", str(payload)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the reference server did not start:\n{log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{HOST}:{port}{PREFIX}/status/1").status_code == 200:
                    break
            time.sleep(0.1)
        yield port, psutil.Process(process.pid)
    finally:
        stop_process(process, grace=15)


# -- the jobs -----------------------------------------------------------------------------------


def server_load(server: Server) -> dict[str, Any]:
    response = server.client.get("/serverload")
    response.raise_for_status()
    return dict(response.json())


def set_up_jobs(server: Server, batch: dict[str, list[Path]], args: argparse.Namespace) -> dict[str, Any]:
    """Converted single-page jobs, then enough 10-page jobs to keep the workers converting past the
    end of both measurements, then the jobs to poll: the converted ones, busy ones, and (if still
    short) created ones."""
    started = time.perf_counter()
    converted = [server.submit(path, PdfOutput=True, TxtOutput=True)["Id"] for path in batch["single"]]
    for job_id in converted:
        info = server.wait(job_id, timeout=900, poll=0.5)
        if info["Status"] != 3:
            raise RuntimeError(f"job {job_id} failed: {info['ErrorDescription']}")
    pages_per_second = len(converted) / (time.perf_counter() - started)
    threads = int(server_load(server)["JobsThreads"])
    window = 2 * (args.seconds + args.warmup) + 90  # both measurements, the reference's start-up, a margin
    busy_count = args.busy_jobs or max(2 * threads, math.ceil(1.5 * pages_per_second * window / TIFF_PAGES))
    print(
        f"  {len(converted)} single-page jobs converted at {pages_per_second * 60:.0f} pages/min; "
        f"submitting {busy_count} jobs of {TIFF_PAGES} pages ({busy_count * TIFF_PAGES} pages) to keep "
        f"{threads} workers busy",
        flush=True,
    )
    busy = [
        server.submit(batch["multi"][i % len(batch["multi"])], PdfOutput=True, TxtOutput=True)["Id"]
        for i in range(busy_count)
    ]
    deadline = time.monotonic() + 120
    while server_load(server)["JobsInProcessing"] < min(threads, busy_count):
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not start converting")
        time.sleep(0.2)
    poll = [*converted, *busy][: args.jobs]
    while len(poll) < args.jobs:
        poll.append(server.client.post("/create", json={"Descr": "polled, never uploaded"}).json()["Id"])
    statuses = Counter(server.client.get(f"/status/{job_id}").json() for job_id in poll)
    return {
        "poll_ids": poll,
        "poll_statuses": {str(k): v for k, v in sorted(statuses.items())},
        "converted_jobs": len(converted),
        "busy_jobs": busy_count,
        "busy_pages": busy_count * TIFF_PAGES,
        "jobs_threads": threads,
        "pages_per_minute_idle": round(pages_per_second * 60, 1),
        "reference_job": server.client.get(f"/info/{converted[0]}").json(),
    }


# -- the run ------------------------------------------------------------------------------------


async def measure_both(
    ocrmill_port: int,
    ocrmill: psutil.Process,
    reference_port: int,
    reference: psutil.Process,
    job_ids: list[int],
    args: argparse.Namespace,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    phase = ["start"]
    samples: list[dict[str, Any]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_load(ocrmill_port, phase, samples, stop))
    results: dict[str, Any] = {}
    try:
        for seed, (name, port, process) in enumerate(
            (("ocrmill", ocrmill_port, ocrmill), ("reference", reference_port, reference))
        ):
            phase[0] = f"{name} warm-up"
            common = {"clients": args.clients, "generator": args.generator}
            await drive(port, job_ids, seconds=args.warmup, seed=100 + seed, **common)
            phase[0] = name
            meter = CpuMeter(process, ocrmill)
            load = await drive(port, job_ids, seconds=args.seconds, seed=seed, **common)
            results[name] = figures(load, meter.stop())
            print(f"  {name}: {results[name]['requests']} requests in {load.seconds:.1f} s", flush=True)
    finally:
        stop.set()
        await sampler
    return results, samples


def run_async(coroutine: Any, loop: str) -> Any:
    if loop == "uvloop":
        import uvloop

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


def report(results: dict[str, Any]) -> None:
    columns = "requests  req/s  p50 ms  p99 ms  max ms  errors  server CPU  workers CPU  generator CPU  others CPU"
    print(f"\n{'':<10}  {columns}")
    for name in ("ocrmill", "reference"):
        r = results[name]
        print(
            f"{name:<10}  {r['requests']:8d} {r['rps']:6.0f} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} {r['max_ms']:7.1f}"
            f" {r['error_count']:7d} {r['server_cpu_pct']:10d}% {r['ocr_workers_cpu_pct']:11d}%"
            f" {r['generator_cpu_pct']:13d}% {r['other_processes_cpu_pct']:10d}%"
        )
    print(f"(CPU in % of one core over each measurement; the machine has {results['cores']} cores)")
    o = results["ocrmill"]
    print(
        f"ocrmill by endpoint: status p50 {o['status_p50_ms']} ms p99 {o['status_p99_ms']} ms; "
        f"info p50 {o['info_p50_ms']} ms p99 {o['info_p99_ms']} ms; worst 1-s p99 {o['worst_second_p99_ms']} ms; "
        f"{o['seconds_with_max_over_50ms']} s with a request over {TARGET_P99_MS:.0f} ms"
    )
    for name in ("ocrmill", "reference"):
        if results[name]["errors"]:
            print(f"{name} errors: {results[name]['errors']}")
    busy = results["busy"]
    print(f"ocrmill/reference requests/s: {results['ratio']:.3f}")
    print(
        f"workers converting (serverload JobsInProcessing): min {busy['min_during_run']}, "
        f"max {busy['max_during_run']} over {busy['samples']} samples during the run, {busy['at_end']} at the end"
        f" -> {'busy throughout' if busy['busy_throughout'] else 'NOT busy throughout'}"
    )
    targets = results["targets"]
    print(
        f"target ocrmill p99 < {TARGET_P99_MS:.0f} ms: {'met' if targets['p99_met'] else 'NOT met'} ({o['p99_ms']} ms)"
    )
    print(
        f"target ocrmill requests/s >= {TARGET_RATIO} x reference: {'met' if targets['ratio_met'] else 'NOT met'}"
        f" ({results['ratio']:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each measurement")
    parser.add_argument("--clients", type=int, default=50, help="concurrent keep-alive clients")
    parser.add_argument("--jobs", type=int, default=20, help="jobs polled")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured load before each measurement")
    parser.add_argument("--busy-jobs", type=int, default=0, help="10-page jobs to convert (0: enough for the run)")
    parser.add_argument("--generator", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop", help="the generator's loop")
    parser.add_argument("--work", type=Path, default=Path(__file__).parent / "out" / "api_load")
    parser.add_argument("--serve-reference", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--payload", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_reference:
        serve_reference(args.serve_reference, args.payload)
        return
    batch = prepare(args.work / "pages", singles=CONVERTED, multi_jobs=4, multi_pages=TIFF_PAGES)
    results: dict[str, Any] = {
        "clients": args.clients,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "generator": args.generator,
        "database": args.database,
        "loop": args.loop,
        "cores": os.cpu_count(),
    }
    cores = str(os.cpu_count() or 1)
    defaults = {  # the harness tunes these for tests; put back ocrmill's defaults
        "OCRMILL_JOBS_THREADS": cores,
        "OCRMILL_MAX_THREADS_PER_JOB": cores,
        "OCRMILL_OCR_SLOTS": cores,
        "OCRMILL_HEARTBEAT_SECONDS": "5",
        "OCRMILL_HEARTBEAT_TIMEOUT_SECONDS": "60",
    }
    with tempfile.TemporaryDirectory(prefix="ocrmill-bench-") as tmp, contextlib.ExitStack() as stack:
        root = Path(tmp)
        url = ""
        if args.database == "postgres":
            postgres = Postgres().start()
            stack.callback(postgres.stop)
            url = postgres.new_database()
        with running(Server(root / "server", database_url=url, env=defaults)) as server:
            assert server.process is not None
            print(f"ocrmill on port {server.port} ({args.database}, default settings); setting up jobs", flush=True)
            setup = set_up_jobs(server, batch, args)
            job = setup.pop("reference_job")
            job_ids = setup.pop("poll_ids")
            results["setup"] = setup
            with reference_server(root, job) as (reference_port, reference):
                print(
                    f"polling {len(job_ids)} jobs (by status {setup['poll_statuses']}) with {args.clients} clients, "
                    f"{args.seconds:.0f} s each: ocrmill, then the reference on port {reference_port}",
                    flush=True,
                )
                measured, samples = run_async(
                    measure_both(server.port, psutil.Process(server.process.pid), reference_port, reference,
                                 job_ids, args),
                    args.loop,
                )  # fmt: skip
            final = server_load(server)
    results |= measured
    during = [s["JobsInProcessing"] for s in samples if s["phase"] in ("ocrmill", "reference")]
    results["busy"] = {
        "samples": len(during),
        "min_during_run": min(during, default=-1),
        "max_during_run": max(during, default=-1),
        "at_end": final["JobsInProcessing"],
        "scheduled_at_end": final["ScheduledJobs"],
        "busy_throughout": bool(during) and min(during) > 0 and final["JobsInProcessing"] > 0,
    }
    results["ratio"] = round(results["ocrmill"]["rps"] / results["reference"]["rps"], 3)
    results["targets"] = {
        "p99_ms": TARGET_P99_MS,
        "p99_met": results["ocrmill"]["p99_ms"] < TARGET_P99_MS,
        "ratio": TARGET_RATIO,
        "ratio_met": results["ratio"] >= TARGET_RATIO,
    }
    report(results)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
