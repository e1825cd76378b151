"""Secure by default: no open server by accident, a first admin, long passwords, failed sign-ins logged."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx

from tests.harness import OCRMILL, Server, running

REFUSAL = "Refusing to serve without authentication on a network address"


def serve_briefly(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    """`ocrmill serve` expected to refuse, so to end by itself (a server that starts would time out here)."""
    return subprocess.run([OCRMILL, "serve", *args], env=server.env, capture_output=True, text=True, timeout=60)


def test_serving_on_a_network_address_without_auth_is_refused_saying_why(tmp_path: Path) -> None:
    server = Server(tmp_path)
    refused = serve_briefly(server, "--host", "0.0.0.0")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith(f"ocrmill: {REFUSAL}"), refused.stderr
    assert "add an admin" in refused.stderr and "--insecure-no-auth" in refused.stderr
    assert "ocrmill serving" not in refused.stdout

    by_setting = Server(tmp_path / "env", env={"OCRMILL_HOST": "192.0.2.1"})  # the host from the environment too
    refused = serve_briefly(by_setting)
    assert refused.returncode == 2 and REFUSAL in refused.stderr, refused.stderr


def test_insecure_no_auth_serves_on_a_network_address_with_a_warning(tmp_path: Path) -> None:
    with running(Server(tmp_path / "flag"), "--host", "0.0.0.0", "--insecure-no-auth") as server:
        assert server.client.get("/test").json() is True  # no credentials needed: authentication is off
    assert "serving on 0.0.0.0 without authentication (insecure_no_auth)" in server.log.read_text()

    env = {"OCRMILL_HOST": "0.0.0.0", "OCRMILL_INSECURE_NO_AUTH": "true"}
    with running(Server(tmp_path / "setting", env=env)) as server:
        assert server.client.get("/test").json() is True


def test_first_start_with_auth_adds_an_admin_whose_password_is_logged_once(tmp_path: Path) -> None:
    server = Server(tmp_path, env={"OCRMILL_AUTH": "true"})
    with running(server):
        found = re.search(
            r"added the administrator 'admin' with the password (\S+) \(shown only this once", server.log.read_text()
        )
        assert found, server.log.read_text()
        password = found.group(1)
        assert len(password) >= 12
        assert server.client.get("/test", auth=("admin", password)).json() is True
    with running(server):  # the admin exists now: nothing is added, nothing logged
        assert server.client.get("/test", auth=("admin", password)).json() is True
    log = server.log.read_text()
    assert log.count(password) == 1
    assert log.count("added the administrator") == 1
    assert server.ocrmill("users", "list").stdout == "admin\tadmin\n"


def test_the_first_admin_takes_its_password_from_the_environment(tmp_path: Path) -> None:
    short = Server(tmp_path / "short", env={"OCRMILL_AUTH": "true", "OCRMILL_ADMIN_PASSWORD": "elevenchars"})
    refused = serve_briefly(short)
    assert refused.returncode == 2
    # named as the operator set it (compose's .env, the unit's EnvironmentFile), not as a form's field
    assert refused.stderr.strip() == "ocrmill: OCRMILL_ADMIN_PASSWORD: must be at least 12 characters long (got 11)."

    chosen = "chosen-admin-password"
    with running(Server(tmp_path / "ok", env={"OCRMILL_AUTH": "true", "OCRMILL_ADMIN_PASSWORD": chosen})) as server:
        assert server.client.get("/test", auth=("admin", chosen)).json() is True
    log = server.log.read_text()
    assert "added the administrator 'admin' with the password of OCRMILL_ADMIN_PASSWORD" in log
    assert chosen not in log


def test_short_passwords_are_refused_and_failed_sign_ins_logged_without_the_password(tmp_path: Path) -> None:
    admin = ("admin", "chosen-admin-password")
    server = Server(tmp_path, env={"OCRMILL_AUTH": "true", "OCRMILL_ADMIN_PASSWORD": admin[1]})
    with running(server):
        users = httpx.Client(base_url=f"http://127.0.0.1:{server.port}/api/console", auth=admin, timeout=60)
        short = users.post("/users", json={"name": "eve", "password": "elevenchars"})
        assert short.status_code == 400, short.text
        assert "at least 12 characters" in short.text
        assert users.post("/users", json={"name": "eve", "password": "twelve-chars"}).status_code == 201
        assert users.put("/users/eve/password", json={"password": "short"}).status_code == 400
        assert server.client.get("/test", auth=("eve", "twelve-chars")).json() is True  # unchanged

        cli = server.ocrmill("users", "passwd", "eve", "--password-stdin", input="elevenchars\n")
        assert cli.returncode == 2 and "at least 12 characters" in cli.stderr

        for auth in (("eve", "wrong-password-1"), ("mallory", "wrong-password-2")):
            assert server.client.get("/test", auth=auth).status_code == 401
    log = server.log.read_text()
    assert "failed sign-in of user 'eve' from 127.0.0.1: wrong password" in log
    assert "failed sign-in of unknown user 'mallory' from 127.0.0.1" in log
    assert "wrong-password-1" not in log and "wrong-password-2" not in log
