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


def counters(*, session: Session) -> dict[str, int]:
    return {c.name: int(c.value) for c in session.scalars(select(Counter))}
