"""Invoice field extraction from OCR words: precision, recall and F1 per set and per field, seconds per page.

    .venv/bin/python -m bench.invoices [--sets sroie,zugferd,invoice2data] [--limit N] [--jobs N]
                                       [--langs eng+deu+fra] [--cache DIR] [--show-misses]

Each page goes through the server's invoice path: `open_page_image` (SROIE images; PDFs rendered at 300 dpi with
pypdfium2, their text layer and embedded XML ignored) and `recognise_page` (clean-up chosen per page, one
Tesseract pass), then `analyse` turns the OCR pages of a document into fields: `extract_fields` per page, merged
over the pages (the most confident value of each field wins), then `check_fields` with no line items. Swap
`analyse` for the server's own analysis function to measure that instead.

Sets (../shared/data, see each folder's README.md) and how their ground truth maps to ocrmill's fields:
  sroie         receipts-sroie img/*.jpg with key/*.json: company->vendorName, date->invoiceDate,
                address->vendorAddress, total->total
  zugferd       invoices-zugferd/*.pdf rasterised, against *.expected.json: invoice_number->invoiceNumber,
                issue_date->invoiceDate, due_date->dueDate, seller_name->vendorName, seller_vat_id->vendorTaxId,
                buyer_name->customerName, currency->currency, iban->iban, tax_basis_total->subtotal,
                tax_total->taxAmount, grand_total->total, due_payable->amountDue
  invoice2data  invoices-invoice2data/*.pdf rasterised (the .png copies are the same invoices; Orlen.txt has no
                image and is skipped): invoice_number->invoiceNumber, date->invoiceDate, amount->total,
                amount_untaxed->subtotal, amount_tax->taxAmount, currency->currency, iban->iban, bic->bic,
                date_due->dueDate, partner_name->vendorName (the printed name; `issuer` is the template's label
                and not scored), vat/static_vat->vendorTaxId when it is a VAT id (country prefix)

Scoring, per field, exact match after normalisation of both sides:
  - dates: the ground truth is read with ocrmill's own date rules (day first) and compared as ISO YYYY-MM-DD
    (SROIE's dates are printed in the receipt's own format: "18-11-18", "06/03/2018", "12 Jan 2018")
  - amounts: as decimals ("30.9" == "30.90")
  - text (names, addresses, numbers): case-folded with only letters and digits kept ("MR D.I.Y. (M) SDN BHD" ==
    "mrdiymsdnbhd"), so punctuation and spacing the OCR reads differently do not count
  - codes (currency, iban, bic, VAT ids): upper case without spaces or dots
A ground-truth value that is null (ZUGFeRD) expects nothing: a prediction there is a false positive, none is fine.
Precision = correct / predicted, recall = correct / expected, F1 over all fields of a set.

Sets: sroie is both SROIE folders (receipts-sroie and receipts-sroie-train, 248 receipts, grouped by vendor as
receipts-sroie-train/groups.csv merges them), zugferd both ZUGFeRD folders (17 invoices, grouped by generator
family), invoice2data one group per vendor. The rows below score the server's analysis with the field model the
package ships, trained on all of these documents: they are the figures on the development data, and the model has
seen every document of them. The figure that says what a new vendor gets is the grouped cross-validation printed
after them (bench.train_invoices, unless --no-cv): trained on some vendors and generator families, scored on the
others.

Rows: the OCR path for each --langs set; for zugferd also "XML" (`ocrmill.invoices.einvoice.read_einvoice` on
the PDF) when that module exists, the reference an OCR-only path is measured against. --cache DIR keeps each
page's OCR result (pickled, keyed by file, page, languages and the source of the clean-up code), so the
extraction rules can be iterated on in seconds. OCR seconds are wall time per page in its worker process (with
--jobs 2 on two cores each page has about one core); CPU seconds count every thread of that process (an unsure
page reads in several threads) and, for the CLI row, the tesseract process. Ends with one JSON line holding every
figure.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import pickle
import re
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word, union
from ocrmill.invoices.analyse import analyse_document, field_from_api
from ocrmill.invoices.formats import parse_amount, parse_date
from ocrmill.invoices.model import Field

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SETS = ("sroie", "zugferd", "invoice2data")
PDF_DPI = 300
TARGETS = {"sroie": 0.85, "zugferd": 0.90}
AMOUNT_FIELDS = {"subtotal", "taxAmount", "total", "amountDue"}
DATE_FIELDS = {"invoiceDate", "dueDate"}
CODE_FIELDS = {"currency", "iban", "bic", "vendorTaxId"}

Truth = dict[str, str | None]


@dataclass(frozen=True)
class Sample:
    set: str
    name: str
    path: Path
    truth: Truth  # ocrmill field -> expected value as the ground truth prints it; None: expects nothing
    group: str = ""  # the vendor or generator family: grouped cross-validation keeps a group on one side


@dataclass
class Result:
    sample: Sample
    fields: dict[str, Field]
    ocr_seconds: float
    ocr_cpu_seconds: float
    extract_seconds: float
    pages: int


@dataclass
class Tally:
    correct: int = 0
    predicted: int = 0
    expected: int = 0

    def add(self, other: Tally) -> None:
        self.correct += other.correct
        self.predicted += other.predicted
        self.expected += other.expected

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Outcome:
    name: str
    per_field: dict[str, Tally] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    pages: int = 0
    ocr_seconds: float = 0.0
    ocr_cpu_seconds: float = 0.0
    extract_seconds: float = 0.0

    def total(self) -> Tally:
        out = Tally()
        for tally in self.per_field.values():
            out.add(tally)
        return out


# --- the sets ------------------------------------------------------------------------------------------------


SROIE_FOLDERS = ("receipts-sroie", "receipts-sroie-train")
SROIE_MAP = {"company": "vendorName", "date": "invoiceDate", "address": "vendorAddress", "total": "total"}


def sroie() -> list[Sample]:
    """Both SROIE folders; each receipt's group is its vendor as the train folder's groups.csv names it (that
    file merges a chain's spellings), else its own company name in capitals and A-Z/0-9 only."""
    keys = {}
    for folder in (DATA / name for name in SROIE_FOLDERS):
        for image in sorted((folder / "img").glob("*.jpg")):
            key = folder / "key" / f"{image.stem}.json"
            if key.is_file():
                keys[(folder.name, image)] = json.loads(key.read_text(encoding="utf-8"))
    vendors = _sroie_vendors(keys)
    samples = []
    for (folder_name, image), raw in keys.items():
        truth = {ours: raw.get(theirs) for theirs, ours in SROIE_MAP.items()}
        company = _vendor_key(str(raw.get("company") or ""))
        name = image.stem if folder_name == SROIE_FOLDERS[0] else f"train-{image.stem}"
        samples.append(Sample("sroie", name, image, truth, vendors.get(company, company)))
    return samples


def _vendor_key(company: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", company.upper())


def _sroie_vendors(keys: dict[tuple[str, Path], dict[str, Any]]) -> dict[str, str]:
    """Company key -> vendor group, from receipts-sroie-train/groups.csv (id,company) and that folder's keys."""
    groups_csv = DATA / SROIE_FOLDERS[1] / "groups.csv"
    if not groups_csv.is_file():
        return {}
    by_id = dict(line.split(",", 1) for line in groups_csv.read_text(encoding="utf-8").splitlines()[1:] if line)
    out = {}
    for (folder_name, image), raw in keys.items():
        if folder_name == SROIE_FOLDERS[1] and image.stem in by_id:
            out[_vendor_key(str(raw.get("company") or ""))] = _vendor_key(by_id[image.stem])
    return out


ZUGFERD_MAP = {
    "invoice_number": "invoiceNumber",
    "issue_date": "invoiceDate",
    "due_date": "dueDate",
    "seller_name": "vendorName",
    "seller_vat_id": "vendorTaxId",
    "buyer_name": "customerName",
    "currency": "currency",
    "iban": "iban",
    "tax_basis_total": "subtotal",
    "tax_total": "taxAmount",
    "grand_total": "total",
    "due_payable": "amountDue",
}


ZUGFERD_FOLDERS = ("invoices-zugferd", "invoices-zugferd-train")
ZUGFERD_FAMILY = "xml-rechnung"  # invoices-zugferd is one generator family (its README); the train folder names its


def zugferd() -> list[Sample]:
    samples = []
    for folder in (DATA / name for name in ZUGFERD_FOLDERS):
        groups_csv = folder / "groups.csv"
        families = (
            dict(line.split(",", 1) for line in groups_csv.read_text(encoding="utf-8").splitlines()[1:] if line)
            if groups_csv.is_file()
            else {}
        )
        for pdf in sorted(folder.glob("*.pdf")):
            expected = folder / f"{pdf.stem}.expected.json"
            if expected.is_file():
                raw = json.loads(expected.read_text(encoding="utf-8"))
                truth = {ours: _text(raw.get(theirs)) for theirs, ours in ZUGFERD_MAP.items()}
                samples.append(Sample("zugferd", pdf.stem, pdf, truth, families.get(pdf.stem, ZUGFERD_FAMILY)))
    return samples


INVOICE2DATA_MAP = {
    "invoice_number": "invoiceNumber",
    "date": "invoiceDate",
    "date_due": "dueDate",
    "amount": "total",
    "amount_untaxed": "subtotal",
    "amount_tax": "taxAmount",
    "currency": "currency",
    "iban": "iban",
    "bic": "bic",
    "partner_name": "vendorName",
}


def invoice2data() -> list[Sample]:
    folder = DATA / "invoices-invoice2data"
    samples = []
    for pdf in sorted(folder.glob("*.pdf")):
        expected = folder / f"{pdf.stem}.json"
        if not expected.is_file():
            continue
        raw = json.loads(expected.read_text(encoding="utf-8"))[0]
        truth: Truth = {ours: _text(raw[theirs]) for theirs, ours in INVOICE2DATA_MAP.items() if theirs in raw}
        vat = raw.get("vat") or raw.get("static_vat")
        if isinstance(vat, str) and re.match(r"[A-Z]{2}", vat.replace(" ", "")):
            truth["vendorTaxId"] = vat
        samples.append(Sample("invoice2data", pdf.stem, pdf, truth, f"invoice2data-{pdf.stem}"))
    return samples


def _text(value: object) -> str | None:
    if value is None:
        return None
    return str(value)


LOADERS: dict[str, Callable[[], list[Sample]]] = {"sroie": sroie, "zugferd": zugferd, "invoice2data": invoice2data}


# --- OCR (in worker processes), cached -------------------------------------------------------------------------

_ENGINES: Any = None


def _engines() -> Any:
    global _ENGINES
    if _ENGINES is None:
        from ocrmill.pipeline.engine import EnginePool
        from ocrmill.pipeline.languages import tessdata_dir

        _ENGINES = EnginePool(tessdata_dir(None))
    return _ENGINES


def page_images(path: Path) -> Iterator[tuple[Any, float]]:
    """The pages of an input as the server sees them: an image file through open_page_image, a PDF's pages
    rendered as the invoice worker renders them."""
    from ocrmill.pipeline.invoice_page import open_page_image
    from ocrmill.pipeline.pages import InputFile, enumerate_pages, load_raster

    if path.suffix.lower() != ".pdf":
        image, dpi, _ = open_page_image(path.read_bytes(), max_pixels=1e9)
        yield image, dpi
        return
    for ref in enumerate_pages([InputFile(path, "PDF")], max_pages=1000, max_pixels=1e9, render_dpi=PDF_DPI):
        raster = load_raster(ref, render_dpi=PDF_DPI, max_pixels=1e9, coloured_text=True)
        yield raster.image, raster.dpi


def cleanup_version() -> str:
    """What the cached OCR depends on besides the input: the rendering, the clean-up code and the engine
    wrappers."""
    root = Path(__file__).resolve().parents[1] / "src" / "ocrmill" / "pipeline"
    digest = hashlib.sha256()
    for name in (
        "pages.py",
        "invoice_page.py",
        "cleanup/pixels.py",
        "engine.py",
        "spaces.py",
        "lines.py",
        "diacritics.py",
    ):
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:12]


def cache_file(cache: Path, sample: Sample, langs: str) -> Path:
    return cache / sample.set / f"{sample.name}.{langs}.{cleanup_version()}.pkl"


# A page's reading as the server makes it: the page, and its other readings when it was unsure (as one block
# of text, and by PP-OCR).
Reading = tuple[Page, list[Page]]


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process's every thread and of its finished child processes (the
    tesseract CLI)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cached_ocr(cache: Path | None, make: Callable[[], list[Reading]]) -> tuple[list[Reading], float, float]:
    """make()'s readings, the seconds they took and the CPU seconds; kept in `cache` (a pickle) when given, and
    read from it then (with the figures of the run that made them; NaN CPU from a cache that has none)."""
    if cache is not None and cache.is_file():
        with cache.open("rb") as f:
            pages, seconds, *cpu = pickle.load(f)
        return list(pages), float(seconds), float(cpu[0]) if cpu else math.nan
    started, cpu_started = time.perf_counter(), cpu_seconds()
    pages = make()
    seconds, cpu_used = time.perf_counter() - started, cpu_seconds() - cpu_started
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("wb") as f:
            pickle.dump((pages, seconds, cpu_used), f)
    return pages, seconds, cpu_used


