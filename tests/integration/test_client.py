"""ocrmill.client against a real `ocrmill serve` with authentication on: the blocking and the asyncio client
submit, wait with progress and download real OCR jobs, make invoice jobs of a real invoice, manage API tokens, and
raise the exception of each error answer with the server's status and message."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pikepdf
import pytest
from PIL import Image

from ocrmill.client import (
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    ConnectionFailed,
    JobFailed,
    JobStatus,
    NotFoundError,
    NotScheduled,
    PermissionDeniedError,
    UnsupportedMediaTypeError,
    WaitTimeout,
    bar_progress,
)
from tests.harness import DATA, PHOTOTEST, Server, free_port
from tests.remote import Remote

EINFACH = DATA / "invoices-zugferd" / "EN16931_Einfach.pdf"


@pytest.fixture
def ocr(remote: Remote) -> Iterator[Client]:
    with Client(remote.url, token=remote.token) as client:
        yield client


def two_page_pdf(folder: Path) -> Path:
    """A PDF of two scanned pages (phototest.tif's page twice), without a text layer."""
    page = Image.open(PHOTOTEST).convert("L")
    path = folder / "two-pages.pdf"
    page.save(path, save_all=True, append_images=[page], resolution=300)
    return path


def server_message(url: str, token: str, method: str, path: str, *, json: Any = None) -> tuple[int, str]:
    """The status and message the server answers itself, to compare the client's exception with."""
    answer = httpx.request(method, url + path, headers={"Authorization": f"Bearer {token}"}, json=json)
    body = answer.json()
    return answer.status_code, body["Message"] if "Message" in body else body["error"]["message"]


class Bar:
    """What tqdm does with the callback: a total and a count moved by update()."""

    def __init__(self) -> None:
        self.total: float | None = None
        self.n: float = 0
        self.seen: list[tuple[float, float | None]] = []

    def update(self, n: float | None = 1) -> bool | None:
        self.n += n or 0
        self.seen.append((self.n, self.total))
        return None


def test_a_multi_page_pdf_is_submitted_waited_for_and_downloaded(ocr: Client, tmp_path: Path) -> None:
    pdf = two_page_pdf(tmp_path)
    job = ocr.submit(pdf, PdfOutput=True, TxtOutput=True, Descr="client test")
    assert job.status == JobStatus.SCHEDULED and job.raw["FileUploaded"] is True
    assert job.outputs == ["pdf", "txt"] and job.descr == "client test"
    bar = Bar()
    done = ocr.wait(job.id, on_progress=bar_progress(bar), timeout=240)
    assert done.status == JobStatus.CONVERTED and done.number_of_pages == 2
    assert bar.total == 2 and bar.n == 2 and bar.seen[-1] == (2, 2)

    written = ocr.download_outputs(done, tmp_path / "out", stem="scan")
    assert written == [tmp_path / "out" / "scan.pdf", tmp_path / "out" / "scan.txt"]
    with pikepdf.open(written[0]) as result:
        assert len(result.pages) == 2
    text = written[1].read_text()
    assert text.count("quick brown") >= 2 and "\f" in text  # both pages recognised, a form feed between them
    assert ocr.download(job.id, "txt") == written[1].read_bytes()
    assert not list((tmp_path / "out").glob(".*.part"))

    assert ocr.info(job.id).raw == done.raw
    assert ocr.status(job.id) == JobStatus.CONVERTED
    assert [j.id for j in ocr.query(IdList=[job.id])] == [job.id]
    assert job.id in [j.id for j in ocr.jobs(status=JobStatus.CONVERTED)]
    assert ocr.delete(job.id).id == job.id
    with pytest.raises(NotFoundError):
        ocr.info(job.id)


def test_errors_carry_the_servers_status_and_message(remote: Remote, ocr: Client, tmp_path: Path) -> None:
    status, message = server_message(remote.url, remote.token, "GET", "/api/ocrjobs/info/987654")
    with pytest.raises(NotFoundError) as unknown:
        ocr.info(987654)
    assert (unknown.value.status, unknown.value.message) == (status, message) == (404, unknown.value.message)
    assert "987654" in message and str(unknown.value) == f"404: {message}"

    status, message = server_message(
        remote.url, remote.token, "POST", "/api/ocrjobs/create", json={"PdfConformance": 9}
    )
    with pytest.raises(BadRequestError) as bad:  # out of range
        ocr.create(PdfConformance=9)
    assert (bad.value.status, bad.value.message) == (status, message) and message.startswith("PdfConformance")

    job = ocr.create(Autostart=False)
    with pytest.raises(BadRequestError) as early:  # not converted yet
        ocr.download(job.id, "pdf")
    assert early.value.status == 400 and early.value.message
    assert not (tmp_path / "early.pdf").exists()
    with pytest.raises(BadRequestError):
        ocr.download(job.id, "pdf", to=tmp_path / "early.pdf")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    with pytest.raises(NotScheduled):  # rather than waiting for ever
        ocr.wait(job.id)

    with pytest.raises(NotFoundError) as invoice:  # the invoice API's error body: its code too
        ocr.invoice_job("0123456789abcdef01234567")
    assert invoice.value.code == "not_found" and "0123456789abcdef01234567" in invoice.value.message

    with Client(remote.url, token="ocm_" + "x" * 43) as wrong, pytest.raises(AuthenticationError) as refused:
        wrong.jobs()
    status, message = server_message(remote.url, "ocm_" + "x" * 43, "GET", "/api/ocrjobs/all")
    assert (refused.value.status, refused.value.message) == (status, message) == (401, refused.value.message)

    with Client(f"http://127.0.0.1:{free_port()}") as nobody, pytest.raises(ConnectionFailed):
        nobody.server_value("version")


def test_a_job_that_ends_in_error_raises_job_failed(ocr: Client, tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(DATA / "pdfs-ocrmypdf" / "linn.pdf") as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="owner-secret"))
    job = ocr.submit(locked)
    with pytest.raises(WaitTimeout) as slow:  # a scheduled job is not over after one look
        ocr.wait(job.id, timeout=0.05)
    assert f"job {job.id} is still" in slow.value.message
    with pytest.raises(JobFailed) as failed:
        ocr.wait(job.id, timeout=120)
    ended = failed.value.job
    assert ended.status == JobStatus.ERROR and ended.error_description
    assert failed.value.message == f"job {job.id} failed: {ended.error_description}"
    assert ocr.wait(job.id, raise_on_error=False).raw == ended.raw


