from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from ocrmill.api.access import note_user
from ocrmill.api.auth import Authenticator
from ocrmill.errors import Forbidden, ReadOnlyToken
from ocrmill.service.auth.principal import Principal
from ocrmill.service.auth.tokens import TokenService
from ocrmill.service.console.users import UserAdmin
from ocrmill.service.console.views import ConsoleService
from ocrmill.service.invoices.jobs import InvoiceService
from ocrmill.service.ocrjobs.folders import FolderService
from ocrmill.service.ocrjobs.jobs import JobService
from ocrmill.service.ocrjobs.search import JobSearch
from ocrmill.service.server import ServerInfo
from ocrmill.service.webhooks import WebhookService

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency that gives the service create_app keeps as app.state.<name>. Async, so that resolving it
    costs no trip through the thread pool."""

    async def service(request: Request) -> Any:
        return getattr(request.app.state, name)

    return service


async def principal(request: Request) -> Principal:
    """On the event loop: the cheap checks (cached credentials, the throttle) are answered here, and argon2 runs
    on the Verifier's bounded threads, so neither a flood of guesses nor the thread pool's size decides how fast
    everyone else is served."""
    authenticator: Authenticator = request.app.state.authenticator
    client = request.client.host if request.client else ""
    who = await authenticator.principal(request.headers.get("authorization"), client=client)
    note_user(request.scope, who.name)  # for the access log
    if who.read_only and request.method in WRITES:
        raise ReadOnlyToken()
    return who


async def administrator(who: Annotated[Principal, Depends(principal)]) -> Principal:
    """The user routes' principal: an administrator, checked before the body is (service.console.users checks it
    too), so that others learn nothing from a 400 about the body they sent."""
    if not who.is_admin:
        raise Forbidden("Only administrators can manage users.")
    return who


Jobs = Annotated[JobService, Depends(_state("jobs"))]
Server = Annotated[ServerInfo, Depends(_state("server"))]
Search = Annotated[JobSearch, Depends(_state("search"))]
Folders = Annotated[FolderService, Depends(_state("folders"))]
Invoices = Annotated[InvoiceService, Depends(_state("invoices"))]
Console = Annotated[ConsoleService, Depends(_state("console"))]
Users = Annotated[UserAdmin, Depends(_state("console_users"))]
Tokens = Annotated[TokenService, Depends(_state("tokens"))]
Webhooks = Annotated[WebhookService, Depends(_state("webhooks"))]
CurrentUser = Annotated[Principal, Depends(principal)]
Administrator = Annotated[Principal, Depends(administrator)]
