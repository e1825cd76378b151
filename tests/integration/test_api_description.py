"""The API description is the truth (issue 18.4): schemathesis, configured in tests/schemathesis.toml, runs over
/openapi.json of a real server (the ownOCR job API, the OCR invoice API, the console API and the monitoring routes)
with authentication off and on, and finds nothing; and the description's error answers and 405's Allow checked
directly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from tests.harness import REPO, Server, running

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
CONFIG = REPO / "tests" / "schemathesis.toml"
# the bounded run's own lines, which the slow run leaves out (see the file)
QUICK_ONLY = "# -- make test:"
ADMIN = ("schemathesis-admin", "a-long-enough-password")  # the run's credentials with authentication on
# the users the user routes get (see the config)
TARGETS = [("schemathesis-target", "another-long-password"), ("schemathesis-removed", "another-long-password")]


class Target(NamedTuple):
    server: Server
    auth: tuple[str, str] | None


@pytest.fixture(scope="module", params=["auth-off", "auth-on"])
def srv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    auth = request.param == "auth-on"
    server = Server(tmp_path_factory.mktemp(request.param), env={"OCRMILL_AUTH": "true"} if auth else {})
    if auth:
        server.add_user(*ADMIN, admin=True)
    for target in TARGETS:
        server.add_user(*target)
    with running(server):
        yield Target(server, ADMIN if auth else None)


def site(srv: Target) -> str:
    return f"http://127.0.0.1:{srv.server.port}"


def document(srv: Target) -> dict[str, Any]:
    answer = httpx.get(site(srv) + "/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def schemathesis(srv: Target, tmp_path: Path, *, max_examples: int, full: bool) -> subprocess.CompletedProcess[str]:
    config = CONFIG
    if full:
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG.read_text().split(QUICK_ONLY)[0])
    auth = ["--auth", ":".join(srv.auth)] if srv.auth else []
    command = [
        *("nice", "-n", "10", SCHEMATHESIS, "--no-color", "--config-file", str(config), "run"),
        *(f"{site(srv)}/openapi.json", "--max-examples", str(max_examples), *auth),
        *("--report", "junit", "--report-dir", str(tmp_path / "report")),
    ]
    env = os.environ | {"NO_COLOR": "1"}
    # in tmp_path: schemathesis keeps a cache (.schemathesis/) in its working folder
    return subprocess.run(command, capture_output=True, text=True, timeout=1800, env=env, cwd=tmp_path)


def assert_clean(run: subprocess.CompletedProcess[str], srv: Target) -> None:
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]
    operations = sum(len(item) for item in document(srv)["paths"].values())
    tested = re.search(r"Tested: (\d+)", output)
    assert tested and int(tested.group(1)) == operations, output[-3000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", output)
    assert cases and int(cases.group(1)) == int(cases.group(2)) > 10 * operations, output[-3000:]
    # the run kept its credentials, so it was answered as the user it tested with
    assert httpx.get(site(srv) + "/api/console/me", auth=srv.auth).status_code == 200


def test_schemathesis_finds_nothing(srv: Target, tmp_path: Path) -> None:
    assert_clean(schemathesis(srv, tmp_path, max_examples=8, full=False), srv)


@pytest.mark.slow
def test_schemathesis_finds_nothing_in_a_longer_run(srv: Target, tmp_path: Path) -> None:
    assert_clean(schemathesis(srv, tmp_path, max_examples=200, full=True), srv)


def test_every_operation_lists_its_errors_in_its_apis_shape(srv: Target) -> None:
    paths = document(srv)["paths"]
    info = paths["/api/ocrjobs/info/{job_id}"]["get"]["responses"]
    assert {"200", "401", "404", "429", "503"} <= set(info) and "422" not in info
    assert info["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ApiResponse"}
    assert "Retry-After" in info["503"]["headers"] and "WWW-Authenticate" in info["401"]["headers"]
    upload = paths["/api/ocrjobs/uploadext/{job_id}/{ext}"]["post"]["responses"]
    assert {"400", "404", "413", "415", "507"} <= set(upload)
    page = paths["/api/v1/ocr-invoice-job-pages"]["post"]["responses"]
    assert {"404", "409", "413", "422"} <= set(page)
    assert page["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ResourceError"}
    add_user = paths["/api/console/users"]["post"]
    assert {"403", "409"} <= set(add_user["responses"])
    for path, item in paths.items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if path.startswith("/api/") and int(status) >= 400:
                    assert "content" in response, (method, path, status)


def test_request_schemas_state_the_real_constraints(srv: Target) -> None:
    schemas = document(srv)["components"]["schemas"]
    name = schemas["NewUserIn"]["properties"]["name"]
    assert name["minLength"] == 1 and name["maxLength"] == 200 and "pattern" in name
    assert schemas["NewUserIn"]["properties"]["password"]["minLength"] == 12
    quality = schemas["JobOptionsIn"]["properties"]["RenderQuality"]
    assert (quality["type"], quality["minimum"], quality["maximum"]) == ("integer", 1, 100)
    if srv.auth:
        users = httpx.Client(base_url=site(srv) + "/api/console", auth=srv.auth)
        assert users.post("/users", json={"name": "", "password": "x" * 12}).status_code == 400  # not valid
        added = users.post("/users", json={"name": "Zoë O'Neil-2", "password": "x" * 12})  # valid: accepted
        assert added.status_code == 201, added.text


def test_405_names_every_method_of_the_path(srv: Target) -> None:
    for path, allowed in [
        ("/api/v1/ocr-invoice-jobs", "GET, POST"),
        ("/api/v1/ocr-invoice-jobs/0123456789abcdef01234567", "DELETE, GET, PUT"),
        ("/api/ocrjobs/delete/1", "DELETE, POST"),
        ("/api/console/users/somebody", "DELETE"),
        ("/healthz", "GET"),
    ]:
        answer = httpx.request("PATCH", site(srv) + path, auth=srv.auth)
        assert answer.status_code == 405 and answer.headers["allow"] == allowed, (path, answer.headers)
    invoice = httpx.request("TRACE", site(srv) + "/api/v1/ocr-invoice-jobs")
    assert invoice.json()["error"]["code"] == "method_not_allowed"


def test_what_schemathesis_found_is_refused_not_a_500(srv: Target) -> None:
    """Were 500s (a comparison with null, integers past the databases' 64 bits); now 400s that name the fault."""
    api = httpx.Client(base_url=site(srv) + "/api", auth=srv.auth)
    for path, params, fault in [
        ("/v1/ocr-invoice-jobs", {"filter": '{"pageCount": {"$gt": null}}'}, "filter: pageCount"),
        ("/v1/ocr-invoice-job-pages", {"filter": '{"pageNumber": {"$nin": [105186437645324851209043968]}}'}, "range"),
        ("/v1/ocr-invoice-jobs", {"offset": str(2**80)}, "offset"),
        ("/console/jobs", {"offset": str(2**80)}, "offset"),
        ("/console/jobs", {"status": str(2**80)}, "status"),
    ]:
        answer = api.get(path, params=params)
        assert answer.status_code == 400 and fault in answer.text, (path, params, answer.text)


def test_a_search_query_is_accepted_exactly_when_the_description_allows_it(srv: Target) -> None:
    """schemathesis (40 examples) found q=']' valid by the description and refused (400: no word to search for):
    the description now states that a query holds a letter or digit, and the server follows it both ways."""
    paths = document(srv)["paths"]
    for path, queries in [
        ("/api/ocrjobs/search", ["]", "\x7f\U000fb4e8", "   ", "_", "été", "42", "a]"]),
        ("/api/console/jobs", ["]", "\x7f\U000fb4e8", "   ", "_", "", "été", "42", "a]"]),
    ]:
        (q,) = [parameter for parameter in paths[path]["get"]["parameters"] if parameter["name"] == "q"]
        pattern, shortest = q["schema"].get("pattern", ""), q["schema"].get("minLength", 0)
        for query in queries:
            described = len(query) >= shortest and re.search(pattern, query) is not None
            answer = httpx.get(site(srv) + path, params={"q": query}, auth=srv.auth)
            assert answer.status_code == (200 if described else 400), (path, query, pattern, answer.text)
