"""ocrmill.client.errors.api_error: the exception of an error answer from either API's body, or from a body that
is neither (a proxy's HTML page, an empty answer)."""

from __future__ import annotations

import json

from ocrmill.client.errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    ServerError,
    UnprocessableError,
    api_error,
)


def test_the_ownocr_body() -> None:
    body = {"Success": False, "StatusCode": 404, "Message": "There is no job with id '7'."}
    error = api_error(404, json.dumps(body).encode(), method="GET", url="http://h/api/ocrjobs/info/7")
    assert isinstance(error, NotFoundError)
    assert (error.status, error.message, error.code) == (404, body["Message"], "")
    assert (error.method, error.url) == ("GET", "http://h/api/ocrjobs/info/7")
    assert str(error) == f"404: {body['Message']}"


def test_the_invoice_body() -> None:
    body = {"success": False, "error": {"code": "validation_error", "message": "metadata: must be an object"}}
    error = api_error(422, json.dumps(body).encode())
    assert isinstance(error, UnprocessableError)
    assert (error.status, error.code, error.message) == (422, "validation_error", "metadata: must be an object")


def test_bodies_of_neither_api() -> None:
    proxy = api_error(502, b"<html><body>Bad Gateway</body></html>\n", reason="Bad Gateway")
    assert isinstance(proxy, ServerError) and proxy.message == "<html><body>Bad Gateway</body></html>"
    empty = api_error(401, b"", reason="Unauthorized")
    assert isinstance(empty, AuthenticationError) and empty.message == "Unauthorized"
    odd = api_error(418, b"")
    assert type(odd) is ApiError and odd.message == "HTTP 418"
    assert len(api_error(500, b"x" * 10_000).message) == 500
