"""Accents a reading in several languages dropped, put back from Tesseract's own dictionaries: the only module
that runs Tesseract's dictionary tools (`combine_tessdata`, `dawg2wordlist`, from Debian's tesseract-ocr).

With several languages, Tesseract reads each word with the first language's model and tries the others only
where that reading is poor, so an English-first reading of a German or French page often drops the accents the
first model has no letters for: "Ubernachtung" for "Übernachtung", "Quantite" for "Quantité". A word is given
its accents back when

- it is plain letters (three or more, a-z only, punctuation around it kept),
- it is a word of none of the job's languages (their dictionaries, case aside), and
- exactly one word of those dictionaries spells it with accents (ß as ss): "Nachte" -> "Nächte"; "Bar" stays
  (a German and an English word), and so does a word whose accented spellings are several.

The dictionaries are the word lists inside the installed traineddata files (the ones Tesseract's own search
uses), read once per process and language set. A reading in one language is left as Tesseract made it.
"""

from __future__ import annotations

import functools
import logging
import re
import subprocess
import tempfile
import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ocrmill.domain.document import Page, Word
from ocrmill.domain.scripts import unaccented

log = logging.getLogger(__name__)

_PLAIN = re.compile(r"^(\W*)([A-Za-z]{3,})(\W*)$")
_LOCK = threading.Lock()


def bare(word: str) -> str:
    """A word without its accents: "Übernachtung" -> "Ubernachtung", "Straße" -> "Strasse" (a dictionary's "™"
    and ligatures stay: NFD)."""
    return unaccented(word, "NFD").replace("ß", "ss").replace("ẞ", "SS")


class Accents:
    """The dictionaries of one set of languages: which words they know, and their accented spellings."""

    def __init__(self, words: Iterable[str]) -> None:
        # Hashes of the words in lower case (not casefold: "Straße" is no "strasse"), sorted: a few MB where a set
        # of the strings takes a hundred.
        known = array("q")
        accented: dict[str, set[str]] = {}
        for word in words:
            known.append(hash(word.lower()))
            if not word.isascii() and (plain := bare(word)) != word:
                accented.setdefault(plain, set()).add(word)
        self._known: NDArray[np.int64] = np.unique(np.frombuffer(known, dtype=np.int64))
        self._accented = {plain: found.pop() for plain, found in accented.items() if len(found) == 1}
        # plain spellings with more than one accented one, which are never restored (kept for joined())
        self._ambiguous = frozenset(plain for plain, found in accented.items() if len(found) > 1)

    @classmethod
    def joined(cls, parts: Sequence[Accents]) -> Accents:
        """The dictionaries of several languages as one, as if their words had been read together: a word known
        to any; a plain spelling restored when all of them that spell it with accents spell it alike."""
        joined = cls(())
        joined._known = np.unique(np.concatenate([part._known for part in parts]))
        ambiguous = set().union(*(part._ambiguous for part in parts))
        accented: dict[str, str] = {}
        for part in parts:
            for plain, form in part._accented.items():
                if accented.setdefault(plain, form) != form:
                    ambiguous.add(plain)
        joined._accented = {plain: form for plain, form in accented.items() if plain not in ambiguous}
        joined._ambiguous = frozenset(ambiguous)
        return joined

    def __bool__(self) -> bool:
        return bool(self._accented)

    def empty(self) -> bool:
        """Whether no word was read into it (the word lists or the tools to read them missing)."""
        return not len(self._known)

    def knows(self, word: str) -> bool:
        key = hash(word.lower())
        at = int(np.searchsorted(self._known, key))
        return at < len(self._known) and int(self._known[at]) == key

    def restored(self, text: str) -> str:
        """`text` (one word as read, with its punctuation) with its accents back, or as it is."""
        match = _PLAIN.match(text)
        if match is None:
            return text
        before, core, after = match.groups()
        accented = self._accented.get(core)
        if accented is None or self.knows(core):
            return text
        return before + accented + after

    def restore_words(self, words: Sequence[Word]) -> None:
        for word in words:
            word.text = self.restored(word.text)

    def restore_page(self, page: Page) -> None:
        for block in page.blocks:
            for para in block.paragraphs:
                for line in para.lines:
                    self.restore_words(line.words)


def accents_for(tessdata: Path, langs: Sequence[str]) -> Accents | None:
    """The accents of these languages, when they are two or more and their dictionaries spell any word with
    accents; None otherwise (one language, or the tools or the word lists missing: then nothing is restored)."""
    if len(langs) < 2:
        return None
    with _LOCK:
        return _accents(tessdata, tuple(sorted(langs)))


@functools.cache
def _accents(tessdata: Path, langs: tuple[str, ...]) -> Accents | None:
    accents = _dictionary(tessdata, langs)
    return accents if accents else None


@functools.cache
def _dictionary(tessdata: Path, langs: tuple[str, ...]) -> Accents:
    """The languages' dictionaries, each language's word list read once (0.3-0.6 s: two Tesseract tools) however
    many sets it is in (shows_others asks for the first language, the others, and accents_for for all)."""
    if len(langs) == 1:
        return Accents(_words(tessdata / f"{langs[0]}.traineddata"))
    return Accents.joined([_dictionary(tessdata, (lang,)) for lang in langs])


OTHER_WORDS = 2  # different words of the other languages that make a page theirs too


def shows_others(page: Page, tessdata: Path, langs: Sequence[str]) -> bool:
    """Whether a page read in the first of `langs` alone shows words of the others: at least OTHER_WORDS
    different words that the first language's dictionary does not know and another's does, as read or with
    the accents the first model has no letters for ("Ubernachtung"). Measured on readings of the development
    pages in English: each German or French invoice shows 3 to 26 such words ("Anschrift", "Betreff",
    "Quantite"), each of 42 Malaysian receipts none or one ("alim"). When the dictionaries cannot be read,
    every page is taken as showing them (read in every language, as without this question)."""
    if len(langs) < 2:
        return False
    with _LOCK:
        first = _dictionary(tessdata, (langs[0],))
        others = _dictionary(tessdata, tuple(sorted(langs[1:])))
    if first.empty() or others.empty():
        return True
    seen: set[str] = set()
    for word in page.words():
        match = _PLAIN.match(word.text)
        if match is None or first.knows(core := match.group(2)):
            continue
        if others.knows(core) or others.restored(core) != core:
            seen.add(core.lower())
            if len(seen) >= OTHER_WORDS:
                return True
    return False


def _words(traineddata: Path) -> Iterator[str]:
    """The words of a traineddata file's LSTM dictionary, one at a time; none when it has none or the tools are
    missing."""
    with tempfile.TemporaryDirectory(prefix="ocrmill-dawg-") as tmp:
        dawg, unicharset = Path(tmp, "x.lstm-word-dawg"), Path(tmp, "x.lstm-unicharset")  # named as it asks
        out = Path(tmp, "words.txt")
        try:
            subprocess.run(
                ["combine_tessdata", "-e", str(traineddata), str(dawg), str(unicharset)],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            if not dawg.is_file() or not unicharset.is_file():
                return
            subprocess.run(
                ["dawg2wordlist", str(unicharset), str(dawg), str(out)], check=True, capture_output=True, timeout=60
            )
        except (OSError, subprocess.SubprocessError) as e:
            log.warning("No dictionary read from %s (%s): accents dropped by the reading stay dropped", traineddata, e)
            return
        with out.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if word := line.strip():
                    yield word
