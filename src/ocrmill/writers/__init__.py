"""Output writers, one module per format, one registry keyed by extension."""

from __future__ import annotations

from ocrmill.writers.base import Writer
from ocrmill.writers.docx import DocxWriter
from ocrmill.writers.epub import EpubWriter
from ocrmill.writers.mht import MhtWriter
from ocrmill.writers.odt import OdtWriter
from ocrmill.writers.pdf import PdfWriter
from ocrmill.writers.rtf import RtfWriter
from ocrmill.writers.txt import TxtWriter
from ocrmill.writers.xml import XmlWriter

WRITERS: dict[str, Writer] = {
    writer.extension: writer
    for writer in (
        PdfWriter(), TxtWriter(), DocxWriter(), XmlWriter(), RtfWriter(), OdtWriter(), MhtWriter(), EpubWriter()
    )
}  # fmt: skip
