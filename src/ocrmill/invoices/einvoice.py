"""Embedded e-invoices: the XML inside a ZUGFeRD / Factur-X / XRechnung PDF, or a UBL / CII XML file.

The XML is the invoice's own statement of its fields, so every value found here is exact (confidence 1.0) and has no
place on a page (box None). Both syntaxes of EN 16931 are read: UN/CEFACT Cross Industry Invoice (ZUGFeRD 2.x,
Factur-X, XRechnung CII; and the older ZUGFeRD 1.x CrossIndustryDocument) and OASIS UBL 2.1 Invoice / CreditNote
(XRechnung UBL). Elements are matched by local name, so the namespace versions do not matter once the root is known.

The XML parser is defused: no DTD loading, no entity resolution, no network, no huge trees; and a document that
declares a DOCTYPE at all is refused (no e-invoice needs one).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import pikepdf
from lxml import etree

from ocrmill.errors import InputError
from ocrmill.invoices.formats import amount_str, quantity_str
from ocrmill.invoices.model import Field, LineItem

log = logging.getLogger(__name__)

EInvoiceFormat = Literal["zugferd", "factur-x", "xrechnung"]

MAX_XML_BYTES = 20 * 2**20  # an e-invoice XML is a few kB to a few MB; decompression stops beyond this

# Attachment names (lower case) that carry an e-invoice, in order of preference, and the format each one means.
ATTACHMENT_NAMES: dict[str, EInvoiceFormat] = {
    "factur-x.xml": "factur-x",
    "zugferd-invoice.xml": "zugferd",  # ZUGFeRD 2.0 (zugferd-invoice.xml) and 1.x (ZUGFeRD-invoice.xml)
    "xrechnung.xml": "xrechnung",
}

_CII_NS = {
    "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",  # ZUGFeRD 2.x, Factur-X, XRechnung CII
    "urn:ferd:CrossIndustryDocument:invoice:1p0",  # ZUGFeRD 1.x
}
_UBL_NS = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "CreditNote",
}


@dataclass
class EInvoice:
    """What an e-invoice XML says, in the same terms as the OCR side (model.Field, model.LineItem)."""

    format: EInvoiceFormat
    profile: str  # CII GuidelineSpecifiedDocumentContextParameter/ID, UBL CustomizationID ("" when absent)
    type_code: str  # 380 invoice, 381 credit note, 389 self-billed, ... ("" when absent)
    fields: dict[str, Field] = field(default_factory=dict)  # only the fields the XML has
    items: list[LineItem] = field(default_factory=list)


# --- PDF attachments -------------------------------------------------------------------------------------------------


def read_einvoice(pdf: Path) -> EInvoice | None:
    """The e-invoice embedded in a PDF, or None when it has none (or none that parses: logged as a warning).

    Attachments are looked for in the embedded-files name tree and in the catalogue's /AF associated files. Known
    names (factur-x.xml, zugferd-invoice.xml, ZUGFeRD-invoice.xml, xrechnung.xml) come first; any other .xml
    attachment is tried after them and used if it is a CII or UBL invoice. Raises InputError when the file is not
    a readable PDF; a PDF that needs a password to open returns None.
    """
    try:
        with pikepdf.open(pdf) as doc:
            candidates = _xml_attachments(doc)
            known = [c for c in candidates if c[0].lower() in ATTACHMENT_NAMES]
            others = [c for c in candidates if c[0].lower() not in ATTACHMENT_NAMES]
            for name, stream in known + others:
                try:
                    data = _stream_bytes(stream, MAX_XML_BYTES)
                    invoice = parse_einvoice_xml(data, name=name)
                except (InputError, pikepdf.PdfError, zlib.error) as e:
                    if name.lower() in ATTACHMENT_NAMES:
                        log.warning("%s: the attachment %s is not a usable e-invoice: %s", pdf.name, name, e)
                    continue
                return invoice
    except pikepdf.PasswordError:
        return None
    except pikepdf.PdfError as e:
        raise InputError(f"{pdf.name} is not a readable PDF: {str(e).splitlines()[0][:200]}") from None
    return None


def _xml_attachments(doc: pikepdf.Pdf) -> list[tuple[str, Any]]:
    """(file name, embedded file stream) of each .xml attachment, each stream once."""
    found: list[tuple[str, Any]] = []
    seen: set[tuple[int, int]] = set()

    def add(filespec: Any) -> None:
        try:
            if not isinstance(filespec, pikepdf.Dictionary):
                return
            name = str(filespec.get("/UF", filespec.get("/F", "")))
            ef = filespec.get("/EF")
            if not isinstance(ef, pikepdf.Dictionary) or not name.lower().endswith(".xml"):
                return
            stream = ef.get("/UF", ef.get("/F"))
            if not isinstance(stream, pikepdf.Stream):
                return
            key = stream.objgen
            if key != (0, 0) and key in seen:
                return
            seen.add(key)
            found.append((name.rsplit("/", 1)[-1], stream))
        except (pikepdf.PdfError, ValueError, TypeError):
            return

    try:
        for spec in doc.attachments.values():
            add(spec.obj)
    except (pikepdf.PdfError, ValueError, TypeError, KeyError):
        pass
    associated = doc.Root.get("/AF")
    if isinstance(associated, pikepdf.Array):
        for filespec in associated:
            add(filespec)
    return found


def _stream_bytes(stream: Any, limit: int) -> bytes:
    """A stream's decoded bytes, refusing more than `limit` (a Flate bomb stops at the limit, not in memory)."""
    filters = stream.get("/Filter")
    if filters is None:
        data = bytes(stream.read_raw_bytes())
    elif filters == pikepdf.Name.FlateDecode and stream.get("/DecodeParms") is None:
        inflater = zlib.decompressobj()
        data = inflater.decompress(bytes(stream.read_raw_bytes()), limit + 1)
    else:
        data = bytes(stream.read_bytes())
    if len(data) > limit:
        raise InputError(f"The embedded XML is larger than {limit // 2**20} MB.")
    return data


