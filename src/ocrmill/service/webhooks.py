"""Webhooks: endpoints users register, and the outbox that the workers' side sends from (worker.webhooks).

A delivery is written in the transaction of the status change that makes it (the functions below take that
transaction's session), with its exact body, so a crash or restart loses none; a sender claims it, posts it signed,
and stores each attempt. The body: `{"event", "deliveryId", "jobId", "created", "job": <the status document>}`.
The signature: `Ocrmill-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>` (the scheme
of Stripe and GitHub), with `Ocrmill-Delivery: <deliveryId>`.

Who gets what: an endpoint gets the events it names of its owner's jobs, or of everyone's (all_users, which only an
administrator may register). A job's own CallbackUrl gets that job's job.converted or job.error, signed with its
owner's callback secret (derived from a server key, so nothing per user is stored: GET .../webhooks/callback-secret);
so does an invoice job's callbackUrl with its invoice_job.completed or invoice_job.failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import uuid
from typing import Any

from sqlalchemy.orm import Session

from ocrmill.config import Settings
from ocrmill.domain.options import JobOptions
from ocrmill.domain.status import JobStatus
from ocrmill.errors import BadRequest, FetchError, Forbidden, InvalidProperty, NotFound
from ocrmill.pipeline.fetch import checked_target
from ocrmill.service.auth.principal import Principal
from ocrmill.service.ocrjobs.document import job_public
from ocrmill.store import jobs as job_repo
from ocrmill.store import webhooks as repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.tables import Job, Webhook, WebhookAttempt, WebhookDelivery

JOB_CONVERTED, JOB_ERROR = "job.converted", "job.error"
INVOICE_COMPLETED, INVOICE_FAILED = "invoice_job.completed", "invoice_job.failed"
FOLDER_FILE_DONE = "folder.file_done"
EVENTS = (JOB_CONVERTED, JOB_ERROR, INVOICE_COMPLETED, INVOICE_FAILED, FOLDER_FILE_DONE)
STATES = (repo.PENDING, repo.DELIVERED, repo.FAILED)
SECRET_PREFIX = "whsec_"
MAX_URL = 2000
URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^/\s?#@]+([/?#]\S*)?$"
# printable ASCII without blanks: it is typed into the receiver's configuration
SECRET_PATTERN = r"^[!-~]{16,200}$"
MAX_DESCRIPTION = 1000
SIGNATURE_HEADER, DELIVERY_HEADER = "Ocrmill-Signature", "Ocrmill-Delivery"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Ocrmill-Signature header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def callback_secret(*, session: Session, owner: str) -> str:
    """The secret a user's per-job callbacks are signed with: HMAC of the user's name under the server's key."""
    key = repo.server_key(session=session, name="callback")
    return SECRET_PREFIX + hmac.new(key.encode(), f"callback:{owner}".encode(), hashlib.sha256).hexdigest()


def guard(url: str, settings: Settings, *, name: str = "url") -> None:
    """The address check of pageUrl fetching, at registration: a private, loopback or link-local target (unless
    fetch_allow names it), or a host that does not resolve, is refused with 400."""
    try:
        checked_target(url, allow=tuple(settings.fetch_allow), timeout_seconds=settings.webhook_timeout_seconds)
    except FetchError as e:
        raise InvalidProperty(name, e.message) from None


# -- the outbox: written in the caller's transaction ---------------------------------------------------------


def enqueue(
    *,
    session: Session,
    event: str,
    user_name: str,
    job_id: int | str | None,
    document: dict[str, Any] | None,
    callback_url: str = "",
    extra: dict[str, Any] | None = None,
) -> list[str]:
    """A delivery of `event` for every endpoint that wants it (and the job's callback URL); their ids."""
    now = utcnow()
    targets: list[tuple[int | None, str, str]] = [
        (hook.id, hook.owner, hook.url) for hook in repo.subscribers(session=session, user_name=user_name, event=event)
    ]
    if callback_url:
        targets.append((None, user_name, callback_url))
    made = []
    for webhook_id, owner, url in targets:
        delivery_id = str(uuid.uuid4())
        body: dict[str, Any] = {
            "event": event,
            "deliveryId": delivery_id,
            "jobId": job_id,
            "created": now.isoformat(),
            **(extra or {}),
            "job": document,
        }
        repo.add_delivery(
            session=session,
            delivery=WebhookDelivery(
                id=delivery_id,
                webhook_id=webhook_id,
                owner=owner,
                url=url,
                event=event,
                subject="" if job_id is None else str(job_id),
                body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                state=repo.PENDING,
                attempts=0,
                next_attempt=now,
                since=now,
                sender="",
                created=now,
            ),
        )
        made.append(delivery_id)
    return made


