"""Invoice job and page repository: every read and write of invoice_jobs and invoice_pages.

A document's documented fields are found either in a column (ids, status, numbers the queue needs) or
inside the JSON document, through the dialect's JSON path operators; lists filter and sort on both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, false, func, not_, or_, select, true, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from ocrmill.service.invoices.query import Condition, ListQuery, Scalar
from ocrmill.store.jobs import DELETED, NEW, StatusChange, note_change
from ocrmill.store.tables import InvoiceJob, InvoiceJobCount, InvoicePage

_PAGE_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "_id": InvoicePage.id,
    "job": InvoicePage.job_id,
    "pageNumber": InvoicePage.page_number,
    "status": InvoicePage.status,
    "retryCount": InvoicePage.retry_count,
}
# the generated columns (migration 0009) hold exactly what the document says, under indexes
_JOB_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "_id": InvoiceJob.id,
    "status": InvoiceJob.status,
    "createdAt": InvoiceJob.doc_created,
    "updatedAt": InvoiceJob.doc_updated,
    "fileName": InvoiceJob.file_name,
    "qualityScore": InvoiceJob.quality_score,
}


def _expression(model: type[InvoiceJob] | type[InvoicePage], condition_path: str, kind: str) -> Any:
    """The column, or the typed JSON path expression, that holds a documented field."""
    columns = _PAGE_COLUMNS if model is InvoicePage else _JOB_COLUMNS
    if condition_path in columns:
        return columns[condition_path]
    path = tuple(condition_path.split("."))
    item = model.doc[path] if len(path) > 1 else model.doc[path[0]]
    if kind in ("integer",):
        return item.as_integer()
    if kind == "number":
        return item.as_float()
    if kind == "boolean":
        return item.as_boolean()
    return item.as_string()


def _where(model: type[InvoiceJob] | type[InvoicePage], condition: Condition) -> ColumnElement[bool]:
    column: ColumnElement[Any] = _expression(model, condition.path, condition.kind)
    value = condition.value
    match condition.op:
        case "$exists":
            return column.is_not(None) if value else column.is_(None)
        case "$eq":
            return column.is_(None) if value is None else column == value
        case "$ne":
            return column.is_not(None) if value is None else or_(column != value, column.is_(None))
        case "$in":
            return column.in_(list(value) if isinstance(value, tuple) else [value])
        case "$nin":
            return or_(not_(column.in_(list(value) if isinstance(value, tuple) else [value])), column.is_(None))
        case "$gt":
            return column > value
        case "$gte":
            return column >= value
        case "$lt":
            return column < value
        case "$lte":
            return column <= value
    raise ValueError(condition.op)


def _listing(
    model: type[InvoiceJob] | type[InvoicePage], query: ListQuery, owner: str | None, kinds: Mapping[str, str]
) -> tuple[Select[Any], ColumnElement[Any]]:
    statement = select(model)
    if owner is not None:
        if model is InvoicePage:
            statement = statement.join(InvoiceJob, InvoiceJob.id == InvoicePage.job_id).where(
                InvoiceJob.user_name == owner
            )
        else:
            statement = statement.where(InvoiceJob.user_name == owner)
    for condition in query.conditions:
        statement = statement.where(_where(model, condition))
    if query.search:
        escaped = query.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(model.search_text.like(f"%{escaped}%", escape="\\"))
    order = _expression(model, query.sort, kinds.get(query.sort, "string"))
    return statement, order


def list_documents(
    *,
    session: Session,
    model: type[InvoiceJob] | type[InvoicePage],
    query: ListQuery,
    owner: str | None,
    kinds: Mapping[str, str],
) -> tuple[list[Any], int]:
    statement, order = _listing(model, query, owner, kinds)
    total = _kept_total(session=session, query=query, owner=owner) if model is InvoiceJob else None
    if total is None:
        counting = statement.with_only_columns(func.count(), maintain_column_froms=True)
        total = int(session.scalar(counting) or 0)
    ordered = order.desc() if query.descending else order.asc()
    tiebreak = model.id.desc() if query.descending else model.id.asc()
    rows = session.scalars(statement.order_by(ordered, tiebreak).limit(query.limit).offset(query.offset))
    return list(rows), total


def _kept_total(*, session: Session, query: ListQuery, owner: str | None) -> int | None:
    """The number of invoice jobs from the counters the triggers keep (a few rows, whatever the number of jobs),
    when the list selects by owner and status only; None when it must be counted."""
    if query.search:
        return None
    statuses: set[Scalar] | None = None
    for condition in query.conditions:
        if condition.path != "status" or condition.op not in ("$eq", "$in"):
            return None
        value = condition.value
        wanted = set(value) if isinstance(value, tuple) else {value}
        statuses = wanted if statuses is None else statuses & wanted
    counting = select(func.coalesce(func.sum(InvoiceJobCount.n), 0))
    if owner is not None:
        counting = counting.where(InvoiceJobCount.user_name == owner)
    if statuses is not None:
        counting = counting.where(InvoiceJobCount.status.in_([s for s in statuses if isinstance(s, str)]))
    return int(session.scalar(counting) or 0)


# -- jobs ----------------------------------------------------------------------------------------------------


def add_job(*, session: Session, job: InvoiceJob) -> None:
    session.add(job)
    session.flush()
    note_status(session=session, job_id=job.id, old=NEW, new=job.status, user=job.user_name)


def note_status(
    *,
    session: Session,
    job_id: str,
    old: str,
    new: str,
    reason: str = "",
    user: str | None = None,
    worker: str | None = None,
) -> None:
    """A job's status change, logged (ocrmill.jobs) like an OCR job's once the transaction commits."""
    change = StatusChange(job_id, old, new, reason, user=user, worker=worker, kind="invoice job")
    note_change(session, change)


def get_job(*, session: Session, job_id: str, for_update: bool = False) -> InvoiceJob | None:
    statement = select(InvoiceJob).where(InvoiceJob.id == job_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def delete_job(*, session: Session, job: InvoiceJob, user: str) -> None:
    session.execute(delete(InvoicePage).where(InvoicePage.job_id == job.id))
    session.execute(delete(InvoiceJob).where(InvoiceJob.id == job.id))
    note_status(session=session, job_id=job.id, old=job.status, new=DELETED, user=user)


def claim_job_task(*, session: Session, worker_id: str, now: datetime) -> str | None:
    """A job with work of its own waiting (splitting its upload, or writing its outputs), taken by this worker."""
    statement = (
        select(InvoiceJob.id, InvoiceJob.status)
        .where(InvoiceJob.split_pending.is_(true()), InvoiceJob.worker_id == "")
        .order_by(InvoiceJob.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return _take(session, statement, InvoiceJob, worker_id=worker_id, now=now)


def finish_job_task(*, session: Session, job_id: str) -> None:
    session.execute(
        update(InvoiceJob).where(InvoiceJob.id == job_id).values(split_pending=false(), worker_id="", heartbeat=None)
    )


# -- pages ---------------------------------------------------------------------------------------------------


def get_page(*, session: Session, page_id: str, for_update: bool = False) -> InvoicePage | None:
    return session.get(InvoicePage, page_id, with_for_update=for_update or None)


def pages_of(*, session: Session, job_id: str) -> list[InvoicePage]:
    return list(
        session.scalars(select(InvoicePage).where(InvoicePage.job_id == job_id).order_by(InvoicePage.page_number))
    )


@dataclass(frozen=True)
class PageSummary:
    """What a job's aggregate needs of one page, read without the page's words and blocks."""

    id: str
    page_number: int
    status: str
    fields: dict[str, Any]  # extractedFields, corrections applied
    line_items: list[dict[str, Any]]  # the engine's
    annotations: list[dict[str, Any]]  # a person's corrections of the line items among them
    confidence: float
    text: str
    started: str | None
    completed: str | None
    processing_time: int
    error: str


def page_summaries(*, session: Session, job_id: str) -> list[PageSummary]:
    """A job's pages in page order, as PageSummary: the database picks the few properties out of each page's
    document, so a job's every page change does not decode every page's OCR words again."""
    doc = InvoicePage.doc
    rows = session.execute(
        select(
            InvoicePage.id,
            InvoicePage.page_number,
            InvoicePage.status,
            doc["extractedFields"],
            InvoicePage.engine["lineItems"],
            doc["annotations"],
            doc[("ocrResults", "confidence")].as_float(),
            doc[("ocrResults", "text")].as_string(),
            doc["startedAt"].as_string(),
            doc["completedAt"].as_string(),
            doc["processingTime"].as_integer(),
            doc["errorLog"].as_string(),
        )
        .where(InvoicePage.job_id == job_id)
        .order_by(InvoicePage.page_number)
    )
    return [
        PageSummary(
            id=row[0],
            page_number=row[1],
            status=row[2],
            fields=row[3] or {},
            line_items=row[4] or [],
            annotations=row[5] or [],
            confidence=float(row[6] or 0),
            text=row[7] or "",
            started=row[8],
            completed=row[9],
            processing_time=int(row[10] or 0),
            error=row[11] or "",
        )
        for row in rows
    ]


def page_number_taken(*, session: Session, job_id: str, number: int, except_id: str = "") -> bool:
    statement = select(InvoicePage.id).where(
        InvoicePage.job_id == job_id, InvoicePage.page_number == number, InvoicePage.id != except_id
    )
    return session.scalar(statement) is not None


def claim_page(*, session: Session, worker_id: str, now: datetime) -> str | None:
    """The oldest pending page whose retry back-off has passed, taken by this worker."""
    statement = (
        select(InvoicePage.id, InvoicePage.status)
        .join(InvoiceJob, InvoiceJob.id == InvoicePage.job_id)
        .where(
            InvoicePage.status == "pending",
            or_(InvoicePage.not_before.is_(None), InvoicePage.not_before <= now),
            InvoiceJob.split_pending.is_(false()),
        )
        .order_by(InvoicePage.created_at, InvoicePage.page_number)
        .limit(1)
        .with_for_update(skip_locked=True, of=InvoicePage)
    )
    return _take(session, statement, InvoicePage, worker_id=worker_id, now=now)


def heartbeat(*, session: Session, worker_id: str, now: datetime) -> None:
    session.execute(update(InvoicePage).where(InvoicePage.worker_id == worker_id).values(heartbeat=now))
    session.execute(update(InvoiceJob).where(InvoiceJob.worker_id == worker_id).values(heartbeat=now))


def held_by(*, session: Session, worker_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """(page ids, job ids being split) that these workers hold."""
    pages = session.scalars(select(InvoicePage.id).where(InvoicePage.worker_id.in_(list(worker_ids))))
    jobs = session.scalars(select(InvoiceJob.id).where(InvoiceJob.worker_id.in_(list(worker_ids))))
    return list(pages), list(jobs)


def stale(*, session: Session, before: datetime) -> tuple[list[str], list[str]]:
    """(page ids, job ids being split) whose worker stopped sending heartbeats."""
    pages = session.scalars(
        select(InvoicePage.id).where(
            InvoicePage.worker_id != "", or_(InvoicePage.heartbeat.is_(None), InvoicePage.heartbeat < before)
        )
    )
    jobs = session.scalars(
        select(InvoiceJob.id).where(
            InvoiceJob.worker_id != "", or_(InvoiceJob.heartbeat.is_(None), InvoiceJob.heartbeat < before)
        )
    )
    return list(pages), list(jobs)


def any_pending(*, session: Session) -> bool:
    waiting = select(InvoicePage.id).where(InvoicePage.status == "pending").limit(1)
    splitting = select(InvoiceJob.id).where(and_(InvoiceJob.split_pending.is_(true()), InvoiceJob.worker_id == ""))
    return session.scalar(waiting) is not None or session.scalar(splitting.limit(1)) is not None


def _take(
    session: Session,
    statement: Select[str, str],
    table: type[InvoiceJob] | type[InvoicePage],
    *,
    worker_id: str,
    now: datetime,
) -> str | None:
    """The first row (id, status) `statement` (locked, skipping locked rows) finds, marked as this worker's and
    processing; its id."""
    row = session.execute(statement).first()
    if row is None:
        return None
    row_id, old = row
    session.execute(
        update(table).where(table.id == row_id).values(status="processing", worker_id=worker_id, heartbeat=now)
    )
    # a job's own task (splitting its upload) starts its processing: logged like refresh_job's changes
    if table is InvoiceJob and old != "processing":
        note_status(session=session, job_id=str(row_id), old=old, new="processing", worker=worker_id)
    return str(row_id)
