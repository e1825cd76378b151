"""The job properties as the web console's options form needs them: type, default, range or choices, and
the group the ownOCR document puts them in. Built from domain.options, so the form is never a second copy
of the contract: a property added there without a description here fails the unit test."""

from __future__ import annotations

import dataclasses
from typing import Any

from ocrmill.domain import languages
from ocrmill.domain.barcodes import BarcodeType
from ocrmill.domain.options import JobOptions

# The document's sections of "OCR Job Properties", in its order (barcodes and blank pages are the tail of
# its OCR settings; the console shows them as sections of their own).
GROUPS: tuple[tuple[str, str], ...] = (
    ("general", "General"),
    ("outputs", "Outputs"),
    ("pdf", "PDF output"),
    ("image", "Image processing"),
    ("ocr", "OCR settings"),
    ("barcodes", "Barcodes"),
    ("blank", "Blank pages"),
)

# name: (group, label, help)
DESCRIPTIONS: dict[str, tuple[str, str, str]] = {
    "Descr": ("general", "Description", "The description of the job."),
    "CorrelationId": ("general", "Correlation id", "Any identifier of yours, to find the job again."),
    "Autostart": ("general", "Start after upload", "The console always schedules the job once its files are in."),
    "RetentionDays": ("general", "Keep for (days)", "How many days the job and its results are kept."),
    "CallbackUrl": ("general", "Callback URL", "Gets the job's webhook, signed, when it is converted or fails."),
    "PdfOutput": ("outputs", "PDF", "Searchable PDF: the pages with an invisible text layer."),
    "TxtOutput": ("outputs", "Plain text (TXT)", "The text in reading order."),
    "DocxOutput": ("outputs", "Word (DOCX)", "An editable Word document."),
    "XmlOutput": ("outputs", "ALTO XML", "Words with their boxes and confidences."),
    "RtfOutput": ("outputs", "Rich text (RTF)", "An editable RTF document."),
    "OdtOutput": ("outputs", "OpenDocument (ODT)", "An editable OpenDocument text."),
    "MhtOutput": ("outputs", "Web archive (MHT)", "One HTML page with the pictures."),
    "EpubOutput": ("outputs", "E-book (EPUB)", "An EPUB 3 e-book."),
    "HocrOutput": ("outputs", "hOCR", "Words, lines, paragraphs and blocks with boxes and confidences (XHTML)."),
    "PdfConformance": ("pdf", "PDF conformance", "PDF/A levels for archiving."),
    "PdfTitle": ("pdf", "Title", "The Title of the PDF's metadata."),
    "PdfSubject": ("pdf", "Subject", "The Subject of the PDF's metadata."),
    "PdfAuthor": ("pdf", "Author", "The Author of the PDF's metadata."),
    "PdfKeywords": ("pdf", "Keywords", "The Keywords of the PDF's metadata."),
    "BWCompression": ("pdf", "Black-and-white compression", "How bilevel images are compressed."),
    "ColorCompression": ("pdf", "Colour and grey compression", "How colour and grey images are compressed."),
    "Deskew": ("image", "Deskew", "Straighten skewed pages."),
    "DeskewAdjustPaperSize": ("image", "Adjust paper size after deskew", "Grow the page so nothing is cut off."),
    "AutoOrientation": ("image", "Auto orientation", "Turn pages upright."),
    "ClearBorder": ("image", "Clear border", "Whiten dark scan borders (the size is kept)."),
    "DeleteBorder": ("image", "Delete border", "Crop dark scan borders."),
    "Despeckle": ("image", "Despeckle", "Remove specks."),
    "RemoveColorNoise": ("image", "Remove colour noise", "Remove colour noise."),
    "RemoveHalftone": ("image", "Remove halftone", "Descreen printed halftone areas."),
    "RemoveHolePunch": ("image", "Remove hole punches", "Remove the holes of punched paper."),
    "Binarize": ("image", "Binarize", "Make the page black and white."),
    "ImproveText": ("image", "Improve text", "Repair faint text."),
    "RecognitionLanguages": ("ocr", "Recognition languages", "One or more languages of the document."),
    "MinConfidence": ("ocr", "Minimum confidence", "Words recognised less surely are left out (0-100)."),
    "NrOfOCRThreads": ("ocr", "OCR threads", "Pages of this job recognised at once."),
    "FastMode": ("ocr", "Fast mode", "Faster, somewhat less accurate."),
    "SecondReading": ("ocr", "Second reading", "Lines Tesseract is unsure of are read again by PP-OCR."),
    "RemoveWhiteSpaceRegions": ("ocr", "Remove white space", "Leave blank lines out of the text."),
    "IntelligentPDFProcessing": ("ocr", "Intelligent PDF processing", "Use a PDF page's own text, no OCR."),
    "RenderResolution": ("ocr", "PDF render resolution (dpi)", "Resolution PDF pages are rendered at."),
    "RenderQuality": ("ocr", "Render quality", "JPEG quality of re-rendered PDF pages (1-100)."),
    "DetectBarcodes": ("barcodes", "Detect barcodes", "Read barcodes and QR codes."),
    "BarcodeFilter": ("barcodes", "Only these types", "None ticked: every type."),
    "BarcodeDirection": ("barcodes", "Direction", "How the codes lie on the page."),
    "DeleteBlankPages": ("blank", "Delete blank pages", "Leave blank pages out of every output."),
    "BlankPagesMaxNoise": ("blank", "Blank page noise (%)", "Below this much ink a page is blank (0.01-100)."),
}

