"""Bilevel page images with run-length compression (BWCompression 1), which img2pdf does not make."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
from PIL import Image

_RUNS = re.compile(rb"(.)\1*", re.DOTALL)


def run_length(data: bytes) -> bytes:
    """PDF RunLengthDecode data (ISO 32000 7.4.5): runs of 2-128 equal bytes as (257 - n, byte),
    other bytes in literal chunks of up to 128 as (n - 1, bytes...), then the end marker 128."""
    out = bytearray()
    literal = bytearray()

    def flush() -> None:
        for start in range(0, len(literal), 128):
            chunk = literal[start : start + 128]
            out.append(len(chunk) - 1)
            out.extend(chunk)
        literal.clear()

    for run in _RUNS.finditer(data):
        length = run.end() - run.start()
        if length == 1:
            literal.extend(run.group())
            continue
        flush()
        value = data[run.start()]
        while length >= 2:
            n = min(length, 128)
            out.extend((257 - n, value))
            length -= n
        if length:
            literal.append(value)
    flush()
    out.append(128)
    return bytes(out)


def run_length_page(image: Image.Image, dpi: float, target: Path) -> None:
    """A one-page PDF showing the bilevel `image` at `dpi`, compressed with RunLengthDecode."""
    if image.mode != "1":
        raise ValueError("run-length pages are for bilevel images")
    width_pt, height_pt = image.width * 72 / dpi, image.height * 72 / dpi
    with pikepdf.new() as pdf:
        picture = pikepdf.Stream(pdf, run_length(image.tobytes()))
        picture.stream_dict = pikepdf.Dictionary(
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=image.width,
            Height=image.height,
            ColorSpace=pikepdf.Name.DeviceGray,
            BitsPerComponent=1,
            Filter=pikepdf.Name.RunLengthDecode,
        )
        content = f"q {width_pt:.3f} 0 0 {height_pt:.3f} 0 0 cm /Im0 Do Q".encode()
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, width_pt, height_pt],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=picture)),
            Contents=pdf.make_stream(content),
        )
        pdf.pages.append(pikepdf.Page(page))
        pdf.save(target)
