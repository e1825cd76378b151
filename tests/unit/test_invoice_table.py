"""The line-item table of an invoice page (invoices.table.find_table): hand-made pages for the rules, and one
real ZUGFeRD invoice page, rasterised and recognised as the server does, against the line items of its XML."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from lxml import etree

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word
from ocrmill.domain.knots import interpolate
from ocrmill.invoices.model import Table
from ocrmill.invoices.table import arithmetic, find_table, item_calibration, read_table, role_of
from tests.documents import word
from tests.harness import DATA

ZUGFERD = DATA / "invoices-zugferd"
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def page_of(rows: list[tuple[int, list[tuple[str, int]]]], *, height: int = 40) -> Page:
    """An A4 page at 300 dpi: each row (top, [(text, left), ...]) one Tesseract line in a block of its own; a
    cell's words are laid left to right with word spacing, cells apart at their own left edges."""
    page = Page(number=1, width=2480, height=3508, dpi=300)
    for top, cells in rows:
        words: list[Word] = []
        for text, left in cells:
            x = left
            for token in text.split():
                words.append(word(token, x, top, height=height))
                x += 22 * len(token) + 18
        box = Box(min(w.box.left for w in words), top, max(w.box.right for w in words), top + height)
        page.blocks.append(Block(box=box, paragraphs=[Paragraph(box=box, lines=[Line(box=box, words=words)])]))
    return page


def right(text: str, right_edge: int) -> tuple[str, int]:
    """A right-aligned cell: its left edge so that the words end at `right_edge`."""
    width = sum(22 * len(t) for t in text.split()) + 18 * (len(text.split()) - 1)
    return text, right_edge - width


HEADER_DE = [
    ("Pos", 200),
    ("Bezeichnung", 400),
    right("Menge", 1300),
    right("Einzelpreis", 1700),
    right("MwSt", 1950),
    right("Betrag", 2250),
]


def item_de(
    top: int, pos: str, text: str, qty: str, price: str, rate: str, amount: str
) -> tuple[int, list[tuple[str, int]]]:
    return (
        top,
        [(pos, 200), (text, 400), right(qty, 1300), right(price, 1700), right(rate, 1950), right(amount, 2250)],
    )


# A German invoice's title, header and three items, and the first line of its totals block
ITEMS_DE = [
    (300, [("Rechnung Nr. 4711", 200)]),
    (500, HEADER_DE),
    item_de(600, "1", "Trennblätter A4", "20 Stk", "9,90", "19 %", "198,00"),
    item_de(680, "2", "Joghurt Banane", "50", "5,50", "7 %", "275,00"),
    item_de(760, "3", "Versand", "1", "4,90", "19 %", "4,90"),
    (900, [("Zwischensumme", 1300), right("477,90", 2250)]),
]


def test_german_header_three_items_and_the_totals_block_left_out() -> None:
    page = page_of(
        [
            *ITEMS_DE,
            (960, [("MwSt 19 %", 1300), right("38,55", 2250)]),
            (1020, [("Gesamtbetrag", 1300), right("535,72", 2250)]),
        ]
    )
    table = read_table(page, number=2)
    assert [(i.description, i.quantity, i.unit_price, i.amount, i.tax_rate) for i in table.items] == [
        ("Trennblätter A4", "20", "9.90", "198.00", "19.00"),
        ("Joghurt Banane", "50", "5.50", "275.00", "7.00"),
        ("Versand", "1", "4.90", "4.90", "19.00"),
    ]
    assert [i.row for i in table.items] == [1, 2, 3] and {i.page for i in table.items} == {2}
    assert table.header_row == 0
    assert sorted(table.roles.values()) == sorted(
        ["itemNumber", "description", "quantity", "unitPrice", "taxRate", "amount"]
    )
    header = {c.column: c.text for c in table.cells if c.row == 0}
    amount_column = next(col for col, role in table.roles.items() if role == "amount")
    assert header[amount_column] == "Betrag"
    amounts = [c for c in table.cells if c.column == amount_column and c.row > 0]
    assert [c.text for c in amounts] == ["198,00", "275,00", "4,90"]  # nothing of the totals block
    assert all(c.box.right == 2250 and 0.9 <= c.confidence <= 1 for c in amounts)
    assert all(i.confidence > 0.95 for i in table.items)  # quantity x price = amount held on each


