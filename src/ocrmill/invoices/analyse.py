"""From one page's OCR to what the invoice API reports about it, and from pages to the job.

A page's analysis: fields (fields.extract_fields), its line-item table (table.find_table), the
arithmetic checks, a page type and a quality score. A job merges its pages: for every field the best
evidence (a person's correction, then an embedded e-invoice, then the surest OCR reading), line items
in page order, and the checks again over the merged result. Everything here works on the API's own
dictionaries too, since that is what the store keeps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ocrmill.domain.document import Box, Page, has_text, union
from ocrmill.invoices import formats
from ocrmill.invoices.checks import check_fields
from ocrmill.invoices.consensus import agreed, key, mended
from ocrmill.invoices.fields import extract_fields
from ocrmill.invoices.lexicon import mend_fields
from ocrmill.invoices.model import AMOUNT_FIELDS, Check, Field, LineItem, Symbol, Table, box_to_api
from ocrmill.invoices.paycodes import payment_fields
from ocrmill.invoices.ranker import RANKED, Model, load_model, ranked_fields
from ocrmill.invoices.table import find_table

KEY_FIELDS = ("invoiceNumber", "invoiceDate", "vendorName", "total")
DATE_FIELDS = ("invoiceDate", "dueDate")
# what a person may correct of a line item (model.LineItem.to_api's names)
ITEM_COLUMNS = ("description", "quantity", "unitPrice", "amount", "taxRate")
_ITEM_FIELD = re.compile(r"lineItems\[(\d{1,5})\]\.(\w+)")
# quality score: how sure the OCR is, how much of an invoice was found, and whether its sums agree
QUALITY_WEIGHTS = (0.5, 0.3, 0.2)


@dataclass
class PageAnalysis:
    fields: dict[str, Field]
    table: Table
    checks: list[Check]
    page_type: str
    quality: float
    confidence: float  # mean OCR word confidence, 0..1, weighted by word length


@dataclass
class JobAnalysis:
    fields: dict[str, dict[str, Any]]
    line_items: list[dict[str, Any]]
    checks: list[Check]
    quality: float
    agreement: dict[str, dict[str, Any]] = field(default_factory=dict)  # e-invoice vs OCR, per field


_SHIPPED = "shipped"  # the `model` of analyse_page and analyse_document: the one the package ships


def _resolved(model: Model | str | None) -> Model | None:
    return load_model() if model == _SHIPPED else model if isinstance(model, Model) else None


def analyse_page(
    page: Page,
    *,
    number: int,
    symbols: Sequence[Symbol] = (),
    alternates: Sequence[Page] = (),
    model: Model | str | None = _SHIPPED,
) -> PageAnalysis:
    """One page: its fields (from the words — of the surest reading, field by field, when the page was also
    read otherwise (`alternates`) — and from a payment QR code, which wins where it says the same thing),
    its line-item table, the checks over both, its type and quality. `model`: the ranker's (None: the rules
    alone; by default the one the package ships, if any)."""
    readings = [page, *alternates]
    fields = agreed([extract_fields(reading, number=number) for reading in readings])
    model = _resolved(model)
    if model is not None:  # the ranker decides the fields it was trained on; the rules keep the others
        fields = {n: f for n, f in fields.items() if n not in RANKED} | ranked_fields([readings], model)
    fields = mended(fields, readings)
    if model is not None:
        fields = mend_fields(fields, model.lexicon)
    for symbol in symbols:
        for name, found in payment_fields(symbol.value, box=symbol.box, page=number).items():
            if name not in fields or found.confidence >= fields[name].confidence:
                fields[name] = found
    table = find_table(page, number=number)
    checks = check_fields(fields, table.items, adjust=model is None)
    confidence = ocr_confidence(page)
    return PageAnalysis(
        fields=fields,
        table=table,
        checks=checks,
        page_type=guess_page_type(page, fields, table, number=number),
        quality=quality_score(confidence, fields, checks),
        confidence=confidence,
    )


def analyse_document(
    pages: list[Page], alternates: Sequence[Sequence[Page]] = (), *, model: Model | str | None = _SHIPPED
) -> JobAnalysis:
    """A whole document's result from its OCR pages (and their other readings, when they have some), as the
    server makes a job's (bench.invoices measures this): each page analysed, then merged."""
    ranker = _resolved(model)
    others = list(alternates) or [()] * len(pages)
    analyses = [
        analyse_page(page, number=page.number, alternates=other, model=ranker)
        for page, other in zip(pages, others, strict=True)
    ]
    return merge_job(
        [
            (page.number, {n: f.to_api() for n, f in a.fields.items()}, [i.to_api() for i in a.table.items])
            for page, a in zip(pages, analyses, strict=True)
        ],
        ocr_confidence_mean=sum(a.confidence for a in analyses) / len(analyses) if analyses else 0.0,
        calibrated=ranker is not None,
    )


