"""Which candidate on a page is which field: a gradient-boosted ranker over the rules' candidates.

The rules (fields.find_candidates) propose values: next to labels, proved by checksums, placed where a field
goes, and without evidence every amount, every date and the top lines of the page. Each page may have been read
twice (Tesseract, and PP-OCR where Tesseract is unsure); every reading proposes. Each candidate becomes a row of
numbers (FEATURES: the rule and its evidence, where the value stands on the page, how large and how sure its
words are, its shape, how many readings say the same, how it compares with the page's other amounts and dates),
and a LightGBM ranking model (lambdarank: the candidates of one field of one document are one query) trained by
`python -m bench.train_invoices` on the development data scores it. Per field the best-scored candidate wins; its
share (the softmax of the scores over the field's distinct values), calibrated on grouped cross-validation
(isotonic, vendors and generators never on both sides), is the field's confidence, and a field whose best
candidate is too unlikely (the model's `threshold`) is not reported.

The model is a file in the package (fields-model.json: the boosters as LightGBM's text, the feature names, the
calibration table, the threshold), loaded once per process. Without it the rules choose alone. It is a few
boosters trained alike but for their seed (which rows and features each tree sees), whose scores are averaged
(`Bagged`): one booster's choices move with its seed, and on receipts a field's F1 by a point or two.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from ocrmill.domain.document import Page
from ocrmill.domain.knots import interpolate
from ocrmill.invoices import labels as L
from ocrmill.invoices.consensus import key
from ocrmill.invoices.fields import (
    KINDS,
    Candidate,
    PageCandidates,
    company_name,
    company_strength,
    find_candidates,
    lettered,
    section_at,
    stops_address,
)
from ocrmill.invoices.formats import parse_amount
from ocrmill.invoices.lexicon import Lexicon, loaded
from ocrmill.invoices.model import Field
from ocrmill.invoices.rows import box_of, confidence_of

MODEL_FILE = Path(__file__).with_name("fields-model.json")
# The fields the ranker decides; the others (currency, bic, rates, terms, ...) keep the rules' choice, since
# the development data has no truth to learn them from.
RANKED = (
    "invoiceNumber",
    "invoiceDate",
    "dueDate",
    "vendorName",
    "vendorAddress",
    "vendorTaxId",
    "customerName",
    "iban",
    "subtotal",
    "taxAmount",
    "total",
    "amountDue",
)
RULES = (
    "label-right",
    "label-below",
    "label-block",
    "checksum",
    "first-date",
    "most-printed",
    "largest-total",
    "rounding",
    "page-head",
    "any-amount",
    "any-date",
    "top-row",
    "section-first-row",
)
KIND_CODES = ("id", "date", "amount", "name", "address", "vat", "iban")
# Every amount and every date stands for each field of its kind: the model learns which is which.
BARE = {"any-amount": ("total", "subtotal", "taxAmount", "amountDue"), "any-date": ("invoiceDate", "dueDate")}
FEATURES = (
    "field",
    "kind",
    "rule",
    "evidence",
    "rule_best",  # the rules' own choice for the field in this reading
    "evidence_rank",
    "labelled",
    "label_total_word",
    "reading",
    "readings_saying",  # how many readings propose the same value for the field
    "candidates_saying",  # how many candidates of any field have the value
    "top",
    "bottom",
    "left",
    "right",
    "row_from_top",
    "row_from_bottom",
    "rows",
    "height",  # the value's type size against the page's median
    "height_rank",  # 0 for the largest type among the top lines
    "confidence",
    "confidence_min",
    "tokens",
    "length",
    "digits",
    "letters",
    "upper",
    "customer_section",
    "vendor_section",
    "amount_log",
    "amount_rank",  # 0 for the page's largest amount
    "amount_share",  # the amount against the page's largest
    "amount_repeats",  # how often the amount is printed on the page
    "amount_is_sum",  # the sum of two other amounts on the page (net + tax)
    "amount_in_sum",  # one of two amounts whose sum is printed
    "amount_paid",  # 2: the amount tendered less the change printed under it; 1: the tendered or the change
    "row_total_word",
    "row_tax_word",
    "row_net_word",
    "row_due_word",
    "date_rank",  # 0 for the page's first date
    "date_order",  # -1 earliest, 1 latest, 0 between or alone
    "company",  # legal form 0.6, business word 0.5
    "address_words",
    "address_lines",
    "postcode",
    "span_company",  # the most any line of the value reads like a company's name
    "span_id",  # a line of the value is a company or registration number
    "span_stop",  # a line of the value holds a phone number, an email, a label or a date
    "above_company",  # how much the line above reads like a company's name
    "above_stop",  # the line above cannot belong to an address
    "below_stop",  # the line below cannot belong to an address (or there is none)
    "below_address_words",
    "first_address_words",  # the value's first line opens with a house number or has a street word
    "above_address_words",  # so has the line above (an address that starts there is cut short)
    "gap_before",  # the space to the line above, in type heights
    "gap_after",
    "page",
    "page_aspect",  # height / width: a receipt is a tall strip, an invoice a sheet
    "page_inches",  # the page's width in inches at its resolution
    "page_rows",  # how many printed rows the page has
)


@dataclass
class Scored:
    candidate: Candidate
    page: int
    probability: float = 0.0


Knots = list[tuple[float, float]]  # (share, probability right), increasing: an isotonic calibration
ANY_FIELD = "*"  # the calibration of every field that has none of its own
NONE_SCORE = 0.0  # the score of "the field is not on this page" in a field's softmax


@dataclass(frozen=True)
class Bagged:
    """Boosters trained alike but for their seed; a row's score is their mean."""

    boosters: Sequence[Any]  # lightgbm.Booster

    def predict(self, rows: Any) -> Any:
        return sum(b.predict(rows) for b in self.boosters) / len(self.boosters)


