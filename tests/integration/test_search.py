"""Searching past jobs (GET search?q=, an ocrmill addition) over HTTP, on SQLite (FTS5) and PostgreSQL (tsvector):
words of the recognised text, description and correlation id; ranked; the matching line as a snippet; only the
caller's own jobs; any q answered without a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.harness import Server, running
from tests.integration.test_auth import ALICE, BOB, ROOT, Auth, add_user, create
from tests.invoice_api import text_png

LINES = ["Quarterly zebra report", "Invoice 4711 from Acme Tools"]


@dataclass
class Jobs:
    converted: dict[str, Any]  # alice's: a page of LINES, TXT output
    described: dict[str, Any]  # alice's: "zebra" in description and correlation id, no file
    template: dict[str, Any]  # alice's template with "zebra" in its description
    bobs: dict[str, Any]  # bob's: "zebra" in its description


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else ""
    root = tmp_path_factory.mktemp(f"search-{request.param}")
    with running(Server(root, database_url=url, env={"OCRMILL_AUTH": "true", "OCRMILL_JOBS_THREADS": "1"})) as srv:
        with ThreadPoolExecutor(3) as pool:
            added = [pool.submit(add_user, srv, ROOT, admin=True)]
            added += [pool.submit(add_user, srv, user) for user in (ALICE, BOB)]
            for each in added:
                each.result()
        yield srv


@pytest.fixture(scope="module")
def jobs(server: Server) -> Jobs:
    job = server.client.post("/create", json={"TxtOutput": True, "Descr": "weekly notes"}, auth=ALICE).json()
    up = server.client.post(f"/uploadext/{job['Id']}/png", content=text_png(LINES), auth=ALICE)
    assert up.status_code == 200, up.text
    return Jobs(
        converted=server.wait(job["Id"], auth=ALICE),
        described=create(server, ALICE, Autostart=False, Descr="zebra crossing plan", CorrelationId="zebra-42"),
        template=create(server, ALICE, template=True, Descr="zebra template"),
        bobs=create(server, BOB, Autostart=False, Descr="bob's zebra"),
    )


def search(server: Server, q: str, auth: Auth, **params: Any) -> dict[str, Any]:
    response = server.client.get("/search", params={"q": q, **params}, auth=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def ids(found: dict[str, Any]) -> list[int]:
    return [hit["Job"]["Id"] for hit in found["Results"]]


def test_a_converted_job_is_found_by_a_word_of_its_text_with_that_line(server: Server, jobs: Jobs) -> None:
    assert jobs.converted["Status"] == 3, jobs.converted
    text = server.client.get(f"/download/{jobs.converted['Id']}/txt", auth=ALICE).text
    line = next(ln.strip() for ln in text.splitlines() if "4711" in ln)  # the line as the TXT output has it
    found = search(server, "4711", ALICE)
    assert ids(found) == [jobs.converted["Id"]]
    assert found["Total"] == 1
    hit = found["Results"][0]
    assert hit["SnippetField"] == "Text"
    assert hit["Snippet"] == line
    assert hit["Job"] == server.client.get(f"/info/{jobs.converted['Id']}", auth=ALICE).json()


def test_every_word_must_match_and_words_match_as_prefixes(server: Server, jobs: Jobs) -> None:
    assert ids(search(server, "acme 4711", ALICE)) == [jobs.converted["Id"]]
    assert ids(search(server, "ACME tool", ALICE)) == [jobs.converted["Id"]]
    assert search(server, "acme 4712", ALICE)["Results"] == []
    assert ids(search(server, "crossing", ALICE)) == [jobs.described["Id"]]


def test_description_and_correlation_id_rank_above_a_word_in_the_text(server: Server, jobs: Jobs) -> None:
    found = search(server, "zebra", ALICE)
    assert ids(found) == [jobs.described["Id"], jobs.converted["Id"]]  # the template is not a job to find
    ranks = [hit["Rank"] for hit in found["Results"]]
    assert ranks[0] > ranks[1]
    assert found["Results"][0]["SnippetField"] == "Descr"
    assert found["Results"][0]["Snippet"] == "zebra crossing plan"
    by_correlation = search(server, "42", ALICE)
    assert ids(by_correlation) == [jobs.described["Id"]]
    assert by_correlation["Results"][0]["SnippetField"] == "CorrelationId"


def test_users_find_only_their_own_jobs_and_admins_every_job(server: Server, jobs: Jobs) -> None:
    assert ids(search(server, "zebra", BOB)) == [jobs.bobs["Id"]]
    assert search(server, "4711", BOB) == {"Total": 0, "Results": []}
    everyone = set(ids(search(server, "zebra", ROOT)))
    assert everyone == {jobs.described["Id"], jobs.converted["Id"], jobs.bobs["Id"]}


def test_limit_and_offset_page_the_results_with_the_total(server: Server, jobs: Jobs) -> None:
    first = search(server, "zebra", ROOT, limit=1)
    second = search(server, "zebra", ROOT, limit=1, offset=1)
    assert first["Total"] == second["Total"] == 3
    assert len(first["Results"]) == len(second["Results"]) == 1
    assert ids(first) + ids(second) == ids(search(server, "zebra", ROOT))[:2]


def test_new_options_and_deletion_change_what_is_found(server: Server, jobs: Jobs) -> None:
    job = create(server, BOB, Autostart=False, Descr="okapi sighting")
    assert ids(search(server, "okapi", BOB)) == [job["Id"]]
    changed = server.client.post(f"/setoptions/{job['Id']}", json={"Descr": "giraffe sighting"}, auth=BOB)
    assert changed.status_code == 200, changed.text
    assert search(server, "okapi", BOB)["Results"] == []
    assert ids(search(server, "giraffe", BOB)) == [job["Id"]]
    assert server.client.delete(f"/delete/{job['Id']}", auth=BOB).status_code == 200
    assert search(server, "giraffe", BOB)["Results"] == []


@pytest.mark.parametrize(
    "q",
    ['"', 'zebra"', "*", "zebra*", "NEAR(zebra", "zebra AND OR NOT", "'; DROP TABLE jobs; --", ":*", "a & | ! b",
     "\\", "(zebra", "zebra:*", "col:zebra", "^zebra", "-zebra", "zebra\x00", "zébra 😀", "%", "_"],
)  # fmt: skip
def test_special_characters_in_q_are_never_a_server_error(server: Server, jobs: Jobs, q: str) -> None:
    response = server.client.get("/search", params={"q": q}, auth=ALICE)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["Success"] is False
    elif re.findall(r"[^\W_]+", q) == ["zebra"]:  # the rest is punctuation: zebra alone is searched for
        assert jobs.described["Id"] in ids(response.json())


@pytest.mark.parametrize("q", ["", "!!!", "  ", "x" * 1001])
def test_a_query_without_words_is_a_400_that_says_so(server: Server, jobs: Jobs, q: str) -> None:
    response = server.client.get("/search", params={"q": q}, auth=ALICE)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["Success"] is False and "q" in body["Message"]


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_word_in_more_jobs_than_the_window_ranks_the_newest_and_says_the_total_is_a_lower_bound(
    make_server: Any, database: str
) -> None:
    srv = make_server(env={"OCRMILL_SEARCH_WINDOW": "3", "OCRMILL_JOBS_THREADS": "1"}, database=database)
    # the oldest job is the best match (the word in its description and correlation id): outside the window
    made = [create(srv, None, Autostart=False, Descr="kudu", CorrelationId="kudu-1")]
    made += [create(srv, None, Autostart=False, Descr=f"kudu herd {n}") for n in range(4)]
    newest = [job["Id"] for job in made[-3:]]
    found = search(srv, "kudu", None)
    assert (found["Total"], found["TotalIsLowerBound"]) == (3, True)
    assert sorted(ids(found)) == sorted(newest) and made[0]["Id"] not in ids(found)
    paged = [search(srv, "kudu", None, limit=1, offset=n) for n in range(4)]
    assert [p["Total"] for p in paged] == [3, 3, 3, 3] and all(p["TotalIsLowerBound"] for p in paged)
    assert [i for p in paged for i in ids(p)] == ids(found)
    console = srv.client.get(srv.base.replace("/ocrjobs", "/console") + "/jobs", params={"q": "kudu"}).json()
    assert (console["total"], console["more"]) == (3, True)
    # as many matches as the window: the total is exact
    for job in made[1:3]:
        assert srv.client.delete(f"/delete/{job['Id']}").status_code == 200
    exact = search(srv, "kudu", None, limit=1)
    assert exact["Total"] == 3 and "TotalIsLowerBound" not in exact
    console = srv.client.get(srv.base.replace("/ocrjobs", "/console") + "/jobs", params={"q": "kudu"}).json()
    assert console["total"] == 3 and "more" not in console
    assert made[0]["Id"] in ids(search(srv, "kudu", None))
