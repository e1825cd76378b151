"""E-invoices: ZUGFeRD / Factur-X PDFs against expected.json, CII 1.x/2.x and UBL XML, hostile XML, attachments."""

from __future__ import annotations

import json
import logging
import time
import zlib
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest

from ocrmill.errors import InputError
from ocrmill.invoices.einvoice import EInvoice, parse_einvoice_xml, read_einvoice
from ocrmill.invoices.model import FIELD_NAMES
from tests.harness import DATA

SET = DATA / "invoices-zugferd"
PDFS = sorted(SET.glob("*.pdf"))
PLAIN = DATA / "pdfs-ocrmypdf"


def collapse(text: str) -> str:
    return " ".join(text.split())


def test_the_data_set_is_there() -> None:
    assert len(PDFS) == 11, PDFS


@pytest.fixture(scope="module")
def invoices() -> dict[str, EInvoice | None]:
    return {pdf.stem: read_einvoice(pdf) for pdf in PDFS}


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_pdf_matches_expected_json(pdf: Path, invoices: dict[str, EInvoice | None]) -> None:
    expected = json.loads(pdf.with_suffix(".expected.json").read_text(encoding="utf-8"))
    invoice = invoices[pdf.stem]
    assert invoice is not None
    assert invoice.format == "factur-x"  # every PDF here embeds factur-x.xml
    assert invoice.profile == "urn:cen.eu:en16931:2017"
    assert invoice.type_code == expected["type_code"]
    fields = invoice.fields

    # Text fields: the value is the XML's text (stripped), the normalised value has its whitespace collapsed.
    texts = {
        "invoice_number": "invoiceNumber",
        "seller_name": "vendorName",
        "buyer_name": "customerName",
        "currency": "currency",
        "seller_vat_id": "vendorTaxId",
    }
    for key, name in texts.items():
        if expected[key] is None:
            assert name not in fields, key
        else:
            assert fields[name].value == expected[key].strip(), key
            assert fields[name].normalized == collapse(expected[key]), key
    # Dates: expected.json has them in ISO form already.
    for key, name in {"issue_date": "invoiceDate", "due_date": "dueDate"}.items():
        if expected[key] is None:
            assert name not in fields, key
        else:
            assert fields[name].normalized == expected[key], key
            assert fields[name].value == expected[key].replace("-", ""), key  # format 102 as the XML says
    if expected["iban"] is None:
        assert "iban" not in fields
    else:
        assert fields["iban"].value == expected["iban"]
        assert fields["iban"].normalized == expected["iban"].replace(" ", "").upper()
    amounts = {
        "tax_basis_total": "subtotal",
        "tax_total": "taxAmount",
        "grand_total": "total",
        "due_payable": "amountDue",
    }
    for key, name in amounts.items():
        assert Decimal(fields[name].value) == Decimal(expected[key]), key
        assert fields[name].normalized == expected[key], key  # all of them have two decimals
    assert len(invoice.items) == expected["line_count"]

    assert set(fields) <= set(FIELD_NAMES)
    for name, found in fields.items():
        assert found.name == name
        assert (found.confidence, found.box, found.page, found.source) == (1.0, None, 1, "factur-x"), name
        assert found.value.strip() == found.value and found.value, name
    for row, item in enumerate(invoice.items):
        assert item.description and item.row == row and item.page == 1 and item.box is None and item.confidence == 1.0
        for value in (item.unit_price, item.amount):
            assert value is not None and "." in value and len(value.split(".")[1]) >= 2, item


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_pdf_and_upstream_xml_agree(pdf: Path, invoices: dict[str, EInvoice | None]) -> None:
    from_pdf = invoices[pdf.stem]
    from_xml = parse_einvoice_xml(pdf.with_suffix(".cii.xml").read_bytes())
    assert from_pdf is not None
    assert from_xml.format == "factur-x"  # a plain EN 16931 CII: no name, no ZUGFeRD/XRechnung profile
    normalized = {k: v.normalized for k, v in from_pdf.fields.items()}
    assert {k: v.normalized for k, v in from_xml.fields.items()} == normalized
    assert from_xml.items == from_pdf.items


