"""OCR invoice jobs recognised for real, through HTTP: an uploaded invoice image and a ZUGFeRD/Factur-X PDF
split into pages and recognised, their outputs, corrections by annotation, and page URLs fetched through the
URL guard from a local web server (refusals, size and time limits, retries)."""

from __future__ import annotations

import http.server
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import kind, started
from tests.consumers import pdftotext
from tests.harness import DATA, Server, stored_names
from tests.invoice_api import (
    BOX,
    EXAMPLE_BLOCK,
    EXAMPLE_CELL,
    EXAMPLE_PAGE_KEYS,
    EXAMPLE_WORD,
    STAMP,
    data_url,
    error,
    new_job,
    new_page,
    ok,
    pages_of,
    text_png,
    upload,
    v1,
    wait_job,
    wait_page,
    writable,
)

pytestmark = pytest.mark.paired

AWS = DATA / "invoices-invoice2data" / "AmazonWebServices.png"
AWS_PDF = DATA / "invoices-invoice2data" / "AmazonWebServices.pdf"
AWS_ITEMS = ("AWS Data Transfer", "Amazon Elastic Compute Cloud", "Amazon Glacier", "Amazon Simple Storage Service")
EINFACH = DATA / "invoices-zugferd" / "EN16931_Einfach.pdf"
BLOCK_TYPES = {"text", "table", "header", "footer", "title", "list", "image", "barcode", "signature", "other"}


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    with v1(server) as client:
        yield client


@pytest.fixture(scope="module")
def jobs(api: httpx.Client) -> dict[str, dict[str, Any]]:
    """Four uploaded jobs recognised at once: the AWS invoice (read only), the AWS invoice again (for
    corrections), the AWS invoice as its PDF and the two-page Factur-X PDF."""
    made = {
        "aws": upload(
            api,
            ("AmazonWebServices.png", AWS.read_bytes(), "image/png"),
            name="aws",
            metadata=json.dumps({"ref": "A1"}),
        ),
        "corrected": upload(api, ("aws.png", AWS.read_bytes(), "application/octet-stream")),
        "einfach": upload(api, ("EN16931_Einfach.pdf", EINFACH.read_bytes(), "application/pdf")),
        "aws_pdf": upload(api, ("AmazonWebServices.pdf", AWS_PDF.read_bytes(), "application/pdf")),
    }
    for job in made.values():
        assert job["status"] == "pending" and job["pageCount"] == 0
    return {key: wait_job(api, job["_id"]) for key, job in made.items()}


def test_an_uploaded_job_is_created_pending(api: httpx.Client, jobs: dict[str, dict[str, Any]]) -> None:
    aws = jobs["aws"]
    assert (aws["name"], aws["metadata"], aws["fileName"]) == ("aws", {"ref": "A1"}, "AmazonWebServices.png")
    assert aws["files"] == [{"name": "AmazonWebServices.png", "size": AWS.stat().st_size}]


