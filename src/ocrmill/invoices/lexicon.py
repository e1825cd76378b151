"""The words that recur in a field's values across vendors, and an OCR value's words mended towards them.

An address is made of words that many vendors share (the street and district words, the towns, the state, the
country) and a name of a few such words (the company forms, the trades); OCR misreads them by a character or two
("Malaysta", "Joh0r", "Sclangor"), and the value is then wrong as a whole. `learn` collects, from the development
truth, the words of each text field that occur in the values of at least MIN_GROUPS vendors (bench.train_invoices
does it per fold, from the fold's training vendors only, and ships the all-data one in the model file); `mend`
replaces a word of a value that is not among them by the one of them it is a misreading of, when exactly one is:

- the same word but for the characters OCR confuses (0/O, 1/l/I, 5/S, 8/B, 2/Z), at any length ("10t" is "LOT");
- one character changed into a look-alike (LOOK_ALIKE: "MALAYSTA", "TANAN", "JALAU"), for words of MIN_EDITED
  letters or more (shorter words have too many neighbours: "LOT", "LOW", "LOG"); never a letter added or
  dropped, which is how one place's spellings differ ("KELANG" and "KLANG") and how words become others
  ("RESTAURANTS"): out of fold it broke as many addresses as it mended ("GROUNID");
- two such words run together, the second one edit away ("KLANGSCLANGOR" is "KLANG SELANGOR");
- the same word but for accents, which the French and German models put on letters ("SIMPÀNG": "SIMPANG").

A word that is already a lexicon word, is shorter than three characters or a number, or has two equally near
lexicon words is kept as it was read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from ocrmill.domain.scripts import unaccented
from ocrmill.invoices.model import Field

MIN_GROUPS = 2  # a word is in the lexicon when the values of at least this many vendors have it
MIN_EDITED = 5  # letters a word needs before one character changed into a look-alike may be mended
MIN_LETTERS = 3  # shorter words (and numbers) are never mended
FIELDS = ("vendorAddress", "customerAddress")  # names: mending them lost more than it won (bench.train_invoices)
# Letters OCR takes for one another, by their shapes (a substitution between two letters of one group may be
# mended; "UTARA" and "UTAMA", "KELANA" and "KELANG", "LAMAN" and "TAMAN" are words that differ by unlike letters).
LOOK_ALIKE = ("ILJ1!|", "TIF", "OCEAQD0", "NMUH", "RN", "SG5$", "B83", "Z2", "VY", "KX")
CONFUSED = str.maketrans({"0": "O", "1": "I", "L": "I", "5": "S", "8": "B", "2": "Z", "Q": "O"})
WORD = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)

Lexicon = Mapping[str, frozenset[str]]  # field name -> its recurring words, upper-case letters only


def words_of(value: str) -> list[str]:
    """A value's words as the lexicon keeps them: runs of letters, upper-cased, of MIN_LETTERS or more."""
    return [w for w in re.findall(r"[^\W\d_]+", value.upper()) if len(w) >= MIN_LETTERS]


def learn(values: Iterable[tuple[str, str, str]]) -> dict[str, list[str]]:
    """The lexicon of (vendor group, field, true value) triples: per field, the words of at least MIN_GROUPS
    vendors' values, sorted (as the model file stores it)."""
    seen: dict[str, dict[str, set[str]]] = {}
    for group, name, value in values:
        if name in FIELDS and value:
            for word in words_of(value):
                seen.setdefault(name, {}).setdefault(word, set()).add(group)
    return {name: sorted(w for w, groups in words.items() if len(groups) >= MIN_GROUPS) for name, words in seen.items()}


def loaded(data: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    return {name: frozenset(words) for name, words in data.items()}


def mend_fields(fields: dict[str, Field], lexicon: Lexicon) -> dict[str, Field]:
    """`fields` with the words of their OCR text values mended towards the field's lexicon."""
    out = dict(fields)
    for name in FIELDS:
        found = fields.get(name)
        known = lexicon.get(name)
        if found is None or not known or found.source != "ocr":
            continue
        value = mend(found.value, known)
        if value != found.value:
            normalized = value if found.normalized == found.value else found.normalized
            out[name] = replace(found, value=value, normalized=normalized)
    return out


def mend(value: str, known: frozenset[str]) -> str:
    """`value` with each word that misreads exactly one lexicon word replaced by it (punctuation around the word
    and its case style kept)."""
    return " ".join(_mended_word(token, known) for token in value.split(" "))


def _mended_word(token: str, known: frozenset[str]) -> str:
    match = WORD.match(token)
    if match is None:
        return token
    before, core, after = match.groups()
    if len(core) < MIN_LETTERS or not core.isalnum() or core.isdigit() or core.upper() in known:
        return token
    found = _nearest(core.upper(), known)
    if found is None:
        return token
    return before + _cased(found, core) + after


def _cased(word: str, like: str) -> str:
    """`word` (upper-case) in the case style of `like`: all lower, capitalised, or upper."""
    letters = [ch for ch in like if ch.isalpha()]
    if all(ch.islower() for ch in letters):
        return word.lower()
    if letters[0].isupper() and all(ch.islower() for ch in letters[1:]) and len(letters) > 1:
        return word.title()
    return word


def _nearest(word: str, known: frozenset[str]) -> str | None:
    plain = unaccented(word)
    if plain != word and plain in known:
        return plain
    shape = word.translate(CONFUSED)
    alike = {w for w in known if w.translate(CONFUSED) == shape}
    if alike:
        return next(iter(alike)) if len(alike) == 1 else None
    if not word.isalpha():
        return None
    if len(word) >= MIN_EDITED:
        near = {w for w in known if _one_edit(word, w)}
        if near:
            return next(iter(near)) if len(near) == 1 else None
    joined = set()
    for first in known:
        rest = word[len(first) :]
        if word.startswith(first) and len(rest) >= MIN_EDITED - 1:
            joined |= {f"{first} {w}" for w in known if w == rest or (len(w) >= MIN_EDITED and _one_edit(rest, w))}
    return next(iter(joined)) if len(joined) == 1 else None


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` have the same length and differ by exactly one character changed into a look-alike."""
    if a == b or len(a) != len(b):
        return False
    i = 0
    while a[i] == b[i]:
        i += 1
    alike = any(a[i] in group and b[i] in group for group in LOOK_ALIKE)
    return alike and a[i + 1 :] == b[i + 1 :]