CHOICES: dict[str, list[tuple[int, str]]] = {
    "PdfConformance": [
        (0, "PDF 1.5+"),
        (1, "PDF/A-1b"),
        (2, "PDF/A-2b"),
        (3, "PDF/A-3b"),
        (4, "PDF/A-1a"),
        (5, "PDF/A-2a"),
        (6, "PDF/A-3a"),
    ],
    "BWCompression": [(0, "CCITT Group 4"), (1, "Run-length (RLE)")],
    "ColorCompression": [
        (0, "JPEG low quality"),
        (1, "JPEG medium quality"),
        (2, "JPEG high quality"),
        (3, "Lossless"),
    ],
    "BarcodeDirection": [(1, "Horizontal"), (2, "Vertical"), (3, "Horizontal and vertical")],
}


def option_descriptions(*, max_retention_days: int, installed_languages: set[str]) -> dict[str, Any]:
    """{"groups": [{"id", "label", "options": [{name, type, default, min, max, choices, label, help}]}]}.

    Types: bool, int, float, string, enum (one of `choices`), flags (a sum of the `choices` bits) and
    languages (several of `choices`, comma-separated)."""
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in GROUPS}
    for field in dataclasses.fields(JobOptions):
        group, label, help_text = DESCRIPTIONS[field.name]
        groups[group].append(
            _describe(field, label, help_text, max_retention_days=max_retention_days, installed=installed_languages)
        )
    return {"groups": [{"id": key, "label": label, "options": groups[key]} for key, label in GROUPS]}


def _describe(
    field: dataclasses.Field[Any], label: str, help_text: str, *, max_retention_days: int, installed: set[str]
) -> dict[str, Any]:
    name, default = field.name, field.default
    kind = {bool: "bool", int: "int", float: "float", str: "string"}[type(default)]
    lo, hi = field.metadata.get("lo"), field.metadata.get("hi")
    item: dict[str, Any] = {"name": name, "type": kind, "default": default, "label": label, "help": help_text}
    if name == "RetentionDays":
        item["default"], hi = max_retention_days, max_retention_days
    if kind in ("int", "float"):
        item["min"], item["max"] = lo, hi
    if name in CHOICES:
        item["type"] = "enum"
        item["choices"] = [{"value": v, "label": text} for v, text in CHOICES[name]]
    elif name == "BarcodeFilter":
        item["type"] = "flags"
        item["choices"] = [{"value": t.filter_bit, "label": t.label, "type": t.value} for t in BarcodeType]
    elif name == "RecognitionLanguages":
        item["type"] = "languages"
        names = languages.english_names(sorted(installed))
        item["choices"] = [{"value": n, "label": n} for n in names]
    return item
