from __future__ import annotations

from enum import IntEnum


class JobStatus(IntEnum):
    CREATED = 0
    SCHEDULED = 1
    CONVERTING = 2
    CONVERTED = 3
    ERROR = 4


SUPPORTED_EXTENSIONS: tuple[str, ...] = (
    "TIF",
    "TIFF",
    "JPG",
    "JPEG",
    "BMP",
    "PNG",
    "GIF",
    "HEIF",
    "HEIC",
    "PDF",
)