def ocr(sample: Sample, langs: str, cache: str) -> tuple[list[Reading], float, float]:
    """The document's OCR pages as the server makes them, and the seconds they took."""
    from ocrmill.pipeline.invoice_page import recognise_page
    from ocrmill.pipeline.languages import tessdata_dir

    def make() -> list[Reading]:
        readings: list[Reading] = []
        for number, (image, dpi) in enumerate(page_images(sample.path), start=1):
            seen = recognise_page(
                image, dpi, engines=_engines(), langs=langs.split("+"), number=number, tessdata=tessdata_dir(None)
            )
            readings.append((seen.page, seen.alternates))
        return readings

    return cached_ocr(cache_file(Path(cache), sample, langs) if cache else None, make)


def ocr_raw(sample: Sample, langs: str, cache: str) -> tuple[list[Reading], float, float]:
    """The reference: each page image as it is, through the tesseract CLI (no clean-up), read back from its TSV."""
    from bench.accuracy import raw_tesseract_tsv

    def make() -> list[Reading]:
        pages: list[Reading] = []
        with tempfile.TemporaryDirectory() as tmp:
            for number, (image, dpi) in enumerate(page_images(sample.path), start=1):
                path = Path(tmp) / f"page-{number}.png"
                image.save(path, dpi=(round(dpi), round(dpi)))
                tsv = raw_tesseract_tsv(path, langs)
                pages.append((page_from_tsv(tsv, image.width, image.height, dpi, number), []))
        return pages

    where = Path(cache) / sample.set / f"{sample.name}.{langs}.raw-cli.pkl" if cache else None
    return cached_ocr(where, make)


