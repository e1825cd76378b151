"""Arithmetic checks: they raise or lower the confidence of their fields, and fill what is certain."""

from __future__ import annotations

from ocrmill.domain.document import Box
from ocrmill.invoices.checks import check_fields
from ocrmill.invoices.model import Field, LineItem


def amount(name: str, value: str, confidence: float = 0.8) -> Field:
    return Field(name, value, value, confidence, Box(0, 0, 10, 10), 1)


def fields(**values: str) -> dict[str, Field]:
    return {name: amount(name, value) for name, value in values.items()}


def test_subtotal_plus_tax_passes_and_raises_confidence() -> None:
    found = fields(subtotal="473.00", taxAmount="56.87", total="529.87")
    checks = check_fields(found, [])
    assert [(c.name, c.passed) for c in checks] == [("subtotalPlusTax", True)]
    assert all(f.confidence > 0.8 for f in found.values())


def test_subtotal_plus_tax_fails_and_lowers_confidence() -> None:
    found = fields(subtotal="473.00", taxAmount="56.87", total="592.87")
    (check,) = check_fields(found, [])
    assert not check.passed
    assert check.expected == "592.87" and check.found == "529.87"
    assert all(f.confidence < 0.8 for f in found.values())


def test_rounding_tolerance() -> None:
    (check,) = check_fields(fields(subtotal="10.00", taxAmount="1.91", total="11.92"), [])
    assert check.passed


def test_tax_rate() -> None:
    found = fields(subtotal="100.00", taxAmount="19.00", total="119.00", taxRate="19.00")
    checks = {c.name: c.passed for c in check_fields(found, [])}
    assert checks == {"subtotalPlusTax": True, "taxRate": True}
    wrong = fields(subtotal="100.00", taxAmount="19.00", taxRate="7.00")
    assert {c.name: c.passed for c in check_fields(wrong, [])}["taxRate"] is False


def test_line_items_sum_to_subtotal() -> None:
    items = [LineItem("a", amount="198.00"), LineItem("b", amount="275.00")]
    (check,) = check_fields(fields(subtotal="473.00"), items)
    assert check.name == "lineItemsSum" and check.passed
    (check,) = check_fields(fields(subtotal="483.00"), items)
    assert not check.passed


def test_line_items_with_their_tax_sum_to_the_total() -> None:
    """Shops print prices with their tax: the items then add up to the total, not to the net subtotal."""
    items = [LineItem("a", amount="319.00")]
    check = check_fields(fields(subtotal="278.61", taxAmount="40.39", total="319.00"), items)[0]
    assert (check.name, check.passed, check.expected, check.fields) == ("lineItemsSum", True, "319.00", ("total",))
    (check, _) = check_fields(fields(subtotal="278.61", total="319.00"), [*items, LineItem("b", amount="319.00")])
    assert (check.passed, check.expected, check.fields) == (False, "278.61", ("subtotal",))  # neither: the net one


def test_amount_due_may_be_less_than_total_never_more() -> None:
    (check,) = check_fields(fields(total="197.65", amountDue="147.65"), [])
    assert check.name == "totalVsAmountDue" and check.passed
    (check,) = check_fields(fields(total="197.65", amountDue="247.65"), [])
    assert not check.passed


def test_missing_total_is_derived() -> None:
    found = fields(subtotal="22.00", taxAmount="1.54")
    checks = check_fields(found, [])
    assert found["total"].normalized == "23.54"
    assert found["total"].label == "derived" and found["total"].box is None
    assert found["total"].confidence < min(found["subtotal"].confidence, found["taxAmount"].confidence)
    assert [c.name for c in checks] == ["subtotalPlusTax"]


def test_missing_subtotal_is_derived_only_when_sensible() -> None:
    found = fields(total="119.00", taxAmount="19.00")
    check_fields(found, [])
    assert found["subtotal"].normalized == "100.00"
    odd = fields(total="10.00", taxAmount="19.00")  # a tax above the total: something was misread
    check_fields(odd, [])
    assert "subtotal" not in odd