def test_einfach_fields_and_items(invoices: dict[str, EInvoice | None]) -> None:
    invoice = invoices["EN16931_Einfach"]
    assert invoice is not None
    normalized = {k: v.normalized for k, v in invoice.fields.items()}
    assert normalized["vendorAddress"] == "Lieferantenstraße 20, 80333 München, DE"
    assert normalized["customerAddress"] == "Kundenstraße 15, 69876 Frankfurt, DE"
    assert normalized["vendorTaxId"] == "DE123456789"  # VA, not the FC tax number listed before it
    assert normalized["paymentTerms"].startswith("Zahlbar innerhalb 30 Tagen netto bis 04.04.2018")
    assert "taxRate" not in normalized  # 7 % and 19 %
    assert "purchaseOrder" not in normalized and "bic" not in normalized
    assert [(i.description, i.quantity, i.unit_price, i.amount, i.tax_rate) for i in invoice.items] == [
        ("Trennblätter A4", "20", "9.90", "198.00", "19.00"),
        ("Joghurt Banane", "50", "5.50", "275.00", "7.00"),
    ]


def test_single_rate_purchase_order_iban_and_empty_bic(invoices: dict[str, EInvoice | None]) -> None:
    oepnv = invoices["EN16931_OEPNV"]
    assert oepnv is not None
    assert oepnv.fields["taxRate"].value == "7" and oepnv.fields["taxRate"].normalized == "7.00"
    assert oepnv.fields["purchaseOrder"].normalized == "2018092011804"
    assert oepnv.fields["iban"].normalized == "DE12123456789012345678"
    assert "bic" not in oepnv.fields  # <ram:BICID/> is empty
    partial = invoices["EN16931_2_Teilrechnung"]
    assert partial is not None and partial.fields["purchaseOrder"].normalized == "2018-471331"


def test_basis_quantity_divides_the_net_price() -> None:
    xml = CII_2X.replace(
        b"<ram:ChargeAmount>9.9000</ram:ChargeAmount>",
        b"<ram:ChargeAmount>99</ram:ChargeAmount><ram:BasisQuantity unitCode='H87'>10</ram:BasisQuantity>",
    )
    assert parse_einvoice_xml(xml).items[0].unit_price == "9.90"
    xml = CII_2X.replace(
        b"<ram:ChargeAmount>9.9000</ram:ChargeAmount>",
        b"<ram:ChargeAmount>10</ram:ChargeAmount><ram:BasisQuantity unitCode='H87'>3</ram:BasisQuantity>",
    )
    assert parse_einvoice_xml(xml).items[0].unit_price == "3.333333"


# --- PDFs without an e-invoice ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["c02-22.pdf", "francais.pdf", "multipage.pdf", "encrypted_algo4.pdf", "acroform.pdf"])
def test_plain_pdf_has_none(name: str) -> None:
    assert read_einvoice(PLAIN / name) is None


def test_unreadable_pdf_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not a readable PDF"):
        read_einvoice(PLAIN / "invalid.pdf")


# --- attachments made here -------------------------------------------------------------------------------------------


def pdf_with(tmp_path: Path, attachments: dict[str, bytes], *, names_tree: bool = True, af: bool = False) -> Path:
    path = tmp_path / "made.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        specs = []
        for name, data in attachments.items():
            spec = pikepdf.AttachedFileSpec(
                pdf, data, description="", filename=name, mime_type="text/xml", creation_date="", mod_date=""
            )
            if names_tree:
                pdf.attachments[name] = spec
            specs.append(spec.obj)
        if af:
            pdf.Root.AF = pdf.make_indirect(pikepdf.Array(specs))
        pdf.save(path)
    return path