def page_from_tsv(tsv: str, width: int, height: int, dpi: float, number: int) -> Page:
    """Tesseract's TSV as a Page (blocks > paragraphs > lines > words), as the engine module builds it."""
    page = Page(number=number, width=width, height=height, dpi=dpi, source_index=number - 1)
    blocks: dict[int, Block] = {}
    paragraphs: dict[tuple[int, int], Paragraph] = {}
    lines: dict[tuple[int, int, int], Line] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        block_no, par_no, line_no = int(cells[2]), int(cells[3]), int(cells[4])
        left, top, w, h = (int(c) for c in cells[6:10])
        box = Box(left, top, left + w, top + h)
        block = blocks.get(block_no)
        if block is None:
            block = blocks[block_no] = Block(box=box)
            page.blocks.append(block)
        para = paragraphs.get((block_no, par_no))
        if para is None:
            para = paragraphs[(block_no, par_no)] = Paragraph(box=box)
            block.paragraphs.append(para)
        line = lines.get((block_no, par_no, line_no))
        if line is None:
            line = lines[(block_no, par_no, line_no)] = Line(box=box)
            para.lines.append(line)
        line.words.append(Word(cells[11], box, float(cells[10])))
        line.box = union([line.box, box])
        para.box = union([para.box, box])
        block.box = union([block.box, box])
    return page


