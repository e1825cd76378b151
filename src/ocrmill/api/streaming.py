"""Job listings (all, allbystatus, query) as JSON arrays written while they are read: a batch of jobs at a time, so
the API process holds one batch however many jobs there are, and other requests are served between batches."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi.responses import StreamingResponse


def render(content: Any) -> bytes:
    """JSON exactly as Starlette's JSONResponse renders it."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


def job_array(batches: Iterator[Sequence[str]]) -> StreamingResponse:
    """The status documents (JSON text) of `batches` as one JSON array, the same bytes JSONResponse would send for the
    whole list of job_public documents. The first batch is read here, before the answer starts, so that a database
    that cannot answer is still a 503."""
    first = next(batches, None)

    def body() -> Iterator[bytes]:
        if first is None:
            yield b"[]"
            return
        yield b"[" + _items(first)
        for batch in batches:
            yield b"," + _items(batch)
        yield b"]"

    return StreamingResponse(body(), media_type="application/json")


def _items(batch: Sequence[str]) -> bytes:
    return ",".join(batch).encode()