def turned_page(rows: list[tuple[int, list[tuple[str, int]]]], slope: float) -> Page:
    """page_of's rows as a page scanned askew (y grows downwards: a negative slope rises to the right), each cell
    a Tesseract line and block of its own, as Tesseract cuts a row at wide gaps: each word moved as its centre
    moves (its box upright), each line's baseline along the slope."""
    page = Page(number=1, width=2480, height=3508, dpi=300)
    for block in page_of(rows).blocks:
        words = block.paragraphs[0].lines[0].words
        cells: list[list[Word]] = [[words[0]]]
        for before, after in itertools.pairwise(words):
            if after.box.left - before.box.right > 60:
                cells.append([])
            cells[-1].append(after)
        for cell in cells:
            moved = []
            for w in cell:
                x, y = (w.box.left + w.box.right) / 2, (w.box.top + w.box.bottom) / 2
                dx, dy = round(-slope * y), round(slope * x)
                moved.append(Word(w.text, Box(w.box.left + dx, w.box.top + dy, w.box.right + dx, w.box.bottom + dy),
                                  w.confidence, w.font_size))  # fmt: skip
            box = Box(min(w.box.left for w in moved), min(w.box.top for w in moved),
                      max(w.box.right for w in moved), max(w.box.bottom for w in moved))  # fmt: skip
            line = Line(box=box, words=moved, baseline=(slope, 0.0))
            page.blocks.append(Block(box=box, paragraphs=[Paragraph(box=box, lines=[line])]))
    return page


def test_items_of_a_page_scanned_askew_are_read_along_its_rows() -> None:
    """Turned 2 degrees (as much as a scanner feeds a page askew), an item's amount stands 70 px higher than its
    position number, more than a line's height: its cells are joined along the page's slope (Tesseract's
    baselines), and the items read as on the page set straight."""
    straight = read_table(page_of(ITEMS_DE), number=1)
    turned = read_table(turned_page(ITEMS_DE, -0.035), number=1)
    assert [(i.description, i.quantity, i.unit_price, i.amount) for i in turned.items] == [
        (i.description, i.quantity, i.unit_price, i.amount) for i in straight.items
    ]
    assert len(turned.items) == 3


def description_cell(table: Table, row: int) -> str:
    """The text of the table's description cell in `row`."""
    column = next(col for col, role in table.roles.items() if role == "description")
    return next(c.text for c in table.cells if c.row == row and c.column == column)


def test_a_wrapped_description_stays_with_its_item_and_a_note_below_is_no_item() -> None:
    page = page_of(
        [
            (500, HEADER_DE),
            item_de(600, "1", "Small Business Exchange", "1", "3,89", "19 %", "3,89"),
            (650, [("Grundgebühr pro Einheit", 400)]),  # set tightly under it: the same description
            (780, [("Dienst: OUDJQ_office", 400)]),  # further off: a note in the item's cells only
            item_de(880, "2", "Small Business Quality", "2", "5,39", "19 %", "10,78"),
            (1100, [("Summe", 1300), right("14,67", 2250)]),
        ]
    )
    table = find_table(page)
    assert [(i.description, i.amount) for i in table.items] == [
        ("Small Business Exchange Grundgebühr pro Einheit", "3.89"),
        ("Small Business Quality", "10.78"),
    ]
    assert description_cell(table, 1).endswith("Dienst: OUDJQ_office")
    assert table.items[0].box is not None and table.items[0].box.bottom == 820


def test_a_serial_number_set_tightly_under_an_item_is_no_part_of_its_description() -> None:
    page = page_of(
        [
            (500, HEADER_DE),
            item_de(600, "1", "Tablet Wifi 16 GB", "1", "399,00", "21 %", "399,00"),
            (650, [("Serial number: SDM373MP15", 400)]),  # as close as a wrapped line, but a label names it
            item_de(700, "2", "Leather Cover", "1", "69,99", "21 %", "69,99"),
            (750, [("S/N: 4471-22", 400)]),
            (800, [("Summe", 1300), right("468,99", 2250)]),
        ]
    )
    table = find_table(page)
    assert [(i.description, i.amount) for i in table.items] == [
        ("Tablet Wifi 16 GB", "399.00"),
        ("Leather Cover", "69.99"),
    ]
    assert description_cell(table, 1).endswith("SDM373MP15")  # kept in the item's cells