def test_tokens(remote: Remote) -> None:
    with Client(remote.url, token=remote.token) as ocr:
        made = ocr.create_token("read-only", read_only=True, expires_days=2)
        assert made.secret.startswith("ocm_") and made.read_only and made.expires
        listed = {t.name: t for t in ocr.tokens()}
        assert set(listed) >= {"tests", "read-only"} and listed["read-only"].secret == ""
    with Client(remote.url, token=made.secret) as reader:
        assert reader.server_value("test") is True
        with pytest.raises(PermissionDeniedError) as refused:
            reader.create()
        assert refused.value.status == 403 and "read-only" in refused.value.message
    with Client(remote.url, token=remote.token) as ocr:
        odd = ocr.create_token("ci runner? #1")  # a name that is not a plain path segment
        assert "ci runner? #1" in [t.name for t in ocr.tokens()]
        ocr.revoke_token(odd.name)
        assert "ci runner? #1" not in [t.name for t in ocr.tokens()]
        ocr.revoke_token("read-only")
        with pytest.raises(NotFoundError) as again:
            ocr.revoke_token("read-only")
        assert "read-only" in again.value.message
    with Client(remote.url, token=made.secret) as revoked, pytest.raises(AuthenticationError):
        revoked.server_value("test")


def test_the_async_client_submits_a_folder_and_reads_an_invoice(remote: Remote, tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    shutil.copy(PHOTOTEST, scans / "b.tif")
    Image.open(PHOTOTEST).convert("L").save(scans / "a.png", dpi=(300, 300))
    (scans / "notes.txt").write_text("not a scan")  # not a supported type: left out
    invoices = tmp_path / "invoices"
    invoices.mkdir()
    shutil.copy(EINFACH, invoices / EINFACH.name)
    expected = json.loads(EINFACH.with_suffix(".expected.json").read_text(encoding="utf-8"))

    async def scenario() -> None:
        async with AsyncClient(remote.url, token=remote.token) as ocr:
            job = await ocr.submit(scans, TxtOutput=True, PdfOutput=False)
            seen: list[tuple[int, int]] = []
            invoice = await ocr.create_invoice_job(invoices, name="Einfach", metadata={"ref": "A-1"})
            assert (invoice.name, invoice.raw["metadata"]) == ("Einfach", {"ref": "A-1"})
            # both at once: the job and the invoice job
            done, read = await asyncio.gather(
                ocr.wait(job.id, on_progress=lambda d, t: seen.append((d, t)), timeout=240),
                ocr.wait_invoice_job(invoice.id, timeout=240),
            )
            assert done.status == JobStatus.CONVERTED and done.number_of_pages == 2 and seen[-1] == (2, 2)
            text = (await ocr.download(job.id, "txt")).decode()
            assert text.count("quick brown") >= 2
            written = await ocr.download_outputs(done, tmp_path / "out")
            assert written == [tmp_path / "out" / f"{job.id}.txt"] and written[0].read_text() == text

            assert read.status == "completed" and read.page_count == 2 and read.pages_done == 2
            fields = read.fields
            assert fields["invoiceNumber"].normalized == expected["invoice_number"]
            assert fields["total"].normalized == expected["grand_total"]
            assert fields["invoiceDate"].normalized == expected["issue_date"]
            assert fields["total"].confidence == 1.0 and fields["total"].page_number == 1
            assert len(read.line_items) == expected["line_count"]
            pages = await ocr.invoice_pages(filter={"job": invoice.id}, sort="pageNumber", order="asc")
            assert pages.total == 2 and [p.page_number for p in pages.items] == [1, 2]
            assert expected["invoice_number"] in pages.items[0].text
            listed = await ocr.invoice_jobs(filter={"_id": invoice.id})
            assert [j.id for j in listed.items] == [invoice.id] and listed.total == 1
            document = json.loads(await ocr.download_invoice(invoice.id, "json"))
            assert document["extractedFields"]["total"] == read.raw["extractedFields"]["total"]
            pdf = tmp_path / "invoice.pdf"
            await ocr.download_invoice(invoice.id, "pdf", to=pdf)
            with pikepdf.open(pdf) as searchable:
                assert len(searchable.pages) == 2

            assert (await ocr.delete_invoice_job(invoice.id)).id == invoice.id
            with pytest.raises(NotFoundError) as gone:
                await ocr.invoice_job(invoice.id)
            assert gone.value.code == "not_found" and invoice.id in gone.value.message
            with pytest.raises(BadRequestError) as bad:
                await ocr.create(MinConfidence=101)
            assert bad.value.status == 400 and bad.value.message.startswith("MinConfidence")

    asyncio.run(scenario())


def test_ocr_folders(make_server: Callable[..., Server], tmp_path: Path) -> None:
    folder_id = "802231b4-bea3-485f-911e-00adb98f1e23"
    config = tmp_path / "ocrmill.toml"
    config.write_text(
        f'[[folders]]\nid = "{folder_id}"\ndescription = "Scans"\ninput = "{tmp_path / "in"}"\n'
        f'output = "{tmp_path / "out"}"\nfilters = "TIF;PNG"\noptions = {{ TxtOutput = true }}\n',
        encoding="utf-8",
    )
    server = make_server(env={"OCRMILL_CONFIG": str(config), "OCRMILL_FOLDERS_THREADS": "0"})
    with Client(f"http://127.0.0.1:{server.port}") as ocr:
        assert [(f["Id"], f["Description"]) for f in ocr.folders()] == [(folder_id, "Scans")]
        assert ocr.folder(folder_id)["Id"] == folder_id
        names = [ocr.post_to_folder(folder_id, PHOTOTEST, name="größe 1.tif") for _ in range(2)]
        assert names[0] == "größe 1.tif" and names[1] != names[0] and names[1].endswith(".tif")
        assert ocr.post_to_folder(folder_id, PHOTOTEST, unique=False) == PHOTOTEST.name
        assert {p.name for p in (tmp_path / "in").iterdir()} >= {*names, PHOTOTEST.name}
        with pytest.raises(UnsupportedMediaTypeError) as refused:
            ocr.post_to_folder(folder_id, EINFACH)  # the folder takes TIF and PNG
        assert refused.value.status == 415 and refused.value.message
        with pytest.raises(NotFoundError):
            ocr.folder("00000000-0000-0000-0000-000000000000")
