"""The text fields' lexicon: words learned from several vendors' values, and OCR misreadings mended towards them."""

from __future__ import annotations

from ocrmill.invoices.lexicon import learn, loaded, mend, mend_fields
from ocrmill.invoices.model import Field

KNOWN = frozenset({"JALAN", "TAMAN", "LOT", "KLANG", "SELANGOR", "JOHOR", "MALAYSIA", "BAHRU", "BARU"})


def test_a_word_is_learned_from_two_vendors_not_from_one() -> None:
    lexicon = learn(
        [
            ("shop a", "vendorAddress", "12, Jalan Mawar, Taman Indah"),
            ("shop a", "vendorAddress", "12, Jalan Mawar, Taman Indah"),  # the same vendor again counts once
            ("shop b", "vendorAddress", "3 JALAN BESAR, TAMAN MELATI"),
            ("shop b", "total", "12.00"),
        ]
    )
    assert lexicon == {"vendorAddress": ["JALAN", "TAMAN"]}


def test_misread_words_are_mended_in_the_case_they_were_printed() -> None:
    assert mend("NO 5, Jalan 3, 81100 Joh0r Bahru, Malaysta.", KNOWN) == "NO 5, Jalan 3, 81100 Johor Bahru, Malaysia."
    assert mend("10t 7 KLANGSCLANGOR", KNOWN) == "lot 7 KLANG SELANGOR"
    assert mend("SELANG0R", KNOWN) == "SELANGOR"
    assert mend("3RD FLR, TÀMAN MALURI", KNOWN) == "3RD FLR, TAMAN MALURI"  # accents the other models put on
    assert mend("Taman Señorita", KNOWN) == "Taman Señorita"  # an accented word that is no lexicon word stays


def test_words_that_are_not_misreadings_are_kept() -> None:
    kept = "PUTRAJAYA 62000 Blok C2, JALAN"
    assert mend(kept, KNOWN) == kept  # far from every lexicon word, numbers, short words
    assert mend("BAHRU BARU", KNOWN) == "BAHRU BARU"  # known words
    assert mend("LOW 12 LO7", KNOWN) == "LOW 12 LO7"  # under five letters only look-alike characters are mended
    assert mend("KELANG SELANGR", KNOWN) == "KELANG SELANGR"  # a letter more or less: a spelling, not a misreading


def test_only_ocr_text_fields_are_mended() -> None:
    def field(name: str, value: str, source: str = "ocr") -> Field:
        return Field(name, value, value, 0.9, None, 1, source=source)

    lexicon = loaded({"vendorAddress": sorted(KNOWN)})
    fields = {
        "vendorAddress": field("vendorAddress", "Malaysta"),
        "vendorName": field("vendorName", "Malaysta"),  # no lexicon for names here
        "customerAddress": field("customerAddress", "Malaysta", source="correction"),
    }
    out = mend_fields(fields, lexicon)
    assert out["vendorAddress"].value == out["vendorAddress"].normalized == "Malaysia"
    assert out["vendorName"].value == "Malaysta"
    assert out["customerAddress"].value == "Malaysta"
