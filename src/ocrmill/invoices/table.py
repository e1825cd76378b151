"""The line-item table of an invoice page, read from its OCR words.

The page's words are put into physical rows (Tesseract lines at one height, across its blocks) and each row is
cut into segments at wide gaps. Then:

- header: the row whose segments name the most column roles in English, German, French or Dutch
  ("Beschreibung", "Menge", "Einzelpreis", "Betrag", "MwSt", "Pos", "Einheit", "Qté", "Prix unitaire",
  "Montant HT", ...), with a description (or article) column and an amount or price column. Lines stacked over or
  under it (a two-line header cell) join its columns. Words set close together are still cut where a new role
  word starts ("BTW Prijs incl. BTW" is two columns), unless a modifier binds them ("incl.", "per") or they make
  one role together ("Unit Price", "Prix unitaire", "Item No").
- columns: the header cells. A figure belongs to the column it lies under, or failing that to the number column
  whose edge it lines up with (numbers are right-aligned, so under a right edge); text belongs to the column it
  starts in (a description may run on under the next columns).
- items: a row with a figure in the quantity, unit price or amount column starts an item unless the item above
  is still missing that figure (an amount set half a line below its description joins it). Rows without such a
  figure belong to the item above; set tightly under its description they continue the description (a wrapped
  line), further off they stay in its cells only (notes, article numbers), and so does a line labelled as one
  piece's serial number ("Serienummer: SDM...", "S/N:", "IMEI:") however close. An item needs an amount (or a unit
  price, in a table without an amount column).
- the table ends at the totals block (a row labelled Subtotal, Zwischensumme, Total, Gesamtbetrag, Netto,
  Summe, Sous-total, TVA, ... without a quantity or unit price), at a heading, at text starting left of the
  table, at another header, or after a wide empty stretch.
- without a header: rows of the form "text ... amount" whose amounts line up at the right, two or more close
  together, none labelled as a total, tax, payment or discount line (a receipt); "2 x 1,50" gives the quantity
  and unit price. Rows set in under such an item, each close under the one above, are its sub-lines (a
  statement's "Charges", "Credits" and "VAT" of one service) and part of no item: the next item starting at
  the first one's left edge continues the run even across a tax label there.

Confidence: an item starts from the mean confidence of its words; quantity * unit price = amount (allowing for
a discount column and for an amount that includes the tax rate) raises it, a mismatch lowers it. Items of a
table found without a header count somewhat less. That score is then mapped to the share of items right at it
(item-confidence.json, isotonic, fitted on synthetic invoices by `bench.invoice_tables --fit-confidence`).
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ocrmill.domain.document import Box, Page, Word, level, page_skew, union
from ocrmill.domain.knots import interpolate
from ocrmill.invoices.formats import amount_str, parse_amount, quantity_str
from ocrmill.invoices.labels import folded
from ocrmill.invoices.model import Cell, LineItem, Table

# Column roles (the API's names where the item has the field).
DESCRIPTION = "description"
QUANTITY = "quantity"
UNIT_PRICE = "unitPrice"
AMOUNT = "amount"
TAX_RATE = "taxRate"
TAX_AMOUNT = "taxAmount"
ITEM_NUMBER = "itemNumber"
UNIT = "unit"
DISCOUNT = "discount"
OTHER = "other"

NUMERIC_ROLES = frozenset({QUANTITY, UNIT_PRICE, AMOUNT, TAX_RATE, TAX_AMOUNT, DISCOUNT})
KEY_ROLES = (AMOUNT, UNIT_PRICE, QUANTITY)  # the figures that make a row an item

RAISED = 0.5  # a passing check moves the confidence half way to 1
LOWERED = 0.5  # a failing one halves it
NO_HEADER = 0.85  # items of a table found without a header
SUMMED = 0.3  # items that add up to a total printed under them move this share of the way to 1
_WRAP = 1.3  # em: a description line at most this far below the one above continues it


# --- words, rows, segments -----------------------------------------------------------------------------------


@dataclass(eq=False)
class _Segment:
    words: list[Word]

    @property
    def left(self) -> int:
        return min(w.box.left for w in self.words)

    @property
    def right(self) -> int:
        return max(w.box.right for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(eq=False)
class _Row:
    words: list[Word]
    top: float  # its lines' median word top and bottom, taken to the page's left edge along its skew (level)
    bottom: float
    skew: float  # the page's (domain.document.page_skew)
    segments: list[_Segment] = field(default_factory=list)

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def _median(values: Iterable[float]) -> float:
    listed = list(values)
    return statistics.median(listed) if listed else 0.0


def _rows(page: Page) -> tuple[list[_Row], float]:
    """Physical rows top to bottom, their words left to right and cut into segments; and the page's em."""
    lines: list[list[Word]] = []
    for block in page.blocks:
        for para in block.paragraphs:
            for line in para.lines:
                words = [w for w in line.words if w.text.strip() and w.box.width > 0 and w.box.height > 0]
                if words:
                    lines.append(words)
    if not lines:
        return [], 1.0
    em = max(1.0, _median(w.box.height for ln in lines for w in ln))
    lines = [kept for ln in lines if (kept := [w for w in ln if not _speck(w, em)])]
    tall = [ln for ln in lines if _median(w.box.height for w in ln) <= 4 * em]  # not sideways text or noise
    placed: list[tuple[list[Word], float, float]] = []
    skew = page_skew(page)  # a row's top and bottom are measured along it, so a row scanned askew stays level
    for words in tall:
        levels = [level(w.box, skew) for w in words]
        placed.append((words, _median(top for top, _ in levels), _median(bottom for _, bottom in levels)))
    placed.sort(key=lambda p: (p[1], min(w.box.left for w in p[0])))
    rows: list[_Row] = []
    for words, top, bottom in placed:
        row = _row_for(rows, words, top, bottom)
        if row is None:
            rows.append(_Row(list(words), top, bottom, skew))
        else:
            row.words.extend(words)
            row.top, row.bottom = min(row.top, top), max(row.bottom, bottom)
    gap = _wide_gap(lines, em)
    for row in rows:
        row.words.sort(key=lambda w: w.box.left)
        row.segments = _segments(row.words, gap)
        row.words = [w for w in row.words if w.text not in _RULE]
    rows = [row for row in rows if row.words]
    rows.sort(key=lambda r: r.top)
    return rows, em


def _speck(word: Word, em: float) -> bool:
    """A dot or a dash read from a rule or a speck: no letter or figure, small."""
    text = word.text.strip()
    return not any(c.isalnum() for c in text) and text not in _CURRENCY and word.box.height < 0.6 * em


def _row_for(rows: Sequence[_Row], words: Sequence[Word], top: float, bottom: float) -> _Row | None:
    height = bottom - top
    left, right = min(w.box.left for w in words), max(w.box.right for w in words)
    for row in reversed(rows[-8:]):
        overlap = min(row.bottom, bottom) - max(row.top, top)
        if overlap < 0.5 * min(height, row.height):
            continue
        if all(w.box.right <= left or w.box.left >= right for w in row.words):
            return row
    return None


