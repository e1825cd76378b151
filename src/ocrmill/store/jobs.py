"""Job repository: every read and write of the jobs table. Functions take the session by keyword."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Row, Select, bindparam, delete, event, func, select, update
from sqlalchemy.orm import Session, selectinload

from ocrmill.domain.job_document import job_json
from ocrmill.domain.options import JobOptions
from ocrmill.domain.status import JobStatus
from ocrmill.logs import fields, one_line
from ocrmill.store import queries, search
from ocrmill.store.tables import Job, JobCount, JobFile

log = logging.getLogger("ocrmill.jobs")
NEW, DELETED = "(new)", "(deleted)"  # the "statuses" before a job is created and after it is deleted
_CHANGES = "ocrmill.job_changes"  # Session.info key: the status changes of the open transaction


@dataclass(frozen=True)
class StatusChange:
    job_id: int | str
    old: str
    new: str
    reason: str = ""  # why a job ended in Error, or was deleted by the retention sweep
    user: str | None = None  # who asked, for changes a user asked for
    worker: str | None = None  # the worker that took the job
    kind: str = "job"  # or "invoice job" (store.invoices), whose ids are strings and statuses lower-case

    @property
    def event(self) -> str:
        return "job_status" if self.kind == "job" else "invoice_job_status"

    @property
    def failed(self) -> bool:
        return self.new in (JobStatus.ERROR.name.capitalize(), "failed")


def note_change(session: Session, change: StatusChange) -> None:
    """Notes a status change of any job table (this one, store.invoices'); it is logged once its transaction
    commits (a rolled-back change never happened)."""
    session.info.setdefault(_CHANGES, []).append(change)


@event.listens_for(Session, "after_commit")
def _log_changes(session: Session) -> None:
    for change in session.info.pop(_CHANGES, []):
        by = f", user {change.user or '-'}" if change.user is not None else ""
        by += f", worker {change.worker}" if change.worker else ""
        why = f": {one_line(change.reason)}" if change.reason else ""
        named = (("reason", change.reason), ("user", change.user), ("worker", change.worker))
        log.log(
            logging.WARNING if change.failed else logging.INFO,
            "%s %s: %s -> %s%s%s",
            change.kind,
            change.job_id,
            change.old,
            change.new,
            by,
            why,
            extra=fields(
                event=change.event,
                job_id=change.job_id,
                old=change.old,
                new=change.new,
                **{k: v for k, v in named if v is not None and v != ""},
            ),
        )


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGES, None)


# The stored status documents (Job.document). A job added or changed through the ORM is rendered again after the
# flush, from its row as this transaction sees it (not from the object, which may be older than a worker's claim or
# finish made meanwhile with one statement); the few changes made with one statement (claim, finish, cancel) call
# _render after it. One that forgets leaves the document NULL, not wrong: the database clears it when a column it
# shows changes without it (migration 0010), and the listings render a NULL document themselves.
@event.listens_for(Session, "after_flush")
def _render_flushed(session: Session, _context: object) -> None:
    for job in [*session.new, *session.dirty]:
        if isinstance(job, Job) and job.id is not None and (job in session.new or session.is_modified(job)):
            _render(session, job.id)


_STORE_DOCUMENT = update(Job).where(Job.id == bindparam("job_id")).values(document=bindparam("document"))


def _render(session: Session, job_id: int) -> None:
    """Renders a job's stored document again from its row as the transaction sees it."""
    connection = session.connection()  # the statements as they are, past the ORM's bookkeeping
    row = connection.execute(_JOB_BY_ID, {"job_id": job_id}).first()
    if row is not None:
        connection.execute(_STORE_DOCUMENT, {"job_id": job_id, "document": job_json(row)})


def _name(status: int) -> str:
    return JobStatus(status).name.capitalize()


@dataclass
class JobFilter:
    """Which jobs a listing returns. None means "any"."""

    user_name: str | None = None
    is_template: bool | None = None
    ids: Sequence[int] = ()
    statuses: Sequence[int] = ()
    guids: Sequence[str] = ()
    correlation_ids: Sequence[str] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.user_name is not None:
            query = query.where(Job.user_name == self.user_name)
        if self.is_template is not None:
            query = query.where(Job.is_template == self.is_template)
        if self.ids:
            query = query.where(Job.id.in_(list(self.ids)))
        if self.statuses:
            query = query.where(Job.status.in_(list(self.statuses)))
        if self.guids:
            query = query.where(func.lower(Job.guid).in_([g.lower() for g in self.guids]))
        if self.correlation_ids:
            query = query.where(Job.correlation_id.in_(list(self.correlation_ids)))
        if self.created_from is not None:
            query = query.where(Job.created >= self.created_from)
        if self.created_to is not None:
            query = query.where(Job.created <= self.created_to)
        return query

    @property
    def counted(self) -> bool:
        """Whether job_counts can count what this selects: a user, templates or not, statuses, nothing else."""
        return not (self.ids or self.guids or self.correlation_ids or self.created_from or self.created_to)


def create_job(
    *,
    session: Session,
    options: JobOptions,
    user_name: str,
    now: datetime,
    is_template: bool = False,
    template_id: int = 0,
) -> Job:
    job = Job(
        guid=str(uuid.uuid4()),
        template_id=template_id,
        is_template=is_template,
        status=int(JobStatus.CREATED),
        error_description="",
        user_name=user_name,
        correlation_id=options.CorrelationId,
        options=options.to_dict(),
        barcodes=[],
        removed_pages=[],
        number_of_pages=0,
        file_uploaded=False,
        outputs=[],
        created=now,
        modified=now,
        worker_id="",
        attempts=0,
    )
    session.add(job)
    session.flush()
    job.document = job_json(job)  # written at the next flush (before_flush renders only jobs that have an id)
    if not is_template:
        search.enter_job(session=session, job_id=job.id, descr=options.Descr, correlation_id=options.CorrelationId)
    note_change(session, StatusChange(job.id, NEW, _name(job.status), user=user_name))
    return job


def get_job(*, session: Session, job_id: int, with_files: bool = False) -> Job | None:
    query = select(Job).where(Job.id == job_id)
    if with_files:
        query = query.options(selectinload(Job.files))
    return session.scalars(query).first()


def set_options(*, session: Session, job: Job, options: JobOptions, now: datetime) -> None:
    job.options = options.to_dict()
    job.correlation_id = options.CorrelationId
    job.modified = now
    if not job.is_template:
        search.enter_job(session=session, job_id=job.id, descr=options.Descr, correlation_id=options.CorrelationId)


def job_documents_after(*, connection: Connection, where: JobFilter, after: int, limit: int) -> list[tuple[int, str]]:
    """(id, status document as JSON text) of the next `limit` jobs `where` selects with ids above `after`, in id
    order: a listing read a page at a time along the primary key, each page as cheap as the first, sending the
    documents as stored. A job whose document is not stored (NULL) is rendered from its row here."""
    table = Job.__table__
    query = where.apply(select(table.c.id, table.c.document)).where(table.c.id > after)
    found = connection.execute(query.order_by(table.c.id).limit(limit)).all()  # (all: one fetch, not one a row)
    missing = [job_id for job_id, document in found if document is None]
    if not missing:
        return [(job_id, document) for job_id, document in found]
    rendered = {row.id: job_json(row) for row in connection.execute(select(table).where(table.c.id.in_(missing)))}
    return [(job_id, rendered[job_id] if document is None else document) for job_id, document in found]


def count_jobs(*, session: Session, where: JobFilter) -> int:
    if where.counted:
        return sum(_counts(session, where).values())
    return int(session.scalar(where.apply(select(func.count(Job.id)))) or 0)


def count_by_status(*, session: Session, where: JobFilter | None = None) -> dict[int, int]:
    """Jobs (not templates) per status, of those `where` selects (default: all)."""
    where = dataclasses.replace(where or JobFilter(), is_template=False)
    if where.counted:
        return _counts(session, where)
    query = cast("Select[Any]", select(Job.status, func.count(Job.id)))
    return {int(row[0]): int(row[1]) for row in session.execute(where.apply(query).group_by(Job.status))}


def _counts(session: Session, where: JobFilter) -> dict[int, int]:
    """Per status, from the job_counts the triggers keep: a few rows, whatever the number of jobs."""
    query = select(JobCount.status, func.sum(JobCount.n)).group_by(JobCount.status)
    if where.user_name is not None:
        query = query.where(JobCount.user_name == where.user_name)
    if where.is_template is not None:
        query = query.where(JobCount.is_template == where.is_template)
    if where.statuses:
        query = query.where(JobCount.status.in_(list(where.statuses)))
    return {int(status): int(n) for status, n in session.execute(query) if n}


def newest_jobs(*, session: Session, where: JobFilter, limit: int, offset: int) -> list[Job]:
    """A page of the jobs `where` selects, newest first."""
    return list(session.scalars(where.apply(select(Job)).order_by(Job.id.desc()).limit(limit).offset(offset)))


def add_file(*, session: Session, job: Job, ext: str, name: str, size: int, now: datetime) -> JobFile:
    seq = len(job.files)
    record = JobFile(job_id=job.id, seq=seq, ext=ext, name=name, size=size)
    job.files.append(record)
    job.file_uploaded = True
    job.modified = now
    session.flush()
    return record


def schedule(*, session: Session, job: Job, now: datetime, user: str | None = None) -> None:
    note_change(session, StatusChange(job.id, _name(job.status), _name(JobStatus.SCHEDULED), user=user))
    job.status = int(JobStatus.SCHEDULED)
    job.scheduled = now
    job.modified = now
    job.error_description = ""
    job.attempts = 0
    _announce(session)


def _announce(session: Session) -> None:
    if _is_postgres(session):
        session.execute(queries.NOTIFY_SCHEDULED)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def cancel(*, session: Session, job: Job, now: datetime, user: str | None = None) -> bool:
    """Back to Created, unless a worker claimed the job in the meantime."""
    old = _name(job.status)
    result = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status.in_([int(JobStatus.CREATED), int(JobStatus.SCHEDULED)]))
        .values(status=int(JobStatus.CREATED), modified=now, worker_id="")
    )
    session.refresh(job)
    canceled = bool(result.rowcount)  # type: ignore[attr-defined]
    if canceled:
        _render(session, job.id)
    if canceled and old != _name(job.status):
        note_change(session, StatusChange(job.id, old, _name(job.status), user=user))
    return canceled


