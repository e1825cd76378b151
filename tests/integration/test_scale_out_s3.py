"""Scale-out without a shared disk: an API-only server and two `ocrmill worker` processes, each with a data folder
of its own, sharing only PostgreSQL and an S3 store (SeaweedFS). A worker killed with SIGKILL mid-page loses nothing.
ownOCR jobs and invoice jobs (split by one worker, their pages recognised and their outputs written by any) in one
mix."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.consumers import pdftotext
from tests.harness import (
    DATA,
    OCRMILL,
    PHOTOTEST,
    Postgres,
    SeaweedFS,
    Server,
    folder_config,
    job_files,
    pages,
    stored_names,
)
from tests.invoice_api import data_url, new_job, new_page, pages_of, text_png, upload, v1, wait_job

pytestmark = [pytest.mark.postgres, pytest.mark.s3]

JOBS = 30
FOLDER_ID = "5d0f6b0e-2f52-4a37-9a0b-7c1f4f3e9b11"
FOLDER_FAST = {"OCRMILL_FOLDER_STABLE_SECONDS": "0.6", "OCRMILL_FOLDER_POLL_SECONDS": "0.3"}
PAGES = 12
EINFACH = DATA / "invoices-zugferd" / "EN16931_Einfach.pdf"  # two born-digital pages and a Factur-X XML


def progress(s3: Any, bucket: str, job_id: int) -> tuple[int, int]:
    """(pages done, pages in all) as the job's worker last reported them to the store."""
    try:
        data = json.loads(s3.get_object(Bucket=bucket, Key=f"ocrmill/jobs/{job_id}/progress.json")["Body"].read())
    except s3.exceptions.NoSuchKey:
        return 0, 0
    return int(data["done"]), int(data["total"])


