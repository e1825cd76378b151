from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Computed,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every dialect (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime}


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    template_id: Mapped[int] = mapped_column(Integer, default=0)
    is_template: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    status: Mapped[int] = mapped_column(Integer, default=0, index=True)
    error_description: Mapped[str] = mapped_column(Text, default="")
    user_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    correlation_id: Mapped[str] = mapped_column(String(4000), default="", index=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    barcodes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    number_of_pages: Mapped[int] = mapped_column(Integer, default=0)
    # source pages (1-based, in upload order) DeleteBlankPages left out of every output
    removed_pages: Mapped[list[int]] = mapped_column(JSON, default=list)
    # a job made from a file dropped into an OCR folder: the folder, the file's name, and the claim (the
    # file's unique name while it was taken) that keeps a restart from making a second job of it
    folder_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    source_name: Mapped[str] = mapped_column(String(1000), default="")
    folder_claim: Mapped[str | None] = mapped_column(String(64), unique=True, index=True, default=None)
    # a folder job whose results (or failure) its folder's server has yet to deliver to the output folder
    folder_pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    file_uploaded: Mapped[bool] = mapped_column(Boolean, default=False)
    outputs: Mapped[list[str]] = mapped_column(JSON, default=list)
    # the run whose outputs are the job's (jobs/<id>/runs/<run>/), set as it becomes Converted; "": jobs/<id>/output/
    output_run: Mapped[str] = mapped_column(String(32), default="")
    # the job's status document as JSON text (domain.job_document), rendered again by every change of the job
    # (store.jobs), so that the listings send it as it is; NULL when not rendered yet, and set NULL by the database
    # when a column it shows changes without it (migration 0010), so that it is never out of date
    document: Mapped[str | None] = mapped_column(Text, default=None)

    created: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    modified: Mapped[datetime] = mapped_column(UtcDateTime())
    scheduled: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    started: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)

    # The queue: who holds the job and whether it is still alive.
    worker_id: Mapped[str] = mapped_column(String(100), default="", index=True)
    heartbeat: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    files: Mapped[list[JobFile]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobFile.seq"
    )

    __table_args__ = (
        Index("ix_jobs_queue", "status", "scheduled", "id"),
        # the listings' batches along the primary key (migration 0008)
        Index("ix_jobs_listing", "is_template", "id"),
        Index("ix_jobs_user_listing", "user_name", "is_template", "id"),
        Index("ix_jobs_status_listing", "status", "is_template", "id"),
    )


class JobCount(Base):
    """How many jobs each user has of each kind (job or template) in each status: kept by triggers on jobs
    (migration 0008), so that counting costs the same however many jobs there are."""

    __tablename__ = "job_counts"

    user_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    is_template: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    status: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class JobFile(Base):
    __tablename__ = "job_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    ext: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(300))  # path relative to the file store
    size: Mapped[int] = mapped_column(BigInteger)

    job: Mapped[Job] = relationship(back_populates="files")


class User(Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    can_enum_folders: Mapped[bool] = mapped_column(Boolean, default=False)
    can_post_folders: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiToken(Base):
    """A user's named API token: only the sha256 of its secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(String(200), ForeignKey("users.name", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UtcDateTime())
    expires: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_api_tokens_user_name_name", "user_name", "name", unique=True),)


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started: Mapped[datetime] = mapped_column(UtcDateTime())
    heartbeat: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    job_id: Mapped[int] = mapped_column(Integer, default=0)


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class InvoiceJob(Base):
    """An OCR invoice job. `doc` holds its API document; the columns are what queries need."""

    __tablename__ = "invoice_jobs"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    search_text: Mapped[str] = mapped_column(Text, default="")
    # work for a worker on the job itself (doc["_task"]): splitting its uploaded files into pages (rendering runs
    # native code, kept out of the API process), or writing its outputs once every page is done
    split_pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    worker_id: Mapped[str] = mapped_column(String(100), default="", index=True)
    heartbeat: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # what the list sorts and filters by, generated by the database from `doc` (migration 0009), under indexes
    doc_created: Mapped[str | None] = mapped_column(Text, Computed("doc ->> 'createdAt'"))
    doc_updated: Mapped[str | None] = mapped_column(Text, Computed("doc ->> 'updatedAt'"))
    file_name: Mapped[str | None] = mapped_column(Text, Computed("doc ->> 'fileName'"))
    quality_score: Mapped[float | None] = mapped_column(
        Double, Computed("CAST(doc ->> 'qualityScore' AS double precision)")
    )

    __table_args__ = (
        Index("ix_invoice_jobs_doc_created", "doc_created", "id"),
        Index("ix_invoice_jobs_doc_updated", "doc_updated", "id"),
        Index("ix_invoice_jobs_file_name", "file_name", "id"),
        Index("ix_invoice_jobs_quality_score", "quality_score", "id"),
        Index("ix_invoice_jobs_user_created", "user_name", "doc_created", "id"),
    )


class InvoiceJobCount(Base):
    """How many invoice jobs each user has in each status: kept by triggers on invoice_jobs (migration 0009), so
    that the list's `total` costs the same however many jobs there are."""

    __tablename__ = "invoice_job_counts"

    user_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class InvoicePage(Base):
    """A page of an invoice job; pending pages are the invoice side's queue."""

    __tablename__ = "invoice_pages"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("invoice_jobs.id", ondelete="CASCADE"), index=True)
    page_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    # what the engine found, before corrections (annotations) are applied on top
    engine: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    search_text: Mapped[str] = mapped_column(Text, default="")
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime())  # retry back-off
    worker_id: Mapped[str] = mapped_column(String(100), default="", index=True)
    heartbeat: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)

    __table_args__ = (
        Index("ux_invoice_pages_job_number", "job_id", "page_number", unique=True),
        Index("ix_invoice_pages_queue", "status", "not_before", "created_at"),
    )


class Webhook(Base):
    """An endpoint a user registered: the events it wants, of that user's jobs (or everyone's: all_users, an
    admin's choice). The secret signs each delivery (kept as it is: it is needed to sign)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSON)
    all_users: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(String(1000), default="")
    created: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookDelivery(Base):
    """The outbox: one event for one endpoint (or a job's own callback URL: webhook_id None), its exact body,
    and where its sending stands. `next_attempt` is also the lease of a sender that claimed it."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    owner: Mapped[str] = mapped_column(String(200))  # who may see it: the endpoint's owner, or the job's
    url: Mapped[str] = mapped_column(String(2000))
    event: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(64))  # the job's id
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime] = mapped_column(UtcDateTime())
    since: Mapped[datetime] = mapped_column(UtcDateTime())  # its sending began (created, or sent again)
    sender: Mapped[str] = mapped_column(String(100), default="")
    created: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    finished: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_webhook_deliveries_queue", "state", "next_attempt"),
        Index("ix_webhook_deliveries_owner", "owner", "created"),
    )


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    milliseconds: Mapped[int] = mapped_column(Integer, default=0)


class ServerKey(Base):
    """Secrets of the server itself, made by the migrations (the key per-job callback secrets derive from)."""

    __tablename__ = "server_keys"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