def test_zugferd_2_name_means_zugferd(tmp_path: Path) -> None:
    invoice = read_einvoice(pdf_with(tmp_path, {"zugferd-invoice.xml": CII_2X}))
    assert invoice is not None and invoice.format == "zugferd"
    assert all(f.source == "zugferd" for f in invoice.fields.values())


def test_zugferd_1_pdf(tmp_path: Path) -> None:
    invoice = read_einvoice(pdf_with(tmp_path, {"ZUGFeRD-invoice.xml": CII_1X}))
    assert invoice is not None and invoice.format == "zugferd"
    assert invoice.profile == "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort"


def test_xrechnung_ubl_pdf(tmp_path: Path) -> None:
    invoice = read_einvoice(pdf_with(tmp_path, {"xrechnung.xml": UBL_INVOICE}))
    assert invoice is not None and invoice.format == "xrechnung" and invoice.fields["total"].normalized == "119.00"


def test_attachment_only_in_af_is_found(tmp_path: Path) -> None:
    invoice = read_einvoice(pdf_with(tmp_path, {"factur-x.xml": CII_2X}, names_tree=False, af=True))
    assert invoice is not None and invoice.format == "factur-x"


def test_known_name_first_then_other_xml(tmp_path: Path) -> None:
    path = pdf_with(tmp_path, {"aaa-invoice.xml": UBL_INVOICE, "factur-x.xml": CII_2X})
    invoice = read_einvoice(path)
    assert invoice is not None and invoice.format == "factur-x"
    invoice = read_einvoice(pdf_with(tmp_path, {"rechnung.xml": UBL_INVOICE, "notes.txt": b"hello"}))
    assert invoice is not None and invoice.format == "xrechnung"  # an unknown .xml name is tried too


def test_unusable_attachments_give_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert read_einvoice(pdf_with(tmp_path, {"invoice.pdf": b"%PDF-1.4", "notes.txt": b"x"})) is None
    assert read_einvoice(pdf_with(tmp_path, {"other.xml": b"<catalogue/>"})) is None
    with caplog.at_level(logging.WARNING):
        assert read_einvoice(pdf_with(tmp_path, {"factur-x.xml": b"<rsm:Cross"})) is None
    assert "factur-x.xml is not a usable e-invoice" in caplog.text


def test_flate_bomb_stops_at_the_limit(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bomb.pdf"
    body = b"<a>" + b" " * (21 * 2**20) + b"</a>"  # 21 MB of spaces, 21 kB deflated
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        stream = pikepdf.Stream(pdf, zlib.compress(body, 9))
        stream.Filter = pikepdf.Name.FlateDecode
        spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F="factur-x.xml", UF="factur-x.xml", EF={"/F": stream})
        pdf.Root.AF = pikepdf.Array([pdf.make_indirect(spec)])
        pdf.save(path)
    with caplog.at_level(logging.WARNING):
        assert read_einvoice(path) is None
    assert "larger than 20 MB" in caplog.text


# --- XML -------------------------------------------------------------------------------------------------------------

CII_2X = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>A-1</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20240131</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:SpecifiedTradeProduct><ram:Name>Paper</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>9.9000</ram:ChargeAmount>
      </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="H87">1.5000</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:RateApplicablePercent>19</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementLineMonetarySummation>
      <ram:LineTotalAmount>14.85</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Seller</ram:Name>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">201/113/40209</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Buyer</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>2.82</ram:CalculatedAmount>
        <ram:RateApplicablePercent>19.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:TaxBasisTotalAmount>14.85</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="CHF">2.75</ram:TaxTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">2.82</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>17.67</ram:GrandTotalAmount>
        <ram:DuePayableAmount>17.67</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def test_cii_2x_fields() -> None:
    invoice = parse_einvoice_xml(CII_2X)
    normalized = {k: v.normalized for k, v in invoice.fields.items()}
    assert normalized == {
        "invoiceNumber": "A-1",
        "invoiceDate": "2024-01-31",
        "vendorName": "Seller",
        "vendorTaxId": "201/113/40209",  # FC: there is no VA
        "customerName": "Buyer",
        "currency": "EUR",
        "subtotal": "14.85",
        "taxAmount": "2.82",  # the one in the invoice currency, not the CHF one
        "taxRate": "19.00",
        "total": "17.67",
        "amountDue": "17.67",
    }
    item = invoice.items[0]
    assert (item.quantity, item.unit_price, item.amount, item.tax_rate) == ("1.5", "9.90", "14.85", "19.00")


