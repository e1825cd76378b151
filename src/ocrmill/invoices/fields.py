"""Invoice fields from one OCR page: labels linked to the values beside or below them, checked by format.

How a field is found, strongest evidence first:
1. a label (labels.LABELS, in English, German, French and the receipt words of Malaysia and the Netherlands)
   with a value of the field's format to its right on the same printed row, or below it (a column header);
   generic labels ("Name", "Address", "VAT no") inside a seller or buyer section (labels.SECTIONS) name
   that party's field; words after a "total" label can turn it into the subtotal or the tax ("Total excl. GST");
2. a value whose format proves what it is anywhere on the page: an IBAN or a VAT id whose check digits hold;
3. the page's shape: the first date for the invoice date, the currency most often printed, the largest amount
   on a "total" row, the vendor's name as the top line that reads like a company (its legal form: "SDN BHD",
   "GmbH", ...), or the largest type near the top, with the lines under it as its address.

Each candidate carries an evidence weight (how specific the label was, how the value was placed, whether its
format checks); the best per field wins, and its confidence combines that weight with the OCR confidence of
its words.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from ocrmill.domain.document import Page
from ocrmill.invoices import labels as L
from ocrmill.invoices.formats import (
    amount_str,
    find_currency,
    find_date,
    mended_iban,
    parse_amount,
    parse_bic,
    parse_currency,
    parse_vat_id,
    valid_iban,
    vat_checksum,
)
from ocrmill.invoices.model import Field
from ocrmill.invoices.rows import Row, Token, box_of, confidence_of, page_rows, text_of

KINDS = {
    "invoiceNumber": "id",
    "purchaseOrder": "id",
    "invoiceDate": "date",
    "dueDate": "date",
    "currency": "currency",
    "subtotal": "amount",
    "taxAmount": "amount",
    "total": "amount",
    "amountDue": "amount",
    "taxRate": "rate",
    "iban": "iban",
    "bic": "bic",
    "vendorTaxId": "vat",
    "customerTaxId": "vat",
    "paymentTerms": "text",
    "vendorName": "name",
    "customerName": "name",
    "vendorAddress": "address",
    "customerAddress": "address",
}
WEAK_NEEDS_TITLE = 0.5  # invoiceNumber/invoiceDate labels weaker than this ("Nr.", "vom") need a title before them
TITLE = re.compile(r"(?i)(rechnung|invoice|facture|gutschrift|credit|receipt|bill|factuur|avoir|quittung|beleg)")
PUNCT = re.compile(r"^[\s:;#.,|=\-_*()\[\]]*$")
AMOUNT_SHAPE = re.compile(r"\d[.,]\d{2}\)?-?$")
BELOW_ROWS = 3
# Column headers of an item table: an amount label among them heads the items' amounts, not the total's.
ITEM_HEADER = re.compile(
    r"(?i)\b(qty|quantity|description|item|items|price|u/price|menge|beschreibung|artikel|designation|qte)\b"
)
AFTER_ROUNDING = 1.05  # a total under a rounding adjustment beats every other total label
ROUNDING = re.compile(r"(?i)\bround")


@dataclass
class Label:
    row: Row
    start: int  # token indexes in row.tokens, end exclusive
    end: int
    targets: list[tuple[str, float]]

    @property
    def tokens(self) -> list[Token]:
        return self.row.tokens[self.start : self.end]

    @property
    def text(self) -> str:
        return text_of(self.tokens)


@dataclass
class Candidate:
    name: str
    value: str
    normalized: str
    tokens: list[Token]
    evidence: float  # 0..1: how sure the placement and format make it
    label: str = ""
    rule: str = ""  # which rule proposed it (RULES): the ranker's first feature

    @property
    def order(self) -> tuple[int, int]:
        box = box_of(self.tokens)
        return box.top, box.left


@dataclass
class Section:
    role: str  # vendor | customer
    left: int
    right: int
    top: int
    bottom: int


@dataclass
class PageCandidates:
    """Everything the rules propose on one page, and the page's rows and sections they were read from."""

    rows: list[Row]
    sections: list[Section]
    candidates: list[Candidate]


def extract_fields(page: Page, *, number: int = 1) -> dict[str, Field]:
    """The invoice fields found on one OCR page by the rules alone (see the module docstring), keyed by
    model.FIELD_NAMES names: per field the candidate with the most evidence."""
    return choose([c for c in find_candidates(page, number=number).candidates if c.evidence > 0], number)


def find_candidates(page: Page, *, number: int = 1) -> PageCandidates:
    """Every value the rules propose for a field on the page: those with evidence (labelled, proved by a
    checksum, placed where the field goes) and, with no evidence of their own, every amount, every date and
    the top lines as names with their addresses, for the ranker to weigh."""
    rows = page_rows(page)
    if not rows:
        return PageCandidates([], [], [])
    labels = find_labels(rows)
    sections = find_sections(rows, labels, page.width)
    candidates: list[Candidate] = []
    for label in labels:
        candidates.extend(labelled(label, rows, labels, sections))
    candidates.extend(unlabelled(rows, labels, sections, page.height, first_page=number == 1))
    candidates.extend(anywhere(rows, sections, page.height))
    return PageCandidates(rows, sections, candidates)


