"""Arithmetic checks over the extracted fields and line items; each one moves the confidence of its fields.

- lineItemsSum: the line items' amounts add up to the subtotal (net prices) or to the total (prices with their
  tax, as shops print them); with neither, it fails against the subtotal (or, without one, the total);
- subtotalPlusTax: subtotal + taxAmount = total;
- taxRate: subtotal x taxRate = taxAmount;
- totalVsAmountDue: the amount due is the total (a prepayment makes it smaller, never larger).
A check that holds raises the confidence of its fields (halfway to 1), one that fails lowers it (by a
quarter), unless the confidences are the ranker's calibrated probabilities (`adjust=False`: the ranker weighed
the page's arithmetic already, and moving them would undo the calibration). When the arithmetic settles a
missing amount for certain (two of subtotal, taxAmount and total known and a third missing), it is filled in
with the label "derived" and a confidence below its sources'.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ocrmill.invoices.formats import amount_str, parse_amount
from ocrmill.invoices.model import Check, Field, LineItem

TOLERANCE = Decimal("0.02")  # rounding: each of two rounded amounts may be off by half a cent
RATE_TOLERANCE = Decimal("0.01")  # relative, for subtotal x rate against the tax
RAISE = 0.5  # a passed check closes this share of the gap to 1
LOWER = 0.75  # a failed check multiplies the confidence by this
DERIVED = 0.8  # a derived field's confidence: this times the lowest of its sources'


def check_fields(fields: dict[str, Field], items: list[LineItem], *, adjust: bool = True) -> list[Check]:
    """Run the checks that the present fields allow, adjust confidences in place (with `adjust`), fill what is
    certain, and return the checks in the order run."""
    checks: list[Check] = []
    moved = fields if adjust else {}
    _derive(fields)
    amounts = {name: _amount(fields, name) for name in ("subtotal", "taxAmount", "total", "amountDue")}
    sub, tax, total, due = amounts["subtotal"], amounts["taxAmount"], amounts["total"], amounts["amountDue"]
    item_amounts = [parse_amount(i.amount) for i in items if i.amount is not None]
    if item_amounts and all(a is not None for a in item_amounts):
        found = sum((a for a in item_amounts if a is not None), Decimal(0))
        tolerance = TOLERANCE * len(item_amounts)
        targets = [(name, value) for name, value in (("subtotal", sub), ("total", total)) if value is not None]
        if targets:  # the one the items add up to, else the subtotal's (net) failure
            target, expected = next(((n, v) for n, v in targets if abs(v - found) <= tolerance), targets[0])
            checks.append(_check("lineItemsSum", expected, found, (target,), moved, tolerance))
    if sub is not None and tax is not None and total is not None:
        checks.append(_check("subtotalPlusTax", total, sub + tax, ("subtotal", "taxAmount", "total"), moved))
    rate = _amount(fields, "taxRate")
    if sub is not None and tax is not None and rate is not None:
        computed = (sub * rate / 100).quantize(Decimal("0.01"))
        tolerance = max(TOLERANCE, abs(tax) * RATE_TOLERANCE)
        checks.append(_check("taxRate", tax, computed, ("subtotal", "taxRate", "taxAmount"), moved, tolerance))
    if total is not None and due is not None:
        passed = Decimal(0) <= due <= total + TOLERANCE if total >= 0 else due == total
        check = Check("totalVsAmountDue", passed, amount_str(total), amount_str(due), ("total", "amountDue"))
        _apply(check, moved)
        checks.append(check)
    return checks


def _amount(fields: dict[str, Field], name: str) -> Decimal | None:
    found = fields.get(name)
    return parse_amount(found.normalized) if found is not None else None


def _check(
    name: str,
    expected: Decimal,
    found: Decimal,
    involved: tuple[str, ...],
    fields: dict[str, Field],
    tolerance: Decimal = TOLERANCE,
) -> Check:
    check = Check(name, abs(expected - found) <= tolerance, amount_str(expected), amount_str(found), involved)
    _apply(check, fields)
    return check


def _apply(check: Check, fields: dict[str, Field]) -> None:
    for name in check.fields:
        found = fields.get(name)
        if found is None or found.label == "derived":
            continue
        if check.passed:
            found.confidence = round(found.confidence + (1 - found.confidence) * RAISE, 4)
        else:
            found.confidence = round(found.confidence * LOWER, 4)


def _derive(fields: dict[str, Field]) -> None:
    """Fill the one missing amount of subtotal + taxAmount = total."""
    sub, tax, total = (_amount(fields, n) for n in ("subtotal", "taxAmount", "total"))
    known = [n for n, v in (("subtotal", sub), ("taxAmount", tax), ("total", total)) if v is not None]
    if len(known) != 2:
        return
    if total is None and sub is not None and tax is not None:
        name, value = "total", sub + tax
    elif sub is None and total is not None and tax is not None:
        name, value = "subtotal", total - tax
    elif tax is None and total is not None and sub is not None:
        name, value = "taxAmount", total - sub
    else:
        return
    if name != "total" and (value < 0 or (total is not None and total > 0 and value > total)):
        return
    sources = [fields[n] for n in known]
    fields[name] = replace(
        sources[0],
        name=name,
        value=amount_str(value),
        normalized=amount_str(value),
        confidence=round(DERIVED * min(f.confidence for f in sources), 4),
        box=None,
        label="derived",
    )
