"""ZIP bundles (issue 19.5): download/<id>/zip streams every output of a job as one ZIP, each member the same bytes
as its own download."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from tests.harness import PHOTOTEST, Server

pytestmark = pytest.mark.paired


def test_zip_holds_every_output_as_downloaded(server: Server) -> None:
    job = server.submit(PHOTOTEST, TxtOutput=True, XmlOutput=True, HocrOutput=True)
    assert server.wait(job["Id"])["Status"] == 3
    answer = server.client.get(f"/download/{job['Id']}/zip")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"] == f'attachment; filename="{job["Id"]}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    names = [f"{job['Id']}.{ext}" for ext in ("pdf", "txt", "xml", "hocr")]
    assert archive.namelist() == names
    for name in names:
        single = server.client.get(f"/download/{job['Id']}/{name.split('.')[1]}")
        assert single.status_code == 200 and archive.read(name) == single.content, name
    assert "quick brown" in archive.read(f"{job['Id']}.txt").decode().lower()
    info = {i.filename: i for i in archive.infolist()}
    assert info[names[0]].compress_type == zipfile.ZIP_STORED and info[names[1]].compress_type == zipfile.ZIP_DEFLATED
    # ZIP in capitals too, as the other result types
    assert server.client.get(f"/download/{job['Id']}/ZIP").content == answer.content


def test_zip_follows_the_download_rules(server: Server) -> None:
    created = server.client.post("/create", json={"Autostart": False}).json()
    not_yet = server.client.get(f"/download/{created['Id']}/zip")
    assert not_yet.status_code == 400 and "Converted" in not_yet.json()["Message"]
    assert server.client.get("/download/99999999/zip").status_code == 404
    assert server.client.get("/download/x/zip").status_code == 404


def test_zip_is_described(server: Server) -> None:
    paths = httpx.get(f"http://127.0.0.1:{server.port}/openapi.json").json()["paths"]
    operation = paths["/api/ocrjobs/download/{job_id}/zip"]["get"]
    assert "application/zip" in operation["responses"]["200"]["content"]
    assert {"400", "404"} <= set(operation["responses"])
