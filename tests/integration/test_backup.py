"""`ocrmill backup` while a job converts, `ocrmill restore` into a new data folder and database, and a server
started on the restored data: every job and file is there, on SQLite and on PostgreSQL. Files on the S3 store are
left to the object store's own tools: both commands refuse, saying so."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness import PHOTOTEST, Server, converting, pages

CONVERTING, CONVERTED = 2, 3


def jobs(server: Server) -> dict[int, dict[str, object]]:
    return {int(job["Id"]): job for job in server.client.get("/all").json()}


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_backup_taken_while_a_job_converts_restores_every_job_and_file(
    make_server: Callable[..., Server], tmp_path: Path, database: str
) -> None:
    server = make_server(database=database, env={"OCRMILL_JOBS_THREADS": "1"})
    done = int(server.submit(PHOTOTEST, TxtOutput=True, PdfOutput=True)["Id"])
    assert server.wait(done)["Status"] == CONVERTED
    waiting = int(server.client.post("/create", json={"TxtOutput": True}).json()["Id"])  # no file yet
    busy = converting(server, pages(tmp_path, 12))  # some seconds of work

    backup = tmp_path / "backup"
    made = server.ocrmill("backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert server.client.get(f"/status/{busy}").json() == CONVERTING  # all through the backup
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["kind"] == ("sqlite" if database == "sqlite" else "postgresql")
    assert manifest["jobs"] == 3 and manifest["missing"] == []
    copied = [f["path"] for f in manifest["files"]]
    assert any(path.startswith(f"files/jobs/{busy}/input/") for path in copied)
    assert not any("/work-" in path for path in copied)  # a worker's scratch is left out
    before = jobs(server)
    server_guid = server.client.get("/guid").json()
    originals = {ext: server.client.get(f"/download/{done}/{ext}").content for ext in ("txt", "pdf")}
    assert server.wait(busy)["Status"] == CONVERTED
    busy_text = server.client.get(f"/download/{busy}/txt").text
    server.stop()

    restored = make_server(database=database, start=False)
    put_back = restored.ocrmill("restore", str(backup))
    assert put_back.returncode == 0, put_back.stderr
    restored.start()
    assert set(jobs(restored)) == set(before) == {done, waiting, busy}
    assert restored.client.get("/guid").json() == server_guid
    for ext, content in originals.items():
        assert restored.client.get(f"/download/{done}/{ext}").content == content
    assert restored.client.get(f"/info/{waiting}").json()["Status"] == before[waiting]["Status"]
    # the job that was converting is handed back to the queue (its worker is gone) and converts from its upload
    assert restored.wait(busy, timeout=300)["Status"] == CONVERTED
    assert restored.client.get(f"/download/{busy}/txt").text == busy_text

    again = restored.ocrmill("restore", str(backup))  # into a data folder and database in use
    assert again.returncode == 2 and "is not empty" in again.stderr

    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    (result,) = (damaged / "files" / "jobs" / str(done) / "runs").glob("*/result.txt")
    result.write_bytes(result.read_bytes().replace(b"a", b"o", 1))
    fresh = make_server(database=database, start=False)
    refused = fresh.ocrmill("restore", str(damaged))
    assert refused.returncode == 2
    assert f"{result.relative_to(damaged).as_posix()} has changed" in refused.stderr
    assert not fresh.data_dir.exists()


@pytest.mark.s3
def test_files_on_the_s3_store_are_neither_backed_up_nor_restored_and_it_says_so(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    server = make_server(store="s3", start=False)
    for command in ("backup", "restore"):
        refused = server.ocrmill(command, str(tmp_path / "backup"))
        assert refused.returncode == 2, refused.stderr
        assert "ocrmill backup does not copy: back up the bucket with the object store's own tools" in refused.stderr
    assert not server.data_dir.exists() and not (tmp_path / "backup").exists()
