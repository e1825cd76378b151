"""Worker registry (for heartbeats and server load) and the server's counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ocrmill.store.tables import Counter, Worker


def register_worker(*, session: Session, worker_id: str, host: str, pid: int, now: datetime) -> None:
    session.merge(Worker(id=worker_id, host=host, pid=pid, started=now, heartbeat=now, job_id=0))


def heartbeat_worker(*, session: Session, worker_id: str, job_id: int, now: datetime) -> None:
    session.execute(update(Worker).where(Worker.id == worker_id).values(heartbeat=now, job_id=job_id))


def remove_workers(*, session: Session, worker_ids: list[str]) -> None:
    if worker_ids:
        session.execute(delete(Worker).where(Worker.id.in_(worker_ids)))


def stale_workers(*, session: Session, before: datetime) -> list[str]:
    return list(session.scalars(select(Worker.id).where(Worker.heartbeat < before)))


def live_workers(*, session: Session, since: datetime) -> list[Worker]:
    return list(session.scalars(select(Worker).where(Worker.heartbeat >= since)))


COUNTERS = ("ProcessedFiles", "SuccessFiles", "ErrorFiles")  # rows made by the first migration


def increment(*, session: Session, names: list[str]) -> None:
    session.execute(update(Counter).where(Counter.name.in_(names)).values(value=Counter.value + 1))


# Converted pages and the seconds they took (a job's processing time shared out over its pages), as the cumulative
# buckets of a histogram: kept in the database, so /metrics counts the pages of every worker on every machine and the
# counts survive restarts. Rows made by migration 0006.
PAGE_SECONDS_BUCKETS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
PAGES_CONVERTED = "PagesConverted"
PAGE_MILLISECONDS = "PageMilliseconds"
PAGE_COUNTERS = (PAGES_CONVERTED, PAGE_MILLISECONDS, *(f"PageSecondsLe{b:g}" for b in PAGE_SECONDS_BUCKETS))


def count_pages(*, session: Session, pages: int, seconds: float) -> None:
    """`pages` converted in `seconds` of processing: each page observed at seconds / pages."""
    if pages <= 0:
        return
    each = seconds / pages
    amounts = {PAGES_CONVERTED: pages, PAGE_MILLISECONDS: round(seconds * 1000)}
    amounts |= {f"PageSecondsLe{b:g}": pages for b in PAGE_SECONDS_BUCKETS if each <= b}
    for name, amount in amounts.items():
        session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + amount))


def counters(*, session: Session) -> dict[str, int]:
    return {c.name: int(c.value) for c in session.scalars(select(Counter))}
