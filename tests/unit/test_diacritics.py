"""Accents a reading in several languages dropped, put back from the dictionaries (pipeline.diacritics): the rule on
a hand-made word list, then Tesseract's own dictionaries, then a real German invoice page that an English-first
reading spells without its umlauts."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from ocrmill.domain.document import Box, Word
from ocrmill.pipeline.diacritics import Accents, accents_for, bare, shows_others
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.invoice_page import recognise_page
from ocrmill.pipeline.languages import tessdata_dir
from tests.documents import hand_page
from tests.harness import DATA

WORDS = ["Übernachtung", "Nächte", "über", "Bar", "Bär", "Quantité", "résumé", "resume", "Straße", "Thé", "Thè"]


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("Ubernachtung.", "Übernachtung."),  # punctuation round the word stays
        ("Nachte", "Nächte"),
        ("(Quantite)", "(Quantité)"),
        ("Strasse", "Straße"),
        ("Bar", "Bar"),  # a word of its own: not turned into "Bär"
        ("resume", "resume"),
        ("The", "The"),  # two accented spellings: none chosen
        ("Ober", "Ober"),  # no accented spelling known
        ("Uber1", "Uber1"),  # letters and digits: a code, left alone
        ("Ub", "Ub"),
        ("Übernachtung", "Übernachtung"),
    ],
)
def test_a_word_no_dictionary_knows_gets_its_one_accented_spelling(read: str, meant: str) -> None:
    assert Accents(WORDS).restored(read) == meant


def test_case_is_kept_as_the_dictionary_spells_it() -> None:
    accents = Accents([*WORDS, "ÜBERNACHTUNG"])
    assert accents.restored("UBERNACHTUNG") == "ÜBERNACHTUNG"
    assert accents.restored("ubernachtung") == "ubernachtung"  # the dictionary has no such spelling


def test_bare_takes_accents_and_sharp_s_away() -> None:
    assert [bare(w) for w in ("Übernachtung", "Quantité", "Straße", "plain")] == [
        "Ubernachtung",
        "Quantite",
        "Strasse",
        "plain",
    ]


def test_restore_words_changes_only_the_text() -> None:
    word = Word("Nachte", Box(1, 2, 3, 4), 87.0, 10.0)
    Accents(WORDS).restore_words([word])
    assert word == Word("Nächte", Box(1, 2, 3, 4), 87.0, 10.0)


def test_tesseracts_own_dictionaries() -> None:
    tessdata = tessdata_dir(None)
    assert accents_for(tessdata, ["eng"]) is None  # one language reads as its model spells
    accents = accents_for(tessdata, ["eng", "deu", "fra"])
    assert accents is not None
    assert accents.restored("Ubernachtung.") == "Übernachtung."
    assert accents.restored("Quantite") == "Quantité"
    assert [accents.restored(w) for w in ("Bar", "the", "invoice", "Rechnung", "HOR")] == [
        "Bar",
        "the",
        "invoice",
        "Rechnung",
        "HOR",
    ]


def test_a_german_invoice_page_read_english_first_keeps_its_umlauts() -> None:
    """The invoice path reads eng+deu+fra; on this travel expense invoice Tesseract alone writes "Ubernachtung."
    and "Nachte" (checked: the engine's own reading below)."""
    pdf = pdfium.PdfDocument(DATA / "invoices-zugferd" / "EN16931_Reisekostenabrechnung.pdf")
    try:
        image = pdf[1].render(scale=300 / 72, grayscale=True).to_pil()
    finally:
        pdf.close()
    tessdata = tessdata_dir(None)
    engines = EnginePool(tessdata)
    langs = ["eng", "deu", "fra"]
    raw = {w.text for w in engines.recognize(langs, image, dpi=300, number=1, source_index=0).words()}
    assert {"Ubernachtung.", "Nachte"} <= raw
    seen = {
        w.text
        for w in recognise_page(image, 300, engines=engines, langs=langs, number=1, tessdata=tessdata).page.words()
    }
    assert {"Übernachtung.", "Nächte"} <= seen
    assert not {"Ubernachtung.", "Nachte"} & seen


def test_a_page_read_in_english_shows_german_or_french_words_by_the_dictionaries() -> None:
    tessdata = tessdata_dir(None)
    langs = ["eng", "deu", "fra"]
    english = hand_page([["TAX INVOICE", "ROTI CANAI 2 x 1.50", "Total Amount 3.00", "Thank you, please come again"]])
    german = hand_page([["Rechnung Nr. 4711", "Menge Einzelpreis Betrag", "Ubernachtung 2 Nachte"]])
    french = hand_page([["FACTURE", "Quantite Montant"]])
    assert not shows_others(english, tessdata, langs)  # English and Malay words: none German or French
    assert shows_others(german, tessdata, langs)
    assert shows_others(french, tessdata, langs)  # "Quantite" counts by its accented spelling
    assert not shows_others(german, tessdata, ["eng"])  # one language: nothing to ask
    assert not shows_others(hand_page([["Rechnung 4711"]]), tessdata, langs)  # one word is no language


def test_without_dictionaries_every_page_shows_the_other_languages(tmp_path: Path) -> None:
    """No word lists (an empty tessdata): the page is read in every language, as before the question existed."""
    assert shows_others(hand_page([["TAX INVOICE"]]), tmp_path, ["eng", "deu"])


def test_languages_joined_are_their_words_read_together() -> None:
    """Accents.joined (each language's word list read once): a word known to either; a plain spelling restored
    only where every language that accents it does so alike, and never where one language has two spellings."""
    german = ["Übernachtung", "Straße", "müde", "Muße", "Mühe"]
    french = ["Élève", "muse", "mûde", "Quantité", "fête", "fêté"]
    together = Accents([*german, *french])
    joined = Accents.joined([Accents(german), Accents(french)])
    for read in ("Ubernachtung", "Eleve", "mude", "Quantite", "fete", "Muse", "Muhe", "Strasse", "rien"):
        assert joined.restored(read) == together.restored(read), read
        assert joined.knows(read) == together.knows(read), read
    assert joined.restored("mude") == "mude"  # müde and mûde: two spellings, none chosen
    assert joined.restored("Ubernachtung") == "Übernachtung"
