"""Input files to page rasters: Pillow (+ pillow-heif) for images, pikepdf + pypdfium2 for PDFs.

A PageRef is plain data (picklable); rasters are made one page at a time so memory stays bounded.
"""

from __future__ import annotations

import io
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pikepdf
import pillow_heif
import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

from ocrmill.errors import InputError, LimitExceeded

pillow_heif.register_heif_opener()
# Pillow's own guard warns above MAX_IMAGE_PIXELS and refuses at open above twice that; limit_pixels sets it to
# half the server's limit, so that every Image.open refuses what the limit refuses, from the header alone. Our
# own checks (with a readable message) come first wherever pages are opened, so the warning says nothing new.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

MIN_SIDE = 10  # pixels: a smaller page cannot hold a readable letter
MAX_SIDE = 32767  # pixels: the longest side Tesseract reads
PDF_MIN_SIDE, PDF_MAX_SIDE = 3.0, 14400.0  # PDF units (1/72 inch): the PDF format's smallest and largest page

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


def limit_pixels(max_pixels: float) -> None:
    """Pillow's decompression-bomb guard for this process, from the server's max_image_megapixels."""
    Image.MAX_IMAGE_PIXELS = max(1, int(max_pixels // 2))  # Pillow refuses above twice this


def enumerate_pages(files: list[InputFile], *, max_pages: int, max_pixels: float, render_dpi: int) -> list[PageRef]:
    """The pages of the files, each checked against the limits from what the file's header or structure says
    (image sizes, frame counts, PDF page sizes) before anything is decoded or rendered."""
    refs: list[PageRef] = []
    for number, item in enumerate(files, start=1):
        what = f"file {number} ({item.ext})"
        if item.path.stat().st_size == 0:
            raise InputError(f"The uploaded {what} is empty.")
        first, room = len(refs) + 1, max_pages - len(refs)
        if item.ext == "PDF":
            count = _pdf_pages(item.path, what, first=first, room=room, max_pixels=max_pixels, dpi=render_dpi)
            kind: Literal["image", "pdf"] = "pdf"
        else:
            count = _image_frames(item.path, what, first=first, room=room, max_pixels=max_pixels)
            kind = "image"
        if count > room:
            raise LimitExceeded(f"The job has more than {max_pages} pages, the server's limit (max_pages).")
        jpeg = item.ext in ("JPG", "JPEG")
        refs += [PageRef(item.path, kind, i, len(refs) + i, jpeg and count == 1) for i in range(count)]
    if not refs:
        raise InputError("The job's files contain no pages.")
    return refs


def load_raster(ref: PageRef, *, render_dpi: int, max_pixels: float, coloured_text: bool = False) -> Raster:
    """The page's pixels: an image's frame as it is, a PDF page rendered in grey (`coloured_text`: with text
    printed in a light colour as dark as its darkest channel, cleanup.pixels.text_gray, from a second rendering
    in colour; the invoice pages' reading)."""
    if ref.kind == "pdf":
        return _render_pdf_page(ref, render_dpi, max_pixels, coloured_text=coloured_text)
    return _load_image_frame(ref, max_pixels)


def _pdf_pages(path: Path, what: str, *, first: int, room: int, max_pixels: float, dpi: int) -> int:
    """The PDF's page count (more than `room`: not checked further), each page's size checked from its MediaBox
    (nothing is rendered). The count is PDFium's first, from the page tree's root: pikepdf's open walks every page
    (a PDF of a million empty pages, 107 MB: 2.3 GB and 14 s), so a PDF over the limit is refused before it."""
    count = _pdfium_page_count(path)
    if count > room:
        return count
    try:
        # Not inheriting the page tree's attributes into the pages, which walks every page on opening: the tree
        # may hold more pages than its root states (PDFium's count above), and is walked here only up to the limit.
        with pikepdf.open(path, inherit_page_attributes=False) as pdf:
            if pdf.is_encrypted and not pdf.allow.extract:
                raise InputError(f"The uploaded {what} is encrypted.")
            count = _tree_pages(pdf, room)
            if count > room:
                return count
            count = len(pdf.pages)
            if count > room:
                return count
            for index, page in enumerate(pdf.pages):
                box = page.mediabox  # in points, as pdfium renders it (UserUnit is not applied there either)
                width, height = abs(float(box[2]) - float(box[0])), abs(float(box[3]) - float(box[1]))
                check_pdf_page(first + index, width, height, dpi=dpi, max_pixels=max_pixels)
            return count
    except pikepdf.PasswordError:
        raise InputError(f"The uploaded {what} is protected by a password.") from None
    except (pikepdf.PdfError, ValueError, TypeError, IndexError) as e:
        raise InputError(f"The uploaded {what} is not a readable PDF: {short_error(e)}.") from None


def _tree_pages(pdf: pikepdf.Pdf, room: int) -> int:
    """The pages the page tree holds, counted by walking its /Kids up to one more than `room` (a PDF stating one
    page and holding a million: pikepdf's page list would walk them all, 2.3 GB); each node once."""
    root = pdf.Root.get("/Pages")
    if not isinstance(root, pikepdf.Dictionary):
        return 0
    count, seen = 0, set()
    walks: list[Iterator[pikepdf.Object]] = [iter([root])]
    while walks:
        node = next(walks[-1], None)
        if node is None:
            walks.pop()
            continue
        if not isinstance(node, pikepdf.Dictionary) or (node.is_indirect and node.objgen in seen):
            continue
        if node.is_indirect:
            seen.add(node.objgen)
        kids = node.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            walks.append(iter(kids))
            continue
        count += 1
        if count > room:
            return count
    return count


def _pdfium_page_count(path: Path) -> int:
    """The page count PDFium reads from the page tree's root (/Count), loading no page; 0 where PDFium cannot
    open the file (pikepdf then says what is wrong with it)."""
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(path)
        except pdfium.PdfiumError:
            return 0
        try:
            return len(pdf)
        finally:
            pdf.close()


# Formats whose frame count Pillow knows without decoding (APNG's acTL, WebP's animation frames, GIF's blocks skipped)
# and whose frames all have the image's size, but whose seek decodes every frame before the one sought: counting a
# 146 KB APNG of 2100 frames of 100 megapixels frame by frame took a worker 14 minutes (a GIF's, 0.7 s a frame,
# only where img2pdf has not changed Pillow's GIF loading, as it does in the workers).
_DECLARED_FRAMES = ("PNG", "WEBP", "GIF")


def _image_frames(path: Path, what: str, *, first: int, room: int, max_pixels: float) -> int:
    """The image's frame count, each frame's size checked from its header; only the last frame is decoded (a
    truncated file fails here, not in the middle of the job), and only once its size is known to be allowed.
    Frames are counted one by one, up to one more than `room`: a file of a million frames costs no more."""
    try:
        with opened(path, f"The uploaded {what}", max_pixels=max_pixels) as im:
            if im.format in _DECLARED_FRAMES:
                frames = int(getattr(im, "n_frames", 1))
                if frames > room:
                    return frames
                check_image_page(f"Page {first}", im.width, im.height, max_pixels=max_pixels)
            else:
                frames = _counted_frames(im, first=first, room=room, max_pixels=max_pixels)
                if frames > room:
                    return frames
            im.seek(frames - 1)
            claimed = im.info.get("dpi")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                im.load()
            image, transformed = normalise_image(im)
            # closing `im` frees its pixels: what is handed over must be another image
            _hand_over(path, frames - 1, image.copy() if image is im else image, claimed, transformed)
            return frames
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        raise InputError(f"The uploaded {what} is not a readable image: {short_error(e)}.") from None


def _counted_frames(im: Image.Image, *, first: int, room: int, max_pixels: float) -> int:
    """The frames counted by seeking each (its size checked from its header), up to one more than `room`."""
    frames = 0
    while True:
        try:
            im.seek(frames)
        except EOFError:
            return frames
        if frames == room:
            return room + 1
        check_image_page(f"Page {first + frames}", im.width, im.height, max_pixels=max_pixels)
        frames += 1


def opened(source: Path | io.BytesIO, what: str, *, max_pixels: float) -> Image.Image:
    """Image.open under Pillow's decompression-bomb guard set from `max_pixels` (this process's pages are all
    opened under the one limit of its settings), its refusal turned into our limit's error about `what`."""
    limit_pixels(max_pixels)
    try:
        with warnings.catch_warnings():  # above half the limit Pillow warns; our checks say more, after this
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(source)
    except Image.DecompressionBombError as e:
        found = re.search(r"\((\d+) pixels\)", str(e))
        size = f"{int(found[1]) / 1e6:.1f} megapixels" if found else "more pixels than that"
        raise LimitExceeded(
            f"{what} has {size}, more than the server's limit of {max_pixels / 1e6:g} (max_image_megapixels)."
        ) from None


def limits_text(max_pixels: float) -> str:
    return (
        f"the server reads pages of {MIN_SIDE} to {MAX_SIDE} pixels a side and at most {max_pixels / 1e6:g} "
        f"megapixels (max_image_megapixels)"
    )


def check_image_page(page: str, width: int, height: int, *, max_pixels: float) -> None:
    """LimitExceeded (too large) or InputError (too small) naming the page ("Page 3"), its size and the limits."""
    if width * height > max_pixels:
        raise LimitExceeded(
            f"{page} has {width * height / 1e6:.1f} megapixels ({width} x {height}), more than the server's "
            f"limit of {max_pixels / 1e6:g} (max_image_megapixels)."
        )
    if max(width, height) > MAX_SIDE:
        raise LimitExceeded(f"{page} is {width} x {height} pixels, too long: {limits_text(max_pixels)}.")
    if min(width, height) < MIN_SIDE:
        raise InputError(f"{page} is {width} x {height} pixels, too small: {limits_text(max_pixels)}.")


def check_pdf_page(number: int, width: float, height: float, *, dpi: int, max_pixels: float) -> None:
    """The page's size in PDF units within the PDF format's limits, and its raster within max_image_megapixels."""
    inches = f"{width / 72:.3g} x {height / 72:.3g} inches"
    if min(width, height) < PDF_MIN_SIDE or max(width, height) > PDF_MAX_SIDE:
        raise LimitExceeded(
            f"Page {number} of the PDF is {inches}: the server reads PDF pages of {PDF_MIN_SIDE / 72:.3g} to "
            f"{PDF_MAX_SIDE / 72:g} inches a side ({PDF_MIN_SIDE:g} to {PDF_MAX_SIDE:g} PDF units)."
        )
    used = pdf_dpi(width, height, dpi)
    pixels = width * height * (used / 72) ** 2
    if pixels > max_pixels:
        raise LimitExceeded(
            f"Page {number} of the PDF ({inches}) has {pixels / 1e6:.1f} megapixels at {used:.0f} dpi, more "
            f"than the server's limit of {max_pixels / 1e6:g} (max_image_megapixels)."
        )


def pdf_dpi(width: float, height: float, dpi: int) -> float:
    """The resolution a page of this size (PDF units) is rendered at: `dpi`, lowered where the longer side
    would exceed MAX_SIDE pixels (a 200-inch page is read at 163 dpi rather than refused)."""
    return min(float(dpi), (MAX_SIDE - 2) * 72 / max(width, height, 1.0))  # pdfium rounds sizes up


# The frame _image_frames decoded last (to find a truncated file before the job starts) is handed to the load of
# that page: a one-page image is decoded once, not twice (an A4 PNG: about 25 ms of a worker's CPU). One slot, so
# memory stays bounded by one raster however many files a job has; a worker runs one job at a time.
_decoded: dict[tuple[Path, int], tuple[Image.Image, object, bool]] = {}
_decoded_lock = threading.Lock()


def _hand_over(path: Path, index: int, image: Image.Image, claimed: object, transformed: bool) -> None:
    with _decoded_lock:
        _decoded.clear()
        _decoded[(path, index)] = (image, claimed, transformed)


def _taken(ref: PageRef) -> tuple[Image.Image, object, bool] | None:
    with _decoded_lock:
        return _decoded.pop((ref.file, ref.index), None)


def _load_image_frame(ref: PageRef, max_pixels: float) -> Raster:
    handed = _taken(ref)
    if handed is not None:
        image, claimed, transformed = handed
        check_image_page(f"Page {ref.source_index + 1}", image.width, image.height, max_pixels=max_pixels)
        return Raster(image=image, dpi=working_dpi(image, claimed), transformed=transformed)
    try:
        with opened(ref.file, f"Page {ref.source_index + 1}", max_pixels=max_pixels) as im:
            im.seek(ref.index)
            check_image_page(f"Page {ref.source_index + 1}", im.width, im.height, max_pixels=max_pixels)
            claimed = im.info.get("dpi")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                im.load()
            image, transformed = normalise_image(im)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        raise InputError(f"Page {ref.source_index + 1} could not be read: {short_error(e)}.") from None
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
            return _within_pdf_sizes(image, value)
    estimate = max(image.width, image.height) / 11.69
    return _within_pdf_sizes(image, float(min(600, max(70, round(estimate)))))


def _within_pdf_sizes(image: Image.Image, dpi: float) -> float:
    """`dpi`, changed where the page it makes would be smaller or larger than a PDF page can be (a 10-pixel
    strip at 600 dpi would be 1.2 PDF units high; a 32767-pixel one at 100 dpi 327 inches long)."""
    lowest = max(image.width, image.height) * 72 / PDF_MAX_SIDE
    highest = min(image.width, image.height) * 72 / PDF_MIN_SIDE
    return min(max(dpi, lowest), highest)


def _render_pdf_page(ref: PageRef, dpi: int, max_pixels: float, *, coloured_text: bool) -> Raster:
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(ref.file)
            try:
                page = pdf[ref.index]
                width, height = page.get_size()
                check_pdf_page(ref.source_index + 1, width, height, dpi=dpi, max_pixels=max_pixels)
                used = pdf_dpi(width, height, dpi)
                image = page.render(scale=used / 72, grayscale=True, may_draw_forms=True).to_pil()
                # in colour, PDFium draws glyph edges otherwise (Tesseract read 'griin' for 'grün' on it): the
                # colour rendering only tells which strokes are coloured
                rgb = page.render(scale=used / 72, rev_byteorder=True, may_draw_forms=True) if coloured_text else None
                colours = rgb.to_numpy()[..., :3].copy() if rgb is not None else None  # its own pixels, not PDFium's
                page.close()
            finally:
                pdf.close()
        except pdfium.PdfiumError as e:
            raise InputError(f"Page {ref.source_index + 1} of the PDF could not be rendered: {e}") from None
    if colours is not None:  # the grey rendering is "L"
        from ocrmill.pipeline.cleanup.pixels import text_gray  # OpenCV: imported on first use

        image = Image.fromarray(text_gray(colours, used, gray=np.asarray(image)))
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    return Raster(image=image, dpi=used, transformed=True)


def short_error(error: BaseException) -> str:
    """The first line of a library's message, without the server's file paths: a leading "path: " (qpdf's
    "/tmp/x.pdf: unable to find trailer dictionary ...") goes, a path elsewhere reads "the file"."""
    lines = str(error).strip().splitlines()
    first = _LEADING_PATH.sub("", _OBJECT.sub("", lines[0])) if lines else ""
    text = _PATH.sub("the file", first)[:300].rstrip(". ")  # the caller's sentence ends it
    return text or type(error).__name__


_PATH = re.compile(r"""['"]?/[^\s'"]+['"]?""")
_LEADING_PATH = re.compile(r"""^['"]?/[^\s'"]+['"]?:\s*""")
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
