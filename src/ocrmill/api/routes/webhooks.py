"""Webhooks (an ocrmill addition, under <api_prefix>/webhooks): a user's endpoints, the deliveries made for them with
every attempt, "send again", and the secret the user's per-job callbacks (the CallbackUrl job property) are signed
with. Thin: parse, call service.webhooks, answer. Errors in the ownOCR API's shape."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StrictBool, StrictStr

from ocrmill.api.deps import CurrentUser, Webhooks
from ocrmill.api.openapi import raises
from ocrmill.errors import BadRequest, Forbidden, NotFound
from ocrmill.service.webhooks import EVENTS, MAX_DESCRIPTION, MAX_URL, SECRET_PATTERN, URL_PATTERN

router = APIRouter()

Event = Literal["job.converted", "job.error", "invoice_job.completed", "invoice_job.failed", "folder.file_done"]
State = Literal["pending", "delivered", "failed"]
assert set(Event.__args__) == set(EVENTS)  # type: ignore[attr-defined]
MAX_ID = 2**63 - 1


class NewWebhookIn(BaseModel):
    url: Annotated[StrictStr, Field(min_length=1, max_length=MAX_URL, pattern=URL_PATTERN)]
    events: Annotated[list[Event] | None, Field(min_length=1, description="default: every event")] = None
    secret: Annotated[
        StrictStr | None, Field(pattern=SECRET_PATTERN, description="default: one is made (and answered once)")
    ] = None
    allUsers: Annotated[StrictBool, Field(description="every user's jobs (administrators only)")] = False
    description: Annotated[StrictStr, Field(max_length=MAX_DESCRIPTION)] = ""


def _webhook_id(value: int) -> int:
    if value > MAX_ID:  # past the databases' 64-bit integers
        raise NotFound(f"There is no webhook with id {value}.")
    return value


# a webhook's id is digits ({webhook_id:int}), so "deliveries" and "callback-secret" are no webhook's path


@router.get("/deliveries", responses=raises(NotFound))
def deliveries(
    webhooks: Webhooks,
    who: CurrentUser,
    webhook: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    job: Annotated[str | None, Query(max_length=64)] = None,
    state: State | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> dict[str, Any]:
    """Deliveries newest first, each with its attempts (time, status code, error); `total` counts them all."""
    return webhooks.deliveries(who, webhook_id=webhook, job_id=job, state=state, limit=limit, offset=offset)


@router.get("/deliveries/{delivery_id}")
def delivery(delivery_id: str, webhooks: Webhooks, who: CurrentUser) -> dict[str, Any]:
    """One delivery with its attempts and the body it sends."""
    return webhooks.delivery(who, delivery_id)


@router.post("/deliveries/{delivery_id}/resend")
def resend(delivery_id: str, webhooks: Webhooks, who: CurrentUser) -> dict[str, Any]:
    """Send again: the same delivery (id and body) is due at once, with a new day of retries."""
    return webhooks.send_again(who, delivery_id)


@router.get("/callback-secret")
def callback_secret(webhooks: Webhooks, who: CurrentUser) -> dict[str, Any]:
    """The secret that signs the deliveries to the CallbackUrl of the signed-in user's jobs."""
    return webhooks.callback_secret(who)


@router.get("")
def list_webhooks(webhooks: Webhooks, who: CurrentUser) -> list[dict[str, Any]]:
    """The signed-in user's endpoints (an administrator's: everyone's). Secrets are not shown."""
    return webhooks.list(who)


@router.post("", status_code=201, responses=raises(Forbidden, BadRequest))
def add_webhook(body: NewWebhookIn, webhooks: Webhooks, who: CurrentUser) -> dict[str, Any]:
    """Registers an endpoint. The URL's host must resolve to public addresses (or ones fetch_allow names): private,
    loopback and link-local targets are refused (400). The answer holds the secret, the only time it is shown."""
    return webhooks.create(
        who,
        url=body.url,
        events=list(body.events) if body.events else None,
        secret=body.secret,
        all_users=body.allUsers,
        description=body.description,
    )


@router.get("/{webhook_id:int}")
def get_webhook(webhook_id: int, webhooks: Webhooks, who: CurrentUser) -> dict[str, Any]:
    return webhooks.get(who, _webhook_id(webhook_id))


@router.delete("/{webhook_id:int}")
def remove_webhook(webhook_id: int, webhooks: Webhooks, who: CurrentUser) -> dict[str, Any]:
    """Removes the endpoint and its deliveries."""
    return webhooks.remove(who, _webhook_id(webhook_id))