def choose(candidates: list[Candidate], number: int) -> dict[str, Field]:
    best: dict[str, Candidate] = {}
    for c in candidates:
        if c.name not in KINDS or c.name == "customerTaxId":
            continue
        held = best.get(c.name)
        if held is None or c.evidence > held.evidence + 1e-9:
            best[c.name] = c
    out = {}
    for name, c in best.items():
        confidence = c.evidence * (0.5 + 0.5 * confidence_of(c.tokens))
        confidence = min(1.0, confidence)
        out[name] = Field(
            name=name,
            value=c.value,
            normalized=c.normalized,
            confidence=round(min(1.0, confidence), 4),
            box=box_of(c.tokens),
            page=number,
            source="ocr",
            label=c.label,
        )
    return out


# --- labels and sections -------------------------------------------------------------------------------------


def find_labels(rows: list[Row]) -> list[Label]:
    """Every label on the page; where two overlap in a row, the one over more words. A currency inside a
    label is passed over ("Montant EUR HT" is "Montant HT", "TOTAL (RM) INCL GST" "Total incl GST"), as
    well as read with it ("Total RM")."""
    out: list[Label] = []
    for row in rows:
        found: list[Label] = []
        keys = [t.key for t in row.tokens]
        for start in range(len(keys)):
            if not keys[start]:
                continue
            joined = ""
            for end in range(start + 1, min(len(keys), start + L.MAX_LABEL_WORDS) + 1):
                targets = L.LABEL_INDEX.get(joined + keys[end - 1])
                if targets:
                    found.append(Label(row, start, end, targets))
                if end - 1 == start or not _currency_word(row.tokens[end - 1].text):
                    joined += keys[end - 1]
        found.sort(key=lambda m: m.start - m.end)
        kept: list[Label] = []
        for m in found:
            if not any(k.start <= m.start and m.end <= k.end for k in kept):
                kept.append(m)
        out.extend(sorted(kept, key=lambda m: m.start))
    return out


def _currency_word(text: str) -> bool:
    """A token that is only a currency: a code in capitals or a sign, bracketed or not ("EUR", "(RM)", "€")."""
    bare = text.strip("()[]:.")
    return bool(bare) and (bare.isupper() or not bare.isalpha()) and parse_currency(bare) is not None


def find_sections(rows: list[Row], labels: list[Label], width: int) -> list[Section]:
    """Seller and buyer blocks: below a section header, as wide as the header's column, down to the next header
    or a gap of three text rows."""
    heads = []
    for label in labels:
        roles = [t.split(":")[1] for t, _ in label.targets if t.startswith("section:")]
        if not roles or not _whole_segment(label):
            continue
        heads.append((label, roles[0]))
    out = []
    for label, role in heads:
        box = box_of(label.tokens)
        same_row = sorted(box_of(o.tokens).left for o, _ in heads if o.row is label.row and o is not label)
        right = next((x for x in same_row if x > box.left), width)
        bottom = _block_bottom(rows, label.row, box.left - label.row.height, right)
        following = [box_of(o.tokens).top for o, _ in heads if box_of(o.tokens).top > box.bottom]
        following = [t for t in following if t < bottom]
        out.append(Section(role, box.left - round(2 * label.row.height), right, box.top, min([bottom, *following])))
    return out


def _whole_segment(label: Label) -> bool:
    """Whether the label stands alone in its segment of the row (a heading, not words of a value)."""
    for segment in label.row.segments():
        if label.tokens[0] in segment:
            rest = [t for t in segment if t not in label.tokens and not PUNCT.match(t.text)]
            return not rest
    return False


def _block_bottom(rows: list[Row], head: Row, left: float, right: float) -> int:
    bottom = head.box.bottom
    for row in rows[head.index + 1 :]:
        inside = [t for t in row.tokens if t.box.right > left and t.box.left < right]
        if not inside:
            continue
        if row.box.top - bottom > 3 * head.height:
            break
        bottom = max(bottom, row.box.bottom)
    return bottom


def section_at(sections: list[Section], tokens: list[Token]) -> str | None:
    box = box_of(tokens)
    for s in sections:
        if s.left <= box.left < s.right and s.top <= box.top < s.bottom:
            return s.role
    return None


# --- values next to labels -----------------------------------------------------------------------------------


