"""status/<id> and info/<id>, answered by the polling fast path before FastAPI: the same bytes as the
app's own JSON, never stale, and every case the fast path does not answer still gets the API's answer."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.harness import Server

pytestmark = pytest.mark.paired  # its jobs' files: on the data folder (sqlite) and on S3 (postgres-s3)


def create(server: Server, **options: object) -> dict[str, object]:
    response = server.client.post("/create", json=options)
    assert response.status_code == 200, response.text
    return dict(response.json())


def assert_api_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["Success"] is False and body["StatusCode"] == status and body["Message"]


def test_info_is_byte_for_byte_what_the_app_renders(server: Server) -> None:
    """query goes through FastAPI's JSONResponse; info of the same job must be the same JSON text."""
    correlation = uuid.uuid4().hex
    job = create(server, Descr="Zoë's straße — 東京", CorrelationId=correlation)
    info = server.client.get(f"/info/{job['Id']}")
    listed = server.client.post("/query", json={"CorrelationIdList": [correlation]})
    assert listed.status_code == 200, listed.text
    assert info.status_code == 200
    assert info.headers["content-type"] == listed.headers["content-type"] == "application/json"
    assert int(info.headers["content-length"]) == len(info.content)
    assert b"[" + info.content + b"]" == listed.content
    assert json.loads(info.content)["Descr"] == "Zoë's straße — 東京"


def test_status_is_the_bare_number(server: Server) -> None:
    job = create(server)
    response = server.client.get(f"/status/{job['Id']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b"0"


def test_changes_show_in_the_very_next_poll(server: Server) -> None:
    job = create(server, Descr="before")
    job_id = job["Id"]
    for _ in range(3):  # cached now
        assert server.client.get(f"/info/{job_id}").json()["Descr"] == "before"
    assert server.client.post(f"/setoptions/{job_id}", json={"Descr": "after"}).status_code == 200
    assert server.client.get(f"/info/{job_id}").json()["Descr"] == "after"
    modified = server.client.get(f"/info/{job_id}").json()["Modified"]
    assert server.client.post(f"/cancel/{job_id}").status_code == 200  # back to Created, modified anew
    assert server.client.get(f"/info/{job_id}").json()["Modified"] != modified
    assert server.client.delete(f"/delete/{job_id}").status_code == 200
    assert_api_error(server.client.get(f"/status/{job_id}"), 404)
    assert_api_error(server.client.get(f"/info/{job_id}"), 404)


def test_a_workers_progress_shows_while_polling(server: Server, data: Path) -> None:
    """The worker process writes Converted; polling (cached on SQLite) sees it, with the finish time
    and page count the worker wrote in the same commit."""
    job = server.submit(data / "ocr-tesseract-test" / "phototest.tif", TxtOutput=True)
    info = server.wait(job["Id"], poll=0.01)
    assert info["Status"] == 3, info["ErrorDescription"]
    assert info["Finished"] != "0001-01-01T00:00:00" and info["NumberOfPages"] == 1
    assert server.client.get(f"/status/{job['Id']}").json() == 3


@pytest.mark.parametrize(
    "path",
    # the last one is a full-width digit one
    ["/status/abc", "/info/12a", "/status/-1", "/info/99999999999", "/status/2147483648", "/status/\uff11"],
)
def test_ids_that_name_no_job_get_404(server: Server, path: str) -> None:
    assert_api_error(server.client.get(path), 404)


def test_a_missing_job_gets_404(server: Server) -> None:
    assert_api_error(server.client.get("/status/2147483647"), 404)
    assert_api_error(server.client.get("/info/2147483647"), 404)


def test_query_strings_are_ignored(server: Server) -> None:
    job = create(server)
    assert server.client.get(f"/status/{job['Id']}?x=1").content == b"0"


def test_other_methods_are_not_answered_as_get(server: Server) -> None:
    job = create(server)
    response = server.client.post(f"/status/{job['Id']}")
    assert response.status_code == 405


def test_status_with_an_extension_is_not_taken_for_status(server: Server) -> None:
    job = create(server)
    # status/<id>/<ext> is the result download, refused for a Created job
    assert_api_error(server.client.get(f"/status/{job['Id']}/pdf"), 400)
