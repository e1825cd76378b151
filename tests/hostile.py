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
    path.write_bytes(_bilevel_start(width, height) + _chunk(b"IDAT", _white(width, height)) + _chunk(b"IEND", b""))
    return path


def _bilevel_start(width: int, height: int) -> bytes:
    """A PNG's signature and the header of a bilevel image of width x height."""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))


def _white(width: int, height: int) -> bytes:
    """The compressed rows of a white bilevel image, compressed row by row (no image's worth of memory)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    body = bytearray()
    for _ in range(height):
        body += compressor.compress(row)
    return bytes(body + compressor.flush())


def animated_png(path: Path, width: int, height: int, frames: int) -> Path:
    """An APNG whose header declares `frames` frames on a width x height bilevel canvas: the first frame the whole
    canvas, the others a pixel each, so the file stays small (2100 frames of 10000 x 10000: 150 KB). Pillow decodes
    every frame before the one it seeks."""
    out = bytearray(_bilevel_start(width, height) + _chunk(b"acTL", struct.pack(">II", frames, 0)))
    out += _chunk(b"fcTL", struct.pack(">IIIIIHHBB", 0, width, height, 0, 0, 1, 1, 0, 0))
    out += _chunk(b"IDAT", _white(width, height))
    pixel = zlib.compress(b"\x00\x00")
    for number in range(1, frames):
        out += _chunk(b"fcTL", struct.pack(">IIIIIHHBB", 2 * number - 1, 1, 1, 0, 0, 1, 1, 0, 0))
        out += _chunk(b"fdAT", struct.pack(">I", 2 * number) + pixel)
    path.write_bytes(bytes(out) + _chunk(b"IEND", b""))
    return path


def animated_gif(path: Path, width: int, height: int, frames: int) -> Path:
    """A GIF of `frames` frames of a pixel each on a width x height screen (2100 on 10000 x 10000: 31 KB). Pillow
    decodes every frame before the one it seeks, each onto a whole screen in RGB."""
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF0, 0, 0) + b"\x00\x00\x00\xff\xff\xff")
    for _ in range(frames):  # an image descriptor at 0,0 of 1 x 1, LZW code size 2: clear, pixel 0, end
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    path.write_bytes(bytes(out) + b"\x3b")
    return path


def many_pages_pdf(path: Path, pages: int, *, stated: int | None = None) -> Path:
    """A PDF of `pages` empty Letter pages, one flat page tree (a million: 107 MB), written as text: pikepdf
    takes minutes to append that many pages. `stated`: the page count its tree's root states instead (a lie)."""
    kids = " ".join(f"{number + 3} 0 R" for number in range(pages)).encode()
    count = pages if stated is None else stated
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Count %d /Kids [%s] >>" % (count, kids)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * pages
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
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