@dataclass
class Model:
    booster: Bagged
    calibration: dict[str, Knots]  # per field (fields with enough cross-validated values), and ANY_FIELD
    threshold: float  # calibrated probability under which a field is not reported
    lexicon: Lexicon = field(default_factory=dict)  # the text fields' recurring words (lexicon.py)

    def calibrated(self, share: float, name: str = ANY_FIELD) -> float:
        """The share's probability of being right: the field's own calibration (a field with many candidates,
        such as a vendor's name among the top lines, is right at lower shares than a total), else the
        common one."""
        return interpolate(self.calibration.get(name) or self.calibration.get(ANY_FIELD, []), share)


@functools.cache
def load_model(path: Path = MODEL_FILE) -> Model | None:
    """The shipped model, once per process; None when the package has none (the rules choose)."""
    if not path.is_file():
        return None
    import lightgbm  # the model's runtime: imported only where a model is used

    data = json.loads(path.read_text(encoding="utf-8"))
    if list(data["features"]) != list(FEATURES):
        raise ValueError(f"{path.name} was trained on other features; run python -m bench.train_invoices")
    booster = Bagged([lightgbm.Booster(model_str=text) for text in data["boosters"]])
    calibration = {name: [(float(x), float(y)) for x, y in knots] for name, knots in data["calibration"].items()}
    return Model(booster, calibration, float(data["threshold"]), loaded(data.get("lexicon", {})))


# --- candidates of a document and their features -------------------------------------------------------------


def document_candidates(readings: Sequence[Sequence[Page]]) -> tuple[list[Scored], list[list[float]]]:
    """Every candidate of every reading of every page, and its feature row. `readings`: per page, its readings
    (the first is Tesseract's own)."""
    scored: list[Scored] = []
    rows: list[list[float]] = []
    for page_readings in readings:
        found = [find_candidates(reading, number=reading.number) for reading in page_readings]
        saying: dict[tuple[str, str], set[int]] = {}  # (field, value) -> the readings that propose it
        for i, other in enumerate(found):
            for c in other.candidates:
                for name in BARE.get(c.rule, (c.name,)):
                    saying.setdefault((name, key(c.normalized)), set()).add(i)
        for index, (reading, proposed) in enumerate(zip(page_readings, found, strict=True)):
            context = _Context(reading, proposed, saying, index)
            for candidate in proposed.candidates:
                for name in BARE.get(candidate.rule, (candidate.name,)):
                    if name not in RANKED:
                        continue
                    named = candidate if name == candidate.name else replace(candidate, name=name)
                    scored.append(Scored(named, reading.number))
                    rows.append(context.features(named))
    return scored, rows


