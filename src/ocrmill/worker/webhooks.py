"""Sends the webhook outbox (service.webhooks): the only module that posts to receivers (httpx).

A sender thread of the supervisor claims one due delivery at a time (SKIP LOCKED on PostgreSQL, so senders on
several machines never take the same one), holding it for a lease longer than one attempt can last; it checks the
target again as pageUrl fetching does (the host is resolved once, refused if private, loopback or link-local unless
fetch_allow names it, and the request goes to the checked address: no second lookup), posts the signed body without
following redirects, and stores the attempt: delivered on a 2xx, else tried again with exponential back-off until
webhook_retry_hours have passed. A sender that dies mid-attempt leaves the delivery to be claimed again once its lease
ends: a delivery is sent twice only then, never on purpose.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from ocrmill.config import Settings
from ocrmill.errors import FetchError
from ocrmill.logs import one_line
from ocrmill.pipeline.fetch import USER_AGENT, checked_target
from ocrmill.service.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, callback_secret, signature
from ocrmill.store import webhooks as repo
from ocrmill.store.db import Database, utcnow

log = logging.getLogger("ocrmill.webhooks")
_SNIPPET = 300  # characters of a failed answer's body kept with the attempt


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str  # "" when delivered
    retry: bool  # worth another attempt


class DeliverySender:
    def __init__(self, settings: Settings, db: Database, *, sender_id: str) -> None:
        self.settings = settings
        self.db = db
        self.sender_id = sender_id
        self.stop_event = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"webhooks-{sender_id}", daemon=True)
        # no proxies from the environment: the request must go to the address that was checked
        self._client = httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self.stop_event.set()
        self._thread.join(timeout)
        self._client.close()

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                busy = self.send_one()
            except Exception:  # the database away, a bug: logged, and tried again on the next round
                log.exception("webhook sender %s", self.sender_id)
                busy = False
            if not busy:
                self.stop_event.wait(self.settings.webhook_poll_seconds)

    def send_one(self) -> bool:
        """Claims and sends one due delivery; False when none is due."""
        now = utcnow()
        lease = now + timedelta(seconds=2 * self.settings.webhook_timeout_seconds + 30)
        with self.db.read() as session:
            if not repo.any_due(session=session, now=now):
                return False
        with self.db.write() as session:
            claimed = repo.claim_deliveries(session=session, sender=self.sender_id, now=now, lease=lease, limit=1)
        if not claimed:
            return False
        with self.db.read() as session:
            delivery = repo.get_delivery(session=session, delivery_id=claimed[0])
            if delivery is None:  # its webhook was removed meanwhile
                return True
            if delivery.webhook_id is None:  # a job's own CallbackUrl
                secret = callback_secret(session=session, owner=delivery.owner)
            else:
                hook = repo.get_webhook(session=session, webhook_id=delivery.webhook_id)
                if hook is None:  # removed meanwhile (its deliveries with it)
                    return True
                secret = hook.secret
            url, body, delivery_id, since = delivery.url, delivery.body.encode(), delivery.id, delivery.since
        started = time.monotonic()
        outcome = self.post(url, body, delivery_id=delivery_id, secret=secret)
        milliseconds = round((time.monotonic() - started) * 1000)
        self._record(delivery_id, outcome, milliseconds=milliseconds, since=since)
        return True

    def post(self, url: str, body: bytes, *, delivery_id: str, secret: str) -> Outcome:
        try:
            target = checked_target(
                url, allow=tuple(self.settings.fetch_allow), timeout_seconds=self.settings.webhook_timeout_seconds
            )
        except FetchError as e:
            return Outcome(None, e.message, retry=e.transient)
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            DELIVERY_HEADER: delivery_id,
            SIGNATURE_HEADER: signature(secret, int(time.time()), body),
        }
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        error = ""
        for address in target.addresses:  # the host's next address when one cannot be connected to
            try:
                with self._client.stream(
                    "POST", target.pinned_url(address), content=body, headers=headers, extensions=extensions
                ) as answer:
                    return self._judged(answer)
            except httpx.ConnectError as e:
                error = f"could not connect to {target.host}: {one_line(str(e)) or 'connection refused'}"
            except httpx.TimeoutException:
                return Outcome(None, f"no answer within {self.settings.webhook_timeout_seconds:g} s", retry=True)
            except httpx.HTTPError as e:
                return Outcome(None, f"{type(e).__name__}: {one_line(str(e))}", retry=True)
        return Outcome(None, error, retry=True)

    def _judged(self, answer: httpx.Response) -> Outcome:
        status = answer.status_code
        if 200 <= status < 300:
            return Outcome(status, "", retry=False)
        if 300 <= status < 400:
            location = answer.headers.get("location", "")
            return Outcome(status, f"HTTP {status}: redirects are not followed ({location})", retry=True)
        text = ""
        for chunk in answer.iter_text():
            text += chunk
            if len(text) >= _SNIPPET:
                break
        snippet = one_line(text)[:_SNIPPET]
        return Outcome(status, f"HTTP {status}{': ' + snippet if snippet else ''}", retry=True)

    def _record(self, delivery_id: str, outcome: Outcome, *, milliseconds: int, since: datetime) -> None:
        now = utcnow()
        retry_at: datetime | None = None
        with self.db.write() as session:
            delivery = repo.get_delivery(session=session, delivery_id=delivery_id)
            if delivery is None:
                return
            if outcome.error and outcome.retry:
                delay = min(
                    self.settings.webhook_retry_seconds * 2**delivery.attempts, self.settings.webhook_retry_max_seconds
                )
                retry_at = now + timedelta(seconds=delay)
                if retry_at > since + timedelta(hours=self.settings.webhook_retry_hours):
                    retry_at = None
            repo.record_attempt(
                session=session,
                delivery=delivery,
                sender=self.sender_id,
                at=now,
                status_code=outcome.status_code,
                error=outcome.error,
                milliseconds=milliseconds,
                delivered=not outcome.error,
                retry_at=retry_at,
            )
        if outcome.error:
            then = f"again at {retry_at.isoformat()}" if retry_at else "given up"
            log.warning(
                "webhook delivery %s to %s failed: %s; %s", delivery_id, _site(delivery.url), outcome.error, then
            )
        else:
            log.info("webhook delivery %s to %s: HTTP %s", delivery_id, _site(delivery.url), outcome.status_code)


def _site(url: str) -> str:
    """The URL without its path and query (which may carry a token)."""
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.netloc.decode()}"
