"""One invoice page image through clean-up and OCR, choosing the clean-up from the image itself.

Invoice pages carry no job options: what is applied is decided per page (turned upright when
Tesseract's orientation detection is sure, straightened when skewed, enlarged when the text is too
small for Tesseract) and reported as the page's `preprocessing`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ocrmill.domain.document import Page
from ocrmill.errors import InputError
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.pages import _normalise, _working_dpi

TARGET_DPI = 300  # pages finer than MIN_DPI are recognised as they are; coarser ones are enlarged to this
MIN_DPI = 200


@dataclass
class Preprocessing:
    enhanced: bool = False  # enlarged (low resolution) or contrast-stretched
    deskewed: bool = False
    denoised: bool = False
    binarized: bool = False
    rotation_angle: float = 0.0  # degrees clockwise: the quarter turn plus the skew corrected

    def to_api(self) -> dict[str, object]:
        return {
            "enhanced": self.enhanced,
            "deskewed": self.deskewed,
            "denoised": self.denoised,
            "binarized": self.binarized,
            "rotationAngle": round(self.rotation_angle, 2),
        }


@dataclass
class ImageProperties:
    width: int
    height: int
    dpi: int
    color_space: str  # rgb | grayscale | bilevel | cmyk
    format: str  # png | jpeg | tiff | ...
    size: int  # bytes

    def to_api(self) -> dict[str, object]:
        return {
            "width": self.width,
            "height": self.height,
            "dpi": self.dpi,
            "colorSpace": self.color_space,
            "format": self.format,
            "size": self.size,
        }


@dataclass
class RecognisedPage:
    page: Page  # words in pixels of `image`
    image: Image.Image  # the cleaned raster the words were recognised on
    dpi: float
    preprocessing: Preprocessing


_COLOR_SPACES = {"1": "bilevel", "L": "grayscale", "LA": "grayscale", "I;16": "grayscale", "CMYK": "cmyk"}


def open_page_image(data: bytes) -> tuple[Image.Image, float, ImageProperties]:
    """The page image (first frame) normalised to 1, L or RGB, its working dpi and what the file says."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            properties = ImageProperties(
                width=im.width,
                height=im.height,
                dpi=round(float((im.info.get("dpi") or (0, 0))[0] or 0)),
                color_space=_COLOR_SPACES.get(im.mode, "rgb"),
                format=(im.format or "unknown").lower(),
                size=len(data),
            )
            im.load()
            image, _ = _normalise(im)
            dpi = _working_dpi(image, im.info.get("dpi"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        raise InputError(f"The page image could not be read: {e}") from None
    if not properties.dpi:
        properties.dpi = round(dpi)
    return image, dpi, properties


def recognise_page(
    image: Image.Image, dpi: float, *, engines: EnginePool, langs: list[str], number: int, tessdata: Path
) -> RecognisedPage:
    """Clean-up chosen for this page, then one Tesseract pass."""
    from ocrmill.pipeline.cleanup import geometry  # OpenCV: imported on first use (see pipeline.run.cleaned)

    done = Preprocessing()
    gray = np.asarray(image.convert("L"))
    if dpi < MIN_DPI:
        import cv2

        factor = TARGET_DPI / dpi
        gray = np.ascontiguousarray(cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC))
        dpi = TARGET_DPI
        done.enhanced = True
    gray, turned = geometry.orient(gray, dpi, tessdata)
    gray, skew = geometry.deskew(gray, dpi, adjust_paper_size=True)
    done.deskewed = skew != 0.0
    done.rotation_angle = turned + skew
    cleaned = Image.fromarray(gray)
    page = engines.get(langs).recognize(cleaned, dpi=dpi, number=number, source_index=number - 1)
    return RecognisedPage(page=page, image=cleaned, dpi=dpi, preprocessing=done)