def delete_job(*, session: Session, job: Job, user: str | None = None) -> None:
    note_change(session, StatusChange(job.id, _name(job.status), DELETED, user=user))
    session.delete(job)


def claim_job(*, session: Session, worker_id: str, now: datetime) -> int | None:
    statement = queries.CLAIM_JOB_POSTGRES if _is_postgres(session) else queries.CLAIM_JOB_SQLITE
    row = session.execute(statement, {"worker": worker_id, "now": now}).first()
    if row is None:
        return None
    job_id = int(row[0])
    _render(session, job_id)
    note_change(
        session, StatusChange(job_id, _name(JobStatus.SCHEDULED), _name(JobStatus.CONVERTING), worker=worker_id)
    )
    return job_id


def heartbeat_job(*, session: Session, job_id: int, worker_id: str, now: datetime) -> bool:
    result = session.execute(queries.HEARTBEAT_JOB, {"job_id": job_id, "worker": worker_id, "now": now})
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_job(
    *,
    session: Session,
    job_id: int,
    worker_id: str,
    now: datetime,
    error: str = "",
    pages: int = 0,
    barcodes: list[dict[str, Any]] | None = None,
    outputs: list[str] | None = None,
    removed_pages: list[int] | None = None,
    text: str = "",
    run: str = "",
) -> bool:
    """Converted (no error) or Error; only while this worker still holds the job. A converted job's outputs are
    those `run` stored, and its recognised `text` enters the search index, in the same transaction."""
    values: dict[str, Any] = {
        "status": int(JobStatus.ERROR if error else JobStatus.CONVERTED),
        "error_description": error,
        "finished": now,
        "modified": now,
        "worker_id": "",
        "heartbeat": None,
    }
    if not error:
        values.update(
            number_of_pages=pages,
            barcodes=barcodes or [],
            outputs=outputs or [],
            removed_pages=removed_pages or [],
            output_run=run,
        )
    elif pages:
        values["number_of_pages"] = pages
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.worker_id == worker_id, Job.status == int(JobStatus.CONVERTING))
        .values(**values)
    )
    finished = bool(result.rowcount)  # type: ignore[attr-defined]
    if finished:
        _render(session, job_id)
    if finished and not error:
        search.enter_text(session=session, job_id=job_id, body=text)
    if finished:
        change = StatusChange(job_id, _name(JobStatus.CONVERTING), _name(values["status"]), error, worker=worker_id)
        note_change(session, change)
    return finished


