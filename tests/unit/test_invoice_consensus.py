"""Several readings of one page made one: the surest value per field, ties to the value more readings say,
and text values mended word by word where another reading has the same word with fewer stray characters."""

from __future__ import annotations

from ocrmill.domain.document import Box
from ocrmill.invoices.consensus import agreed, mended
from ocrmill.invoices.model import Field
from tests.documents import hand_page


def _field(normalized: str, confidence: float) -> Field:
    return Field(name="total", value=normalized, normalized=normalized, confidence=confidence, box=None, page=1)


def test_readings_that_agree_win_a_tie_and_only_a_tie() -> None:
    one, other, third = _field("30.96", 1.0), _field("30.90", 1.0), _field("30.90", 0.97)
    assert agreed([{"total": one}, {"total": other}, {"total": third}])["total"] is other
    assert agreed([{"total": third}, {"total": one}])["total"] is one  # surer beats a lone other
    sure = _field("31.00", 1.0)
    assert agreed([{"total": third}, {"total": _field("30.90", 0.9)}, {"total": sure}])["total"] is sure
    assert agreed([{}, {"total": third}]) == {"total": third}


def _address(value: str, *, source: str = "ocr") -> dict[str, Field]:
    box = Box(290, 290, 1500, 420)  # the first two rows of a hand_page
    found = Field("vendorAddress", value, value, 0.8, box, 1, source=source)
    return {"vendorAddress": found}


def test_a_word_with_a_stray_digit_is_taken_from_a_reading_without() -> None:
    chosen = hand_page([["Leve1 6, Bangunan TH,", "Peta1ing Jaya L0T 28I1"]])
    other = hand_page([["LEVEL 6, Bangunan TH,", "PETALING Jaya LOT 2811"]])
    out = mended(_address("Leve1 6, Bangunan TH, Peta1ing Jaya L0T 28I1"), [chosen, other])
    assert out["vendorAddress"].value == "LEVEL 6, Bangunan TH, PETALING Jaya LOT 2811"
    assert out["vendorAddress"].normalized == out["vendorAddress"].value


def test_codes_and_clean_words_are_left_alone() -> None:
    """A unit's code ("S117", "U1") and a word without strays stay, whatever another reading says; words
    outside the field's box are never used."""
    chosen = hand_page([["S117, U1/48 Seiangor"], ["Leve1"]])
    other = hand_page([["5117, UI/48 Selangor"], ["LEVEL"]])
    out = mended(_address("S117, U1/48 Seiangor Leve1"), [chosen, other])
    assert out["vendorAddress"].value == "S117, U1/48 Seiangor Leve1"
    # a letter after the number is a unit's code too ("L1-044B"), unless it looks like a digit ("4330O")
    chosen, other = hand_page([["L1-044B 4330O"]]), hand_page([["L1-0448 43300"]])
    assert mended(_address("L1-044B 4330O"), [chosen, other])["vendorAddress"].value == "L1-044B 43300"


def test_corrections_and_lone_readings_are_not_mended() -> None:
    chosen, other = hand_page([["Leve1 6"]]), hand_page([["LEVEL 6"]])
    assert mended(_address("Leve1 6", source="correction"), [chosen, other])["vendorAddress"].value == "Leve1 6"
    assert mended(_address("Leve1 6"), [chosen])["vendorAddress"].value == "Leve1 6"


def test_a_word_run_together_takes_the_other_readings_words() -> None:
    chosen = hand_page([["1B51-A JALAN"]])
    other = hand_page([["1851 -A JALAN"]])
    assert mended(_address("1B51-A JALAN"), [chosen, other])["vendorAddress"].value == "1851 -A JALAN"