def test_an_invoice_image_is_split_and_recognised(
    api: httpx.Client, server: Server, jobs: dict[str, dict[str, Any]]
) -> None:
    job = jobs["aws"]
    assert job["status"] == "completed", job["errorLog"]
    assert (job["pageCount"], job["pagesCompleted"], job["pagesFailed"], job["progress"]) == (1, 1, 0, 100)
    assert STAMP.match(job["startedAt"]) and STAMP.match(job["completedAt"]) and job["startedAt"] <= job["completedAt"]
    assert job["processingTime"] > 0 and 0 < job["qualityScore"] <= 1
    assert set(job["outputs"]) == {"pdf", "txt", "json"}
    assert job["extractedFields"]["invoiceNumber"]["value"] == "42183017"
    assert job["extractedFields"]["invoiceNumber"]["source"] == "ocr"
    assert job["extractedFields"]["total"]["normalized"] == "4.11"
    assert job["eInvoice"] is None and job["source"] == "ocr"

    (page,) = pages_of(api, job["_id"])
    assert set(page) >= EXAMPLE_PAGE_KEYS
    assert page["pageUrl"] == f"http://127.0.0.1:{server.port}/api/v1/ocr-invoice-jobs/{job['_id']}/images/0001.png"
    assert (page["status"], page["pageNumber"], page["retryCount"], page["errorLog"]) == ("completed", 1, 0, "")
    assert page["processingTime"] > 0
    assert job["startedAt"] <= page["startedAt"] <= page["completedAt"] <= job["completedAt"]
    props = page["imageProperties"]
    assert (props["width"], props["height"], props["format"]) == (2975, 3850, "png")
    assert props["dpi"] in (349, 350) and props["colorSpace"] in ("rgb", "grayscale") and props["size"] > 0
    assert set(page["preprocessing"]) == {"enhanced", "deskewed", "denoised", "binarized", "rotationAngle"}
    assert abs(page["preprocessing"]["rotationAngle"]) < 2
    assert 0 < page["qualityScore"] <= 1
    assert page["pageType"] in ("cover", "header", "content", "footer", "summary", "attachment")

    ocr = page["ocrResults"]
    assert "42183017" in ocr["text"] and "Amazon Web Services" in ocr["text"]
    assert 0.5 < ocr["confidence"] <= 1
    assert len(ocr["words"]) > 100
    for word in ocr["words"]:
        assert set(word) >= EXAMPLE_WORD and set(word["boundingBox"]) == BOX
        assert 0 <= word["confidence"] <= 1 and word["text"].strip()
        box = word["boundingBox"]
        assert box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0 and box["height"] > 0
        assert box["x"] + box["width"] <= props["width"] and box["y"] + box["height"] <= props["height"], word
    assert any(w["text"] == "42183017" for w in ocr["words"])
    for block in ocr["blocks"]:
        assert set(block) >= EXAMPLE_BLOCK and block["blockType"] in BLOCK_TYPES, block
        assert 0 <= block["confidence"] <= 1 and set(block["boundingBox"]) == BOX
    assert all(set(cell) >= EXAMPLE_CELL for cell in page["tableData"])
    field = page["extractedFields"]["invoiceNumber"]
    assert (field["value"], field["source"], field["pageNumber"]) == ("42183017", "ocr", 1)
    assert 0 < field["confidence"] <= 1
    box = field["boundingBox"]
    assert box["x"] + box["width"] <= props["width"] and box["y"] + box["height"] <= props["height"]


def test_word_boxes_are_in_the_pixels_of_the_page_image_also_when_it_was_enlarged(api: httpx.Client) -> None:
    """Small print is enlarged before OCR; the boxes a client gets must still fit the image at pageUrl."""
    lines = [f"Line {n} item WIDGET{n} quantity {n} price {n}.00 EUR" for n in range(1, 9)]
    png = text_png(lines, width=620, font_size=14)
    job = new_job(api, name="small print")
    page = wait_page(api, new_page(api, job["_id"], 1, data_url(png))["_id"])
    assert page["status"] == "completed", page["errorLog"]
    width, height = page["imageProperties"]["width"], page["imageProperties"]["height"]
    assert Image.open(io.BytesIO(png)).size == (width, height)
    words = page["ocrResults"]["words"]
    assert any("WIDGET" in w["text"] for w in words), page["ocrResults"]["text"]
    outside = [
        w
        for w in words
        if w["boundingBox"]["x"] + w["boundingBox"]["width"] > width
        or w["boundingBox"]["y"] + w["boundingBox"]["height"] > height
    ]
    assert not outside, (
        f"{len(outside)} of {len(words)} word boxes lie outside the {width}x{height} page image "
        + f"(preprocessing {page['preprocessing']}): {outside[:3]}"
    )
    first = next(w for w in words if w["text"] == "Line")
    assert abs(first["boundingBox"]["x"] - 40) <= 6 and abs(first["boundingBox"]["y"] - 40) <= 10, first