def ocr_confidence(page: Page) -> float:
    words = page.words()
    weight = sum(len(w.text) for w in words)
    if not weight:
        return 0.0
    return sum(w.confidence * len(w.text) for w in words) / weight / 100


def quality_score(confidence: float, fields: Mapping[str, object], checks: list[Check]) -> float:
    """0..1: half the OCR confidence, 30% the share of the key fields found, 20% the share of checks passed
    (the OCR confidence stands in when nothing could be checked)."""
    found = sum(1 for name in KEY_FIELDS if name in fields) / len(KEY_FIELDS)
    passed = sum(c.passed for c in checks) / len(checks) if checks else confidence
    ocr, coverage, arithmetic = QUALITY_WEIGHTS
    return round(min(1.0, max(0.0, ocr * confidence + coverage * found + arithmetic * passed)), 4)


def guess_page_type(page: Page, fields: dict[str, Field], table: Table, *, number: int) -> str:
    """cover | header | content | summary | attachment, from what the page holds."""
    words = [w for w in page.words() if has_text(w)]
    if len(words) < 20:
        return "cover" if number == 1 else "attachment"
    if table.items:
        return "content"
    totals = any(name in fields for name in ("total", "amountDue", "subtotal", "taxAmount"))
    heading = any(name in fields for name in ("invoiceNumber", "invoiceDate", "vendorName", "customerName"))
    if totals:
        return "summary"
    if heading:
        return "header"
    return "attachment" if number > 1 else "content"


# -- corrections -------------------------------------------------------------------------------------------


def normalise(name: str, value: str) -> str:
    """A person's value in the normalised form of its field (model.py's conventions); the text itself
    when it does not parse, so a correction is never refused for its format."""
    text = " ".join(value.split())
    if name in AMOUNT_FIELDS:
        amount = formats.parse_amount(text)
        return formats.amount_str(amount) if amount is not None else text
    if name == "taxRate":
        rate = formats.parse_amount(text.replace("%", ""))
        return f"{rate:.2f}" if rate is not None else text
    if name in DATE_FIELDS:
        return formats.parse_date(text) or text
    if name == "currency":
        return formats.parse_currency(text) or text.upper()
    if name == "iban":
        return formats.parse_iban(text) or text.replace(" ", "").upper()
    if name == "bic":
        return formats.parse_bic(text) or text.replace(" ", "").upper()
    if name == "vendorTaxId":
        return formats.parse_vat_id(text, checked=False) or formats.compact_id(text)
    return text


def apply_corrections(
    engine: dict[str, dict[str, Any]], annotations: list[dict[str, Any]], *, page: int
) -> dict[str, dict[str, Any]]:
    """The page's fields: the engine's, with each correction annotation (the latest per field) on top.
    A corrected field keeps what the engine said under `original`; removing the annotation restores it."""
    fields = {name: dict(value) for name, value in engine.items()}
    for note in sorted((a for a in annotations if a.get("type") == "correction"), key=lambda a: a["createdAt"]):
        name = note.get("field") or field_at(engine, note.get("coordinates"))
        if not name or item_target(name):
            continue
        before = engine.get(name)
        fields[name] = {
            "value": note["text"],
            "normalized": normalise(name, note["text"]),
            "confidence": 1.0,
            "boundingBox": note.get("coordinates") or (before or {}).get("boundingBox"),
            "pageNumber": page,
            "source": "correction",
            "correctedBy": note.get("createdBy", ""),
            "correctedAt": note["createdAt"],
            "original": before,
        }
    return fields


def item_target(name: str) -> tuple[int, str] | None:
    """(index, column) of a line-item correction's `field`: "lineItems[2].amount" is the amount of the page's
    third line item (0-based, in the order the engine lists the page's items); None for anything else."""
    match = _ITEM_FIELD.fullmatch(name)
    return (int(match[1]), match[2]) if match and match[2] in ITEM_COLUMNS else None


