"""Webhooks (issue 19.1) over HTTP: a real server delivers to a real receiver on 127.0.0.1 (named in fetch_allow),
signed; failed attempts are retried with back-off and each is listed; a server killed between the status change and
the delivery delivers after its restart; private targets are refused at registration."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from ocrmill.service.webhooks import enqueue
from ocrmill.store.db import Database
from tests.harness import OCRMILL, PHOTOTEST, Postgres, Server
from tests.invoice_api import text_png, upload, v1
from tests.webhook_receiver import receiver, verified

pytestmark = pytest.mark.paired  # its jobs' files: on the data folder (sqlite) and on S3 (postgres-s3)

MakeServer = Callable[..., Server]
SECRET = "test-secret-0123456789abcdef"
QUICK = {
    "OCRMILL_FETCH_ALLOW": '["127.0.0.1"]',
    "OCRMILL_WEBHOOK_POLL_SECONDS": "0.1",
    "OCRMILL_WEBHOOK_RETRY_SECONDS": "0.3",  # the back-off's base: 0.3 s, 0.6 s, ...
}


def api(server: Server) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}/api", timeout=30)


def deliveries(server: Server, **params: Any) -> list[dict[str, Any]]:
    answer = api(server).get("webhooks/deliveries", params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["deliveries"])


def wait_state(server: Server, delivery_id: str, state: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = api(server).get(f"webhooks/deliveries/{delivery_id}").json()
        if found["state"] == state:
            return dict(found)
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


# on PostgreSQL in the slow run only: the back-off test below verifies signatures there too
@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
def test_a_converted_job_is_delivered_signed(make_server: MakeServer, database: str) -> None:
    server = make_server(env=QUICK, database=database)
    with receiver() as hook:
        added = api(server).post("webhooks", json={"url": hook.url, "secret": SECRET, "events": ["job.converted"]})
        assert added.status_code == 201, added.text
        assert added.json()["secret"] == SECRET and "secret" not in api(server).get("webhooks").json()[0]
        job = server.submit(PHOTOTEST, TxtOutput=True)
        assert server.wait(job["Id"])["Status"] == 3
        body = verified(SECRET, hook.wait_for(1)[0])
    assert body["event"] == "job.converted" and body["jobId"] == job["Id"]
    assert body["job"]["Id"] == job["Id"] and body["job"]["Status"] == 3 and body["job"]["Guid"] == job["Guid"]
    shown = wait_state(server, body["deliveryId"], "delivered")
    assert [a["statusCode"] for a in shown["attempts"]] == [200] and shown["body"] == body
    assert shown["webhookId"] == added.json()["id"] and shown["jobId"] == str(job["Id"])


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_500_twice_then_200_is_three_attempts_and_send_again_a_fourth(make_server: MakeServer, database: str) -> None:
    server = make_server(env=QUICK, database=database)
    with receiver(script=[500, 500]) as hook:
        assert api(server).post("webhooks", json={"url": hook.url, "secret": SECRET}).status_code == 201
        job = server.submit(PHOTOTEST, TxtOutput=True)
        server.wait(job["Id"])
        got = hook.wait_for(3)
        ids = {verified(SECRET, r)["deliveryId"] for r in got}
        assert len(ids) == 1  # one delivery, tried three times
        (delivery_id,) = ids
        shown = wait_state(server, delivery_id, "delivered")
        assert [a["statusCode"] for a in shown["attempts"]] == [500, 500, 200]
        assert "HTTP 500" in shown["attempts"][0]["error"] and shown["attempts"][2]["error"] == ""
        # exponential back-off: 0.3 s, then 0.6 s
        assert got[1].at - got[0].at >= 0.25 and got[2].at - got[1].at >= 0.55
        time.sleep(1)
        assert len(hook.received) == 3  # nothing more once delivered
        again = api(server).post(f"webhooks/deliveries/{delivery_id}/resend")
        assert again.status_code == 200 and again.json()["state"] == "pending"
        fourth = hook.wait_for(4)[3]
        assert verified(SECRET, fourth)["deliveryId"] == delivery_id
        assert len(wait_state(server, delivery_id, "delivered")["attempts"]) == 4
        listed = deliveries(server, job=str(job["Id"]))
        assert [d["id"] for d in listed] == [delivery_id] and listed[0]["event"] == "job.converted"


def kill_tree(server: Server) -> None:
    """SIGKILL the server and every process under it, as a power cut would."""
    assert server.process is not None
    tree = [psutil.Process(server.process.pid), *psutil.Process(server.process.pid).children(recursive=True)]
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            os.kill(process.pid, signal.SIGKILL)
    psutil.wait_procs(tree, timeout=10)
    server.process.wait(10)
    server.process = None


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_server_killed_before_sending_delivers_after_restart(make_server: MakeServer, database: str) -> None:
    # no sender in the first run: the status change and its delivery are committed, the sending never starts
    server = make_server(env=QUICK | {"OCRMILL_WEBHOOK_SENDERS": "0"}, database=database)
    with receiver() as hook:
        assert api(server).post("webhooks", json={"url": hook.url, "secret": SECRET}).status_code == 201
        job = server.submit(PHOTOTEST, TxtOutput=True, CallbackUrl=hook.url + "&job=1")
        server.wait(job["Id"])
        waiting = deliveries(server)
        assert len(waiting) == 2 and {d["state"] for d in waiting} == {"pending"}
        assert all(d["attempts"] == [] for d in waiting)
        kill_tree(server)
        time.sleep(0.5)
        assert hook.received == []
        server.env = server.env | {"OCRMILL_WEBHOOK_SENDERS": "1"}
        server.start()
        got = hook.wait_for(2)
        time.sleep(1)
        assert len(hook.received) == 2  # each once
        secret = api(server).get("webhooks/callback-secret").json()["secret"]
        by_path = {r.headers.get("ocrmill-delivery"): r for r in got}
        assert set(by_path) == {d["id"] for d in waiting}
        for d in waiting:
            body = verified(SECRET if d["webhookId"] else secret, by_path[d["id"]])
            assert body["event"] == "job.converted" and body["jobId"] == job["Id"]
        assert {wait_state(server, d["id"], "delivered")["state"] for d in waiting} == {"delivered"}


def test_private_targets_are_refused_at_registration(make_server: MakeServer) -> None:
    server = make_server(env=QUICK)
    hooks = api(server)
    for url, reason in [
        ("http://10.1.2.3/hook", "a private address"),
        ("http://169.254.169.254/latest/meta-data", "a link-local address"),
        ("http://[::1]:8080/", "a loopback address"),
        ("https://192.168.0.10/", "a private address"),
        ("http://[::ffff:10.0.0.1]/", "private"),
    ]:
        answer = hooks.post("webhooks", json={"url": url})
        assert answer.status_code == 400 and reason in answer.json()["Message"], (url, answer.text)
    for url in ["ftp://example.com/", "http:///nohost", "file:///etc/passwd"]:
        assert hooks.post("webhooks", json={"url": url}).status_code == 400, url
    assert hooks.post("webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["job.done"]}).status_code == 400
    assert hooks.get("webhooks").json() == []
    created = server.client.post("/create", json={"CallbackUrl": "http://10.0.0.7/hook"})
    assert created.status_code == 400 and "CallbackUrl" in created.json()["Message"], created.text
    allowed = server.client.post("/create", json={"CallbackUrl": "http://127.0.0.1:9/hook"})
    assert allowed.status_code == 200 and allowed.json()["CallbackUrl"] == "http://127.0.0.1:9/hook"


def test_a_refused_target_at_send_time_fails_without_retrying(make_server: MakeServer, tmp_path: Path) -> None:
    """Checked again when sent: here fetch_allow no longer names the receiver when the delivery is made."""
    server = make_server(env=QUICK)
    with receiver() as hook:
        assert api(server).post("webhooks", json={"url": hook.url}).status_code == 201
        server.stop()
        server.env = server.env | {"OCRMILL_FETCH_ALLOW": "[]"}
        server.start()
        job = server.submit(PHOTOTEST, TxtOutput=True)
        server.wait(job["Id"])
        (delivery,) = deliveries(server)
        shown = wait_state(server, delivery["id"], "failed")
        assert len(shown["attempts"]) == 1 and "loopback" in shown["attempts"][0]["error"]
        assert hook.received == []


def test_users_see_their_own_webhooks_and_deliveries(make_server: MakeServer) -> None:
    server = make_server(env=QUICK | {"OCRMILL_AUTH": "true"}, start=False)
    server.add_user("admin", "a-long-enough-password", admin=True)
    server.add_user("alice", "alices-long-password")
    server.add_user("bob", "bobs-long-enough-password")
    server.start()
    alice, bob = ("alice", "alices-long-password"), ("bob", "bobs-long-enough-password")
    admin = ("admin", "a-long-enough-password")
    hooks = api(server)
    with receiver() as hook:
        mine = hooks.post("webhooks", json={"url": hook.url, "secret": SECRET}, auth=alice)
        assert mine.status_code == 201
        assert hooks.post("webhooks", json={"url": hook.url, "allUsers": True}, auth=alice).status_code == 403
        everyone = hooks.post("webhooks", json={"url": hook.url, "allUsers": True}, auth=admin)
        assert everyone.status_code == 201
        assert hooks.get(f"webhooks/{mine.json()['id']}", auth=bob).status_code == 404
        assert hooks.delete(f"webhooks/{mine.json()['id']}", auth=bob).status_code == 404
        assert [h["id"] for h in hooks.get("webhooks", auth=alice).json()] == [mine.json()["id"]]
        job = server.submit(PHOTOTEST, auth=alice, TxtOutput=True)
        server.wait(job["Id"], auth=alice)
        hook.wait_for(2)  # alice's endpoint and the admin's all-users one
        seen = hooks.get("webhooks/deliveries", auth=alice).json()
        assert seen["total"] == 1 and seen["deliveries"][0]["webhookId"] == mine.json()["id"]
        assert hooks.get("webhooks/deliveries", auth=bob).json()["total"] == 0
        other = hooks.get(f"webhooks/deliveries/{seen['deliveries'][0]['id']}", auth=bob)
        assert other.status_code == 404
        assert (
            hooks.get("webhooks/callback-secret", auth=alice).json()
            != hooks.get("webhooks/callback-secret", auth=bob).json()
        )
        assert hooks.delete(f"webhooks/{mine.json()['id']}", auth=alice).status_code == 200
        assert hooks.get("webhooks/deliveries", auth=alice).json()["total"] == 0


def test_the_cli_manages_webhooks_and_shows_deliveries(make_server: MakeServer) -> None:
    server = make_server(env=QUICK, start=False)
    refused = server.ocrmill("webhooks", "add", "http://192.168.1.20/hook")
    assert refused.returncode == 2 and "private address" in refused.stderr
    with receiver() as hook:
        added = server.ocrmill("webhooks", "add", hook.url, "--event", "job.converted", "--description", "ci")
        assert added.returncode == 0, added.stderr
        secret = added.stdout.strip()
        assert secret.startswith("whsec_") and "added webhook 1" in added.stderr
        listed = server.ocrmill("webhooks", "list").stdout.splitlines()
        assert listed == [f"1\t{hook.url}\t-\tjob.converted\tci"]
        server.start()
        job = server.submit(PHOTOTEST, TxtOutput=True)
        server.wait(job["Id"])
        body = verified(secret, hook.wait_for(1)[0])
        wait_state(server, body["deliveryId"], "delivered")
        shown = server.ocrmill("webhooks", "deliveries", "--job", str(job["Id"]))
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.split("\t")[:5] == [
            body["deliveryId"],
            "job.converted",
            f"job {job['Id']}",
            "delivered",
            "attempts: 200",
        ]
        assert server.ocrmill("webhooks", "resend", body["deliveryId"]).returncode == 0
        assert verified(secret, hook.wait_for(2)[1])["deliveryId"] == body["deliveryId"]
        assert server.ocrmill("webhooks", "resend", "no-such-delivery").returncode == 2
        assert server.ocrmill("webhooks", "remove", "1").stdout.strip() == "removed webhook 1"
        assert server.ocrmill("webhooks", "list").stdout == ""


def test_invoice_jobs_and_folder_files_are_delivered(make_server: MakeServer, tmp_path: Path) -> None:
    folder_id = "6f1c1f6e-4c1e-4d55-9d1e-1b1c2f7e0a01"
    config = tmp_path / "ocrmill.toml"
    config.write_text(
        f'[[folders]]\nid = "{folder_id}"\ndescription = "Scans"\ninput = "{tmp_path / "in"}"\n'
        f'output = "{tmp_path / "out"}"\noptions = {{ TxtOutput = true }}\n',
        encoding="utf-8",
    )
    fast = {"OCRMILL_FOLDER_STABLE_SECONDS": "0.5", "OCRMILL_FOLDER_POLL_SECONDS": "0.3"}
    server = make_server(env=QUICK | fast | {"OCRMILL_CONFIG": str(config)})
    events = ["invoice_job.completed", "invoice_job.failed", "folder.file_done"]
    with receiver() as hook:
        added = api(server).post("webhooks", json={"url": hook.url, "secret": SECRET, "events": events})
        assert added.status_code == 201
        good = upload(v1(server), ("a.png", text_png(["Invoice 1", "Total 12.50"]), "image/png"))
        bad = upload(v1(server), ("b.pdf", b"%PDF-1.4\nthis is no PDF", "application/pdf"))
        shutil.copyfile(PHOTOTEST, tmp_path / "in" / "scan 7.tif")
        bodies = [verified(SECRET, r) for r in hook.wait_for(3)]
        time.sleep(1)
        assert len(hook.received) == 3  # once each, and nothing for the events not asked for
    by_event = {b["event"]: b for b in bodies}
    assert set(by_event) == set(events)
    completed, failed = by_event["invoice_job.completed"], by_event["invoice_job.failed"]
    assert completed["jobId"] == good["_id"] and completed["job"]["status"] == "completed"
    assert completed["job"]["_id"] == good["_id"] and "_task" not in completed["job"]
    assert failed["jobId"] == bad["_id"] and failed["job"]["status"] == "failed" and failed["job"]["errorLog"]
    folder = by_event["folder.file_done"]
    assert folder["folder"] == {
        "id": folder_id, "description": "Scans", "fileName": "scan 7.tif", "success": True, "error": ""
    }  # fmt: skip
    assert folder["job"]["Status"] == 3 and folder["jobId"] == folder["job"]["Id"]
    assert (tmp_path / "out" / "scan 7.txt").exists()


@pytest.mark.slow
def test_finished_deliveries_go_with_the_retention_and_pending_ones_stay(make_server: MakeServer) -> None:
    # a "day" of 1 s, jobs kept 3 days, the sweep every ~1 s
    retention = {"OCRMILL_RETENTION_DAY_SECONDS": "1", "OCRMILL_MAX_RETENTION_DAYS": "3"}
    server = make_server(env=QUICK | retention | {"OCRMILL_RETENTION_CHECK_HOURS": "0.0003"})
    with receiver() as ok, receiver(script=[500] * 1000) as failing:
        for url in (ok.url, failing.url):
            assert api(server).post("webhooks", json={"url": url}).status_code == 201
        job = server.submit(PHOTOTEST, TxtOutput=True)
        server.wait(job["Id"])
        ok.wait_for(1)
        failing.wait_for(2)
        sent, retrying = sorted(deliveries(server), key=lambda d: d["url"] != ok.url)
        wait_state(server, sent["id"], "delivered")
        deadline = time.monotonic() + 30
        while api(server).get(f"webhooks/deliveries/{sent['id']}").status_code != 404:
            assert time.monotonic() < deadline, "the delivered delivery was not swept"
            time.sleep(0.3)
        still = api(server).get(f"webhooks/deliveries/{retrying['id']}").json()
        assert still["state"] == "pending" and len(still["attempts"]) >= 2


@pytest.mark.postgres
def test_senders_on_several_machines_send_each_delivery_once(postgres: Postgres, tmp_path: Path) -> None:
    """Two `ocrmill worker` processes of three sender threads each take from one outbox (SKIP LOCKED)."""
    env = QUICK | {"OCRMILL_JOBS_THREADS": "1", "OCRMILL_WEBHOOK_SENDERS": "3"}
    server = Server(tmp_path / "api", database_url=postgres.new_database(), env=env)
    server.start("--no-workers")  # the API sends nothing itself
    logs = [tmp_path / f"worker{n}.log" for n in range(2)]
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with receiver(delay=0.01) as hook:
            assert api(server).post("webhooks", json={"url": hook.url, "secret": SECRET}).status_code == 201
            db = Database(server.env["OCRMILL_DATABASE_URL"])
            with db.write() as session:  # 120 deliveries at once, as 120 jobs ending together would make
                for n in range(120):
                    enqueue(session=session, event="job.converted", user_name="", job_id=n, document={"Id": n})
            db.dispose()
            for log in logs:
                with log.open("wb") as out:
                    workers.append(subprocess.Popen([OCRMILL, "worker"], env=server.env, stdout=out, stderr=out))
            hook.wait_for(120)
            time.sleep(1.5)
            ids = [verified(SECRET, r)["deliveryId"] for r in hook.received]
        assert len(ids) == len(set(ids)) == 120
        sent = [log.read_text().count("HTTP 200") for log in logs]
        assert sum(sent) == 120 and min(sent) > 0, sent  # both machines took part
        assert {d["state"] for d in deliveries(server, limit=100)} == {"delivered"}
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
        server.stop()


def test_an_invoice_jobs_callback_url_gets_its_end(make_server: MakeServer) -> None:
    server = make_server(env=QUICK)
    invoices = v1(server)
    refused = invoices.post("/ocr-invoice-jobs", json={"callbackUrl": "http://10.9.8.7/hook"})
    assert refused.status_code == 422 and "callbackUrl: refused" in refused.json()["error"]["message"], refused.text
    with receiver() as hook:
        png = text_png(["Invoice 2", "Total 3.00"])
        job = upload(invoices, ("a.png", png, "image/png"), callbackUrl=hook.url, name="with a callback")
        assert job["callbackUrl"] == hook.url
        secret = api(server).get("webhooks/callback-secret").json()["secret"]
        body = verified(secret, hook.wait_for(1)[0])
    assert body["event"] == "invoice_job.completed" and body["jobId"] == job["_id"]
    assert body["job"]["callbackUrl"] == hook.url and body["job"]["name"] == "with a callback"
    kept = invoices.put(f"/ocr-invoice-jobs/{job['_id']}", json={"name": "renamed"}).json()["data"]
    assert "callbackUrl" not in kept  # a PUT replaces: without it, the job has none
