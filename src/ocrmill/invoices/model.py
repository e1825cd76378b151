"""What the invoice side finds on a page: fields, table cells and line items, with their evidence.

Pure data. Boxes are in pixels of the page raster the words were recognised on; confidences are 0..1.
Normalised values follow one convention everywhere (the API's `normalized`):

- dates: ISO 8601, ``YYYY-MM-DD``
- amounts (subtotal, taxAmount, total, amountDue, line amounts, unit prices): decimal strings with a
  ``.`` and at least two decimals, no thousands separators, a leading ``-`` when negative: ``"1234.50"``
- quantities: decimal strings without needless zeros: ``"2"``, ``"1.5"``
- taxRate: percent as a decimal string with two decimals: ``"19.00"``
- currency: ISO 4217 code, ``"EUR"``
- iban: upper case without spaces; bic: upper case, 8 or 11 characters
- vendorTaxId: upper case without spaces or dots (``"DE123456789"``)
- names, addresses, numbers, terms: the text with whitespace collapsed to single spaces (address
  lines joined with ``", "``)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ocrmill.domain.document import Box

# The fields every invoice extractor reports when it finds them (the API's extractedFields keys).
FIELD_NAMES = (
    "invoiceNumber",
    "invoiceDate",
    "dueDate",
    "purchaseOrder",
    "vendorName",
    "vendorAddress",
    "vendorTaxId",
    "customerName",
    "customerAddress",
    "currency",
    "subtotal",
    "taxAmount",
    "taxRate",
    "total",
    "amountDue",
    "iban",
    "bic",
    "paymentTerms",
)
AMOUNT_FIELDS = ("subtotal", "taxAmount", "total", "amountDue")


@dataclass
class Field:
    """One extracted value and where it came from."""

    name: str
    value: str  # as printed (or as the e-invoice XML says)
    normalized: str  # see the module's conventions
    confidence: float  # 0..1
    box: Box | None  # page raster pixels; None when the value has no place on a page (XML)
    page: int  # 1-based page number within the invoice job
    source: str = "ocr"  # "ocr", "zugferd", "factur-x", "xrechnung", "correction"
    label: str = ""  # the label text the value was linked to, if any

    def to_api(self) -> dict[str, object]:
        return {
            "value": self.value,
            "normalized": self.normalized,
            "confidence": round(self.confidence, 4),
            "boundingBox": box_to_api(self.box),
            "pageNumber": self.page,
            "source": self.source,
        }


@dataclass
class Cell:
    row: int  # 0-based; row 0 is the header row when the table has one
    column: int
    text: str
    confidence: float  # 0..1
    box: Box

    def to_api(self) -> dict[str, object]:
        return {
            "rowIndex": self.row,
            "columnIndex": self.column,
            "cellText": self.text,
            "confidence": round(self.confidence, 4),
            "boundingBox": box_to_api(self.box),
        }


@dataclass
class LineItem:
    """One row of the line-item table, its cells read by their header's role."""

    description: str
    quantity: str | None = None  # normalised decimal strings (see the module), None when absent
    unit_price: str | None = None
    amount: str | None = None
    tax_rate: str | None = None
    confidence: float = 0.0
    page: int = 1
    row: int = 0  # the row in the page's tableData
    box: Box | None = None

    def to_api(self) -> dict[str, object]:
        return {
            "description": self.description,
            "quantity": self.quantity,
            "unitPrice": self.unit_price,
            "amount": self.amount,
            "taxRate": self.tax_rate,
            "confidence": round(self.confidence, 4),
            "pageNumber": self.page,
            "rowIndex": self.row,
            "boundingBox": box_to_api(self.box),
        }


@dataclass
class Table:
    """The line-item table of a page: its cells, the role of each column and the items it holds."""

    cells: list[Cell] = field(default_factory=list)
    roles: dict[int, str] = field(default_factory=dict)  # column -> description|quantity|unitPrice|amount|taxRate|...
    header_row: int | None = None
    items: list[LineItem] = field(default_factory=list)


@dataclass
class Check:
    """An arithmetic check over the fields (and line items): what was compared and whether it held."""

    name: str  # "lineItemsSum", "subtotalPlusTax", "taxRate", ...
    passed: bool
    expected: str
    found: str
    fields: tuple[str, ...]  # the fields whose confidence it raised or lowered

    def to_api(self) -> dict[str, object]:
        return {
            "name": self.name,
            "passed": self.passed,
            "expected": self.expected,
            "found": self.found,
            "fields": list(self.fields),
        }


@dataclass(frozen=True)
class Symbol:
    """A barcode read on the page: its text, its kind ("QR Code", "EAN-13", ...) and where it is."""

    value: str
    kind: str
    box: Box


def box_to_api(box: Box | None) -> dict[str, int] | None:
    if box is None:
        return None
    return {"x": box.left, "y": box.top, "width": box.width, "height": box.height}
