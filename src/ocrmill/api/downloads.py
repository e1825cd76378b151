"""A stored file as an HTTP answer: sent from disk, streamed from the object store, or a presigned redirect."""

from __future__ import annotations

from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from starlette.datastructures import Headers

from ocrmill.store.files import Download


def stored_response(found: Download, *, media_type: str, filename: str | None = None) -> Response:
    if found.path is not None:
        return FileResponse(found.path, media_type=media_type, filename=filename)
    if found.url is not None:
        return RedirectResponse(found.url, status_code=307)
    assert found.chunks is not None
    headers = {"Content-Length": str(found.size)}
    if filename:
        # the same Content-Disposition as FileResponse's
        headers["Content-Disposition"] = FileResponse("", filename=filename).headers["content-disposition"]
    return StreamingResponse(found.chunks, media_type=media_type, headers=dict(Headers(headers)))
