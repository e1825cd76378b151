"""The polling fast path: GET status/<id> and info/<id> answered before FastAPI's router.

Clients poll these two far more than they call anything else, and FastAPI's layers (middleware,
routing, dependency solving) cost several times what the answer does. Here a request for a job the
caller may see is answered from the job-row cache (see store.cache) with the same bytes FastAPI
would send; anything else (a missing or foreign job, credentials not verified yet, a bad id, an
unexpected error) goes on to the FastAPI app, which gives the documented answer.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from ocrmill.api.access import note_user
from ocrmill.api.auth import Authenticator
from ocrmill.api.metrics import ROUTE_KEY
from ocrmill.api.routes.ocrjobs import is_id
from ocrmill.api.schemas import job_public
from ocrmill.api.streaming import render
from ocrmill.errors import OcrmillError
from ocrmill.service.ocrjobs.jobs import JobService

log = logging.getLogger(__name__)

_HEADERS = [(b"content-type", b"application/json")]


class FastPolling:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.jobs: JobService = app.state.jobs
        self.authenticator: Authenticator = app.state.authenticator
        prefix = f"{app.state.settings.api_prefix}/ocrjobs/"
        self.routes = {f"{prefix}status/": self._status, f"{prefix}info/": self._info}
        self._bodies: dict[int, tuple[object, bytes]] = {}  # job id -> (row it was rendered from, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self._answer(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if body is None:
            await self.app(scope, receive, send)
            return
        scope[ROUTE_KEY] = scope["path"].rpartition("/")[0] + "/{job_id}"  # for the request metrics
        headers = [(b"content-length", str(len(body)).encode()), *_HEADERS]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _answer(self, scope: Scope) -> bytes | None:
        path: str = scope["path"]
        head, _, tail = path.rpartition("/")
        route = self.routes.get(head + "/")
        if route is None or not is_id(tail):
            return None
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
        try:
            client = scope.get("client")
            who = self.authenticator.verified(authorization, client=client[0] if client else "")
            if who is None:
                return None
            body = route(self.jobs.get(who, int(tail)))
            note_user(scope, who.name)  # for the access log
            return body
        except OcrmillError:
            return None  # FastAPI answers it, with the API's error body
        except Exception:
            log.exception("polling fast path failed; handing the request to the app")
            return None

    @staticmethod
    def _status(row: Any) -> bytes:
        return str(int(row.status)).encode()

    def _info(self, row: Any) -> bytes:
        cached = self._bodies.get(row.id)
        if cached is not None and cached[0] is row:
            return cached[1]
        body = render(job_public(row))
        if len(self._bodies) >= 10_000:
            self._bodies.clear()
        self._bodies[row.id] = (row, body)
        return body
