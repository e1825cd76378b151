"""/healthz, /readyz and /metrics on a real server: open without credentials, unready when the database stops,
Prometheus text whose counters move when a job converts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.harness import DATA, Postgres, Server, running

PHOTOTEST = DATA / "ocr-tesseract-test" / "phototest.tif"
ADMIN = ("admin", "monitoring-admin-pw")
TOKEN = "metrics-token-of-the-test"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def site(server: Server) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=60)


def ready(server: Server, *, timeout: float = 60) -> dict[str, object]:
    """The /readyz body once it answers 200 (the workers heartbeat shortly after the start)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = site(server).get("/readyz")
        if answer.status_code == 200 or time.monotonic() > deadline:
            assert answer.status_code == 200, answer.text
            return dict(answer.json())
        time.sleep(0.2)


def scrape(server: Server) -> Samples:
    answer = site(server).get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "OCRMILL_AUTH": "true",
        "OCRMILL_ADMIN_PASSWORD": ADMIN[1],
        "OCRMILL_METRICS_TOKEN": TOKEN,
        "OCRMILL_JOBS_THREADS": "1",
    }
    with running(Server(tmp_path_factory.mktemp("monitored"), env=env)) as server:
        yield server


def test_health_and_readiness_answer_without_credentials_and_without_secrets(monitored: Server) -> None:
    assert monitored.client.get("/test").status_code == 401  # authentication is on
    health = site(monitored).get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    body = ready(monitored)
    assert body["status"] == "ready" and body["failed"] == []
    assert body["checks"] == {
        "database": {"ok": True, "detail": "reachable"},
        "data_dir": {"ok": True, "detail": "writable"},
        "workers": {"ok": True, "detail": "1 alive"},
    }
    text = site(monitored).get("/readyz").text
    for secret in (ADMIN[1], TOKEN, str(monitored.data_dir), "sqlite"):
        assert secret not in text


def test_metrics_ask_for_their_token(monitored: Server) -> None:
    assert site(monitored).get("/metrics").status_code == 401
    wrong = site(monitored).get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert ADMIN[1] not in site(monitored).get("/metrics", auth=ADMIN).text  # Basic credentials are not the token


def test_metrics_parse_and_move_when_a_job_converts(monitored: Server) -> None:
    before = scrape(monitored)
    assert value(before, "ocrmill_database_up") == 1
    assert value(before, "ocrmill_workers_alive") >= 1

    job = monitored.submit(PHOTOTEST, auth=ADMIN, TxtOutput=True)
    assert monitored.wait(job["Id"], auth=ADMIN)["Status"] == 3
    after = scrape(monitored)

    finished = "ocrmill_jobs_finished_total"
    assert value(after, finished, result="success") == value(before, finished, result="success") + 1
    assert value(after, finished, result="error") == value(before, finished, result="error")
    assert value(after, "ocrmill_jobs", status="converted") == value(before, "ocrmill_jobs", status="converted") + 1
    assert value(after, "ocrmill_queue_depth", queue="jobs") == 0
    # one page converted: counted, and observed in the seconds-a-page histogram (cumulative buckets)
    assert value(after, "ocrmill_pages_converted_total") == value(before, "ocrmill_pages_converted_total") + 1
    assert value(after, "ocrmill_page_seconds_count") == value(before, "ocrmill_page_seconds_count") + 1
    assert value(after, "ocrmill_page_seconds_sum") > value(before, "ocrmill_page_seconds_sum")
    bounds = ("0.5", "1", "2", "4", "8", "16", "32", "64", "+Inf")
    bucket = "ocrmill_page_seconds_bucket"
    grown = [b for b in bounds if value(after, bucket, le=b) == value(before, bucket, le=b) + 1]
    assert grown and grown == list(bounds[len(bounds) - len(grown) :])  # every bucket from the page's time up
    assert value(after, "ocrmill_queue_oldest_age_seconds", queue="jobs") == 0

    requests = "ocrmill_http_requests_total"
    create = {"method": "POST", "route": "/api/ocrjobs/create", "status": "200"}
    assert value(after, requests, **create) == value(before, requests, **create) + 1
    # status polls are answered by the fast path, before FastAPI's router, and still counted by their route
    status = {"method": "GET", "route": "/api/ocrjobs/status/{job_id}", "status": "200"}
    assert value(after, requests, **status) >= value(before, requests, **status) + 1
    latency = "ocrmill_http_request_duration_seconds_count"
    route = {"method": "POST", "route": "/api/ocrjobs/create"}
    assert value(after, latency, **route) == value(before, latency, **route) + 1
    unauthorized = {"method": "GET", "route": "/metrics", "status": "401"}
    assert value(after, requests, **unauthorized) >= 2  # the test above


def test_not_ready_without_workers(tmp_path: Path) -> None:
    with running(Server(tmp_path), "--no-workers") as server:
        time.sleep(1)
        answer = site(server).get("/readyz")
        assert answer.status_code == 503, answer.text
        assert answer.json()["failed"] == ["workers"]
        assert site(server).get("/healthz").status_code == 200


@pytest.mark.postgres
def test_not_ready_while_the_database_is_away(own_postgres: Postgres, tmp_path: Path) -> None:
    server = Server(tmp_path, database_url=own_postgres.new_database(), env={"OCRMILL_METRICS_TOKEN": TOKEN})
    with running(server):
        ready(server)
        own_postgres.halt()
        try:
            answer = site(server).get("/readyz")
            metrics = scrape(server)
            health = site(server).get("/healthz")
        finally:
            own_postgres.resume()
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["status"] == "unready" and "database" in body["failed"]
        assert body["checks"]["database"] == {"ok": False, "detail": "cannot be reached"}
        assert str(own_postgres.port) not in answer.text and "ocrmill@" not in answer.text
        assert value(metrics, "ocrmill_database_up") == 0
        assert health.status_code == 200
        assert ready(server)["status"] == "ready"  # and ready again once it is back
