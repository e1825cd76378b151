"""A job's result from its pages: the best evidence per field, corrections on top, the e-invoice compared."""

from __future__ import annotations

from typing import Any

from ocrmill.invoices.analyse import (
    analyse_page,
    apply_corrections,
    field_at,
    merge_job,
    normalise,
    quality_score,
)
from tests.documents import hand_page

PageResult = tuple[int, dict[str, Any], list[dict[str, Any]]]
T1, T2 = "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"


def api(value: str, confidence: float, *, source: str = "ocr", page: int = 1, box: Any = None) -> dict[str, Any]:
    return {
        "value": value,
        "normalized": value,
        "confidence": confidence,
        "boundingBox": box,
        "pageNumber": page,
        "source": source,
    }


def test_the_surest_ocr_reading_wins_across_pages() -> None:
    merged = merge_job([(1, {"iban": api("A1", 0.4)}, []), (2, {"iban": api("B2", 0.9, page=2)}, [])])
    assert merged.fields["iban"]["value"] == "B2"


def test_a_correction_beats_the_einvoice_which_beats_ocr() -> None:
    pages: list[tuple[int, dict[str, Any], list[dict[str, Any]]]] = [
        (1, {"invoiceNumber": api("OCR", 0.99), "total": api("10.00", 0.99)}, [])
    ]
    xml = {"invoiceNumber": api("XML", 1.0, source="zugferd"), "total": api("10.00", 1.0, source="zugferd")}
    merged = merge_job(pages, einvoice=xml)
    assert merged.fields["invoiceNumber"]["value"] == "XML"
    assert merged.agreement["invoiceNumber"] == {"xml": "XML", "ocr": "OCR", "agrees": False}
    assert merged.agreement["total"]["agrees"] is True
    corrected: list[tuple[int, dict[str, Any], list[dict[str, Any]]]] = [
        (1, {"invoiceNumber": api("MINE", 1.0, source="correction")}, [])
    ]
    assert merge_job(corrected, einvoice=xml).fields["invoiceNumber"]["value"] == "MINE"


def test_checks_raise_ocr_confidence_when_the_sums_agree_and_lower_it_when_not() -> None:
    good = {"subtotal": api("100.00", 0.6), "taxAmount": api("19.00", 0.6), "total": api("119.00", 0.6)}
    bad = good | {"total": api("120.00", 0.6)}
    raised = merge_job([(1, good, [])], calibrated=False).fields["total"]["confidence"]
    lowered = merge_job([(1, bad, [])], calibrated=False).fields["total"]["confidence"]
    assert raised > 0.6 > lowered


def test_checks_leave_the_rankers_calibrated_confidences_alone() -> None:
    good = {"subtotal": api("100.00", 0.6), "taxAmount": api("19.00", 0.6), "total": api("119.00", 0.6)}
    bad = good | {"total": api("120.00", 0.6)}
    for fields, passed in ((good, True), (bad, False)):
        job = merge_job([(1, fields, [])], calibrated=True)
        assert job.fields["total"]["confidence"] == 0.6
        assert {c.name: c.passed for c in job.checks}["subtotalPlusTax"] is passed


def test_line_items_come_in_page_order() -> None:
    items = merge_job([(2, {}, [{"description": "b", "amount": "2.00"}]), (1, {}, [{"description": "a"}])])
    assert [i["description"] for i in items.line_items] == ["a", "b"]


def test_corrections_apply_by_field_or_by_box_and_keep_the_original() -> None:
    box = {"x": 100, "y": 100, "width": 200, "height": 40}
    engine = {"total": api("1O.00", 0.5, box=box), "invoiceNumber": api("X1", 0.9, box={**box, "y": 500})}
    notes: list[dict[str, Any]] = [
        {
            "type": "correction",
            "text": "10,00",
            "field": "total",
            "createdBy": "ann",
            "createdAt": "2026-01-01T00:00:00.000Z",
        },
        {"type": "correction", "text": "X7", "coordinates": {**box, "y": 505}, "createdAt": T2},
        {"type": "comment", "text": "ignored", "field": "total", "createdAt": "2026-01-03T00:00:00.000Z"},
    ]
    fields = apply_corrections(engine, notes, page=1)
    assert fields["total"]["normalized"] == "10.00" and fields["total"]["source"] == "correction"
    assert fields["total"]["original"]["value"] == "1O.00" and fields["total"]["correctedBy"] == "ann"
    assert fields["invoiceNumber"]["value"] == "X7"
    assert apply_corrections(engine, [], page=1)["total"]["value"] == "1O.00"  # removed: the engine's again


def test_the_latest_correction_of_a_field_wins() -> None:
    notes: list[dict[str, Any]] = [
        {"type": "correction", "text": "B", "field": "invoiceNumber", "createdAt": "2026-01-02T00:00:00.000Z"},
        {"type": "correction", "text": "A", "field": "invoiceNumber", "createdAt": "2026-01-01T00:00:00.000Z"},
    ]
    assert apply_corrections({}, notes, page=1)["invoiceNumber"]["value"] == "B"


def test_field_at_needs_an_overlap() -> None:
    engine = {"total": api("1", 1, box={"x": 0, "y": 0, "width": 10, "height": 10})}
    assert field_at(engine, {"x": 100, "y": 100, "width": 5, "height": 5}) is None
    assert field_at(engine, {"x": 2, "y": 2, "width": 10, "height": 10}) == "total"


def test_normalise_follows_each_fields_convention() -> None:
    assert normalise("total", "1.234,5") == "1234.50"
    assert normalise("invoiceDate", "5. März 2018") == "2018-03-05"
    assert normalise("taxRate", "19 %") == "19.00"
    assert normalise("iban", "de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert normalise("total", "n/a") == "n/a"  # a person's text is never refused


def test_quality_score_weights() -> None:
    assert quality_score(1.0, {"invoiceNumber": 1, "invoiceDate": 1, "vendorName": 1, "total": 1}, []) == 1.0
    assert quality_score(0.0, {}, []) == 0.0
    assert 0.45 < quality_score(0.9, {}, []) < 0.65


def test_a_second_reading_gives_the_fields_it_reads_surer() -> None:
    first = hand_page([["Total 1O.0O"], ["Invoice No: 4711"]])
    second = hand_page([["Total 10.00"], ["Invoice No: 4711"]])
    alone = analyse_page(first, number=1)
    both = analyse_page(first, number=1, alternates=[second])
    assert "total" not in alone.fields or alone.fields["total"].normalized != "10.00"
    assert both.fields["total"].normalized == "10.00"
    assert both.fields["invoiceNumber"].normalized == "4711"


def test_a_heading_field_is_the_first_pages_and_a_correction_still_wins() -> None:
    first = {"invoiceDate": api("2018-03-05", 0.7), "total": api("10.00", 0.6)}
    second = {"invoiceDate": api("2018-04-04", 0.9), "total": api("12.00", 0.9)}
    job = merge_job([(2, second, []), (1, first, [])], calibrated=True)
    assert job.fields["invoiceDate"]["normalized"] == "2018-03-05"  # the invoice's date is on its first page
    assert job.fields["total"]["normalized"] == "12.00"  # other fields: the surest page
    corrected = second | {"invoiceDate": api("2018-04-04", 1.0) | {"source": "correction"}}
    assert merge_job([(1, first, []), (2, corrected, [])]).fields["invoiceDate"]["normalized"] == "2018-04-04"
