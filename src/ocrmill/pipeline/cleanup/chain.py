"""The job's clean-up options applied to one page raster before OCR, in a fixed order.

The order follows what each step needs: first the noise that hides the text from every later step
(colour noise, halftone screens), then the page upright and straight (orientation and skew are
measured on the text), then its frame (border, punch holes), then the specks, and the stroke repair
and binarization last, on the cleaned greys. The cleaned raster is what is recognised and also what
the output PDF shows, so a page deskewed for OCR is deskewed for the reader too. A bilevel scan
stays bilevel (so BWCompression still applies to it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ocrmill.domain.options import CLEANUP_OPTIONS, JobOptions
from ocrmill.pipeline.cleanup import geometry, pixels

Pixels = NDArray[np.uint8]

Step = Callable[[Pixels, float], Pixels]
# (option, operation) of the steps that only take the pixels and the dpi, before and after geometry
_DENOISE: list[tuple[str, Step]] = [
    ("RemoveColorNoise", pixels.remove_color_noise),
    ("RemoveHalftone", pixels.remove_halftone),
]
_FINISH: list[tuple[str, Step]] = [
    ("RemoveHolePunch", geometry.remove_hole_punch),
    ("Despeckle", pixels.despeckle),
    ("ImproveText", pixels.improve_text),
]


def remove_fine_specks(image: Image.Image, dpi: float) -> Image.Image:
    """A speckled page's fine salt-and-pepper noise removed (what a default job does: see pipeline.run.cleaned)."""
    bilevel = image.mode == "1"
    array: Pixels = np.asarray(image.convert("L") if bilevel or image.mode not in ("L", "RGB") else image)
    out = Image.fromarray(pixels.remove_fine_specks(array, dpi))
    return out.convert("1", dither=Image.Dither.NONE) if bilevel else out


def clean(image: Image.Image, dpi: float, options: JobOptions, *, tessdata: Path) -> Image.Image:
    """`image` with the job's clean-up options applied; the input itself when none is on."""
    if not any(getattr(options, name) for name in CLEANUP_OPTIONS):
        return image
    bilevel = image.mode == "1"
    array: Pixels = np.asarray(image.convert("L") if bilevel else image)
    for name, step in _DENOISE:
        if getattr(options, name):
            array = step(array, dpi)
    if options.AutoOrientation:
        array, _ = geometry.orient(array, dpi, tessdata)
    if options.Deskew:
        array, _ = geometry.deskew(array, dpi, adjust_paper_size=options.DeskewAdjustPaperSize)
    if options.DeleteBorder:
        array = geometry.delete_border(array, dpi)
    elif options.ClearBorder:
        array = geometry.clear_border(array, dpi)
    for name, step in _FINISH:
        if getattr(options, name):
            array = step(array, dpi)
    if options.Binarize:
        return Image.fromarray(pixels.binarize(array, dpi)).convert("1", dither=Image.Dither.NONE)
    if bilevel:
        return Image.fromarray(array).convert("1", dither=Image.Dither.NONE)
    return Image.fromarray(array)
