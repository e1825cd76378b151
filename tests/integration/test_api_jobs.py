"""The ownOCR job API over real HTTP: every action and every "other function", on SQLite and PostgreSQL.

The server is shared by the whole module, so jobs accumulate: tests compare counts before and after, or
filter by the ids and correlation ids they made themselves.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.harness import Server

# The `server` of these tests runs once more with the S3 file store (SeaweedFS; tests/conftest.py).
pytestmark = pytest.mark.s3

# The keys of the example job in the API document, in the document's order.
EXAMPLE_KEYS = [
    "Status",
    "Id",
    "TemplateId",
    "Guid",
    "Created",
    "Modified",
    "Finished",
    "Scheduled",
    "Started",
    "NumberOfPages",
    "IsTemplate",
    "UserName",
    "Descr",
    "ErrorDescription",
    "FileUploaded",
    "CorrelationId",
    "Autostart",
    "RetentionDays",
    "PdfOutput",
    "TxtOutput",
    "DocxOutput",
    "XmlOutput",
    "RtfOutput",
    "OdtOutput",
    "MhtOutput",
    "EpubOutput",
    "PdfConformance",
    "PdfTitle",
    "PdfSubject",
    "PdfAuthor",
    "PdfKeywords",
    "BWCompression",
    "ColorCompression",
    "Deskew",
    "DeskewAdjustPaperSize",
    "AutoOrientation",
    "ClearBorder",
    "DeleteBorder",
    "Despeckle",
    "RemoveColorNoise",
    "RemoveHalftone",
    "RemoveHolePunch",
    "Binarize",
    "ImproveText",
    "RecognitionLanguages",
    "MinConfidence",
    "NrOfOCRThreads",
    "FastMode",
    "RemoveWhiteSpaceRegions",
    "IntelligentPDFProcessing",
    "RenderResolution",
    "RenderQuality",
    "DetectBarcodes",
    "Barcodes",
    "BarcodeFilter",
    "BarcodeDirection",
    "DeleteBlankPages",
    "BlankPagesMaxNoise",
]
# ocrmill's keys, in a job's JSON only when it asks for them
ADDITIONS = {"RemovedPages", "SecondReading", "HocrOutput"}

READ_ONLY = {
    "Status",
    "Id",
    "TemplateId",
    "Guid",
    "Created",
    "Modified",
    "Finished",
    "Scheduled",
    "Started",
    "NumberOfPages",
    "IsTemplate",
    "UserName",
    "ErrorDescription",
    "FileUploaded",
    "Barcodes",
}
OPTION_KEYS = [k for k in EXAMPLE_KEYS if k not in READ_ONLY]

DATE_KEYS = ("Created", "Modified", "Finished", "Scheduled", "Started")
UNSET_DATE = "0001-01-01T00:00:00"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?[+-]\d{2}:\d{2}$")

SUPPORTED_EXTS = ["TIF", "TIFF", "JPG", "JPEG", "BMP", "PNG", "GIF", "HEIF", "HEIC", "PDF"]
STATS_KEYS = ["ProcessingFiles", "ProcessedFiles", "SuccessFiles", "ErrorFiles"]
SERVERLOAD_KEYS = [
    "Name",
    "Version",
    "OverallFilesInProcessing",
    "JobsInProcessing",
    "FilesInProcessing",
    "ScheduledJobs",
    "ScheduledFiles",
    "FoldersThreads",
    "JobsThreads",
    "LoadPercent",
    "RealLoadPercent",
    "JobsLoadPercent",
    "JobsRealLoadPercent",
    "FoldersLoadPercent",
    "FoldersRealLoadPercent",
]

CREATED, SCHEDULED, CONVERTING, CONVERTED, ERROR = 0, 1, 2, 3, 4
MISSING_ID = 2_000_000_000


# -- helpers --------------------------------------------------------------------------------------


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def fails(response: httpx.Response, status: int) -> str:
    """Asserts the ownOCR error body and returns its message."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    body = response.json()
    assert set(body) == {"Success", "StatusCode", "Message"}, body
    assert body["Success"] is False
    assert body["StatusCode"] == status
    assert isinstance(body["Message"], str) and body["Message"].strip()
    return str(body["Message"])