def test_amounts_are_normalised() -> None:
    xml = (
        CII_2X.replace(b">14.85</ram:TaxBasisTotalAmount", b">15</ram:TaxBasisTotalAmount")
        .replace(b">2.82</ram:TaxTotalAmount", b">-3.5</ram:TaxTotalAmount")
        .replace(b">17.67</ram:GrandTotalAmount", b">17.6700</ram:GrandTotalAmount")
        .replace(b">17.67</ram:DuePayableAmount", b">0.125</ram:DuePayableAmount")
    )
    fields = parse_einvoice_xml(xml).fields
    assert [(fields[n].value, fields[n].normalized) for n in ("subtotal", "taxAmount", "total", "amountDue")] == [
        ("15", "15.00"),
        ("-3.5", "-3.50"),
        ("17.6700", "17.67"),
        ("0.125", "0.125"),
    ]


def test_format_from_profile() -> None:
    xrechnung = CII_2X.replace(
        b"urn:cen.eu:en16931:2017</", b"urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</"
    )
    assert parse_einvoice_xml(xrechnung).format == "xrechnung"
    assert parse_einvoice_xml(xrechnung, name="factur-x.xml").format == "xrechnung"
    assert parse_einvoice_xml(CII_2X, name="zugferd-invoice.xml").format == "zugferd"
    assert parse_einvoice_xml(CII_2X, name="factur-x.xml").format == "factur-x"


CII_1X = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:SpecifiedExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID>
  </ram:GuidelineSpecifiedDocumentContextParameter></rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument><ram:ID>RE-7</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20130305</udt:DateTimeString></ram:IssueDateTime>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:BuyerOrderReferencedDocument><ram:ID>PO-99</ram:ID></ram:BuyerOrderReferencedDocument>
      <ram:SellerTradeParty><ram:Name>Lieferant  GmbH</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>80333</ram:PostcodeCode><ram:LineOne>Weg 2</ram:LineOne>
          <ram:LineTwo>Hof</ram:LineTwo><ram:CityName>München</ram:CityName><ram:CountryID>DE</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">de 123.456.789</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Kunde</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>de08 7009 0100 1234 5678 90</ram:IBANID>
        </ram:PayeePartyCreditorFinancialAccount>
        <ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>genodef1m04</ram:BICID>
        </ram:PayeeSpecifiedCreditorFinancialInstitution>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax><ram:ApplicablePercent>19.00</ram:ApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms><ram:Description>30 Tage
        netto</ram:Description>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20130404</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:TaxBasisTotalAmount currencyID="EUR">198.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">37.62</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">235.62</ram:GrandTotalAmount>
        <ram:DuePayableAmount currencyID="EUR">235.62</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:SpecifiedSupplyChainTradeAgreement><ram:NetPriceProductTradePrice>
        <ram:ChargeAmount currencyID="EUR">9.9000</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedSupplyChainTradeAgreement>
      <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">20.0000</ram:BilledQuantity>
      </ram:SpecifiedSupplyChainTradeDelivery>
      <ram:SpecifiedSupplyChainTradeSettlement>
        <ram:ApplicableTradeTax><ram:ApplicablePercent>19.00</ram:ApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementMonetarySummation>
          <ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementMonetarySummation>
      </ram:SpecifiedSupplyChainTradeSettlement>
      <ram:SpecifiedTradeProduct><ram:Name>Trennblätter A4</ram:Name></ram:SpecifiedTradeProduct>
    </ram:IncludedSupplyChainTradeLineItem>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