def test_french_header_with_a_two_word_price_column() -> None:
    page = page_of(
        [
            (
                500,
                [
                    ("Réf", 200),
                    ("Désignation", 400),
                    right("Qté", 1300),
                    right("Prix unit. HT", 1700),
                    right("TVA", 1950),
                    right("Montant HT", 2250),
                ],
            ),
            (
                600,
                [
                    ("A-12", 200),
                    ("Ramette papier", 400),
                    right("3", 1300),
                    right("4,50", 1700),
                    right("20%", 1950),
                    right("13,50", 2250),
                ],
            ),
            (700, [("Sous-total HT", 1300), right("13,50", 2250)]),
            (760, [("TVA 20 %", 1300), right("2,70", 2250)]),
        ]
    )
    table = find_table(page)
    assert [(i.description, i.quantity, i.unit_price, i.amount, i.tax_rate) for i in table.items] == [
        ("Ramette papier", "3", "4.50", "13.50", "20.00")
    ]
    assert table.roles[next(c.column for c in table.cells if c.row == 0 and c.text == "Prix unit. HT")] == "unitPrice"


def test_a_receipt_without_a_header_reads_text_and_amount_rows() -> None:
    page = page_of(
        [
            (200, [("SUPERMARKT MUSTER", 300)]),
            (260, [("Hauptstr. 1, 12345 Berlin", 300)]),
            (400, [("Milch 3,5%", 300), right("1,29 A", 1200)]),
            (460, [("Brot", 300), right("2,49 A", 1200)]),
            (520, [("2 x 1,50", 340)]),
            (580, [("Cola", 300), right("3,00 B", 1200)]),
            (700, [("SUMME", 300), right("6,78", 1200)]),
            (760, [("BAR", 300), right("10,00", 1200)]),
            (820, [("Rückgeld", 300), right("3,22", 1200)]),
        ]
    )
    table = read_table(page)
    assert table.header_row is None
    assert [(i.description, i.amount) for i in table.items] == [
        ("Milch 3,5%", "1.29"),
        ("Brot", "2.49"),
        ("Cola", "3.00"),
    ]
    cola = table.items[2]
    assert (cola.quantity, cola.unit_price) == ("2", "1.50")
    assert [i.row for i in table.items] == [0, 1, 2]
    assert cola.confidence > table.items[1].confidence  # 2 x 1,50 = 3,00 held


def test_a_statement_whose_items_have_indented_sub_lines_reads_each_item_once() -> None:
    """A cloud or telephone bill: each service with its amount, then its breakdown set in under it (charges,
    credits, VAT) with figures in the same column; the VAT label under an item ends nothing."""
    rows = [(300, [("Detail", 200)])]
    for k, (name, amount) in enumerate([("Data Transfer", "$0.01"), ("Compute Cloud", "$1.87"), ("Archive", "$2.22")]):
        top = 400 + 300 * k
        rows += [
            (top, [(name, 250), right(amount, 2200)]),
            (top + 90, [("Charges", 310), right(amount, 2230)]),
            (top + 180, [("VAT *", 310), right("$0.00", 2230)]),
        ]
    rows += [(1400, [("Total for this invoice", 200), right("$4.10", 2200)])]
    table = find_table(page_of(rows))
    assert [(i.description, i.amount) for i in table.items] == [
        ("Data Transfer", "0.01"),
        ("Compute Cloud", "1.87"),
        ("Archive", "2.22"),
    ]
    assert all(i.quantity is None for i in table.items)  # "VAT * $0.00" above an item is no "2 x 1,50"