# --- extraction: the one call the server's analysis can replace --------------------------------------------


def analyse(readings: list[Reading]) -> dict[str, Field]:
    """The fields of one document from its OCR pages, as the server finds a job's (invoices.analyse)."""
    merged = analyse_document([page for page, _ in readings], [others for _, others in readings])
    return {name: field_from_api(name, value) for name, value in merged.fields.items()}


def run_sample(sample: Sample, langs: str, cache: str, raw: bool = False) -> Result:
    pages, ocr_seconds, ocr_cpu = (ocr_raw if raw else ocr)(sample, langs, cache)
    started = time.perf_counter()
    fields = analyse(pages)
    return Result(sample, fields, ocr_seconds, ocr_cpu, time.perf_counter() - started, len(pages))


def xml_fields(sample: Sample) -> dict[str, Field] | None:
    if importlib.util.find_spec("ocrmill.invoices.einvoice") is None:
        return None
    from ocrmill.invoices import einvoice

    reader = getattr(einvoice, "read_einvoice", None)
    if reader is None:
        return None
    found = reader(sample.path)
    if found is None:
        return {}
    fields = getattr(found, "fields", found)
    return dict(fields) if isinstance(fields, dict) else None


# --- scoring -------------------------------------------------------------------------------------------------


def normalise(name: str, value: str | None, *, truth: bool) -> str | None:
    """Both sides of a comparison in one form (see the module docstring)."""
    if value is None or not value.strip():
        return None
    if name in DATE_FIELDS:
        parsed = parse_date(value, day_first=True) if truth else value
        return parsed or ("?" + value)
    if name in AMOUNT_FIELDS:
        amount = parse_amount(value)
        return str(amount.normalize()) if isinstance(amount, Decimal) else "?" + value
    if name in CODE_FIELDS:
        return re.sub(r"[\s.]", "", value).upper()
    return "".join(ch for ch in value.casefold() if ch.isalnum())