class Worker:
    """`ocrmill worker` in a session of its own (so that SIGKILL reaches its worker processes too), without the API
    node's configuration file (its OCR folder)."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.data_dir = root / "data"
        self.log = root / "worker.log"
        root.mkdir(parents=True)
        own = {name: value for name, value in env.items() if name != "OCRMILL_CONFIG"}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [OCRMILL, "worker"],
                env={**own, "OCRMILL_DATA_DIR": str(self.data_dir)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture()
def cluster(postgres: Postgres, seaweedfs: SeaweedFS, tmp_path: Path) -> Iterator[tuple[Server, list[Worker], str]]:
    bucket = seaweedfs.new_bucket()
    env = {**seaweedfs.env(bucket), "OCRMILL_JOBS_THREADS": "1", "OCRMILL_POLL_SECONDS": "0.5"}
    # the API node watches an OCR folder that only it sees: the workers are started without its configuration
    folder = {"OCRMILL_CONFIG": str(folder_config(tmp_path / "folder", FOLDER_ID)), **FOLDER_FAST}
    api = Server(tmp_path / "api", database_url=postgres.new_database(), env={**env, **folder})
    api.start("--no-workers")
    workers: list[Worker] = []
    try:
        yield api, workers, bucket
    finally:
        for worker in workers:
            worker.stop()
        api.stop()


def test_two_workers_without_a_shared_disk_convert_every_job_once_through_a_kill(
    cluster: tuple[Server, list[Worker], str], seaweedfs: SeaweedFS, tmp_path: Path
) -> None:
    api, workers, bucket = cluster
    first = Worker(tmp_path / "worker-1", api.env)
    workers.append(first)
    # A long job, on the first worker alone, killed once it has recognised a page and is on the next.
    long = int(api.submit(pages(tmp_path, PAGES), TxtOutput=True, PdfOutput=True, NrOfOCRThreads=1)["Id"])
    s3 = seaweedfs.client()
    deadline = time.monotonic() + 120
    while progress(s3, bucket, long)[0] < 1:
        assert time.monotonic() < deadline, f"no page was recognised:\n{first.log.read_text()[-2000:]}"
        time.sleep(0.05)
    first.kill()
    done, total = progress(s3, bucket, long)
    assert api.client.get(f"/status/{long}").json() == 2 and done < total, "the job ended before the kill"

    second = Worker(tmp_path / "worker-2", api.env)
    restarted = Worker(tmp_path / "worker-1-again", api.env)
    workers += [second, restarted]
    ids = [long]
    invoices = v1(api)
    scans = [text_png([f"Invoice OSPREY {n}{n}{n}{n}", "Total 12.50 EUR"]) for n in range(1, 4)]
    invoice_jobs = {
        "einfach": upload(invoices, (EINFACH.name, EINFACH.read_bytes(), "application/pdf")),
        "scans": upload(invoices, ("one.png", scans[0], "image/png"), ("two.png", scans[1], "image/png")),
        "paged": new_job(invoices, name="pages by data: URL"),
    }
    new_page(invoices, invoice_jobs["paged"]["_id"], 1, data_url(scans[2]))
    # one job through the API node's OCR folder: converted by a worker that does not see the folder
    folder = tmp_path / "folder"
    shutil.copy(PHOTOTEST, folder / "in" / "dropped.tif")
    for n in range(JOBS - 2):
        outputs = {"TxtOutput": True, "PdfOutput": True, "HocrOutput": n % 3 == 0}
        ids.append(int(api.submit(PHOTOTEST, **outputs)["Id"]))

    for job_id in ids:
        info = api.wait(job_id, timeout=300)
        assert info["Status"] == 3, info["ErrorDescription"]
    one_page = api.client.get(f"/download/{ids[1]}/txt").text
    assert one_page.count("quick brown dog") >= 2
    assert api.client.get(f"/download/{long}/txt").text.count("quick brown dog") == PAGES * one_page.count(
        "quick brown dog"
    )
    for job_id in ids[1:]:
        assert api.client.get(f"/download/{job_id}/txt").text == one_page
        assert api.client.get(f"/download/{job_id}/pdf").content.startswith(b"%PDF")
    assert api.client.get(f"/download/{ids[1]}/hocr").status_code == 200

    # The invoice jobs: split from uploads fetched from the bucket, pages recognised and outputs written by any worker.
    done = {key: wait_job(invoices, job["_id"], timeout=300) for key, job in invoice_jobs.items()}
    for key, job in done.items():
        assert job["status"] == "completed" and job["outputs"] == ["json", "pdf", "txt"], (key, job["errorLog"])
    assert done["einfach"]["source"] != "ocr" and done["einfach"]["pageCount"] == 2, "the Factur-X XML was read"
    assert done["scans"]["pageCount"] == 2 and done["paged"]["pageCount"] == 1
    einfach_pdf = tmp_path / "einfach.pdf"
    einfach_pdf.write_bytes(invoices.get(f"/ocr-invoice-jobs/{done['einfach']['_id']}/download/pdf").content)
    text = pdftotext(einfach_pdf)  # the born-digital pages as they were (their text the PDF's own)
    assert text.count("\f") == 2 and "471102" in text
    scans_txt = invoices.get(f"/ocr-invoice-jobs/{done['scans']['_id']}/download/txt").text
    assert "OSPREY 1111" in scans_txt and "OSPREY 2222" in scans_txt
    assert "OSPREY 3333" in invoices.get(f"/ocr-invoice-jobs/{done['paged']['_id']}/download/txt").text
    for page in pages_of(invoices, done["scans"]["_id"]):
        image = invoices.get(page["pageUrl"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    stored = stored_names(api, f"invoices/{done['scans']['_id']}/")
    assert {"source/001.png", "images/0001.png"} <= {n.split("/", 2)[2] for n in stored}
    assert [n.split("/")[4] for n in stored if n.split("/")[2] == "runs"] == ["result.pdf", "result.txt"], stored

    # The folder job's results reached the output folder from the bucket; its original is archived, its objects gone.
    deadline = time.monotonic() + 120
    while not (folder / "out" / "dropped.txt").exists():
        assert time.monotonic() < deadline, (
            f"the folder job's results were not delivered:\n{api.log.read_text()[-3000:]}"
        )
        time.sleep(0.2)
    assert (folder / "out" / "dropped.txt").read_text() == one_page
    assert (folder / "out" / "dropped.pdf").read_bytes().startswith(b"%PDF")
    assert [p.name for p in (folder / "out" / "archive").rglob("*.tif")] == ["dropped.tif"]
    assert list((folder / "in").glob("*.tif")) == []
    counters = api.client.get(f"/folder/{FOLDER_ID}").json()
    assert (counters["SuccessFiles"], counters["ErrorFiles"], counters["ProcessingFiles"]) == (1, 0, 0)
    (folder_job,) = [job["Id"] for job in api.client.get("/all").json() if job["Id"] not in ids]
    ids.append(int(folder_job))
    assert seaweedfs.keys(bucket, f"ocrmill/jobs/{folder_job}/") == [], "the folder job's objects stayed"

    stats = api.client.get("/stats").json()
    assert (stats["SuccessFiles"], stats["ErrorFiles"]) == (JOBS, 0), "a job was converted twice or failed"
    logs = second.log.read_text() + restarted.log.read_text()
    assert logs.count(f"job {long} converted") == 1
    assert all(logs.count(f"job {job_id} converted") == 1 for job_id in ids), "a job was converted twice"
    assert second.process.poll() is None and restarted.process.poll() is None

    # The files are in the bucket; no node keeps any (the live workers' scratch is empty once their jobs end).
    long_keys = seaweedfs.keys(bucket, f"ocrmill/jobs/{long}/")
    runs = {k.split("/")[4] for k in long_keys if k.startswith(f"ocrmill/jobs/{long}/runs/")}
    assert len(runs) == 1 and f"ocrmill/jobs/{long}/runs/{runs.pop()}/result.pdf" in long_keys, long_keys
    assert job_files(api.data_dir) == []
    deadline = time.monotonic() + 10
    while (job_files(second.data_dir) or job_files(restarted.data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job_files(second.data_dir) == [] and job_files(restarted.data_dir) == []
