"""The shipped word calibration (pipeline/word-confidence.json) is what its script fits on this code: every
development page read afresh (a new cache, not the one a developer keeps), fitted, and compared knot by knot
(bench.word_calibration --check). A change to the recognition that moves Tesseract's words or confidences shows
here, until the file is fitted again and the accuracy figures measured with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_shipped_word_calibration_is_what_its_script_fits_on_this_code(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.word_calibration", "--check", "--jobs", "2", "--cache", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert run.returncode == 0 and "shipped calibration matches this fit" in run.stdout, (
        run.stdout[-3000:] + run.stderr[-3000:]
    )