# --- XML -------------------------------------------------------------------------------------------------------------


def parse_einvoice_xml(data: bytes, *, name: str = "") -> EInvoice:
    """An e-invoice from its XML: CII (ZUGFeRD 1.x/2.x, Factur-X, XRechnung CII) or UBL Invoice / CreditNote.

    `name` is the attachment's file name when the XML came from a PDF: it tells ZUGFeRD from Factur-X. Without it
    (or with another name) the format follows the content: UBL is "xrechnung", a CII whose profile names XRechnung
    is "xrechnung", ZUGFeRD 1.x or a profile naming ZUGFeRD is "zugferd", any other CII "factur-x".
    Raises InputError when the XML is not well-formed, declares a DTD, or is not a CII or UBL invoice.
    """
    root = _parse(data)
    namespace = etree.QName(root).namespace or ""
    local = etree.QName(root).localname
    hinted = ATTACHMENT_NAMES.get(name.lower())
    if namespace in _CII_NS and local in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        return _Cii(root, hinted, legacy=local == "CrossIndustryDocument").read()
    if _UBL_NS.get(namespace) == local:
        return _Ubl(root, local).read()
    raise InputError(
        f"The XML is not a CII or UBL invoice (its root element is {local}"
        + (f" in namespace {namespace})." if namespace else " without a namespace).")
    )


def _parse(data: bytes) -> Any:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError as e:
        raise InputError(f"The e-invoice XML is not well-formed: {e}") from None
    except ValueError as e:  # e.g. a str with an encoding declaration
        raise InputError(f"The e-invoice XML could not be read: {e}") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InputError("The e-invoice XML declares a DTD, which e-invoices never need: refused.")
    return tree.getroot()


def _children(element: Any, step: str) -> Iterator[Any]:
    names = step.split("|")
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname in names:
            yield child


def _all(element: Any, path: str) -> list[Any]:
    """Every element at a path of local names ("A/B|C/D"; "|" separates alternatives within a step)."""
    current = [element] if element is not None else []
    for step in path.split("/"):
        current = [child for parent in current for child in _children(parent, step)]
    return current


def _first(element: Any, path: str) -> Any:
    found = _all(element, path)
    return found[0] if found else None


