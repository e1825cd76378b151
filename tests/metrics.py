"""OCR quality metrics: character error rate and an order-insensitive word-bag score.

All metrics compare whitespace-normalised text (NFC, every run of whitespace one space, no leading or
trailing space), so line breaks, blank lines between paragraphs and form feeds between pages do not count.

The edit distance is Hyyrö's bit-parallel form of Myers' algorithm with Python integers as bit vectors:
one pass over the hypothesis, a dozen big-integer operations per character, so a pair of 20,000-character
texts takes well under a second.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFC, whitespace runs collapsed to one space, stripped."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def words(text: str) -> list[str]:
    return normalise(text).split()


def levenshtein(a: str, b: str) -> int:
    """Unit-cost edit distance (insert, delete, substitute) between two strings."""
    if len(a) < len(b):
        a, b = b, a  # the bit vectors run over the longer string, the loop over the shorter
    m = len(a)
    if m == 0:
        return len(b)
    if not b:
        return m
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = ((((eq & pv) + pv) & mask) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return score


def levenshtein_reference(a: str, b: str) -> int:
    """The textbook dynamic programme; slow, for checking `levenshtein` on small inputs."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edits to turn the hypothesis into the reference, per reference character.

    Can exceed 1 when the hypothesis is much longer than the reference."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return levenshtein(ref, hyp) / len(ref)


@dataclass(frozen=True)
class BagScore:
    """Multiset comparison of whitespace-separated words, ignoring their order."""

    matched: int
    reference_words: int
    hypothesis_words: int

    @property
    def precision(self) -> float:
        return self.matched / self.hypothesis_words if self.hypothesis_words else float(not self.reference_words)

    @property
    def recall(self) -> float:
        return self.matched / self.reference_words if self.reference_words else float(not self.hypothesis_words)

    @property
    def f1(self) -> float:
        total = self.reference_words + self.hypothesis_words
        return 2 * self.matched / total if total else 1.0

    @property
    def error(self) -> float:
        """1 - F1: 0 when both texts have exactly the same words, 1 when they share none."""
        return 1.0 - self.f1


def word_bag(reference: str, hypothesis: str) -> BagScore:
    ref, hyp = Counter(words(reference)), Counter(words(hypothesis))
    return BagScore(
        matched=sum((ref & hyp).values()),
        reference_words=sum(ref.values()),
        hypothesis_words=sum(hyp.values()),
    )


def bag_error(reference: str, hypothesis: str) -> float:
    """Order-insensitive word error: 1 - F1 of the word multisets (see `word_bag`)."""
    return word_bag(reference, hypothesis).error


def bag_cer(reference: str, hypothesis: str) -> float:
    """Order-insensitive character error rate.

    Words both texts contain (as multisets) are set aside; the rest of each side is sorted and
    joined, and the edit distance between the two leftovers is counted per reference character
    (spaces included, as in `cer`). Identical texts score 0 whatever the word order; a word read
    with one wrong letter costs about one edit, not a whole word as in `bag_error`."""
    ref_words, hyp_words = words(reference), words(hypothesis)
    ref_len = len(" ".join(ref_words))
    if not ref_len:
        return 0.0 if not hyp_words else 1.0
    common = Counter(ref_words) & Counter(hyp_words)
    ref_left = sorted((Counter(ref_words) - common).elements())
    hyp_left = sorted((Counter(hyp_words) - common).elements())
    return levenshtein(" ".join(ref_left), " ".join(hyp_left)) / ref_len
