"""Crash isolation: SIGKILL the worker processes in the middle of a job.

The job must be retried by a fresh worker and end Converted with a complete result (or, with
OCRMILL_MAX_ATTEMPTS=1, end in Error saying why); the API keeps answering throughout and the
supervisor replaces the dead workers. On SQLite with the data folder and on PostgreSQL with the S3 store.

With two workers, one converts the job and the other waits for work. Which of them the supervisor
notices first matters, so the tests arrange the busy worker to be the first one started (its slot
comes first) and the waiting one to be a later, replacement process: the order in which handling
the busy worker's death must not trip over the other, still unhandled, dead worker.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pikepdf
import psutil
import pytest
from PIL import Image

from tests.conftest import PAIRED
from tests.harness import Server, stop_process, stored_names

# its jobs' files: on the data folder (sqlite) and on S3 (postgres-s3), the shared server's and the crash servers'
pytestmark = pytest.mark.paired
JOBS_THREADS = 2  # the harness's OCRMILL_JOBS_THREADS
PHOTOTEST = "ocr-tesseract-test/phototest.tif"

# six real scans; per page a few words the OCR must find
SCANS: list[tuple[str, float, list[str]]] = [
    ("ocr-tesseract-test/8087_054.3B.tif", 300, ["Serbia", "Dubrovnik"]),
    ("ocr-scribe-benchmark/img/filing_01.png", 235, ["COMPLAINT", "GEORGIA"]),
    ("ocr-scribe-benchmark/img/filing_03.png", 235, ["FIKRE", "Court"]),
    ("ocr-scribe-benchmark/img/deposition_02.png", 235, ["basement", "processing"]),
    ("ocr-scribe-benchmark/img/singlecol_01.png", 300, ["copyright", "original"]),
    ("ocr-scribe-benchmark/img/table_08.png", 230, ["Horizontal", "Bargaining"]),
]

MakeServer = Callable[..., Server]


@pytest.fixture(scope="module")
def six_pages(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6-page TIFF of real scans, each frame with its own resolution: several seconds of OCR."""
    frames = []
    for name, dpi, _ in SCANS:
        with Image.open(data / name) as im:
            page = im.convert("1") if im.mode == "1" else im.convert("L")
        buffer = io.BytesIO()
        page.save(buffer, format="TIFF", dpi=(dpi, dpi))
        buffer.seek(0)
        frames.append(Image.open(buffer))
    target = tmp_path_factory.mktemp("crash") / "six-scans.tif"
    frames[0].save(target, save_all=True, append_images=frames[1:], compression="tiff_lzw")
    return target


# -- processes --------------------------------------------------------------------------------------


class Processes:
    """The server's worker processes, and every child process of the server the test has seen, so
    that none outlives the test even when the server hangs."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.seen: dict[int, float] = {}  # pid -> create time

    def workers(self) -> list[int]:
        """Worker processes (spawned children, not multiprocessing's resource tracker), oldest first."""
        # (like Server.worker_pids, but that one also lists the resource tracker and raises
        # psutil.ZombieProcess for a killed worker the supervisor has not reaped yet)
        assert self.server.process is not None
        found: list[tuple[float, int]] = []
        for process in psutil.Process(self.server.process.pid).children():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.ZombieProcess):
                self.seen.setdefault(process.pid, process.create_time())
                if process.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(process.cmdline()):
                    found.append((process.create_time(), process.pid))
        return [pid for _, pid in sorted(found)]

    def reap(self) -> None:
        """Stop the server (SIGINT, then SIGKILL after a few seconds) and kill any child it left."""
        process = self.server.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                for child in psutil.Process(process.pid).children(recursive=True):
                    self.seen.setdefault(child.pid, child.create_time())
            stop_process(process, grace=5)
        for pid, created in self.seen.items():
            with contextlib.suppress(psutil.NoSuchProcess):
                if psutil.Process(pid).create_time() == created:
                    os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def crash_server(make_server: MakeServer, **kwargs: Any) -> Iterator[tuple[Server, Processes, Api]]:
    """make_server(**kwargs), stopped by the test itself: a hung server is killed after a few
    seconds (not the harness's 30) and no child process of it is left running."""
    server = make_server(**kwargs)
    procs = Processes(server)
    try:
        yield server, procs, Api(server)
    finally:
        procs.reap()


def wait_for(
    what: str,
    check: Callable[[], Any],
    timeout: float = 60,
    every: float = 0.05,
    detail: Callable[[], str] = lambda: "",
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail()}")


def kill(pids: list[int]) -> None:
    processes = [psutil.Process(pid) for pid in pids]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)

    def dead(process: psutil.Process) -> bool:  # gone, or a zombie until the supervisor reaps it
        try:
            return process.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    wait_for("the killed workers to die", lambda: all(dead(p) for p in processes), timeout=10)


def threads(pid: int) -> int:
    try:
        return psutil.Process(pid).num_threads()
    except psutil.NoSuchProcess:
        return 0


# -- the API, from the test's own client with short timeouts -------------------------------------