def _text(element: Any, path: str = "") -> str:
    """The stripped text at a path ("" when absent): the first one that is not empty."""
    if element is None:
        return ""
    for found in _all(element, path) if path else [element]:
        text = "".join(found.itertext()).strip()
        if text:
            return text
    return ""


# --- normalisation ---------------------------------------------------------------------------------------------------


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _amount(value: Decimal) -> str:
    """At least two decimals, no needless zeros beyond them: 9.9000 -> "9.90", 0.12345 -> "0.12345"."""
    if value == 0:
        value = abs(value)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        value = value.normalize()
    return amount_str(value)


def _rate(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _date(text: str, fmt: str | None) -> str | None:
    """CII format 102 (YYYYMMDD) or an ISO date, as YYYY-MM-DD; None for other formats (610 month, 616 week)."""
    text = text.strip()
    try:
        if fmt in (None, "", "102") and re.fullmatch(r"\d{8}", text):
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])).isoformat()
        if fmt in (None, "") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text[:10]):
            return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None
    return None


class _Reader:
    """Collects the fields of one invoice."""

    def __init__(self, source: EInvoiceFormat) -> None:
        self.source = source
        self.fields: dict[str, Field] = {}

    def put(self, name: str, value: str, normalized: str | None) -> None:
        if value and normalized and name not in self.fields:
            self.fields[name] = Field(name, value, normalized, 1.0, None, 1, source=self.source)

    def text(self, name: str, value: str) -> None:
        self.put(name, value, _collapse(value))

    def amount(self, name: str, value: str) -> None:
        number = _decimal(value)
        self.put(name, value, _amount(number) if number is not None else None)

    def date(self, name: str, element: Any) -> None:
        if element is not None:
            value = _text(element)
            self.put(name, value, _date(value, element.get("format")))

    def tax_id(self, value: str) -> None:
        self.put("vendorTaxId", value, re.sub(r"[\s.]", "", value).upper())

    def iban(self, value: str) -> None:
        self.put("iban", value, re.sub(r"\s", "", value).upper())

    def bic(self, value: str) -> None:
        self.put("bic", value, re.sub(r"\s", "", value).upper())

    def currency(self, value: str) -> None:
        self.put("currency", value, value.strip().upper())

    def rates(self, texts: list[str]) -> None:
        numbers = {_decimal(text) for text in texts}
        if len(numbers) == 1 and (rate := numbers.pop()) is not None:
            self.put("taxRate", texts[0], _rate(rate))


def _item(row: int, name: str, quantity: str, price: str, basis: str, amount: str, rate: str) -> LineItem:
    quantity_value = _decimal(quantity)
    price_value = _decimal(price)
    basis_value = _decimal(basis)
    if price_value is not None and basis_value is not None and basis_value not in (0, 1):
        price_value = price_value / basis_value
        exponent = price_value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -6:
            price_value = price_value.quantize(Decimal("0.000001")).normalize()
    amount_value = _decimal(amount)
    rate_value = _decimal(rate)
    return LineItem(
        description=_collapse(name),
        quantity=quantity_str(quantity_value) if quantity_value is not None else None,
        unit_price=_amount(price_value) if price_value is not None else None,
        amount=_amount(amount_value) if amount_value is not None else None,
        tax_rate=_rate(rate_value) if rate_value is not None else None,
        confidence=1.0,
        page=1,
        row=row,
    )


# --- CII -------------------------------------------------------------------------------------------------------------

# ZUGFeRD 1.x names first-level groups differently from CII D16B (2.x); each step lists both.
_CONTEXT = "ExchangedDocumentContext|SpecifiedExchangedDocumentContext"
_DOCUMENT = "ExchangedDocument|HeaderExchangedDocument"
_TRANSACTION = "SupplyChainTradeTransaction|SpecifiedSupplyChainTradeTransaction"
_AGREEMENT = "ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement"
_SETTLEMENT = "ApplicableHeaderTradeSettlement|ApplicableSupplyChainTradeSettlement"
_SUMMATION = "SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation"
_RATE = "RateApplicablePercent|ApplicablePercent"


