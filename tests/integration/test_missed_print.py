"""A page whose print Tesseract misses (pipeline.missed), over HTTP with default settings: a faint dot-matrix
receipt that the raw `tesseract` CLI, and Tesseract inside ocrmill, read as nothing is read whole by PP-OCR; with
SecondReading=false it is read once, as nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.harness import Server
from tests.metrics import cer


def transcript(csv: Path) -> str:
    """The receipt's lines as its SROIE box file holds them: eight coordinates, then the text."""
    rows = csv.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(row.split(",", 8)[8] for row in rows if row.count(",") >= 8)


def job_text(server: Server, image: Path, **options: object) -> str:
    job = server.submit(image, TxtOutput=True, PdfOutput=False, **options)
    info = server.wait(int(job["Id"]))
    assert info["Status"] == 3, info["ErrorDescription"]
    return server.client.get(f"/download/{job['Id']}/txt").text


def test_a_receipt_tesseract_reads_as_nothing_is_read_whole_by_ppocr(server: Server, data: Path) -> None:
    image = data / "receipts-sroie" / "img" / "600.jpg"
    truth = transcript(data / "receipts-sroie" / "box" / "600.csv")
    raw = subprocess.run(
        ["tesseract", str(image), "stdout"],
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert cer(truth, raw) > 0.9  # the premise: Tesseract misses this receipt's print

    text = job_text(server, image)
    assert cer(truth, text) < 0.4, text
    assert "MEGAH RETAIL" in text and "DENGKIL" in text

    once = job_text(server, image, SecondReading=False)
    assert cer(truth, once) > 0.9, once