@pytest.mark.parametrize("key", ["aws", "aws_pdf"])
def test_text_printed_in_a_light_colour_is_read(api: httpx.Client, jobs: dict[str, dict[str, Any]], key: str) -> None:
    """The AWS invoice's item names are orange (grey 173, paper to a threshold beside its black print), as an
    uploaded image and as a PDF page (rendered in colour): they are read, as words of the page."""
    job = jobs[key]
    assert job["status"] == "completed", job["errorLog"]
    (page,) = pages_of(api, job["_id"])
    text = " ".join(page["ocrResults"]["text"].split())
    assert all(name in text for name in AWS_ITEMS), text
    words = {w["text"] for w in page["ocrResults"]["words"]}
    assert {"Glacier", "Elastic", "Transfer"} <= words


def test_the_page_image_is_served_at_its_page_url(api: httpx.Client, jobs: dict[str, dict[str, Any]]) -> None:
    (page,) = pages_of(api, jobs["aws"]["_id"])
    response = api.get(page["pageUrl"])
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (page["imageProperties"]["width"], page["imageProperties"]["height"])
    error(api.get(f"/ocr-invoice-jobs/{jobs['aws']['_id']}/images/0002.png"), 404, "not_found")
    error(api.get(f"/ocr-invoice-jobs/{jobs['aws']['_id']}/images/1.png"), 404, "not_found")
    error(api.get(f"/ocr-invoice-jobs/{jobs['aws']['_id']}/images/..%2F..%2Focrmill.db"), 404, "not_found")


def test_a_zugferd_pdf_gives_the_e_invoice_and_its_fields(api: httpx.Client, jobs: dict[str, dict[str, Any]]) -> None:
    job = jobs["einfach"]
    assert job["status"] == "completed", job["errorLog"]
    assert (job["pageCount"], job["pagesCompleted"]) == (2, 2)
    pages = pages_of(api, job["_id"])
    assert [p["pageNumber"] for p in pages] == [1, 2]
    assert [p["pageUrl"].rsplit("/", 1)[1] for p in pages] == ["0001.png", "0002.png"]
    assert all(p["status"] == "completed" and p["imageProperties"]["width"] > 2000 for p in pages)
    assert "471102" in pages[0]["ocrResults"]["text"]

    einvoice = job["eInvoice"]
    assert set(einvoice) >= {"format", "profile", "fields", "lineItems", "agreement"}
    assert einvoice["format"] in ("factur-x", "zugferd") and "en16931" in einvoice["profile"].lower()
    assert job["source"] == einvoice["format"]
    expected = json.loads(EINFACH.with_suffix(".expected.json").read_text(encoding="utf-8"))
    fields = job["extractedFields"]
    for name, key in [
        ("invoiceNumber", "invoice_number"),
        ("vendorName", "seller_name"),
        ("customerName", "buyer_name"),
        ("total", "grand_total"),
        ("taxAmount", "tax_total"),
        ("currency", "currency"),
    ]:
        assert fields[name]["normalized"] == expected[key], name
        assert fields[name]["source"] == einvoice["format"] and fields[name]["confidence"] == 1.0, name
    assert fields["invoiceDate"]["normalized"] == expected["issue_date"]
    assert len(einvoice["lineItems"]) == expected["line_count"]
    assert len(job["lineItems"]) == expected["line_count"]
    # the agreement compares the XML with what OCR read on the pages
    agreement = einvoice["agreement"]
    assert agreement["invoiceNumber"] == {"xml": "471102", "ocr": "471102", "agrees": True}
    assert all(set(entry) == {"xml", "ocr", "agrees"} for entry in agreement.values())
    assert {c["name"]: c["passed"] for c in job["checks"]}.get("subtotalPlusTax") is True