def once(server: Server, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A request on its own connection: for requests that may hit a server error, after which the server
    drops the connection (a pooled client's next request would then fail with "connection reset")."""
    with httpx.Client(base_url=server.base, timeout=60) as client:
        return client.request(method, url, **kwargs)


def create(server: Server, **options: Any) -> dict[str, Any]:
    job: dict[str, Any] = ok(server.client.post("/create", json=options))
    return job


def upload_file(server: Server, job_id: int, path: Path) -> dict[str, Any]:
    job: dict[str, Any] = ok(
        server.client.post(f"/uploadext/{job_id}/{path.suffix.lstrip('.')}", content=path.read_bytes())
    )
    return job


def info(server: Server, job_id: int) -> dict[str, Any]:
    job: dict[str, Any] = ok(server.client.get(f"/info/{job_id}"))
    return job


def status_of(server: Server, job_id: int) -> int:
    value = ok(server.client.get(f"/status/{job_id}"))
    assert type(value) is int, value
    return value


def wait_until(server: Server, job_ids: Iterable[int], statuses: set[int], *, timeout: float = 60) -> None:
    ids = list(job_ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(status_of(server, i) in statuses for i in ids):
            return
        time.sleep(0.05)
    raise TimeoutError(f"jobs {ids} did not reach {statuses}: {[status_of(server, i) for i in ids]}")


def converted(server: Server, job_id: int) -> dict[str, Any]:
    job = server.wait(job_id, timeout=120)
    assert job["Status"] == CONVERTED, job["ErrorDescription"]
    return job


def query_ids(server: Server, body: dict[str, Any]) -> list[int]:
    jobs = ok(server.client.post("/query", json=body))
    assert isinstance(jobs, list)
    return sorted(j["Id"] for j in jobs)


def live_workers(server: Server) -> list[psutil.Process]:
    """The server's OCR worker processes (spawned children; not multiprocessing's resource tracker)."""
    assert server.process is not None
    children = psutil.Process(server.process.pid).children()
    return [p for p in children if p.is_running() and "spawn_main" in " ".join(p.cmdline())]


def when(value: str) -> datetime:
    assert ISO_WITH_OFFSET.match(value), value
    return datetime.fromisoformat(value)


def options_of(job: dict[str, Any]) -> dict[str, Any]:
    return {k: job[k] for k in OPTION_KEYS}


@pytest.fixture(scope="module")
def phototest(data: Path) -> Path:
    return data / "ocr-tesseract-test" / "phototest.tif"


@pytest.fixture(scope="module")
def done(server: Server, phototest: Path) -> dict[str, Any]:
    """One converted job (PDF + TXT) that the tests only read."""
    job = server.submit(phototest, TxtOutput=True, CorrelationId=f"done-{uuid.uuid4()}")
    return converted(server, job["Id"])


# -- the job object -------------------------------------------------------------------------------


def test_job_json_has_the_example_keys_in_the_example_order(server: Server, done: dict[str, Any]) -> None:
    new = create(server)
    assert list(new) == EXAMPLE_KEYS
    assert list(info(server, new["Id"])) == EXAMPLE_KEYS
    assert list(done) == EXAMPLE_KEYS
    assert all(list(j) == EXAMPLE_KEYS for j in ok(server.client.post("/query", json={"IdList": [new["Id"]]})))


def test_new_job_has_the_documented_defaults(server: Server) -> None:
    job = ok(server.client.post("/create"))
    assert isinstance(job["Id"], int) and job["Id"] > 0
    assert uuid.UUID(job["Guid"])
    assert job["Status"] == CREATED
    assert job["TemplateId"] == 0
    assert job["IsTemplate"] is False
    assert job["NumberOfPages"] == 0
    assert job["FileUploaded"] is False
    assert job["UserName"] == ""
    assert job["ErrorDescription"] == ""
    assert job["Barcodes"] == []
    assert job["Autostart"] is True
    assert job["RetentionDays"] == 30  # the default Max retention days
    assert job["PdfOutput"] is True
    for flag in ("TxtOutput", "DocxOutput", "XmlOutput", "RtfOutput", "OdtOutput", "MhtOutput", "EpubOutput"):
        assert job[flag] is False, flag
    assert job["PdfConformance"] == 0
    assert job["BWCompression"] == 0
    assert job["ColorCompression"] == 1
    assert job["RecognitionLanguages"] == "English"
    assert job["MinConfidence"] == 60
    assert job["NrOfOCRThreads"] == 2
    assert job["RenderResolution"] == 200
    assert job["RenderQuality"] == 60
    assert job["BarcodeFilter"] == 0
    assert job["BarcodeDirection"] == 3
    assert job["BlankPagesMaxNoise"] == 0.5
    assert job["Descr"] == job["CorrelationId"] == job["PdfTitle"] == ""


def test_dates_are_iso_with_offset_and_unset_dates_are_the_dotnet_default(server: Server) -> None:
    job = create(server)
    created, modified = when(job["Created"]), when(job["Modified"])
    assert created.utcoffset() is not None
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=5)
    assert modified >= created
    for key in ("Finished", "Scheduled", "Started"):
        assert job[key] == UNSET_DATE, key


def test_converted_job_has_all_dates_in_order(done: dict[str, Any]) -> None:
    assert done["Status"] == CONVERTED
    assert done["FileUploaded"] is True
    assert done["NumberOfPages"] == 1
    assert done["ErrorDescription"] == ""
    created, scheduled, started, finished = (when(done[k]) for k in ("Created", "Scheduled", "Started", "Finished"))
    assert created <= scheduled <= started <= finished
    assert when(done["Modified"]) >= finished


# -- create -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"{}", b"null"], ids=["empty", "object", "null"])
def test_create_without_options(server: Server, body: bytes) -> None:
    headers = {"Content-Type": "application/json"} if body else {}
    job = ok(server.client.post("/create", content=body, headers=headers))
    assert job["Status"] == CREATED
    assert job["Descr"] == ""
    assert job["Autostart"] is True


def test_create_with_the_documents_example_body(server: Server) -> None:
    body = {
        "Descr": "Hello ownOCR Server! This is my first OCR job",
        "Autostart": False,
        "PdfOutput": True,
        "TxtOutput": True,
    }
    job = create(server, **body)
    for key, value in body.items():
        assert job[key] == value, key
    assert info(server, job["Id"])["TxtOutput"] is True


def test_create_sets_every_kind_of_option(server: Server) -> None:
    body = {
        "CorrelationId": "corr-1",
        "RetentionDays": 7,
        "PdfConformance": 2,
        "PdfTitle": "Title",
        "PdfKeywords": "a, b",
        "ColorCompression": 3,
        "Deskew": True,
        "RecognitionLanguages": "English;German",
        "MinConfidence": 0,
        "NrOfOCRThreads": 1,
        "RenderResolution": 300,
        "RenderQuality": 100,
        "DetectBarcodes": True,
        "BarcodeFilter": 0x3FF,
        "BarcodeDirection": 1,
        "BlankPagesMaxNoise": 2.5,
    }
    job = create(server, **body)
    assert {k: job[k] for k in body} == body
    assert {k: v for k, v in info(server, job["Id"]).items() if k in body} == body


def test_create_matches_property_names_case_insensitively(server: Server) -> None:
    job = create(
        server, descr="lower", TXTOUTPUT=True, minConfidence=70, autostart=False, recognitionlanguages="French"
    )
    assert job["Descr"] == "lower"
    assert job["TxtOutput"] is True
    assert job["MinConfidence"] == 70
    assert job["Autostart"] is False
    assert job["RecognitionLanguages"] == "French"
    assert list(job) == EXAMPLE_KEYS  # the output keeps the documented spelling


def test_create_ignores_read_only_properties(server: Server) -> None:
    body = {
        "Id": MISSING_ID,
        "Status": CONVERTED,
        "TemplateId": 5,
        "Guid": "96ebb3f4-48d7-4580-9c02-dfe4d430a2c6",
        "Created": "2021-01-06T23:10:57.2084778+02:00",
        "Finished": "2021-01-06T23:11:39.4168766+02:00",
        "NumberOfPages": 7,
        "IsTemplate": True,
        "UserName": "mallory",
        "ErrorDescription": "boom",
        "FileUploaded": True,
        "Barcodes": [{"PageNo": 1, "Value": "1234567890128", "Type": 5, "X": 1, "Y": 2, "Width": 3, "Height": 4}],
        "Descr": "read-only ignored",
    }
    job = create(server, **body)
    assert job["Id"] != MISSING_ID
    assert job["Status"] == CREATED
    assert job["TemplateId"] == 0
    assert job["Guid"] != body["Guid"]
    assert job["Created"] != body["Created"]
    assert job["Finished"] == UNSET_DATE
    assert job["NumberOfPages"] == 0
    assert job["IsTemplate"] is False
    assert job["UserName"] == ""
    assert job["ErrorDescription"] == ""
    assert job["FileUploaded"] is False
    assert job["Barcodes"] == []
    assert job["Descr"] == "read-only ignored"
    fails(server.client.get(f"/info/{MISSING_ID}"), 404)


def test_create_accepts_a_job_posted_back(server: Server, done: dict[str, Any]) -> None:
    """Clients post back the job they read: its read-only members are ignored, its options kept."""
    job = ok(server.client.post("/create", json=done))
    assert job["Id"] != done["Id"]
    assert job["Status"] == CREATED
    assert job["FileUploaded"] is False
    assert options_of(job) == options_of(done)


@pytest.mark.parametrize("route", ["/create", "/createtemplate", "/setoptions/{id}"])
def test_a_misspelt_property_is_refused_naming_it(server: Server, route: str) -> None:
    tag = f"misspelt-{uuid.uuid4()}"
    job = create(server, CorrelationId=tag)
    url = route.format(id=job["Id"])
    message = fails(server.client.post(url, json={"PdfOutptu": False, "TxtOutput": True, "CorrelationId": tag}), 400)
    assert message == (
        "PdfOutptu: not a job property (neither in the ownOCR document nor an ocrmill addition); "
        "did you mean PdfOutput?"
    )
    assert fails(server.client.post(url, json={"whatever": 1}), 400).startswith("whatever: not a job property")
    assert query_ids(server, {"CorrelationIdList": [tag]}) == [job["Id"]]  # nothing created
    assert info(server, job["Id"])["TxtOutput"] is False  # nothing changed


def test_a_job_without_any_output_is_refused(server: Server) -> None:
    expected = "The job asks for no output at all: set at least one of PdfOutput, TxtOutput"
    assert fails(server.client.post("/create", json={"PdfOutput": False}), 400).startswith(expected)
    assert fails(server.client.post("/createtemplate", json={"pdfoutput": "false"}), 400).startswith(expected)
    job = create(server, TxtOutput=True)
    assert fails(server.client.post(f"/setoptions/{job['Id']}", json={"PdfOutput": False, "TxtOutput": False}), 400)
    assert info(server, job["Id"])["TxtOutput"] is True  # refused: nothing changed
    assert ok(server.client.post(f"/setoptions/{job['Id']}", json={"PdfOutput": False}))["PdfOutput"] is False


def test_setoptions_accepts_the_info_it_read(server: Server, done: dict[str, Any]) -> None:
    """A client echoes back every member of `info`, read-only ones and ocrmill's additions included."""
    job = create(server, DeleteBlankPages=True, SecondReading=False, Autostart=False, TxtOutput=True)
    read = info(server, job["Id"])
    assert "RemovedPages" in read and read["SecondReading"] is False  # the additions are in this job's JSON
    echoed = ok(server.client.post(f"/setoptions/{job['Id']}", json={**read, "Descr": "echoed"}))
    assert echoed["Descr"] == "echoed"
    assert options_of(echoed) == {**options_of(read), "Descr": "echoed"}
    finished = ok(server.client.post(f"/setoptions/{job['Id']}", json=done))  # another job's, converted
    assert (finished["Id"], finished["Status"], finished["FileUploaded"]) == (job["Id"], CREATED, False)
    assert options_of(finished) == options_of(done)


BAD_VALUES: list[tuple[str, Any]] = [
    ("MinConfidence", "abc"),
    ("MinConfidence", 101),
    ("MinConfidence", -1),
    ("MinConfidence", 1.5),
    ("NrOfOCRThreads", 0),
    ("NrOfOCRThreads", 33),
    ("RenderResolution", 49),
    ("RenderResolution", 301),
    ("RenderQuality", 0),
    ("RenderQuality", 101),
    ("PdfConformance", 7),
    ("BWCompression", 2),
    ("ColorCompression", 4),
    ("BarcodeDirection", 0),
    ("BarcodeDirection", 4),
    ("BarcodeFilter", -1),
    ("BlankPagesMaxNoise", 0.001),
    ("BlankPagesMaxNoise", 100.5),
    ("RetentionDays", 0),
    ("RetentionDays", 31),
    ("Autostart", 5),
    ("Autostart", "yes"),
    ("TxtOutput", None),
    ("Descr", 5),
    ("CorrelationId", ["a"]),
    ("PdfOutput", {"x": 1}),
    ("RecognitionLanguages", "Klingon"),
    ("MinConfidence", True),
    ("MinConfidence", 10**400),
    ("BlankPagesMaxNoise", 10**400),
]


@pytest.mark.parametrize(("name", "value"), [pytest.param(n, v, id=f"{n}={str(v)[:12]}") for n, v in BAD_VALUES])
def test_create_rejects_wrong_types_and_ranges_naming_the_property(server: Server, name: str, value: Any) -> None:
    before = ok(server.client.get("/count"))
    message = fails(once(server, "POST", "/create", json={name: value}), 400)
    assert name in message
    assert ok(server.client.get("/count")) == before


def test_create_rejects_a_property_in_other_case_naming_it(server: Server) -> None:
    assert "MinConfidence" in fails(server.client.post("/create", json={"minconfidence": 500}), 400)


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"{not json", b"42"])
def test_create_rejects_a_body_that_is_not_a_json_object(server: Server, body: bytes) -> None:
    fails(server.client.post("/create", content=body, headers={"Content-Type": "application/json"}), 400)


