"""PDF/A by OCRmyPDF: the only module that calls it.

OCRmyPDF converts the finished searchable PDF without OCRing it again (mode skip: pages that carry
our text layer are left alone; the null engine for pages without any text), with its own
conversion (pikepdf, no Ghostscript), which keeps every image, font and content stream as they
are, so the compression the job asked for and the structure tree of the level-a documents
survive, and validates the result. Ghostscript is not used: it would rewrite the pages and drop
the tags, and OCRmyPDF refuses Debian 12's Ghostscript 10.0.0 for PDFs with text anyway (known to
corrupt them). A document the conversion cannot make conform ends the job in Error with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pikepdf.pdfa

from ocrmill.domain.options import JobOptions
from ocrmill.errors import PipelineError


@dataclass(frozen=True)
class Level:
    part: int  # 1, 2, 3
    conformance: str  # "B" or "A"

    @property
    def name(self) -> str:
        return f"PDF/A-{self.part}{self.conformance.lower()}"


# PdfConformance as the API numbers it.
LEVELS: dict[int, Level] = {
    1: Level(1, "B"), 2: Level(2, "B"), 3: Level(3, "B"),
    4: Level(1, "A"), 5: Level(2, "A"), 6: Level(3, "A"),
}  # fmt: skip

logging.getLogger("ocrmypdf").setLevel(logging.WARNING)


def convert(source: Path, target: Path, level: Level, options: JobOptions) -> None:
    """Write `source` as a PDF/A of `level` to `target`, with the job's document properties."""
    # Imported here, not at the top: OCRmyPDF brings 50 MB of modules into every process that imports
    # the writers (each worker and the API server), and only PDF/A jobs need it.
    import ocrmypdf
    from ocrmypdf.exceptions import ExitCodeException

    try:
        ocrmypdf.ocr(
            source,
            target,
            output_type=f"pdfa-{level.part}",
            pdfa_backend="internal",
            mode="skip",
            ocr_engine="none",
            optimize=0,
            jobs=1,
            use_threads=True,
            progress_bar=False,
            title=options.PdfTitle or None,
            author=options.PdfAuthor or None,
            subject=options.PdfSubject or None,
            keywords=options.PdfKeywords or None,
        )
    except ExitCodeException as e:
        raise PipelineError(f"{level.name} could not be made from this document: {_reason(e)}") from None
    if level.conformance == "A":
        _claim_level_a(target, level)


def _claim_level_a(path: Path, level: Level) -> None:
    """Declare conformance A in the XMP, once the structure tree is known to have survived."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        if _lost_structure(pdf):
            raise PipelineError(f"{level.name} could not be made: the conversion lost the document structure.")
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:conformance"] = "A"
        pdf.save(path, **pikepdf.pdfa.resolve_save_kwargs(f"{level.part}b"))


def _lost_structure(pdf: pikepdf.Pdf) -> bool:
    return pikepdf.Name.StructTreeRoot not in pdf.Root or pikepdf.Name.MarkInfo not in pdf.Root


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