def test_downloads(api: httpx.Client, server: Server, tmp_path: Path, jobs: dict[str, dict[str, Any]]) -> None:
    job_id = jobs["aws"]["_id"]
    pdf = api.get(f"/ocr-invoice-jobs/{job_id}/download/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and f"{job_id}.pdf" in pdf.headers["content-disposition"]
    (tmp_path / "aws.pdf").write_bytes(pdf.content)
    assert "42183017" in pdftotext(tmp_path / "aws.pdf")

    txt = api.get(f"/ocr-invoice-jobs/{job_id}/download/TXT")
    assert txt.status_code == 200 and txt.headers["content-type"].startswith("text/plain")
    assert "42183017" in txt.text and "Amazon Web Services" in txt.text

    document = api.get(f"/ocr-invoice-jobs/{job_id}/download/json")
    assert document.status_code == 200 and "attachment" in document.headers["content-disposition"]
    body = document.json()
    assert body["_id"] == job_id and body["extractedFields"] == jobs["aws"]["extractedFields"]
    (page,) = body["pages"]
    assert page["pageUrl"].startswith(f"http://127.0.0.1:{server.port}/api/v1/") and "pageTypeGiven" not in page
    assert page["ocrResults"]["text"] == pages_of(api, job_id)[0]["ocrResults"]["text"]

    einfach = api.get(f"/ocr-invoice-jobs/{jobs['einfach']['_id']}/download/pdf")
    (tmp_path / "einfach.pdf").write_bytes(einfach.content)
    text = pdftotext(tmp_path / "einfach.pdf")
    assert text.count("\f") == 2 and "471102" in text and "Joghurt" in text

    error(api.get(f"/ocr-invoice-jobs/{job_id}/download/docx"), 404, "not_found", "docx")
    pending = new_job(api, name="no pages")
    error(api.get(f"/ocr-invoice-jobs/{pending['_id']}/download/pdf"), 400, "bad_request", "not ready")
    assert api.get(f"/ocr-invoice-jobs/{pending['_id']}/download/json").json()["pages"] == []


def test_several_files_become_pages_in_upload_order(api: httpx.Client) -> None:
    first, second = text_png(["Invoice FIRSTFILE 1"]), text_png(["Invoice SECONDFILE 2"])
    job = upload(api, ("b.png", first, "image/png"), ("a.png", second, "image/png"))
    assert [f["name"] for f in job["files"]] == ["b.png", "a.png"]
    assert wait_job(api, job["_id"])["status"] == "completed"
    pages = pages_of(api, job["_id"])
    assert ["FIRSTFILE" in pages[0]["ocrResults"]["text"], "SECONDFILE" in pages[1]["ocrResults"]["text"]] == [
        True,
        True,
    ]


def test_a_document_that_cannot_be_split_fails_the_job(api: httpx.Client) -> None:
    job = upload(api, ("broken.pdf", b"%PDF-1.4\nthis is no PDF", "application/pdf"))
    done = wait_job(api, job["_id"], timeout=60)
    assert done["status"] == "failed" and done["errorLog"] and done["pageCount"] == 0


# -- corrections -----------------------------------------------------------------------------------------------


def test_corrections_by_field_and_by_coordinates(api: httpx.Client, jobs: dict[str, dict[str, Any]]) -> None:
    job_id = jobs["corrected"]["_id"]
    (page,) = pages_of(api, job_id)
    engine = page["extractedFields"]
    assert engine["invoiceNumber"]["value"] == "42183017" and engine["total"]["boundingBox"]
    total_box = engine["total"]["boundingBox"]

    notes = [
        {"type": "correction", "text": "INV-0099", "field": "invoiceNumber"},
        {"type": "correction", "text": "$5.00", "coordinates": total_box},
        {"type": "comment", "text": "checked by hand"},
    ]
    corrected = ok(api.put(f"/ocr-invoice-job-pages/{page['_id']}", json=writable(page, annotations=notes)))
    assert corrected["status"] == "completed", "annotations alone do not recognise the page again"
    assert corrected["ocrResults"] == page["ocrResults"]
    for note in corrected["annotations"]:
        assert note["createdBy"] == "" and STAMP.match(note["createdAt"])
    fields = corrected["extractedFields"]
    number = fields["invoiceNumber"]
    assert (number["value"], number["confidence"], number["source"]) == ("INV-0099", 1.0, "correction")
    assert number["normalized"] == "INV-0099"
    assert number["original"] == engine["invoiceNumber"]
    assert number["correctedBy"] == "" and number["correctedAt"] == corrected["annotations"][0]["createdAt"]
    total = fields["total"]
    assert (total["value"], total["normalized"], total["source"]) == ("$5.00", "5.00", "correction")
    assert total["original"] == engine["total"]
    assert fields["amountDue"] == engine["amountDue"], "other fields keep the engine's values"
    assert ok(api.get(f"/ocr-invoice-job-pages/{page['_id']}"))["extractedFields"] == fields

    job = ok(api.get(f"/ocr-invoice-jobs/{job_id}"))
    assert job["extractedFields"]["invoiceNumber"]["value"] == "INV-0099"
    assert job["extractedFields"]["invoiceNumber"]["source"] == "correction"
    assert job["extractedFields"]["total"]["normalized"] == "5.00"
    assert (
        api.get(f"/ocr-invoice-jobs/{job_id}/download/json").json()["extractedFields"]["invoiceNumber"]["value"]
        == "INV-0099"
    )
    assert [p["_id"] for p in ok(api.get("/ocr-invoice-job-pages", params={"search": "inv-0099"}))] == [page["_id"]]

    # a later correction of the same field wins; an earlier createdAt given by the client counts as earlier
    later = [*corrected["annotations"], {"type": "correction", "text": "INV-0100", "field": "invoiceNumber"}]
    relabelled = ok(api.put(f"/ocr-invoice-job-pages/{page['_id']}", json=writable(page, annotations=later)))
    assert relabelled["extractedFields"]["invoiceNumber"]["value"] == "INV-0100"
    assert relabelled["annotations"][0]["createdAt"] == corrected["annotations"][0]["createdAt"], "kept as posted back"

    # removing the annotations restores what the engine found, on the page and in the job
    restored = ok(api.put(f"/ocr-invoice-job-pages/{page['_id']}", json=writable(page, annotations=[])))
    assert restored["extractedFields"] == engine
    job = ok(api.get(f"/ocr-invoice-jobs/{job_id}"))
    assert job["extractedFields"]["invoiceNumber"]["value"] == "42183017"
    assert job["extractedFields"]["invoiceNumber"]["source"] == "ocr"


def test_a_correction_survives_recognising_the_page_again(api: httpx.Client, jobs: dict[str, dict[str, Any]]) -> None:
    job_id = jobs["corrected"]["_id"]
    (page,) = pages_of(api, job_id)
    engine_number = page["extractedFields"]["invoiceNumber"]
    note = {"type": "correction", "text": "INV-7", "field": "invoiceNumber", "createdBy": "clerk"}
    again = writable(page, pageUrl=data_url(AWS.read_bytes()), annotations=[note])
    rerun = ok(api.put(f"/ocr-invoice-job-pages/{page['_id']}", json=again))
    assert rerun["status"] == "pending" and rerun["ocrResults"]["text"] == ""
    assert rerun["pageUrl"] != page["pageUrl"] and "/images/" in rerun["pageUrl"], "the new image, kept as a file"
    assert rerun["extractedFields"]["invoiceNumber"]["value"] == "INV-7"
    assert ok(api.get(f"/ocr-invoice-jobs/{job_id}"))["status"] in ("pending", "processing")

    done = wait_page(api, page["_id"])
    assert done["status"] == "completed", done["errorLog"]
    assert "42183017" in done["ocrResults"]["text"]
    number = done["extractedFields"]["invoiceNumber"]
    assert (number["value"], number["source"], number["correctedBy"]) == ("INV-7", "correction", "clerk")
    assert number["original"]["value"] == engine_number["value"]
    assert done["extractedFields"]["total"]["source"] == "ocr"
    job = wait_job(api, job_id)
    assert job["status"] == "completed"
    assert job["extractedFields"]["invoiceNumber"]["value"] == "INV-7"
    txt = api.get(f"/ocr-invoice-jobs/{job_id}/download/txt")
    assert txt.status_code == 200 and "42183017" in txt.text


# -- page URLs and the URL guard -------------------------------------------------------------------------------


def test_a_loopback_url_is_refused_and_not_retried(api: httpx.Client, server: Server) -> None:
    job = new_job(api, name="loopback")
    page = new_page(api, job["_id"], 1, f"http://127.0.0.1:{server.port}/x.png")
    done = wait_page(api, page["_id"], timeout=30)
    assert done["status"] == "failed" and done["retryCount"] == 0
    assert "refused" in done["errorLog"] and "loopback" in done["errorLog"], done["errorLog"]
    time.sleep(1)
    assert ok(api.get(f"/ocr-invoice-job-pages/{page['_id']}"))["status"] == "failed"
    failed = wait_job(api, job["_id"])
    assert failed["status"] == "failed" and "loopback" in failed["errorLog"]


SMALL_PNG = text_png(["Invoice FETCHED 3131"])


class Images(http.server.ThreadingHTTPServer):
    daemon_threads = True
    requests: Counter[str]


class ImageHandler(http.server.BaseHTTPRequestHandler):
    server: Images

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1
        count = self.server.requests[self.path]
        if self.path == "/ok.png":
            self.answer(200, SMALL_PNG)
        elif self.path == "/big.png":
            self.answer(200, b"\x89PNG\r\n\x1a\n" + bytes(400 * 1024))
        elif self.path == "/slow.png":
            time.sleep(2.5)
            self.answer(200, SMALL_PNG)
        elif self.path == "/flaky.png":
            self.answer(503, b"busy") if count == 1 else self.answer(200, SMALL_PNG)
        elif self.path == "/gone.png":
            self.answer(404, b"no")
        elif self.path == "/redirect.png":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/text":
            self.answer(200, b"hello", media="text/html")
        elif self.path.startswith("/delayed-"):
            time.sleep(0.6)
            self.answer(200, text_png([f"Invoice {self.path[9:].upper()} 1"]))
        else:
            self.answer(404, b"")

    def answer(self, status: int, body: bytes, media: str = "image/png") -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def images() -> Iterator[Images]:
    httpd = Images(("127.0.0.1", 0), ImageHandler)
    httpd.requests = Counter()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module", params=[kind("s3")])
def fetch_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, images: Images
) -> Iterator[Server]:
    """A server that may fetch from 127.0.0.1, with a 0.2 MB / 1 s limit, quick retries and one worker; on the S3
    store (a fetched page is kept as a data: URL's is, which `server`'s sqlite pass keeps in the data folder)."""
    env = {
        "OCRMILL_FETCH_ALLOW": '["127.0.0.1"]',
        "OCRMILL_FETCH_MAX_MB": "0.2",
        "OCRMILL_FETCH_TIMEOUT_SECONDS": "1",
        "OCRMILL_INVOICE_RETRY_SECONDS": "0.2",
        "OCRMILL_JOBS_THREADS": "1",
    }
    with started(request, tmp_path_factory, "invoices-fetch", env=env) as srv:
        yield srv