def score(outcome: Outcome, sample: Sample, fields: dict[str, Field]) -> None:
    for name, expected_raw in sample.truth.items():
        tally = outcome.per_field.setdefault(name, Tally())
        expected = normalise(name, expected_raw, truth=True)
        found = fields.get(name)
        got = normalise(name, found.normalized, truth=False) if found is not None else None
        tally.expected += expected is not None
        tally.predicted += got is not None
        ok = expected is not None and got == expected
        tally.correct += ok
        if not ok and (expected is not None or got is not None):
            printed = found.value if found is not None else None
            outcome.misses.append(f"  {sample.name:<42} {name:<14} want {expected_raw!r:<40} got {printed!r}")


def run_set(
    name: str, samples: list[Sample], pool: ProcessPoolExecutor, langs: str, cache: str, *, raw: bool = False
) -> tuple[Outcome, list[Result]]:
    outcome = Outcome(f"raw CLI {langs}" if raw else f"OCR {langs}")
    futures = [pool.submit(run_sample, sample, langs, cache, raw) for sample in samples]
    results = [f.result() for f in futures]
    for result in results:
        score(outcome, result.sample, result.fields)
        outcome.pages += result.pages
        outcome.ocr_seconds += result.ocr_seconds
        outcome.ocr_cpu_seconds += result.ocr_cpu_seconds
        outcome.extract_seconds += result.extract_seconds
    return outcome, results


def run_xml(samples: list[Sample]) -> Outcome | None:
    outcome = Outcome("XML (read_einvoice)")
    for sample in samples:
        started = time.perf_counter()
        fields = xml_fields(sample)
        if fields is None:
            return None
        outcome.extract_seconds += time.perf_counter() - started
        outcome.pages += 1
        score(outcome, sample, fields)
    return outcome


# --- report --------------------------------------------------------------------------------------------------


