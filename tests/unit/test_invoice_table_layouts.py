"""Line-item tables of layouts the header-led reader did not know (issue 21): pages drawn here with Pillow, without
any ruling, recognised by the real engine as the server does (pipeline.invoice_page.recognise_page), then read by
invoices.table.find_table. Each page is made once per module."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import pytest
from PIL import Image, ImageDraw, ImageFont

from ocrmill.domain.document import Page
from ocrmill.invoices.model import LineItem
from ocrmill.invoices.table import find_table, read_table

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
# A cell: (text, x, "l" or "r" for the edge x is), bold or not
Cell = tuple[str, int, str, bool]
LINE = 62  # px between rows at 300 dpi (about 10 pt type)


def draw(rows: Sequence[tuple[int, Sequence[Cell]]]) -> Image.Image:
    """An A4 page at 300 dpi with each row's cells drawn at their y, no lines anywhere."""
    image = Image.new("L", (2480, 3508), 255)
    pen = ImageDraw.Draw(image)
    regular, bold = ImageFont.truetype(FONT, 38), ImageFont.truetype(BOLD, 38)
    for y, cells in rows:
        for text, x, align, heavy in cells:
            font = bold if heavy else regular
            left = x - pen.textlength(text, font=font) if align == "r" else x
            pen.text((left, y), text, font=font, fill=0)
    return image


def recognise(image: Image.Image, number: int) -> Page:
    from ocrmill.pipeline.engine import EnginePool
    from ocrmill.pipeline.invoice_page import recognise_page
    from ocrmill.pipeline.languages import tessdata_dir

    tessdata = tessdata_dir(None)
    seen = recognise_page(
        image, 300, engines=EnginePool(tessdata), langs=["eng", "deu", "fra"], number=number, tessdata=tessdata
    )
    return seen.page


def t(text: str, x: int, align: str = "l", bold: bool = False) -> Cell:
    return (text, x, align, bold)


# Columns: position and description left-aligned, figures right-aligned; the header's last three words are set
# close together ("ME Einzelpreis" over two columns), as typewriter-style invoices do.
HEADER = [t("Pos.", 200, bold=True), t("Artikelbezeichnung", 330, bold=True), t("Menge", 1390, "r", True),
          t("ME", 1440, bold=True), t("Einzelpreis", 1880, "r", True), t("Betrag", 2280, "r", True)]  # fmt: skip


def item(y: int, pos: str, text: str, qty: str, unit: str, price: str, amount: str) -> tuple[int, list[Cell]]:
    return y, [t(pos, 200), t(text, 330), t(qty, 1390, "r"), t(unit, 1440), t(price, 1880, "r"), t(amount, 2280, "r")]


def letterhead() -> list[tuple[int, list[Cell]]]:
    return [
        (200, [t("Nordlicht Werkzeuge GmbH", 200, bold=True)]),
        (262, [t("Hafenstraße 12, 20457 Hamburg", 200)]),
        (500, [t("Rechnung Nr. 2024-0815", 200, bold=True), t("Datum: 05.06.2024", 2280, "r")]),
    ]


