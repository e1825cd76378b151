"""API tokens (issue 17.3) over real HTTP with authentication on: made with Basic or the CLI, sent as
`Authorization: Bearer`, listed without their secret, revoked, expiring, read-only; kept as a sha256."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.harness import Server, running

ALICE = ("alice", "alice-secret-password")
BOB = ("bob", "bob-secret-password")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("tokens"), env={"OCRMILL_AUTH": "true", "OCRMILL_JOBS_THREADS": "1"})
    with running(server):
        server.add_user(*ALICE)
        server.add_user(*BOB)
        yield server


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}/api", timeout=60) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_token(client: httpx.Client, name: str, **body: Any) -> dict[str, Any]:
    answer = client.post("/console/tokens", json={"name": name, **body}, auth=ALICE)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def database(server: Server) -> sqlite3.Connection:
    return sqlite3.connect(server.data_dir / "ocrmill.db")


def test_lifecycle(client: httpx.Client) -> None:
    made = new_token(client, "scanner")
    secret = made["token"]
    assert secret.startswith("ocm_") and len(secret) > 40
    assert made["readOnly"] is False and made["expires"] is None

    # the same rights as alice on the ownOCR job API, the console API and the invoice API
    job = client.post("/ocrjobs/create", json={"Autostart": False}, headers=bearer(secret))
    assert job.status_code == 200, job.text
    assert job.json()["UserName"] == "alice"
    assert client.get(f"/ocrjobs/info/{job.json()['Id']}", headers=bearer(secret)).status_code == 200
    assert client.get("/console/me", headers=bearer(secret)).json()["name"] == "alice"
    assert client.get("/v1/ocr-invoice-jobs", headers=bearer(secret)).status_code == 200
    # Basic keeps working beside it (ownOCR clients)
    assert client.get(f"/ocrjobs/info/{job.json()['Id']}", auth=ALICE).status_code == 200

    listed = client.get("/console/tokens", headers=bearer(secret))
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()] == ["scanner"]
    assert "token" not in listed.json()[0] and secret not in listed.text
    assert client.get("/console/tokens", auth=BOB).json() == []  # bob sees only his own
    assert client.delete("/console/tokens/scanner", auth=BOB).status_code == 404  # and cannot revoke alice's

    assert client.post("/console/tokens", json={"name": "scanner"}, auth=ALICE).status_code == 409
    revoked = client.delete("/console/tokens/scanner", auth=ALICE)
    assert revoked.status_code == 200, revoked.text
    refused = client.get("/console/me", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.json()["Success"] is False
    assert client.post("/ocrjobs/create", json={}, headers=bearer(secret)).status_code == 401
    assert client.get("/console/tokens", auth=ALICE).json() == []


def test_read_only(client: httpx.Client) -> None:
    secret = new_token(client, "monitor", readOnly=True)["token"]
    assert client.get("/console/me", headers=bearer(secret)).status_code == 200
    assert client.get("/console/tokens", headers=bearer(secret)).status_code == 200
    for write in (
        client.post("/ocrjobs/create", json={}, headers=bearer(secret)),
        client.post("/console/tokens", json={"name": "more"}, headers=bearer(secret)),
        client.delete("/console/tokens/monitor", headers=bearer(secret)),
    ):
        assert write.status_code == 403, write.text
        assert "read-only" in write.json()["Message"]
    assert [t["readOnly"] for t in client.get("/console/tokens", auth=ALICE).json()] == [True]
    assert client.delete("/console/tokens/monitor", auth=ALICE).status_code == 200


def test_expired(server: Server, client: httpx.Client) -> None:
    made = new_token(client, "short", expiresDays=1)
    secret = made["token"]
    assert datetime.fromisoformat(made["expires"]) > datetime.now(UTC) + timedelta(hours=23)
    assert client.get("/console/me", headers=bearer(secret)).status_code == 200
    with database(server) as db:  # a day later
        db.execute("UPDATE api_tokens SET expires = ? WHERE name = 'short'", ("2000-01-01 00:00:00.000000",))
    assert client.get("/console/me", headers=bearer(secret)).status_code == 401
    assert client.get("/console/tokens", auth=ALICE).json()[0]["expired"] is True
    assert client.delete("/console/tokens/short", auth=ALICE).status_code == 200


def test_stored_hashed(server: Server, client: httpx.Client) -> None:
    secret = new_token(client, "hashed")["token"]
    with database(server) as db:
        rows = db.execute("SELECT * FROM api_tokens WHERE name = 'hashed'").fetchall()
    assert len(rows) == 1
    assert hashlib.sha256(secret.encode()).hexdigest() in rows[0]
    assert not any(secret in str(value) for value in rows[0])
    assert secret.encode() not in b"".join(p.read_bytes() for p in server.data_dir.glob("ocrmill.db*"))
    assert client.delete("/console/tokens/hashed", auth=ALICE).status_code == 200


def test_wrong_token_is_a_failed_sign_in(server: Server, client: httpx.Client) -> None:
    for token in ("ocm_not-a-token", "ocm_" + "A" * 43):
        answer = client.get("/console/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
    assert "failed sign-in with an API token from 127.0.0.1: unknown or revoked token" in server.log.read_text()


def test_cli(server: Server, client: httpx.Client) -> None:
    added = server.ocrmill("tokens", "add", "backup-script", "--user", "bob", "--read-only", "--expires", "7")
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip()
    assert "not shown again" in added.stderr
    assert client.get("/console/me", headers=bearer(secret)).json()["name"] == "bob"
    assert client.post("/ocrjobs/create", json={}, headers=bearer(secret)).status_code == 403
    listed = server.ocrmill("tokens", "list", "--user", "bob")
    assert listed.stdout.startswith("backup-script\tread-only\texpires ") and secret not in listed.stdout
    assert server.ocrmill("tokens", "revoke", "backup-script", "--user", "bob").returncode == 0
    assert client.get("/console/me", headers=bearer(secret)).status_code == 401
    again = server.ocrmill("tokens", "revoke", "backup-script", "--user", "bob")
    assert again.returncode == 2 and "no token named 'backup-script'" in again.stderr
    assert server.ocrmill("tokens", "list", "--user", "nobody").returncode == 2


def test_removed_user_loses_tokens(server: Server, client: httpx.Client) -> None:
    server.add_user("carol", "carol-secret-password")
    secret = client.post("/console/tokens", json={"name": "t"}, auth=("carol", "carol-secret-password")).json()["token"]
    assert server.ocrmill("users", "remove", "carol").returncode == 0
    assert client.get("/console/me", headers=bearer(secret)).status_code == 401
    with database(server) as db:
        assert db.execute("SELECT count(*) FROM api_tokens WHERE user_name = 'carol'").fetchone() == (0,)
