"""What the sync and async drivers share: the base URL, credentials, a Call's request arguments, a response's
Reply (or its exception), and writing a download atomically."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx

from ocrmill.client.calls import Call, Reply, media_type
from ocrmill.client.errors import ConnectionFailed, api_error

USER_AGENT = "ocrmill-client"


def base_url(server: str, api_prefix: str) -> str:
    """The API's root from the server's address; an address that already ends in the prefix (or in
    <prefix>/ocrjobs, as ownOCR clients are configured) is taken as it is."""
    url = server.rstrip("/")
    prefix = "/" + api_prefix.strip("/") if api_prefix.strip("/") else ""
    url = url.removesuffix("/ocrjobs")
    return url if prefix and url.endswith(prefix) else url + prefix


def client_options(
    server: str, *, token: str | None, auth: tuple[str, str] | None, api_prefix: str, timeout: float
) -> dict[str, Any]:
    """httpx.Client / httpx.AsyncClient arguments: a token as `Authorization: Bearer`, else Basic `auth`."""
    headers = {"User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return {
        "base_url": base_url(server, api_prefix),
        "headers": headers,
        "auth": None if token else auth,
        "timeout": httpx.Timeout(timeout, connect=min(timeout, 10.0)),
    }


def request_args(call: Call) -> dict[str, Any]:
    """The arguments of every body but a streamed file (which each driver opens its own way)."""
    args: dict[str, Any] = {"params": call.params, "headers": dict(call.headers)}
    if call.json is not None:
        args["json"] = call.json
    if call.content is not None:
        args["content"] = call.content
    if call.fields:
        args["data"] = dict(call.fields)
    return args


def file_parts(call: Call, open_file: Any) -> list[tuple[str, tuple[str, IO[bytes], str]]]:
    """The multipart `file` parts; `open_file(path)` opens each (so that the caller closes them)."""
    return [("file", (path.name, open_file(path), media_type(path))) for path in call.parts]


def upload_headers(call: Call, path: Path) -> dict[str, str]:
    """A streamed file's length (so that the server refuses one over its limit before reading it), and a plain
    type: uploadext takes the type from the URL, postfolder from the name."""
    return {"Content-Length": str(path.stat().st_size), "Content-Type": "application/octet-stream", **call.headers}


def reply(response: httpx.Response, content: bytes) -> Reply:
    """The Reply, or the exception of an error answer."""
    if response.status_code >= 400:
        raise api_error(
            response.status_code,
            content,
            reason=response.reason_phrase,
            method=response.request.method,
            url=str(response.request.url),
        )
    return Reply(response.status_code, content, dict(response.headers))


def unreachable(e: httpx.TransportError, call: Call, http: httpx.Client | httpx.AsyncClient) -> ConnectionFailed:
    return ConnectionFailed(
        f"{call.method} {http.base_url.join(call.path.lstrip('/'))} failed: {e or type(e).__name__}"
    )


@contextmanager
def part_file(target: Path) -> Iterator[IO[bytes]]:
    """A file beside `target` that becomes it when the block ends without an exception, and is removed if not."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part")
    try:
        with part.open("wb") as out:
            yield out
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