# -- templates ----------------------------------------------------------------------------------


def test_createtemplate_and_templates(server: Server) -> None:
    template = ok(server.client.post("/createtemplate"))
    assert list(template) == EXAMPLE_KEYS
    assert template["IsTemplate"] is True
    assert template["Status"] == CREATED
    assert template["TemplateId"] == 0
    job = create(server)

    templates = ok(server.client.get("/templates"))
    ids = [t["Id"] for t in templates]
    assert template["Id"] in ids
    assert job["Id"] not in ids
    assert all(t["IsTemplate"] is True for t in templates)
    assert all(list(t) == EXAMPLE_KEYS for t in templates)


def test_setoptions_on_a_template_works_any_time(server: Server) -> None:
    template = ok(server.client.post("/createtemplate"))
    first = ok(server.client.post(f"/setoptions/{template['Id']}", json={"Descr": "one", "TxtOutput": True}))
    second = ok(server.client.post(f"/setoptions/{template['Id']}", json={"descr": "two"}))
    assert first["Descr"] == "one"
    assert second["Descr"] == "two"
    assert second["TxtOutput"] is True  # untouched options stay
    assert second["IsTemplate"] is True and second["Status"] == CREATED


def test_createfromtemplate_copies_the_options(server: Server) -> None:
    template = ok(server.client.post("/createtemplate"))
    options = {
        "Descr": "from a template",
        "CorrelationId": "tpl-corr",
        "Autostart": False,
        "TxtOutput": True,
        "PdfOutput": False,
        "MinConfidence": 42,
        "RecognitionLanguages": "English;German",
        "RetentionDays": 3,
        "RenderQuality": 80,
        "BlankPagesMaxNoise": 1.25,
    }
    template = ok(server.client.post(f"/setoptions/{template['Id']}", json=options))

    job = ok(server.client.post(f"/createfromtemplate/{template['Id']}"))
    assert list(job) == EXAMPLE_KEYS
    assert job["TemplateId"] == template["Id"]
    assert job["Id"] != template["Id"]
    assert job["Guid"] != template["Guid"]
    assert job["IsTemplate"] is False
    assert job["Status"] == CREATED
    assert job["FileUploaded"] is False
    assert options_of(job) == options_of(template)
    assert {k: job[k] for k in options} == options

    # A copy, not a reference: changing the template later leaves the job alone.
    ok(server.client.post(f"/setoptions/{template['Id']}", json={"Descr": "changed", "MinConfidence": 1}))
    again = info(server, job["Id"])
    assert again["Descr"] == "from a template"
    assert again["MinConfidence"] == 42
    assert again["TemplateId"] == template["Id"]


