"""The web console's own API (<api_prefix>/console): who is signed in, the paged job list, the page viewer's
data, and user administration (admins only), behind the same Basic authentication as the other APIs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import STORES, store_env
from tests.harness import Server, running

ADMIN = ("ada", "ada-secret-pw")
CLERK = ("carl", "carl-secret-pw")
OTHER = ("olga", "olga-secret-pw")


@pytest.fixture(scope="module", params=STORES)
def srv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"OCRMILL_AUTH": "true", **store_env(request, request.param)}
    server = Server(tmp_path_factory.mktemp("console-api"), env=env)
    # the users before the first start, which would otherwise add an `admin` of its own
    server.add_user(*ADMIN, admin=True)
    server.add_user(*CLERK)
    server.add_user(*OTHER)
    with running(server):
        yield server


def console(srv: Server) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{srv.port}/api/console", timeout=60)


def test_me_and_the_static_files(srv: Server) -> None:
    c = console(srv)
    assert c.get("/me").status_code == 401
    assert c.get("/me", auth=(CLERK[0], "wrong")).status_code == 401
    assert c.get("/me", auth=CLERK).json() == {
        "name": "carl",
        "admin": False,
        "rights": {"enumFolders": False, "postFolders": False},
        "auth": True,
        "server": "ocrmill",
    }
    assert c.get("/me", auth=ADMIN).json()["admin"] is True
    site = f"http://127.0.0.1:{srv.port}"
    index = httpx.get(site + "/")
    assert index.status_code == 200 and '<meta name="ocrmill-api" content="/api">' in index.text
    assert httpx.get(site + "/console/js/app.js").headers["content-type"].startswith("text/javascript")
    assert httpx.get(site + "/openapi.json").status_code == 200
    assert httpx.get(site + "/api/ocrjobs/test").status_code == 401


def test_job_list_filters_and_pages(srv: Server) -> None:
    for n in range(3):
        srv.client.post("/create", json={"Descr": f"clerk {n}", "CorrelationId": f"c{n % 2}"}, auth=CLERK)
    srv.client.post("/create", json={"Descr": "other"}, auth=OTHER)
    c = console(srv)
    mine = c.get("/jobs", params={"limit": 2}, auth=CLERK).json()
    assert mine["total"] == 3 and [j["descr"] for j in mine["items"]] == ["clerk 2", "clerk 1"]
    assert [j["descr"] for j in c.get("/jobs", params={"limit": 2, "offset": 2}, auth=CLERK).json()["items"]] == [
        "clerk 0"
    ]
    assert c.get("/jobs", params={"correlationId": "c0"}, auth=CLERK).json()["total"] == 2
    assert c.get("/jobs", params={"status": [3, 4]}, auth=CLERK).json()["total"] == 0
    assert c.get("/jobs", params={"status": 0}, auth=CLERK).json()["total"] == 3
    assert c.get("/jobs", params={"createdFrom": "2999-01-01T00:00:00Z"}, auth=CLERK).json()["total"] == 0
    assert c.get("/jobs", params={"createdTo": "2999-01-01T00:00:00Z"}, auth=CLERK).json()["total"] == 3
    assert c.get("/jobs", params={"createdFrom": "yesterday"}, auth=CLERK).status_code == 400
    assert c.get("/jobs", params={"user": "olga"}, auth=CLERK).status_code == 403
    assert c.get("/jobs", params={"user": "olga"}, auth=ADMIN).json()["total"] == 1
    assert c.get("/jobs", auth=ADMIN).json()["total"] == 4
    overview = c.get("/overview", auth=CLERK).json()
    assert overview["jobsByStatus"]["created"] == 3 and overview["folders"] is None
    assert set(overview["serverLoad"]) >= {"JobsThreads", "LoadPercent"} and "SuccessFiles" in overview["stats"]


def test_page_viewer_data_of_a_converted_job(srv: Server, data: Path) -> None:
    job = srv.submit(data / "ocr-tesseract-test" / "phototest.tif", auth=CLERK)
    assert srv.wait(job["Id"], auth=CLERK)["Status"] == 3
    c = console(srv)
    progress = c.get(f"/jobs/{job['Id']}/progress", auth=CLERK).json()
    assert (progress["statusName"], progress["pagesDone"], progress["pagesTotal"]) == ("converted", 1, 1)
    pages = c.get(f"/jobs/{job['Id']}/pages", auth=CLERK).json()
    assert pages == [
        {
            "number": 1,
            "width": 640,
            "height": 480,
            "imageUrl": f"/api/console/jobs/{job['Id']}/pages/1/image",
            "wordsUrl": f"/api/console/jobs/{job['Id']}/pages/1/words",
        }
    ]
    image = httpx.get(f"http://127.0.0.1:{srv.port}{pages[0]['imageUrl']}", auth=CLERK)
    assert image.headers["content-type"] == "image/jpeg" and image.content.startswith(b"\xff\xd8")
    words = c.get(f"/jobs/{job['Id']}/pages/1/words", auth=CLERK).json()
    assert "quick brown dog" in words["text"]
    first = words["words"][0]
    assert first["text"] == "This" and 0.5 < first["confidence"] <= 1 and len(first["box"]) == 4
    # another user's job is as good as missing; an unknown page too
    assert c.get(f"/jobs/{job['Id']}/pages", auth=OTHER).status_code == 404
    assert c.get(f"/jobs/{job['Id']}/pages/2/words", auth=CLERK).status_code == 404
    assert c.get("/jobs/x/pages", auth=CLERK).status_code == 404


def test_user_administration_is_for_admins(srv: Server) -> None:
    c = console(srv)
    assert c.get("/users", auth=CLERK).status_code == 403
    assert c.post("/users", json={"name": "eve", "password": "x"}, auth=CLERK).status_code == 403
    assert c.delete(f"/users/{CLERK[0]}", auth=CLERK).status_code == 403

    added = c.post("/users", json={"name": "dora", "password": "dora-first-pw", "postFolders": True}, auth=ADMIN)
    assert added.status_code == 201, added.text
    assert added.json() | {"created": ""} == {
        "name": "dora",
        "admin": False,
        "enumFolders": False,
        "postFolders": True,
        "created": "",
    }
    assert c.post("/users", json={"name": "dora", "password": "another-password"}, auth=ADMIN).status_code == 409
    assert c.post("/users", json={"name": "a:b", "password": "a-long-password"}, auth=ADMIN).status_code == 400
    assert c.post("/users", json={"name": "fred", "password": ""}, auth=ADMIN).status_code == 400
    assert c.get("/me", auth=("dora", "dora-first-pw")).json()["rights"] == {"enumFolders": False, "postFolders": True}

    assert c.put("/users/dora/rights", json={"admin": True}, auth=ADMIN).json()["admin"] is True
    assert c.get("/me", auth=("dora", "dora-first-pw")).json()["admin"] is True
    assert c.put("/users/dora/password", json={"password": "dora-second-pw"}, auth=ADMIN).status_code == 200
    assert c.get("/me", auth=("dora", "dora-first-pw")).status_code == 401
    assert c.get("/me", auth=("dora", "dora-second-pw")).status_code == 200
    assert c.put(f"/users/{ADMIN[0]}/rights", json={"admin": False}, auth=ADMIN).status_code == 400
    assert c.delete(f"/users/{ADMIN[0]}", auth=ADMIN).status_code == 400
    assert [u["name"] for u in c.get("/users", auth=ADMIN).json()] == ["ada", "carl", "dora", "olga"]
    assert c.delete("/users/dora", auth=ADMIN).json()["name"] == "dora"
    assert c.get("/me", auth=("dora", "dora-second-pw")).status_code == 401
    assert c.delete("/users/dora", auth=ADMIN).status_code == 404
