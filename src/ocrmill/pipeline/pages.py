"""Input files to page rasters: Pillow (+ pillow-heif) for images, pikepdf + pypdfium2 for PDFs.

A PageRef is plain data (picklable); rasters are made one page at a time so memory stays bounded.
"""

from __future__ import annotations

import io
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pikepdf
import pillow_heif
import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

from ocrmill.errors import InputError, LimitExceeded

pillow_heif.register_heif_opener()
Image.MAX_IMAGE_PIXELS = None  # we apply our own limit, with a readable message

# pdfium is not thread-safe, not even across documents: every call goes through this lock.
PDFIUM_LOCK = threading.Lock()


@dataclass(frozen=True)
class InputFile:
    path: Path
    ext: str  # upper case, as uploaded (PDF, TIF, ...)


@dataclass(frozen=True)
class PageRef:
    file: Path
    kind: Literal["image", "pdf"]
    index: int  # page or frame within the file
    source_index: int  # page within the whole job, 0-based
    jpeg_passthrough: bool = False


@dataclass
class Raster:
    image: Image.Image  # mode 1, L or RGB
    dpi: float
    transformed: bool  # differs from the stored image (EXIF rotation, alpha, mode)
    cleaned: bool = False  # changed by the job's clean-up options: the page shows this raster


def enumerate_pages(files: list[InputFile], *, max_pages: int) -> list[PageRef]:
    refs: list[PageRef] = []
    for number, item in enumerate(files, start=1):
        what = f"file {number} ({item.ext})"
        if item.path.stat().st_size == 0:
            raise InputError(f"The uploaded {what} is empty.")
        if item.ext == "PDF":
            count = _pdf_page_count(item.path, what)
            kind: Literal["image", "pdf"] = "pdf"
        else:
            count = _image_frame_count(item.path, what)
            kind = "image"
        if len(refs) + count > max_pages:
            raise LimitExceeded(f"The job has more than {max_pages} pages, the server's limit (max_pages).")
        jpeg = item.ext in ("JPG", "JPEG")
        refs += [PageRef(item.path, kind, i, len(refs) + i, jpeg and count == 1) for i in range(count)]
    if not refs:
        raise InputError("The job's files contain no pages.")
    return refs


def load_raster(ref: PageRef, *, render_dpi: int, max_pixels: float) -> Raster:
    if ref.kind == "pdf":
        return _render_pdf_page(ref, render_dpi, max_pixels)
    return _load_image_frame(ref, max_pixels)


def _pdf_page_count(path: Path, what: str) -> int:
    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted and not pdf.allow.extract:
                raise InputError(f"The uploaded {what} is encrypted.")
            return len(pdf.pages)
    except pikepdf.PasswordError:
        raise InputError(f"The uploaded {what} is protected by a password.") from None
    except pikepdf.PdfError as e:
        raise InputError(f"The uploaded {what} is not a readable PDF: {short_error(e)}") from None


def _image_frame_count(path: Path, what: str) -> int:
    try:
        with Image.open(path) as im:
            frames = int(getattr(im, "n_frames", 1))
            im.seek(frames - 1)
            im.load()  # a truncated file fails here, not in the middle of the job
            return frames
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        raise InputError(f"The uploaded {what} is not a readable image: {short_error(e)}") from None


def _load_image_frame(ref: PageRef, max_pixels: float) -> Raster:
    try:
        with Image.open(ref.file) as im:
            im.seek(ref.index)
            _check_pixels(im.width * im.height, max_pixels)
            claimed = im.info.get("dpi")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                im.load()
            image, transformed = normalise_image(im)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        raise InputError(f"Page {ref.source_index + 1} could not be read: {short_error(e)}") from None
    return Raster(image=image, dpi=working_dpi(image, claimed), transformed=transformed)


def normalise_image(im: Image.Image) -> tuple[Image.Image, bool]:
    """EXIF orientation applied, alpha flattened onto white, modes reduced to 1, L or RGB."""
    image = ImageOps.exif_transpose(im) or im
    transformed = image is not im
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        transformed = True
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image, transformed = flat, True
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")
        transformed = True
    elif image.mode == "F":
        image, transformed = image.convert("L"), True
    elif image.mode not in ("1", "L", "RGB"):
        image, transformed = image.convert("RGB"), True
    return image, transformed


def working_dpi(image: Image.Image, claimed: object) -> float:
    """The resolution the file states when it is plausible, else one estimated from the size,
    taking the longer side as that of an A4 page (clamped to 70..600)."""
    if isinstance(claimed, tuple) and claimed:
        try:
            value = float(claimed[0])
        except (TypeError, ValueError):
            value = 0.0
        if 100 <= value <= 2400:
            return value
    estimate = max(image.width, image.height) / 11.69
    return float(min(600, max(70, round(estimate))))


def _render_pdf_page(ref: PageRef, dpi: int, max_pixels: float) -> Raster:
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(ref.file)
            try:
                page = pdf[ref.index]
                width, height = page.get_size()
                _check_pixels(width * height * (dpi / 72) ** 2, max_pixels)
                bitmap = page.render(scale=dpi / 72, grayscale=True, may_draw_forms=True)
                image = bitmap.to_pil()
                page.close()
            finally:
                pdf.close()
        except pdfium.PdfiumError as e:
            raise InputError(f"Page {ref.source_index + 1} of the PDF could not be rendered: {e}") from None
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    return Raster(image=image, dpi=float(dpi), transformed=True)


def _check_pixels(pixels: float, max_pixels: float) -> None:
    if pixels > max_pixels:
        raise LimitExceeded(
            f"A page has {pixels / 1e6:.1f} megapixels, more than the server's limit of "
            f"{max_pixels / 1e6:g} (max_image_megapixels)."
        )


def short_error(error: BaseException) -> str:
    """The first line of a library's message, without the server's file paths."""
    lines = str(error).strip().splitlines()
    text = _PATH.sub("the file", _OBJECT.sub("", lines[0]))[:300] if lines else ""
    return text or type(error).__name__


_PATH = re.compile(r"""['"]?/[^\s'"]+['"]?""")
_OBJECT = re.compile(r"\s*<[\w.]+ object at 0x[0-9a-f]+>")  # "cannot identify image file <_io.BytesIO ...>"


def image_bytes(raster: Raster, *, lossless: bool, jpeg_quality: int) -> bytes:
    """The page image encoded for the PDF: CCITT G4 TIFF for bilevel, JPEG or PNG (Flate) otherwise."""
    out = io.BytesIO()
    dpi = (round(raster.dpi), round(raster.dpi))
    if raster.image.mode == "1":
        raster.image.save(out, format="TIFF", compression="group4", dpi=dpi)
    elif lossless:
        raster.image.save(out, format="PNG", dpi=dpi, compress_level=6)
    else:
        raster.image.save(out, format="JPEG", quality=jpeg_quality, dpi=dpi, optimize=False)
    return out.getvalue()