def release_job(
    *,
    session: Session,
    job_id: int,
    now: datetime,
    reason: str,
    max_attempts: int,
    counted: bool = True,
    stale_before: datetime | None = None,
) -> JobStatus | None:
    """A job whose worker died: back to Scheduled, or Error once it has used all its attempts. A job handed
    back uncounted (the server stopping) gets its attempt back. With `stale_before`, only while its heartbeat is
    still older than that: a job found stale and claimed afresh meanwhile (by another node) stays with its worker."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None or job.status != JobStatus.CONVERTING:
        return None
    if stale_before is not None and job.heartbeat is not None and job.heartbeat >= stale_before:
        return None
    job.worker_id = ""
    job.heartbeat = None
    job.modified = now
    if not counted:
        job.attempts = max(0, job.attempts - 1)
    if job.attempts >= max_attempts:
        job.status = int(JobStatus.ERROR)
        job.finished = now
        job.error_description = (
            f"Processing stopped {job.attempts} times ({reason}); the job was given up after {max_attempts} attempts."
        )
        note_change(
            session, StatusChange(job_id, _name(JobStatus.CONVERTING), _name(job.status), job.error_description)
        )
        return JobStatus.ERROR
    job.status = int(JobStatus.SCHEDULED)
    note_change(session, StatusChange(job_id, _name(JobStatus.CONVERTING), _name(job.status), reason))
    _announce(session)
    return JobStatus.SCHEDULED


def jobs_held_by(*, session: Session, worker_ids: Sequence[str]) -> list[int]:
    if not worker_ids:
        return []
    query = select(Job.id).where(Job.status == int(JobStatus.CONVERTING), Job.worker_id.in_(list(worker_ids)))
    return list(session.scalars(query))


def stale_jobs(*, session: Session, before: datetime) -> list[int]:
    query = select(Job.id).where(
        Job.status == int(JobStatus.CONVERTING), (Job.heartbeat.is_(None)) | (Job.heartbeat < before)
    )
    return list(session.scalars(query))


def delete_expired(*, session: Session, now: datetime) -> list[int]:
    """Deletes expired jobs in one statement, so a job a worker claims meanwhile is not among them."""
    if _is_postgres(session):
        # The statement's rows go in no particular order, each taking its counter row (job_counts): taking them
        # all first, in key order as every other change does, keeps it from waiting crosswise with one of those.
        session.execute(queries.LOCK_JOB_COUNTS)
    statement = (
        delete(Job)
        .where(
            Job.is_template.is_(False),
            Job.expires.is_not(None),
            Job.expires <= now,
            Job.status != int(JobStatus.CONVERTING),
        )
        .returning(Job.id, Job.status)
    )
    deleted = list(session.execute(statement).tuples())
    for job_id, status in deleted:
        note_change(session, StatusChange(job_id, _name(status), DELETED, "its retention period expired"))
    return [job_id for job_id, _status in deleted]


def set_expiry(*, job: Job, retention_days: int, day_seconds: float) -> None:
    job.expires = job.created + timedelta(seconds=retention_days * day_seconds)


def files_by_status(*, session: Session, statuses: Sequence[int]) -> dict[int, int]:
    rows = session.execute(
        select(Job.status, func.count(JobFile.id))
        .join(JobFile, JobFile.job_id == Job.id)
        .where(Job.status.in_(list(statuses)))
        .group_by(Job.status)
    )
    return {int(status): int(n) for status, n in rows}


_JOB_BY_ID = select(Job.__table__).where(Job.__table__.c.id == bindparam("job_id"))


def job_row(*, connection: Connection, job_id: int) -> Row[Any] | None:
    """One job's columns (the same names as Job's attributes), read with one static statement."""
    return connection.execute(_JOB_BY_ID, {"job_id": job_id}).first()