def job_ended(*, session: Session, job_id: int) -> list[str]:
    """job.converted or job.error of a job that has just ended, in that transaction."""
    job = job_repo.get_job(session=session, job_id=job_id)
    if job is None or job.status not in (JobStatus.CONVERTED, JobStatus.ERROR):
        return []
    session.refresh(job)  # the status change may have been an UPDATE statement, past the ORM's copy
    event = JOB_CONVERTED if job.status == JobStatus.CONVERTED else JOB_ERROR
    callback = JobOptions.from_dict(job.options).CallbackUrl
    document = job_public(job)
    return enqueue(
        session=session, event=event, user_name=job.user_name, job_id=job.id, document=document, callback_url=callback
    )


def invoice_job_ended(
    *, session: Session, job_id: str, user_name: str, status: str, document: dict[str, Any], callback_url: str = ""
) -> None:
    """invoice_job.completed or invoice_job.failed, to the endpoints and the job's own callbackUrl."""
    event = INVOICE_COMPLETED if status == "completed" else INVOICE_FAILED
    enqueue(
        session=session, event=event, user_name=user_name, job_id=job_id, document=document, callback_url=callback_url
    )


def folder_file_done(
    *, session: Session, folder_id: str, description: str, file_name: str, job_id: int | None, error: str
) -> None:
    """A file of an OCR folder is done with: its results delivered, or it went to error/ (with or without a job)."""
    job: Job | None = job_repo.get_job(session=session, job_id=job_id) if job_id is not None else None
    folder = {"id": folder_id, "description": description, "fileName": file_name, "success": not error, "error": error}
    enqueue(
        session=session,
        event=FOLDER_FILE_DONE,
        user_name=job.user_name if job is not None else "",
        job_id=job_id,
        document=job_public(job) if job is not None else None,
        extra={"folder": folder},
    )


# -- the API ----------------------------------------------------------------------------------------------------


def public_webhook(hook: Webhook) -> dict[str, Any]:
    return {
        "id": hook.id,
        "url": hook.url,
        "events": list(hook.events),
        "allUsers": hook.all_users,
        "description": hook.description,
        "owner": hook.owner,
        "created": hook.created.isoformat(),
    }


def public_attempt(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "at": attempt.at.isoformat(),
        "statusCode": attempt.status_code,
        "error": attempt.error,
        "milliseconds": attempt.milliseconds,
    }


def public_delivery(
    delivery: WebhookDelivery, attempts: list[WebhookAttempt], *, with_body: bool = False
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": delivery.id,
        "webhookId": delivery.webhook_id,
        "event": delivery.event,
        "jobId": delivery.subject,
        "url": delivery.url,
        "owner": delivery.owner,
        "state": delivery.state,
        "attempts": [public_attempt(a) for a in attempts],
        "nextAttempt": delivery.next_attempt.isoformat() if delivery.state == repo.PENDING else None,
        "created": delivery.created.isoformat(),
        "finished": delivery.finished.isoformat() if delivery.finished else None,
    }
    if with_body:
        answer["body"] = json.loads(delivery.body)
    return answer


def valid_events(events: list[str] | None) -> list[str]:
    if not events:
        return list(EVENTS)
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidProperty("events", f"{unknown[0]!r} is not an event; possible: {', '.join(EVENTS)}")
    return [e for e in EVENTS if e in events]