def _wide_gap(lines: Sequence[Sequence[Word]], em: float) -> float:
    """Words further apart than this sit in different cells: well beyond the usual word spacing."""
    gaps = [
        b.box.left - a.box.right
        for ln in lines
        for a, b in itertools.pairwise(ln)
        if 0 <= b.box.left - a.box.right < 1.5 * em
    ]
    usual = _median(gaps) if len(gaps) >= 5 else 0.35 * em
    return max(1.0 * em, 2.5 * usual)


_RULE = frozenset({"|", "||", "¦", "│", "┃"})  # a drawn column rule read as a character


def _segments(words: Sequence[Word], gap: float) -> list[_Segment]:
    """Words cut into cells at wide gaps and at drawn column rules (which are no words of any cell)."""
    out: list[_Segment] = []
    ruled = False
    for word in words:
        if word.text in _RULE:
            ruled = True
            continue
        if out and not ruled and (word.box.left - out[-1].words[-1].box.right < gap or _currency(out[-1])):
            out[-1].words.append(word)
        else:
            out.append(_Segment([word]))
        ruled = False
    return out


_CURRENCY = frozenset({"$", "€", "£", "¥", "₹", "§", "EUR", "USD", "CHF", "GBP"})


def _currency(seg: _Segment) -> bool:
    return len(seg.words) == 1 and seg.words[0].text.strip() in _CURRENCY


# --- words of headers and labels --------------------------------------------------------------------------------


def _key(text: str) -> str:
    """A word folded (labels.folded), with dots, dashes and other punctuation taken out ("Art.-Nr." -> "artnr")."""
    return re.sub(r"[^\w%#]", "", folded(text)).replace("_", "")


_ITEM_NUMBER = re.compile(
    r"^(pos|position|posnr|nr|no|n°|#|sku|ref|refs|reference|referenz|code|ean|gtin|id|artnr\w*|artno|"
    r"artikelnr\w*|artikelnummer|(item|article|prod|produkt|product|material)(nr|no|nummer|number|code|#))$"
)
_TAX_WORDS = ("mwst", "ust", "tva", "vat", "btw", "tax", "steuer", "iva")
_AMOUNT_WORDS = ("betrag", "gesamt", "summe", "total", "amount", "montant", "bedrag", "totaal", "extension")
_PRICE_WORDS = ("preis", "price", "prijs", "prix", "tarif")
_QUANTITY = frozenset(
    {"menge", "anzahl", "anz", "qty", "qte", "qt", "quantity", "quantite", "quant", "aantal", "hoeveelheid",
     "stk", "stuck", "units", "hours", "hrs", "std", "stunden", "nombre", "nb", "qtd", "cantidad", "quantita"}
)  # fmt: skip
_UNIT = frozenset({"einheit", "unit", "unite", "uom", "eenheid", "me", "eh", "unidad", "um"})
_DISCOUNT = ("rabatt", "discount", "remise", "korting", "nachlass", "skonto")
_STRONG_DESCRIPTION = (
    "beschreib", "bezeichn", "descript", "designation", "libelle", "omschrijving", "leistung", "particulars",
    "wording", "intitule", "descrizione",
)  # fmt: skip
# Description words inside a longer one: "Artikelbezeichnung", "Produktbeschreibung", "Itemdescription".
_INNER_DESCRIPTION = re.compile(r"bezeichnung|beschreibung|description|designation")
_WEAK_DESCRIPTION = ("artikel", "article", "item", "produkt", "product", "produit", "service", "details", "waren")
_OTHER_PRICE = frozenset({"pu", "ep", "rate", "unitprice", "unitcost", "cost", "stuksprijs", "vkpreis"})


def role_of(word: str) -> str | None:
    """The column role a header word names, or None."""
    key = _key(word)
    if not key or key.isdigit():
        return None
    if _ITEM_NUMBER.match(key):
        return ITEM_NUMBER
    has_tax = any(key.startswith(t) or (len(t) > 3 and t in key) for t in _TAX_WORDS)
    if has_tax and any(a in key for a in _AMOUNT_WORDS):
        return TAX_AMOUNT
    if any(d in key for d in _DISCOUNT):
        return DISCOUNT
    if any(a in key for a in _AMOUNT_WORDS):
        return AMOUNT
    if has_tax or key in ("%", "taux", "satz"):
        return TAX_RATE
    if any(p in key for p in _PRICE_WORDS) or key in _OTHER_PRICE:
        return UNIT_PRICE
    if key in _QUANTITY or key.startswith("menge") or _near(key, _QUANTITY):
        return QUANTITY
    if key in _UNIT:
        return UNIT
    if (
        any(key.startswith(d) for d in _STRONG_DESCRIPTION)
        or _near(key, _STRONG_KEYS)
        or _INNER_DESCRIPTION.search(key)
    ):
        return DESCRIPTION
    if any(key.startswith(d) for d in _WEAK_DESCRIPTION):
        return DESCRIPTION
    if _near(key, _PRICE_KEYS):
        return UNIT_PRICE
    return None


_STRONG_KEYS = frozenset({"beschreibung", "bezeichnung", "description", "designation", "omschrijving", "libelle"})
_PRICE_KEYS = frozenset({"preis", "price", "prijs", "prix", "einzelpreis", "nettopreis"})


def _near(key: str, words: Iterable[str]) -> bool:
    """One OCR slip away (a substitution, insertion or deletion) from one of the words of 5+ letters."""
    return len(key) >= 5 and any(len(w) >= 5 and _one_edit(key, w) for w in words)


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _weak_description(word: str) -> bool:
    key = _key(word)
    return any(key.startswith(d) for d in _WEAK_DESCRIPTION)


_MODIFIERS = frozenset(
    {"incl", "inkl", "excl", "exkl", "zzgl", "ohne", "hors", "sans", "ex", "inc", "per", "pro", "par", "je", "a",
     "in", "en", "of", "de", "du", "des", "und", "and", "et", "&", "/", "+"}
)  # fmt: skip
# Roles that make one column when their words stand together: "Unit Price", "Prix unitaire", "Item No",
# "Montant TVA" (the tax amount), "Total Amount".
_COMPOUNDS = {
    (UNIT, UNIT_PRICE): UNIT_PRICE,
    (UNIT_PRICE, UNIT): UNIT_PRICE,
    (DESCRIPTION, ITEM_NUMBER): ITEM_NUMBER,
    (ITEM_NUMBER, DESCRIPTION): ITEM_NUMBER,  # "Code article", "Référence produit"
    (ITEM_NUMBER, ITEM_NUMBER): ITEM_NUMBER,
    (AMOUNT, TAX_RATE): TAX_AMOUNT,
    (TAX_RATE, AMOUNT): TAX_AMOUNT,
    (AMOUNT, AMOUNT): AMOUNT,
    (UNIT_PRICE, AMOUNT): AMOUNT,  # "Price Total", "Prix total"
    (AMOUNT, UNIT_PRICE): AMOUNT,  # "Total Price", "Gesamt Preis"
    (QUANTITY, QUANTITY): QUANTITY,
    (DESCRIPTION, DESCRIPTION): DESCRIPTION,
    (TAX_RATE, TAX_RATE): TAX_RATE,
    (DISCOUNT, TAX_RATE): DISCOUNT,  # "Rabatt %"
}