TOTAL_WORD = re.compile(r"(?i)\b(total|totaal|summe|gesamt|jumlah|montant|betrag|amount|net\s*à\s*payer|ttc)")
TAX_WORD = re.compile(r"(?i)\b(tax|gst|sst|vat|mwst|ust|tva|steuer)")
NET_WORD = re.compile(r"(?i)\b(sub\s*-?total|net|netto|excl|ht\b|zwischensumme)")
DUE_WORD = re.compile(r"(?i)\b(due|fällig|zahlbar|zu\s*zahlen|payer|balance|paid|cash|change|tender)")
# A receipt's payment lines: what the customer handed over, and what was given back. Their difference is the
# total, whatever its label says (and however it was read).
TENDER_WORD = re.compile(
    r"(?i)\b(cash|tunai|tender(ed)?|paid|bayar(an)?|payment|visa|master\s*card|debit|credit|card|kad|"
    r"gegeben|bar|espèces|especes|cb)\b"
)
CHANGE_WORD = re.compile(r"(?i)\b(change|baki|kembali|rückgeld|ruckgeld|wechselgeld|rendu|monnaie)\b")
POSTCODE = re.compile(r"\b\d{4,6}\b")


class _Context:
    """One reading's page: what a candidate's features are measured against."""

    def __init__(
        self, page: Page, proposed: PageCandidates, saying: dict[tuple[str, str], set[int]], index: int
    ) -> None:
        self.page, self.index, self.saying = page, index, saying
        self.rows = proposed.rows
        self.row_of = {id(t): row.index for row in self.rows for t in row.tokens}
        self.sections = proposed.sections
        tokens = [t for r in self.rows for t in r.tokens]
        self.median_height = statistics.median(t.height for t in tokens) if tokens else 1.0
        self.width, self.height = max(page.width, 1), max(page.height, 1)
        self.best: dict[str, Candidate] = {}
        ranked: dict[str, list[float]] = {}
        for c in proposed.candidates:
            if c.evidence > 0 and (c.name not in self.best or c.evidence > self.best[c.name].evidence + 1e-9):
                self.best[c.name] = c
            ranked.setdefault(c.name, []).append(c.evidence)
        self.evidences = {name: sorted(set(values), reverse=True) for name, values in ranked.items()}
        self.values = Counter(key(c.normalized) for c in proposed.candidates)
        self.amount_counts = Counter(
            a for c in proposed.candidates if c.rule == "any-amount" and (a := parse_amount(c.normalized)) is not None
        )
        self.amounts = sorted(self.amount_counts, reverse=True)
        small = [a for a in self.amounts if a > 0][:40]
        self.sums: set[Decimal] = set()  # amounts that two others add up to
        self.parts: set[Decimal] = set()  # amounts that add up with another to a printed one
        for a, b in itertools.combinations(small, 2):
            self.sums.add(a + b)
            if a + b in self.amount_counts:
                self.parts |= {a, b}
        self.tendered, self.paid = self._payment(proposed.candidates)
        dates = [c for c in proposed.candidates if c.rule == "any-date"]
        self.dates = [c.normalized for c in sorted(dates, key=lambda c: c.order)]
        self.first_date, self.last_date = (min(self.dates), max(self.dates)) if len(set(self.dates)) > 1 else ("", "")
        top = [r for r in self.rows[:12] if r.box.top < 0.45 * self.height]
        self.top_heights = sorted({round(r.height) for r in top}, reverse=True)

    def features(self, c: Candidate) -> list[float]:
        box = box_of(c.tokens)
        rows = sorted({self.row_of.get(id(t), -1) for t in c.tokens})
        row = self.rows[rows[0]] if rows else None
        row_text = row.text if row is not None else ""
        height = statistics.median(t.height for t in c.tokens) / self.median_height if c.tokens else 0.0
        text = c.value
        chars = [ch for ch in text if not ch.isspace()] or [" "]
        amount = parse_amount(c.normalized) if KINDS.get(c.name) == "amount" else None
        evidences = self.evidences.get(c.name, [])
        best = self.best.get(c.name)
        date_rank = self.dates.index(c.normalized) if KINDS.get(c.name) == "date" and c.normalized in self.dates else -1
        date_order = 0.0
        if date_rank >= 0:
            date_order = -1.0 if c.normalized == self.first_date else 1.0 if c.normalized == self.last_date else 0.0
        address = c.value.split(", ") if c.name.endswith("Address") else []
        section = section_at(self.sections, c.tokens) if c.tokens else None
        label = c.label.casefold()
        values = {
            "field": RANKED.index(c.name),
            "kind": KIND_CODES.index(KINDS[c.name]) if KINDS[c.name] in KIND_CODES else -1,
            "rule": RULES.index(c.rule) if c.rule in RULES else -1,
            "evidence": c.evidence,
            "rule_best": float(best is not None and best.normalized == c.normalized and best.tokens == c.tokens),
            "evidence_rank": evidences.index(c.evidence) if c.evidence in evidences else len(evidences),
            "labelled": float(bool(c.label)),
            "label_total_word": float(bool(TOTAL_WORD.search(label))),
            "reading": self.index,
            "readings_saying": len(self.saying.get((c.name, key(c.normalized)), ())),
            "candidates_saying": self.values.get(key(c.normalized), 0),
            "top": box.top / self.height,
            "bottom": box.bottom / self.height,
            "left": box.left / self.width,
            "right": box.right / self.width,
            "row_from_top": rows[0] if rows else -1,
            "row_from_bottom": len(self.rows) - 1 - rows[-1] if rows else -1,
            "rows": len(rows),
            "height": height,
            "height_rank": self._height_rank(row.height) if row is not None else -1,
            "confidence": confidence_of(c.tokens),
            "confidence_min": min((t.confidence for t in c.tokens), default=0.0),
            "tokens": len(c.tokens),
            "length": len(text),
            "digits": sum(ch.isdigit() for ch in chars) / len(chars),
            "letters": sum(ch.isalpha() for ch in chars) / len(chars),
            "upper": sum(ch.isupper() for ch in chars) / max(1, sum(ch.isalpha() for ch in chars)),
            "customer_section": float(section == "customer"),
            "vendor_section": float(section == "vendor"),
            "amount_log": math.log10(float(abs(amount)) + 1) if amount is not None else -1.0,
            "amount_rank": self.amounts.index(amount) if amount is not None and amount in self.amounts else -1,
            "amount_share": float(amount / self.amounts[0])
            if amount is not None and self.amounts and self.amounts[0]
            else -1.0,
            "amount_repeats": self.amount_counts.get(amount, 0) if amount is not None else -1,
            "amount_is_sum": float(amount in self.sums) if amount is not None else -1.0,
            "amount_in_sum": float(amount in self.parts) if amount is not None else -1.0,
            "amount_paid": -1.0 if amount is None else 2.0 if amount in self.paid else float(amount in self.tendered),
            "row_total_word": float(bool(TOTAL_WORD.search(row_text))),
            "row_tax_word": float(bool(TAX_WORD.search(row_text))),
            "row_net_word": float(bool(NET_WORD.search(row_text))),
            "row_due_word": float(bool(DUE_WORD.search(row_text))),
            "date_rank": date_rank,
            "date_order": date_order,
            "company": company_strength(c.value) if KINDS[c.name] == "name" else -1.0,
            "address_words": float(bool(L.ADDRESS_WORDS.search(c.value))) if address else -1.0,
            "address_lines": len(address) if address else -1,
            "postcode": float(bool(POSTCODE.search(address[-1]))) if address else -1.0,
            "page": self.page.number,
            "page_aspect": self.height / self.width,
            "page_inches": self.width / self.page.dpi if self.page.dpi else -1.0,
            "page_rows": len(self.rows),
        }
        values |= self._surroundings(rows)
        lines = [self.rows[i].text for i in rows if i >= 0]
        values["span_company"] = max((company_strength(t) for t in lines), default=-1.0)
        values["span_id"] = float(any(L.COMPANY_ID.match(t) or L.COMPANY_ID_END.search(t) for t in lines))
        values["span_stop"] = float(any(stops_address(self.rows[i]) for i in rows if i >= 0))
        values["first_address_words"] = float(bool(L.ADDRESS_WORDS.search(lines[0]))) if lines else -1.0
        return [float(values[name]) for name in FEATURES]

    def _payment(self, candidates: Sequence[Candidate]) -> tuple[set[Decimal], set[Decimal]]:
        """The amounts on the page's tender and change lines, and the totals they prove: a tendered amount less
        a change amount (each row's amounts, the change printed below the tender). The row right above a
        change row is the tender whatever it says ("Accepted", "Received", a card's name)."""
        amounts: list[tuple[int, Decimal]] = []
        for c in candidates:
            if c.rule == "any-amount" and c.tokens and (amount := parse_amount(c.normalized)) is not None:
                amounts.append((self.row_of.get(id(c.tokens[0]), -1), amount))
        change = [(i, a) for i, a in amounts if i >= 0 and CHANGE_WORD.search(self.rows[i].text)]
        change_rows = {i for i, _ in change}
        tendered = [
            (i, a)
            for i, a in amounts
            if i >= 0 and i not in change_rows and (i + 1 in change_rows or TENDER_WORD.search(self.rows[i].text))
        ]
        paid = {t - g for ti, t in tendered for gi, g in change if gi > ti and t - g > 0}
        return {a for _, a in tendered + change} - paid, paid

    def _surroundings(self, rows: list[int]) -> dict[str, float]:
        if not rows or rows[0] < 0:
            return dict.fromkeys(
                ("above_company", "above_stop", "below_stop", "below_address_words", "above_address_words"), -1.0
            ) | {
                "gap_before": -1.0,
                "gap_after": -1.0,
            }
        first, last = self.rows[rows[0]], self.rows[rows[-1]]
        above = self.rows[rows[0] - 1] if rows[0] > 0 else None
        below = self.rows[rows[-1] + 1] if rows[-1] + 1 < len(self.rows) else None
        return {
            "above_company": company_strength(above.text) if above is not None else -1.0,
            "above_stop": float(stops_address(above)),
            "below_stop": float(stops_address(below)),
            "below_address_words": float(bool(L.ADDRESS_WORDS.search(below.text))) if below is not None else -1.0,
            "above_address_words": float(bool(L.ADDRESS_WORDS.search(above.text))) if above is not None else -1.0,
            "gap_before": (first.box.top - above.box.bottom) / self.median_height if above is not None else -1.0,
            "gap_after": (below.box.top - last.box.bottom) / self.median_height if below is not None else -1.0,
        }

    def _height_rank(self, height: float) -> int:
        rounded = round(height)
        for i, h in enumerate(self.top_heights):
            if rounded >= h:
                return i
        return len(self.top_heights)


