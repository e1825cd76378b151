"""A fixed benchmark batch: A4 pages at 300 dpi from real scans in ../shared/data and generated text."""

from __future__ import annotations

import random
import re
from pathlib import Path

import ocrmypdf
from PIL import Image, ImageDraw, ImageFont, ImageOps

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
A4 = (2480, 3508)  # 300 dpi
REAL_SCANS = [
    *sorted((DATA / "ocr-scribe-benchmark" / "img").glob("*.*")),
    DATA / "ocr-tesseract-test" / "8087_054.3B.tif",
    DATA / "ocr-tesseract-test" / "eurotext.tif",
    DATA / "ocr-tesseract-test" / "phototest.tif",
]
FONT = Path(ocrmypdf.__file__).parent / "data" / "NotoSans-Regular.ttf"


def a4_from_scan(path: Path) -> Image.Image:
    """The scan scaled to the width of an A4 page (or its height, if longer) on a white page."""
    image = Image.open(path)
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    image = image.convert("L")
    scale = min((A4[0] - 200) / image.width, (A4[1] - 200) / image.height)
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    page = Image.new("L", A4, 255)
    page.paste(image, (100, 100))
    return page


def _vocabulary() -> list[str]:
    words: list[str] = []
    for gt in sorted((DATA / "ocr-scribe-benchmark" / "gt_txt").glob("*.gt.txt")):
        words += re.findall(r"[A-Za-z][A-Za-z'-]+[.,;]?", gt.read_text(encoding="utf-8"))
    return words


def text_page(seed: int, words: list[str]) -> Image.Image:
    """A page of body text in 11 pt NotoSans with a heading, as a word processor would print it."""
    rng = random.Random(seed)
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    body = ImageFont.truetype(str(FONT), 46)  # 11 pt at 300 dpi
    head = ImageFont.truetype(str(FONT), 75)
    margin, y = 236, 260
    draw.text((margin, y), " ".join(rng.sample(words, 5)).title(), font=head, fill=0)
    y += 160
    while y < A4[1] - 300:
        line: list[str] = []
        for _ in range(40):
            candidate = [*line, rng.choice(words)]
            if draw.textlength(" ".join(candidate), font=body) > A4[0] - 2 * margin:
                break
            line = candidate
        draw.text((margin, y), " ".join(line), font=body, fill=0)
        y += 66
        if rng.random() < 0.12:
            y += 66  # paragraph break
    return page


def generated(index: int) -> bool:
    """Whether the batch's page `index` is a generated text page (a clean page) rather than a real scan."""
    return index % 2 == 1


def prepare(out: Path, *, singles: int = 40, multi_jobs: int = 4, multi_pages: int = 10) -> dict[str, list[Path]]:
    """Writes the batch (once) and returns {"single": [png...], "multi": [tif...], "multi_pages": [png...]}; the
    single pages again by kind, "single_clean" (generated text) and "single_scans"."""
    out.mkdir(parents=True, exist_ok=True)
    words = _vocabulary()
    pool: list[Path] = []
    total = singles + multi_jobs * multi_pages
    for i in range(total):
        path = out / f"page-{i:03d}.png"
        if not path.exists():
            scans = REAL_SCANS
            image = text_page(i, words) if generated(i) else a4_from_scan(scans[i % len(scans)])
            image.save(path, dpi=(300, 300))
        pool.append(path)
    multi: list[Path] = []
    for j in range(multi_jobs):
        path = out / f"job-{j}.tif"
        if not path.exists():
            frames = [Image.open(p) for p in pool[singles + j * multi_pages : singles + (j + 1) * multi_pages]]
            frames[0].save(
                path, save_all=True, append_images=frames[1:], compression="tiff_adobe_deflate", dpi=(300, 300)
            )
        multi.append(path)
    return {
        "single": pool[:singles],
        "single_clean": [path for i, path in enumerate(pool[:singles]) if generated(i)],
        "single_scans": [path for i, path in enumerate(pool[:singles]) if not generated(i)],
        "multi": multi,
        "multi_pages": pool[singles:],
    }
