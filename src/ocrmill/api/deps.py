from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ocrmill.api.auth import Authenticator
from ocrmill.service.console import ConsoleService
from ocrmill.service.console_users import UserAdmin
from ocrmill.service.folders import FolderService
from ocrmill.service.invoices import InvoiceService
from ocrmill.service.jobs import JobService
from ocrmill.service.principal import Principal
from ocrmill.service.server import ServerInfo


# Async, so that resolving them costs no trip through the thread pool.
async def _jobs(request: Request) -> JobService:
    service: JobService = request.app.state.jobs
    return service


async def _folders(request: Request) -> FolderService:
    service: FolderService = request.app.state.folders
    return service


async def _invoices(request: Request) -> InvoiceService:
    service: InvoiceService = request.app.state.invoices
    return service


async def _console(request: Request) -> ConsoleService:
    service: ConsoleService = request.app.state.console
    return service


async def _users(request: Request) -> UserAdmin:
    service: UserAdmin = request.app.state.console_users
    return service


async def _server(request: Request) -> ServerInfo:
    info: ServerInfo = request.app.state.server
    return info


async def _principal(request: Request) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    header = request.headers.get("authorization")
    known = authenticator.verified(header)
    if known is not None:
        return known
    return await run_in_threadpool(authenticator.principal, header)


Jobs = Annotated[JobService, Depends(_jobs)]
Server = Annotated[ServerInfo, Depends(_server)]
Folders = Annotated[FolderService, Depends(_folders)]
Invoices = Annotated[InvoiceService, Depends(_invoices)]
Console = Annotated[ConsoleService, Depends(_console)]
Users = Annotated[UserAdmin, Depends(_users)]
CurrentUser = Annotated[Principal, Depends(_principal)]
