"""A data folder or backup folder this user cannot write (a bind mount owned by root under the image's user, a
backup folder under /var/backups for the systemd unit's user): the commands say so in one line, naming the folder,
the user and what to do, instead of a traceback; /readyz turns unready while the data folder cannot be written."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import OCRMILL, Server, running

DATA_DIR_SAYS = "cannot be written by the user"


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """`folder` made unwritable for this process: read-only for a user, immutable for root (whom modes do not stop)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not possible here (root needs it to be refused a write)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def refused(done: subprocess.CompletedProcess[str], what: str, folder: Path) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    line = done.stderr.strip()
    assert line.startswith(f"ocrmill: {what} {folder} {DATA_DIR_SAYS} "), line
    assert "\n" not in line, line


@pytest.mark.parametrize("where", ["the folder itself", "a folder it is to be made in"])
def test_serve_and_the_commands_say_the_data_folder_cannot_be_written(tmp_path: Path, where: str) -> None:
    mount = tmp_path / "mount"
    data = mount if where == "the folder itself" else mount / "data"
    server = Server(tmp_path, env={"OCRMILL_DATA_DIR": str(data)})
    with locked(mount):
        served = subprocess.run([OCRMILL, "serve"], env=server.env, capture_output=True, text=True, timeout=60)
        users = server.ocrmill("users", "list")
        worker = subprocess.run([OCRMILL, "worker"], env=server.env, capture_output=True, text=True, timeout=60)
    for done in (served, users, worker):
        refused(done, "the data folder", data)
        assert "OCRMILL_DATA_DIR" in done.stderr and "uid 10001" in done.stderr
    assert "ocrmill serving" not in served.stdout


def test_backup_and_restore_say_their_folder_cannot_be_written(tmp_path: Path) -> None:
    server = Server(tmp_path / "server")
    made = server.ocrmill("migrate")
    assert made.returncode == 0, made.stderr
    backups = tmp_path / "backups"
    with locked(backups):
        backup = server.ocrmill("backup", str(backups / "today"))
    refused(backup, "the backup folder", backups / "today")
    assert f"({backups / 'today'})" not in backup.stderr and "install -d -o ocrmill" in backup.stderr

    good = tmp_path / "good"
    assert server.ocrmill("backup", str(good)).returncode == 0
    target = tmp_path / "restored"
    fresh = Server(tmp_path / "fresh", env={"OCRMILL_DATA_DIR": str(target / "new" / "data")})
    with locked(target):
        restore = fresh.ocrmill("restore", str(good))
    refused(restore, "the data folder", target / "new" / "data")
    assert f"({target / 'new'})" in restore.stderr  # the folder it could not be made in is named


def test_readyz_is_unready_while_the_data_folder_cannot_be_written(tmp_path: Path) -> None:
    with running(Server(tmp_path, env={"OCRMILL_JOBS_THREADS": "1"})) as server:
        site = httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=30)
        deadline = time.monotonic() + 60
        while site.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, site.get("/readyz").text
            time.sleep(0.2)
        with locked(server.data_dir):
            answer = site.get("/readyz")
        assert answer.status_code == 503, answer.text
        assert answer.json()["failed"] == ["data_dir"]
        assert answer.json()["checks"]["data_dir"]["ok"] is False
        assert str(server.data_dir) not in answer.text  # no paths in the answer
        assert site.get("/readyz").status_code == 200  # writable again