def test_a_totals_label_set_in_under_the_last_item_still_ends_the_items() -> None:
    """The service charge under a receipt's subtotal does not start where the items' text does, so the
    subtotal between them is no sub-line: it ends the items."""
    page = page_of(
        [
            (400, [("1", 180), ("Pineapple juice", 300), right("12.90", 1100)]),
            (460, [("1", 180), ("Tostada chips", 300), right("16.90", 1100)]),
            (560, [("Subtotal", 270), right("29.80", 1100)]),
            (620, [("10% Service charge", 270), right("2.98", 1100)]),
            (680, [("Total:", 270), right("32.78", 1100)]),
        ]
    )
    assert [i.amount for i in find_table(page).items] == ["12.90", "16.90"]


def test_a_word_space_under_a_two_word_header_does_not_cut_it_into_two_columns() -> None:
    """ "Item description" over descriptions whose first word spaces happen to line up under the header's own
    space: a word space is no gap between columns (those are wider), so the descriptions stay descriptions."""
    page = page_of(
        [
            (500, [("Item description", 500), right("Qty.", 1500), right("Price", 1800), right("Total", 2200)]),
            (600, [("Copy paper A4 80 g", 499), right("4", 1500), right("338.39", 1800), right("1,353.56", 2200)]),
            (680, [("Desk lamp, anthracite", 501), right("10", 1500), right("704.87", 1800), right("7,048.70", 2200)]),
            (800, [("Subtotal", 1400), right("8,402.26", 2200)]),
        ]
    )
    table = find_table(page)
    assert [(i.description, i.amount) for i in table.items] == [
        ("Copy paper A4 80 g", "1353.56"),
        ("Desk lamp, anthracite", "7048.70"),
    ]


def test_quantity_times_price_raises_or_lowers_the_confidence() -> None:
    page = page_of(
        [
            (500, HEADER_DE),
            item_de(600, "1", "Schrauben", "2", "10,00", "19 %", "20,00"),
            item_de(680, "2", "Muttern", "2", "10,00", "19 %", "25,00"),
            item_de(760, "3", "Scheiben", "", "10,00", "19 %", "10,00"),
        ]
    )
    held, failed, unchecked = read_table(page).items
    assert unchecked.quantity is None
    assert held.confidence > unchecked.confidence > failed.confidence
    assert failed.confidence < 0.6


def test_arithmetic_allows_for_rounding_discounts_and_gross_amounts() -> None:
    assert arithmetic(Decimal(3), Decimal("3.3333"), Decimal("10.00")) is True  # rounded unit price
    assert arithmetic(Decimal(2), Decimal("10.00"), Decimal("25.00")) is False
    assert arithmetic(Decimal(1), Decimal("100.00"), Decimal("90.00"), discount=Decimal(10)) is True
    assert arithmetic(Decimal(1), Decimal("67.2244"), Decimal("80.00"), rate=Decimal(19)) is True  # gross amount
    assert arithmetic(None, Decimal("1.00"), Decimal("1.00")) is None


def test_items_confidence_is_the_reading_s_score_calibrated() -> None:
    """find_table maps each item's score (read_table's) through the shipped calibration: increasing, in [0, 1],
    a probability fitted on synthetic invoices (bench.invoice_tables --fit-confidence)."""
    knots = item_calibration()
    assert len(knots) >= 2
    assert all(0 <= y <= 1 for _, y in knots)
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in itertools.pairwise(knots))
    page = page_of(
        [
            (500, HEADER_DE),
            item_de(600, "1", "Beratung", "2", "99,00", "19 %", "198,00"),
            item_de(700, "2", "Reisekosten", "1", "275,00", "19 %", "270,00"),
            (900, [("Summe", 1300), right("468,00", 2250)]),
        ]
    )
    raw, calibrated = read_table(page).items, find_table(page).items
    assert [i.confidence for i in calibrated] == [round(interpolate(knots, i.confidence), 4) for i in raw]
    assert calibrated[0].confidence > calibrated[1].confidence  # the check that held still counts


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Bezeichnung", "description"),
        ("Désignation", "description"),
        ("Qté", "quantity"),
        ("Anzahl", "quantity"),
        ("Einzelpreis", "unitPrice"),
        ("Gesamtpreis", "amount"),
        ("Nettobetrag", "amount"),
        ("Steuerbetrag", "taxAmount"),
        ("MwSt.", "taxRate"),
        ("Art.-Nr.", "itemNumber"),
        ("Einheit", "unit"),
        ("Rabatt", "discount"),
        ("Rechnung", None),
    ],
)
def test_header_words(text: str, role: str | None) -> None:
    assert role_of(text) == role


