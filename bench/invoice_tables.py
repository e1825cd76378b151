"""Line-item tables of invoice pages: find_table against the e-invoice XML and invoice2data's expectations.

    .venv/bin/python -m bench.invoice_tables [--sets zugferd,invoice2data] [--cache DIR] [--jobs 2] [--limit N]
                                             [--show]

Sets (../shared/data, see each folder's README.md):
  zugferd       invoices-zugferd: each PDF rasterised at 300 dpi; ground truth the .cii.xml's
                ram:IncludedSupplyChainTradeLineItem (product name, billed quantity, net price, line total) and
                expected.json's line_count
  invoice2data  invoices-invoice2data PDFs rasterised at 300 dpi; ground truth the JSON's "lines" where present
                (name, price_unit, qty, price_subtotal); invoices without "lines" are left out

Each page goes through what the server runs per invoice page (pipeline.invoice_page.recognise_page: clean-up,
then Tesseract with eng+deu+fra); the recognised Pages are pickled to --cache (default /tmp/tables-cache) so that
a second run only times find_table. The items of all pages of an invoice are pooled.

Metrics per set: line count exact (the invoice's item count equals the ground truth's), item precision / recall /
F1 (an item matches a ground-truth line when its amount equals the line total after normalisation and its
description holds at least half of the GT name's words; each GT line matched once), and find_table's seconds per
page. When the GT has no line total (invoice2data's AWS lines), the unit price stands in for it. Ends with one
JSON line holding every figure.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import sys
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from lxml import etree

from ocrmill.domain.document import Page
from ocrmill.invoices.formats import amount_str, quantity_str
from ocrmill.invoices.model import LineItem
from ocrmill.invoices.table import find_table

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SETS = ("zugferd", "invoice2data")
DEFAULT_CACHE = Path("/tmp/tables-cache")
RENDER_DPI = 300
LANGS = ["eng", "deu", "fra"]
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
LINE_COUNT_TARGET = 8 / 11
F1_TARGET = 0.8


@dataclass(frozen=True)
class Expected:
    name: str
    quantity: str | None
    unit_price: str | None
    amount: str | None  # the line total; None when the ground truth has none


@dataclass
class Invoice:
    name: str
    pdf: Path
    lines: list[Expected]
    line_count: int


@dataclass
class Outcome:
    invoice: Invoice
    items: list[LineItem] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0
    matched: int = 0


# --- ground truth -----------------------------------------------------------------------------------------------


def _text(node: etree._Element, path: str) -> str | None:
    found = node.xpath(path, namespaces=NS)
    if not found:
        return None
    value = found[0]
    return str(value.text if isinstance(value, etree._Element) else value).strip()


def _amount(value: object) -> str | None:
    if value is None or value == "":
        return None
    return amount_str(Decimal(str(value)))


def _quantity(value: object) -> str | None:
    if value is None or value == "":
        return None
    return quantity_str(Decimal(str(value)))


def zugferd() -> list[Invoice]:
    out: list[Invoice] = []
    for xml in sorted((DATA / "invoices-zugferd").glob("*.cii.xml")):
        stem = xml.name.removesuffix(".cii.xml")
        tree = etree.parse(str(xml))
        lines: list[Expected] = []
        for item in tree.getroot().iterfind(".//ram:IncludedSupplyChainTradeLineItem", NS):
            lines.append(
                Expected(
                    name=_text(item, "ram:SpecifiedTradeProduct/ram:Name") or "",
                    quantity=_quantity(_text(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")),
                    unit_price=_amount(
                        _text(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount")
                    ),
                    amount=_amount(
                        _text(
                            item,
                            "ram:SpecifiedLineTradeSettlement/"
                            "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                        )
                    ),
                )
            )
        expected = json.loads((xml.parent / f"{stem}.expected.json").read_text(encoding="utf-8"))
        out.append(Invoice(stem, xml.parent / f"{stem}.pdf", lines, int(expected["line_count"])))
    return out


def invoice2data() -> list[Invoice]:
    out: list[Invoice] = []
    for gt in sorted((DATA / "invoices-invoice2data").glob("*.json")):
        pdf = gt.with_suffix(".pdf")
        record = json.loads(gt.read_text(encoding="utf-8"))[0]
        if not pdf.exists() or not record.get("lines"):
            continue
        lines: list[Expected] = []
        for line in record["lines"]:
            name = line.get("name") or line.get("desc")
            if not name:
                continue  # a note under the item above ("Serienummer: ...")
            lines.append(
                Expected(
                    name=str(name),
                    quantity=_quantity(line.get("qty")),
                    unit_price=_amount(line.get("price_unit", line.get("price"))),
                    amount=_amount(line.get("price_subtotal")),
                )
            )
        out.append(Invoice(gt.stem, pdf, lines, len(lines)))
    return out


# --- OCR, cached ------------------------------------------------------------------------------------------------


def _cache_path(cache: Path, pdf: Path, index: int) -> Path:
    return cache / f"{pdf.parent.name}--{pdf.stem}--p{index + 1}.pickle"


def ocr_pdf_page(pdf: Path, index: int, cache: Path) -> Page:
    """Page `index` (0-based) of the PDF rasterised at 300 dpi and recognised as the server does; cached."""
    target = _cache_path(cache, pdf, index)
    if target.exists():
        page: Page = pickle.loads(target.read_bytes())
        return page
    import pypdfium2

    from ocrmill.pipeline.engine import EnginePool
    from ocrmill.pipeline.invoice_page import recognise_page
    from ocrmill.pipeline.languages import tessdata_dir

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        image = document[index].render(scale=RENDER_DPI / 72).to_pil().convert("L")
    finally:
        document.close()
    tessdata = tessdata_dir(None)
    recognised = recognise_page(
        image, RENDER_DPI, engines=EnginePool(tessdata), langs=LANGS, number=index + 1, tessdata=tessdata
    )
    cache.mkdir(parents=True, exist_ok=True)
    recognised.image.save(target.with_suffix(".png"), compress_level=1)
    target.write_bytes(pickle.dumps(recognised.page))
    return recognised.page


def page_count(pdf: Path) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return len(document)
    finally:
        document.close()


def ocr_all(invoices: list[Invoice], cache: Path, jobs: int) -> dict[tuple[str, int], Page]:
    wanted = [(inv.pdf, i) for inv in invoices for i in range(page_count(inv.pdf))]
    missing = [(pdf, i) for pdf, i in wanted if not _cache_path(cache, pdf, i).exists()]
    if missing:
        print(f"OCR of {len(missing)} page(s), {jobs} at once, into {cache}", flush=True)
        with ProcessPoolExecutor(jobs) as pool:
            futures = [pool.submit(ocr_pdf_page, pdf, i, cache) for pdf, i in missing]
            for future in futures:
                future.result()
    return {(str(pdf), i): ocr_pdf_page(pdf, i, cache) for pdf, i in wanted}


# --- scoring ----------------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(folded)


def matches(item: LineItem, line: Expected) -> bool:
    """The item's amount equals the line total (its unit price when the GT has no total) and its description
    holds at least half of the GT name's words."""
    target = line.amount if line.amount is not None else line.unit_price
    if target is None or item.amount is None or Decimal(item.amount) != Decimal(target):
        return False
    name = _words(line.name)
    if not name:
        return True
    have = set(_words(item.description))
    return sum(w in have for w in name) * 2 >= len(name)