@pytest.fixture(scope="module")
def fetching(fetch_server: Server) -> Iterator[httpx.Client]:
    with v1(fetch_server) as client:
        yield client


def image_url(images: Images, path: str) -> str:
    return f"http://127.0.0.1:{images.server_address[1]}{path}"


def fetch_page(api: httpx.Client, images: Images, path: str) -> dict[str, Any]:
    job = new_job(api, name=path)
    page = new_page(api, job["_id"], 1, image_url(images, path))
    return dict(wait_page(api, page["_id"], timeout=60))


def test_an_allowed_local_server_is_fetched(fetching: httpx.Client, images: Images) -> None:
    page = fetch_page(fetching, images, "/ok.png")
    assert page["status"] == "completed", page["errorLog"]
    assert "FETCHED" in page["ocrResults"]["text"] and page["retryCount"] == 0
    assert page["imageProperties"]["size"] == len(SMALL_PNG)
    assert page["pageUrl"] == image_url(images, "/ok.png")
    assert images.requests["/ok.png"] == 1


def test_an_image_over_the_size_limit_fails(fetching: httpx.Client, images: Images) -> None:
    page = fetch_page(fetching, images, "/big.png")
    assert page["status"] == "failed" and "larger than" in page["errorLog"], page["errorLog"]
    assert page["retryCount"] == 0 and images.requests["/big.png"] == 1
    big = data_url(b"\x89PNG\r\n\x1a\n" + bytes(400 * 1024))  # a data: URL is refused at once, by the API
    job = new_job(fetching, name="big data url")
    refused = fetching.post("/ocr-invoice-job-pages", json={"job": job["_id"], "pageNumber": 1, "pageUrl": big})
    error(refused, 413, "payload_too_large", "fetch_max_mb")