# Labels of the totals block and of what follows the items: exact words ...
_TOTALS = frozenset(
    {"subtotal", "subtotaal", "zwischensumme", "total", "totaal", "totale", "totals", "gesamt", "gesamtbetrag",
     "gesamtsumme", "summe", "netto", "net", "brutto", "nettosumme", "bruttosumme", "nettobetrag", "bruttobetrag",
     "rechnungsbetrag", "rechnungssumme", "endbetrag", "zahlbetrag", "positionssumme", "belegsummen", "soustotal",
     "montant", "tva", "mwst", "ust", "vat", "tax", "btw", "steuer", "steuerbetrag", "umsatzsteuer", "amount",
     "balance", "due", "ubertrag", "carried", "report", "sum", "grand", "sous", "exclusief", "inclusief", "ht",
     "ttc", "zahlungsbedingungen", "zahlbar", "payment", "reglement", "bankverbindung"}
)  # fmt: skip
# ... and beginnings of words
_TOTALS_STEMS = ("zwischensumm", "gesamtbetrag", "rechnungs", "umsatzsteuer", "mehrwertsteuer", "subtot", "soustot",
                 "endsumme", "nettosum", "bruttosum", "zahlbetrag")  # fmt: skip
# Labels that end the items only next to an amount (a discount or a charge of the whole invoice); inside an
# item they are notes ("Abschlag: 0,6667").
_CHARGES = frozenset({"rabatt", "skonto", "abschlag", "zuschlag", "discount", "remise", "frais", "shipping",
                      "versand", "versandkosten", "porto", "fracht", "freight", "iban", "bic", "korting"})  # fmt: skip
# Words of receipts' lines that are no items (payment, change, tax, discounts), besides the totals words.
_NOT_ITEMS = frozenset(
    {"cash", "change", "bar", "gegeben", "ruckgeld", "zuruck", "visa", "mastercard", "ec", "karte", "kartenzahlung",
     "card", "credit", "debit", "paid", "rounding", "rundung", "tip", "trinkgeld", "especes", "rendu", "carte",
     "cb", "saldo", "tender", "tendered", "remise", "korting", "gst", "sst", "incl", "inkl", "excl", "exkl",
     "zuschlage", "abschlage", "charges", "credits", "gegeven", "wisselgeld", "pin", "betaald"}
)  # fmt: skip


def _totals_label(tokens: Sequence[str], *, charges: bool = False, within: int = 4) -> bool:
    for token in tokens[:within]:
        key = _key(token)
        if key in _TOTALS or any(key.startswith(s) for s in _TOTALS_STEMS) or (charges and key in _CHARGES):
            return True
    return False


# --- reading values ------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+(?:[.,'\u202f ]\d{3})*(?:[.,]\d+)?|-?[.,]\d+")
_HAS_DECIMALS = re.compile(r"\d[.,]\d{1,4}(?!\d)")
_PERCENT = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*%")
_TIMES = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(?:x|X|\u00d7|\*)\s*(?:[€$£]\s*)?(\d+[.,]\d{2,4})(?!\d)")


def read_amount(text: str) -> Decimal | None:
    """An amount printed in a cell: the whole cell, or its last figure with decimals ("EUR 12,00", "12,00 A")."""
    value = parse_amount(text)
    if value is not None:
        return value
    found = list(re.finditer(r"[-\u2212(]?\s*\d[\d.,'\u202f ]*[.,]\d{1,4}\)?", text))
    if found:
        return parse_amount(found[-1].group(0).strip())
    return None


def read_quantity(text: str) -> Decimal | None:
    """The figure a quantity cell starts with: "20 Stk" -> 20, "1,5h" -> 1.5, "3m²" -> 3."""
    match = re.match(r"\s*[^\d\-]{0,3}?(-?\d+(?:[.,]\d+)*)", text)
    if match is None:
        return None
    return parse_amount(match.group(1))


def read_rate(text: str) -> Decimal | None:
    """A tax rate in percent: "19%", "7 %", "19,00", "20.0 % TVA"."""
    match = _PERCENT.search(text) or re.search(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,2})?)(?![\d.,])", text)
    if match is None:
        return None
    try:
        value = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    return value if 0 <= value <= 100 else None