def score(outcome: Outcome) -> None:
    free = list(outcome.invoice.lines)
    matched = 0
    for item in outcome.items:
        for i, line in enumerate(free):
            if matches(item, line):
                matched += 1
                del free[i]
                break
    outcome.matched = matched


def run(invoices: list[Invoice], pages: dict[tuple[str, int], Page]) -> list[Outcome]:
    out: list[Outcome] = []
    for invoice in invoices:
        outcome = Outcome(invoice)
        for (pdf, _), page in pages.items():
            if pdf != str(invoice.pdf):
                continue
            start = time.perf_counter()
            table = find_table(page, number=page.number)
            outcome.seconds += time.perf_counter() - start
            outcome.pages += 1
            outcome.items.extend(table.items)
        score(outcome)
        out.append(outcome)
    return out


def print_details(outcome: Outcome) -> None:
    inv = outcome.invoice
    print(f"  {inv.name}: {len(outcome.items)} item(s) found, {inv.line_count} expected, {outcome.matched} matched")
    for line in inv.lines:
        print(f"    gt    {line.amount!s:>10} {line.quantity!s:>6} x {line.unit_price!s:>10}  {line.name[:60]!r}")
    for item in outcome.items:
        print(
            f"    found {item.amount!s:>10} {item.quantity!s:>6} x {item.unit_price!s:>10}  {item.description[:60]!r}"
            f"  p{item.page} r{item.row} conf {item.confidence:.2f} tax {item.tax_rate}"
        )