def print_table(set_name: str, outcomes: list[Outcome], fields: list[str]) -> None:
    print(f"\n{set_name}")
    head = f"  {'field':<16}" + "".join(f"{o.name:>34}" for o in outcomes)
    print(head)
    print(f"  {'':<16}" + "".join(f"{'P     R     F1   (ok/pred/exp)':>34}" for _ in outcomes))
    for name in [*fields, "ALL"]:
        cells = []
        for o in outcomes:
            t = o.total() if name == "ALL" else o.per_field.get(name, Tally())
            cells.append(
                f"{t.precision:.3f} {t.recall:.3f} {t.f1:.3f} ({t.correct:>3}/{t.predicted:>3}/{t.expected:>3})"
            )
        print(f"  {name:<16}" + "".join(f"{c:>34}" for c in cells))
    for o in outcomes:
        if o.pages:
            print(
                f"  {o.name}: {o.pages} page(s), OCR {o.ocr_seconds / o.pages:.2f} s/page "
                f"(CPU {o.ocr_cpu_seconds / o.pages:.2f} s/page), "
                f"extraction {1000 * o.extract_seconds / o.pages:.1f} ms/page"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated, from: " + ", ".join(SETS))
    parser.add_argument("--limit", type=int, default=0, help="at most N documents per set (0: all)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="documents at once")
    parser.add_argument(
        "--langs", action="append", help="Tesseract languages joined by +; repeat to compare (default eng+deu+fra)"
    )
    parser.add_argument("--cache", default="", help="folder for pickled OCR pages (default: no cache)")
    parser.add_argument("--show-misses", action="store_true", help="print every wrong, missing or extra value")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the reference row (the tesseract CLI on the same images)"
    )
    parser.add_argument(
        "--no-cv",
        action="store_true",
        help="skip the grouped cross-validation of the field ranker (bench.train_invoices, no model written)",
    )
    args = parser.parse_args()
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise SystemExit(f"--sets: unknown set {', '.join(unknown)}; choose from {', '.join(SETS)}")
    lang_sets = args.langs or ["eng+deu+fra"]
    cache = str(Path(args.cache).resolve()) if args.cache else ""

    report: dict[str, Any] = {"jobs": args.jobs, "cache": bool(cache), "sets": {}}
    with ProcessPoolExecutor(args.jobs) as pool:
        for name in names:
            samples = LOADERS[name]()
            if args.limit:
                samples = samples[: args.limit]
            outcomes = []
            for langs in lang_sets:
                outcome, _ = run_set(name, samples, pool, langs, cache)
                outcomes.append(outcome)
            if not args.no_reference:
                reference, _ = run_set(name, samples, pool, lang_sets[0], cache, raw=True)
                outcomes.append(reference)
            if name == "zugferd":
                xml = run_xml(samples)
                if xml is not None:
                    outcomes.append(xml)
            fields = list(dict.fromkeys(f for s in samples for f in s.truth))
            print_table(f"{name}: {len(samples)} document(s)", outcomes, fields)
            if name in TARGETS:
                f1 = outcomes[0].total().f1
                verdict = "met" if f1 >= TARGETS[name] else "NOT met"
                print(f"  target F1 >= {TARGETS[name]:.2f} ({outcomes[0].name}): {f1:.3f}, {verdict}")
            raw_row = next((o for o in outcomes if o.name.startswith("raw CLI")), None)
            if raw_row is not None and raw_row.pages and outcomes[0].pages:
                f1_ratio = outcomes[0].total().f1 / raw_row.total().f1 if raw_row.total().f1 else float("inf")
                time_ratio = (outcomes[0].ocr_seconds / outcomes[0].pages) / (raw_row.ocr_seconds / raw_row.pages)
                cpu_ratio = (
                    outcomes[0].ocr_cpu_seconds / raw_row.ocr_cpu_seconds if raw_row.ocr_cpu_seconds else math.nan
                )
                print(
                    f"  against the raw tesseract CLI: F1 x{f1_ratio:.2f}, OCR time per page x{time_ratio:.2f}, "
                    f"CPU per page x{cpu_ratio:.2f}"
                )
            if args.show_misses:
                for o in outcomes:
                    print(f"  misses, {o.name}:")
                    print("\n".join(o.misses) or "  (none)")
            report["sets"][name] = {
                o.name: {
                    "precision": round(o.total().precision, 4),
                    "recall": round(o.total().recall, 4),
                    "f1": round(o.total().f1, 4),
                    "pages": o.pages,
                    "ocr_s_per_page": round(o.ocr_seconds / o.pages, 3) if o.pages else None,
                    "ocr_cpu_s_per_page": round(o.ocr_cpu_seconds / o.pages, 3) if o.pages else None,
                    "extract_ms_per_page": round(1000 * o.extract_seconds / o.pages, 2) if o.pages else None,
                    "fields": {
                        f: {"p": round(t.precision, 4), "r": round(t.recall, 4), "f1": round(t.f1, 4)}
                        for f, t in o.per_field.items()
                    },
                }
                for o in outcomes
            }
    if not args.no_cv:
        from bench import train_invoices

        print("\nThe field ranker in grouped cross-validation (bench.train_invoices; the figures the README states):")
        cv_args = ["--sets", ",".join(names), "--jobs", str(args.jobs), "--out", "", "--langs", lang_sets[0]]
        report["grouped_cv"] = train_invoices.main(
            cv_args + (["--cache", cache] if cache else []) + (["--limit", str(args.limit)] if args.limit else [])
        )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