""".encode()


def test_zugferd_1x_fields() -> None:
    invoice = parse_einvoice_xml(CII_1X)
    assert (invoice.format, invoice.type_code) == ("zugferd", "380")
    normalized = {k: v.normalized for k, v in invoice.fields.items()}
    assert normalized == {
        "invoiceNumber": "RE-7",
        "invoiceDate": "2013-03-05",
        "dueDate": "2013-04-04",
        "purchaseOrder": "PO-99",
        "vendorName": "Lieferant GmbH",
        "vendorAddress": "Weg 2, Hof, 80333 München, DE",
        "vendorTaxId": "DE123456789",
        "customerName": "Kunde",
        "currency": "EUR",
        "subtotal": "198.00",
        "taxAmount": "37.62",
        "taxRate": "19.00",
        "total": "235.62",
        "amountDue": "235.62",
        "iban": "DE08700901001234567890",
        "bic": "GENODEF1M04",
        "paymentTerms": "30 Tage netto",
    }
    assert invoice.fields["vendorTaxId"].value == "de 123.456.789"
    assert [(i.description, i.quantity, i.unit_price, i.amount, i.tax_rate) for i in invoice.items] == [
        ("Trennblätter A4", "20", "9.90", "198.00", "19.00")
    ]


UBL_INVOICE = """<?xml version="1.0" encoding="UTF-8"?>
<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>
  <cbc:ID>UBL-42</cbc:ID>
  <cbc:IssueDate>2024-02-29</cbc:IssueDate>
  <cbc:DueDate>2024-03-30</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>04011000-12345-03</cbc:BuyerReference>
  <cac:OrderReference><cbc:ID>PO 7</cbc:ID></cac:OrderReference>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyName><cbc:Name>Trading Name</cbc:Name></cac:PartyName>
    <cac:PostalAddress><cbc:StreetName>Hauptstr. 1</cbc:StreetName><cbc:CityName>Berlin</cbc:CityName>
      <cbc:PostalZone>10115</cbc:PostalZone><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
    </cac:PostalAddress>
    <cac:PartyTaxScheme><cbc:CompanyID>12/345/67890</cbc:CompanyID><cac:TaxScheme><cbc:ID>FC</cbc:ID></cac:TaxScheme>
    </cac:PartyTaxScheme>
    <cac:PartyTaxScheme><cbc:CompanyID>DE 999 999 999</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
    </cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>Verkäufer GmbH</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PostalAddress><cbc:StreetName>Amtsweg 3</cbc:StreetName><cbc:CityName>Bonn</cbc:CityName>
      <cbc:PostalZone>53111</cbc:PostalZone><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
    </cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>Behörde</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>DE02 1203 0000 0000 2020 51</cbc:ID>
      <cac:FinancialInstitutionBranch><cbc:ID>BYLADEM1001</cbc:ID></cac:FinancialInstitutionBranch>
    </cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:PaymentTerms><cbc:Note>Zahlbar in 30 Tagen</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount>
    <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:TaxCategory></cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:TaxTotal><cbc:TaxAmount currencyID="USD">20.50</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">119.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">119.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="HUR">2.50</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Beratung</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">400</cbc:PriceAmount>
      <cbc:BaseQuantity unitCode="HUR">10</cbc:BaseQuantity></cac:Price>
  </cac:InvoiceLine>
