"""Processes end cleanly (issue 18, part 5), with the real server: on SIGTERM the workers take no more work and finish
their job within shutdown_grace_seconds, and none outlives the server; when the grace runs out, or at a second
SIGTERM, the job goes back to the queue at once (not counted as an attempt); a killed helper process (the
multiprocessing resource tracker, worker children) is not left a zombie."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.harness import PHOTOTEST, Server, converting, pages, running

pytestmark = pytest.mark.paired  # its jobs' files: on the data folder (sqlite) and on S3 (postgres-s3)


def terminated(server: Server, *, second_after: float | None = None, within: float) -> float:
    """SIGTERM to the server (and another `second_after` seconds later); the seconds until it had exited, asserted
    to be under `within`, with every worker of it gone by then."""
    assert server.process is not None
    workers = [psutil.Process(pid) for pid in server.worker_pids()]
    assert workers
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    if second_after is not None:
        time.sleep(second_after)
        server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(within)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server still ran {within} s after SIGTERM")
    _, alive = psutil.wait_procs(workers, timeout=2)  # their exit is reaped by the time the server exits
    assert not alive, f"workers outlived the server: {[p.pid for p in alive]}"
    server.process = None
    return time.monotonic() - started


def status_after(server: Server, job_id: int) -> tuple[int, str]:
    """The job's status and description, read by a server without workers on the same data."""
    env = {key: value for key, value in server.env.items() if key.startswith("OCRMILL_") and key != "OCRMILL_PORT"}
    with running(Server(server.root, env=env), "--no-workers") as reader:
        info = reader.client.get(f"/info/{job_id}").json()
    return int(info["Status"]), str(info["ErrorDescription"])


def test_on_sigterm_a_busy_worker_finishes_its_job_and_exits_with_the_server(tmp_path: Path) -> None:
    env = {"OCRMILL_JOBS_THREADS": "1", "OCRMILL_SHUTDOWN_GRACE_SECONDS": "120"}
    server = Server(tmp_path / "server", env=env).start()
    try:
        job_id = converting(server, pages(tmp_path, 12))  # some seconds of work
        terminated(server, within=120)
    finally:
        server.stop()
    assert status_after(server, job_id) == (3, "")


@pytest.mark.parametrize("how", ["the grace runs out", "a second SIGTERM"])
def test_a_job_is_handed_back_at_once_when_the_grace_runs_out_or_at_a_second_sigterm(tmp_path: Path, how: str) -> None:
    grace = 2 if how == "the grace runs out" else 300
    env = {"OCRMILL_JOBS_THREADS": "1", "OCRMILL_SHUTDOWN_GRACE_SECONDS": str(grace), "OCRMILL_MAX_ATTEMPTS": "1"}
    server = Server(tmp_path / "server", env=env).start()
    try:
        job_id = converting(server, pages(tmp_path, 400))  # minutes of work
        seconds = terminated(server, second_after=None if grace == 2 else 1.0, within=15)
    finally:
        server.stop()
    assert seconds < 15
    # back in the queue, its attempt not counted (with max_attempts 1 a counted one would be an Error)
    assert status_after(server, job_id) == (1, "")


def no_zombies(parent: psutil.Process, killed: list[int]) -> None:
    deadline = time.monotonic() + 10
    while True:
        zombies = [p.pid for p in parent.children(recursive=True) if p.status() == psutil.STATUS_ZOMBIE]
        if not zombies or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not zombies, f"zombies {zombies} of the server, 10 s after kill -9 of {killed}"


def test_killed_helpers_are_not_left_zombies(tmp_path: Path) -> None:
    with running(Server(tmp_path / "server", env={"OCRMILL_JOBS_THREADS": "2"})) as server:
        assert server.process is not None
        parent = psutil.Process(server.process.pid)
        tracker = [p.pid for p in parent.children() if "resource_tracker" in " ".join(p.cmdline())]
        assert tracker, "no resource tracker to kill"
        os.kill(tracker[0], signal.SIGKILL)  # alone: a worker started again would reap it by the way
        no_zombies(parent, tracker)
        workers = server.worker_pids()
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        no_zombies(parent, workers)
        job = server.submit(PHOTOTEST, TxtOutput=True)
        assert server.wait(job["Id"])["Status"] == 3
