"""Layout pages no one has tuned on: text columns and tables drawn here from a seed, with their reading order.

A page of 2 or 3 columns holds a title and paragraphs of random words (the scribe transcripts' vocabulary); its
reference is the title, then each column top to bottom, left to right. A table page holds a sentence and a table of
3-6 columns and 8-25 rows (words, amounts, dates, counts), ruled or not; its reference is the sentence, then the
table row by row, each row's cells in order. Font sizes, gaps and widths are drawn from the seed, so a new seed is
a new set of pages: bench.accuracy's `layouts` set (--seed) measures on pages the layout code was never shown.

The `scanned` set is the same pages as an office scanner gives them back (scanned()): at 200 or 300 dpi, blurred a
little, turned up to 2 degrees either way, on greyish paper with greyish ink and sensor noise, saved as JPEG. The
`bilevel` set is those scans as a scanner set to black and white gives them back: each scan cut at the grey that
best parts its paper from its ink (Otsu's threshold) before any JPEG, saved as a CCITT G4 TIFF.
"""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bench.pages import A4, FONT, _vocabulary

MARGIN = 200


def _wrapped(draw: ImageDraw.ImageDraw, words: list[str], font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    line: list[str] = []
    for word in words:
        if line and draw.textlength(" ".join([*line, word]), font=font) > width:
            lines.append(" ".join(line))
            line = []
        line.append(word)
    return [*lines, " ".join(line)] if line else lines


def columns_page(rng: random.Random, words: list[str]) -> tuple[Image.Image, str]:
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    size = rng.choice([38, 42, 46])  # 9-11 pt at 300 dpi
    body, head = ImageFont.truetype(str(FONT), size), ImageFont.truetype(str(FONT), rng.choice([64, 80]))
    count, gap = rng.choice([2, 3]), rng.choice([60, 90, 120])
    width = (A4[0] - 2 * MARGIN - (count - 1) * gap) // count
    title = " ".join(rng.sample(words, rng.randint(3, 6))).title()
    draw.text((MARGIN, 200), title, font=head, fill=0)
    reference = [title]
    for column in range(count):
        x, y = MARGIN + column * (width + gap), 420
        while y < A4[1] - 400:
            for line in _wrapped(draw, rng.sample(words, rng.randint(25, 70)), body, width):
                if y > A4[1] - 300:
                    break
                draw.text((x, y), line, font=body, fill=0)
                reference.append(line)
                y += round(size * 1.4)
            y += size  # a paragraph's break
    return page, "\n".join(reference)


def _cell(rng: random.Random, words: list[str], kind: str) -> str:
    if kind == "amount":
        return f"{rng.randint(0, 9999)}.{rng.randint(0, 99):02d}"
    if kind == "date":
        return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/20{rng.randint(10, 29)}"
    if kind == "count":
        return str(rng.randint(1, 500))
    return " ".join(w.strip(".,;") for w in rng.sample(words, rng.randint(1, 3)))


def table_page(rng: random.Random, words: list[str]) -> tuple[Image.Image, str]:
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    size = rng.choice([34, 38, 42])
    font = ImageFont.truetype(str(FONT), size)
    while True:  # a table that fits the page's width
        columns, rows = rng.randint(3, 6), rng.randint(8, 25)
        kinds = ["words", *(rng.choice(["words", "amount", "date", "count"]) for _ in range(columns - 1))]
        header = [" ".join(w.strip(".,;") for w in rng.sample(words, rng.randint(1, 2))).title() for _ in kinds]
        cells = [header, *([_cell(rng, words, kind) for kind in kinds] for _ in range(rows))]
        widths = [round(max(draw.textlength(row[c], font=font) for row in cells)) + 60 for c in range(columns)]
        if sum(widths) <= A4[0] - 2 * MARGIN:
            break
    sentence = " ".join(rng.sample(words, 12))
    first = _wrapped(draw, sentence.split(), font, A4[0] - 2 * MARGIN)[0]
    draw.text((MARGIN, 250), first, font=font, fill=0)
    height, top = round(size * 1.9), 400
    for r, row in enumerate(cells):
        x = MARGIN
        for c, text in enumerate(row):
            draw.text((x + 30, top + r * height + (height - size) // 2), text, font=font, fill=0)
            x += widths[c]
    if rng.random() < 0.5:  # ruled
        bottom, right = top + len(cells) * height, MARGIN + sum(widths)
        for r in range(len(cells) + 1):
            draw.line((MARGIN, top + r * height, right, top + r * height), fill=0, width=3)
        x = MARGIN
        for width in [0, *widths]:
            x += width
            draw.line((x, top, x, bottom), fill=0, width=3)
    return page, "\n".join([first, *(" ".join(row) for row in cells)])


def layout_pages(folder: Path, *, count: int, seed: int) -> list[tuple[str, Path, str]]:
    """`count` pages, columns and tables in turn, written to `folder`: (name, image, reference) each."""
    folder.mkdir(parents=True, exist_ok=True)
    words = _vocabulary()
    pages = []
    for i in range(count):
        kind = "columns" if i % 2 == 0 else "table"
        image, reference = (columns_page if kind == "columns" else table_page)(random.Random(f"{seed}-{i}"), words)
        name = f"{kind}-{seed}-{i:02d}"
        image.save(folder / f"{name}.png", dpi=(300, 300))
        pages.append((name, folder / f"{name}.png", reference))
    return pages


def scanned(page: Image.Image, rng: random.Random) -> tuple[Image.Image, int, int]:
    """The page (300 dpi) as a scanner returns it: its image, its dpi and the JPEG quality to save it at."""
    dpi = rng.choice([200, 300])
    if dpi != 300:
        page = page.resize((round(page.width * dpi / 300), round(page.height * dpi / 300)), Image.Resampling.LANCZOS)
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.3)))
    page = page.rotate(rng.uniform(-2, 2), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    paper, ink = rng.uniform(215, 245), rng.uniform(20, 70)
    pixels = ink + np.asarray(page, dtype=np.float32) / 255 * (paper - ink)
    noise = np.random.default_rng(rng.randrange(2**32)).standard_normal(pixels.shape, dtype=np.float32)
    pixels += noise * rng.uniform(3, 9)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), dpi, rng.choice([35, 50, 70, 85])


def scanned_pages(folder: Path, *, count: int, seed: int, bilevel: bool = False) -> list[tuple[str, Path, str]]:
    """layout_pages(), each scanned() and written to `folder` as JPEG (`bilevel`: in black and white,
    bilevel_scan(), as a G4 TIFF): (name, image, reference) each."""
    out = []
    for name, image, reference in layout_pages(folder / "drawn", count=count, seed=seed):
        with Image.open(image) as drawn:
            page, dpi, quality = scanned(drawn.convert("L"), random.Random(f"{seed}-{name}-scan"))
        if bilevel:
            target = folder / f"{name}-bw.tif"
            bilevel_scan(page).save(target, compression="group4", dpi=(dpi, dpi))
        else:
            target = folder / f"{name}-scan.jpg"
            page.save(target, "JPEG", quality=quality, dpi=(dpi, dpi))
        out.append((target.stem, target, reference))
    return out


def bilevel_scan(page: Image.Image) -> Image.Image:
    """A grey scan as a black-and-white scanner gives it: ink where it is darker than the grey that best parts
    the page's two (Otsu's threshold)."""
    pixels = np.asarray(page.convert("L"))
    threshold, _ = cv2.threshold(pixels, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return Image.fromarray(pixels > threshold)
