"""The reads behind /readyz and /metrics: cheap aggregates, each one statement."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ocrmill.store.tables import Counter, InvoiceJob, InvoicePage, Job, Worker

PING = text("SELECT 1")
SCHEDULED = 1  # JobStatus.SCHEDULED; store does not import domain


def ping(*, session: Session) -> None:
    session.execute(PING)


def live_worker_count(*, session: Session, since: datetime) -> int:
    return int(session.scalar(select(func.count(Worker.id)).where(Worker.heartbeat >= since)) or 0)


def invoice_jobs_by_status(*, session: Session) -> dict[str, int]:
    rows = session.execute(select(InvoiceJob.status, func.count(InvoiceJob.id)).group_by(InvoiceJob.status))
    return {str(status): int(n) for status, n in rows}


def invoice_pages_by_status(*, session: Session) -> dict[str, int]:
    rows = session.execute(select(InvoicePage.status, func.count(InvoicePage.id)).group_by(InvoicePage.status))
    return {str(status): int(n) for status, n in rows}


def oldest_scheduled_job(*, session: Session) -> datetime | None:
    """When the job that has waited longest in the queue was scheduled."""
    query = select(func.min(Job.scheduled)).where(Job.status == SCHEDULED, Job.is_template.is_(False))
    return _aware(session.scalar(query))


def oldest_pending_invoice_page(*, session: Session) -> datetime | None:
    return _aware(session.scalar(select(func.min(InvoicePage.created_at)).where(InvoicePage.status == "pending")))


def all_counters(*, session: Session) -> dict[str, int]:
    return {name: int(value) for name, value in session.execute(select(Counter.name, Counter.value))}


def _aware(value: object) -> datetime | None:
    """An aggregate's datetime: min() bypasses UtcDateTime, so SQLite's naive UTC (or its text) comes back raw."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