def rate_str(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _numeric(text: str) -> bool:
    """Mostly figures (an amount, a quantity with its unit, a rate)."""
    chars = re.sub(r"[\W_]+", "", text)
    digits = sum(c.isdigit() for c in chars)
    return digits > 0 and digits >= len(chars) - digits


def _has_value(role: str, text: str) -> bool:
    """Whether a cell of this role holds a figure that makes an item (an amount needs decimals)."""
    if role == QUANTITY:
        return read_quantity(text) is not None and _numeric(text.split()[0] if text.split() else "")
    if role in (AMOUNT, UNIT_PRICE):
        return bool(_HAS_DECIMALS.search(text)) and read_amount(text) is not None
    return False


# --- the header ------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Column:
    role: str
    words: list[Word]
    left: int
    right: int

    @property
    def align(self) -> str:
        return "right" if self.role in NUMERIC_ROLES else "left"

    def extend(self, words: Sequence[Word]) -> None:
        self.words.extend(words)
        self.left = min(self.left, *(w.box.left for w in words))
        self.right = max(self.right, *(w.box.right for w in words))


def _header_cells(row: _Row, em: float) -> list[_Column]:
    """The row's words as header cells: cut at wide gaps and where a new role word starts."""
    cells: list[_Column] = []
    for seg in row.segments:
        current: _Column | None = None
        previous: Word | None = None
        for word in seg.words:
            role = role_of(word.text)
            joined = False
            if current is not None and previous is not None:
                modifier = _key(previous.text) in _MODIFIERS or word.text in ("%", "(%)", "[%]")
                if role is None or modifier:
                    joined = True
                elif current.role == OTHER:
                    current.role, joined = role, True
                elif (current.role, role) in _COMPOUNDS:
                    current.role, joined = _COMPOUNDS[(current.role, role)], True
            if joined and current is not None:
                current.extend([word])
            else:
                current = _Column(role or OTHER, [word], word.box.left, word.box.right)
                cells.append(current)
            previous = word
    return cells


def _header_score(cells: Sequence[_Column]) -> int:
    roles = {c.role for c in cells if c.role != OTHER}
    if not ({DESCRIPTION, ITEM_NUMBER} & roles) or not ({AMOUNT, UNIT_PRICE} & roles) or len(roles) < 3:
        return 0
    return len(roles)


def _is_header(row: _Row, em: float) -> bool:
    if sum(bool(_HAS_DECIMALS.search(w.text)) for w in row.words) > 0:
        return False
    return _header_score(_header_cells(row, em)) > 0


def _settle_roles(columns: list[_Column]) -> None:
    """One description column (a weak word such as "Artikel" next to a strong one names the article number);
    without an amount column the rightmost of two price columns is the amount."""
    described = [c for c in columns if c.role == DESCRIPTION]
    if len(described) > 1:
        strong = [c for c in described if not all(_weak_description(w.text) for w in c.words)]
        keep = strong[0] if strong else max(described, key=lambda c: c.right - c.left)
        for c in described:
            if c is not keep:
                c.role = ITEM_NUMBER if c.right <= keep.left else OTHER
    prices = [c for c in columns if c.role == UNIT_PRICE]
    if not any(c.role == AMOUNT for c in columns) and len(prices) >= 2:
        prices[-1].role = AMOUNT
    for role in (AMOUNT, QUANTITY, UNIT_PRICE, TAX_RATE):
        same = [c for c in columns if c.role == role]
        for c in same[:-1] if role == AMOUNT else same[1:]:
            c.role = OTHER  # one column per role: the last amount (the line total), the first of the others


def _find_header(rows: Sequence[_Row], em: float) -> tuple[int, int, list[_Column]] | None:
    """The best header: its first and last row (a header's cells may sit a little higher or lower than each
    other, so rows whose middles lie close together are read as one) and its cells."""
    best: tuple[int, int, int, list[_Column]] | None = None
    for i, row in enumerate(rows):
        if _figures(row):
            continue
        middle = (row.top + row.bottom) / 2
        first = last = i
        while first > 0 and abs((rows[first - 1].top + rows[first - 1].bottom) / 2 - middle) <= 0.6 * em:
            first -= 1
        while last + 1 < len(rows) and abs((rows[last + 1].top + rows[last + 1].bottom) / 2 - middle) <= 0.6 * em:
            last += 1
        band = rows[first : last + 1]
        if any(_figures(r) for r in band):
            first = last = i
            band = [row]
        cells = _header_cells(_merged(band, em), em)
        score = _header_score(cells)
        if score and (best is None or score > best[0]):
            best = (score, first, last, cells)
    if best is None:
        return None
    return best[1], best[2], best[3]


def _figures(row: _Row) -> bool:
    return any(_HAS_DECIMALS.search(w.text) for w in row.words)


def _merged(rows: Sequence[_Row], em: float) -> _Row:
    if len(rows) == 1:
        return rows[0]
    words = sorted((w for r in rows for w in r.words), key=lambda w: w.box.left)
    merged = _Row(words, min(r.top for r in rows), max(r.bottom for r in rows), rows[0].skew)
    merged.segments = _segments(words, em)
    return merged


def _stack_header(rows: Sequence[_Row], first: int, last: int, columns: list[_Column], em: float) -> tuple[int, int]:
    """Rows of a header cell's second or third line (above or below the header row, set tightly, no figures
    in number columns) join the header's columns. Returns the first and last row of the header."""
    at_first, at_last = first, last
    span_left, span_right = columns[0].left, columns[-1].right

    def stacks(row: _Row, near: _Row) -> bool:
        if max(row.top - near.bottom, near.top - row.bottom) > 1.2 * em or row.height > 1.35 * near.height:
            return False
        if _figures(row):
            return False
        return all(seg.left >= span_left - em and seg.right <= span_right + em for seg in row.segments) and all(
            _overlapping(seg.left, seg.right, columns, em) for seg in row.segments
        )

    while first > 0 and stacks(rows[first - 1], rows[first]) and at_first - first < 3:
        first -= 1
    while last + 1 < len(rows) and stacks(rows[last + 1], rows[last]) and last - at_last < 3:
        last += 1
    for row in [*rows[first:at_first], *rows[at_last + 1 : last + 1]]:
        for seg in row.segments:
            hits = _overlapping(seg.left, seg.right, columns, em)
            if hits:
                max(hits, key=lambda c: _overlap(seg.left, seg.right, c)).extend(seg.words)
    return first, last


def _overlap(left: int, right: int, column: _Column) -> int:
    return min(right, column.right) - max(left, column.left)


def _overlapping(left: int, right: int, columns: Sequence[_Column], em: float) -> list[_Column]:
    slack = 0.3 * em
    return [c for c in columns if min(right, c.right + slack) - max(left, c.left - slack) > 0]


ITEM_ROWS_LOOKED_AT = 40  # rows after a header that may show where its columns are
# em: the narrowest white between two columns of item rows. Word spaces are narrower (a quarter to half an em of
# word-box height), so the spaces of a few descriptions that happen to line up are no column gap.
COLUMN_GAP = 0.6


def _item_rows(rows: Sequence[_Row], start: int) -> list[_Row]:
    """Rows after a header that look like item rows (an amount with decimals), up to a totals label."""
    out: list[_Row] = []
    for row in rows[start : start + ITEM_ROWS_LOOKED_AT]:
        first_text = next((seg for seg in row.segments if not _numeric(seg.text)), None)
        if first_text is not None and _totals_label(first_text.text.split(), within=1):
            break
        if _figures(row):
            out.append(row)
    return out


def _split_by_body(columns: list[_Column], body: Sequence[_Row], em: float) -> list[_Column]:
    """Header cells cut where the item rows below them have a clear gap (a white "river" that no item row's word
    crosses): header words set close together ("Einheit Stückpreis Gesamtpreis", "Pos. Artikel") name several
    columns when the rows under them are several columns."""
    if len(body) < 2:
        return columns
    out: list[_Column] = []
    for column in columns:
        words = sorted(column.words, key=lambda w: w.box.left)
        if len(words) < 2:
            out.append(column)
            continue
        lo, hi = int(column.left - em), int(column.right + em)
        occupied = [0] * (hi - lo + 1)
        for row in body:
            for w in row.words:
                for x in range(max(lo, w.box.left), min(hi, w.box.right) + 1):
                    occupied[x - lo] += 1
        allowed = len(body) // 10
        groups: list[list[Word]] = [[words[0]]]
        for a, b in itertools.pairwise(words):
            left_mid, right_mid = (a.box.left + a.box.right) // 2, (b.box.left + b.box.right) // 2
            if role_of(b.text) is None or _key(a.text) in _MODIFIERS or b.text in ("%", "(%)", "[%]"):
                groups[-1].append(b)
                continue
            river = _river(occupied, lo, left_mid, right_mid, allowed, max(2, int(COLUMN_GAP * em)))
            sides = river is not None and _both_sides(body, river, left_mid, right_mid)
            if sides:
                groups.append([b])
            else:
                groups[-1].append(b)
        if len(groups) == 1:
            out.append(column)
            continue
        for group in groups:
            out.append(_Column(_group_role(group), group, group[0].box.left, max(w.box.right for w in group)))
    return out


def _river(occupied: Sequence[int], lo: int, start: int, end: int, allowed: int, width: int) -> int | None:
    """The middle of the widest stretch between `start` and `end` that at most `allowed` rows' words cover."""
    best: tuple[int, int] | None = None
    run = 0
    for x in range(start, end + 1):
        if 0 <= x - lo < len(occupied) and occupied[x - lo] <= allowed:
            run += 1
            if run >= width and (best is None or run > best[0]):
                best = (run, x - run // 2)
        else:
            run = 0
    return best[1] if best is not None else None


def _both_sides(body: Sequence[_Row], river: int, left: int, right: int) -> bool:
    """Whether at least two item rows have words just left and just right of the river."""
    both = 0
    for row in body:
        has_left = any(w.box.right <= river and w.box.right >= left - 400 for w in row.words)
        has_right = any(w.box.left >= river and w.box.left <= right + 400 for w in row.words)
        both += has_left and has_right
    return both >= 2


def _group_role(words: Sequence[Word]) -> str:
    role: str | None = None
    for word in words:
        found = role_of(word.text)
        if found is None:
            continue
        if role is None:
            role = found
        elif (role, found) in _COMPOUNDS:
            role = _COMPOUNDS[(role, found)]
    return role or OTHER


# --- body rows into columns ----------------------------------------------------------------------------------


def _place(row: _Row, columns: Sequence[_Column], em: float) -> dict[int, list[Word]]:
    """The row's words by column index."""
    out: dict[int, list[Word]] = {}
    for seg in row.segments:
        for index, words in _place_segment(seg, columns, em):
            if index >= 0:
                out.setdefault(index, []).extend(words)
    return out


def _place_segment(seg: _Segment, columns: Sequence[_Column], em: float) -> list[tuple[int, list[Word]]]:
    index = {id(c): i for i, c in enumerate(columns)}
    hits = _overlapping(seg.left, seg.right, columns, em)
    wordy = sum(any(ch.isalpha() for ch in w.text) and not _numeric(w.text) for w in seg.words) * 2 > len(seg.words)
    start = _starting_column(seg.left, columns, em)
    if start is not None and columns[start].role == ITEM_NUMBER and len(seg.words) >= 2 and start + 1 < len(columns):
        after = columns[start + 1]
        if seg.right > after.left and after.role == DESCRIPTION:  # "07 Hosting-Paket ...": number, then description
            head = [w for w in seg.words if w.box.right < after.left - 0.3 * em]
            if head and len(head) < len(seg.words):
                return [(start, head), (start + 1, seg.words[len(head) :])]
    if wordy and start is not None and columns[start].role not in NUMERIC_ROLES:
        return [(start, seg.words)]  # text runs on from the column it starts in
    if len(hits) >= 2 and len(seg.words) >= 2 and any(c.role in NUMERIC_ROLES for c in hits):
        # figures run together across columns: each word to its own column
        out: list[tuple[int, list[Word]]] = []
        for word in seg.words:
            i = _column_of_figure(word.box.left, word.box.right, columns, em)
            if out and out[-1][0] == i:
                out[-1][1].append(word)
            else:
                out.append((i, [word]))
        return out
    if len(hits) == 1:
        return [(index[id(hits[0])], seg.words)]
    return [(_column_of_figure(seg.left, seg.right, columns, em), seg.words)]


def _starting_column(left: int, columns: Sequence[_Column], em: float) -> int | None:
    """The column a left-aligned text starting at `left` belongs to: the last one starting at or before it."""
    found = None
    for i, c in enumerate(columns):
        if c.left - 0.6 * em <= left:
            found = i
    if found is not None and columns[found].role in NUMERIC_ROLES and left > columns[found].right + em:
        return found  # text right of a number column: still the nearest column to its left
    return found


def _column_of_figure(left: int, right: int, columns: Sequence[_Column], em: float) -> int:
    """The column a figure (or anything that fits no single column) belongs to: the one it lies under most,
    else the one whose aligned edge is nearest."""
    if right < min(c.left for c in columns) - em:
        return -1  # left of every column (a position number under no header): in no column
    best, best_key = 0, (1, float("inf"))
    key: tuple[int, float]
    for i, c in enumerate(columns):
        over = _overlap(left, right, c)
        if over > 0:
            key = (0, -over)
        elif c.align == "right":
            key = (1, abs(right - c.right) + 0.25 * abs(left - c.left))
        else:
            key = (1, abs(left - c.left) + 0.25 * abs(right - c.right))
        if key < best_key:
            best, best_key = i, key
    if best_key[0] == 1 and best_key[1] > 3 * em:
        start = _starting_column(left, columns, em)
        if start is not None:
            return start
    return best


# --- items ------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Item:
    rows: list[_Row] = field(default_factory=list)
    cells: dict[int, list[Word]] = field(default_factory=dict)
    description: list[Word] = field(default_factory=list)
    description_bottom: float = 0.0
    wrapping: bool = True  # whether the description may still continue on the next row

    def add(self, placed: dict[int, list[Word]]) -> None:
        for i, words in placed.items():
            self.cells.setdefault(i, []).extend(words)


def _body(
    rows: Sequence[_Row], start: int, columns: Sequence[_Column], em: float, table_left: int
) -> tuple[list[_Item], int]:
    """The items of the rows from `start` on, and the index of the row that ended the table."""
    keys = {role: i for i, c in enumerate(columns) if (role := c.role) in KEY_ROLES}
    description = next((i for i, c in enumerate(columns) if c.role == DESCRIPTION), None)
    if description is None:
        texts = [i for i, c in enumerate(columns) if c.role not in NUMERIC_ROLES and c.role != ITEM_NUMBER]
        description = texts[0] if texts else None
    items: list[_Item] = []
    current: _Item | None = None
    body_height = _median(r.height for r in rows[start : start + 20]) or em
    previous = rows[start - 1] if start > 0 else None
    end = len(rows)
    for r in range(start, len(rows)):
        row = rows[r]
        placed = _place(row, columns, em)
        filled = [role for role, i in keys.items() if i in placed and _has_value(role, _text(placed[i]))]
        left = min(table_left, *(w.box.left for it in items for r in it.rows for w in r.words)) if items else None
        if current is None and _carried(row):
            continue  # "Übertrag 1.234,56" over the first item of a continued table
        starts_at = [it.description[0].box.left for it in items if it.description]
        description_left = _median(starts_at) if starts_at else None
        if _ends_table(row, previous, placed, filled, columns, em, left, body_height, description_left):
            end = r
            break
        previous = row
        starts = bool(filled) and (
            current is None or any(_has_value(role, _text(current.cells.get(keys[role], []))) for role in filled)
        )
        if starts:
            current = _Item()
            items.append(current)
        if current is None:
            continue  # a line between the header and the first item: a section title, a contract number
        current.rows.append(row)
        current.add(placed)
        if description is not None and description in placed:
            words = placed[description]
            top = min(level(w.box, row.skew)[0] for w in words)
            if current.description and _note(words):
                current.wrapping = False  # "Serienummer: SDM..." under an item: in its cells, not its description
            elif not current.description or (current.wrapping and top - current.description_bottom <= _WRAP * em):
                current.description.extend(words)  # the first line of the description, or one wrapped under it
                current.description_bottom = max(level(w.box, row.skew)[1] for w in words)
            else:
                current.wrapping = False
        elif current.description:
            current.wrapping = current.wrapping and row.top - current.description_bottom <= _WRAP * em
    need = AMOUNT if AMOUNT in keys else UNIT_PRICE
    kept = [it for it in items if need in keys and _has_value(need, _text(it.cells.get(keys[need], [])))]
    return kept, end


# Labels of a line that names one piece of an item (its serial number, a phone's IMEI) rather than continuing its
# description, in the languages of the other vocabularies
_NOTE_LABELS = frozenset(
    {"serial", "serialno", "serialnumber", "sn", "serienummer", "seriennummer", "seriennr", "imei"}
)


def _note(words: Sequence[Word]) -> bool:
    """A line that names one piece of the item above: a serial number's or IMEI's label, then a colon."""
    label, colon, _ = " ".join(w.text for w in words[:3]).partition(":")
    return bool(colon) and _key(label) in _NOTE_LABELS


_CARRIED = frozenset({"ubertrag", "uebertrag", "vortrag", "carried", "brought", "report", "reporter", "areporter"})


def _carried(row: _Row) -> bool:
    """A carried-forward line: "Übertrag", "Brought forward", "Report", "À reporter" with an amount."""
    keys = [_key(w.text) for w in row.words[:3]]
    return any(k in _CARRIED for k in keys) and _figures(row)


def _text(words: Sequence[Word]) -> str:
    return " ".join(w.text for w in words)


def _ends_table(
    row: _Row,
    previous: _Row | None,
    placed: dict[int, list[Word]],
    filled: Sequence[str],
    columns: Sequence[_Column],
    em: float,
    table_left: int | None,
    body_height: float,
    description_left: float | None = None,
) -> bool:
    priced = any(role in (QUANTITY, UNIT_PRICE) for role in filled)
    if not priced:
        has_column = any(c.role == AMOUNT for c in columns)
        amount = AMOUNT in filled or (not has_column and any(_HAS_DECIMALS.search(w.text) for w in row.words))
        first_text = next((seg for seg in row.segments if not _numeric(seg.text)), None)
        if first_text is not None and _totals_label(first_text.text.split(), within=1):
            return True  # "Zwischensumme ...", "Total EUR 34,73", "Umsatzsteueraufschlüsselung"
        for seg in row.segments:
            if amount and not _numeric(seg.text) and _totals_label(seg.text.split(), charges=True):
                if description_left is not None and abs(seg.left - description_left) <= 1.5 * em:
                    continue  # "Rabatt 10 %  -29,72" where the descriptions start: a sub-line of the items
                return True  # "Prijzen zijn inclusief BTW  Factuur totaal EUR 49,99", "Versandkosten 4,90"
    text_only = not any(_numeric(w.text) for w in row.words)
    if text_only and sum(_totals_label(seg.text.split()) for seg in row.segments) >= 2:
        return True  # the head of a VAT breakdown or a totals table: "Taux TVA  Base HT  Montant TVA  TTC"
    if text_only and row.height >= 1.35 * body_height and len(row.words) <= 8:
        return True  # a heading
    first = row.segments[0]
    if not _numeric(first.text) and table_left is not None and first.left < table_left - 0.5 * em and len(filled) < 2:
        return True  # text starting left of the table and its items: a footer, the next section
    if previous is not None and row.top - previous.bottom > 5 * em and not filled:
        return True
    return _is_header(row, em)


# --- the table -----------------------------------------------------------------------------------------------


ITEM_CALIBRATION_FILE = Path(__file__).with_name("item-confidence.json")


@functools.cache
def item_calibration() -> tuple[tuple[float, float], ...]:
    """The knots that make an item's confidence a probability (fitted by `bench.invoice_tables --fit-confidence`
    on synthetic invoices only); none, and the confidences as read, where the file is not shipped."""
    if not ITEM_CALIBRATION_FILE.is_file():
        return ()
    data = json.loads(ITEM_CALIBRATION_FILE.read_text(encoding="utf-8"))
    return tuple((float(x), float(y)) for x, y in data["knots"])


def find_table(page: Page, *, number: int = 1) -> Table:
    """The line-item table of one page (see the module docstring); an empty Table when there is none.
    `number` is the page's 1-based number within the invoice job, stored on the items. Each item's confidence
    is calibrated (item_calibration) from what read_table makes of it."""
    table = read_table(page, number=number)
    knots = item_calibration()
    for item in table.items:
        item.confidence = round(interpolate(knots, item.confidence), 4)
    return table


def read_table(page: Page, *, number: int = 1) -> Table:
    """find_table's table with the items' confidences as the reading makes them (their words' confidence,
    raised or lowered by the checks), before the calibration."""
    rows, em = _rows(page)
    if not rows:
        return Table()
    header = _find_header(rows, em)
    if header is None:
        found = _geometric_table(rows, em, number)
        return found if found is not None else _receipt_table(rows, em, number)
    first, last, columns = header
    _settle_roles(columns)
    first, last = _stack_header(rows, first, last, columns, em)
    columns = _split_by_body(columns, _item_rows(rows, last + 1), em)
    _settle_roles(columns)
    table_left = min(c.left for c in columns)
    items, end = _body(rows, last + 1, columns, em, table_left)
    if not items:  # header words over something else (a VAT breakdown, a form): the rows' geometry may still hold
        found = _geometric_table(rows, em, number)
        if found is not None:
            return found
    items, summed = _by_the_sum(items, columns, rows[end : end + 12])
    table = _build(columns, items, number, header=True)
    if summed:
        for item in table.items:
            item.confidence = round(item.confidence + (1 - item.confidence) * SUMMED, 4)
    return table


def _by_the_sum(items: list[_Item], columns: Sequence[_Column], after: Sequence[_Row]) -> tuple[list[_Item], bool]:
    """The reading whose amounts add up to a total printed under the table (a row labelled Subtotal, Netto,
    Total, ...): the items as read, or without the sub-lines at their end (an invoice-level charge or discount
    set where the descriptions start). Returns the items and whether their sum was found printed; when no
    reading adds up, the items as read (the sum only chooses, it never makes an item up)."""
    amount = next((i for i, c in enumerate(columns) if c.role == AMOUNT), None)
    if amount is None or not items:
        return items, False
    printed = set()
    for row in after:
        first_text = next((seg for seg in row.segments if not _numeric(seg.text)), None)
        if first_text is None or not _totals_label(first_text.text.split(), within=2):
            continue
        for seg in row.segments:
            value = read_amount(seg.text) if _HAS_DECIMALS.search(seg.text) else None
            if value is not None:
                printed.add(value)
    if not printed:
        return items, False
    values = [read_amount(_text(item.cells.get(amount, []))) for item in items]
    readings = [len(items)]
    k = len(items)
    while k > 1 and set(items[k - 1].cells) <= {amount, *_description_columns(columns)}:
        k -= 1  # a sub-line at the end: description and amount only
        readings.append(k)
    for k in readings:
        if all(v is not None for v in values[:k]) and sum(v for v in values[:k] if v is not None) in printed:
            return items[:k], True
    return items, False


def _description_columns(columns: Sequence[_Column]) -> list[int]:
    return [i for i, c in enumerate(columns) if c.role in (DESCRIPTION, OTHER, ITEM_NUMBER)]


def _build(columns: Sequence[_Column], items: Sequence[_Item], number: int, *, header: bool) -> Table:
    table = Table(roles={i: c.role for i, c in enumerate(columns)}, header_row=0 if header else None)
    if header:
        for i, c in enumerate(columns):
            table.cells.append(_cell(0, i, c.words))
    offset = 1 if header else 0
    _strip_positions(items)
    for n, item in enumerate(items):
        row = n + offset
        for i in sorted(item.cells):
            table.cells.append(_cell(row, i, _reading_order(item.cells[i])))
        table.items.append(_line_item(item, columns, row, number, header=header))
    return table


_POSITION = re.compile(r"^\d{1,3}\.?$")


def _strip_positions(items: Sequence[_Item]) -> None:
    """A running position number read into the description ("01 Serverschrank", "3. Versand") is taken out when
    the items' leading numbers count up (two or more items); the number stays in the item's cells."""
    leading = [
        (item, int(item.description[0].text.rstrip(".")))
        for item in items
        if len(item.description) >= 2 and _POSITION.match(item.description[0].text)
    ]
    if len(leading) < 2 or any(b <= a for (_, a), (_, b) in itertools.pairwise(leading)):
        return
    for item, _ in leading:
        item.description = item.description[1:]


def _reading_order(words: Sequence[Word]) -> list[Word]:
    """Words of a cell line by line (a word's line: its top within half a word height of the line's)."""
    ordered = sorted(words, key=lambda w: w.box.top)
    lines: list[list[Word]] = []
    for w in ordered:
        if lines and w.box.top - lines[-1][0].box.top <= 0.5 * max(1, lines[-1][0].box.height):
            lines[-1].append(w)
        else:
            lines.append([w])
    return [w for ln in lines for w in sorted(ln, key=lambda w: w.box.left)]


def _cell(row: int, column: int, words: Sequence[Word]) -> Cell:
    return Cell(row, column, _text(words), _confidence(words), union([w.box for w in words]))


def _confidence(words: Sequence[Word]) -> float:
    return sum(w.confidence for w in words) / (100 * len(words)) if words else 0.0


def _line_item(item: _Item, columns: Sequence[_Column], row: int, number: int, *, header: bool) -> LineItem:
    by_role: dict[str, list[Word]] = {}
    for i, words in item.cells.items():
        by_role.setdefault(columns[i].role, []).extend(_reading_order(words))
    description_words = _reading_order(item.description)
    quantity = read_quantity(_text(by_role.get(QUANTITY, [])))
    price = read_amount(_text(by_role.get(UNIT_PRICE, [])))
    amount = read_amount(_text(by_role.get(AMOUNT, [])))
    rate = read_rate(_text(by_role.get(TAX_RATE, [])))
    discount = read_rate(_text(by_role.get(DISCOUNT, [])))
    used = [*description_words, *(w for role in (QUANTITY, UNIT_PRICE, AMOUNT) for w in by_role.get(role, []))]
    confidence = _confidence(used)
    check = arithmetic(quantity, price, amount, rate, discount)
    if check is True:
        confidence += (1 - confidence) * RAISED
    elif check is False:
        confidence *= LOWERED
    if not header:
        confidence *= NO_HEADER
    all_words = [w for words in item.cells.values() for w in words]
    return LineItem(
        description=re.sub(r"\s+", " ", _text(description_words)).strip(),
        quantity=quantity_str(quantity) if quantity is not None else None,
        unit_price=amount_str(price) if price is not None else None,
        amount=amount_str(amount) if amount is not None else None,
        tax_rate=rate_str(rate) if rate is not None else None,
        confidence=round(min(1.0, max(0.0, confidence)), 4),
        page=number,
        row=row,
        box=union([w.box for w in all_words]) if all_words else None,
    )


def arithmetic(
    quantity: Decimal | None,
    price: Decimal | None,
    amount: Decimal | None,
    rate: Decimal | None = None,
    discount: Decimal | None = None,
) -> bool | None:
    """Whether quantity * unit price gives the amount (less a discount in percent, or plus the tax rate for an
    amount that includes tax), to the rounding of the printed figures; None when a figure is missing."""
    if quantity is None or price is None or amount is None:
        return None
    exponent = price.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    tolerance = Decimal("0.011") + abs(quantity) * Decimal(5) / Decimal(10) ** (places + 1)
    candidates = [quantity * price]
    if discount:
        candidates.append(quantity * price * (1 - discount / 100))
    if rate:
        candidates.extend([c * (1 + rate / 100) for c in list(candidates)])
    return any(abs(c - amount) <= tolerance * (1 + (rate or Decimal(0)) / 100) for c in candidates)


# --- no header: columns from the rows' geometry ------------------------------------------------------------------


def _geometric_table(rows: Sequence[_Row], em: float, number: int) -> Table | None:
    """A table without a header row it can read (a page that continues the table, a header in words it does not
    know): rows of text followed by figures whose right edges line up in columns (numbers are right-aligned). The
    rightmost column of amounts is the amount; of the figure columns left of it, quantity and unit price are the
    pair that multiplies to the amount on most rows, a column of percentages the VAT rate. Kept when two or more
    items are read and their arithmetic holds on most of those that print a quantity and a unit price."""
    candidates = [(r, row) for r, row in enumerate(rows) if _item_like(row)]
    if len(candidates) < 2:
        return None
    clusters: list[list[_Segment]] = []
    for _, row in candidates:
        for seg in row.segments:
            if not _numeric(seg.text) or seg is row.segments[0]:
                continue
            home = next((c for c in clusters if abs(_median(x.right for x in c) - seg.right) <= em), None)
            if home is None:
                clusters.append([seg])
            else:
                home.append(seg)
    kept = sorted((c for c in clusters if len(c) >= 2), key=lambda c: _median(x.right for x in c))
    amounts = [c for c in kept if sum(bool(_HAS_DECIMALS.search(x.text)) for x in c) * 2 > len(c)]
    if not amounts:
        return None
    amount = amounts[-1]
    rates = [c for c in kept if c is not amount and sum("%" in x.text for x in c) * 2 > len(c)]
    rest = [
        c
        for c in kept
        if c is not amount and c not in rates and _median(x.right for x in c) < _median(x.right for x in amount)
    ]
    roles: dict[int, str] = {id(amount): AMOUNT}
    if rates:
        roles[id(rates[-1])] = TAX_RATE
    best = (0, -1, -1)
    for i, q in enumerate(rest):
        for j, p in enumerate(rest):
            if i != j:
                held = _held(q, p, amount)
                if held > best[0]:
                    best = (held, i, j)
    if best[0] > 0:
        roles[id(rest[best[1]])], roles[id(rest[best[2]])] = QUANTITY, UNIT_PRICE
    numeric = [c for c in kept if id(c) in roles]
    first_numeric = min(min(x.left for x in c) for c in numeric)
    texts = [row.segments[0].left for _, row in candidates if not _numeric(row.segments[0].text)]
    texts += [seg.left for _, row in candidates for seg in row.segments[1:2] if _numeric(row.segments[0].text)]
    if not texts:
        return None
    description_left = int(_median(texts))
    columns = [_Column(DESCRIPTION, [], description_left, max(description_left + 1, int(first_numeric - em)))]
    for c in sorted(numeric, key=lambda c: _median(x.right for x in c)):
        columns.append(_Column(roles[id(c)], [], min(x.left for x in c), max(x.right for x in c)))
    start = candidates[0][0]
    table_left = min(c.left for c in columns)
    items, _ = _body(rows, start, columns, em, table_left)
    if len(items) < 2:
        return None
    table = _build(columns, items, number, header=False)
    checked = [arithmetic(*_figures_of(i)) for i in table.items]
    decided = [c for c in checked if c is not None]
    if decided and sum(decided) * 2 < len(decided):
        return None
    if not decided and len(items) < 3:
        return None
    return table


def _item_like(row: _Row) -> bool:
    """Text, then two or more figures, the last an amount with decimals."""
    numbers = [seg for seg in row.segments if _numeric(seg.text)]
    has_text = any(not _numeric(seg.text) and sum(c.isalpha() for c in seg.text) >= 3 for seg in row.segments)
    return has_text and len(numbers) >= 2 and bool(_HAS_DECIMALS.search(row.segments[-1].text)) and not _blocks(row)


def _held(quantity: Sequence[_Segment], price: Sequence[_Segment], amount: Sequence[_Segment]) -> int:
    """On how many rows the figures of these columns give quantity x price = amount."""
    by_row: dict[int, dict[str, _Segment]] = {}
    for role, column in ((QUANTITY, quantity), (UNIT_PRICE, price), (AMOUNT, amount)):
        for seg in column:
            by_row.setdefault(min(w.box.top for w in seg.words) // 8, {})[role] = seg
    held = 0
    for found in by_row.values():
        if len(found) == 3:
            q = read_quantity(found[QUANTITY].text)
            p = read_amount(found[UNIT_PRICE].text)
            a = read_amount(found[AMOUNT].text)
            held += arithmetic(q, p, a) is True
    return held


def _figures_of(item: LineItem) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    def number(text: str | None) -> Decimal | None:
        return Decimal(text) if text is not None else None

    return number(item.quantity), number(item.unit_price), number(item.amount)


# --- receipts: no header ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Candidate:
    row: _Row
    text: list[Word]
    numbers: list[_Segment]  # the figures before the amount
    amount: _Segment


def _receipt_table(rows: Sequence[_Row], em: float, number: int) -> Table:
    """Rows of the form "text ... amount" lined up at the right (see the module docstring)."""
    candidates: list[tuple[int, _Candidate]] = []
    for r, row in enumerate(rows):
        found = _receipt_row(row)
        if found is not None:
            candidates.append((r, found))
    groups: list[list[tuple[int, _Candidate]]] = []
    sub_lines: set[int] = set()  # rows set in under an item: its breakdown, not a quantity line of the next
    for r, cand in candidates:
        group = groups[-1] if groups else None
        if group is not None:
            last_r, last = group[-1]
            rights = [c.amount.right for _, c in group]
            aligned = abs(cand.amount.right - _median(rights)) <= 1.5 * em
            blocked = any(_blocks(rows[k]) for k in range(last_r + 1, r))
            joined = _close(last.row, cand.row, em) and not blocked
            if aligned and (joined or _sub_lines(rows, (last_r, last), (r, cand), em)):
                group.append((r, cand))
                if not joined:
                    sub_lines.update(range(last_r + 1, r))
                continue
        groups.append([(r, cand)])
    good = [g for g in groups if len(g) >= 2]
    if not good:
        return Table()
    chosen = max(good, key=lambda g: (len(g), -g[0][0]))
    columns = [_Column(DESCRIPTION, [], 0, 0), _Column(QUANTITY, [], 0, 0), _Column(UNIT_PRICE, [], 0, 0),
               _Column(AMOUNT, [], 0, 0)]  # fmt: skip
    items: list[_Item] = []
    for k, (r, cand) in enumerate(chosen):
        item = _Item(rows=[cand.row], description=list(cand.text))
        item.cells[0] = list(cand.text)
        item.cells[3] = list(cand.amount.words)
        if len(cand.numbers) >= 2:
            item.cells[1] = list(cand.numbers[-2].words)
            item.cells[2] = list(cand.numbers[-1].words)
        elif len(cand.numbers) == 1:
            only = cand.numbers[0]
            item.cells[2 if _HAS_DECIMALS.search(only.text) else 1] = list(only.words)
        source = list(cand.text)
        times = _TIMES.search(_text(source))
        above = rows[r - 1] if r > 0 and (k == 0 or chosen[k - 1][0] != r - 1) and r - 1 not in sub_lines else None
        if times is None and above is not None and _receipt_row(above) is None:
            source = list(above.words)
            times = _TIMES.search(above.text)  # "2 x 1,50" on the line above the item
        if times is not None and 1 not in item.cells:
            item.cells[1] = [_word_for(times.group(1), source)]
            item.cells[2] = [_word_for(times.group(2), source)]
        items.append(item)
    return _build(columns, items, number, header=False)


def _close(above: _Row, below: _Row, em: float) -> bool:
    return below.top - above.bottom <= 3 * max(em, above.height)


def _sub_lines(
    rows: Sequence[_Row], item: tuple[int, _Candidate], following: tuple[int, _Candidate], em: float
) -> bool:
    """Whether the rows between an item and the next are the first item's sub-lines: each set in from the items'
    text by half an em to six (a statement's breakdown of one service: "Charges", "Credits", "VAT" with their
    own figures, or a note), each close under the row above, and the next item's text starting where the
    item's does. A totals label among them then ends nothing."""
    (item_r, first), (next_r, second) = item, following
    between = rows[item_r + 1 : next_r]
    left = min(w.box.left for w in first.text)
    if not between or abs(min(w.box.left for w in second.text) - left) > em / 2:
        return False
    above = rows[item_r]
    for row in between:
        if not left + em / 2 <= row.words[0].box.left <= left + 6 * em or not _close(above, row, em):
            return False
        above = row
    return _close(above, second.row, em)


def _word_for(text: str, words: Sequence[Word]) -> Word:
    """The word holding `text` (a figure of a "2 x 1,50" run), or a stand-in spanning the words."""
    for w in words:
        if text in w.text:
            return Word(text, w.box, w.confidence, w.font_size)
    box: Box = union([w.box for w in words]) if words else Box(0, 0, 0, 0)
    return Word(text, box, _confidence(words) * 100, 0.0)


def _receipt_row(row: _Row) -> _Candidate | None:
    segments = list(row.segments)
    if len(segments) < 2:
        return None
    tail = segments[-1]
    if len(tail.words) >= 2 and len(tail.words[-1].text) <= 2 and not tail.words[-1].text.isdigit():
        tail = _Segment(tail.words[:-1])  # a tax class letter after the amount: "1,29 A"
    if sum(w.text not in _CURRENCY for w in tail.words) != 1:
        return None  # "12.30 Uhr", "2 x 1,50": not one amount
    if not _HAS_DECIMALS.search(tail.text) or read_amount(tail.text) is None or not _numeric(tail.text):
        return None
    if re.search(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}", tail.text):
        return None  # a date or a time
    text: list[Word] = []
    numbers: list[_Segment] = []
    for seg in segments[:-1]:
        if _numeric(seg.text) and not numbers and not text:
            text.extend(seg.words)  # an article number in front
        elif _numeric(seg.text):
            numbers.append(seg)
        else:
            if numbers:
                return None  # text after figures: a form's label and value, not an item
            text.extend(seg.words)
    letters = sum(c.isalpha() for w in text for c in w.text)
    if letters < 3:
        return None
    tokens = [w.text for w in text]
    if any(_key(t) in _NOT_ITEMS or _key(t) in _TOTALS or _key(t) in _CHARGES for t in tokens) or _totals_label(tokens):
        return None
    if any(t.rstrip(":").endswith(":") or t.endswith(":") for t in tokens[-1:]):
        return None  # "Rechnungsbetrag:" and the like: a label
    return _Candidate(row, text, numbers, tail)


def _blocks(row: _Row) -> bool:
    """A row between two item rows that ends the run: a totals label."""
    return _totals_label(row.text.split())