def test_a_slow_server_fails_with_a_time_message(fetching: httpx.Client, images: Images) -> None:
    page = fetch_page(fetching, images, "/slow.png")
    assert page["status"] == "failed", page
    assert "1 s" in page["errorLog"] and "no answer" in page["errorLog"], page["errorLog"]
    # a timeout may be passing: it is tried again, up to invoice_max_retries (2) times
    assert page["retryCount"] == 2 and images.requests["/slow.png"] == 3


def test_a_503_is_retried_and_the_page_completes(fetching: httpx.Client, images: Images) -> None:
    page = fetch_page(fetching, images, "/flaky.png")
    assert page["status"] == "completed", page["errorLog"]
    assert page["retryCount"] == 1 and images.requests["/flaky.png"] == 2
    assert "FETCHED" in page["ocrResults"]["text"] and page["errorLog"] == ""


@pytest.mark.parametrize(
    ("path", "message"),
    [("/gone.png", "404"), ("/redirect.png", "link-local"), ("/text", "not an image")],
)
def test_permanent_fetch_failures_are_not_retried(
    fetching: httpx.Client, images: Images, path: str, message: str
) -> None:
    page = fetch_page(fetching, images, path)
    assert page["status"] == "failed" and message in page["errorLog"], page["errorLog"]
    assert page["retryCount"] == 0 and images.requests[path] == 1


