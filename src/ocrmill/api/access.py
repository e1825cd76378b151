"""The access log: one line per HTTP request, written by the request metrics' middleware (api.metrics) once the
answer is sent. Who asked and, for a refused request, why, are noted in the ASGI scope on the way."""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.types import Scope

from ocrmill.logs import fields, one_line

USER_KEY = "ocrmill.user"  # the signed-in user's name (api.deps, api.polling); absent: nobody signed in
REASON_KEY = "ocrmill.reason"  # the message an error answer carries (api.errors)

log = logging.getLogger("ocrmill.access")


def note_user(scope: Scope, name: str) -> None:
    scope[USER_KEY] = name


def note_reason(scope: Scope, message: str) -> None:
    scope[REASON_KEY] = message


def log_request(scope: Scope, *, status: int, seconds: float) -> None:
    """`GET /api/ocrjobs/info/7 200 1.3 ms user=alice client=10.0.0.5`, and `: why` for an error. The path as the
    client sent it, without the query string; never a header (credentials, tokens)."""
    method = str(scope.get("method", ""))
    path = _path(scope)
    user = str(scope.get(USER_KEY) or "") or "-"
    client = scope.get("client")
    address = str(client[0]) if client else "-"
    reason = one_line(str(scope.get(REASON_KEY, ""))) if status >= 400 else ""
    millis = round(seconds * 1000, 1)
    level = logging.ERROR if status >= 500 else logging.INFO
    log.log(
        level,
        "%s %s %d %.1f ms user=%s client=%s%s",
        method,
        path,
        status,
        millis,
        one_line(user),
        address,
        f": {reason}" if reason else "",
        extra=fields(
            event="request",
            method=method,
            path=path,
            status=status,
            duration_ms=millis,
            user=None if user == "-" else user,
            client=address,
            **({"reason": reason} if reason else {}),
        ),
    )


def _path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        return one_line(raw.decode("ascii", "backslashreplace").partition("?")[0])
    return quote(str(scope.get("root_path", "")) + str(scope.get("path", "")))
