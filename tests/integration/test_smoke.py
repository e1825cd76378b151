from __future__ import annotations

from pathlib import Path

from tests.harness import Server


def test_phototest_converts_to_pdf_and_text(server: Server, data: Path) -> None:
    job = server.submit(data / "ocr-tesseract-test/phototest.tif", TxtOutput=True)
    info = server.wait(job["Id"])
    assert info["Status"] == 3, info["ErrorDescription"]
    assert info["NumberOfPages"] == 1
    text = server.client.get(f"/download/{job['Id']}/txt").text
    assert "quick brown dog" in text


def test_pdfa_is_refused_rather_than_faked(server: Server, data: Path) -> None:
    """PDF/A is not built yet: a job asking for it must not receive a plain PDF."""
    job = server.submit(data / "ocr-tesseract-test/phototest.tif", PdfConformance=2)
    info = server.wait(job["Id"])
    assert info["Status"] == 4
    assert "PdfConformance 2" in info["ErrorDescription"] and "not available" in info["ErrorDescription"]
    text_only = server.submit(
        data / "ocr-tesseract-test/phototest.tif", PdfOutput=False, TxtOutput=True, PdfConformance=2
    )
    assert server.wait(text_only["Id"])["Status"] == 3, "without PdfOutput the conformance level does not matter"