class _Cii:
    def __init__(self, root: Any, hinted: EInvoiceFormat | None, *, legacy: bool) -> None:
        self.root = root
        self.profile = _text(root, f"{_CONTEXT}/GuidelineSpecifiedDocumentContextParameter/ID")
        lowered = self.profile.lower()
        if "xrechnung" in lowered:
            self.format: EInvoiceFormat = "xrechnung"
        elif hinted is not None:
            self.format = hinted
        elif legacy or "zugferd" in lowered or "urn:ferd:" in lowered:
            self.format = "zugferd"
        else:
            self.format = "factur-x"

    def read(self) -> EInvoice:
        root = self.root
        out = _Reader(self.format)
        document = _first(root, _DOCUMENT)
        transaction = _first(root, _TRANSACTION)
        agreement = _first(transaction, _AGREEMENT)
        settlement = _first(transaction, _SETTLEMENT)
        summation = _first(settlement, _SUMMATION)

        out.text("invoiceNumber", _text(document, "ID"))
        out.date("invoiceDate", _first(document, "IssueDateTime/DateTimeString"))
        out.date("dueDate", _first(settlement, "SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString"))
        out.text("purchaseOrder", _text(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID|ID"))

        seller = _first(agreement, "SellerTradeParty")
        out.text("vendorName", _text(seller, "Name"))
        out.put("vendorAddress", *_cii_address(seller))
        registrations = _all(seller, "SpecifiedTaxRegistration/ID")
        for scheme in ("VA", "FC"):
            for registration in registrations:
                if (registration.get("schemeID") or "").upper() == scheme:
                    out.tax_id(_text(registration))
        buyer = _first(agreement, "BuyerTradeParty")
        out.text("customerName", _text(buyer, "Name"))
        out.put("customerAddress", *_cii_address(buyer))

        currency = _text(settlement, "InvoiceCurrencyCode")
        out.currency(currency)
        out.amount("subtotal", _text(summation, "TaxBasisTotalAmount"))
        for tax_total in _all(summation, "TaxTotalAmount"):
            if tax_total.get("currencyID") in (None, "", currency):
                out.amount("taxAmount", _text(tax_total))
        out.rates([_text(tax, _RATE) for tax in _all(settlement, "ApplicableTradeTax")])
        out.amount("total", _text(summation, "GrandTotalAmount"))
        out.amount("amountDue", _text(summation, "DuePayableAmount"))

        for means in _all(settlement, "SpecifiedTradeSettlementPaymentMeans"):
            out.iban(_text(means, "PayeePartyCreditorFinancialAccount/IBANID"))
            out.bic(_text(means, "PayeeSpecifiedCreditorFinancialInstitution/BICID"))
        out.text("paymentTerms", _text(settlement, "SpecifiedTradePaymentTerms/Description"))

        items = [
            self._item(row, line) for row, line in enumerate(_all(transaction, "IncludedSupplyChainTradeLineItem"))
        ]
        if "taxRate" not in out.fields and not _all(settlement, "ApplicableTradeTax") and items:
            out.rates([item.tax_rate or "" for item in items])
        type_code = _text(document, "TypeCode")
        return EInvoice(self.format, self.profile, type_code, out.fields, items)

    @staticmethod
    def _item(row: int, line: Any) -> LineItem:
        agreement = _first(line, "SpecifiedLineTradeAgreement|SpecifiedSupplyChainTradeAgreement")
        delivery = _first(line, "SpecifiedLineTradeDelivery|SpecifiedSupplyChainTradeDelivery")
        settlement = _first(line, "SpecifiedLineTradeSettlement|SpecifiedSupplyChainTradeSettlement")
        product = _first(line, "SpecifiedTradeProduct")
        net = _first(agreement, "NetPriceProductTradePrice")
        return _item(
            row,
            _text(product, "Name") or _text(product, "Description"),
            _text(delivery, "BilledQuantity"),
            _text(net, "ChargeAmount"),
            _text(net, "BasisQuantity"),
            _text(
                settlement,
                "SpecifiedTradeSettlementLineMonetarySummation|SpecifiedTradeSettlementMonetarySummation/LineTotalAmount",
            ),
            _text(settlement, f"ApplicableTradeTax/{_RATE}"),
        )


def _cii_address(party: Any) -> tuple[str, str | None]:
    address = _first(party, "PostalTradeAddress")
    lines = [_text(address, step) for step in ("LineOne", "LineTwo", "LineThree")]
    city = " ".join(part for part in (_text(address, "PostcodeCode"), _text(address, "CityName")) if part)
    parts = [_collapse(part) for part in [*lines, city, _text(address, "CountryID")] if part]
    joined = ", ".join(parts)
    return joined, joined or None


# --- UBL -------------------------------------------------------------------------------------------------------------


class _Ubl:
    def __init__(self, root: Any, kind: str) -> None:
        self.root = root
        self.kind = kind  # Invoice | CreditNote

    def read(self) -> EInvoice:
        root = self.root
        out = _Reader("xrechnung")
        out.text("invoiceNumber", _text(root, "ID"))
        out.date("invoiceDate", _first(root, "IssueDate"))
        out.date("dueDate", _first(root, "DueDate"))
        out.date("dueDate", _first(root, "PaymentMeans/PaymentDueDate"))
        out.text("purchaseOrder", _text(root, "OrderReference/ID"))

        seller = _first(root, "AccountingSupplierParty/Party")
        out.text("vendorName", _ubl_name(seller))
        out.put("vendorAddress", *_ubl_address(seller))
        schemes = _all(seller, "PartyTaxScheme")
        for scheme in schemes:
            if _text(scheme, "TaxScheme/ID").upper() == "VAT":
                out.tax_id(_text(scheme, "CompanyID"))
        for scheme in schemes:
            out.tax_id(_text(scheme, "CompanyID"))
        buyer = _first(root, "AccountingCustomerParty/Party")
        out.text("customerName", _ubl_name(buyer))
        out.put("customerAddress", *_ubl_address(buyer))

        currency = _text(root, "DocumentCurrencyCode")
        out.currency(currency)
        totals = _first(root, "LegalMonetaryTotal")
        out.amount("subtotal", _text(totals, "TaxExclusiveAmount"))
        tax_totals = [
            tax
            for tax in _all(root, "TaxTotal")
            for amount in _all(tax, "TaxAmount")[:1]
            if amount.get("currencyID") in (None, "", currency)
        ]
        for tax in tax_totals:
            out.amount("taxAmount", _text(tax, "TaxAmount"))
        out.rates([_text(sub, "TaxCategory/Percent") for tax in tax_totals for sub in _all(tax, "TaxSubtotal")])
        out.amount("total", _text(totals, "TaxInclusiveAmount"))
        out.amount("amountDue", _text(totals, "PayableAmount"))

        for means in _all(root, "PaymentMeans"):
            out.iban(_text(means, "PayeeFinancialAccount/ID"))
            out.bic(_text(means, "PayeeFinancialAccount/FinancialInstitutionBranch/ID"))
        out.text("paymentTerms", _text(root, "PaymentTerms/Note"))

        items = [
            _item(
                row,
                _text(line, "Item/Name") or _text(line, "Item/Description"),
                _text(line, "InvoicedQuantity|CreditedQuantity"),
                _text(line, "Price/PriceAmount"),
                _text(line, "Price/BaseQuantity"),
                _text(line, "LineExtensionAmount"),
                _text(line, "Item/ClassifiedTaxCategory/Percent"),
            )
            for row, line in enumerate(_all(root, "InvoiceLine|CreditNoteLine"))
        ]
        type_code = _text(root, "InvoiceTypeCode|CreditNoteTypeCode") or ("381" if self.kind == "CreditNote" else "380")
        return EInvoice("xrechnung", _text(root, "CustomizationID"), type_code, out.fields, items)


def _ubl_name(party: Any) -> str:
    return _text(party, "PartyLegalEntity/RegistrationName") or _text(party, "PartyName/Name")


def _ubl_address(party: Any) -> tuple[str, str | None]:
    address = _first(party, "PostalAddress")
    lines = [_text(address, "StreetName"), _text(address, "AdditionalStreetName")]
    lines += [_text(line, "Line") for line in _all(address, "AddressLine")]
    city = " ".join(part for part in (_text(address, "PostalZone"), _text(address, "CityName")) if part)
    parts = [_collapse(part) for part in [*lines, city, _text(address, "Country/IdentificationCode")] if part]
    joined = ", ".join(parts)
    return joined, joined or None
