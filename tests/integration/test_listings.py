"""all, allbystatus, query and templates stream their JSON array a batch of jobs at a time
(service.ocrjobs.jobs.batches): the answer is the one the whole list gave, across batch boundaries (batches of
BATCH jobs here, 500 by default), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.harness import Server, running

BATCH = 7
JOBS = 3 * BATCH + 2  # four batches, the last one short


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else ""
    root = tmp_path_factory.mktemp(f"listings-{request.param}")
    with running(Server(root, database_url=url, env={"OCRMILL_LIST_BATCH": str(BATCH)})) as srv:
        yield srv


def compact(value: Any) -> str:
    """JSON as JSONResponse renders it (what these routes sent before they streamed)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def test_streamed_listings_hold_every_job_once_in_id_order_as_info_gives_it(server: Server) -> None:

    def make(n: int) -> int:
        with httpx.Client(base_url=server.base, timeout=60) as client:
            body = {"Descr": f"listing {n} «ü»", "CorrelationId": f"list-{n % 3}", "Autostart": False}
            answer = client.post("/create", json=body)
            assert answer.status_code == 200, answer.text
            return int(answer.json()["Id"])

    with ThreadPoolExecutor(8) as pool:
        made = set(pool.map(make, range(JOBS)))
    template = server.client.post("/createtemplate", json={"Descr": "listing template"}).json()

    answer = server.client.get("/all")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    listed = answer.json()
    assert answer.text == compact(listed)
    ids = [job["Id"] for job in listed]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert set(ids) == made  # the template is not a job
    assert len(listed) == server.client.get("/count").json()
    sample = [job for job in listed if job["Id"] in made]
    for job in sample:
        assert job == server.client.get(f"/info/{job['Id']}").json()

    created = server.client.get("/allbystatus/0").json()
    assert created == [job for job in listed if job["Status"] == 0]
    template_info = server.client.get(f"/info/{template['Id']}").json()
    assert server.client.post("/query", json={}).json() == [*listed, template_info]
    by_correlation = server.client.post("/query", json={"CorrelationIdList": ["list-1"], "IsTemplate": False}).json()
    assert by_correlation == [job for job in listed if job["CorrelationId"] == "list-1"]
    assert len(by_correlation) == len(range(1, JOBS, 3))
    assert server.client.get("/templates").json() == [template_info]
    assert server.client.post("/query", json={"IdList": [-5]}).text == "[]"
