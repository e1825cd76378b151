"""Failed sign-ins over real HTTP: refused with 429 and Retry-After after too many, from that address only, and the
right password works again once the lock-out has passed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.harness import Server, running

ALICE = ("alice", "alice-secret-password")
WRONG = ("alice", "not-alices-password")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"OCRMILL_AUTH": "true", "OCRMILL_AUTH_FAILURES_ALLOWED": "3", "OCRMILL_AUTH_LOCKOUT_SECONDS": "2"}
    with running(Server(tmp_path_factory.mktemp("throttle"), env=env), "--no-workers") as srv:
        srv.add_user(*ALICE)
        srv.add_user("bob", "bob-secret-password")
        yield srv


def client_from(server: Server, address: str) -> httpx.Client:
    """A client whose requests come from `address` (any of 127.0.0.0/8 reaches the server)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}", transport=transport, timeout=60)


def retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    return int(response.headers["Retry-After"])


def test_failures_are_refused_with_429_then_the_right_password_works_after_the_lockout(server: Server) -> None:
    with client_from(server, "127.0.0.11") as client:
        codes = [client.get("/api/ocrjobs/test", auth=WRONG).status_code for _ in range(3)]
        assert codes == [401, 401, 401]
        refused = client.get("/api/ocrjobs/test", auth=WRONG)
        wait = retry_after(refused)
        assert 1 <= wait <= 2
        assert refused.json()["StatusCode"] == 429 and "try again in" in refused.json()["Message"]
        # while refused even the right password is not verified: it would tell a guesser that the guess is right
        assert retry_after(client.get("/api/ocrjobs/test", auth=ALICE)) >= 1
        # every API refuses it, in its own error body (the console signs in through /console/me)
        assert retry_after(client.get("/api/console/me", auth=ALICE)) >= 1
        invoices = client.get("/api/v1/ocr-invoice-jobs", auth=ALICE)
        assert retry_after(invoices) >= 1 and invoices.json()["error"]["code"] == "too_many_requests"
        time.sleep(wait)
        assert client.get("/api/ocrjobs/test", auth=ALICE).status_code == 200
        assert client.get("/api/console/me", auth=ALICE).json()["name"] == "alice"


def test_another_address_is_not_refused_for_one_addresss_failures(server: Server) -> None:
    with client_from(server, "127.0.0.12") as attacker, client_from(server, "127.0.0.13") as honest:
        codes = [attacker.get("/api/ocrjobs/test", auth=WRONG).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        assert honest.get("/api/ocrjobs/test", auth=ALICE).status_code == 200
        assert honest.get("/api/ocrjobs/test", auth=WRONG).status_code == 401  # counted there, not refused
        # and from the attacker's address another user is not refused either
        assert attacker.get("/api/ocrjobs/test", auth=("bob", "bob-secret-password")).status_code == 200


def test_requests_without_credentials_still_get_401_from_a_refused_address(server: Server) -> None:
    with client_from(server, "127.0.0.14") as client:
        for _ in range(3):
            client.get("/api/ocrjobs/test", auth=WRONG)
        assert client.get("/api/ocrjobs/test", auth=WRONG).status_code == 429
        assert client.get("/api/ocrjobs/test").status_code == 401  # no sign-in tried: nothing to refuse
        assert client.get("/healthz").status_code == 200