def normalise_item(column: str, value: str) -> str | None:
    """A person's value for a line item's column in the items' normalised form (model.py's conventions);
    None when it is empty (the item has no such value). Unlike a field's, a number must parse: an item keeps
    only the normalised value, which the arithmetic checks read (ValueError names what is wrong)."""
    text = " ".join(value.split())
    if column == "description":
        return text
    if not text:
        return None
    number = formats.parse_amount(text.replace("%", "") if column == "taxRate" else text)
    if number is None:
        raise ValueError(f"{value!r} is not a {'quantity' if column == 'quantity' else 'number'}")
    if column == "quantity":
        return formats.quantity_str(number)
    return f"{number:.2f}" if column == "taxRate" else formats.amount_str(number)


def apply_item_corrections(engine: list[dict[str, Any]], annotations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's line items: the engine's, with each line-item correction (the latest per item and column) on
    top. A corrected item keeps the engine's item under `original` and names its corrected columns; removing
    the annotations restores it. A correction of an item the engine's reading no longer has is left out."""
    items = [dict(item) for item in engine]
    for note in sorted((a for a in annotations if a.get("type") == "correction"), key=lambda a: a["createdAt"]):
        target = item_target(str(note.get("field") or ""))
        if target is None or target[0] >= len(items):
            continue
        index, column = target
        try:
            value = normalise_item(column, str(note.get("text", "")))
        except ValueError:  # refused when posted; kept out should one have been stored before
            continue
        item = items[index]
        item[column] = value
        item["source"] = "correction"
        item["correctedColumns"] = sorted({*item.get("correctedColumns", []), column}, key=ITEM_COLUMNS.index)
        item["correctedBy"] = note.get("createdBy", "")
        item["correctedAt"] = note["createdAt"]
        item["original"] = engine[index]
    return items


def field_at(engine: dict[str, dict[str, Any]], where: dict[str, Any] | None) -> str | None:
    """The field whose box overlaps `where` most (a correction drawn over a value names no field)."""
    if not where:
        return None
    target = _box(where)
    best, best_overlap = None, 0.0
    for name, value in engine.items():
        if not value.get("boundingBox"):
            continue
        overlap = _iou(target, _box(value["boundingBox"]))
        if overlap > best_overlap:
            best, best_overlap = name, overlap
    return best


def _box(api: dict[str, Any]) -> Box:
    x, y = int(api["x"]), int(api["y"])
    return Box(x, y, x + int(api["width"]), y + int(api["height"]))


def _shared_area(a: Box, b: Box) -> int:
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    return width * height if width > 0 and height > 0 else 0


def _iou(a: Box, b: Box) -> float:
    inter = _shared_area(a, b)
    return inter / (a.width * a.height + b.width * b.height - inter) if inter else 0.0


# -- the job -----------------------------------------------------------------------------------------------

_RANK = {"correction": 3}  # then an e-invoice (2), then OCR (1)


def _rank(value: dict[str, Any]) -> tuple[int, float]:
    source = str(value.get("source", "ocr"))
    return _RANK.get(source, 1 if source == "ocr" else 2), float(value.get("confidence", 0))


def merge_job(
    pages: list[tuple[int, dict[str, dict[str, Any]], list[dict[str, Any]]]],
    *,
    einvoice: dict[str, dict[str, Any]] | None = None,
    einvoice_items: list[dict[str, Any]] | None = None,
    ocr_confidence_mean: float = 0.0,
    calibrated: bool | None = None,
) -> JobAnalysis:
    """pages: (page number, its fields as the API shows them, its line items as the API shows them), both with
    a person's corrections applied (apply_corrections, apply_item_corrections): the job reports the corrected
    items, and its checks add up the corrected amounts. `calibrated`: whether the OCR fields' confidences are
    the ranker's calibrated probabilities, which the checks leave alone (by default: whether the package ships a
    ranker)."""
    merged: dict[str, dict[str, Any]] = {}
    ocr_best: dict[str, dict[str, Any]] = {}
    for _number, fields, _items in sorted(pages, key=lambda p: p[0]):
        for name, value in fields.items():
            if name not in merged or (
                _rank(value) > _rank(merged[name]) and not _heading_held(name, merged[name], value)
            ):
                merged[name] = value
            if value.get("source", "ocr") == "ocr" and (
                name not in ocr_best or value["confidence"] > ocr_best[name]["confidence"]
            ):
                ocr_best[name] = value
    agreement: dict[str, dict[str, Any]] = {}
    for name, value in (einvoice or {}).items():
        if name not in merged or _rank(value) > _rank(merged[name]):
            merged[name] = value
        seen = ocr_best.get(name)
        agreement[name] = {
            "xml": value["normalized"],
            "ocr": seen["normalized"] if seen else None,
            "agrees": bool(seen) and _same(name, value["normalized"], seen["normalized"] if seen else ""),
        }
    items = [item for _n, _f, page_items in sorted(pages, key=lambda p: p[0]) for item in page_items]
    if einvoice_items and not items:
        items = einvoice_items
    field_objects = {name: field_from_api(name, value) for name, value in merged.items()}
    if calibrated is None:
        calibrated = load_model() is not None
    checks = check_fields(field_objects, [_item(i) for i in items], adjust=not calibrated)
    for name, value in merged.items():  # checks adjust OCR confidences only; a correction or the XML is sure
        if value.get("source", "ocr") == "ocr":
            merged[name] = value | {"confidence": round(field_objects[name].confidence, 4)}
    for name, derived in field_objects.items():
        if name not in merged:  # filled by a check from the arithmetic
            merged[name] = derived.to_api()
    return JobAnalysis(
        fields=merged,
        line_items=items,
        checks=checks,
        quality=quality_score(ocr_confidence_mean, merged, checks),
        agreement=agreement,
    )


# What an invoice states once, at its head: the first page that reads one of these has it (a later page's
# date is a due date, a delivery date or a page's print date more often than the invoice's own date).
HEADING_FIELDS = ("invoiceNumber", "invoiceDate", "vendorName", "vendorAddress", "customerName")


def _heading_held(name: str, held: dict[str, Any], later: dict[str, Any]) -> bool:
    """Whether an earlier page's OCR value of a heading field keeps it against a later page's OCR value."""
    return name in HEADING_FIELDS and held.get("source", "ocr") == "ocr" and later.get("source", "ocr") == "ocr"


def _same(name: str, xml: str, ocr: str) -> bool:
    if name in ("vendorName", "customerName", "vendorAddress", "customerAddress", "paymentTerms"):
        return key(xml) == key(ocr)
    return xml == ocr


def field_from_api(name: str, api: dict[str, Any]) -> Field:
    box = api.get("boundingBox")
    return Field(
        name=name,
        value=str(api.get("value", "")),
        normalized=str(api.get("normalized", "")),
        confidence=float(api.get("confidence", 0)),
        box=_box(box) if box else None,
        page=int(api.get("pageNumber", 1)),
        source=str(api.get("source", "ocr")),
    )


def _item(api: dict[str, Any]) -> LineItem:
    return LineItem(
        description=str(api.get("description", "")),
        quantity=api.get("quantity"),
        unit_price=api.get("unitPrice"),
        amount=api.get("amount"),
        tax_rate=api.get("taxRate"),
        confidence=float(api.get("confidence", 0)),
        page=int(api.get("pageNumber", 1)),
        row=int(api.get("rowIndex", 0)),
    )


def blocks_api(page: Page, table: Table, symbols: Sequence[Symbol] = ()) -> list[dict[str, Any]]:
    """ocrResults.blocks: Tesseract's blocks with their text and confidence (a block inside the line-item table
    is a "table" block), then the barcodes read on the page ("barcode" blocks, their decoded text)."""
    out: list[dict[str, Any]] = []
    table_box = union([c.box for c in table.cells]) if table.cells else None
    for block in page.blocks:
        words = [w for p in block.paragraphs for ln in p.lines for w in ln.words]
        if not words:
            continue
        text = "\n".join(ln.text() for p in block.paragraphs for ln in p.lines)
        inside = table_box is not None and _iou_of_inside(block.box, table_box) > 0.6
        out.append(
            {
                "text": text,
                "confidence": round(sum(w.confidence for w in words) / len(words) / 100, 4),
                "boundingBox": box_to_api(block.box),
                "blockType": "table" if block.kind == "table" or inside else "text",
            }
        )
    for symbol in symbols:
        out.append(
            {
                "text": symbol.value,
                "confidence": 1.0,
                "boundingBox": box_to_api(symbol.box),
                "blockType": "barcode",
                "barcodeType": symbol.kind,
            }
        )
    return out


def _iou_of_inside(inner: Box, outer: Box) -> float:
    """How much of `inner` lies inside `outer` (0..1)."""
    inter = _shared_area(inner, outer)
    return inter / (inner.width * inner.height) if inter else 0.0
