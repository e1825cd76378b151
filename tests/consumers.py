"""The real programs tests open outputs with: the only place tests call them.

LibreOffice (Debian's libreoffice-writer-nogui, installed by scripts/install-system.sh) converts
office documents to PDF; poppler's pdftotext reads text back out of PDFs; W3C's EPUBCheck
(Debian's epubcheck, on Java) validates EPUB books.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path


class ConsumerError(AssertionError):
    pass


def soffice_to_pdf(document: Path, out_dir: Path) -> Path:
    """LibreOffice headless converts `document` (DOCX, ODT, RTF, ...) to PDF; raises if it cannot."""
    return soffice_convert(document, out_dir, to="pdf")


def soffice_convert(document: Path, out_dir: Path, *, to: str) -> Path:
    """LibreOffice headless converts `document` to the format `to` names as --convert-to takes it
    ("pdf", "docx", "odt", "txt:Text (encoded):UTF8"); raises if it cannot."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ConsumerError("LibreOffice is not installed (scripts/install-system.sh installs it)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:  # one profile per run: no lock clashes
        result = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", to, "--outdir", str(out_dir), str(document)],
            capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": profile},
        )  # fmt: skip
    target = out_dir / f"{document.stem}.{to.split(':')[0]}"
    if result.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        raise ConsumerError(f"LibreOffice could not convert {document.name}: {result.stdout}{result.stderr}")
    return target


def pdftotext(pdf: Path, *, layout: bool = False) -> str:
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(pdf), "-"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise ConsumerError(f"pdftotext failed on {pdf.name}: {result.stderr}")
    return result.stdout


_BBOX_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pdf_words(pdf: Path) -> list[tuple[str, float, float]]:
    """The text layer's words as they are (`pdftotext -bbox`: none joined across lines, as plain pdftotext joins
    a word ending in "-" with the next line's first), each with its left edge and middle height in points."""
    result = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise ConsumerError(f"pdftotext failed on {pdf.name}: {result.stderr}")
    return [
        (html.unescape(text), float(left), (float(top) + float(bottom)) / 2)
        for left, top, _, bottom, text in _BBOX_WORD.findall(result.stdout)
    ]


def words(text: str) -> list[str]:
    """Lower-case words (letters and digits), for comparing texts that differ in layout."""
    return re.findall(r"\w+", text.lower())


def epubcheck(epub: Path) -> str:
    """W3C's EPUBCheck (Debian's epubcheck) validates `epub` against the EPUB specification; raises
    with its report on any error or warning, returns the report otherwise."""
    jar = Path("/usr/share/java/epubcheck.jar")  # /usr/bin/epubcheck runs it only where binfmt_misc is set up
    java = shutil.which("java")
    if java is None or not jar.is_file():
        raise ConsumerError("EPUBCheck is not installed (scripts/install-system.sh installs Debian's epubcheck)")
    result = subprocess.run(
        # client compiler only: the check takes half the time
        [java, "-XX:TieredStopAtLevel=1", "-jar", str(jar), "--failonwarnings", str(epub)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    report = result.stdout + result.stderr
    if result.returncode != 0:
        raise ConsumerError(f"EPUBCheck rejects {epub.name}:\n{report}")
    return report
