"""OCR folder jobs and counters in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ocrmill.domain.options import JobOptions
from ocrmill.domain.status import JobStatus
from ocrmill.store import jobs as job_repo
from ocrmill.store.tables import Counter, Job

COUNTERS = ("ProcessedFiles", "SuccessFiles", "ErrorFiles")


def counter_name(folder_id: str, name: str) -> str:
    return f"folder:{folder_id}:{name}"


def ensure_counters(*, session: Session, folder_ids: list[str]) -> None:
    """Counter rows for every folder (made once; they outlive the folder's jobs)."""
    wanted = {counter_name(f, n) for f in folder_ids for n in COUNTERS}
    present = set(session.scalars(select(Counter.name).where(Counter.name.in_(wanted))))
    for name in sorted(wanted - present):
        try:
            with session.begin_nested():
                session.execute(insert(Counter).values(name=name, value=0))
        except IntegrityError:  # another server made it meanwhile
            pass


def folder_counters(*, session: Session, folder_id: str) -> dict[str, int]:
    names = {counter_name(folder_id, n): n for n in COUNTERS}
    rows = session.execute(select(Counter.name, Counter.value).where(Counter.name.in_(names)))
    values = {names[name]: int(value) for name, value in rows}
    processing = session.scalar(
        select(func.count(Job.id)).where(
            Job.folder_id == folder_id, Job.status.in_([int(JobStatus.SCHEDULED), int(JobStatus.CONVERTING)])
        )
    )
    return {"ProcessingFiles": int(processing or 0), **{n: values.get(n, 0) for n in COUNTERS}}


def job_of_claim(*, session: Session, claim: str) -> Job | None:
    return session.scalar(select(Job).where(Job.folder_claim == claim))


def start_folder_job(
    *, session: Session, folder_id: str, source_name: str, claim: str, options: JobOptions, now: datetime
) -> Job:
    """A Created job for a file taken from an OCR folder, marked with the file's claim: if the server stops
    before the file is handed over, the next start finds the job by the claim instead of making another."""
    job = job_repo.create_job(session=session, options=options, user_name="", now=now)
    job.folder_id = folder_id
    job.source_name = source_name
    job.folder_claim = claim
    job.folder_pending = True
    session.flush()
    return job


ENDED = (int(JobStatus.CONVERTED), int(JobStatus.ERROR))


def ended_folder_jobs(*, session: Session, folder_ids: list[str], limit: int) -> list[Job]:
    """Jobs of these folders that ended and whose results (or failure) are not delivered yet, oldest first."""
    if not folder_ids:
        return []
    query = (
        select(Job)
        .where(Job.folder_pending.is_(True), Job.folder_id.in_(folder_ids), Job.status.in_(ENDED))
        .options(selectinload(Job.files))
        .order_by(Job.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def mark_delivered(*, session: Session, job_id: int) -> bool:
    """The job's results delivered; False when another server delivered them first."""
    result = session.execute(
        update(Job).where(Job.id == job_id, Job.folder_pending.is_(True)).values(folder_pending=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def converting_folder_jobs(*, session: Session) -> int:
    return int(
        session.scalar(select(func.count(Job.id)).where(Job.folder_id != "", Job.status == int(JobStatus.CONVERTING)))
        or 0
    )
