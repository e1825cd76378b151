"""Synthetic invoices (bench.synth_invoices): deterministic, arithmetically consistent, identifiers that pass
ocrmill's own checks, and every truth value printed on the page in the form ocrmill reads back to that value."""

from __future__ import annotations

import json
import random
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from bench import synth_invoices as synth

from ocrmill.invoices.formats import (
    compact_id,
    parse_amount,
    parse_bic,
    parse_currency,
    parse_date,
    parse_vat_id,
    valid_iban,
    vat_checksum,
)
from ocrmill.invoices.model import FIELD_NAMES

SEED = 5
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def invoices() -> list[synth.SynthInvoice]:
    return list(synth.generate(26, seed=SEED))


def test_same_seed_same_invoices(invoices: list[synth.SynthInvoice]) -> None:
    again = list(synth.generate(4, seed=SEED))
    for first, second in zip(invoices[:4], again, strict=True):
        assert (first.name, first.template, first.truth, first.items) == (
            second.name,
            second.template,
            second.truth,
            second.items,
        )
        assert [p.tobytes() for p in first.pages] == [p.tobytes() for p in second.pages]
    assert [i.truth for i in synth.generate(3, seed=SEED + 1)] != [i.truth for i in invoices[:3]]


def test_pages_and_fields(invoices: list[synth.SynthInvoice]) -> None:
    for invoice in invoices:
        assert set(invoice.truth) == set(synth.FIELDS) and set(invoice.truth) <= set(FIELD_NAMES)
        assert invoice.language in ("en", "de", "fr") and invoice.template in synth.TEMPLATES
        assert invoice.pages and all(p.mode == "L" for p in invoice.pages)
        width, height = invoice.pages[0].size
        assert abs(width / invoice.dpi - 210 / 25.4) < 0.01 and abs(height / invoice.dpi - 297 / 25.4) < 0.01
        for name in ("invoiceNumber", "invoiceDate", "vendorName", "customerName", "total"):
            assert invoice.truth[name], (invoice.name, name)
    assert len({i.template for i in invoices}) >= 10
    assert {i.language for i in invoices} == {"en", "de", "fr"}
    assert any(len(i.pages) > 1 for i in invoices)


def test_amounts_add_up(invoices: list[synth.SynthInvoice]) -> None:
    for invoice in invoices:
        truth, items = invoice.truth, invoice.items
        assert items
        for item in items:
            assert Decimal(item.amount) == Decimal(item.amount).quantize(CENT)
            if item.kind == "item":
                assert item.quantity is not None and item.unit_price is not None
                expected = (Decimal(item.quantity) * Decimal(item.unit_price)).quantize(CENT, ROUND_HALF_UP)
                assert Decimal(item.amount) == expected, item
            else:
                assert item.quantity is None and item.unit_price is None
                assert (Decimal(item.amount) < 0) == (item.kind == "discount")
        net = sum(Decimal(i.amount) for i in items)
        if truth["subtotal"] is not None:
            assert Decimal(truth["subtotal"]) == net
        total = Decimal(truth["total"] or "0")
        if truth["taxAmount"] is None and truth["subtotal"] is None:
            assert total >= net  # untaxed, or the tax printed per rate only
        if truth["subtotal"] is not None and truth["taxAmount"] is not None:
            assert Decimal(truth["subtotal"]) + Decimal(truth["taxAmount"]) == total
        if truth["taxRate"] is not None and truth["taxAmount"] is not None:
            rate = Decimal(truth["taxRate"])
            assert Decimal(truth["taxAmount"]) == (net * rate / 100).quantize(CENT, ROUND_HALF_UP)
        if truth["amountDue"] is not None:
            assert Decimal("0") < Decimal(truth["amountDue"]) <= total


def test_identifiers_pass_ocrmills_checks(invoices: list[synth.SynthInvoice]) -> None:
    for invoice in invoices:
        truth = invoice.truth
        if truth["iban"] is not None:
            assert valid_iban(truth["iban"]) and truth["iban"] == compact_id(truth["iban"])
        if truth["bic"] is not None:
            assert parse_bic(truth["bic"]) == truth["bic"]
        if truth["vendorTaxId"] is not None:
            assert parse_vat_id(truth["vendorTaxId"]) == truth["vendorTaxId"]
    rng = random.Random(3)
    for _ in range(300):
        de, fr, gb = (synth.make_vat_id(country, rng) for country in ("DE", "FR", "GB"))
        assert de is not None and vat_checksum(de) is True and parse_vat_id(de) == de
        assert fr is not None and vat_checksum(fr) is True and parse_vat_id(fr) == fr
        assert gb is not None and parse_vat_id(gb) == gb
        for country, bank in (("DE", ""), ("FR", ""), ("GB", "BARC")):
            iban = synth._iban_for(country, rng, bank)
            assert iban is not None and valid_iban(iban)


def key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _reads_back(name: str, printed: str, truth: str) -> bool:
    """Whether ocrmill's readers turn the printed string into the truth value."""
    if name in ("subtotal", "taxAmount", "total", "amountDue"):
        return parse_amount(printed) == Decimal(truth)
    if name in ("invoiceDate", "dueDate"):
        return truth in (parse_date(printed, day_first=True), parse_date(printed, day_first=False))
    if name in ("iban", "bic", "vendorTaxId"):
        return compact_id(printed) == truth
    if name == "currency":
        return parse_currency(printed) == truth
    if name == "taxRate":
        return Decimal(printed.replace(",", ".")) == Decimal(truth)
    if name.endswith("Address"):  # the first line, or the address on one line with other separators
        return key(truth).startswith(key(printed))
    return printed == truth


def test_every_truth_value_is_printed(invoices: list[synth.SynthInvoice]) -> None:
    for invoice in invoices:
        drawn = [text for _, text, _ in invoice.texts]
        for name, value in invoice.truth.items():
            if value is None:
                continue
            printed = invoice.printed[name]
            assert any(printed in text for text in drawn), (invoice.name, name, printed)
            assert _reads_back(name, printed, value), (invoice.name, name, printed, value)
        for name, value in invoice.truth.items():
            if name.endswith("Address") and value is not None:
                lines = value.split(", ")
                assert all(any(line in text for text in drawn) for line in lines[:1]), (invoice.name, name)


def test_item_rows_printed_on_their_page(invoices: list[synth.SynthInvoice]) -> None:
    for invoice in invoices:
        for item in invoice.items:
            assert 1 <= item.page <= len(invoice.pages) and item.box is not None
            width, height = invoice.pages[item.page - 1].size
            left, top, right, bottom = item.box
            assert 0 <= left < right <= width and 0 <= top < bottom <= height
            inside = [
                text
                for page, text, (x0, y0, x1, y1) in invoice.texts
                if page == item.page and x0 >= left - 2 and x1 <= right + 2 and y0 >= top - 2 and y1 <= bottom + 2
            ]
            words = " ".join(inside)
            assert item.description.split()[0] in words, (invoice.name, item)


def test_main_writes_pages_and_truth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["synth", "--out", str(tmp_path), "--count", "2", "--seed", "9"])
    synth.main()
    index = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert len(index) == 2
    for entry in index.values():
        assert all((tmp_path / page).exists() for page in entry["pages"])
        assert entry["truth"]["invoiceNumber"] and entry["items"]
