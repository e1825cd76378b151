"""Which recognised words are right: the labels of the word-confidence calibration (bench.word_calibration) and of
bench.accuracy's reliability tables.

A word is right when its text (NFC, exactly, punctuation included) is a reference word that lies where the word
was read and that no other word took. Where the ground truth has places, a word must be read there:
  - the scribe benchmark's hOCR gives each reference word's box: the recognised word's centre must fall in that
    box grown by half its height;
  - SROIE gives each transcript line's quadrilateral: the centre must fall in the line's box grown by half its
    height, and the word must be one of that line's words (in capitals: SROIE transcribes every receipt so);
  - pages with a plain-text truth only (Tesseract's and tesseract.js's test pages) count a word right when the
    page's reference still has that word unused (the bag of words bench.accuracy's F1 scores).
Words are taken in reading order, each reference word at most once.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

Rect = tuple[float, float, float, float]  # left, top, right, bottom in the image's pixels

_HOCR_WORD = re.compile(
    r"<span class=['\"]ocrx_word['\"][^>]*title=['\"]bbox (\d+) (\d+) (\d+) (\d+)[^>]*>(.*?)</span>", re.S
)
_TAG = re.compile(r"<[^>]+>")


def token(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


@dataclass(frozen=True)
class Region:
    """A place of the reference and the words written there."""

    rect: Rect
    words: tuple[str, ...]


@dataclass(frozen=True)
class Truth:
    """A page's reference words: in regions where the ground truth has places, else one bag for the page."""

    regions: tuple[Region, ...] = ()
    bag: tuple[str, ...] = ()
    fold_case: bool = False  # the transcripts are in capitals whatever the print (SROIE's)

    @staticmethod
    def of_text(text: str) -> Truth:
        return Truth(bag=tuple(token(w) for w in text.split()))


def scribe_truth(hocr: Path) -> Truth:
    regions = []
    for left, top, right, bottom, inner in _HOCR_WORD.findall(hocr.read_text(encoding="utf-8")):
        text = token(html.unescape(_TAG.sub("", inner)))
        if text:
            regions.append(Region((float(left), float(top), float(right), float(bottom)), (text,)))
    return Truth(regions=tuple(regions))


def sroie_truth(csv: Path) -> Truth:
    regions = []
    for row in csv.read_text(encoding="utf-8").splitlines():
        parts = row.split(",", 8)  # the transcript may contain commas
        if len(parts) == 9 and parts[8].strip():
            xs, ys = [float(v) for v in parts[0:8:2]], [float(v) for v in parts[1:8:2]]
            words = tuple(token(w).upper() for w in parts[8].split())
            regions.append(Region((min(xs), min(ys), max(xs), max(ys)), words))
    return Truth(regions=tuple(regions), fold_case=True)


def _grown(rect: Rect) -> Rect:
    margin = (rect[3] - rect[1]) / 2
    return (rect[0] - margin, rect[1] - margin, rect[2] + margin, rect[3] + margin)


def label(words: Sequence[tuple[str, Rect]], truth: Truth) -> list[bool]:
    """For each recognised word (text, box in the image's pixels), in reading order: is it right."""
    if truth.fold_case:
        words = [(text.upper(), box) for text, box in words]
    if not truth.regions:
        bag = Counter(truth.bag)
        out = []
        for text, _ in words:
            t = token(text)
            out.append(bag[t] > 0)
            bag[t] -= 1
        return out
    grown = [_grown(r.rect) for r in truth.regions]
    unused = [Counter(r.words) for r in truth.regions]
    out = []
    for text, (left, top, right, bottom) in words:
        t, cx, cy = token(text), (left + right) / 2, (top + bottom) / 2
        places = [
            i for i, (x0, y0, x1, y1) in enumerate(grown) if x0 <= cx <= x1 and y0 <= cy <= y1 and unused[i][t] > 0
        ]
        if places:
            nearest = min(places, key=lambda i: _distance(truth.regions[i].rect, cx, cy))
            unused[nearest][t] -= 1
        out.append(bool(places))
    return out


def _distance(rect: Rect, x: float, y: float) -> float:
    dx = max(rect[0] - x, 0.0, x - rect[2])
    dy = max(rect[1] - y, 0.0, y - rect[3])
    return dx * dx + dy * dy


# --- reliability ---------------------------------------------------------------------------------------------

BUCKETS = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)


@dataclass(frozen=True)
class Bucket:
    low: int
    high: int
    words: int
    right: int
    mean_confidence: float

    @property
    def share_right(self) -> float:
        return self.right / self.words if self.words else 0.0


def reliability(pairs: Iterable[tuple[float, bool]]) -> list[Bucket]:
    """Words by confidence bucket (0-10, ..., 90-100; 100 falls in the last): how many, and the share right."""
    counts = {low: [0, 0, 0.0] for low in BUCKETS[:-1]}
    for confidence, right in pairs:
        low = min(int(confidence // 10) * 10, 90)
        counts[max(0, low)][0] += 1
        counts[max(0, low)][1] += int(right)
        counts[max(0, low)][2] += confidence
    return [Bucket(low, low + 10, int(n), int(r), s / n if n else 0.0) for low, (n, r, s) in counts.items()]


def calibration_error(pairs: Sequence[tuple[float, bool]]) -> float:
    """Expected calibration error over the buckets, in points: sum over buckets of |mean confidence - % right|
    weighted by the bucket's words."""
    buckets = reliability(pairs)
    total = sum(b.words for b in buckets)
    return sum(b.words * abs(b.mean_confidence - 100 * b.share_right) for b in buckets) / total if total else 0.0


def reliability_lines(buckets: Sequence[Bucket], indent: str = "  ") -> list[str]:
    lines = [f"{indent}{'confidence':>10} {'words':>7} {'mean conf':>9} {'% right':>8}"]
    for b in buckets:
        if b.words:
            lines.append(
                f"{indent}{f'{b.low}-{b.high}':>10} {b.words:7d} {b.mean_confidence:9.1f} {100 * b.share_right:8.1f}"
            )
    return lines
