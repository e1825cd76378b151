"""A person's corrections of line items: the annotation's `field` ("lineItems[1].amount"), its value normalised,
applied on top of the engine's items (which stay under `original`), the job's checks over the corrected
amounts, and the refusals (an unknown column, an item the page does not have, a number that is none)."""

from __future__ import annotations

from typing import Any

import pytest

from ocrmill.errors import Unprocessable
from ocrmill.invoices.analyse import apply_corrections, apply_item_corrections, item_target, merge_job, normalise_item
from ocrmill.service.invoices.jobs import check_item_corrections
from ocrmill.service.invoices.schema import PageIn, validated

JOB = "0123456789abcdef01234567"
ENGINE: list[dict[str, Any]] = [
    {"description": "Memory card", "quantity": "1", "unitPrice": "278.61", "amount": "319.00", "taxRate": "14.50"},
    {"description": "", "quantity": "1", "unitPrice": "278.61", "amount": "319.00", "taxRate": None},
]


def note(field: str, text: str, at: str = "2024-03-01T10:00:00Z", by: str = "carl") -> dict[str, Any]:
    return {"type": "correction", "field": field, "text": text, "createdBy": by, "createdAt": at}


def page(*notes: dict[str, Any]) -> PageIn:
    return validated(PageIn, {"job": JOB, "pageNumber": 1, "pageUrl": "data:,", "annotations": list(notes)})


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("lineItems[0].amount", (0, "amount")),
        ("lineItems[12].unitPrice", (12, "unitPrice")),
        ("lineItems[1].description", (1, "description")),
        ("lineItems[1].price", None),
        ("lineItems[-1].amount", None),
        ("lineItems[1]", None),
        ("total", None),
    ],
)
def test_a_line_items_field_names_its_index_and_column(name: str, target: tuple[int, str] | None) -> None:
    assert item_target(name) == target


@pytest.mark.parametrize(
    ("column", "text", "normalised"),
    [
        ("amount", "1.234,50 €", "1234.50"),
        ("amount", "$12", "12.00"),
        ("amount", "(3.10)", "-3.10"),
        ("unitPrice", "0,5", "0.50"),
        ("quantity", "2.000", "2000"),
        ("quantity", "1,50", "1.5"),
        ("taxRate", "19 %", "19.00"),
        ("description", "  Memory \n card ", "Memory card"),
        ("description", "", ""),
        ("amount", "  ", None),
    ],
)
def test_an_items_value_is_normalised_as_its_column_is(column: str, text: str, normalised: str | None) -> None:
    assert normalise_item(column, text) == normalised


@pytest.mark.parametrize("column", ["amount", "unitPrice", "quantity", "taxRate"])
def test_a_number_that_is_none_is_refused(column: str) -> None:
    with pytest.raises(ValueError, match="'twelve' is not a"):
        normalise_item(column, "twelve")


def test_a_correction_replaces_the_engines_value_and_keeps_the_original() -> None:
    items = apply_item_corrections(ENGINE, [note("lineItems[1].amount", "0"), note("total", "5.00")])
    assert items[0] == ENGINE[0], "the other items are the engine's"
    second = items[1]
    assert (second["amount"], second["unitPrice"], second["description"]) == ("0.00", "278.61", "")
    assert (second["source"], second["correctedColumns"]) == ("correction", ["amount"])
    assert (second["correctedBy"], second["correctedAt"]) == ("carl", "2024-03-01T10:00:00Z")
    assert second["original"] == ENGINE[1]
    assert ENGINE[1]["amount"] == "319.00", "the engine's items are not changed in place"
    assert apply_item_corrections(ENGINE, []) == ENGINE, "without the annotation: the engine's value again"


