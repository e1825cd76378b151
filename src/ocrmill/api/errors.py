"""One handler per API turns exceptions into that API's error body."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ocrmill.errors import OcrmillError

log = logging.getLogger(__name__)


def api_response(status: int, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="ocrmill", charset="UTF-8"'} if status == 401 else None
    return JSONResponse(
        {"Success": False, "StatusCode": status, "Message": message}, status_code=status, headers=headers
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(OcrmillError)
    async def ocrmill_error(_request: Request, exc: OcrmillError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("request failed: %s", exc.message)
        return api_response(exc.http_status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "path", "query"))
        return api_response(400, f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return api_response(exc.status_code, str(exc.detail))

    app.add_middleware(CatchAll)


class CatchAll:
    """Answers an unexpected exception with the API's 500 body and keeps the connection usable
    (Starlette's own handler for Exception re-raises, so the server would drop the connection)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
            response = api_response(500, f"Internal server error: {type(exc).__name__}")
            await response(scope, receive, send)
