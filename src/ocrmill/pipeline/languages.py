"""Where Tesseract's models are and which languages they cover."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ocrmill.errors import ConfigError

_CANDIDATES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)


def tessdata_dir(configured: Path | None = None) -> Path:
    candidates = [str(configured)] if configured else []
    candidates += [os.environ.get("TESSDATA_PREFIX", ""), *_CANDIDATES]
    for candidate in candidates:
        if candidate and (Path(candidate) / "eng.traineddata").is_file():
            return Path(candidate)
    raise ConfigError("No Tesseract models found (eng.traineddata); install tesseract-ocr-eng or set tessdata_dir.")


@functools.cache
def installed_languages(configured: Path | None = None) -> set[str]:
    folder = tessdata_dir(configured)
    return {p.stem for p in folder.glob("*.traineddata") if p.stem not in ("osd", "equ")}