def test_a_vat_breakdown_is_no_item_table() -> None:
    page = page_of(
        [
            (500, [right("Steuersatz", 900), right("Nettobetrag", 1500), right("Steuerbetrag", 2250)]),
            (600, [right("19 %", 900), right("100,00", 1500), right("19,00", 2250)]),
            (660, [right("7 %", 900), right("200,00", 1500), right("14,00", 2250)]),
        ]
    )
    assert find_table(page) == Table()


def test_a_page_without_items_has_an_empty_table() -> None:
    page = page_of([(300, [("Sehr geehrte Damen und Herren,", 200)]), (360, [("vielen Dank für Ihren Auftrag.", 200)])])
    assert find_table(page) == Table()


# --- a real page ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def einfach_items() -> Table:
    """Page 2 of the ZUGFeRD sample EN16931_Einfach, rasterised at 300 dpi and recognised as the server does."""
    import pypdfium2

    from ocrmill.pipeline.engine import EnginePool
    from ocrmill.pipeline.invoice_page import recognise_page
    from ocrmill.pipeline.languages import tessdata_dir

    document = pypdfium2.PdfDocument(str(ZUGFERD / "EN16931_Einfach.pdf"))
    try:
        image = document[1].render(scale=300 / 72).to_pil().convert("L")
    finally:
        document.close()
    tessdata = tessdata_dir(None)
    recognised = recognise_page(
        image, 300, engines=EnginePool(tessdata), langs=["eng", "deu", "fra"], number=2, tessdata=tessdata
    )
    return read_table(recognised.page, number=2)  # confidences as read, before the calibration


def test_a_real_zugferd_page_against_its_xml(einfach_items: Table) -> None:
    tree = etree.parse(str(ZUGFERD / "EN16931_Einfach.cii.xml"))
    expected = [
        (
            item.findtext("ram:SpecifiedTradeProduct/ram:Name", namespaces=NS),
            Decimal(item.findtext("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", namespaces=NS) or "0"),
            Decimal(
                item.findtext(
                    "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/"
                    "ram:LineTotalAmount",
                    namespaces=NS,
                )
                or "0"
            ),
        )
        for item in tree.getroot().iterfind(".//ram:IncludedSupplyChainTradeLineItem", NS)
    ]
    items = einfach_items.items
    assert len(items) == len(expected) == 2
    for item, (name, quantity, amount) in zip(items, expected, strict=True):
        assert item.amount is not None and Decimal(item.amount) == amount
        assert item.quantity is not None and Decimal(item.quantity) == quantity
        assert item.description == name
        assert item.page == 2 and item.confidence > 0.9
    assert einfach_items.header_row == 0
    assert "amount" in einfach_items.roles.values()


def test_the_printed_net_total_chooses_whether_a_last_sub_line_is_an_item() -> None:
    """A charge set where the descriptions start, after the last item: an item when the net total printed under the
    table includes it, the invoice's own charge (no item) when the items add up to the net total without it."""

    def page(net: str) -> Page:
        return page_of(
            [
                (500, HEADER_DE),
                item_de(600, "1", "Schrauben", "2", "10,00", "19 %", "20,00"),
                item_de(680, "2", "Muttern", "4", "2,50", "19 %", "10,00"),
                (760, [("Versandkosten", 400), right("4,90", 2250)]),
                (900, [("Zwischensumme", 1300), right(net, 2250)]),
            ]
        )

    kept = read_table(page("34,90")).items
    assert [(i.description, i.amount) for i in kept] == [
        ("Schrauben", "20.00"),
        ("Muttern", "10.00"),
        ("Versandkosten", "4.90"),
    ]
    left_out = read_table(page("30,00")).items
    assert [(i.description, i.amount) for i in left_out] == [("Schrauben", "20.00"), ("Muttern", "10.00")]
    assert all(i.confidence > 0.97 for i in left_out)  # quantity x price and the sum both held