def summary(name: str, outcomes: list[Outcome]) -> dict[str, float | int | str]:
    found = sum(len(o.items) for o in outcomes)
    expected = sum(len(o.invoice.lines) for o in outcomes)
    matched = sum(o.matched for o in outcomes)
    precision = matched / found if found else 0.0
    recall = matched / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    exact = sum(len(o.items) == o.invoice.line_count for o in outcomes)
    pages = sum(o.pages for o in outcomes)
    seconds = sum(o.seconds for o in outcomes)
    return {
        "set": name,
        "invoices": len(outcomes),
        "pages": pages,
        "line_count_exact": exact,
        "line_count_rate": round(exact / len(outcomes), 4) if outcomes else 0.0,
        "items_found": found,
        "items_expected": expected,
        "items_matched": matched,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "seconds_per_page": round(seconds / pages, 5) if pages else 0.0,
    }


def print_table(outcomes: list[Outcome], row: dict[str, float | int | str]) -> None:
    print(f"{'invoice':<52} {'pages':>5} {'found':>5} {'GT':>4} {'match':>5} {'count':>5} {'ms/page':>8}")
    for o in outcomes:
        ok = "yes" if len(o.items) == o.invoice.line_count else "no"
        ms = 1000 * o.seconds / o.pages if o.pages else 0.0
        print(
            f"{o.invoice.name[:52]:<52} {o.pages:>5} {len(o.items):>5} {o.invoice.line_count:>4} {o.matched:>5} "
            f"{ok:>5} {ms:>8.1f}"
        )
    print(
        f"line count exact {row['line_count_exact']}/{row['invoices']} ({row['line_count_rate']:.0%}); items: "
        f"{row['items_matched']} matched of {row['items_found']} found, {row['items_expected']} expected: "
        f"P {row['precision']:.3f} R {row['recall']:.3f} F1 {row['f1']:.3f}; "
        f"find_table {1000 * float(row['seconds_per_page']):.1f} ms/page"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the OCR'd pages are pickled")
    parser.add_argument("--jobs", type=int, default=2, help="pages OCR'd at once (cache misses only)")
    parser.add_argument("--limit", type=int, default=0, help="invoices per set (0: all)")
    parser.add_argument("--show", action="store_true", help="print every invoice's items next to the GT")
    args = parser.parse_args()
    loaders = {"zugferd": zugferd, "invoice2data": invoice2data}
    results: list[dict[str, float | int | str]] = []
    for name in args.sets.split(","):
        if name not in loaders:
            sys.exit(f"unknown set {name!r}; known: {', '.join(SETS)}")
        invoices = loaders[name]()[: args.limit or None]
        pages = ocr_all(invoices, args.cache, args.jobs)
        outcomes = run(invoices, pages)
        row = summary(name, outcomes)
        results.append(row)
        print(f"\n{name}: {len(invoices)} invoice(s), {row['pages']} page(s)")
        if args.show:
            for outcome in outcomes:
                print_details(outcome)
        print_table(outcomes, row)
        if name == "zugferd":
            verdict = (
                "met"
                if float(row["line_count_rate"]) >= LINE_COUNT_TARGET and float(row["f1"]) >= F1_TARGET
                else "NOT met"
            )
            print(f"  target (line count exact on >= 8/11, F1 >= {F1_TARGET}): {verdict}")
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