def labelled(label: Label, rows: list[Row], labels: list[Label], sections: list[Section]) -> list[Candidate]:
    out: list[Candidate] = []
    for target, weight in label.targets:
        if not target or target.startswith("section:"):
            continue
        if target.startswith("in-section:"):
            role = section_at(sections, label.tokens)
            if role is None:
                continue
            name, weight = role + target.split(":")[1], 1.0
        else:
            name = target
            role = section_at(sections, label.tokens)
            if name == "vendorTaxId" and role == "customer":
                continue
        if name in ("invoiceNumber", "invoiceDate") and weight < WEAK_NEEDS_TITLE:
            weight = _titled(label)
            if not weight:
                continue
        else:
            weight *= _prose_factor(label)
        if KINDS.get(name) == "amount":
            name, weight = _qualified_amount(label, name, weight)
            if not name:
                continue
            if name in ("total", "subtotal") and "total" in label.text.lower() and _after_rounding(label, rows):
                name, weight = "total", AFTER_ROUNDING  # "Net Total" under "Rounding Adj": the amount paid
        out.extend(_read_near(name, weight, label, rows, labels))
    return out


def _after_rounding(label: Label, rows: list[Row]) -> bool:
    """Whether a rounding adjustment is printed in the few rows above the label (a receipt's cash rounding)."""
    above = rows[max(0, label.row.index - 3) : label.row.index]
    return any(ROUNDING.search(r.text) for r in above)


def _titled(label: Label) -> float:
    """A weak label ("Nr.", "vom", "du") counts after the document's title: strongly right after it."""
    before = label.row.tokens[: label.start]
    if TITLE.search(text_of(before[-4:])):
        return 0.8
    return 0.4 if TITLE.search(text_of(before)) else 0.0


def _prose_factor(label: Label) -> float:
    """Labels inside running text ("... zu der Fälligkeit 06.12.2018 den Beitrag ...") count half."""
    for segment in label.row.segments():
        if label.tokens[0] in segment:
            before = segment[: segment.index(label.tokens[0])]
            words = [t for t in before if re.search(r"[A-Za-z]{2}", t.text)]
            return 0.5 if len(words) > 2 else 1.0
    return 1.0


def _qualified_amount(label: Label, name: str, weight: float) -> tuple[str, float]:
    """An amount label read with the words that follow it in its segment: "Total excl. GST" is the
    subtotal, "Total GST" the tax, "Total (GST incl.)" the total, "Total Qty" no amount at all."""
    words = [t.key for t in _segment_of(label)[label_offset(label) :] if not _amount_token(t)][:6]
    text = " ".join(words)
    if not re.search(r"(^|\s)(total|totaal|summe|jumlah|gesamt)", text):
        return name, weight
    if _has(text, L.NOT_TOTAL_WORDS):
        return "", 0.0
    if re.search(r"(^|\s)includ", text) and _has(text, L.TAX_WORDS):
        return "taxAmount", max(weight, 0.8)  # "Total includes 6% GST 1.07": the tax the total holds
    if _has(text, L.INCL_WORDS):
        return "total", max(weight, 0.95)
    if _has(text, L.NET_WORDS):
        return "subtotal", max(weight, 0.9)
    if _has(text, L.TAX_WORDS):
        return "taxAmount", max(weight, 0.8)
    return name, weight


def _has(text: str, vocabulary: tuple[str, ...]) -> bool:
    """Whether a word of the text starts with one of the vocabulary's words."""
    return any(re.search(rf"(^|\s){re.escape(w.replace('/', ''))}", text) for w in vocabulary)


def _segment_of(label: Label) -> list[Token]:
    for segment in label.row.segments():
        if label.tokens[0] in segment:
            return segment
    return label.tokens


def label_offset(label: Label) -> int:
    return _segment_of(label).index(label.tokens[0])


def _after(label: Label, labels: list[Label]) -> list[Token]:
    """The row's tokens right of the label, up to the next label of another field."""
    stop = len(label.row.tokens)
    own = _segment_of(label)
    for other in labels:
        same_row = other.row is label.row and other.start >= label.end
        if same_row and _is_field_label(other) and other.tokens[0] not in own:  # its own phrase does not end it
            stop = min(stop, other.start)
    return [t for t in label.row.tokens[label.end : stop] if not PUNCT.match(t.text)]


def _is_field_label(label: Label) -> bool:
    return any(t and not t.startswith("section:") and w >= 0.6 for t, w in label.targets)


def _below(label: Label, rows: list[Row], labels: list[Label]) -> list[Token]:
    """Tokens under the label in the next rows: those overlapping its column."""
    box = box_of(label.tokens)
    h = label.row.height
    for row in rows[label.row.index + 1 : label.row.index + 1 + BELOW_ROWS]:
        if row.box.top - box.bottom > 2.5 * h:
            break
        for segment in row.segments():
            seg = box_of(segment)
            if seg.right > box.left - h and seg.left < box.right + h:
                return [t for t in segment if not PUNCT.match(t.text)]
    return []


