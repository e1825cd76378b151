"""Webhook endpoints, the outbox of deliveries and their attempts. Functions take the session by keyword."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Integer, String, bindparam, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from ocrmill.store.tables import ServerKey, UtcDateTime, Webhook, WebhookAttempt, WebhookDelivery

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

_CLAIM = """
    UPDATE webhook_deliveries
       SET sender = :sender, next_attempt = :lease
     WHERE id IN (SELECT id FROM webhook_deliveries
                   WHERE state = 'pending' AND next_attempt <= :now
                   ORDER BY next_attempt
                   LIMIT :n
                   {lock})
    RETURNING id
"""


def _claim(lock: str) -> object:
    return text(_CLAIM.format(lock=lock)).bindparams(
        bindparam("sender", type_=String()),
        bindparam("lease", type_=UtcDateTime()),
        bindparam("now", type_=UtcDateTime()),
        bindparam("n", type_=Integer()),
    )


# PostgreSQL: senders on several machines skip each other's locked rows, so none takes a delivery another holds.
CLAIM_POSTGRES = _claim("FOR UPDATE SKIP LOCKED")
# SQLite: the writer holds the database's write lock (BEGIN IMMEDIATE).
CLAIM_SQLITE = _claim("")


# -- endpoints ------------------------------------------------------------------------------------------------


def add_webhook(
    *,
    session: Session,
    owner: str,
    url: str,
    secret: str,
    events: list[str],
    all_users: bool,
    description: str,
    now: datetime,
) -> Webhook:
    hook = Webhook(
        owner=owner, url=url, secret=secret, events=events, all_users=all_users, description=description, created=now
    )
    session.add(hook)
    session.flush()
    return hook


def get_webhook(*, session: Session, webhook_id: int) -> Webhook | None:
    return session.get(Webhook, webhook_id)


def list_webhooks(*, session: Session, owner: str | None) -> list[Webhook]:
    """Every endpoint (owner None) or one user's."""
    query = select(Webhook).order_by(Webhook.id)
    if owner is not None:
        query = query.where(Webhook.owner == owner)
    return list(session.scalars(query))


def remove_webhook(*, session: Session, webhook: Webhook) -> None:
    # the deliveries go with it (also where SQLite's foreign keys are not enforced)
    ids = select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == webhook.id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id))
    session.delete(webhook)


def subscribers(*, session: Session, user_name: str, event: str) -> list[Webhook]:
    """The endpoints that want `event` of a job of `user_name`: that user's own and every all-users one."""
    query = select(Webhook).where(or_(Webhook.owner == user_name, Webhook.all_users.is_(True))).order_by(Webhook.id)
    return [hook for hook in session.scalars(query) if event in hook.events]


def server_key(*, session: Session, name: str) -> str:
    key = session.get(ServerKey, name)
    if key is None:
        raise LookupError(f"server key {name!r} is missing (run ocrmill migrate)")
    return key.value


# -- the outbox -----------------------------------------------------------------------------------------------


def add_delivery(*, session: Session, delivery: WebhookDelivery) -> None:
    session.add(delivery)


def get_delivery(*, session: Session, delivery_id: str) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, delivery_id)


def list_deliveries(
    *,
    session: Session,
    owner: str | None,
    webhook_id: int | None,
    subject: str | None,
    state: str | None,
    limit: int,
    offset: int,
) -> tuple[list[WebhookDelivery], int]:
    """A page of deliveries, newest first, and how many there are in all."""
    query = select(WebhookDelivery)
    counted = select(func.count(WebhookDelivery.id))
    conditions = []
    if owner is not None:
        conditions.append(WebhookDelivery.owner == owner)
    if webhook_id is not None:
        conditions.append(WebhookDelivery.webhook_id == webhook_id)
    if subject is not None:
        conditions.append(WebhookDelivery.subject == subject)
    if state is not None:
        conditions.append(WebhookDelivery.state == state)
    if conditions:
        query, counted = query.where(*conditions), counted.where(*conditions)
    page = session.scalars(
        query.order_by(WebhookDelivery.created.desc(), WebhookDelivery.id).limit(limit).offset(offset)
    )
    return list(page), int(session.scalar(counted) or 0)


def attempts_of(*, session: Session, delivery_ids: Sequence[str]) -> dict[str, list[WebhookAttempt]]:
    found: dict[str, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
    if not delivery_ids:
        return found
    query = select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(list(delivery_ids)))
    for attempt in session.scalars(query.order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)):
        found[attempt.delivery_id].append(attempt)
    return found


def any_due(*, session: Session, now: datetime) -> bool:
    """Whether a pending delivery is due: read along the queue's index, so that an idle sender asks in a read
    transaction and takes no write lock (SQLite's is the whole database's) until there is something to claim."""
    due = select(WebhookDelivery.id).where(WebhookDelivery.state == PENDING, WebhookDelivery.next_attempt <= now)
    return session.execute(due.limit(1)).first() is not None


def claim_deliveries(*, session: Session, sender: str, now: datetime, lease: datetime, limit: int) -> list[str]:
    """Due pending deliveries, taken by `sender` until `lease` (a sender that dies meanwhile leaves them to be taken
    again then)."""
    statement = CLAIM_POSTGRES if session.get_bind().dialect.name == "postgresql" else CLAIM_SQLITE
    rows = session.execute(statement, {"sender": sender, "lease": lease, "now": now, "n": limit})  # type: ignore[call-overload]
    return [str(row[0]) for row in rows]


def record_attempt(
    *,
    session: Session,
    delivery: WebhookDelivery,
    sender: str,
    at: datetime,
    status_code: int | None,
    error: str,
    milliseconds: int,
    delivered: bool,
    retry_at: datetime | None,
) -> None:
    """One attempt's outcome; the delivery's state moves only while `sender` still holds it."""
    delivery.attempts += 1
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            number=delivery.attempts,
            at=at,
            status_code=status_code,
            error=error,
            milliseconds=milliseconds,
        )
    )
    if delivery.sender != sender or delivery.state != PENDING:
        return
    delivery.sender = ""
    if delivered:
        delivery.state, delivery.finished = DELIVERED, at
    elif retry_at is None:
        delivery.state, delivery.finished = FAILED, at
    else:
        delivery.next_attempt = retry_at


def send_again(*, session: Session, delivery: WebhookDelivery, now: datetime) -> None:
    """Pending once more, due now, with a new day of retries."""
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .values(state=PENDING, next_attempt=now, since=now, sender="", finished=None)
    )
    session.refresh(delivery)


def delete_finished(*, session: Session, before: datetime) -> int:
    """Deliveries delivered or given up before `before`, with their attempts; how many."""
    old = select(WebhookDelivery.id).where(
        WebhookDelivery.state.in_([DELIVERED, FAILED]), WebhookDelivery.finished < before
    )
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old)))
    result = session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(old.scalar_subquery())))
    return int(result.rowcount)  # type: ignore[attr-defined]
