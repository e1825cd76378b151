"""What writing systems need of the text: where words are joined without a space (Chinese, Japanese) and
which text runs right to left (Arabic, Hebrew, ...), with the order of a right-to-left word's characters."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Literal

# Scripts written without spaces between words: CJK radicals and punctuation, kana, bopomofo, the ideographs
# (with their extensions beyond the BMP) and the full-width forms. Hangul is not among them: Korean has spaces.
_UNSPACED = (
    (0x2E80, 0x2FDF),
    (0x3000, 0x303F),
    (0x3040, 0x30FF),
    (0x3100, 0x312F),
    (0x31A0, 0x31BF),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3134F),
)
_RTL = {"R", "AL"}
_LTR_RUN = {"L", "EN", "AN"}  # inside a right-to-left word these still run left to right (Latin, digits)


def unspaced(ch: str) -> bool:
    """Whether `ch` belongs to a script written without spaces between words."""
    code = ord(ch)
    # the text of most pages is below the first range: asked for every word of every line by the writers
    return code >= _UNSPACED[0][0] and any(low <= code <= high for low, high in _UNSPACED)


def join_words(texts: Iterable[str]) -> str:
    """Words of one line as text: a space between two words, except between two of an unspaced script."""
    out = ""
    for text in texts:
        if not text:
            continue
        out = out + text if not out or (unspaced(out[-1]) and unspaced(text[0])) else f"{out} {text}"
    return out


def spaced(before: str, after: str) -> bool:
    """Whether a space separates the words `before` and `after` in the line's text."""
    return not (before and after and unspaced(before[-1]) and unspaced(after[0]))


def joins(before: str, after: str) -> bool:
    """Whether two of Tesseract's words with no space between them are pieces of one word (the syllables of a
    Korean word): not for Chinese or Japanese characters, each a word of its own, and not for right-to-left text,
    whose spaces Tesseract counts in another order."""
    return bool(before and after) and not unevenly_spaced(before + after)


def unevenly_spaced(text: str) -> bool:
    """Whether `text` has a character of a script written without spaces or right to left, whose words Tesseract
    does not space as a left-to-right line's."""
    return any(unspaced(ch) or unicodedata.bidirectional(ch) in _RTL for ch in text)


def right_to_left(text: str) -> bool:
    """Whether `text` runs right to left: its first strongly directional character is (Unicode's rules P2, P3)."""
    for ch in text:
        direction = unicodedata.bidirectional(ch)
        if direction in _RTL:
            return True
        if direction == "L":
            return False
    return False


def reordered(word: str) -> str:
    """A word with right-to-left letters turned between visual order (left to right on the page) and logical
    order (as read): its characters reversed, except runs of Latin letters and digits, which keep their order,
    and combining marks, which stay after their letter. Turning twice gives the word back."""
    if not any(unicodedata.bidirectional(ch) in _RTL for ch in word):
        return word
    clusters: list[str] = []
    for ch in word:
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    runs: list[list[str]] = []
    for cluster in clusters:
        ltr = unicodedata.bidirectional(cluster[0]) in _LTR_RUN
        if runs and ltr and unicodedata.bidirectional(runs[-1][0][0]) in _LTR_RUN:
            runs[-1].append(cluster)
        else:
            runs.append([cluster])
    return "".join("".join(run) for run in reversed(runs))


def unaccented(text: str, form: Literal["NFD", "NFKD"] = "NFKD") -> str:
    """The text without its letters' accents, in its own case ("SIMPÀNG": "SIMPANG"). NFKD also spells out
    compatibility characters ("ﬁ" as "fi", "™" as "TM"), NFD leaves them as they are."""
    return "".join(ch for ch in unicodedata.normalize(form, text) if not unicodedata.combining(ch))


# Languages written in Latin letters without accents: a page read in these alone has no use for them
UNACCENTED_LANGUAGES = frozenset({"eng", "msa", "ind"})


def plain_latin(text: str) -> str:
    """The text with its accented Latin letters unaccented ("Simpàng": "Simpang", "NANÚING": "NANUING"); every
    other character (digits, signs, "ß", and other scripts, which NFD would take apart: Hangul) as it is."""
    if text.isascii():
        return text
    return "".join(unaccented(ch, "NFD") if unicodedata.name(ch, "").startswith("LATIN") else ch for ch in text)
