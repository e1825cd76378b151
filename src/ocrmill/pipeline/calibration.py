"""Word confidences that are probabilities: Tesseract's word confidence (0-100) mapped to the share of words right
at that confidence on the development pages, x 100.

The map is fitted by bench.word_calibration (isotonic regression, separately for short and longer words) and
shipped as word-confidence.json beside this module; it is read once per process. A word's `confidence` in every
output is the calibrated one: calibrate() runs on each page right after Tesseract recognised it (or
pipeline.second_reading, which calibrates with the maps of its agreement classes, in the same file).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocrmill.domain.document import Page
from ocrmill.domain.knots import interpolate

CALIBRATION_FILE = Path(__file__).with_name("word-confidence.json")
SHORT_WORD = 2  # characters: "a", "1", "-", "of" say less at the same raw confidence than longer words

Knots = tuple[tuple[float, float], ...]  # (raw confidence, calibrated confidence), both increasing


@dataclass(frozen=True)
class Calibration:
    short: Knots
    long: Knots

    def of(self, raw: float, text: str) -> float:
        return round(interpolate(self.short if len(text) <= SHORT_WORD else self.long, raw), 2)

    def to_json(self) -> dict[str, Any]:
        return {"short": [list(k) for k in self.short], "long": [list(k) for k in self.long]}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Calibration:
        def knots(values: list[list[float]]) -> Knots:
            return tuple((float(x), float(y)) for x, y in values)

        return Calibration(short=knots(data["short"]), long=knots(data["long"]))


_file = CALIBRATION_FILE


def use(path: Path) -> None:
    """Calibrate with the maps in `path` from now on instead of the shipped ones (bench.accuracy --calibration:
    pages the shipped maps were fitted on, read with maps fitted without them)."""
    global _file
    _file = path
    for cached in (_shipped, calibration, class_calibrations):
        cached.cache_clear()


@functools.cache
def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_file.read_text(encoding="utf-8"))
    return data


@functools.cache
def calibration() -> Calibration:
    """The map of every word (a job without the second reading)."""
    return Calibration.from_json(_shipped())


@functools.cache
def class_calibrations() -> dict[str, Calibration]:
    """The maps of the second reading's word classes (pipeline.second_reading.CLASSES), by class."""
    return {name: Calibration.from_json(table) for name, table in _shipped().get("second_reading", {}).items()}


def calibrate(page: Page) -> Page:
    """The page with each word's Tesseract confidence replaced by its calibrated one (in place; returned)."""
    table = calibration()
    for word in page.words():
        word.confidence = table.of(word.confidence, word.text)
    return page
