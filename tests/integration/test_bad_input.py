"""Bad uploads and bad files: refused at the door (415, 413) or ending the job in Error with a
description a person can act on, without disturbing the server or the other jobs."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pikepdf
import pytest
from PIL import Image

from tests.conftest import kind, started
from tests.harness import Server, running, stored_names

# hostile uploads into a job's store, and refused big ones: on the data folder (sqlite) and on S3 (postgres-s3)
pytestmark = pytest.mark.paired

PHOTOTEST = "ocr-tesseract-test/phototest.tif"


def api_error(response: httpx.Response, status: int) -> str:
    """The response is the documented error (ApiResponse) with this status; returns its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["Success"] is False, body
    assert body["StatusCode"] == status, body
    assert isinstance(body["Message"], str) and body["Message"].strip(), body
    return str(body["Message"])


def create(server: Server, **options: Any) -> int:
    response = server.client.post("/create", json={"TxtOutput": True, **options})
    assert response.status_code == 200, response.text
    return int(response.json()["Id"])


def stored_inputs(server: Server, job_id: int) -> list[str]:
    """Every file (hidden temporary files included) in the job's input folder, or under its input/ in the bucket."""
    return stored_names(server, f"jobs/{job_id}/input/")


def assert_nothing_stored(server: Server, job_id: int) -> None:
    info = server.client.get(f"/info/{job_id}").json()
    assert info["FileUploaded"] is False, info
    assert info["Status"] == 0, info
    assert stored_inputs(server, job_id) == []


def assert_readable_error(info: dict[str, Any]) -> str:
    assert info["Status"] == 4, info
    description = str(info["ErrorDescription"])
    assert description.strip(), "Error without a description"
    assert "Traceback" not in description and "Internal error" not in description, description
    assert len(description) < 500, description
    assert info["Finished"] != "0001-01-01T00:00:00", info
    return description


def converts(server: Server, job_id: int) -> None:
    info = server.wait(job_id)
    assert info["Status"] == 3, info["ErrorDescription"]
    text = server.client.get(f"/download/{job_id}/txt").text
    assert "quick brown dog" in text


# -- refused at the door ----------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", "image/webp", "application/zip"])
def test_upload_with_unsupported_content_type_is_415(server: Server, data: Path, content_type: str) -> None:
    job_id = create(server)
    response = server.client.post(
        f"/upload/{job_id}", content=(data / PHOTOTEST).read_bytes(), headers={"Content-Type": content_type}
    )
    api_error(response, 415)
    assert_nothing_stored(server, job_id)


def test_upload_without_content_type_is_415(server: Server, data: Path) -> None:
    job_id = create(server)
    request = server.client.build_request("POST", f"/upload/{job_id}", content=(data / PHOTOTEST).read_bytes())
    request.headers.pop("Content-Type", None)
    api_error(server.client.send(request), 415)
    assert_nothing_stored(server, job_id)


def test_multipart_upload_of_an_unsupported_file_is_415(server: Server) -> None:
    job_id = create(server)
    response = server.client.post(f"/upload/{job_id}", files={"file": ("notes.txt", b"hello world\n", "text/plain")})
    api_error(response, 415)
    assert_nothing_stored(server, job_id)


@pytest.mark.parametrize("ext", ["docx", "txt", "exe", "webp", "svg", "tif.exe"])
def test_uploadext_with_unsupported_extension_is_415(server: Server, data: Path, ext: str) -> None:
    job_id = create(server, Autostart=False)
    response = server.client.post(f"/uploadext/{job_id}/{ext}", content=(data / PHOTOTEST).read_bytes())
    api_error(response, 415)
    assert_nothing_stored(server, job_id)
    # the job is untouched and still takes a proper upload (that it then converts: the 413 tests below)
    ok = server.client.post(f"/uploadext/{job_id}/tif", content=(data / PHOTOTEST).read_bytes())
    assert ok.status_code == 200, ok.text
    assert ok.json()["FileUploaded"] is True and len(stored_inputs(server, job_id)) == 1


