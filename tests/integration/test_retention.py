"""RetentionDays: its default and bounds, and the sweep that deletes expired jobs (with a shortened day)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PAIRED, started
from tests.harness import Server, has_files

MakeServer = Callable[..., Server]

DAY = 6.0  # seconds in one retention day
CHECK_HOURS = 0.0003  # the sweep runs about every 1.1 s
SWEEP = CHECK_HOURS * 3600
MAX_DAYS = 50
EARLY = 0.25  # tolerance when checking that nothing was deleted before its time


@pytest.fixture(scope="module", params=PAIRED)  # both databases and both stores in two passes
def retention_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "OCRMILL_RETENTION_DAY_SECONDS": str(DAY),
        "OCRMILL_RETENTION_CHECK_HOURS": str(CHECK_HOURS),
        "OCRMILL_MAX_RETENTION_DAYS": str(MAX_DAYS),
    }
    with started(request, tmp_path_factory, "retention", env=env) as srv:
        yield srv


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def create(server: Server, *, template: bool = False, **options: Any) -> dict[str, Any]:
    return dict(ok(server.client.post("/createtemplate" if template else "/create", json=options)))


def assert_bad_retention(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["Success"], body["StatusCode"]) == (False, 400)
    assert "RetentionDays" in body["Message"]


def exists(server: Server, job_id: int) -> bool:
    response = server.client.get(f"/info/{job_id}")
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def wait_finished(server: Server, job_id: int, *, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = server.client.get(f"/info/{job_id}")
        assert response.status_code == 200, f"job {job_id} vanished before it finished: {response.text}"
        if response.json()["Status"] in (3, 4):
            return dict(response.json())
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id} did not finish")


def wait_deleted(server: Server, job_id: int, *, created_before: float, days: int) -> float:
    """Poll until the job is gone; returns when, checking it was neither early nor (much) late."""
    expires = created_before + days * DAY
    deadline = expires + 2 * SWEEP + 5
    while time.monotonic() < deadline:
        if not exists(server, job_id):
            gone = time.monotonic()
            assert gone >= expires - EARLY, f"job {job_id} was deleted {expires - gone:.2f} s before it expired"
            return gone
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} ({days} retention day(s)) was not deleted {deadline - expires:.1f} s after")


# -- RetentionDays: default and bounds ------------------------------------------------------------


def test_retention_days_default_to_the_configured_maximum(retention_server: Server) -> None:
    assert create(retention_server)["RetentionDays"] == MAX_DAYS
    assert create(retention_server, Descr="no retention given")["RetentionDays"] == MAX_DAYS
    template = create(retention_server, template=True)
    assert template["RetentionDays"] == MAX_DAYS
    from_template = ok(retention_server.client.post(f"/createfromtemplate/{template['Id']}"))
    assert from_template["RetentionDays"] == MAX_DAYS


def test_retention_days_within_the_bounds_are_kept(retention_server: Server) -> None:
    for days in (1, 17, MAX_DAYS):
        job = create(retention_server, RetentionDays=days, Autostart=False)
        assert job["RetentionDays"] == days
        assert ok(retention_server.client.get(f"/info/{job['Id']}"))["RetentionDays"] == days
    assert create(retention_server, retentiondays=3)["RetentionDays"] == 3  # names are case-insensitive
    template = create(retention_server, template=True, RetentionDays=4)
    assert template["RetentionDays"] == 4
    assert ok(retention_server.client.post(f"/createfromtemplate/{template['Id']}"))["RetentionDays"] == 4


@pytest.mark.parametrize("value", [MAX_DAYS + 1, 10_000, 0, -1, 2.5, "many", True, None])
def test_retention_days_out_of_bounds_are_refused(retention_server: Server, value: Any) -> None:
    before = ok(retention_server.client.get("/count"))
    assert_bad_retention(retention_server.client.post("/create", json={"RetentionDays": value}))
    assert_bad_retention(retention_server.client.post("/createtemplate", json={"RetentionDays": value}))
    assert ok(retention_server.client.get("/count")) == before, "a refused create made a job"

    job = create(retention_server, Autostart=False, RetentionDays=2)
    assert_bad_retention(retention_server.client.post(f"/setoptions/{job['Id']}", json={"RetentionDays": value}))
    assert ok(retention_server.client.get(f"/info/{job['Id']}"))["RetentionDays"] == 2


def test_default_maximum_is_thirty_days(make_server: MakeServer) -> None:
    server = make_server(start=False).start("--no-workers")
    assert create(server)["RetentionDays"] == 30
    assert create(server, RetentionDays=30)["RetentionDays"] == 30
    assert_bad_retention(server.client.post("/create", json={"RetentionDays": 31}))


# -- the sweep ------------------------------------------------------------------------------------


def test_expired_jobs_are_deleted_with_their_files(retention_server: Server, data: Path, tmp_path: Path) -> None:
    server = retention_server
    phototest = data / "ocr-tesseract-test/phototest.tif"
    # A long-lived converted job; converting it first also warms the workers up.
    kept = server.submit(phototest, RetentionDays=MAX_DAYS, TxtOutput=True)
    assert wait_finished(server, kept["Id"])["Status"] == 3

    started = time.monotonic()
    converted = server.submit(phototest, RetentionDays=1, TxtOutput=True)
    garbage = tmp_path / "garbage.tif"
    garbage.write_bytes(b"II*\x00" + bytes(range(256)) * 8)
    failed = server.submit(garbage, RetentionDays=1)
    never_started = create(server, RetentionDays=2, Autostart=False)
    shortened = create(server, RetentionDays=MAX_DAYS, Autostart=False)
    assert ok(server.client.post(f"/setoptions/{shortened['Id']}", json={"RetentionDays": 1}))["RetentionDays"] == 1
    lengthened = create(server, RetentionDays=1, Autostart=False)
    assert ok(server.client.post(f"/setoptions/{lengthened['Id']}", json={"RetentionDays": 9}))["RetentionDays"] == 9
    template = create(server, template=True, RetentionDays=1, Descr="kept template")

    done = wait_finished(server, converted["Id"])
    assert done["Status"] == 3, done["ErrorDescription"]
    assert wait_finished(server, failed["Id"])["Status"] == 4
    assert time.monotonic() - started < DAY - 1, "the jobs took too long to convert for this test's shortened day"
    assert "quick brown dog" in server.client.get(f"/download/{converted['Id']}/txt").text
    for job in (converted, failed):
        assert has_files(server, job["Id"])

    # One day after creation: the converted, the failed and the shortened job are gone, with their files.
    wait_deleted(server, converted["Id"], created_before=started, days=1)
    for job in (failed, shortened):
        wait_deleted(server, job["Id"], created_before=started, days=1)
    for job in (converted, failed, shortened):
        assert not has_files(server, job["Id"]), f"the files of job {job['Id']} were left behind"
        assert server.client.get(f"/status/{job['Id']}").status_code == 404
    assert converted["Id"] not in {job["Id"] for job in ok(server.client.get("/all"))}
    assert server.client.get(f"/download/{converted['Id']}/pdf").status_code == 404
    assert exists(server, never_started["Id"]), "a job with 2 retention days was deleted after 1"

    # Two days after creation: the job that was never started is gone too.
    wait_deleted(server, never_started["Id"], created_before=started, days=2)

    # Still here: the long-lived jobs (their files too) and the template, whose RetentionDays does not apply.
    for job in (kept, lengthened, template):
        assert exists(server, job["Id"]), f"job {job['Id']} was deleted before its time"
    assert has_files(server, kept["Id"])
    assert "quick brown dog" in server.client.get(f"/download/{kept['Id']}/txt").text
    assert template["Id"] in {job["Id"] for job in ok(server.client.get("/templates"))}
    from_template = ok(server.client.post(f"/createfromtemplate/{template['Id']}"))
    assert (from_template["TemplateId"], from_template["RetentionDays"]) == (template["Id"], 1)