def test_createfromtemplate_unknown_or_non_template(server: Server) -> None:
    fails(server.client.post(f"/createfromtemplate/{MISSING_ID}"), 404)
    fails(server.client.post("/createfromtemplate/abc"), 404)
    job = create(server)
    fails(server.client.post(f"/createfromtemplate/{job['Id']}"), 400)


def test_a_template_cannot_be_uploaded_to_scheduled_canceled_or_downloaded(server: Server, phototest: Path) -> None:
    template = ok(server.client.post("/createtemplate"))
    tid = template["Id"]
    fails(server.client.post(f"/uploadext/{tid}/tif", content=phototest.read_bytes()), 400)
    fails(
        server.client.post(f"/upload/{tid}", content=phototest.read_bytes(), headers={"Content-Type": "image/tiff"}),
        400,
    )
    fails(server.client.post(f"/schedule/{tid}"), 400)
    fails(server.client.post(f"/cancel/{tid}"), 400)
    fails(server.client.get(f"/download/{tid}/pdf"), 400)
    after = info(server, tid)
    assert after["Status"] == CREATED
    assert after["FileUploaded"] is False


def test_a_template_can_be_deleted(server: Server) -> None:
    template = ok(server.client.post("/createtemplate"))
    assert ok(server.client.delete(f"/delete/{template['Id']}"))["Id"] == template["Id"]
    assert template["Id"] not in [t["Id"] for t in ok(server.client.get("/templates"))]
    fails(server.client.get(f"/info/{template['Id']}"), 404)


# -- setoptions ---------------------------------------------------------------------------------


def test_setoptions_while_created(server: Server) -> None:
    job = create(server, Autostart=False, Descr="before")
    changed = ok(server.client.post(f"/setoptions/{job['Id']}", json={"descr": "after", "TxtOutput": "true", "Id": 1}))
    assert changed["Id"] == job["Id"]
    assert changed["Descr"] == "after"
    assert changed["TxtOutput"] is True
    assert changed["Autostart"] is False  # untouched options stay
    assert when(changed["Modified"]) >= when(job["Modified"])
    assert changed["Created"] == job["Created"]
    assert info(server, job["Id"])["Descr"] == "after"


def test_setoptions_with_a_bad_value_changes_nothing(server: Server) -> None:
    job = create(server, Autostart=False, MinConfidence=50)
    message = fails(
        server.client.post(f"/setoptions/{job['Id']}", json={"MinConfidence": 70, "RenderResolution": 1000}), 400
    )
    assert "RenderResolution" in message
    assert info(server, job["Id"])["MinConfidence"] == 50


def test_setoptions_after_conversion_is_refused(server: Server, done: dict[str, Any]) -> None:
    fails(server.client.post(f"/setoptions/{done['Id']}", json={"Descr": "late"}), 400)
    assert info(server, done["Id"])["Descr"] == done["Descr"]


# -- uploads --------------------------------------------------------------------------------------


def test_upload_raw_body_with_content_type(server: Server, phototest: Path) -> None:
    job = create(server, Autostart=False)
    assert job["FileUploaded"] is False
    up = ok(
        server.client.post(
            f"/upload/{job['Id']}", content=phototest.read_bytes(), headers={"Content-Type": "image/tiff"}
        )
    )
    assert list(up) == EXAMPLE_KEYS
    assert up["Id"] == job["Id"]
    assert up["FileUploaded"] is True
    assert up["Status"] == CREATED
    assert info(server, job["Id"])["FileUploaded"] is True


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json", "image/x-unknown"])
def test_upload_with_an_unsupported_or_missing_content_type(
    server: Server, phototest: Path, content_type: str | None
) -> None:
    job = create(server, Autostart=False)
    headers = {"Content-Type": content_type} if content_type else {}
    fails(server.client.post(f"/upload/{job['Id']}", content=phototest.read_bytes(), headers=headers), 415)
    assert info(server, job["Id"])["FileUploaded"] is False


def test_upload_multipart_with_a_typed_file_part(server: Server, phototest: Path) -> None:
    job = create(server, Autostart=False)
    files = {"file": ("scan.bin", phototest.read_bytes(), "image/tiff")}
    up = ok(server.client.post(f"/upload/{job['Id']}", files=files))
    assert up["FileUploaded"] is True
    assert up["Status"] == CREATED


def test_upload_multipart_octet_stream_uses_the_file_name_extension(server: Server, phototest: Path) -> None:
    job = create(server, Autostart=False)
    files = {"file": ("scan.tif", phototest.read_bytes(), "application/octet-stream")}
    up = ok(server.client.post(f"/upload/{job['Id']}", files=files))
    assert up["FileUploaded"] is True


