from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ocrmill.api.auth import Authenticator
from ocrmill.service.jobs import JobService
from ocrmill.service.principal import Principal
from ocrmill.service.server import ServerInfo


def _jobs(request: Request) -> JobService:
    service: JobService = request.app.state.jobs
    return service


def _server(request: Request) -> ServerInfo:
    info: ServerInfo = request.app.state.server
    return info


def _principal(request: Request) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.principal(request.headers.get("authorization"))


Jobs = Annotated[JobService, Depends(_jobs)]
Server = Annotated[ServerInfo, Depends(_server)]
CurrentUser = Annotated[Principal, Depends(_principal)]