@functools.cache
def one_page() -> Page:
    """Unruled; a wrapped description; a discount sub-line; the totals block under the figures."""
    rows = [
        *letterhead(),
        (800, HEADER),
        item(900, "1", "Akkuschrauber 18 V", "10", "Stk.", "129,00", "1.290,00"),
        item(900 + LINE * 3 // 2, "2", "Bohrerset HSS 25-teilig, Kassette", "40", "Stk.", "24,90", "996,00"),
        (900 + LINE * 5 // 2, [t("aus Metall mit Größenanzeige", 330)]),
        (900 + LINE * 4, [t("Rabatt 10 %", 330), t("-99,60", 2280, "r")]),
        item(900 + LINE * 11 // 2, "3", "Versandpauschale", "1", "psch.", "6,50", "6,50"),
        (1500, [t("Summe netto", 1500), t("2.192,90", 2280, "r")]),
        (1500 + LINE, [t("zzgl. 19 % MwSt.", 1500), t("416,65", 2280, "r")]),
        (1500 + 2 * LINE, [t("Gesamtbetrag", 1500, bold=True), t("2.609,55", 2280, "r", True)]),
    ]
    return recognise(draw(rows), 1)


@functools.cache
def two_pages() -> tuple[Page, Page]:
    """A table continued on page 2: no header there, a carried-forward line, then the items and the totals."""
    first = [
        *letterhead(),
        (800, HEADER),
        item(900, "1", "Schrauben M6 x 40", "200", "Stk.", "0,12", "24,00"),
        item(900 + LINE * 3 // 2, "2", "Muttern M6", "100", "Stk.", "0,09", "9,00"),
        item(900 + LINE * 3, "3", "Winkel Stahl 40x40 mm", "12", "Stk.", "2,35", "28,20"),
        (900 + LINE * 5, [t("Übertrag", 330, bold=True), t("61,20", 2280, "r", True)]),
    ]
    second = [
        (200, [t("Nordlicht Werkzeuge GmbH", 200, bold=True), t("Rechnung 2024-0815, Seite 2", 2280, "r")]),
        (420, [t("Übertrag", 330, bold=True), t("61,20", 2280, "r", True)]),
        item(520, "4", "Kabelbinder 200 mm", "500", "Stk.", "0,03", "15,00"),
        item(520 + LINE * 3 // 2, "5", "Schutzhandschuhe Gr. L", "10", "Paar", "3,80", "38,00"),
        item(520 + LINE * 3, "6", "Arbeitsstunden Montage", "3", "h", "58,00", "174,00"),
        (900, [t("Summe netto", 1500), t("288,20", 2280, "r")]),
        (900 + LINE, [t("zzgl. 19 % MwSt.", 1500), t("54,76", 2280, "r")]),
        (900 + 2 * LINE, [t("Gesamtbetrag", 1500, bold=True), t("342,96", 2280, "r", True)]),
    ]
    return recognise(draw(first), 1), recognise(draw(second), 2)


def read(items: Sequence[LineItem]) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(i.description, i.quantity, i.unit_price, i.amount) for i in items]


@pytest.fixture(scope="module")
def single() -> list[LineItem]:
    return read_table(one_page(), number=1).items  # confidences as read, before the calibration


def test_an_unruled_table_with_a_header_set_close_together(single: list[LineItem]) -> None:
    """No ruling lines; "ME Einzelpreis" and "Pos. Artikelbezeichnung" split by the gaps of the rows under them; the
    running position number is not part of the description; the totals block is no item."""
    assert len(single) == 4
    first = single[0]
    assert (first.description, first.quantity, first.unit_price, first.amount) == (
        "Akkuschrauber 18 V",
        "10",
        "129.00",
        "1290.00",
    )
    assert [i.amount for i in single] == ["1290.00", "996.00", "-99.60", "6.50"]
    assert single[-1].description == "Versandpauschale"


def test_a_wrapped_description_joins_its_item(single: list[LineItem]) -> None:
    wrapped = single[1]
    assert wrapped.description == "Bohrerset HSS 25-teilig, Kassette aus Metall mit Größenanzeige"
    assert (wrapped.quantity, wrapped.unit_price, wrapped.amount) == ("40", "24.90", "996.00")
    assert wrapped.confidence > 0.8  # 40 x 24,90 = 996,00 held


def test_a_discount_sub_line_is_an_item_with_a_negative_amount(single: list[LineItem]) -> None:
    discount = single[2]
    assert (discount.description, discount.quantity, discount.unit_price, discount.amount) == (
        "Rabatt 10 %",
        None,
        None,
        "-99.60",
    )
    assert sum(float(i.amount or 0) for i in single) == pytest.approx(2192.90)  # the net total printed


def test_a_table_continued_on_page_two_is_read_as_one() -> None:
    page1, page2 = two_pages()
    items = find_table(page1, number=1).items + find_table(page2, number=2).items
    assert read(items) == [
        ("Schrauben M6 x 40", "200", "0.12", "24.00"),
        ("Muttern M6", "100", "0.09", "9.00"),
        ("Winkel Stahl 40x40 mm", "12", "2.35", "28.20"),
        ("Kabelbinder 200 mm", "500", "0.03", "15.00"),
        ("Schutzhandschuhe Gr. L", "10", "3.80", "38.00"),
        ("Arbeitsstunden Montage", "3", "58.00", "174.00"),
    ]
    assert [i.page for i in items] == [1, 1, 1, 2, 2, 2]
    assert sum(float(i.amount or 0) for i in items) == pytest.approx(288.20)