def test_a_job_without_auto_retry_does_not_retry(fetching: httpx.Client, images: Images) -> None:
    job = new_job(fetching, name="no retry", autoRetry=False)
    images.requests["/flaky.png"] = 0
    page = wait_page(fetching, new_page(fetching, job["_id"], 1, image_url(images, "/flaky.png"))["_id"], timeout=60)
    assert page["status"] == "failed" and "503" in page["errorLog"] and page["retryCount"] == 0


def test_a_new_page_url_while_the_page_is_recognised_wins(fetching: httpx.Client, images: Images) -> None:
    """PUT with a new pageUrl while a worker still works on the old one: the old result must not land."""
    job = new_job(fetching, name="replaced while processing")
    page = new_page(fetching, job["_id"], 1, image_url(images, "/delayed-oldimage"))
    wait_page(fetching, page["_id"], statuses=("processing",), timeout=30)
    replacement = data_url(text_png(["Invoice NEWIMAGE 2"]))
    replaced = ok(fetching.put(f"/ocr-invoice-job-pages/{page['_id']}", json=writable(page, pageUrl=replacement)))
    stored = replaced["pageUrl"]  # the data: URL's image, kept as a file of the job
    assert "/images/" in stored and stored != page["pageUrl"]
    done = wait_page(fetching, page["_id"], timeout=60)
    assert done["status"] == "completed" and done["pageUrl"] == stored
    time.sleep(1.5)  # the old recognition has ended by now
    final = ok(fetching.get(f"/ocr-invoice-job-pages/{page['_id']}"))
    assert "NEWIMAGE" in final["ocrResults"]["text"] and "OLDIMAGE" not in final["ocrResults"]["text"], final[
        "ocrResults"
    ]["text"]
    assert final["pageUrl"] == stored