def _read_near(name: str, weight: float, label: Label, rows: list[Row], labels: list[Label]) -> list[Candidate]:
    kind = KINDS[name]
    if kind in ("name", "address"):
        return _read_block(name, weight, label, rows)
    reader = READERS[kind]
    right = _after(label, labels)
    out = []
    if right:
        found = reader(name, right)
        if found is not None:
            found.evidence *= weight
            found.label, found.rule = label.text, "label-right"
            out.append(found)
    if not out and not (kind == "amount" and ITEM_HEADER.search(label.row.text)):
        found = reader(name, _below(label, rows, labels))
        if found is not None:
            found.evidence *= 0.85 * weight
            found.label, found.rule = label.text, "label-below"
            out.append(found)
    return out


def _read_block(name: str, weight: float, label: Label, rows: list[Row]) -> list[Candidate]:
    """A name or an address right of its label, over as many rows as it takes (a two-line name beside a
    one-line label, an address's street and town)."""
    box = box_of(label.tokens)
    h = label.row.height
    value_rows: list[list[Token]] = []
    left: float | None = None
    for row in rows[max(0, label.row.index - 2) : label.row.index + 6]:
        middle = (row.box.top + row.box.bottom) / 2
        near = box.top - 1.6 * h <= middle <= box.bottom + 1.6 * h
        if near and row is not label.row and any(t.box.left < box.right for t in row.tokens):
            near = False  # a row of another label
        tokens = [t for t in row.tokens if t.box.left >= box.right and not PUNCT.match(t.text)]
        if left is not None:
            tokens = [t for t in tokens if t.box.left >= left - 2 * h]
        if not tokens:
            continue
        if not near:
            if name.endswith("Name") or left is None or row.box.top > box.bottom + 4 * h * len(value_rows):
                continue
            if any(box.left - h <= t.box.left < left - 2 * h for t in row.tokens):
                break  # the next label
            if abs(tokens[0].box.left - left) > 2 * h:
                continue
        segment = _first_segment(tokens, h)
        left = segment[0].box.left if left is None else left
        value_rows.append(segment)
    if not value_rows:
        return []
    tokens = [t for r in value_rows for t in r]
    value = ", ".join(text_of(r) for r in value_rows) if name.endswith("Address") else text_of(tokens)
    return [Candidate(name, value, _collapse(value), tokens, weight, label.text, "label-block")]


def _first_segment(tokens: list[Token], height: float) -> list[Token]:
    out = [tokens[0]]
    for t in tokens[1:]:
        if t.box.left - out[-1].box.right > 2.5 * height:
            break
        out.append(t)
    return out


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- readers: a value of the field's format among tokens -----------------------------------------------------


def read_date(name: str, tokens: list[Token]) -> Candidate | None:
    text, spans = _joined(tokens)
    found = find_date(text)
    if found is None:
        return None
    value, (start, end) = found
    used = [t for t, (a, b) in zip(tokens, spans, strict=True) if a < end and start < b]
    return Candidate(name, text[start:end], value.isoformat(), used, 1.0)


def _joined(tokens: list[Token]) -> tuple[str, list[tuple[int, int]]]:
    text, spans = "", []
    for t in tokens:
        if text:
            text += " "
        spans.append((len(text), len(text) + len(t.text)))
        text += t.text
    return text, spans


def _amount_token(token: Token) -> bool:
    return bool(AMOUNT_SHAPE.search(token.text)) and parse_amount(token.text) is not None


# How an amount cut in two or three words is joined: the pieces' shapes, and the text they make.
SPLIT_AMOUNTS = (
    (re.compile(r"-?\d+\s[.,]\s\d{2}"), ""),  # "105 . 00"
    (re.compile(r"-?\d+[.,]\s\d{2}"), ""),  # "200. 00"
    (re.compile(r"-?\d+\s[.,]\d{2}"), ""),  # "200 .00"
    (re.compile(r"-?\d{1,3}\s\d{3}[.,]\d{2}"), " "),  # "1 234,50"
)


def read_amount(name: str, tokens: list[Token]) -> Candidate | None:
    """The last amount among the tokens (the value column is the rightmost), with two decimals; an amount the
    OCR cut in two ("105 . 00", "200. 00", "1 234,50") is joined again."""
    for i in range(len(tokens) - 1, -1, -1):
        for used in (tokens[max(0, i - 2) : i + 1], tokens[max(0, i - 1) : i + 1], tokens[i : i + 1]):
            text = _amount_text(used)
            if text is None or text.endswith("%") or find_date(text) is not None:
                continue
            if not AMOUNT_SHAPE.search(text.rstrip("SRZ ")):
                continue
            value = parse_amount(text)
            if value is not None:
                return Candidate(name, " ".join(t.text for t in used), amount_str(value), used, 1.0)
    return None


def _amount_text(tokens: list[Token]) -> str | None:
    if len(tokens) == 1:
        return tokens[0].text
    if not _close(tokens):
        return None
    spaced = " ".join(t.text for t in tokens)
    for pattern, joint in SPLIT_AMOUNTS:
        if pattern.fullmatch(spaced):
            return joint.join(t.text for t in tokens) if joint else spaced.replace(" ", "")
    return None


