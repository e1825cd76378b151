"""Payment QR codes: the EPC QR code (GiroCode) and the Swiss QR-bill give the IBAN and the amount due exactly."""

from __future__ import annotations

import numpy as np
import zxingcpp
from PIL import Image

from ocrmill.domain.document import Box
from ocrmill.invoices.analyse import analyse_page, blocks_api
from ocrmill.invoices.model import Symbol
from ocrmill.invoices.paycodes import payment_fields
from ocrmill.pipeline.barcodes import BOTH, read_barcodes
from tests.documents import hand_page

BOX = Box(10, 10, 110, 110)
EPC = "BCD\n002\n1\nSCT\nCOBADEFFXXX\nLieferant GmbH\nDE89 3704 0044 0532 0130 00\nEUR529.87\n\n\nRechnung 471102\n"
SWISS = "\n".join(
    [
        "SPC",
        "0200",
        "1",
        "CH4431999123000889012",
        "S",
        "Robert Schneider AG",
        "Rue du Lac",
        "1268",
        "2501",
        "Biel",
        "CH",
    ]
    + [""] * 7
    + ["1949.75", "CHF", "S", "Pia-Maria Rutschmann-Schnyder", "Grosse Marktgasse", "28", "9400", "Rorschach", "CH"]
    + ["QRR", "210000000003139471430009017", "", "EPD"]
)


def test_an_epc_qr_code_gives_iban_bic_payee_amount_and_currency() -> None:
    found = {name: f.normalized for name, f in payment_fields(EPC, box=BOX, page=2).items()}
    assert found == {
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "vendorName": "Lieferant GmbH",
        "amountDue": "529.87",
        "currency": "EUR",
    }
    assert {f.source for f in payment_fields(EPC, box=BOX, page=2).values()} == {"epc-qr"}


def test_a_swiss_qr_bill() -> None:
    found = {name: f.normalized for name, f in payment_fields(SWISS, box=BOX, page=1).items()}
    assert found["iban"] == "CH4431999123000889012"
    assert found["amountDue"] == "1949.75" and found["currency"] == "CHF"
    assert found["vendorName"] == "Robert Schneider AG"


def test_a_bad_iban_or_another_code_gives_nothing() -> None:
    assert payment_fields(EPC.replace("DE89", "DE88"), box=BOX, page=1) == {}
    assert payment_fields("https://example.com/invoice/4711", box=BOX, page=1) == {}


def test_a_qr_code_on_the_page_is_read_and_wins_over_the_ocr() -> None:
    symbol = zxingcpp.create_barcode(EPC, zxingcpp.BarcodeFormat.QRCode)
    qr = Image.fromarray(np.asarray(zxingcpp.write_barcode_to_image(symbol, scale=8))).convert("L")
    sheet = Image.new("L", (qr.width + 200, qr.height + 200), 255)
    sheet.paste(qr, (100, 100))
    codes = read_barcodes(sheet, page_no=1, filter_bits=0, direction=BOTH)
    symbols = [Symbol(c.value, c.type.name, Box(c.x, c.y, c.x + c.width, c.y + c.height)) for c in codes]
    assert [s.value for s in symbols] == [EPC]
    page = hand_page([["Lieferant GmbH"], ["IBAN: DE02 1203 0000 0000 2020 51"], ["Zahlbetrag 529,87 EUR"]])
    analysis = analyse_page(page, number=1, symbols=symbols)
    assert analysis.fields["iban"].normalized == "DE89370400440532013000"
    assert analysis.fields["iban"].source == "epc-qr"
    assert analysis.fields["amountDue"].normalized == "529.87"
    barcode_blocks = [b for b in blocks_api(page, analysis.table, symbols) if b["blockType"] == "barcode"]
    assert barcode_blocks and barcode_blocks[0]["text"] == EPC
