"""Exhausted resources (issue 18, part 2), through the real server: a full disk answers 507 with a message and ends a
job that cannot write its results in Error saying so; the database going away answers 503 with Retry-After, and the
workers wait for it and go on. No answer is a bare 500 naming an exception class.

The full disk is real: a small tmpfs mounted for the test holds the server's data folder and is filled to the last
byte. Mounting needs root (CAP_SYS_ADMIN), which the test machines and containers have; where it is refused the
tests say so and are skipped, rather than simulating ENOSPC in the one storage module, which would not exercise
SQLite's own writes on a full disk."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import DATA, Postgres, Server, running, tmpfs
from tests.integration.test_bad_input import api_error, assert_nothing_stored, assert_readable_error
from tests.invoice_api import error, v1

PHOTOTEST = DATA / "ocr-tesseract-test" / "phototest.tif"


@contextlib.contextmanager
def small_disk(where: Path, megabytes: int) -> Iterator[Path]:
    with tmpfs(where, megabytes) as refused:
        if refused:
            pytest.skip(f"a tmpfs cannot be mounted here (needs root): {refused}")
        yield where


class Filler:
    """Fills a file system to its last byte, and frees it again."""

    def __init__(self, disk: Path) -> None:
        self.path = disk / "filler"

    def fill(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (2**20, 2**12, 1):  # down to the last byte
                with contextlib.suppress(OSError):
                    while True:
                        os.write(fd, b"\0" * size)
        finally:
            os.close(fd)

    def free(self) -> None:
        self.path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def full(self) -> Iterator[None]:
        self.fill()
        try:
            yield
        finally:
            self.free()


def no_class_names(message: str) -> None:
    assert not re.search(r"\w(Error|Exception)\b", message) and "Internal" not in message, message


# -- a full disk ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def on_small_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Filler]]:
    """A server whose data folder (SQLite database included) is on a 48 MB file system of its own."""
    root = tmp_path_factory.mktemp("full-disk")
    with small_disk(root / "data", 48) as disk:
        server = Server(root, env={"OCRMILL_JOBS_THREADS": "1"})
        assert server.data_dir == disk
        with running(server):
            yield server, Filler(disk)


def test_an_upload_to_a_full_disk_is_507_and_stores_nothing(on_small_disk: tuple[Server, Filler]) -> None:
    server, disk = on_small_disk
    job_id = server.client.post("/create", json={"TxtOutput": True, "Autostart": False}).json()["Id"]
    with disk.full():
        response = server.client.post(f"/uploadext/{job_id}/tif", content=PHOTOTEST.read_bytes())
        message = api_error(response, 507)
        assert "disk is full" in message, message
        no_class_names(message)
    assert_nothing_stored(server, job_id)
    again = server.client.post(f"/uploadext/{job_id}/tif", content=PHOTOTEST.read_bytes())
    assert again.status_code == 200, again.text


def test_creating_a_job_on_a_full_disk_is_507_and_works_once_freed(on_small_disk: tuple[Server, Filler]) -> None:
    server, disk = on_small_disk
    with disk.full():
        answers = [server.client.post("/create", json={"TxtOutput": True}) for _ in range(20)]
    statuses = {a.status_code for a in answers}
    assert statuses <= {200, 507}, [a.text for a in answers if a.status_code not in (200, 507)]
    assert 507 in statuses, "SQLite wrote 20 jobs to a full disk"
    for answer in answers:
        if answer.status_code == 507:
            message = api_error(answer, 507)
            assert "disk is full" in message, message
            no_class_names(message)
    assert server.client.post("/create", json={"TxtOutput": True}).status_code == 200


def test_an_invoice_upload_to_a_full_disk_is_507_in_the_invoice_apis_shape(
    on_small_disk: tuple[Server, Filler],
) -> None:
    server, disk = on_small_disk
    with v1(server) as api, disk.full():
        files = [("file", ("page.tif", PHOTOTEST.read_bytes(), "image/tiff"))]
        error(api.post("/ocr-invoice-jobs", files=files), 507, "insufficient_storage", "disk is full")


@pytest.fixture(scope="module")
def postgres_on_small_disk(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres
) -> Iterator[tuple[Server, Filler]]:
    """A server whose files are on a 48 MB file system of their own, its database (PostgreSQL) elsewhere."""
    root = tmp_path_factory.mktemp("full-files")
    with small_disk(root / "data", 48) as disk:
        server = Server(root, database_url=postgres.new_database(), env={"OCRMILL_JOBS_THREADS": "1"})
        with running(server):
            yield server, Filler(disk)


@pytest.mark.postgres
def test_a_job_whose_results_meet_a_full_disk_ends_in_error_saying_so(
    postgres_on_small_disk: tuple[Server, Filler],
) -> None:
    server, disk = postgres_on_small_disk
    job_id = server.client.post("/create", json={"PdfOutput": True, "Autostart": False}).json()["Id"]
    assert server.client.post(f"/uploadext/{job_id}/tif", content=PHOTOTEST.read_bytes()).status_code == 200
    with disk.full():
        assert server.client.post(f"/schedule/{job_id}").status_code == 200
        description = assert_readable_error(server.wait(job_id, timeout=120))
    assert "disk is full" in description, description
    assert "Internal" not in description and "OSError" not in description, description


# -- the database away ------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_database_away_is_503_with_retry_after_and_workers_wait_for_it(
    own_postgres: Postgres, tmp_path: Path
) -> None:
    env = {"OCRMILL_JOBS_THREADS": "2", "OCRMILL_POLL_SECONDS": "0.2"}
    with running(Server(tmp_path, database_url=own_postgres.new_database(), env=env)) as server:
        job = server.submit(PHOTOTEST, TxtOutput=True)
        assert server.wait(job["Id"])["Status"] == 3
        workers = sorted(server.worker_pids())
        own_postgres.halt()
        try:
            time.sleep(3)  # the workers poll for work all the while
            answers: list[tuple[str, httpx.Response]] = []
            for path in (f"/status/{job['Id']}", f"/info/{job['Id']}", "/count"):
                answers.append((path, server.client.get(path)))
            answers.append(("/create", server.client.post("/create", json={"TxtOutput": True})))
            with v1(server) as api:
                answers.append(("v1 list", api.get("/ocr-invoice-jobs")))
                invoice = api.get("/ocr-invoice-jobs")
        finally:
            own_postgres.resume()
        for path, answer in answers[:4]:
            message = api_error(answer, 503)
            assert answer.headers.get("Retry-After", "").isdigit(), (path, answer.headers)
            assert "database" in message, (path, message)
            no_class_names(message)
        error(invoice, 503, "service_unavailable", "database")
        assert invoice.headers.get("Retry-After", "").isdigit()

        after = server.submit(PHOTOTEST, TxtOutput=True)
        info = server.wait(after["Id"], timeout=120)
        assert info["Status"] == 3, info["ErrorDescription"]
        assert sorted(server.worker_pids()) == workers, "the workers waited for the database rather than die"
