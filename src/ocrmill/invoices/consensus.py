"""One page read several ways (Tesseract and PP-OCR): one value per field.

Per field the surest reading wins (`agreed`; the rules' choice, and the field ranker's for the fields it does not
decide); readings that say the same only break a tie (measured when Tesseract read an unsure page twice, and its
two readings shared their mistakes). Then the words of a text value are mended from the other readings
(`mended`): where another reading has, at the same place, the same word but for the characters OCR confuses
(1/l/I, 0/O, 5/S, 8/B, 2/Z) and its letters and digits mix less ("LEVEL" for "Leve1", "2811" for "28I1"),
its word is taken (bench.invoices, SROIE: 3 fields more).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ocrmill.domain.document import Box, Page, Word
from ocrmill.invoices.model import Field

# Readings that say the same win a tie of confidence (confidences are capped at 1.0). More than a tie-break
# makes things worse, since Tesseract's two readings share their mistakes (bench.invoices, SROIE: 0.862 at
# 0.005 and at 0.02, 0.837 at 0.1; with PP-OCRv5 the tie-break won a field).
AGREEMENT = 0.005
TEXT_FIELDS = ("vendorName", "vendorAddress", "customerName", "customerAddress")
CONFUSED = str.maketrans({"0": "o", "q": "o", "1": "l", "i": "l", "5": "s", "8": "b", "2": "z"})
MAX_JOINED = 3  # a word one reading printed may be up to this many words in another ("JalanRadin")


def agreed(readings: Sequence[Mapping[str, Field]]) -> dict[str, Field]:
    """Per field, the surest value of all readings; of two as sure, the one more readings say (compared by
    letters and digits only)."""
    out: dict[str, Field] = {}
    for name in dict.fromkeys(n for fields in readings for n in fields):
        groups: dict[str, list[Field]] = {}
        for fields in readings:
            if name in fields:
                groups.setdefault(key(fields[name].normalized), []).append(fields[name])
        best = max(groups.values(), key=lambda g: max(f.confidence for f in g) + AGREEMENT * (len(g) - 1))
        out[name] = max(best, key=lambda f: f.confidence)
    return out


def mended(fields: dict[str, Field], readings: Sequence[Page]) -> dict[str, Field]:
    """`fields` with the words of their text values mended from the readings (see the module docstring)."""
    out = dict(fields)
    for name in TEXT_FIELDS:
        found = fields.get(name)
        if found is None or found.box is None or found.source != "ocr" or len(readings) < 2:
            continue
        inside = [_words_in(reading, found.box) for reading in readings]
        words = []
        for word in found.value.split(" "):
            words.append(_better(word, inside))
        value = " ".join(words)
        if value != found.value:
            normalized = found.normalized if key(found.normalized) != key(found.value) else value
            out[name] = replace(found, value=value, normalized=normalized)
    return out


def _better(word: str, readings: list[list[str]]) -> str:
    """The other readings' form of `word` that mixes letters and digits least, if one mixes them less."""
    best, best_mix = word, _mix(word)
    shape = _confused(word)
    if not best_mix or not shape:
        return word
    for words in readings:
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + MAX_JOINED) + 1):
                joined = "".join(words[start:end])
                if len(joined) > len(word) + 2:
                    break
                if _confused(joined) == shape and _mix(joined) < best_mix:
                    best, best_mix = " ".join(words[start:end]), _mix(joined)
    return best


def _words_in(page: Page, box: Box) -> list[str]:
    """The page's words whose middles lie inside `box`, in reading order."""
    return [w.text for w in page.words() if _inside(w, box)]


def _inside(word: Word, box: Box) -> bool:
    x, y = (word.box.left + word.box.right) / 2, (word.box.top + word.box.bottom) / 2
    return box.left <= x <= box.right and box.top <= y <= box.bottom


def _mix(text: str) -> int:
    """The stray characters of the word: in each run of three letters and digits or more, the digits among
    more letters or the letters among more digits ("Leve1": 1, "L0T": 1, "1B51": 1, "4330O": 1; "U1",
    "SS21": 0). A letter before a number, or after it, is a unit's or a lot's code, not a stray ("S117",
    "G12", "044B", "31G"), unless it is a letter that looks like a digit (O, I, l), which such codes avoid."""
    stray = 0
    for run in re.findall(r"[^\W_]{3,}", text):
        if re.fullmatch(r"[A-Za-z]\d+|\d+[A-HJKMNP-Za-hjkmnp-z]", run):
            continue
        digits = sum(ch.isdigit() for ch in run)
        letters = len(run) - digits
        if digits != letters:
            stray += min(digits, letters)
    return stray


def _confused(text: str) -> str:
    """The word as OCR's confusions make it alike: letters and digits only, case-folded, look-alikes as one."""
    return key(text).translate(CONFUSED)


def key(text: str) -> str:
    """A value compared by its letters and digits only, case-folded."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())
