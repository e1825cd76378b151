"""The S3 file store against a real S3 server (SeaweedFS): where the files go, how they come back, what is deleted."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ocrmill.config import Settings
from ocrmill.errors import NotFound, ServiceUnavailable
from ocrmill.store.s3 import S3Files
from tests.harness import SeaweedFS, Server, free_port, job_files
from tests.integration.test_document_outputs import FORMATS, MEDIA_TYPES
from tests.invoice_api import pages_of, text_png, upload, v1, wait_job

pytestmark = pytest.mark.s3

MakeServer = Callable[..., Server]


def test_job_files_live_in_the_bucket_and_nowhere_else(
    make_server: MakeServer, seaweedfs: SeaweedFS, data: Path
) -> None:
    server = make_server(store="s3")
    bucket = server.env["OCRMILL_STORAGE_URL"].removeprefix("s3://").split("/")[0]
    source = data / "ocr-tesseract-test/phototest.tif"
    job = server.submit(source, **{f"{ext.capitalize()}Output": True for ext in FORMATS})
    info = server.wait(job["Id"], timeout=120)
    assert info["Status"] == 3, info["ErrorDescription"]
    keys = seaweedfs.keys(bucket, f"ocrmill/jobs/{job['Id']}/")
    runs = {k.split("/")[4] for k in keys if k.startswith(f"ocrmill/jobs/{job['Id']}/runs/")}
    assert len(runs) == 1, keys
    outputs = f"ocrmill/jobs/{job['Id']}/runs/{runs.pop()}"  # the outputs of the run the database names
    assert f"{outputs}/result.txt" in keys
    assert f"{outputs}/result.pdf" in keys
    assert f"{outputs}/pages/0001.json" in keys
    assert any(k.startswith(f"ocrmill/jobs/{job['Id']}/input/") for k in keys)
    deadline = time.monotonic() + 10  # the worker empties its scratch just after the job is committed
    while job_files(server.data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job_files(server.data_dir) == [], "the data folder holds job files (or a finished job's scratch)"

    assert "quick brown dog" in server.client.get(f"/download/{job['Id']}/txt").text
    for ext in FORMATS:  # every kind streamed from the bucket, whole, with its type and name
        answer = server.client.get(f"/download/{job['Id']}/{ext}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == MEDIA_TYPES[ext]
        assert f'filename="{job["Id"]}.{ext}"' in answer.headers["content-disposition"]
        assert int(answer.headers["content-length"]) == len(answer.content) > 0
        stored = seaweedfs.client().get_object(Bucket=bucket, Key=f"{outputs}/result.{ext}")
        assert stored["Body"].read() == answer.content

    deleted = server.client.post(f"/delete/{job['Id']}")
    assert deleted.status_code == 200, deleted.text
    assert seaweedfs.keys(bucket, f"ocrmill/jobs/{job['Id']}/") == []


def test_downloads_can_be_presigned_redirects(make_server: MakeServer, data: Path) -> None:
    server = make_server(store="s3", env={"OCRMILL_S3_PRESIGN_SECONDS": "60"})
    job = server.submit(data / "ocr-tesseract-test/phototest.tif", TxtOutput=True, PdfOutput=False)
    assert server.wait(job["Id"], timeout=120)["Status"] == 3
    answer = server.client.get(f"/download/{job['Id']}/txt", follow_redirects=False)
    assert answer.status_code == 307
    location = answer.headers["location"]
    assert location.startswith(server.env["AWS_ENDPOINT_URL"]) and "Signature" in location
    fetched = httpx.get(location, timeout=30)
    assert fetched.status_code == 200 and "quick brown dog" in fetched.text
    assert f'filename="{job["Id"]}.txt"' in fetched.headers["content-disposition"]
    assert server.client.get(f"/download/{job['Id']}/pdf", follow_redirects=False).status_code == 400  # not asked

    # an invoice job's outputs and page images too
    with v1(server) as invoices:
        done = wait_job(invoices, upload(invoices, ("scan.png", text_png(["Invoice PLOVER 8080"]), "image/png"))["_id"])
        assert done["status"] == "completed", done["errorLog"]
        answer = invoices.get(f"/ocr-invoice-jobs/{done['_id']}/download/txt", follow_redirects=False)
        assert answer.status_code == 307 and "Signature" in answer.headers["location"]
        fetched = httpx.get(answer.headers["location"], timeout=30)
        assert fetched.status_code == 200 and "PLOVER 8080" in fetched.text
        assert f'filename="{done["_id"]}.txt"' in fetched.headers["content-disposition"]
        (page,) = pages_of(invoices, done["_id"])
        image = invoices.get(page["pageUrl"], follow_redirects=False)
        assert image.status_code == 307
        fetched = httpx.get(image.headers["location"], timeout=30)
        assert fetched.headers["content-type"] == "image/png" and fetched.content.startswith(b"\x89PNG")


def test_an_unreachable_store_is_a_503_not_a_500(make_server: MakeServer, seaweedfs: SeaweedFS, data: Path) -> None:
    env = {**seaweedfs.env("nowhere"), "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    server = make_server(env=env)
    job = server.client.post("/create", json={"Autostart": False}).json()
    up = server.client.post(
        f"/uploadext/{job['Id']}/tif", content=(data / "ocr-tesseract-test/phototest.tif").read_bytes()
    )
    assert up.status_code == 503, up.text
    assert "object store is unavailable" in up.text
    assert server.client.get(f"/info/{job['Id']}").json()["FileUploaded"] is False


@pytest.fixture()
def store(seaweedfs: SeaweedFS) -> S3Files:
    return seaweedfs.store("unit")


def test_big_objects_go_up_in_parts_and_come_back_whole(store: S3Files, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    content = os.urandom(1 << 20) * 40  # 40 MiB: three parts of 16 MiB
    big.write_bytes(content)
    assert store.put_file("jobs/1/input/big.bin", big) == len(content)
    head = store.client.head_object(Bucket=store.bucket, Key=store.key("jobs/1/input/big.bin"))
    assert head["ETag"].strip('"').endswith("-3"), "not a multipart upload"
    fetched = store.fetch("jobs/1/input/big.bin", tmp_path / "scratch")
    assert fetched.read_bytes() == content
    found = store.download("jobs/1/input/big.bin")
    assert found is not None and found.chunks is not None and found.size == len(content)
    sizes = [len(chunk) for chunk in found.chunks]
    assert sum(sizes) == len(content) and max(sizes) <= 1 << 16, "the download was not streamed in chunks"


def test_names_reads_and_deletes_by_prefix(store: S3Files, tmp_path: Path) -> None:
    made = tmp_path / "out"
    (made / "pages").mkdir(parents=True)
    (made / "result.txt").write_text("text")
    (made / "pages" / "0001.json").write_text('{"width": 10, "height": 20, "blocks": []}')
    store.keep_outputs(7, "a1", made)
    assert store.names("jobs/7/runs/a1") == ["jobs/7/runs/a1/result.txt"]
    assert store.names("jobs/7/runs/a1/pages") == ["jobs/7/runs/a1/pages/0001.json"]
    assert store.read_bytes("jobs/7/runs/a1/pages/0001.json", limit=12) == b'{"width": 10'
    assert store.read_bytes("jobs/7/runs/a1/none") is None
    assert store.download("jobs/7/runs/a1/none") is None
    with pytest.raises(NotFound):
        store.fetch("jobs/7/runs/a1/none", tmp_path / "scratch")
    store.keep_outputs(7, "b2", made)  # another run's outputs go beside, not over, the first's
    assert store.run_names("jobs/7/runs") == ["a1", "b2"] and store.run_names("jobs/8/runs") == []
    store.write_progress(7, 2, 5)
    assert store.read_progress(7) == (2, 5)
    store.delete_job(7)
    assert (
        store.names("jobs/7/runs/a1/pages") == []
        and store.run_names("jobs/7/runs") == []
        and store.read_progress(7) is None
    )


def test_an_unreachable_store_raises_service_unavailable(seaweedfs: SeaweedFS, tmp_path: Path) -> None:
    store = S3Files.from_settings(
        Settings(
            storage_url="s3://nowhere/x",
            s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
            s3_region="us-east-1",
            s3_access_key_id="a",
            s3_secret_access_key="b",
        )
    )
    with pytest.raises(ServiceUnavailable):
        store.read_bytes("jobs/1/x")
    assert store.read_progress(1) is None