# --- choosing ------------------------------------------------------------------------------------------------


def ranked_fields(readings: Sequence[Sequence[Page]], model: Model) -> dict[str, Field]:
    """Per ranked field, the likeliest candidate over the document's pages and readings, if it is likely
    enough; its confidence is the calibrated probability."""
    scored, rows = document_candidates(readings)
    if not scored:
        return {}
    probabilities = model.booster.predict(rows)
    for s, p in zip(scored, probabilities, strict=True):
        s.probability = float(p)
    return choose(scored, model)


def best_candidates(scored: Sequence[Scored]) -> dict[str, tuple[Scored, float]]:
    """Per field, the candidate with the highest score and its share: the softmax of the scores over the
    field's distinct values (each value's best candidate) and "none of them" (NONE_SCORE), which is what the
    calibration maps to a probability. A value many candidates propose counts once; two values the model likes
    alike share; a lone candidate the model scores low has a low share (a page with one date is not sure of it)."""
    values: dict[str, dict[str, Scored]] = {}
    for s in scored:
        held = values.setdefault(s.candidate.name, {}).get(key(s.candidate.normalized))
        if held is None or s.probability > held.probability:
            values[s.candidate.name][key(s.candidate.normalized)] = s
    out: dict[str, tuple[Scored, float]] = {}
    for name, by_value in values.items():
        best = max(by_value.values(), key=lambda s: s.probability)
        total = sum(math.exp(s.probability - best.probability) for s in by_value.values())
        total += math.exp(min(50.0, NONE_SCORE - best.probability))
        out[name] = (best, 1.0 / total)
    return out


def reported(c: Candidate) -> tuple[str, str]:
    """The value and normalised value a candidate is reported with (a name without a registration number)."""
    if KINDS[c.name] == "name":
        name = company_name(c.value)
        return name, name
    if KINDS[c.name] == "address":
        address = lettered(c.value)
        return address, address if c.normalized == c.value else c.normalized
    return c.value, c.normalized


def choose(scored: Sequence[Scored], model: Model) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for name, (s, share) in best_candidates(scored).items():
        confidence = model.calibrated(share, name)
        if confidence < model.threshold:
            continue
        c = s.candidate
        value, normalized = reported(c)
        out[name] = Field(
            name=name,
            value=value,
            normalized=normalized,
            confidence=round(confidence, 4),
            box=box_of(c.tokens),
            page=s.page,
            source="ocr",
            label=c.label,
        )
    return out
