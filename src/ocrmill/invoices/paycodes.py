"""Payment QR codes printed on invoices: the EPC QR code ("GiroCode", SEPA credit transfer, EPC069-12) and the
Swiss QR-bill. Both carry the payee's IBAN, name and the amount due exactly, so they are better evidence than
the OCR of the same values."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ocrmill.domain.document import Box
from ocrmill.invoices.formats import amount_str, parse_bic, parse_iban
from ocrmill.invoices.model import Field

CONFIDENCE = 0.98  # read from the symbol with its error correction; the IBAN's checksum is checked too


def payment_fields(payload: str, *, box: Box, page: int) -> dict[str, Field]:
    """The fields a payment QR code gives (iban, bic, vendorName, amountDue, currency), or {} for any other code."""
    lines = [line.strip() for line in payload.replace("\r\n", "\n").split("\n")]
    if len(lines) >= 7 and lines[0] == "BCD" and lines[3] == "SCT":
        return _epc(lines, box, page)
    if len(lines) >= 20 and lines[0] == "SPC":
        return _swiss(lines, box, page)
    return {}


def _epc(lines: list[str], box: Box, page: int) -> dict[str, Field]:
    """BCD / version / charset / SCT / BIC / name / IBAN / EUR12.34 / purpose / reference / text / hint."""
    found: dict[str, Field] = {}
    source = "epc-qr"
    iban = parse_iban(lines[6])
    if iban is None:
        return {}  # a payment code whose IBAN fails its checksum is not trusted at all
    found["iban"] = Field("iban", lines[6], iban, CONFIDENCE, box, page, source)
    bic = parse_bic(lines[4]) if lines[4] else None
    if bic:
        found["bic"] = Field("bic", lines[4], bic, CONFIDENCE, box, page, source)
    if lines[5]:
        found["vendorName"] = Field("vendorName", lines[5], " ".join(lines[5].split()), 0.9, box, page, source)
    amount = lines[7] if len(lines) > 7 else ""
    if len(amount) > 3 and amount[:3].isalpha():
        _amount(found, amount[3:], amount[:3].upper(), box, page, source)
    return found


def _swiss(lines: list[str], box: Box, page: int) -> dict[str, Field]:
    """SPC / version / coding / IBAN / creditor (type, name, ...) ... amount (line 19) / currency (line 20)."""
    found: dict[str, Field] = {}
    source = "swiss-qr"
    iban = parse_iban(lines[3])
    if iban is None:
        return {}
    found["iban"] = Field("iban", lines[3], iban, CONFIDENCE, box, page, source)
    if lines[5]:
        found["vendorName"] = Field("vendorName", lines[5], " ".join(lines[5].split()), 0.9, box, page, source)
    _amount(found, lines[18], lines[19].upper(), box, page, source)
    return found


def _amount(found: dict[str, Field], text: str, currency: str, box: Box, page: int, source: str) -> None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return
    if value > 0:
        found["amountDue"] = Field("amountDue", text, amount_str(value), CONFIDENCE, box, page, source)
    if len(currency) == 3 and currency.isalpha():
        found["currency"] = Field("currency", currency, currency, CONFIDENCE, box, page, source)