def test_the_latest_correction_of_a_column_wins_and_columns_add_up() -> None:
    notes = [
        note("lineItems[0].amount", "2.00", at="2024-03-01T10:05:00Z"),
        note("lineItems[0].amount", "1.00", at="2024-03-01T10:00:00Z"),
        note("lineItems[0].quantity", "3", at="2024-03-01T10:01:00Z", by="dora"),
    ]
    (item, _) = apply_item_corrections(ENGINE, notes)
    assert (item["amount"], item["quantity"]) == ("2.00", "3")
    assert item["correctedColumns"] == ["quantity", "amount"]
    assert item["correctedAt"] == "2024-03-01T10:05:00Z" and item["original"] == ENGINE[0]


def test_corrections_of_items_the_engine_no_longer_lists_or_other_annotations_are_left_out() -> None:
    notes = [
        note("lineItems[5].amount", "1.00"),
        {"type": "comment", "field": "lineItems[0].amount", "text": "1.00", "createdAt": "2024-03-01T10:00:00Z"},
        note("lineItems[0].amount", "not a number"),
    ]
    assert apply_item_corrections(ENGINE, notes) == ENGINE


def test_a_line_item_correction_is_not_a_field() -> None:
    engine = {"total": {"value": "319.00", "normalized": "319.00", "confidence": 0.9, "boundingBox": None}}
    assert apply_corrections(engine, [note("lineItems[0].amount", "1.00")], page=1) == engine


def test_the_job_reports_the_corrected_items_and_checks_their_sum() -> None:
    total = {"value": "319.00", "normalized": "319.00", "confidence": 0.9, "boundingBox": None, "pageNumber": 1}
    engine_only = merge_job([(1, {"total": total}, ENGINE)])
    assert [(c.name, c.passed, c.expected, c.found) for c in engine_only.checks] == [
        ("lineItemsSum", False, "319.00", "638.00")
    ]
    corrected = merge_job([(1, {"total": total}, apply_item_corrections(ENGINE, [note("lineItems[1].amount", "0")]))])
    assert [(c.name, c.passed, c.expected, c.found) for c in corrected.checks] == [
        ("lineItemsSum", True, "319.00", "319.00")
    ]
    assert corrected.line_items[1]["amount"] == "0.00" and corrected.line_items[1]["original"]["amount"] == "319.00"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("lineItems[0].price", "'lineItems[0].price' is not a line item's column: lineItems[N].description|quantity"),
        ("lineItems.0.amount", "not a line item's column"),
        ("colour", "'colour' is not a field: invoiceNumber"),
    ],
)
def test_an_unknown_field_or_column_is_refused_naming_it(field: str, message: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        page(note(field, "1"))
    assert refused.value.name == "annotations.0.field" and message in refused.value.message


def test_a_correction_must_name_an_item_of_the_page() -> None:
    spec = page(note("total", "1.00"), note("lineItems[1].amount", "0"), note("lineItems[2].amount", "1"))
    with pytest.raises(Unprocessable) as refused:
        check_item_corrections(spec, engine_items=ENGINE, stored=[])
    assert refused.value.name == "annotations.2.field"
    assert refused.value.message.endswith("lineItems[2].amount: page 1 has 2 line items (lineItems[0] to lineItems[1])")
    with pytest.raises(Unprocessable, match="page 1 has no line items"):
        check_item_corrections(page(note("lineItems[0].amount", "1")), engine_items=[], stored=[])
    # posted back as the page has it: kept, although the engine's new reading lists fewer items
    stored = [note("lineItems[1].amount", "0"), note("lineItems[2].amount", "1")]
    check_item_corrections(spec, engine_items=ENGINE[:1], stored=stored)


def test_a_correction_whose_number_is_none_is_refused() -> None:
    with pytest.raises(Unprocessable) as refused:
        check_item_corrections(page(note("lineItems[0].quantity", "a few")), engine_items=ENGINE, stored=[])
    assert refused.value.name == "annotations.0.text"
    assert refused.value.message == "annotations.0.text: lineItems[0].quantity: 'a few' is not a quantity"
