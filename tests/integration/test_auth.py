"""Basic authentication: who may call the API, and which jobs each user sees (OCRMILL_AUTH=true)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PAIRED, started
from tests.harness import Server, stored_names

MakeServer = Callable[..., Server]
Auth = tuple[str, str]

ROOT: Auth = ("root", "root-secret-pw")
ALICE: Auth = ("alice", "pä:ss wört-läng")  # non-ASCII, a colon and a space
BOB: Auth = ("bob", "bob-secret-pw")


def add_user(server: Server, auth: Auth, *, admin: bool = False) -> None:
    name, password = auth
    result = server.ocrmill(
        "users", "add", name, *(["--admin"] if admin else []), "--password-stdin", input=f"{password}\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"added {'admin ' if admin else ''}user {name}\n"


@pytest.fixture(scope="module", params=PAIRED)
def auth_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with authentication on and three users: root (admin), alice and bob; paired (the refused uploads must
    store nothing on either store)."""
    env = {"OCRMILL_AUTH": "true", "OCRMILL_JOBS_THREADS": "1"}
    with started(request, tmp_path_factory, "auth", env=env) as server:
        with ThreadPoolExecutor(3) as pool:  # each `ocrmill users add` takes a second or so
            adds = [pool.submit(add_user, server, ROOT, admin=True)]
            adds += [pool.submit(add_user, server, user) for user in (ALICE, BOB)]
            for added in adds:
                added.result()
        yield server


@dataclass
class Jobs:
    """Jobs of each user, made once per server."""

    alice_created: dict[str, Any]  # Autostart false, no file: options can still be set
    alice_template: dict[str, Any]
    alice_converted: dict[str, Any]  # phototest with TXT output
    bob_created: dict[str, Any]
    bob_template: dict[str, Any]
    root_created: dict[str, Any]

    def ids(self, user: str) -> set[int]:
        return {job["Id"] for job in vars(self).values() if job["UserName"] == user}


