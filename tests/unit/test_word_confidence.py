"""Word confidences that are probabilities (pipeline.calibration): the shipped calibration, applied to a page
Tesseract really read, and the one rule (Word.kept) by which every output and the viewer leave words out."""

from __future__ import annotations

import itertools
import json
import tomllib
from pathlib import Path

from PIL import Image

from ocrmill.domain.document import Box, Word
from ocrmill.pipeline import calibration as cal
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.languages import tessdata_dir

ROOT = Path(__file__).resolve().parents[2]


def test_the_calibration_ships_with_the_package_and_is_read_once() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "pipeline/word-confidence.json" in package_data["ocrmill"]
    assert cal.CALIBRATION_FILE.is_file()
    assert cal.calibration() is cal.calibration()
    table = cal.calibration()
    assert len(table.short) >= 5 and len(table.long) >= 5  # fitted, not the identity's two knots


def test_another_calibration_file_replaces_every_map_until_the_shipped_one_is_used_again(tmp_path: Path) -> None:
    # bench.accuracy --calibration: pages read with maps fitted without them
    shipped, shipped_classes = cal.calibration(), cal.class_calibrations()
    other = tmp_path / "other.json"
    flat = {"short": [[0, 10], [100, 20]], "long": [[0, 30], [100, 40]]}
    other.write_text(json.dumps({**flat, "second_reading": {"agrees": flat}}), encoding="utf-8")
    try:
        cal.use(other)
        assert cal.calibration().of(50, "a") == 15 and cal.calibration().of(50, "word") == 35
        assert cal.class_calibrations() == {"agrees": cal.calibration()}
    finally:
        cal.use(cal.CALIBRATION_FILE)
    assert cal.calibration() == shipped and cal.class_calibrations() == shipped_classes


def test_the_calibration_is_monotone_and_a_percentage() -> None:
    table = cal.calibration()
    for text in ("a", "of", "word", "receipt"):
        values = [table.of(raw / 4, text) for raw in range(401)]
        assert all(0 <= v <= 100 for v in values)
        assert all(a <= b for a, b in itertools.pairwise(values)), text
        assert values[-1] - values[0] > 50  # it tells sure words from unsure ones


def test_calibrate_maps_each_word_of_a_recognised_page(data: Path) -> None:
    with Image.open(data / "ocr-tesseract-test" / "phototest.tif") as im:
        image = im.convert("L")
    page = EnginePool(tessdata_dir(None)).recognize(["eng"], image, dpi=300, number=1, source_index=0)
    raw = [(w.text, w.confidence) for w in page.words()]
    assert len(raw) > 40
    calibrated = cal.calibrate(page)
    assert calibrated is page
    table = cal.calibration()
    assert [w.confidence for w in page.words()] == [table.of(c, t) for t, c in raw]
    assert any(c != w.confidence for (_, c), w in zip(raw, page.words(), strict=True))


def test_one_rule_for_which_words_are_in() -> None:
    sure, unsure = Word("sure", Box(0, 0, 40, 10), 80.0), Word("maybe", Box(50, 0, 90, 10), 59.0)
    nowhere, blank = Word("lost", Box(5, 5, 5, 15), 99.0), Word(" ", Box(95, 0, 99, 10), 99.0)
    assert sure.kept(60) and not unsure.kept(60) and unsure.kept(59)
    assert not nowhere.kept(0) and not blank.kept(0)
