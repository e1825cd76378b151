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
