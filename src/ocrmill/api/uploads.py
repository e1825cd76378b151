"""Reading request bodies: JSON, and uploads (the file type from a Content-Type or a file part, the parts' bytes)."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import AsyncIterator
from pathlib import PurePath

from fastapi import Request
from starlette.datastructures import UploadFile

from ocrmill.domain.status import SUPPORTED_EXTENSIONS
from ocrmill.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

CONTENT_TYPES: dict[str, str] = {
    "image/tiff": "TIF",
    "image/tif": "TIF",
    "image/x-tiff": "TIF",
    "image/jpeg": "JPG",
    "image/jpg": "JPG",
    "image/pjpeg": "JPG",
    "image/bmp": "BMP",
    "image/x-bmp": "BMP",
    "image/x-ms-bmp": "BMP",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/heif": "HEIF",
    "image/heif-sequence": "HEIF",
    "image/heic": "HEIC",
    "image/heic-sequence": "HEIC",
    "application/pdf": "PDF",
    "application/x-pdf": "PDF",
}


async def _body_within(request: Request, limit: PayloadTooLarge) -> bytes:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit.limit_bytes:
        raise limit
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit.limit_bytes:
            raise limit
    return bytes(body)


def check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + 64 * 1024:
        raise PayloadTooLarge.over(limit)


def ext_of_type(content_type: str) -> str:
    mime = content_type.split(";")[0].strip().lower()
    if not mime:
        raise UnsupportedMediaType("Set Content-Type to the file's type (e.g. image/tiff or application/pdf).")
    ext = CONTENT_TYPES.get(mime)
    if ext is None:
        raise UnsupportedMediaType(f"Content-Type {mime!r} is not a supported file type.")
    return ext


async def file_part(request: Request) -> UploadFile:
    form = await request.form(max_files=1, max_fields=20)
    for value in form.values():
        if isinstance(value, UploadFile):
            return value
    raise BadRequest("The multipart body has no file part.")


def ext_of_part(part: UploadFile) -> str:
    mime = (part.content_type or "").split(";")[0].strip().lower()
    if mime in CONTENT_TYPES:
        return CONTENT_TYPES[mime]
    suffix = PurePath(part.filename or "").suffix.lstrip(".").upper()
    if suffix in SUPPORTED_EXTENSIONS:
        return suffix
    guessed = mimetypes.guess_type(part.filename or "")[0]
    if guessed in CONTENT_TYPES:
        return CONTENT_TYPES[guessed]
    raise UnsupportedMediaType(f"The file part's type {mime or '(none)'!r} is not a supported file type.")


async def read_part(part: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await part.read(1024 * 1024):
        yield chunk


async def json_body(request: Request, *, empty: object = None, limit: PayloadTooLarge | None = None) -> object:
    """The body as JSON, or `empty` when there is none; BadRequest when it is not JSON. With a `limit` (its
    `limit_bytes`), a longer body is refused as soon as its Content-Length or its bytes so far say so."""
    raw = await request.body() if limit is None else await _body_within(request, limit)
    if not raw.strip():
        return empty
    try:
        body: object = json.loads(raw)
        return body
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadRequest(f"The request body is not valid JSON: {e}") from None