def create(server: Server, auth: Auth | None, *, template: bool = False, **options: Any) -> dict[str, Any]:
    response = server.client.post("/createtemplate" if template else "/create", json=options, auth=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture(scope="module")
def jobs(auth_server: Server, data: Path) -> Jobs:
    converted = auth_server.submit(data / "ocr-tesseract-test/phototest.tif", auth=ALICE, TxtOutput=True)
    made = Jobs(
        alice_created=create(auth_server, ALICE, Autostart=False, Descr="alice's"),
        alice_template=create(auth_server, ALICE, template=True, Descr="alice's template", TxtOutput=True),
        alice_converted=auth_server.wait(converted["Id"], auth=ALICE),
        bob_created=create(auth_server, BOB, Autostart=False, Descr="bob's"),
        bob_template=create(auth_server, BOB, template=True, Descr="bob's template"),
        root_created=create(auth_server, ROOT, Autostart=False, Descr="root's"),
    )
    assert made.alice_converted["Status"] == 3, made.alice_converted["ErrorDescription"]
    return made


def as_json(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def assert_api_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["Success"] is False
    assert body["StatusCode"] == status
    assert isinstance(body["Message"], str) and body["Message"]


# -- who may call ---------------------------------------------------------------------------------


def basic(raw: str) -> str:
    return "Basic " + base64.b64encode(raw.encode()).decode()


BAD_CREDENTIALS: dict[str, dict[str, str]] = {
    "none": {},
    "wrong-password": {"Authorization": basic("alice:wrong")},
    "unknown-user": {"Authorization": basic("mallory:bob-secret-pw")},
    "empty-password": {"Authorization": basic("bob:")},
    "other-users-password": {"Authorization": basic("bob:root-secret-pw")},
    "bearer": {"Authorization": "Bearer abc.def.ghi"},
    "not-base64": {"Authorization": "Basic ***"},
    "no-colon": {"Authorization": basic("bob")},
}

ROUTES: list[tuple[str, str]] = [
    ("GET", "/all"),
    ("GET", "/count"),
    ("POST", "/create"),
    ("POST", "/createtemplate"),
    ("GET", "/info/1"),
    ("GET", "/status/1"),
    ("POST", "/uploadext/1/tif"),
    ("DELETE", "/delete/1"),
    ("GET", "/download/1/pdf"),
    ("POST", "/query"),
    ("GET", "/templates"),
    ("GET", "/name"),
    ("GET", "/languages"),
]


def assert_401(response: httpx.Response) -> None:
    assert_api_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert "realm=" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("credentials", list(BAD_CREDENTIALS))
def test_missing_or_wrong_credentials_get_401(auth_server: Server, credentials: str) -> None:
    assert_401(auth_server.client.get("/test", headers=BAD_CREDENTIALS[credentials]))


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_action_requires_credentials(auth_server: Server, method: str, path: str) -> None:
    assert_401(auth_server.client.request(method, path, json={}))
    assert_401(auth_server.client.request(method, path, json={}, auth=("alice", "wrong")))


def test_refused_create_makes_no_job(auth_server: Server) -> None:
    before = as_json(auth_server.client.get("/count", auth=ROOT))
    assert_api_error(auth_server.client.post("/create", json={"Descr": "sneaky"}), 401)
    assert_api_error(auth_server.client.post("/create", json={"Descr": "sneaky"}, auth=("alice", "nope")), 401)
    assert as_json(auth_server.client.get("/count", auth=ROOT)) == before
    everything = as_json(auth_server.client.post("/query", json={}, auth=ROOT))
    assert all(job["Descr"] != "sneaky" for job in everything)


@pytest.mark.parametrize("auth", [ROOT, ALICE, BOB], ids=["root", "alice", "bob"])
def test_valid_credentials_are_accepted(auth_server: Server, auth: Auth) -> None:
    for _ in range(2):  # the second time from the server's cache of verified credentials
        assert as_json(auth_server.client.get("/test", auth=auth)) is True


# -- whose jobs -----------------------------------------------------------------------------------


def test_each_job_records_its_user_name(auth_server: Server, jobs: Jobs) -> None:
    assert jobs.alice_created["UserName"] == "alice"
    assert jobs.alice_template["UserName"] == "alice"
    assert jobs.alice_converted["UserName"] == "alice"
    assert jobs.bob_created["UserName"] == "bob"
    assert jobs.bob_template["UserName"] == "bob"
    assert jobs.root_created["UserName"] == "root"

    template_id = jobs.alice_template["Id"]
    own = as_json(auth_server.client.post(f"/createfromtemplate/{template_id}", auth=ALICE))
    assert (own["UserName"], own["TemplateId"], own["TxtOutput"]) == ("alice", template_id, True)
    # The admin may use alice's template; the new job is the admin's.
    admins = as_json(auth_server.client.post(f"/createfromtemplate/{template_id}", auth=ROOT))
    assert (admins["UserName"], admins["TemplateId"]) == ("root", template_id)
    assert as_json(auth_server.client.get(f"/info/{admins['Id']}", auth=ROOT))["UserName"] == "root"
    assert_api_error(auth_server.client.get(f"/info/{admins['Id']}", auth=ALICE), 404)

    # A client posting back the job it read cannot change the owner (UserName is read-only).
    posted = as_json(auth_server.client.post("/create", json={**jobs.bob_created, "Descr": "copy"}, auth=ALICE))
    assert posted["UserName"] == "alice"
    changed = as_json(auth_server.client.post(f"/setoptions/{posted['Id']}", json={"UserName": "bob"}, auth=ALICE))
    assert changed["UserName"] == "alice"


def other_users_requests(jobs: Jobs) -> dict[str, tuple[str, str, dict[str, Any]]]:
    created = jobs.alice_created["Id"]
    converted = jobs.alice_converted["Id"]
    template = jobs.alice_template["Id"]
    return {
        "info": ("GET", f"/info/{created}", {}),
        "status": ("GET", f"/status/{created}", {}),
        "info-converted": ("GET", f"/info/{converted}", {}),
        "setoptions": ("POST", f"/setoptions/{created}", {"json": {"Descr": "bob was here"}}),
        "setoptions-template": ("POST", f"/setoptions/{template}", {"json": {"Descr": "bob was here"}}),
        "upload": ("POST", f"/upload/{created}", {"content": b"II*\x00", "headers": {"Content-Type": "image/tiff"}}),
        "uploadext": ("POST", f"/uploadext/{created}/tif", {"content": b"II*\x00"}),
        "schedule": ("POST", f"/schedule/{created}", {}),
        "cancel": ("POST", f"/cancel/{created}", {}),
        "delete": ("DELETE", f"/delete/{created}", {}),
        "delete-post": ("POST", f"/delete/{converted}", {}),
        "delete-template": ("DELETE", f"/delete/{template}", {}),
        "download": ("GET", f"/download/{converted}/txt", {}),
        "download-status-route": ("GET", f"/status/{converted}/pdf", {}),
        "createfromtemplate": ("POST", f"/createfromtemplate/{template}", {}),
    }


ACTIONS = [
    "info",
    "status",
    "info-converted",
    "setoptions",
    "setoptions-template",
    "upload",
    "uploadext",
    "schedule",
    "cancel",
    "delete",
    "delete-post",
    "delete-template",
    "download",
    "download-status-route",
    "createfromtemplate",
]


@pytest.mark.parametrize("action", ACTIONS)
def test_another_users_job_is_not_found(auth_server: Server, jobs: Jobs, action: str) -> None:
    method, path, kwargs = other_users_requests(jobs)[action]
    before = {key: as_json(auth_server.client.get(f"/info/{job['Id']}", auth=ROOT)) for key, job in vars(jobs).items()}
    bob_count = as_json(auth_server.client.get("/count", auth=BOB))

    response = auth_server.client.request(method, path, auth=BOB, **kwargs)
    assert_api_error(response, 404)
    # Same answer as for an id that does not exist: nothing tells bob that alice's job is there.
    assert "alice" not in response.text

    after = {key: as_json(auth_server.client.get(f"/info/{job['Id']}", auth=ROOT)) for key, job in vars(jobs).items()}
    assert after == before, "the refused request changed a job"
    assert as_json(auth_server.client.get("/count", auth=BOB)) == bob_count
    assert stored_names(auth_server, f"jobs/{jobs.alice_created['Id']}/") == []  # bob's upload stored nothing
    assert stored_names(auth_server, f"jobs/{jobs.alice_converted['Id']}/runs/")  # nor did his delete delete


def test_a_normal_user_cannot_see_the_admins_jobs(auth_server: Server, jobs: Jobs) -> None:
    root_job = jobs.root_created["Id"]
    assert_api_error(auth_server.client.get(f"/info/{root_job}", auth=ALICE), 404)
    assert_api_error(auth_server.client.get(f"/status/{root_job}", auth=BOB), 404)
    assert_api_error(auth_server.client.delete(f"/delete/{root_job}", auth=BOB), 404)
    assert as_json(auth_server.client.get(f"/info/{root_job}", auth=ROOT))["UserName"] == "root"


def test_owner_uses_own_jobs(auth_server: Server, jobs: Jobs) -> None:
    converted = jobs.alice_converted["Id"]
    assert as_json(auth_server.client.get(f"/status/{converted}", auth=ALICE)) == 3
    text = auth_server.client.get(f"/download/{converted}/txt", auth=ALICE)
    assert text.status_code == 200
    assert "quick brown dog" in text.text
    info = as_json(auth_server.client.get(f"/info/{jobs.alice_template['Id']}", auth=ALICE))
    assert info["IsTemplate"] is True


def test_admin_sees_and_manages_other_users_jobs(auth_server: Server, jobs: Jobs, data: Path) -> None:
    converted = jobs.alice_converted["Id"]
    info = as_json(auth_server.client.get(f"/info/{converted}", auth=ROOT))
    assert (info["UserName"], info["Status"]) == ("alice", 3)
    assert as_json(auth_server.client.get(f"/status/{converted}", auth=ROOT)) == 3
    text = auth_server.client.get(f"/download/{converted}/txt", auth=ROOT)
    assert text.status_code == 200
    assert "quick brown dog" in text.text

    # A job of bob's, managed by the admin from start to end; it stays bob's.
    job = create(auth_server, BOB, Autostart=False)
    changed = as_json(auth_server.client.post(f"/setoptions/{job['Id']}", json={"Descr": "set by root"}, auth=ROOT))
    assert (changed["Descr"], changed["UserName"]) == ("set by root", "bob")
    uploaded = as_json(
        auth_server.client.post(
            f"/uploadext/{job['Id']}/tif", content=(data / "ocr-tesseract-test/phototest.tif").read_bytes(), auth=ROOT
        )
    )
    assert (uploaded["FileUploaded"], uploaded["UserName"]) == (True, "bob")
    scheduled = as_json(auth_server.client.post(f"/schedule/{job['Id']}", auth=ROOT))
    assert scheduled["Status"] in (1, 2, 3)
    finished = auth_server.wait(job["Id"], auth=ROOT)
    assert finished["Status"] == 3, finished["ErrorDescription"]
    assert finished["UserName"] == "bob"
    assert as_json(auth_server.client.get(f"/info/{job['Id']}", auth=BOB))["Descr"] == "set by root"

    deleted = as_json(auth_server.client.delete(f"/delete/{job['Id']}", auth=ROOT))
    assert deleted["Id"] == job["Id"]
    assert_api_error(auth_server.client.get(f"/info/{job['Id']}", auth=BOB), 404)
    assert_api_error(auth_server.client.get(f"/info/{job['Id']}", auth=ROOT), 404)

    # bob's template, changed by the admin.
    template = jobs.bob_template["Id"]
    renamed = as_json(auth_server.client.post(f"/setoptions/{template}", json={"PdfTitle": "by root"}, auth=ROOT))
    assert (renamed["PdfTitle"], renamed["UserName"]) == ("by root", "bob")


# -- listings -------------------------------------------------------------------------------------


def listing(server: Server, path: str, auth: Auth) -> list[dict[str, Any]]:
    result = as_json(server.client.get(path, auth=auth))
    assert isinstance(result, list)
    return result


def test_all_and_count_are_scoped_for_normal_users(auth_server: Server, jobs: Jobs) -> None:
    every = listing(auth_server, "/all", ROOT)
    assert {job["UserName"] for job in every} >= {"alice", "bob", "root"}
    assert not any(job["IsTemplate"] for job in every)
    every_ids = {job["Id"] for job in every}
    templates = {jobs.alice_template["Id"], jobs.bob_template["Id"]}
    assert (jobs.ids("alice") | jobs.ids("bob") | jobs.ids("root")) - templates <= every_ids
    assert as_json(auth_server.client.get("/count", auth=ROOT)) == len(every)

    counts = {}
    for auth in (ALICE, BOB):
        user = auth[0]
        own = listing(auth_server, "/all", auth)
        assert {job["UserName"] for job in own} == {user}
        own_ids = {job["Id"] for job in own}
        assert own_ids == {job["Id"] for job in every if job["UserName"] == user}
        assert jobs.ids(user) - templates <= own_ids
        counts[user] = as_json(auth_server.client.get("/count", auth=auth))
        assert counts[user] == len(own)
    assert counts["alice"] < len(every)


@pytest.mark.parametrize("status", [0, 3])
def test_allbystatus_is_scoped_for_normal_users(auth_server: Server, jobs: Jobs, status: int) -> None:
    every = listing(auth_server, f"/allbystatus/{status}", ROOT)
    assert {job["Status"] for job in every} <= {status}
    for auth in (ALICE, BOB):
        own = listing(auth_server, f"/allbystatus/{status}", auth)
        assert own == [job for job in every if job["UserName"] == auth[0]]
    alice_ids = {job["Id"] for job in listing(auth_server, f"/allbystatus/{status}", ALICE)}
    expected = jobs.alice_converted if status == 3 else jobs.alice_created
    assert expected["Id"] in alice_ids
    assert expected["Id"] in {job["Id"] for job in every}
    assert expected["Id"] not in {job["Id"] for job in listing(auth_server, f"/allbystatus/{status}", BOB)}


def test_templates_are_scoped_for_normal_users(auth_server: Server, jobs: Jobs) -> None:
    alice = listing(auth_server, "/templates", ALICE)
    bob = listing(auth_server, "/templates", BOB)
    every = listing(auth_server, "/templates", ROOT)
    assert [job["Id"] for job in alice] == [jobs.alice_template["Id"]]
    assert [job["Id"] for job in bob] == [jobs.bob_template["Id"]]
    assert {job["Id"] for job in every} == {jobs.alice_template["Id"], jobs.bob_template["Id"]}
    assert all(job["IsTemplate"] for job in every)


def query(server: Server, body: dict[str, Any], auth: Auth | None) -> list[dict[str, Any]]:
    result = as_json(server.client.post("/query", json=body, auth=auth))
    assert isinstance(result, list)
    return result


def test_query_is_scoped_for_normal_users(auth_server: Server, jobs: Jobs) -> None:
    everything = query(auth_server, {}, ROOT)
    assert {job["Id"] for job in everything} >= jobs.ids("alice") | jobs.ids("bob") | jobs.ids("root")

    for auth, other in ((ALICE, "bob"), (BOB, "alice")):
        user = auth[0]
        own = query(auth_server, {}, auth)
        assert own == [job for job in everything if job["UserName"] == user]
        assert jobs.ids(user) <= {job["Id"] for job in own}
        assert query(auth_server, {"UserName": user}, auth) == own
        assert query(auth_server, {"UserName": other}, auth) == []
        assert query(auth_server, {"username": other, "StatusList": [0, 1, 2, 3, 4]}, auth) == []
        assert query(auth_server, {"UserName": "root"}, auth) == []
        assert query(auth_server, {"IdList": sorted(jobs.ids(other))}, auth) == []
        templates = query(auth_server, {"IsTemplate": True}, auth)
        assert [job["Id"] for job in templates] == [getattr(jobs, f"{user}_template")["Id"]]

    # The admin sees every user's jobs and may ask for one user's.
    for user in ("alice", "bob", "root"):
        theirs = query(auth_server, {"UserName": user}, ROOT)
        assert theirs == [job for job in everything if job["UserName"] == user]
        assert jobs.ids(user) <= {job["Id"] for job in theirs}
    both = query(auth_server, {"IdList": [jobs.alice_created["Id"], jobs.bob_created["Id"]]}, ROOT)
    assert {job["Id"] for job in both} == {jobs.alice_created["Id"], jobs.bob_created["Id"]}


def test_runningcount_is_scoped_for_normal_users(auth_server: Server, jobs: Jobs, data: Path) -> None:
    # Six pages: a few seconds of Converting, even at the lowest resolution.
    job = auth_server.submit(data / "pdfs-ocrmypdf/multipage.pdf", auth=ALICE, RenderResolution=50, FastMode=True)
    deadline = time.monotonic() + 60
    while (status := as_json(auth_server.client.get(f"/status/{job['Id']}", auth=ALICE))) < 2:
        assert time.monotonic() < deadline, "the job was not started"
        time.sleep(0.05)
    assert status == 2, "the job finished before it could be seen converting"
    counts = {auth[0]: as_json(auth_server.client.get("/runningcount", auth=auth)) for auth in (ALICE, BOB, ROOT)}
    still = as_json(auth_server.client.get(f"/status/{job['Id']}", auth=ALICE))
    assert still == 2, "the job finished while counting; the counts are not conclusive"
    assert counts == {"alice": 1, "bob": 0, "root": 1}
    finished = auth_server.wait(job["Id"], auth=ALICE)
    assert finished["Status"] == 3, finished["ErrorDescription"]
    assert {auth[0]: as_json(auth_server.client.get("/runningcount", auth=auth)) for auth in (ALICE, ROOT)} == {
        "alice": 0,
        "root": 0,
    }


# -- managing users while the server runs ---------------------------------------------------------


def test_passwd_changes_the_password(auth_server: Server) -> None:
    carol = ("carol", "carol-first-pw")
    add_user(auth_server, carol)
    assert as_json(auth_server.client.get("/test", auth=carol)) is True  # now cached by the server
    job = create(auth_server, carol)
    for _ in range(3):  # polled through the fast path, credentials and row cached
        assert as_json(auth_server.client.get(f"/status/{job['Id']}", auth=carol)) == 0

    result = auth_server.ocrmill("users", "passwd", "carol", "--password-stdin", input="carol-second-pw\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "password of carol changed\n"

    assert_api_error(auth_server.client.get("/test", auth=carol), 401)
    assert_api_error(auth_server.client.get(f"/status/{job['Id']}", auth=carol), 401)
    assert_api_error(auth_server.client.get(f"/info/{job['Id']}", auth=carol), 401)
    assert as_json(auth_server.client.get("/test", auth=("carol", "carol-second-pw"))) is True
    assert as_json(auth_server.client.get(f"/status/{job['Id']}", auth=("carol", "carol-second-pw"))) == 0


def test_removed_user_is_refused(auth_server: Server) -> None:
    dave = ("dave", "dave-secret-pw")
    add_user(auth_server, dave, admin=True)
    job = create(auth_server, dave)
    assert job["UserName"] == "dave"
    assert as_json(auth_server.client.get(f"/info/{job['Id']}", auth=dave))["Id"] == job["Id"]

    result = auth_server.ocrmill("users", "remove", "dave")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "removed user dave\n"

    for path in ("/test", f"/info/{job['Id']}", "/all"):
        response = auth_server.client.get(path, auth=dave)
        assert_api_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Basic ")

    # Added again with another password: only the new password works.
    add_user(auth_server, ("dave", "dave-new-secret"))
    assert_api_error(auth_server.client.get("/test", auth=dave), 401)
    assert as_json(auth_server.client.get("/test", auth=("dave", "dave-new-secret"))) is True


# -- authentication off ---------------------------------------------------------------------------


def test_without_authentication_user_name_is_empty(make_server: MakeServer) -> None:
    server = make_server(start=False).start("--no-workers")

    plain = create(server, None)
    assert plain["UserName"] == ""
    with_credentials = create(server, ALICE)
    assert with_credentials["UserName"] == ""
    wrong = server.client.post("/create", json={}, auth=("nobody", "wrong"))
    assert wrong.status_code == 200, wrong.text
    assert wrong.json()["UserName"] == ""
    template = create(server, None, template=True)
    assert template["UserName"] == ""

    everything = query(server, {}, None)
    assert {job["UserName"] for job in everything} == {""}
    assert len(everything) == 4
    assert "WWW-Authenticate" not in server.client.get("/test").headers