def test_a_data_url_that_is_not_base64_fails(fetching: httpx.Client) -> None:
    job = new_job(fetching, name="bad base64")
    response = fetching.post(
        "/ocr-invoice-job-pages", json={"job": job["_id"], "pageNumber": 1, "pageUrl": "data:image/png;base64,@@@@"}
    )
    error(response, 422, "validation_error", "pageUrl", "base64")  # refused at once: it is stored as a file


def test_deleting_a_job_while_its_page_is_recognised_leaves_no_files(
    fetch_server: Server, fetching: httpx.Client, images: Images
) -> None:
    job = new_job(fetching, name="deleted while processing")
    page = new_page(fetching, job["_id"], 1, image_url(images, "/delayed-deleted"))
    wait_page(fetching, page["_id"], statuses=("processing",), timeout=30)
    ok(fetching.delete(f"/ocr-invoice-jobs/{job['_id']}"))
    error(fetching.get(f"/ocr-invoice-job-pages/{page['_id']}"), 404, "not_found")
    # the worker finishes its recognition meanwhile; whatever it wrote for the deleted job is removed
    deadline = time.monotonic() + 30
    while images.requests["/delayed-deleted"] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    other = new_job(fetching, name="after the deleted one")
    assert (
        wait_page(fetching, new_page(fetching, other["_id"], 1, image_url(images, "/ok.png"))["_id"])["status"]
        == "completed"
    )
    assert stored_names(fetch_server, f"invoices/{job['_id']}/") == []


def test_a_receipt_is_read_by_both_recognisers_and_matches_its_ground_truth(api: httpx.Client) -> None:
    """SROIE 020, a receipt Tesseract reads unsurely (mean word confidence 85, so it is read three ways:
    Tesseract twice, PP-OCR; Tesseract's readings alone miss its total): its four SROIE fields as the ground
    truth says, each field's box on the image as uploaded."""
    path = DATA / "receipts-sroie" / "img" / "020.jpg"
    truth = json.loads((DATA / "receipts-sroie" / "key" / "020.json").read_text())
    job = wait_job(api, upload(api, ("020.jpg", path.read_bytes(), "image/jpeg"))["_id"])
    assert job["status"] == "completed", job.get("errorLog")
    fields = job["extractedFields"]

    def letters(text: str) -> str:
        return "".join(ch for ch in text.casefold() if ch.isalnum())

    assert fields["total"]["normalized"] == truth["total"]
    day, month, year = truth["date"].split("/")
    assert fields["invoiceDate"]["normalized"] == f"{year}-{month}-{day}"
    assert letters(fields["vendorName"]["value"]) == letters(truth["company"])
    assert letters(fields["vendorAddress"]["value"]) == letters(truth["address"])
    (page,) = pages_of(api, job["_id"])  # the JPEG is the page image as it was uploaded, not a PNG made of it
    assert page["pageUrl"].endswith("/images/0001.jpg") and page["imageProperties"]["format"] == "jpeg"
    served = api.get(page["pageUrl"])
    assert served.headers["content-type"] == "image/jpeg" and served.content == path.read_bytes()
    width, height = Image.open(path).size
    for name in ("total", "invoiceDate", "vendorName", "vendorAddress"):
        box = fields[name]["boundingBox"]
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 2, name
        assert box["y"] >= 0 and box["y"] + box["height"] <= height + 2, name