def _close(tokens: list[Token]) -> bool:
    return all(b.box.left - a.box.right < 0.8 * max(a.height, b.height) for a, b in itertools.pairwise(tokens))


def read_id(name: str, tokens: list[Token]) -> Candidate | None:
    """An invoice or order number: the first word with a digit, not a date or an amount."""
    for token in tokens[:3]:
        text = token.text.strip(":;,.")
        if len(text) < 2 or not re.search(r"\d", text) or not re.fullmatch(r"[#A-Za-z0-9][\w\-/.#]*", text):
            continue
        if _only_a_date(text):
            continue
        return Candidate(name, text, text, [token], 1.0)
    return None


def _only_a_date(text: str) -> bool:
    """Whether the word is a date and no number besides ("03.07.2014"; not "RE-20140703/502", a number that
    begins with its date, nor "INV20140703")."""
    if re.fullmatch(r"[A-Za-z#]*\d+", text):
        return False
    found = find_date(text)
    return found is not None and not re.search(r"\d", text[: found[1][0]] + text[found[1][1] :])


def read_currency(name: str, tokens: list[Token]) -> Candidate | None:
    for token in tokens[:3]:
        code = find_currency(token.text)
        if code is not None:
            return Candidate(name, token.text, code, [token], 1.0)
    return None