@pytest.fixture(scope="module", params=[kind("sqlite"), kind("s3")])
def small_uploads(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that takes uploads of at most 0.1 MB (OCRMILL_MAX_UPLOAD_MB), on each store: the data folder writes
    an upload to a temporary file beside its place, the S3 store spools it before putting it."""
    with started(request, tmp_path_factory, "small-uploads", env={"OCRMILL_MAX_UPLOAD_MB": "0.1"}) as srv:
        yield srv


LIMIT_BYTES = int(0.1 * 1024 * 1024)


def _chunks(body: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize(
    ("how", "size"),
    [
        ("uploadext", 300_000),  # Content-Length far over the limit
        ("uploadext", LIMIT_BYTES + 20_000),  # a little over: only the body shows it
        ("uploadext-chunked", 300_000),  # no Content-Length at all
        ("upload", 300_000),
        ("multipart", 300_000),
    ],
)
def test_upload_over_max_upload_mb_is_413_and_leaves_nothing(
    small_uploads: Server, data: Path, how: str, size: int
) -> None:
    server = small_uploads
    body = random.Random(size).randbytes(size)
    job_id = create(server)
    if how == "uploadext":
        response = server.client.post(f"/uploadext/{job_id}/tif", content=body)
    elif how == "uploadext-chunked":
        response = server.client.post(f"/uploadext/{job_id}/tif", content=_chunks(body))
    elif how == "upload":
        response = server.client.post(f"/upload/{job_id}", content=body, headers={"Content-Type": "image/tiff"})
    else:
        response = server.client.post(f"/upload/{job_id}", files={"file": ("scan.tif", body, "image/tiff")})
    api_error(response, 413)
    assert_nothing_stored(server, job_id)
    # a file within the limit is still accepted by the same job
    ok = server.client.post(f"/uploadext/{job_id}/tif", content=(data / PHOTOTEST).read_bytes())
    assert ok.status_code == 200, ok.text
    assert len(stored_inputs(server, job_id)) == 1
    converts(server, job_id)


def test_too_large_message_states_the_limit(small_uploads: Server) -> None:
    job_id = create(small_uploads)
    response = small_uploads.client.post(f"/uploadext/{job_id}/tif", content=bytes(300_000))
    message = api_error(response, 413)
    assert re.search(r"\b0\.1\s*MB", message), f"the limit is 0.1 MB; the message says: {message!r}"


# -- bad files end their job in Error ------------------------------------------------------------


@dataclass(frozen=True)
class BadFile:
    ext: str
    body: bytes
    mentions: str  # a regular expression the description must match


def bad_files(data: Path) -> dict[str, BadFile]:
    png = (data / "ocr-scribe-benchmark/img/table_02.png").read_bytes()
    pdf = (data / "pdfs-ocrmypdf/multipage.pdf").read_bytes()
    tif = (data / "ocr-tesseract-test/eurotext.tif").read_bytes()
    jpg = (data / "receipts-sroie/img/597.jpg").read_bytes()
    unreadable = r"(?i)not a readable|damaged|corrupt|invalid|truncated|cannot be read|could not be read"
    return {
        "random-bytes.tif": BadFile("tif", random.Random(7).randbytes(50_000), unreadable),
        "empty.png": BadFile("png", b"", r"(?i)empty|no data|0 bytes"),
        "empty.pdf": BadFile("pdf", b"", r"(?i)empty|no data|0 bytes"),
        "truncated.png": BadFile("png", png[: len(png) // 2], unreadable),
        "truncated.pdf": BadFile("pdf", pdf[: len(pdf) // 2], unreadable),
        "truncated.tif": BadFile("tif", tif[: len(tif) // 2], unreadable),
        "truncated.jpg": BadFile("jpg", jpg[: len(jpg) // 2], unreadable),
        "png-sent-as.pdf": BadFile("pdf", png, unreadable + "|not a PDF"),
        "header-only.pdf": BadFile("pdf", (data / "pdfs-ocrmypdf/invalid.pdf").read_bytes(), unreadable),
        "pdf-sent-as.tif": BadFile("tif", pdf, unreadable),
    }


BAD_NAMES = [
    "random-bytes.tif",
    "empty.png",
    "empty.pdf",
    "truncated.png",
    "truncated.pdf",
    "truncated.tif",
    "truncated.jpg",
    "png-sent-as.pdf",
    "header-only.pdf",
    "pdf-sent-as.tif",
]


@dataclass
class Batch:
    bad: dict[str, int]  # name -> job id
    good: list[int]  # good jobs submitted before, between and after the bad ones
    workers_before: list[int]


@pytest.fixture(scope="module")
def batch(server: Server, data: Path) -> Batch:
    workers = sorted(server.worker_pids())
    good = [server.submit(data / PHOTOTEST, TxtOutput=True)["Id"]]
    bad: dict[str, int] = {}
    for index, (name, item) in enumerate(bad_files(data).items()):
        job_id = create(server, TxtOutput=True)
        response = server.client.post(f"/uploadext/{job_id}/{item.ext}", content=item.body)
        assert response.status_code == 200, f"{name}: {response.text}"
        bad[name] = job_id
        if index == 4:
            good.append(server.submit(data / PHOTOTEST, TxtOutput=True)["Id"])
    good.append(server.submit(data / PHOTOTEST, TxtOutput=True)["Id"])
    return Batch(bad=bad, good=good, workers_before=workers)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_file_ends_in_error_with_a_readable_description(
    server: Server, data: Path, batch: Batch, name: str
) -> None:
    item = bad_files(data)[name]
    info = server.wait(batch.bad[name], timeout=120)
    description = assert_readable_error(info)
    assert re.search(item.mentions, description), description
    assert server.client.get(f"/download/{batch.bad[name]}/pdf").status_code == 400


@pytest.mark.parametrize("name", BAD_NAMES)
def test_error_description_does_not_expose_server_paths(server: Server, batch: Batch, name: str) -> None:
    info = server.wait(batch.bad[name], timeout=120)
    description = str(info["ErrorDescription"])
    assert str(server.data_dir.resolve()) not in description, description
    assert not re.search(r"/jobs/\d+/|\b[0-9a-f]{32}\.\w+", description), description


def test_encrypted_pdf_with_owner_password_gives_a_clear_result(server: Server, data: Path) -> None:
    # encrypted_algo4.pdf: AES, owner password only, restrictive permissions; 1 page of 240 x 364.8 pt
    job = server.submit(data / "pdfs-ocrmypdf/encrypted_algo4.pdf")
    info = server.wait(job["Id"], timeout=120)
    if info["Status"] == 4:
        description = assert_readable_error(info)
        assert re.search(r"(?i)encrypt|password|permission|protected", description), description
    else:
        assert info["Status"] == 3, info
        assert info["NumberOfPages"] == 1
        pdf = server.client.get(f"/download/{job['Id']}/pdf")
        assert pdf.status_code == 200
        with pikepdf.open(io.BytesIO(pdf.content)) as out:
            assert len(out.pages) == 1
            box = out.pages[0].mediabox
            assert float(box[2]) - float(box[0]) == pytest.approx(240, abs=1)
            assert float(box[3]) - float(box[1]) == pytest.approx(364.8, abs=1)


def test_pdf_with_user_password_ends_in_error_naming_the_password(server: Server, data: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(data / "pdfs-ocrmypdf/linn.pdf") as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="owner-secret"))
    job = server.submit(locked)
    description = assert_readable_error(server.wait(job["Id"], timeout=120))
    assert re.search(r"(?i)password|encrypt", description), description


def test_server_still_works_and_other_jobs_are_not_affected(server: Server, data: Path, batch: Batch) -> None:
    for name, job_id in batch.bad.items():
        assert server.wait(job_id, timeout=120)["Status"] == 4, name
    for job_id in batch.good:
        converts(server, job_id)
    assert server.client.get("/test").json() is True
    # a new good job after all of them
    converts(server, server.submit(data / PHOTOTEST, TxtOutput=True)["Id"])
    # bad files are handled, not crashed on: the same worker processes are still there
    assert sorted(server.worker_pids()) == batch.workers_before
    stats = server.client.get("/stats").json()
    assert stats["ErrorFiles"] >= len(batch.bad)
    assert stats["SuccessFiles"] >= len(batch.good) + 1


# -- the server's limits ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with tight limits: 2 pages per job, 0.5 megapixels per page."""
    env = {"OCRMILL_MAX_PAGES": "2", "OCRMILL_MAX_IMAGE_MEGAPIXELS": "0.5"}
    with running(Server(tmp_path_factory.mktemp("limited"), env=env)) as srv:
        yield srv


def _tiff_of(data: Path, target: Path, count: int) -> Path:
    page = Image.open(data / PHOTOTEST)
    page.save(target, save_all=True, append_images=[page] * (count - 1), compression="group4")
    return target


def test_image_over_the_pixel_limit_ends_in_error(limited: Server, data: Path) -> None:
    # 8087_054.3B.tif: 2560 x 3300 = 8.4 megapixels; phototest (0.3) is within the limit
    big = limited.submit(data / "ocr-tesseract-test/8087_054.3B.tif")
    small = limited.submit(data / PHOTOTEST, TxtOutput=True)
    description = assert_readable_error(limited.wait(big["Id"], timeout=120))
    assert re.search(r"(?i)megapixel|pixel", description) and re.search(r"(?i)limit", description), description
    converts(limited, small["Id"])


def test_pdf_page_rendered_over_the_pixel_limit_ends_in_error(limited: Server, data: Path) -> None:
    # linn.pdf: one letter page, 3.7 megapixels at the default 200 dpi
    job = limited.submit(data / "pdfs-ocrmypdf/linn.pdf")
    description = assert_readable_error(limited.wait(job["Id"], timeout=120))
    assert re.search(r"(?i)megapixel|pixel", description) and re.search(r"(?i)limit", description), description


def test_pixel_limit_message_states_the_limit(limited: Server, data: Path) -> None:
    job = limited.submit(data / "ocr-tesseract-test/8087_054.3B.tif")
    description = assert_readable_error(limited.wait(job["Id"], timeout=120))
    assert re.search(r"\b0\.5\b", description), f"the limit is 0.5 megapixels; the description says: {description!r}"


def test_pdf_over_max_pages_ends_in_error(limited: Server, data: Path) -> None:
    job = limited.submit(data / "pdfs-ocrmypdf/multipage.pdf")  # 6 pages
    description = assert_readable_error(limited.wait(job["Id"], timeout=120))
    assert re.search(r"(?i)page", description) and re.search(r"\b2\b", description), description


def test_tiff_over_max_pages_ends_in_error_and_at_the_limit_converts(
    limited: Server, data: Path, tmp_path: Path
) -> None:
    three = limited.submit(_tiff_of(data, tmp_path / "three.tif", 3))
    two = limited.submit(_tiff_of(data, tmp_path / "two.tif", 2), TxtOutput=True)
    description = assert_readable_error(limited.wait(three["Id"], timeout=120))
    assert re.search(r"(?i)page", description) and re.search(r"\b2\b", description), description
    info = limited.wait(two["Id"], timeout=120)
    assert info["Status"] == 3, info["ErrorDescription"]
    assert info["NumberOfPages"] == 2


def test_pages_of_several_uploads_count_together_for_max_pages(limited: Server, data: Path, tmp_path: Path) -> None:
    two = _tiff_of(data, tmp_path / "two.tif", 2)
    job_id = create(limited, Autostart=False)
    for _ in range(2):
        response = limited.client.post(f"/uploadext/{job_id}/tif", content=two.read_bytes())
        assert response.status_code == 200, response.text
    assert limited.client.post(f"/schedule/{job_id}").status_code == 200
    description = assert_readable_error(limited.wait(job_id, timeout=120))
    assert re.search(r"(?i)page", description) and re.search(r"\b2\b", description), description
