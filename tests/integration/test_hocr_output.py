"""The hOCR output (an ocrmill addition) over real HTTP and from `ocrmill ocr`: its words are the TXT's words, with
the job's MinConfidence, and the job's JSON shows HocrOutput only when it is asked for."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lxml import html

from tests.harness import OCRMILL, Server

pytestmark = pytest.mark.paired


def hocr_words(content: bytes) -> list[str]:
    return [str(w.text_content()) for w in html.fromstring(content).xpath("//*[@class='ocrx_word']")]


@pytest.mark.parametrize("min_confidence", [0, 60])
def test_a_job_with_hocr_output(server: Server, data: Path, min_confidence: int) -> None:
    job = server.submit(
        data / "ocr-tesseract-test" / "phototest.tif", HocrOutput=True, TxtOutput=True, MinConfidence=min_confidence
    )
    info = server.wait(int(job["Id"]))
    assert info["Status"] == 3, info["ErrorDescription"]
    assert info["HocrOutput"] is True
    hocr = server.client.get(f"/download/{job['Id']}/hocr")
    assert hocr.status_code == 200 and hocr.headers["content-type"].startswith("application/xhtml+xml")
    txt = server.client.get(f"/download/{job['Id']}/txt").text
    assert hocr_words(hocr.content) == txt.split()
    assert "quick brown dog" in " ".join(hocr_words(hocr.content))


def test_a_job_without_hocr_output_does_not_show_it(server: Server) -> None:
    created = server.client.post("/create", json={"TxtOutput": True}).json()
    assert "HocrOutput" not in created


def test_ocr_command_writes_hocr(tmp_path: Path, data: Path) -> None:
    out = tmp_path / "out"
    args = ["ocr", str(data / "ocr-tesseract-test" / "phototest.tif"), "--out", str(out)]
    done = subprocess.run(
        [OCRMILL, *args, "--set", "HocrOutput=true", "--set", "PdfOutput=false"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["phototest.hocr"]
    assert "brown" in hocr_words((out / "phototest.hocr").read_bytes())