def read_rate(name: str, tokens: list[Token]) -> Candidate | None:
    for i, token in enumerate(tokens):
        text = (
            token.text if token.text.endswith("%") else token.text + (tokens[i + 1].text if i + 1 < len(tokens) else "")
        )
        match = re.fullmatch(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*%", text)
        if match:
            value = parse_amount(match[1])
            if value is not None:
                return Candidate(name, text, amount_str(value), [token], 1.0)
    return None


def _runs(tokens: list[Token], most: int, longest: int = 34) -> Iterator[tuple[list[Token], str]]:
    """Runs of up to `most` consecutive tokens, each with its text run together without spaces, dots or
    dashes and upper-cased (an IBAN or a VAT id printed in groups), up to `longest` characters."""
    for start in range(len(tokens)):
        compact = ""
        for end in range(start, min(len(tokens), start + most)):
            compact += re.sub(r"[\s.\-]", "", tokens[end].text).upper()
            if len(compact) > longest:
                break
            yield tokens[start : end + 1], compact


MENDED_IBAN = 0.8  # the evidence of an IBAN whose country code or check digits were read as look-alikes


def read_iban(name: str, tokens: list[Token]) -> Candidate | None:
    for used, compact in _runs(tokens, 9):
        if valid_iban(compact):
            return Candidate(name, text_of(used), compact, used, 1.0)
        mended = mended_iban(compact)
        if mended is not None:
            return Candidate(name, text_of(used), mended, used, MENDED_IBAN)
    return None


def read_bic(name: str, tokens: list[Token]) -> Candidate | None:
    for token in tokens[:3]:
        bic = parse_bic(token.text.strip(":;,."))
        if bic is not None:
            return Candidate(name, token.text, bic, [token], 1.0)
    return None


def read_vat(name: str, tokens: list[Token]) -> Candidate | None:
    """A VAT id of its country's shape (printed in groups or not); one whose check digits fail counts less."""
    for used, compact in _runs(tokens, 5):
        vat = parse_vat_id(compact, checked=False)
        if vat is not None:
            evidence = 0.6 if vat_checksum(vat) is False else 1.0
            return Candidate(name, text_of(used), vat, used, evidence)
    return None


def read_text(name: str, tokens: list[Token]) -> Candidate | None:
    if not tokens:
        return None
    value = text_of(tokens)
    return Candidate(name, value, _collapse(value), tokens, 1.0)


READERS: dict[str, Callable[[str, list[Token]], Candidate | None]] = {
    "date": read_date,
    "amount": read_amount,
    "id": read_id,
    "currency": read_currency,
    "rate": read_rate,
    "iban": read_iban,
    "bic": read_bic,
    "vat": read_vat,
    "text": read_text,
}


# --- values without a label ----------------------------------------------------------------------------------


def unlabelled(
    rows: list[Row], labels: list[Label], sections: list[Section], height: int, *, first_page: bool
) -> list[Candidate]:
    out: list[Candidate] = []
    for row in rows:
        iban = read_iban("iban", row.tokens)
        if iban is not None:
            iban.evidence, iban.rule = 0.8, "checksum"
            out.append(iban)
        vat = read_vat("vendorTaxId", row.tokens)
        if vat is not None and vat_checksum(vat.normalized) and section_at(sections, vat.tokens) != "customer":
            vat.evidence, vat.rule = 0.5, "checksum"
            out.append(vat)
    date = next((d for row in rows if (d := read_date("invoiceDate", row.tokens)) is not None), None)
    if date is not None:
        date.evidence = 0.3 if first_page else 0.2
        date.rule = "first-date"
        out.append(date)
    out.extend(_page_currency(rows))
    out.extend(_largest_total(rows, labels))
    out.extend(_rounded_total(rows))
    out.extend(_vendor_by_shape(rows, height, sections))
    out.extend(_recipient_names(rows, sections))
    return out


def _recipient_names(rows: list[Row], sections: list[Section]) -> list[Candidate]:
    """The buyer's name: the first line under a buyer's block header ("Bill to", "Lieferanschrift", "Adresse
    de livraison"), within the header's column, when it reads like a name (a recipient block starts with
    who it is for, then the street)."""
    out: list[Candidate] = []
    for section in sections:
        if section.role != "customer":
            continue
        for row in rows:
            if row.box.top <= section.top or row.box.top >= section.bottom:
                continue
            inside = [t for t in row.tokens if section.left <= t.box.left < section.right]
            if not inside:
                continue
            text = text_of(inside)
            if _reads_like_name(text, inside) and confidence_of(inside) >= 0.55:
                out.append(Candidate("customerName", text, text, inside, 0.5, rule="section-first-row"))
            break
    return out


def _page_currency(rows: list[Row]) -> list[Candidate]:
    seen: Counter[str] = Counter()
    where: dict[str, Token] = {}
    for row in rows:
        for token in row.tokens:
            code = find_currency(token.text)
            if code is not None and (len(token.text) <= 5 or not token.text.isalpha()):
                seen[code] += 1
                where.setdefault(code, token)
    if not seen:
        return []
    code, count = seen.most_common(1)[0]
    return [
        Candidate("currency", where[code].text, code, [where[code]], min(0.7, 0.3 + 0.1 * count), rule="most-printed")
    ]


def _largest_total(rows: list[Row], labels: list[Label]) -> list[Candidate]:
    """The largest amount on a row that says total (a receipt's several totals: the paid one is largest)."""
    best: Candidate | None = None
    for label in labels:
        if not any(t == "total" for t, _ in label.targets):
            continue
        name, _ = _qualified_amount(label, "total", 0.5)
        if name != "total":
            continue
        found = read_amount("total", label.row.tokens[label.end :])
        if found is None:
            continue
        value = parse_amount(found.normalized)
        if best is None or (value is not None and value > (parse_amount(best.normalized) or 0)):
            best = found
    if best is None:
        return []
    best.evidence, best.rule = 0.7, "largest-total"
    best.label = "total (largest)"
    return [best]


ADJUSTMENT = re.compile(r"(?i)[-.,]?(\d{0,2})[.,](\d{2})\s*$")  # "-0.01", "-,01", ".03"


def _rounded_total(rows: list[Row]) -> list[Candidate]:
    """A receipt's cash rounding: a total, then a rounding adjustment under it, then the amount paid, which
    is the total plus or minus the adjustment and a multiple of 0.05 ("Total 22.91 / Rounding Adj -0.01 /
    Rounding 22.90"). Found by the arithmetic, so that however the last row is labelled it is the total."""
    out: list[Candidate] = []
    for i, row in enumerate(rows):
        if not ROUNDING.search(row.text) or (found := ADJUSTMENT.search(row.text)) is None:
            continue
        adjustment = Decimal(f"{found[1] or '0'}.{found[2]}")
        if not Decimal("0") < adjustment < Decimal("0.05"):
            continue
        before = [parse_amount(c.normalized) for r in rows[max(0, i - 4) : i] if (c := read_amount("total", r.tokens))]
        for below in rows[i + 1 : i + 4]:
            paid = read_amount("total", below.tokens)
            value = parse_amount(paid.normalized) if paid is not None else None
            if paid is None or value is None or value % Decimal("0.05") != 0:
                continue
            if any(total is not None and abs(total - value) == adjustment for total in before):
                paid.evidence, paid.label, paid.rule = AFTER_ROUNDING, "total (rounded)", "rounding"
                out.append(paid)
                break
    return out


ATTENTION = re.compile(r"(?i)^\s*(attn|attention|z\.?\s*hd|c/o|à l'attention)\b")


def _vendor_by_shape(rows: list[Row], height: int, sections: list[Section]) -> list[Candidate]:
    """The vendor's name from the top of the page: the first line that ends in a legal form ("SDN BHD",
    "GmbH"), else one that names a kind of business ("ENTERPRISE", "BAKERY"), else the largest type among the
    first lines; the lines under it, up to a phone number or an id, are its address. Lines in the buyer's
    block ("Bill to", "Kunde") and lines for someone's attention are the customer's, never the vendor's."""
    top = [
        r
        for r in rows[:12]
        if r.box.top < 0.45 * height
        and _wordy(r)
        and section_at(sections, r.tokens) != "customer"
        and not ATTENTION.match(r.text)
    ]
    if not top:
        return []
    evidence, index = 0.0, 0
    for i, row in enumerate(top):
        if evidence and (TITLE.search(row.text) or find_date(row.text) is not None):
            break  # the document's title or date ends the seller's header; a name below it is the buyer's
        strength = company_strength(row.text)
        if strength > evidence:
            evidence, index = strength, i
        if strength >= 0.6:
            break
    if not evidence:
        named = [r for r in top[:6] if _name_like(r)]
        if not named:
            return []
        tallest = max(r.height for r in named)
        first = next(r for r in named if r.height >= 0.9 * tallest)
        index, evidence = top.index(first), 0.35
    name_rows = [top[index]]
    above = rows[top[index].index - 1] if top[index].index > 0 else None
    if above is not None and _legal_form_only(top[index].text) and _wordy(above):
        name_rows.insert(0, above)  # "PASARAYA BORONG PINTAR" over "SDN BHD"
    tokens = [t for r in name_rows for t in r.tokens]
    value = company_name(" ".join(r.text for r in name_rows))
    out = [Candidate("vendorName", value, value, tokens, evidence, "", "page-head")]
    address = _address_after(rows, name_rows[-1])
    if address:
        out.append(_address(address, 0.5 if evidence >= 0.5 else 0.3, "page-head"))
    return out


def _address(rows: list[Row], evidence: float, rule: str) -> Candidate:
    tokens = [t for r in rows for t in r.tokens]
    text = ", ".join(r.text for r in rows)
    return Candidate("vendorAddress", text, _collapse(text), tokens, evidence, rule=rule)


TOP_ROWS = 10  # the lines at the head of a page that may name the vendor
ADDRESS_ROWS = 6  # the most lines an address candidate spans


def anywhere(rows: list[Row], sections: list[Section], height: int) -> list[Candidate]:
    """Candidates without evidence of their own: every amount and every date on the page (one per segment of a
    row); each of the top lines, alone and with the line under it, as the vendor's name; and every run of up to
    ADDRESS_ROWS lines at the head of the page that could be an address."""
    out: list[Candidate] = []
    for row in rows:
        for segment in row.segments():
            amount = read_amount("total", segment)
            if amount is not None:
                amount.evidence, amount.rule = 0.0, "any-amount"
                out.append(amount)
            date = read_date("invoiceDate", segment)
            if date is not None:
                date.evidence, date.rule = 0.0, "any-date"
                out.append(date)
    top = [r for r in rows if r.box.top < 0.45 * height and _wordy(r) and not ATTENTION.match(r.text)][:TOP_ROWS]
    for row in top:
        if section_at(sections, row.tokens) == "customer":
            continue
        for name_rows in _name_spans(rows, row):
            value = company_name(" ".join(r.text for r in name_rows))
            if value:
                tokens = [t for r in name_rows for t in r.tokens]
                out.append(Candidate("vendorName", value, value, tokens, 0.0, rule="top-row"))
    head = [r for r in rows if r.box.top < 0.5 * height][: TOP_ROWS + ADDRESS_ROWS]
    for start, first in enumerate(head):
        for end in range(start, min(len(head), start + ADDRESS_ROWS)):
            if not _addressable(head[end]):
                break
            if section_at(sections, first.tokens) != "customer":
                out.append(_address(head[start : end + 1], 0.0, "top-row"))
    return out


def _name_spans(rows: list[Row], row: Row) -> list[list[Row]]:
    """The lines a name that begins on `row` may take: itself, with the line under it when that reads like a
    name, and with the line after that too while a bracket opened in the name is still open ("HARDWARE
    ENTERPRISE (SETIA" over "ALAM) SDN BHD")."""
    spans = [[row]]
    below = rows[row.index + 1] if row.index + 1 < len(rows) else None
    if below is None or not _wordy(below) or not _name_like(below):
        return spans
    spans.append([row, below])
    after = rows[row.index + 2] if row.index + 2 < len(rows) else None
    text = f"{row.text} {below.text}"
    if after is not None and _wordy(after) and text.count("(") > text.count(")"):
        spans.append([row, below, after])
    return spans


def _addressable(row: Row) -> bool:
    """Whether a line could belong to an address: words or numbers, and nothing that ends one."""
    return not _ends_address(row) and bool(re.search(r"[A-Za-z]{2}|\d", row.text))


def _ends_address(row: Row) -> bool:
    """A line no address holds: a label, a phone number, an email, a web address, a date, an amount, a company's
    registration number, an item table's column headers."""
    text = row.text.strip()
    return bool(
        L.ADDRESS_STOP.search(text)
        or L.NOT_ADDRESS.search(text)
        or L.COMPANY_ID_END.search(text)
        or len(ITEM_HEADER.findall(text)) >= 2
        or find_date(text) is not None
        or PHONE_ONLY.match(text)
        or EMAIL.search(text)
        or any(_amount_token(t) for t in row.tokens)
    )


def stops_address(row: Row | None) -> bool:
    """Whether a line ends an address above it (none, or one that cannot belong to an address)."""
    return row is None or not _addressable(row)


def _wordy(row: Row) -> bool:
    """A row of words read with some confidence (not a logo or a smudge read as letters)."""
    letters = sum(ch.isalpha() for ch in row.text)
    words = [t for t in row.tokens if re.search(r"[A-Za-z]{2}", t.text)]
    return (
        letters >= 3
        and letters >= 0.4 * len(row.text.replace(" ", ""))
        and bool(words)
        and confidence_of(row.tokens) >= 0.55
    )


def _name_like(row: Row) -> bool:
    """Whether a row could be a name: a word of three letters; no label, phone, id, date, time, amount or
    street address."""
    return _reads_like_name(row.text, row.tokens)


def _reads_like_name(text: str, tokens: list[Token]) -> bool:
    return (
        bool(re.search(r"[A-Za-z]{3}", text))
        and not L.ADDRESS_STOP.search(text)
        and not L.NOT_ADDRESS.search(text)
        and not L.ADDRESS_WORDS.search(text)
        and find_date(text) is None
        and not any(_amount_token(t) for t in tokens)
    )


def _company_words(text: str) -> list[str]:
    text = re.sub(r"\([^)]*\d[^)]*\)?\s*$", "", text)  # a registration number after the name
    return re.sub(r"[^a-z0-9&/ ]", " ", text.casefold().replace(".", "")).split()


def company_strength(text: str) -> float:
    """How much a line reads like a company's name: 0.6 ending in a legal form, 0.5 naming a business."""
    words = _company_words(text)
    if not words or L.ADDRESS_STOP.search(text):
        return 0.0
    if words[-1] in L.LEGAL_FORMS or " ".join(words[-2:]) in L.LEGAL_FORMS:
        return 0.6
    if any(w in L.BUSINESS_WORDS for w in words):
        return 0.5
    return 0.0


def _legal_form_only(text: str) -> bool:
    words = _company_words(text)
    return bool(words) and all(w in L.LEGAL_FORMS for w in words)


def company_name(text: str) -> str:
    """A company's name as printed, without a trailing registration number; a Malaysian "SDN BHD" (Sendirian
    Berhad: "BHD" is the only word that follows "SDN") that the OCR read as "SON BHD" or "SDN BHI", or an "S/B"
    read as "5/B" or, ending the name, "S/D", is put right."""
    text = re.sub(r"\s*\([^)]*\d[^)]*\)?[\s,.;:]*$", "", text)
    text = re.sub(r"^[\s|!_*~'\"]+|[\s|!_*~'\"]+$", "", text)  # a frame's or a smudge's strokes at either end
    text = re.sub(r"(?i)\b(SON|SDM|SUN|SIN|5DN|SDH)(\.?\s*BHD)\b", r"SDN\2", text)
    text = re.sub(r"(?i)\b(SDN\.?\s*)([BD8]H[DIUO0])\b", _berhad, text)
    text = re.sub(r"(?<![^\W_])[5$]/[B8](?![^\W_])|(?<![^\W_])S/8(?![^\W_])|(?<![^\W_])S/D$", "S/B", text)
    return lettered(_collapse(text))


def _berhad(match: re.Match[str]) -> str:
    """ "SDN" and the word the OCR read for "BHD", in the case it was printed in."""
    word = match.group(2)
    return match.group(1) + ("Bhd" if word[1:].islower() else "BHD")


def lettered(text: str) -> str:
    """A name's or an address's text with the letters the OCR read as others put right: a capital I between
    small letters, or after a word's first capital and before small ones, is an l ("WorId", "BIk G"); a
    dollar sign in a word is an S (no name or address holds one: "Jalan $$21/39", "Lot $25")."""
    text = re.sub(r"(?<=[a-z])I(?=[a-z])|(?<=\b[A-Z])I(?=[a-z])", "l", text)
    return re.sub(r"\$(?=[A-Za-z0-9$])|(?<=[A-Za-z0-9])\$", "S", text)


PHONE_ONLY = re.compile(r"^[\W_]*\+?[\d\s\-/()]{8,}[\W_]*$")
EMAIL = re.compile(r"\w@\w+\.\w")


def _address_after(rows: list[Row], name_row: Row) -> list[Row]:
    """The lines under a vendor's name that make its address: company ids and other names before it are
    skipped, a phone number, an email, an id or a document title ends it."""
    out: list[Row] = []
    for row in rows[name_row.index + 1 : name_row.index + 9]:
        text = row.text.strip()
        if not out and (
            L.COMPANY_ID.match(text)
            or L.COMPANY_ID_END.search(text)
            or L.ADDRESS_PREAMBLE.match(text)
            or company_strength(text) >= 0.6
            or re.search(r"(?i)\b(co|company|br)\.?\s*(reg|no)", text)
            or re.fullmatch(r"\(.*\)", text)  # a registration number or a branch, in brackets
        ):
            continue
        if _ends_address(row):
            if out:
                break
            continue
        if out and row.box.top - out[-1].box.bottom > 2 * name_row.height:
            break
        if not _wordy(row) and not re.search(r"\d", text):
            continue
        out.append(row)
    return out