@pytest.mark.parametrize("filename", ["notes.txt", "scan", "archive.zip"])
def test_upload_multipart_octet_stream_with_an_unsupported_name(server: Server, phototest: Path, filename: str) -> None:
    job = create(server, Autostart=False)
    files = {"file": (filename, phototest.read_bytes(), "application/octet-stream")}
    fails(server.client.post(f"/upload/{job['Id']}", files=files), 415)
    assert info(server, job["Id"])["FileUploaded"] is False


@pytest.mark.parametrize("route", ["uploadext", "upload"])
@pytest.mark.parametrize("ext", ["tif", "TIFF", "Tif"])
def test_uploadext_on_both_routes(server: Server, phototest: Path, route: str, ext: str) -> None:
    job = create(server, Autostart=False)
    up = ok(server.client.post(f"/{route}/{job['Id']}/{ext}", content=phototest.read_bytes()))
    assert up["Id"] == job["Id"]
    assert up["FileUploaded"] is True
    assert up["Status"] == CREATED


@pytest.mark.parametrize("route", ["uploadext", "upload"])
def test_uploadext_with_an_unsupported_extension(server: Server, phototest: Path, route: str) -> None:
    job = create(server, Autostart=False)
    fails(server.client.post(f"/{route}/{job['Id']}/exe", content=phototest.read_bytes()), 415)
    assert info(server, job["Id"])["FileUploaded"] is False


def test_several_uploads_are_appended_in_order(server: Server, data: Path, phototest: Path) -> None:
    """Every way of uploading, into one Autostart=false job; the pages add up, in upload order."""
    simple = data / "ocr-tesseractjs" / "simple.png"
    cosmic = data / "ocr-tesseractjs" / "cosmic.png"
    rotated = data / "ocr-tesseractjs" / "simple-90.jpg"
    pdf = data / "pdfs-ocrmypdf" / "acroform.pdf"
    job = create(server, Autostart=False, TxtOutput=True)
    jid = job["Id"]
    stats_before = ok(server.client.get("/stats"))

    ok(server.client.post(f"/upload/{jid}", content=simple.read_bytes(), headers={"Content-Type": "image/png"}))
    ok(server.client.post(f"/upload/{jid}", files={"file": ("a.bin", cosmic.read_bytes(), "image/png")}))
    ok(server.client.post(f"/upload/{jid}", files={"file": ("form.PDF", pdf.read_bytes(), "application/octet-stream")}))
    ok(server.client.post(f"/uploadext/{jid}/jpg", content=rotated.read_bytes()))
    last = ok(server.client.post(f"/upload/{jid}/TIF", content=phototest.read_bytes()))
    assert last["Status"] == CREATED  # Autostart=false: still waiting for schedule
    assert last["FileUploaded"] is True

    scheduled = ok(server.client.post(f"/schedule/{jid}"))
    assert scheduled["Status"] == SCHEDULED
    assert scheduled["Scheduled"] != UNSET_DATE
    result = converted(server, jid)
    assert result["NumberOfPages"] == 5

    text = server.client.get(f"/download/{jid}/txt").text
    order = [text.find(word) for word in ("Tesseract", "Cosmic", "quick brown")]
    assert -1 not in order, text
    assert order == sorted(order), text

    stats_after = ok(server.client.get("/stats"))
    assert stats_after["ProcessedFiles"] > stats_before["ProcessedFiles"]
    assert stats_after["SuccessFiles"] > stats_before["SuccessFiles"]


def test_upload_after_autostart_scheduled_the_job_is_refused(server: Server, phototest: Path) -> None:
    job = create(server)  # Autostart defaults to true
    first = upload_file(server, job["Id"], phototest)
    assert first["Status"] == SCHEDULED
    assert first["Scheduled"] != UNSET_DATE
    fails(server.client.post(f"/uploadext/{job['Id']}/tif", content=phototest.read_bytes()), 400)
    fails(
        server.client.post(
            f"/upload/{job['Id']}", content=phototest.read_bytes(), headers={"Content-Type": "image/tiff"}
        ),
        400,
    )
    assert converted(server, job["Id"])["NumberOfPages"] == 1  # the refused uploads added nothing


def test_upload_after_conversion_is_refused(server: Server, done: dict[str, Any], phototest: Path) -> None:
    fails(server.client.post(f"/uploadext/{done['Id']}/tif", content=phototest.read_bytes()), 400)
    assert info(server, done["Id"])["NumberOfPages"] == 1


# -- schedule, status, info -----------------------------------------------------------------------


def test_schedule_needs_an_uploaded_file(server: Server) -> None:
    job = create(server, Autostart=False)
    fails(server.client.post(f"/schedule/{job['Id']}"), 400)
    assert status_of(server, job["Id"]) == CREATED


def test_schedule_a_converted_job_is_refused(server: Server, done: dict[str, Any]) -> None:
    fails(server.client.post(f"/schedule/{done['Id']}"), 400)
    assert status_of(server, done["Id"]) == CONVERTED