class Api:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.base, timeout=10)

    def get(self, path: str) -> Any:
        try:
            response = self.client.get(path)
        except httpx.TimeoutException:
            raise AssertionError(f"GET {path}: the API did not answer within 10 s") from None
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def status(self, job_id: int) -> int:
        return int(self.get(f"/status/{job_id}"))

    def load(self) -> dict[str, Any]:
        return dict(self.get("/serverload"))

    def wait(self, job_id: int, timeout: float, procs: Processes) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status(job_id) in (3, 4):
                return dict(self.get(f"/info/{job_id}"))
            time.sleep(0.1)
        info = self.get(f"/info/{job_id}")
        raise AssertionError(
            f"job {job_id} still has status {info['Status']} after {timeout:.0f} s; "
            f"worker processes: {procs.workers()}; serverload: {self.load()}\n"
            f"{self.server.log.read_text()[-1500:]}"
        )


class Prober(threading.Thread):
    """Keeps calling the API (test, serverload, the job's status) from its own client."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=server.base, timeout=10)
        self.job_id = 0
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.slowest = 0.0
        self.calls = 0
        self.statuses: list[int] = []

    def run(self) -> None:
        while not self.stop.is_set():
            paths = ["/test", "/serverload"] + ([f"/status/{self.job_id}"] if self.job_id else [])
            for path in paths:
                started = time.monotonic()
                try:
                    response = self.client.get(path)
                    if response.status_code != 200:
                        self.failures.append(f"{path}: {response.status_code} {response.text[:200]}")
                    elif path.startswith("/status/"):
                        self.statuses.append(int(response.json()))
                except Exception as e:  # any transport error is a failure to answer
                    self.failures.append(f"{path}: {type(e).__name__}: {e}")
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.calls += 1
            self.stop.wait(0.05)

    def __enter__(self) -> Prober:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join(15)
        self.client.close()


# -- the scenario -----------------------------------------------------------------------------------


def ready_workers(procs: Processes, api: Api) -> list[int]:
    """Wait until the server has its workers, all registered (serverload counts them)."""
    pids = wait_for("the workers", lambda: len(w := procs.workers()) == JOBS_THREADS and w, timeout=60)
    wait_for("the workers to register", lambda: api.load()["JobsThreads"] == JOBS_THREADS, timeout=30)
    return list(pids)


def start_and_kill(server: Server, procs: Processes, api: Api, path: Path) -> tuple[dict[str, Any], list[int]]:
    """Submit the job, let it get into Converting, SIGKILL every worker. Returns the job as it was
    while converting and the killed pids."""
    first, second = ready_workers(procs, api)
    # restart the second worker, and submit while its replacement is still starting up, so that
    # the first (oldest) worker takes the job and a newer one is the idle one
    kill([second])
    replacement = wait_for(
        "the second worker's replacement",
        lambda: len(w := procs.workers()) == JOBS_THREADS and second not in w and w[-1],
        timeout=20,
    )
    job = server.submit(path, TxtOutput=True)
    wait_for("Converting", lambda: api.status(job["Id"]) == 2, timeout=60)
    converting = api.get(f"/info/{job['Id']}")
    wait_for("the replacement worker to register", lambda: api.load()["JobsThreads"] == JOBS_THREADS, timeout=30)
    time.sleep(0.5)
    assert api.status(job["Id"]) == 2, "the job ended before the workers were killed"
    # (the busy worker runs the page threads: more threads than the idle one)
    arranged = threads(first) > threads(replacement)
    print(f"busy worker {'is' if arranged else 'is not'} the first one: {first} vs {replacement}")
    victims = procs.workers()
    assert set(victims) == {first, replacement}
    kill(victims)
    return converting, victims


def replaced(server: Server, procs: Processes, killed: list[int]) -> list[int]:
    """The killed workers are replaced by new processes (the supervisor checks 4 times a second)."""
    return list(
        wait_for(
            f"the killed workers {killed} to be replaced",
            lambda: len(w := procs.workers()) == JOBS_THREADS and not set(w) & set(killed) and w,
            timeout=10,
            every=0.2,
            detail=lambda: f"; worker processes now: {procs.workers()}\n{server.log.read_text()[-1200:]}",
        )
    )


def check_server_load(api: Api) -> None:
    """serverload answers and counts the live (replacement) workers once they have registered."""
    body = wait_for(
        "serverload to show the new workers and no job in processing",
        lambda: (b := api.load())["JobsThreads"] == JOBS_THREADS and b["JobsInProcessing"] == 0 and b,
        timeout=30,
        every=0.2,
    )
    assert body["ScheduledJobs"] == 0
    assert {"Name", "Version", "LoadPercent", "RealLoadPercent", "FilesInProcessing"} <= set(body)


# -- the tests --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PAIRED)
def test_killed_workers_job_is_retried_and_converts(make_server: MakeServer, six_pages: Path, kind: str) -> None:
    with crash_server(make_server, kind=kind) as (server, procs, api):
        check_retried_and_converted(server, procs, api, six_pages)


def check_retried_and_converted(server: Server, procs: Processes, api: Api, six_pages: Path) -> None:
    with Prober(server) as probe:
        converting, killed = start_and_kill(server, procs, api, six_pages)
        job_id = converting["Id"]
        probe.job_id = job_id
        new_workers = replaced(server, procs, killed)
        info = api.wait(job_id, timeout=120, procs=procs)

    assert info["Status"] == 3, info["ErrorDescription"]
    assert info["ErrorDescription"] == ""
    assert info["NumberOfPages"] == len(SCANS)
    # it was processed again from the start, by another worker
    assert datetime.fromisoformat(info["Started"]) > datetime.fromisoformat(converting["Started"])
    assert not set(new_workers) & set(killed)

    # the result is whole: every page, in order, in both outputs
    text = server.client.get(f"/download/{job_id}/txt").text
    pages = text.split("\f")
    assert len(pages) == len(SCANS), f"{len(pages)} pages in the TXT result"
    for number, (page, (_, _, words)) in enumerate(zip(pages, SCANS, strict=True), start=1):
        found = {w.lower() for w in re.findall(r"\w+", page)}
        assert all(w.lower() in found for w in words), f"page {number} lacks {words}:\n{page[:500]}"
    pdf = server.client.get(f"/download/{job_id}/pdf")
    assert pdf.status_code == 200
    with pikepdf.open(io.BytesIO(pdf.content)) as doc:
        assert len(doc.pages) == len(SCANS)
    # one run's outputs: the killed run's (half-written, <run>.partial) went when the second run committed
    names = stored_names(server, f"jobs/{job_id}/runs/")
    (run,) = {name.split("/")[3] for name in names}
    viewer = [f"pages/{n:04d}.{ext}" for n in range(1, len(SCANS) + 1) for ext in ("jpg", "json")]
    assert [name.removeprefix(f"jobs/{job_id}/runs/{run}/") for name in names] == [*viewer, "result.pdf", "result.txt"]
    assert not [name for name in stored_names(server, f"jobs/{job_id}/") if ".partial" in name], "a half-written result"

    # the API answered throughout, promptly
    assert probe.calls > 20
    assert not probe.failures, probe.failures[:5]
    assert probe.slowest < 3, f"slowest answer took {probe.slowest:.1f} s"
    assert 4 not in probe.statuses, "the job was in Error on the way"

    check_server_load(api)
    # one job, converted once: a retry is not a second processed file
    assert api.get("/stats") == {"ProcessingFiles": 0, "ProcessedFiles": 1, "SuccessFiles": 1, "ErrorFiles": 0}


@pytest.mark.parametrize("kind", PAIRED)
def test_killed_worker_with_one_attempt_ends_in_error(
    make_server: MakeServer, six_pages: Path, data: Path, kind: str
) -> None:
    with crash_server(make_server, kind=kind, env={"OCRMILL_MAX_ATTEMPTS": "1"}) as (server, procs, api):
        check_given_up(server, procs, api, six_pages, data)


def check_given_up(server: Server, procs: Processes, api: Api, six_pages: Path, data: Path) -> None:
    with Prober(server) as probe:
        converting, killed = start_and_kill(server, procs, api, six_pages)
        probe.job_id = converting["Id"]
        info = api.wait(converting["Id"], timeout=60, procs=procs)
        replaced(server, procs, killed)

    assert info["Status"] == 4, info
    description = info["ErrorDescription"]
    assert re.search(r"(?i)\bkill", description), description
    assert re.search(r"(?i)gave up|given up|giving up|attempt", description), description
    assert info["Finished"] != "0001-01-01T00:00:00"
    assert not probe.failures, probe.failures[:5]
    assert probe.slowest < 3, f"slowest answer took {probe.slowest:.1f} s"

    # the replacement workers take the next job
    good = server.submit(data / PHOTOTEST, TxtOutput=True)
    after = api.wait(good["Id"], timeout=60, procs=procs)
    assert after["Status"] == 3, after["ErrorDescription"]
    assert "quick brown dog" in server.client.get(f"/download/{good['Id']}/txt").text
    check_server_load(api)
    stats = api.get("/stats")
    assert stats["ErrorFiles"] == 1 and stats["SuccessFiles"] == 1, stats


def test_upload_right_after_an_idle_worker_dies_is_answered(make_server: MakeServer, data: Path) -> None:
    """A worker dies while it waits for work (OOM killer, an operator's kill -9) and a client
    uploads a moment later, before the supervisor has noticed: the API must still answer."""
    with crash_server(make_server) as (server, procs, api):
        check_upload_after_idle_death(server, procs, api, data)


def check_upload_after_idle_death(server: Server, procs: Processes, api: Api, data: Path) -> None:
    workers = ready_workers(procs, api)
    body = (data / PHOTOTEST).read_bytes()
    job_id = server.client.post("/create", json={"TxtOutput": True}).json()["Id"]
    kill([workers[-1]])
    try:
        response = api.client.post(f"/uploadext/{job_id}/tif", content=body)
    except httpx.TimeoutException:
        raise AssertionError("the upload after a worker died got no answer within 10 s") from None
    assert response.status_code == 200, response.text
    assert api.get("/test") is True
    info = api.wait(job_id, timeout=60, procs=procs)
    assert info["Status"] == 3, info["ErrorDescription"]
    replaced(server, procs, [workers[-1]])
