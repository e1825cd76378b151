"""Output writers, one module per format, one registry keyed by extension."""

from __future__ import annotations

from ocrmill.writers.base import Writer
from ocrmill.writers.epub import EpubWriter
from ocrmill.writers.mht import MhtWriter
from ocrmill.writers.pdf import PdfWriter
from ocrmill.writers.txt import TxtWriter
from ocrmill.writers.xml import XmlWriter

WRITERS: dict[str, Writer] = {
    w.extension: w for w in (PdfWriter(), TxtWriter(), EpubWriter(), MhtWriter(), XmlWriter())
}