def test_status_is_a_scalar_json_integer(server: Server, done: dict[str, Any]) -> None:
    job = create(server)
    response = server.client.get(f"/status/{job['Id']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.text.strip() == "0"
    assert server.client.get(f"/status/{done['Id']}").text.strip() == "3"


def test_info_returns_the_job(server: Server) -> None:
    job = create(server, Descr="info me", CorrelationId="info-1")
    again = info(server, job["Id"])
    assert again == job


# -- download -------------------------------------------------------------------------------------


def test_download_pdf(server: Server, done: dict[str, Any]) -> None:
    response = server.client.get(f"/download/{done['Id']}/pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert f'filename="{done["Id"]}.pdf"' in disposition
    assert response.content.startswith(b"%PDF-")
    assert b"%%EOF" in response.content[-1024:]


def test_download_txt(server: Server, done: dict[str, Any]) -> None:
    response = server.client.get(f"/download/{done['Id']}/TXT")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert f'filename="{done["Id"]}.txt"' in response.headers["content-disposition"]
    assert "quick brown dog" in response.text


@pytest.mark.parametrize("ext", ["docx", "xml", "rtf", "odt", "mht", "epub"])
def test_download_only_the_formats_the_job_asked_for(server: Server, done: dict[str, Any], ext: str) -> None:
    fails(server.client.get(f"/download/{done['Id']}/{ext}"), 400)


@pytest.mark.parametrize("ext", ["exe", "png", "pdfx"])
def test_download_an_unknown_extension(server: Server, done: dict[str, Any], ext: str) -> None:
    fails(server.client.get(f"/download/{done['Id']}/{ext}"), 400)


def test_download_before_conversion_is_refused(server: Server, phototest: Path) -> None:
    job = create(server, Autostart=False)
    fails(server.client.get(f"/download/{job['Id']}/pdf"), 400)
    upload_file(server, job["Id"], phototest)
    fails(server.client.get(f"/download/{job['Id']}/pdf"), 400)


# -- cancel and delete ----------------------------------------------------------------------------


def test_cancel_a_created_job_keeps_its_files_and_it_can_be_scheduled_again(server: Server, phototest: Path) -> None:
    job = create(server, Autostart=False)
    upload_file(server, job["Id"], phototest)
    canceled = ok(server.client.post(f"/cancel/{job['Id']}"))
    assert list(canceled) == EXAMPLE_KEYS
    assert canceled["Status"] == CREATED
    assert canceled["FileUploaded"] is True

    assert ok(server.client.post(f"/schedule/{job['Id']}"))["Status"] == SCHEDULED
    result = converted(server, job["Id"])
    assert result["NumberOfPages"] == 1

    # Converted: no cancel, but delete is allowed.
    fails(server.client.post(f"/cancel/{job['Id']}"), 400)
    assert status_of(server, job["Id"]) == CONVERTED
    deleted = ok(server.client.delete(f"/delete/{job['Id']}"))
    assert deleted["Id"] == job["Id"]
    fails(server.client.get(f"/info/{job['Id']}"), 404)
    fails(server.client.get(f"/download/{job['Id']}/pdf"), 404)


def test_cancel_a_converted_job_is_refused(server: Server, done: dict[str, Any]) -> None:
    fails(server.client.post(f"/cancel/{done['Id']}"), 400)
    assert info(server, done["Id"])["Status"] == CONVERTED


@pytest.mark.parametrize("method", ["DELETE", "POST"])
def test_delete(server: Server, method: str) -> None:
    job = create(server, Descr="to delete")
    before = ok(server.client.get("/count"))
    deleted = ok(server.client.request(method, f"/delete/{job['Id']}"))
    assert list(deleted) == EXAMPLE_KEYS
    assert deleted["Id"] == job["Id"]
    assert deleted["Descr"] == "to delete"
    assert ok(server.client.get("/count")) == before - 1
    fails(server.client.get(f"/info/{job['Id']}"), 404)
    fails(server.client.get(f"/status/{job['Id']}"), 404)
    fails(server.client.request(method, f"/delete/{job['Id']}"), 404)
    assert query_ids(server, {"IdList": [job["Id"]]}) == []


def _long_job(server: Server, phototest: Path, pages: int) -> int:
    """An Autostart=false job of several uploads, one OCR thread: it keeps a worker busy for a while."""
    job = create(server, Autostart=False, NrOfOCRThreads=1, Descr="long")
    for _ in range(pages):
        upload_file(server, job["Id"], phototest)
    assert ok(server.client.post(f"/schedule/{job['Id']}"))["Status"] == SCHEDULED
    return int(job["Id"])


def test_scheduled_and_converting_jobs_are_protected(server: Server, phototest: Path) -> None:
    """Two long jobs hold both workers (JobsThreads = 2), so a third job waits in Scheduled."""
    pages = 12
    busy = [_long_job(server, phototest, pages) for _ in range(2)]
    wait_until(server, busy, {CONVERTING})

    waiting = create(server, Descr="waits")
    wid = waiting["Id"]
    assert upload_file(server, wid, phototest)["Status"] == SCHEDULED
    assert status_of(server, wid) == SCHEDULED

    # Scheduled: no options, no uploads, no delete, no second schedule.
    fails(server.client.post(f"/setoptions/{wid}", json={"Descr": "no"}), 400)
    fails(server.client.post(f"/uploadext/{wid}/tif", content=phototest.read_bytes()), 400)
    fails(server.client.delete(f"/delete/{wid}"), 400)
    fails(server.client.post(f"/delete/{wid}"), 400)
    fails(server.client.post(f"/schedule/{wid}"), 400)
    fails(server.client.get(f"/download/{wid}/pdf"), 400)

    # Converting: no options, no uploads, no cancel, no delete.
    for bid in busy:
        fails(server.client.post(f"/setoptions/{bid}", json={"Descr": "no"}), 400)
        fails(server.client.post(f"/uploadext/{bid}/tif", content=phototest.read_bytes()), 400)
        fails(server.client.post(f"/cancel/{bid}"), 400)
        fails(server.client.delete(f"/delete/{bid}"), 400)
        fails(server.client.post(f"/delete/{bid}"), 400)

    # The listings see the states.
    assert ok(server.client.get("/runningcount")) >= 2
    assert {j["Id"] for j in ok(server.client.get("/allbystatus/2"))} >= set(busy)
    assert wid in {j["Id"] for j in ok(server.client.get("/allbystatus/1"))}
    assert query_ids(server, {"IdList": [*busy, wid], "StatusList": [CONVERTING]}) == sorted(busy)
    load = ok(server.client.get("/serverload"))
    assert load["JobsInProcessing"] >= 2
    assert load["ScheduledJobs"] >= 1
    assert load["FilesInProcessing"] >= 2
    assert load["ScheduledFiles"] >= 1
    assert ok(server.client.get("/stats"))["ProcessingFiles"] >= 3
    assert [status_of(server, b) for b in busy] == [CONVERTING, CONVERTING], "the long jobs ended too early"

    # Cancel a Scheduled job: back to Created with its file; it can be scheduled again.
    canceled = ok(server.client.post(f"/cancel/{wid}"))
    assert canceled["Status"] == CREATED
    assert canceled["FileUploaded"] is True
    assert status_of(server, wid) == CREATED
    assert ok(server.client.post(f"/schedule/{wid}"))["Status"] == SCHEDULED

    for bid in busy:
        assert converted(server, bid)["NumberOfPages"] == pages
    assert converted(server, wid)["NumberOfPages"] == 1
    assert ok(server.client.post(f"/delete/{wid}"))["Id"] == wid


# -- unknown ids ----------------------------------------------------------------------------------

JOB_ROUTES = [
    ("GET", "/info/{id}"),
    ("GET", "/status/{id}"),
    ("GET", "/download/{id}/pdf"),
    ("POST", "/setoptions/{id}"),
    ("POST", "/upload/{id}"),
    ("POST", "/uploadext/{id}/tif"),
    ("POST", "/upload/{id}/tif"),
    ("POST", "/schedule/{id}"),
    ("POST", "/cancel/{id}"),
    ("DELETE", "/delete/{id}"),
    ("POST", "/delete/{id}"),
    ("POST", "/createfromtemplate/{id}"),
]


def _request(server: Server, method: str, route: str, job_id: str, tif: Path) -> httpx.Response:
    kwargs: dict[str, Any] = {}
    if route.startswith("/setoptions"):
        kwargs = {"content": b'{"Descr": "x"}', "headers": {"Content-Type": "application/json"}}
    if route.startswith("/upload"):
        kwargs = {"content": tif.read_bytes(), "headers": {"Content-Type": "image/tiff"}}
    return once(server, method, route.format(id=job_id), **kwargs)


@pytest.mark.parametrize(("method", "route"), JOB_ROUTES, ids=[f"{m} {r}" for m, r in JOB_ROUTES])
@pytest.mark.parametrize("job_id", [str(MISSING_ID), "abc", "-1", "1.5", "0x10", "1e3"])
def test_unknown_or_non_numeric_job_id_is_404(
    server: Server, phototest: Path, method: str, route: str, job_id: str
) -> None:
    fails(_request(server, method, route, job_id, phototest), 404)


@pytest.mark.parametrize("job_id", [str(2**31), str(2**63), str(10**20)])
def test_a_job_id_beyond_the_integer_range_is_404(server: Server, phototest: Path, job_id: str) -> None:
    """A number too large to be any job's id is an unknown id like any other, on every route."""
    wrong: dict[str, str] = {}
    for method, route in JOB_ROUTES:
        response = _request(server, method, route, job_id, phototest)
        if response.status_code != 404:
            wrong[f"{method} {route}"] = f"{response.status_code} {response.text}"
    assert wrong == {}


def test_an_id_that_is_not_plain_digits_is_404(server: Server) -> None:
    """Only ASCII digits name a job: no digit separators, no other scripts' digits."""
    job = create(server)
    digits = str(job["Id"])
    for disguised in (f"0_{digits}", "".join(chr(0x660 + int(d)) for d in digits)):  # 0_12, Arabic-Indic 12
        for route in ("/info/{id}", "/status/{id}"):
            response = server.client.get(route.format(id=disguised))
            assert response.status_code == 404, f"GET {route.format(id=disguised)}: {response.text}"


# -- query and listings ---------------------------------------------------------------------------


def test_query(server: Server, done: dict[str, Any]) -> None:
    tag = f"q-{uuid.uuid4()}"
    a = create(server, CorrelationId=tag, Descr="a")
    b = create(server, CorrelationId=tag, Descr="b")
    c = create(server, CorrelationId=tag, Descr="c")
    t = ok(server.client.post("/createtemplate"))
    t = ok(server.client.post(f"/setoptions/{t['Id']}", json={"CorrelationId": tag}))
    other = create(server, CorrelationId=f"{tag}-other")
    mine = sorted([a["Id"], b["Id"], c["Id"], t["Id"]])
    jobs = sorted([a["Id"], b["Id"], c["Id"]])

    assert query_ids(server, {"IdList": [a["Id"], c["Id"]]}) == sorted([a["Id"], c["Id"]])
    assert query_ids(server, {"IdList": [MISSING_ID]}) == []
    assert query_ids(server, {"CorrelationIdList": [tag]}) == mine
    assert query_ids(server, {"CorrelationIdList": [tag, other["CorrelationId"]]}) == sorted([*mine, other["Id"]])
    assert query_ids(server, {"GuidList": [a["Guid"], c["Guid"].upper()]}) == sorted([a["Id"], c["Id"]])
    assert query_ids(server, {"CorrelationIdList": [tag], "IsTemplate": True}) == [t["Id"]]
    assert query_ids(server, {"CorrelationIdList": [tag], "IsTemplate": False}) == jobs
    assert query_ids(server, {"CorrelationIdList": [tag], "StatusList": [CREATED]}) == mine
    assert query_ids(server, {"CorrelationIdList": [tag], "StatusList": [1, 2, 3, 4]}) == []
    assert query_ids(server, {"IdList": [a["Id"], done["Id"]], "StatusList": [CONVERTED]}) == [done["Id"]]
    assert query_ids(server, {"CorrelationIdList": [tag], "UserName": "nobody"}) == []
    assert query_ids(server, {"CorrelationIdList": [tag], "UserName": ""}) == mine
    # Member names are case-insensitive too.
    assert query_ids(server, {"idlist": [b["Id"]], "istemplate": False}) == [b["Id"]]
    # The document's own example (other user name and guid): nothing of ours.
    example = {
        "IdList": [],
        "StatusList": [0, 1, 2, 3],
        "UserName": "demo",
        "GuidList": ["e733c7ce-298e-4c48-94d8-de5b8ea740b2"],
        "CorrelationIdList": ["12345678"],
        "IsTemplate": False,
        "CreatedFrom": "2020-10-21T00:00:00.000000+03:00",
    }
    assert query_ids(server, example) == []


def test_query_by_creation_date(server: Server) -> None:
    tag = f"d-{uuid.uuid4()}"
    a, b, c = (create(server, CorrelationId=tag) for _ in range(3))
    ta, tb, tc = (when(j["Created"]) for j in (a, b, c))
    assert ta < tb < tc
    ab = (ta + (tb - ta) / 2).astimezone(timezone(timedelta(hours=3))).isoformat()  # any offset will do
    bc = (tb + (tc - tb) / 2).astimezone(timezone(timedelta(hours=-5))).isoformat()
    base = {"CorrelationIdList": [tag]}
    assert query_ids(server, {**base, "CreatedFrom": ab}) == [b["Id"], c["Id"]]
    assert query_ids(server, {**base, "CreatedTo": bc}) == [a["Id"], b["Id"]]
    assert query_ids(server, {**base, "CreatedFrom": ab, "CreatedTo": bc}) == [b["Id"]]
    assert query_ids(server, {**base, "CreatedFrom": "2000-01-01T00:00:00+00:00"}) == [a["Id"], b["Id"], c["Id"]]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert query_ids(server, {**base, "CreatedFrom": future}) == []
    assert query_ids(server, {**base, "CreatedTo": "2000-01-01T00:00:00+00:00"}) == []


@pytest.mark.parametrize("body", [b"", b"{}"], ids=["no-body", "empty-object"])
def test_query_without_conditions_returns_every_job(server: Server, body: bytes) -> None:
    job = create(server)
    template = ok(server.client.post("/createtemplate"))
    headers = {"Content-Type": "application/json"} if body else {}
    everything = ok(server.client.post("/query", content=body, headers=headers))
    ids = {j["Id"] for j in everything}
    assert {job["Id"], template["Id"]} <= ids
    listed = {j["Id"] for j in ok(server.client.get("/all"))} | {j["Id"] for j in ok(server.client.get("/templates"))}
    assert ids == listed


@pytest.mark.parametrize(
    "body",
    [{"IdList": "1"}, {"IdList": ["a"]}, {"StatusList": 3}, {"IsTemplate": "maybe"}, {"CreatedFrom": "yesterday"}],
)
def test_query_rejects_malformed_members(server: Server, body: dict[str, Any]) -> None:
    message = fails(server.client.post("/query", json=body), 400)
    assert next(iter(body)) in message


@pytest.mark.parametrize("job_id", [2**31, 2**63, 10**20])
def test_query_for_an_id_beyond_the_integer_range(server: Server, job_id: int) -> None:
    """No job has such an id: an empty answer (or a 400), never a server error."""
    response = once(server, "POST", "/query", json={"IdList": [job_id]})
    if response.status_code == 400:
        fails(response, 400)
    else:
        assert ok(response) == []


def test_an_unknown_action_gives_the_error_body(server: Server) -> None:
    fails(server.client.get("/nosuchaction"), 404)


def test_count(server: Server) -> None:
    before = ok(server.client.get("/count"))
    assert isinstance(before, int) and not isinstance(before, bool)
    first, _second = create(server), create(server)
    assert ok(server.client.get("/count")) == before + 2
    ok(server.client.delete(f"/delete/{first['Id']}"))
    assert ok(server.client.get("/count")) == before + 1
    assert server.client.get("/count").text.strip() == str(before + 1)


def test_runningcount_is_an_integer(server: Server) -> None:
    value = ok(server.client.get("/runningcount"))
    assert isinstance(value, int) and not isinstance(value, bool)
    assert 0 <= value <= ok(server.client.get("/count"))


def test_all(server: Server, done: dict[str, Any]) -> None:
    job = create(server)
    everything = ok(server.client.get("/all"))
    ids = [j["Id"] for j in everything]
    assert {job["Id"], done["Id"]} <= set(ids)
    assert len(ids) == len(set(ids))
    # the document's keys in its order; a job that asks for an ocrmill addition also has that key, after them
    assert all(
        set(j) - set(EXAMPLE_KEYS) <= ADDITIONS and list(j)[: len(EXAMPLE_KEYS)] == EXAMPLE_KEYS for j in everything
    )


def test_allbystatus(server: Server, done: dict[str, Any]) -> None:
    job = create(server)
    created = ok(server.client.get("/allbystatus/0"))
    finished = ok(server.client.get("/allbystatus/3"))
    assert job["Id"] in {j["Id"] for j in created}
    assert done["Id"] not in {j["Id"] for j in created}
    assert done["Id"] in {j["Id"] for j in finished}
    assert all(j["Status"] == CREATED for j in created)
    assert all(j["Status"] == CONVERTED for j in finished)
    for value in range(5):
        assert all(j["Status"] == value for j in ok(server.client.get(f"/allbystatus/{value}")))


@pytest.mark.parametrize("value", ["5", "-1", "x", "1.0"])
def test_allbystatus_with_an_unknown_status(server: Server, value: str) -> None:
    fails(server.client.get(f"/allbystatus/{value}"), 400)


# -- OCR folders ----------------------------------------------------------------------------------


def test_folders_are_empty(server: Server) -> None:
    assert ok(server.client.get("/folders")) == []


def test_unknown_folder(server: Server) -> None:
    fails(server.client.get("/folder/802231b4-bea3-485f-911e-00adb98f1e23"), 404)


# -- other functions ------------------------------------------------------------------------------


def test_languages(server: Server) -> None:
    names = ok(server.client.get("/languages"))
    assert isinstance(names, list) and all(isinstance(n, str) for n in names)
    assert {"English", "German", "French"} <= set(names)
    assert "eng" not in names and "osd" not in names
    assert len(names) == len(set(names))


def test_version(server: Server) -> None:
    value = ok(server.client.get("/version"))
    assert isinstance(value, str)
    assert re.fullmatch(r"v\d+\.\d+\.\d+\S*", value), value


def test_test(server: Server) -> None:
    response = server.client.get("/test")
    assert ok(response) is True
    assert response.text.strip() == "true"


def test_name_and_nameversion(server: Server) -> None:
    name = ok(server.client.get("/name"))
    version = ok(server.client.get("/version"))
    both = ok(server.client.get("/nameversion"))
    assert isinstance(name, str) and name
    assert isinstance(both, str)
    assert name in both and version in both


def test_stats(server: Server) -> None:
    stats = ok(server.client.get("/stats"))
    assert list(stats) == STATS_KEYS
    assert all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in stats.values()), stats
    assert stats["ProcessedFiles"] >= stats["SuccessFiles"] + stats["ErrorFiles"]


def test_serverload(server: Server) -> None:
    load = ok(server.client.get("/serverload"))
    assert list(load) == SERVERLOAD_KEYS
    assert load["Name"] == ok(server.client.get("/name"))
    assert load["Version"] == ok(server.client.get("/version"))
    for key in SERVERLOAD_KEYS[2:]:
        assert isinstance(load[key], int) and not isinstance(load[key], bool), key
        assert load[key] >= 0, key
    assert load["JobsThreads"] == 2 == len(live_workers(server))
    for key in ("LoadPercent", "RealLoadPercent", "JobsLoadPercent", "JobsRealLoadPercent"):
        assert 0 <= load[key] <= 100, key


def test_guid(server: Server) -> None:
    first = ok(server.client.get("/guid"))
    second = ok(server.client.get("/guid"))
    assert first == second
    assert str(uuid.UUID(first)) == first.lower()


def test_supportedexts(server: Server) -> None:
    exts = ok(server.client.get("/supportedexts"))
    assert sorted(exts) == sorted(SUPPORTED_EXTS)