</ubl:Invoice>
""".encode()


def test_ubl_invoice() -> None:
    invoice = parse_einvoice_xml(UBL_INVOICE)
    assert (invoice.format, invoice.type_code) == ("xrechnung", "380")
    assert invoice.profile.endswith("xrechnung_3.0")
    normalized = {k: v.normalized for k, v in invoice.fields.items()}
    assert normalized == {
        "invoiceNumber": "UBL-42",
        "invoiceDate": "2024-02-29",
        "dueDate": "2024-03-30",
        "purchaseOrder": "PO 7",
        "vendorName": "Verkäufer GmbH",  # the legal name (BT-27), not the trading name
        "vendorAddress": "Hauptstr. 1, 10115 Berlin, DE",
        "vendorTaxId": "DE999999999",  # VAT, though the FC tax number comes first
        "customerName": "Behörde",
        "customerAddress": "Amtsweg 3, 53111 Bonn, DE",
        "currency": "EUR",
        "subtotal": "100.00",
        "taxAmount": "19.00",  # not the USD tax total
        "taxRate": "19.00",
        "total": "119.00",
        "amountDue": "119.00",
        "iban": "DE02120300000000202051",
        "bic": "BYLADEM1001",
        "paymentTerms": "Zahlbar in 30 Tagen",
    }
    assert all(f.source == "xrechnung" and f.confidence == 1.0 and f.box is None for f in invoice.fields.values())
    assert [(i.description, i.quantity, i.unit_price, i.amount, i.tax_rate) for i in invoice.items] == [
        ("Beratung", "2.5", "40.00", "100.00", "19.00")
    ]


def test_ubl_credit_note() -> None:
    due_date = b"<cbc:PaymentDueDate>2024-04-01</cbc:PaymentDueDate>"
    xml = (
        UBL_INVOICE.replace(b"schema:xsd:Invoice-2", b"schema:xsd:CreditNote-2")
        .replace(b"ubl:Invoice", b"ubl:CreditNote")
        .replace(b"InvoiceTypeCode", b"CreditNoteTypeCode")
        .replace(b">380<", b">381<")
        .replace(b"InvoiceLine>", b"CreditNoteLine>")
        .replace(b"InvoicedQuantity", b"CreditedQuantity")
        .replace(b"<cbc:DueDate>2024-03-30</cbc:DueDate>", b"")
        .replace(b"<cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>", due_date)
    )
    invoice = parse_einvoice_xml(xml)
    assert invoice.type_code == "381"
    assert invoice.fields["dueDate"].normalized == "2024-04-01"
    assert invoice.fields["total"].normalized == "119.00"
    assert [(i.quantity, i.amount) for i in invoice.items] == [("2.5", "100.00")]


# --- refused XML -----------------------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
<rsm:ExchangedDocument><ram:ID>&lol9;</ram:ID></rsm:ExchangedDocument></rsm:CrossIndustryInvoice>
"""


def test_billion_laughs_is_refused_quickly() -> None:
    start = time.monotonic()
    with pytest.raises(InputError, match=r"DTD|entity amplification"):
        parse_einvoice_xml(BILLION_LAUGHS)
    assert time.monotonic() - start < 1


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>',
        b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">',
    ],
)
def test_external_entities_are_refused(doctype: bytes) -> None:
    xml = b'<?xml version="1.0"?>\n' + doctype + CII_2X.split(b"?>", 1)[1].replace(b"<ram:ID>A-1", b"<ram:ID>&xxe;A-1")
    with pytest.raises(InputError, match="DTD"):
        parse_einvoice_xml(xml)


def test_entity_without_doctype_stays_inert() -> None:
    # An undeclared entity reference is a well-formedness error, never a lookup.
    with pytest.raises(InputError, match="not well-formed"):
        parse_einvoice_xml(CII_2X.replace(b"<ram:ID>A-1", b"<ram:ID>&xxe;A-1"))


@pytest.mark.parametrize(
    "xml",
    [
        b"<invoice/>",
        b'<Invoice xmlns="urn:example:other"/>',
        b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>',
        b'<CrossIndustryInvoice xmlns="urn:example"/>',
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>',
    ],
)
def test_not_an_invoice(xml: bytes) -> None:
    with pytest.raises(InputError, match="not a CII or UBL invoice"):
        parse_einvoice_xml(xml)


@pytest.mark.parametrize("xml", [b"", b"not xml", b"<a><b></a>", b"<?xml version='1.0'?>"])
def test_not_well_formed(xml: bytes) -> None:
    with pytest.raises(InputError, match="not well-formed"):
        parse_einvoice_xml(xml)
