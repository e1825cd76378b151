"""Helpers for the OCR invoice API tests: a client on /api/v1, envelope and error checks, small page
images made with Pillow, and polling until pages and jobs are done."""

from __future__ import annotations

import base64
import io
import re
import time
from typing import Any

import httpx
from PIL import Image, ImageDraw, ImageFont

from tests.harness import Server

ID = re.compile(r"^[0-9a-f]{24}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
DONE = ("completed", "failed")

# The page document of the API document's example (001_cf6d8c8d2d74080c.txt), key by key.
EXAMPLE_PAGE_KEYS = {
    "_id", "job", "pageNumber", "status", "pageType", "imageProperties", "preprocessing", "ocrResults",
    "extractedFields", "tableData", "processingTime", "startedAt", "completedAt", "errorLog", "retryCount",
    "qualityScore", "annotations", "metadata", "createdAt", "updatedAt",
}  # fmt: skip
EXAMPLE_IMAGE_PROPERTIES = {"width", "height", "dpi", "colorSpace", "format", "size"}
EXAMPLE_PREPROCESSING = {"enhanced", "deskewed", "denoised", "binarized", "rotationAngle"}
EXAMPLE_OCR_RESULTS = {"text", "confidence", "words", "blocks"}
EXAMPLE_WORD = {"text", "confidence", "boundingBox"}
EXAMPLE_BLOCK = {"text", "confidence", "boundingBox", "blockType"}
EXAMPLE_CELL = {"rowIndex", "columnIndex", "cellText", "confidence", "boundingBox"}
EXAMPLE_ANNOTATION = {"type", "text", "coordinates", "createdBy", "createdAt"}
BOX = {"x", "y", "width", "height"}


def v1(server: Server, auth: Any = None) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}/api/v1", timeout=60, auth=auth)


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The `data` of a success envelope (lists: also checks `total`)."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    body = response.json()
    assert body["success"] is True, body
    assert set(body) in ({"success", "data"}, {"success", "data", "total"}), body.keys()
    if isinstance(body["data"], list):
        assert isinstance(body["total"], int) and body["total"] >= len(body["data"])
    return body["data"]


def listed(response: httpx.Response) -> tuple[list[dict[str, Any]], int]:
    data = ok(response)
    assert isinstance(data, list)
    return data, int(response.json()["total"])


def error(response: httpx.Response, status: int, code: str, *named: str) -> str:
    """Asserts the invoice API's error body; every string in `named` must be in the message."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    body = response.json()
    assert set(body) == {"success", "error"}, body
    assert body["success"] is False
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    message = str(body["error"]["message"])
    for name in named:
        assert name in message, f"{name!r} not in {message!r}"
    return message


def text_png(lines: list[str], *, width: int = 900, font_size: int = 44) -> bytes:
    """A white page with black text lines, large enough for Tesseract to read at once."""
    font = ImageFont.load_default(size=font_size)
    height = 80 + len(lines) * int(font_size * 1.8)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((40, 40 + index * int(font_size * 1.8)), line, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


def table_png(rows: list[tuple[str, ...]], *, columns: tuple[int, ...] = (60, 800, 1050, 1400)) -> bytes:
    """A white page with rows of cells at fixed column positions (an empty row leaves a gap): a line-item table
    the engine finds, with the heading and totals around it as rows of their own."""
    font = ImageFont.load_default(size=40)
    image = Image.new("L", (1700, 80 + len(rows) * 72), 255)
    draw = ImageDraw.Draw(image)
    for index, row in enumerate(rows):
        for x, cell in zip(columns, row, strict=False):
            draw.text((x, 40 + index * 72), cell, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


def data_url(png: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(png).decode('ascii')}"


# A PNG signature and nothing else: the fetch succeeds, the image cannot be opened (fails without a retry)
BROKEN_URL = data_url(b"\x89PNG\r\n\x1a\n")


def new_job(api: httpx.Client, **body: Any) -> dict[str, Any]:
    job = ok(api.post("/ocr-invoice-jobs", json=body), 201)
    assert isinstance(job, dict)
    return job


def new_page(api: httpx.Client, job_id: str, number: int, url: str, **more: Any) -> dict[str, Any]:
    page = ok(
        api.post("/ocr-invoice-job-pages", json={"job": job_id, "pageNumber": number, "pageUrl": url, **more}), 201
    )
    assert isinstance(page, dict)
    return page


def upload(api: httpx.Client, *files: tuple[str, bytes, str], **fields: str) -> dict[str, Any]:
    parts = [("file", (name, content, media)) for name, content, media in files]
    job = ok(api.post("/ocr-invoice-jobs", files=parts, data=fields), 201)
    assert isinstance(job, dict)
    return job


def wait_page(api: httpx.Client, page_id: str, *, timeout: float = 120, statuses: tuple[str, ...] = DONE) -> Any:
    return _wait(api, f"/ocr-invoice-job-pages/{page_id}", timeout, statuses)


def wait_job(api: httpx.Client, job_id: str, *, timeout: float = 180) -> Any:
    return _wait(api, f"/ocr-invoice-jobs/{job_id}", timeout, DONE)


def _wait(api: httpx.Client, path: str, timeout: float, statuses: tuple[str, ...]) -> Any:
    """The resource at `path`, polled until its status is one of `statuses`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = ok(api.get(path))
        if found["status"] in statuses:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"{path} is still {found['status']}")


def pages_of(api: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    data, total = listed(
        api.get(
            "/ocr-invoice-job-pages", params={"filter": f'{{"job": "{job_id}"}}', "sort": "pageNumber", "order": "asc"}
        )
    )
    assert total == len(data)
    return data


def writable(page: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The page's writable properties as a client posts them back, with `changes`."""
    keys = ("job", "pageNumber", "pageUrl", "pageType", "imageProperties", "annotations", "metadata")
    return {k: page[k] for k in keys} | changes
