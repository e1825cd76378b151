"""Scale-out: an API-only server and a separate worker process sharing PostgreSQL and a file store."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import OCRMILL, Postgres, Server

pytestmark = pytest.mark.postgres


@pytest.fixture()
def api_and_worker(postgres: Postgres, tmp_path: Path) -> Iterator[tuple[Server, subprocess.Popen[bytes]]]:
    # Workers look at the table only once a minute on their own, so a job converting within the
    # test's time proves the worker was woken by PostgreSQL's NOTIFY from the other process.
    env = {"OCRMILL_POLL_SECONDS": "60", "OCRMILL_JOBS_THREADS": "1"}
    api = Server(tmp_path / "api", database_url=postgres.new_database(), env=env)
    api.start("--no-workers")
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([OCRMILL, "worker"], env=api.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield api, worker
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        api.stop()
        log.close()


def test_jobs_scheduled_through_the_api_are_converted_by_the_worker_process(
    api_and_worker: tuple[Server, subprocess.Popen[bytes]], data: Path
) -> None:
    api, worker = api_and_worker
    for _ in range(3):
        job = api.submit(data / "ocr-tesseract-test/phototest.tif", TxtOutput=True)
        info = api.wait(job["Id"], timeout=30)
        assert info["Status"] == 3, info["ErrorDescription"]
        assert "quick brown dog" in api.client.get(f"/download/{job['Id']}/txt").text
    assert worker.poll() is None, "the worker process is still running"
    load = api.client.get("/serverload").json()
    assert load["JobsThreads"] == 1, "the API server counts the other process's worker"


def test_api_only_server_leaves_jobs_scheduled_without_workers(postgres: Postgres, tmp_path: Path, data: Path) -> None:
    api = Server(tmp_path / "api", database_url=postgres.new_database())
    api.start("--no-workers")
    try:
        job = api.submit(data / "ocr-tesseract-test/phototest.tif")
        assert api.client.get(f"/status/{job['Id']}").json() == 1
        assert api.client.get("/serverload").json()["JobsThreads"] == 0
    finally:
        api.stop()
