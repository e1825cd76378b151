"""Limits before work (issue 18, part 1), through the real server: a decompression bomb is refused from its header
with the server's memory nowhere near what decoding it needs; pages too small or too large for a page end in an
Error that names the page's size and the limits, and a 200-inch PDF page, the largest a PDF can have, is read."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.conftest import started
from tests.harness import Server, database_dump, stored_names
from tests.hostile import animated_png, bomb_png, many_pages_pdf, peak_rss, text_pdf
from tests.integration.test_bad_input import assert_readable_error
from tests.invoice_api import data_url, error, listed, new_job, new_page, text_png, v1, wait_page

# A worker holds its warm engines (some 300 MB); decoding the bomb needs 3.6 GB more. A page within the limits
# never needs more than this ceiling here: the default limit of 300 megapixels is not approached by these pages.
MEMORY_CEILING = 1200 * 2**20

pytestmark = pytest.mark.paired


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"OCRMILL_JOBS_THREADS": "1", "OCRMILL_FETCH_MAX_MB": "1"}
    with started(request, tmp_path_factory, "limits", env=env) as srv:
        yield srv


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    with v1(server) as client:
        yield client


def test_a_decompression_bomb_is_refused_at_once_with_memory_bounded(server: Server, tmp_path: Path) -> None:
    assert server.process is not None
    job = server.submit(bomb_png(tmp_path / "bomb.png"), TxtOutput=True)  # 60000 x 60000 in 0.5 MB
    description = assert_readable_error(server.wait(job["Id"], timeout=120))
    assert "3600.0 megapixels" in description and "limit of 300 (max_image_megapixels)" in description, description
    peak = peak_rss(server.process.pid)
    assert peak < MEMORY_CEILING, f"a server process peaked at {peak / 2**20:.0f} MB"


def test_a_pdf_of_a_million_pages_is_refused_from_its_page_tree_with_memory_bounded(
    server: Server, tmp_path: Path
) -> None:
    assert server.process is not None
    job = server.submit(many_pages_pdf(tmp_path / "pages.pdf", 1_000_000), TxtOutput=True)  # 107 MB of empty pages
    description = assert_readable_error(server.wait(job["Id"], timeout=120))
    assert "more than 2000 pages" in description and "(max_pages)" in description, description
    peak = peak_rss(server.process.pid)  # pikepdf's open walked every page: 2.5 GB and 30 s
    assert peak < MEMORY_CEILING, f"a server process peaked at {peak / 2**20:.0f} MB"


def test_a_pdf_stating_one_page_and_holding_a_million_is_refused_with_memory_bounded(
    server: Server, tmp_path: Path
) -> None:
    """Its tree's root says /Count 1, so PDFium's count passes; the tree itself is walked only up to the limit
    (pikepdf's page list, and its open inheriting attributes into the pages, walked all of it: 2.3 GB)."""
    assert server.process is not None
    pdf = many_pages_pdf(tmp_path / "lying.pdf", 1_000_000, stated=1)
    job = server.submit(pdf, TxtOutput=True)
    description = assert_readable_error(server.wait(job["Id"], timeout=120))
    assert "more than 2000 pages" in description and "(max_pages)" in description, description
    peak = peak_rss(server.process.pid)
    assert peak < MEMORY_CEILING, f"a server process peaked at {peak / 2**20:.0f} MB"


def test_an_animated_png_over_max_pages_is_refused_from_its_header(server: Server, tmp_path: Path) -> None:
    frames = animated_png(tmp_path / "frames.png", 10000, 10000, 2100)  # 150 KB: 2100 frames of 100 megapixels
    begun = time.monotonic()
    job = server.submit(frames, TxtOutput=True)
    description = assert_readable_error(server.wait(job["Id"], timeout=60))  # counted frame by frame: 14 minutes
    assert "more than 2000 pages" in description and "(max_pages)" in description, description
    assert time.monotonic() - begun < 30


def test_a_one_pixel_page_is_an_error_naming_its_size_and_the_limits(server: Server, tmp_path: Path) -> None:
    Image.new("L", (1, 1), 255).save(tmp_path / "dot.png")
    job = server.submit(tmp_path / "dot.png", TxtOutput=True, PdfOutput=True)
    description = assert_readable_error(server.wait(job["Id"], timeout=120))
    assert "1 x 1 pixels, too small" in description, description
    assert "10 to 32767 pixels a side and at most 300 megapixels" in description, description


def test_a_200_inch_pdf_page_is_read(server: Server, tmp_path: Path) -> None:
    job = server.submit(text_pdf(tmp_path / "wide.pdf", 14400, 792), TxtOutput=True, PdfOutput=True)
    info = server.wait(job["Id"], timeout=180)
    assert info["Status"] == 3, info["ErrorDescription"]
    assert "quick brown fox" in server.client.get(f"/download/{job['Id']}/txt").text


@pytest.mark.parametrize(("width", "height", "size"), [(20000, 792, "278 x 11 inches"), (2, 2, "0.0278 x 0.0278")])
def test_a_pdf_page_beyond_the_pdf_formats_sizes_is_an_error_naming_them(
    server: Server, tmp_path: Path, width: float, height: float, size: str
) -> None:
    job = server.submit(text_pdf(tmp_path / "odd.pdf", width, height), TxtOutput=True)
    description = assert_readable_error(server.wait(job["Id"], timeout=120))
    assert size in description, description
    assert re.search(r"0\.0417 to 200 inches a side \(3 to 14400 PDF units\)", description), description


# -- data: page URLs of the invoice API -----------------------------------------------------------------------------


def test_a_data_url_over_fetch_max_mb_is_413_and_nothing_is_kept(api: httpx.Client, server: Server) -> None:
    job = new_job(api, name="too large")
    big = data_url(b"\x89PNG\r\n\x1a\n" + bytes(2**20))  # 1 MB and 8 bytes: one over fetch_max_mb = 1
    response = api.post("/ocr-invoice-job-pages", json={"job": job["_id"], "pageNumber": 1, "pageUrl": big})
    message = error(response, 413, "payload_too_large", "pageUrl", "larger than 1 MB", "fetch_max_mb")
    assert "Internal" not in message
    assert listed(api.get("/ocr-invoice-job-pages", params={"filter": f'{{"job": "{job["_id"]}"}}'}))[1] == 0
    assert stored_names(server, f"invoices/{job['_id']}/images/") == []


def test_a_page_body_longer_than_a_data_url_can_be_is_413_before_it_is_read(api: httpx.Client) -> None:
    job = new_job(api, name="too long")
    body = b'{"job": "%s", "pageNumber": 1, "pageUrl": "data:image/png;base64,' % job["_id"].encode()
    body += b"A" * (3 * 2**20) + b'"}'  # 3 MB: more than 1 MB of image in base64 and the page's properties
    response = api.post("/ocr-invoice-job-pages", content=body, headers={"Content-Type": "application/json"})
    error(response, 413, "payload_too_large", "fetch_max_mb")


def test_a_data_url_page_is_kept_as_a_file_not_in_the_database(api: httpx.Client, server: Server) -> None:
    png = text_png(["Invoice PLOVER 5521", "Total 12.00 EUR"])
    job = new_job(api, name="data url")
    page = new_page(api, job["_id"], 1, data_url(png))
    assert not page["pageUrl"].startswith("data:") and api.get(page["pageUrl"]).content == png
    done = wait_page(api, page["_id"])
    assert done["status"] == "completed", done["errorLog"]
    assert "PLOVER" in done["ocrResults"]["text"]
    listing = api.get("/ocr-invoice-job-pages", params={"filter": f'{{"job": "{job["_id"]}"}}'})
    assert len(listing.content) < len(png), "the listing carries the page's URL, not its image"
    assert base64.b64encode(png)[:64] not in database_dump(server)
