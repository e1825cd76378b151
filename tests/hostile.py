"""Hostile and awkward inputs made on the spot: files whose headers claim more than their bytes, pages too small or
too large to be pages, and a reading of a process tree's peak memory."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pikepdf
import psutil


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(path: Path, width: int = 60000, height: int = 60000) -> Path:
    """A bilevel PNG of width x height white pixels in about 450 KB per 60000 x 60000 (issue 18's bomb: decoded by
    Pillow it needs a byte a pixel, 3.6 GB). Written row by row, so making it needs no such memory."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    body = bytearray()
    for _ in range(height):
        body += compressor.compress(row)
    body += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", bytes(body)) + _chunk(b"IEND", b"")
    )
    return path


def text_pdf(
    path: Path, width: float, height: float, text: str = "The quick brown fox jumps over the lazy dog"
) -> Path:
    """A one-page PDF of width x height PDF units (1/72 inch; the MediaBox as given, even beyond the PDF format's
    limits) with a line of Helvetica text, 48 points, half way down."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(100, 100))
    page.MediaBox = pikepdf.Array([0, 0, width, height])
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(f"BT /F1 48 Tf 72 {height / 2:.0f} Td ({text}) Tj ET".encode())
    pdf.save(path)
    return path


def peak_rss(pid: int) -> int:
    """The largest resident memory (bytes) the process and each of its children has had (Linux VmHWM): the
    highest of them, not their sum."""
    peaks = []
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) * 1024)
    return max(peaks)
