"""Reading printed values: dates in every common order and language, currencies, IBANs, BICs, VAT ids."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ocrmill.invoices.formats import (
    amount_str,
    find_currency,
    mended_iban,
    parse_amount,
    parse_bic,
    parse_currency,
    parse_date,
    parse_iban,
    parse_vat_id,
    valid_iban,
    vat_checksum,
)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("05.03.2018", "2018-03-05"),
        ("5/3/18", "2018-03-05"),
        ("18-11-18", "2018-11-18"),
        ("2018-03-05", "2018-03-05"),
        ("20180305", "2018-03-05"),
        ("29 MAR 2018", "2018-03-29"),
        ("12-Jan-18", "2018-01-12"),
        ("March 5, 2018", "2018-03-05"),
        ("5. März 2018", "2018-03-05"),
        ("1er juillet 2015", "2015-07-01"),
        ("12 décembre 2019", "2019-12-12"),
        ("Date: 11/03/2018 06:20 PM", "2018-03-11"),
        ("31/12/99", "1999-12-31"),
        ("27032018", "2018-03-27"),  # day and month first without separators
        ("Le 30/03/2018 a 12:36", "2018-03-30"),
    ],
)
def test_dates_day_first(text: str, iso: str) -> None:
    assert parse_date(text) == iso


def test_month_first_preference_and_impossible_orders() -> None:
    assert parse_date("03/05/2018", day_first=False) == "2018-03-05"
    assert parse_date("03/05/2018", day_first=True) == "2018-05-03"
    assert parse_date("12/31/2018", day_first=True) == "2018-12-31"  # 31 cannot be a month
    assert parse_date("31.02.2018") is None
    assert parse_date("no date here 12345") is None


def test_a_number_of_more_groups_is_no_date() -> None:
    # a phone number in dotted pairs holds "05.22.95" (22 May 1995 read month first), but a date's groups end there
    assert parse_date("Tel. : 05.22.95.66.66") is None
    assert parse_date("2018-03-05-0012") is None
    assert parse_date("Datum 05.03.2018.") == "2018-03-05"  # a sentence's full stop after it is no group
    assert parse_date("99999999") is None
    assert parse_date("12345678") is None


def test_currencies() -> None:
    assert parse_currency("€") == "EUR"
    assert parse_currency("RM") == "MYR"
    assert parse_currency("usd") == "USD"
    assert parse_currency("XYZ") is None
    assert find_currency("Total 12,00 €") == "EUR"
    assert find_currency("Amount (RM)") == "MYR"
    assert find_currency("All amounts in CHF") == "CHF"
    assert find_currency("Thank you") is None
    assert find_currency("At the shop we try to deliver every time") is None  # a verb, not Turkish lira
    assert find_currency("Prices in TRY") == "TRY" and find_currency("Paid in euros") == "EUR"
    assert find_currency("Discount of Rs -40.00") == "INR" and find_currency("Kr 40") is None


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("NLSO INGB 0683 2513 09", "NL50INGB0683251309"),  # the check digits read as letters
        ("G882 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),  # the country's B read as an 8
        ("DE89 37O4 0044 0532 0130 00", None),  # the account part is left as read
        ("NL50 INGB 0683 2513 09", None),  # nothing to mend: parse_iban's
        ("06.12.2018 den Beitrag", None),  # no country code, whatever the look-alikes
        ("UNSB EKANNTENKONTOABBUCHEN", None),
    ],
)
def test_an_iban_read_with_look_alikes_in_its_first_four_characters_is_mended(read: str, meant: str | None) -> None:
    assert mended_iban(read) == meant


def test_iban_checksum_and_length() -> None:
    assert valid_iban("DE89 3704 0044 0532 0130 00")
    assert parse_iban("nl50 ingb 0683 2513 09") == "NL50INGB0683251309"
    assert not valid_iban("DE89 3704 0044 0532 0130 01")  # one digit off: mod 97 fails
    assert not valid_iban("DE89 3704 0044 0532 0130")  # too short for DE
    assert parse_iban("DE12 1234 5678 9012 3456 78") is None


def test_bic_shape() -> None:
    assert parse_bic("INGBNL2A") == "INGBNL2A"
    assert parse_bic("weladed1mst") == "WELADED1MST"
    assert parse_bic("INGB2A") is None
    assert parse_bic("INGBXX2A") is None  # no such country


@pytest.mark.parametrize(
    "vat", ["DE136695976", "FR60421938861", "IT00743110157", "BE0403170701", "NL810433941B01", "ATU13585627"]
)
def test_vat_checksums_hold(vat: str) -> None:
    assert vat_checksum(vat) is True
    assert parse_vat_id(vat) == vat


@pytest.mark.parametrize("vat", ["DE136695975", "FR61421938861", "IT00743110158", "BE0403170702", "NL810433942B01"])
def test_vat_checksums_fail(vat: str) -> None:
    assert vat_checksum(vat) is False
    assert parse_vat_id(vat) is None
    assert parse_vat_id(vat, checked=False) == vat


def test_vat_shape_and_normalisation() -> None:
    assert parse_vat_id("DE 136.695.976") == "DE136695976"
    assert parse_vat_id("GB123456789") == "GB123456789"  # shape only
    assert vat_checksum("GB123456789") is None
    assert parse_vat_id("DE12345678") is None  # one digit short
    assert parse_vat_id("XX123456789") is None


def test_amounts_keep_their_behaviour() -> None:
    assert parse_amount("1.234,50") == Decimal("1234.50")
    assert parse_amount("1,234.50") == Decimal("1234.50")
    assert parse_amount("EUR 12,00 €") == Decimal("12.00")
    assert amount_str(Decimal("30.9")) == "30.90"