class WebhookService:
    def __init__(self, *, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def create(
        self,
        who: Principal,
        *,
        url: str,
        events: list[str] | None = None,
        secret: str | None = None,
        all_users: bool = False,
        description: str = "",
        owner: str | None = None,
    ) -> dict[str, Any]:
        """The new endpoint, its secret included (shown here only: the receiver keeps it). `owner`: an administrator
        registering for another user (the CLI)."""
        if all_users and not who.is_admin:
            raise Forbidden("Only administrators can register a webhook for every user's jobs.")
        if owner is not None and owner != who.name and not who.is_admin:
            raise Forbidden("Only administrators can register a webhook for another user.")
        url = url.strip()
        if len(url) > MAX_URL or not re.match(URL_PATTERN, url):
            raise InvalidProperty("url", "must be an http:// or https:// URL with a host name")
        if secret is not None and not re.match(SECRET_PATTERN, secret):
            raise InvalidProperty("secret", "must be 16 to 200 printable ASCII characters without blanks")
        if len(description) > MAX_DESCRIPTION:
            raise InvalidProperty("description", f"must be at most {MAX_DESCRIPTION} characters long")
        chosen = valid_events(events)
        guard(url, self.settings)
        secret = secret or new_secret()
        with self.db.write() as session:
            hook = repo.add_webhook(
                session=session,
                owner=who.name if owner is None else owner,
                url=url,
                secret=secret,
                events=chosen,
                all_users=all_users,
                description=description,
                now=utcnow(),
            )
            return public_webhook(hook) | {"secret": secret}

    def list(self, who: Principal) -> list[dict[str, Any]]:
        with self.db.read() as session:
            return [public_webhook(h) for h in repo.list_webhooks(session=session, owner=who.owner_filter)]

    def get(self, who: Principal, webhook_id: int) -> dict[str, Any]:
        with self.db.read() as session:
            return public_webhook(self._visible(session, who, webhook_id))

    def remove(self, who: Principal, webhook_id: int) -> dict[str, Any]:
        with self.db.write() as session:
            hook = self._visible(session, who, webhook_id)
            repo.remove_webhook(session=session, webhook=hook)
        return {"id": webhook_id, "removed": True}

    def deliveries(
        self,
        who: Principal,
        *,
        webhook_id: int | None = None,
        job_id: str | None = None,
        state: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> dict[str, Any]:
        if state is not None and state not in STATES:
            raise BadRequest(f"state: must be one of {', '.join(STATES)}")
        with self.db.read() as session:
            if webhook_id is not None:
                self._visible(session, who, webhook_id)
            page, total = repo.list_deliveries(
                session=session,
                owner=who.owner_filter,
                webhook_id=webhook_id,
                subject=job_id,
                state=state,
                limit=limit,
                offset=offset,
            )
            attempts = repo.attempts_of(session=session, delivery_ids=[d.id for d in page])
            return {"deliveries": [public_delivery(d, attempts[d.id]) for d in page], "total": total}

    def delivery(self, who: Principal, delivery_id: str) -> dict[str, Any]:
        with self.db.read() as session:
            delivery = self._delivery(session, who, delivery_id)
            attempts = repo.attempts_of(session=session, delivery_ids=[delivery.id])[delivery.id]
            return public_delivery(delivery, attempts, with_body=True)

    def send_again(self, who: Principal, delivery_id: str) -> dict[str, Any]:
        """Pending again, due now, with a new day of retries; the same delivery id and body."""
        with self.db.write() as session:
            delivery = self._delivery(session, who, delivery_id)
            repo.send_again(session=session, delivery=delivery, now=utcnow())
            attempts = repo.attempts_of(session=session, delivery_ids=[delivery.id])[delivery.id]
            return public_delivery(delivery, attempts, with_body=True)

    def callback_secret(self, who: Principal) -> dict[str, Any]:
        with self.db.read() as session:
            return {"owner": who.name, "secret": callback_secret(session=session, owner=who.name)}

    def _visible(self, session: Session, who: Principal, webhook_id: int) -> Webhook:
        hook = repo.get_webhook(session=session, webhook_id=webhook_id)
        if hook is None or (who.owner_filter is not None and hook.owner != who.owner_filter):
            raise NotFound(f"There is no webhook with id {webhook_id}.")
        return hook

    def _delivery(self, session: Session, who: Principal, delivery_id: str) -> WebhookDelivery:
        delivery = repo.get_delivery(session=session, delivery_id=delivery_id[:36])
        if delivery is None or (who.owner_filter is not None and delivery.owner != who.owner_filter):
            raise NotFound(f"There is no webhook delivery with id {delivery_id!r}.")
        return delivery
