"""One handler per API turns exceptions into that API's error body."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ocrmill.api.access import note_reason
from ocrmill.errors import InsufficientStorage, OcrmillError, disk_full
from ocrmill.store.db import translated

log = logging.getLogger(__name__)


def _headers(status: int, extra: dict[str, str] | None) -> dict[str, str]:
    challenge = {"WWW-Authenticate": 'Basic realm="ocrmill", charset="UTF-8"'} if status == 401 else {}
    return challenge | (extra or {})


def api_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"Success": False, "StatusCode": status, "Message": message},
        status_code=status,
        headers=_headers(status, headers),
    )


ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "service_unavailable",
    507: "insufficient_storage",
}


def resource_error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The invoice API's error body: {"success": false, "error": {"code", "message"}}."""
    body = {"success": False, "error": {"code": ERROR_CODES.get(status, "internal_error"), "message": message}}
    return JSONResponse(body, status_code=status, headers=_headers(status, headers))


def answerable(exc: BaseException) -> OcrmillError:
    """What an unexpected exception is, in our terms: a full disk (507) or a database that cannot be reached
    (503) when it is one of those; else an internal error whose details go to the log, never to the client."""
    if isinstance(exc, OcrmillError):
        return exc
    if disk_full(exc):
        return InsufficientStorage()
    return translated(exc) or OcrmillError("Internal server error: the server's log has the details.")


def install(app: FastAPI, *, resource_prefix: str) -> None:
    """`resource_prefix`: the paths of the invoice API, which answers errors in its own shape."""

    def answer(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        note_reason(request.scope, message)  # the access log says why
        if request.url.path.startswith(resource_prefix):
            return resource_error(status, message, headers)
        return api_response(status, message, headers)

    @app.exception_handler(OcrmillError)
    async def ocrmill_error(request: Request, exc: OcrmillError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("request failed: %s", exc.message)
        return answer(request, exc.http_status, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "path", "query"))
        return answer(request, 400, f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(app.router.routes, request.url.path) or headers.get("Allow", "GET, HEAD")
        return answer(request, exc.status_code, str(exc.detail), headers)

    app.add_middleware(CatchAll, resource_prefix=resource_prefix)


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> str:
    """The methods of every route at `path` (RFC 9110 wants them all in a 405's Allow; Starlette names only those
    of the first route that matched the path, and FastAPI makes a route per method)."""
    methods: set[str] = set()
    for route in iter_route_contexts(routes):
        if route.methods and route.path and _path_regex(route.path).match(path):
            methods |= route.methods
    return ", ".join(sorted(methods))


@functools.cache
def _path_regex(template: str) -> re.Pattern[str]:
    return compile_path(template)[0]


class CatchAll:
    """Answers an unexpected exception with the API's 500 body and keeps the connection usable
    (Starlette's own handler for Exception re-raises, so the server would drop the connection)."""

    def __init__(self, app: ASGIApp, *, resource_prefix: str) -> None:
        self.app = app
        self.resource_prefix = resource_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.exception("unexpected error", exc_info=exc)
            if started:
                raise
            error = answerable(exc)
            note_reason(scope, error.message)
            if str(scope.get("path", "")).startswith(self.resource_prefix):
                response = resource_error(error.http_status, error.message, error.headers)
            else:
                response = api_response(error.http_status, error.message, error.headers)
            await response(scope, receive, send)
