"""Barcode types as the ownOCR API numbers them (a barcode's `Type`), and their BarcodeFilter bits."""

from __future__ import annotations

from enum import IntEnum


class BarcodeType(IntEnum):
    EAN8 = 1
    UPCE = 2
    ISBN10 = 3
    UPCA = 4
    EAN13 = 5
    ISBN13 = 6
    INTERLEAVED2OF5 = 7
    CODE39 = 8
    QRCODE = 9
    CODE128 = 10

    @property
    def filter_bit(self) -> int:
        """The type's bit in BarcodeFilter: 0x01 for EAN8 ... 0x200 for CODE128, in the same order."""
        return 1 << (self.value - 1)

    @property
    def label(self) -> str:
        """The name people read ("Interleaved 2 of 5"), where `name` is the API's ("INTERLEAVED2OF5")."""
        return _LABELS[self]


_LABELS = {
    BarcodeType.EAN8: "EAN-8",
    BarcodeType.UPCE: "UPC-E",
    BarcodeType.ISBN10: "ISBN-10",
    BarcodeType.UPCA: "UPC-A",
    BarcodeType.EAN13: "EAN-13",
    BarcodeType.ISBN13: "ISBN-13",
    BarcodeType.INTERLEAVED2OF5: "Interleaved 2 of 5",
    BarcodeType.CODE39: "Code 39",
    BarcodeType.QRCODE: "QR Code",
    BarcodeType.CODE128: "Code 128",
}


def type_name(value: object) -> str:
    """The name of a barcode Type number ("QRCODE"), or "" for anything else."""
    try:
        return BarcodeType(value).name if isinstance(value, int) and not isinstance(value, bool) else ""
    except ValueError:
        return ""
