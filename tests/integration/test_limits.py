"""Limits before work (issue 18, part 1), through the real server: a decompression bomb is refused from its header
with the server's memory nowhere near what decoding it needs; pages too small or too large for a page end in an
Error that names the page's size and the limits, and a 200-inch PDF page, the largest a PDF can have, is read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.harness import Server, running
from tests.hostile import bomb_png, peak_rss, text_pdf
from tests.integration.test_bad_input import assert_readable_error

# A worker holds its warm engines (some 300 MB); decoding the bomb needs 3.6 GB more. A page within the limits
# never needs more than this ceiling here: the default limit of 300 megapixels is not approached by these pages.
MEMORY_CEILING = 1200 * 2**20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(Server(tmp_path_factory.mktemp("limits"), env={"OCRMILL_JOBS_THREADS": "1"})) as srv:
        yield srv


def test_a_decompression_bomb_is_refused_at_once_with_memory_bounded(server: Server, tmp_path: Path) -> None:
    assert server.process is not None
    job = server.submit(bomb_png(tmp_path / "bomb.png"), TxtOutput=True)  # 60000 x 60000 in 0.5 MB
    description = assert_readable_error(server.wait(job["Id"], timeout=120))
    assert "3600.0 megapixels" in description and "limit of 300 (max_image_megapixels)" in description, description
    peak = peak_rss(server.process.pid)
    assert peak < MEMORY_CEILING, f"a server process peaked at {peak / 2**20:.0f} MB"


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
