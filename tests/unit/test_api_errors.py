"""The last line of the API's error handling: an exception no route expected is answered in the API's own error
shape, as a full disk (507) or an unreachable database (503 with Retry-After) when it is one, and otherwise as a
500 that names no exception class (the details go to the log)."""

from __future__ import annotations

import asyncio
import errno
import sqlite3

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa

from ocrmill.api.errors import install


def _get(error: Exception, path: str) -> httpx.Response:
    """GET `path` of an app whose only routes raise `error`."""
    app = FastAPI()
    install(app, resource_prefix="/api/v1")

    @app.get("/api/ocrjobs/boom")
    @app.get("/api/v1/boom")
    def boom() -> None:
        raise error

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.get(path)

    return asyncio.run(get())


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (RuntimeError("secret detail"), 500, "the server's log has the details"),
        (OSError(errno.ENOSPC, "No space left on device"), 507, "disk is full"),
        (sa.OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full")), 507, "disk is full"),
        (sa.OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked")), 503, "database"),
    ],
)
def test_an_unexpected_exception_is_answered_by_what_it_is(error: Exception, status: int, words: str) -> None:
    own = _get(error, "/api/ocrjobs/boom")
    assert own.status_code == status
    assert own.json() == {"Success": False, "StatusCode": status, "Message": own.json()["Message"]}
    assert words in own.json()["Message"]
    resource = _get(error, "/api/v1/boom")
    assert resource.status_code == status and words in resource.json()["error"]["message"]
    for answer in (own, resource):
        assert type(error).__name__ not in answer.text and "secret detail" not in answer.text
        assert ("Retry-After" in answer.headers) == (status == 503)


def test_a_sql_mistake_is_not_passed_off_as_an_unreachable_database() -> None:
    error = sa.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: jobs"))
    assert _get(error, "/api/ocrjobs/boom").status_code == 500
