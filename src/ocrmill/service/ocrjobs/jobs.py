"""The job service: the ownOCR status rules. Routes call this; nothing here knows about HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row
from sqlalchemy.orm import Session

from ocrmill.config import Settings
from ocrmill.domain import languages
from ocrmill.domain.options import OUTPUT_FLAGS, JobOptions
from ocrmill.domain.status import SUPPORTED_EXTENSIONS, JobStatus
from ocrmill.errors import BadRequest, JobStateError, NotFound, UnsupportedMediaType
from ocrmill.service import webhooks
from ocrmill.service.auth.principal import Principal
from ocrmill.service.ocrjobs.document import JobView as JobView  # re-exported: the routes and console use it
from ocrmill.store import jobs as repo
from ocrmill.store.cache import ReadCache
from ocrmill.store.db import Database, utcnow
from ocrmill.store.files import Download, FileStore, output_name
from ocrmill.store.tables import Job

_J = TypeVar("_J", Job, Row[Any])


@dataclass
class JobQuery:
    ids: list[int]
    statuses: list[int]
    guids: list[str]
    correlation_ids: list[str]
    user_name: str | None
    is_template: bool | None
    created_from: datetime | None
    created_to: datetime | None


class JobService:
    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        files: FileStore,
        installed_languages: set[str],
        wake_workers: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.files = files
        self.installed_languages = installed_languages
        self.wake_workers = wake_workers
        self._rows: ReadCache[int, Row[Any] | None] = ReadCache(db, self._read_row)

    # -- creating and configuring -------------------------------------------------------------

    def create(self, who: Principal, body: dict[str, object], *, template: bool = False) -> Job:
        options = self._options(JobOptions(RetentionDays=self.settings.max_retention_days), body)
        with self.db.write() as session:
            now = utcnow()
            job = repo.create_job(session=session, options=options, user_name=who.name, now=now, is_template=template)
            self._set_expiry(job, options)
            return job

    def create_from_template(self, who: Principal, template_id: int) -> Job:
        with self.db.write() as session:
            template = self._visible(session, who, template_id, what="template")
            if not template.is_template:
                raise BadRequest(f"Job {template_id} is not a template.")
            options = JobOptions.from_dict(template.options)
            job = repo.create_job(
                session=session, options=options, user_name=who.name, now=utcnow(), template_id=template.id
            )
            self._set_expiry(job, options)
            return job

    def set_options(self, who: Principal, job_id: int, body: dict[str, object]) -> Job:
        with self.db.write() as session:
            job = self._visible(session, who, job_id)
            if not job.is_template and job.status != JobStatus.CREATED:
                raise JobStateError(f"Options can be set only while the job is Created; it is {_name(job)}.")
            options = self._options(JobOptions.from_dict(job.options), body)
            repo.set_options(session=session, job=job, options=options, now=utcnow())
            self._set_expiry(job, options)
            return job

    # -- files and scheduling -----------------------------------------------------------------

    async def upload(self, who: Principal, job_id: int, ext: str, chunks: AsyncIterator[bytes]) -> Job:
        ext = ext.strip().lstrip(".").upper()
        if ext not in SUPPORTED_EXTENSIONS:
            raise UnsupportedMediaType(
                f"File type {ext or '(none)'!r} is not supported; supported: {', '.join(SUPPORTED_EXTENSIONS)}."
            )
        with self.db.read() as session:
            self._check_uploadable(self._visible(session, who, job_id))
        name = f"jobs/{job_id}/input/{uuid.uuid4().hex}.{ext.lower()}"
        size = await self.files.save_stream(name, chunks, limit=self.settings.max_upload_bytes)
        try:
            with self.db.write() as session:
                job = self._visible(session, who, job_id, with_files=True)
                self._check_uploadable(job)
                now = utcnow()
                repo.add_file(session=session, job=job, ext=ext, name=name, size=size, now=now)
                scheduled = JobOptions.from_dict(job.options).Autostart
                if scheduled:
                    repo.schedule(session=session, job=job, now=now, user=who.name)
        except BaseException:
            self.files.discard(name)
            raise
        if scheduled:
            self.wake_workers()
        return job

    def schedule(self, who: Principal, job_id: int) -> Job:
        with self.db.write() as session:
            job = self._visible(session, who, job_id)
            if job.is_template:
                raise JobStateError("A template cannot be scheduled.")
            if job.status != JobStatus.CREATED:
                raise JobStateError(f"Only a Created job can be scheduled; this one is {_name(job)}.")
            if not job.file_uploaded:
                raise JobStateError("Upload a file before scheduling the job.")
            repo.schedule(session=session, job=job, now=utcnow(), user=who.name)
        self.wake_workers()
        return job

    def cancel(self, who: Principal, job_id: int) -> Job:
        with self.db.write() as session:
            job = self._visible(session, who, job_id)
            if job.is_template:
                raise JobStateError("A template cannot be canceled.")
            if job.status not in (JobStatus.CREATED, JobStatus.SCHEDULED) or not repo.cancel(
                session=session, job=job, now=utcnow(), user=who.name
            ):
                raise JobStateError(f"Only a Created or Scheduled job can be canceled; this one is {_name(job)}.")
            return job

    def delete(self, who: Principal, job_id: int) -> Job:
        with self.db.write() as session:
            job = self._visible(session, who, job_id)
            if job.status in (JobStatus.SCHEDULED, JobStatus.CONVERTING):
                raise JobStateError(f"A {_name(job)} job cannot be deleted; cancel it or wait until it ends.")
            repo.delete_job(session=session, job=job, user=who.name)
        self.files.delete_job(job_id)
        return job

    # -- reading ------------------------------------------------------------------------------

    def get(self, who: Principal, job_id: int) -> JobView:
        """The job as clients poll it: one row, no ORM session, cached until the database changes."""
        return _owned(who, self._rows.get(job_id), job_id, "job")

    def _read_row(self, job_id: int) -> Row[Any] | None:
        with self.db.connection() as connection:
            return repo.job_row(connection=connection, job_id=job_id)

    def _converted(self, who: Principal, job_id: int) -> Job:
        with self.db.read() as session:
            job = self._visible(session, who, job_id)
        if job.is_template:
            raise JobStateError("A template has no results.")
        if job.status != JobStatus.CONVERTED:
            raise JobStateError(f"Results can be downloaded once the job is Converted; it is {_name(job)}.")
        return job

    def result(self, who: Principal, job_id: int, ext: str, *, media_type: str | None = None) -> Download:
        ext = ext.strip().lstrip(".").lower()
        job = self._converted(who, job_id)
        if ext not in OUTPUT_FLAGS:
            raise BadRequest(f"Unknown result type {ext!r}; possible: {', '.join(OUTPUT_FLAGS)}.")
        if ext not in job.outputs:
            raise BadRequest(f"The job did not ask for {ext.upper()} output ({OUTPUT_FLAGS[ext]} is false).")
        found = self.files.download(
            output_name(job_id, ext, run=job.output_run), filename=f"{job_id}.{ext}", media_type=media_type
        )
        if found is None:
            raise NotFound(f"The {ext.upper()} result of job {job_id} is missing from the file store.")
        return found

    def results(self, who: Principal, job_id: int) -> list[tuple[str, Download]]:
        """(extension, its bytes to read) of every output of a Converted job, in the document's order (the ZIP
        bundle): never a presigned URL, since the API sends them itself."""
        job = self._converted(who, job_id)
        found = []
        for ext in OUTPUT_FLAGS:
            if ext in job.outputs:
                download = self.files.download(output_name(job_id, ext, run=job.output_run), streamed=True)
                if download is None:
                    raise NotFound(f"The {ext.upper()} result of job {job_id} is missing from the file store.")
                found.append((ext, download))
        return found

    def query(self, who: Principal, q: JobQuery) -> Iterator[list[str]]:
        """The jobs `q` selects, in id order, a batch at a time (see batches)."""
        if who.owner_filter is not None and q.user_name not in (None, "", who.name):
            return iter(())
        where = repo.JobFilter(
            user_name=who.owner_filter if who.owner_filter is not None else q.user_name,
            is_template=q.is_template,
            ids=q.ids,
            statuses=q.statuses,
            guids=q.guids,
            correlation_ids=q.correlation_ids,
            created_from=q.created_from,
            created_to=q.created_to,
        )
        return self.batches(where)

    def jobs(self, who: Principal, *, templates: bool = False, status: int | None = None) -> Iterator[list[str]]:
        """The caller's jobs (or templates), of one status or all, in id order, a batch at a time."""
        where = repo.JobFilter(
            user_name=who.owner_filter, is_template=templates, statuses=[] if status is None else [status]
        )
        return self.batches(where)

    def batches(self, where: repo.JobFilter) -> Iterator[list[str]]:
        """The status documents (JSON text, as stored) of every job `where` selects, settings.list_batch at a time,
        each batch read in a short transaction of its own, so that a listing of any length holds one batch in memory
        and never holds up writers. A job changed while the listing runs appears as one of the batches read it; one
        created meanwhile may or may not."""
        after, size = 0, self.settings.list_batch
        while True:
            with self.db.connection() as connection:
                found = repo.job_documents_after(connection=connection, where=where, after=after, limit=size)
            if found:
                yield [document for _id, document in found]
            if len(found) < size:
                return
            after = found[-1][0]

    def count(self, who: Principal, *, status: int | None = None) -> int:
        where = repo.JobFilter(
            user_name=who.owner_filter, is_template=False, statuses=[] if status is None else [status]
        )
        with self.db.read() as session:
            return repo.count_jobs(session=session, where=where)

    # -- helpers ------------------------------------------------------------------------------

    def _options(self, base: JobOptions, body: dict[str, object]) -> JobOptions:
        options = base.merged(body, max_retention_days=self.settings.max_retention_days)
        languages.parse(options.RecognitionLanguages, installed=self.installed_languages)
        if options.CallbackUrl and options.CallbackUrl != base.CallbackUrl:
            webhooks.guard(options.CallbackUrl, self.settings, name="CallbackUrl")
        return options

    def _set_expiry(self, job: Job, options: JobOptions) -> None:
        repo.set_expiry(job=job, retention_days=options.RetentionDays, day_seconds=self.settings.retention_day_seconds)

    def _visible(
        self, session: Session, who: Principal, job_id: int, *, what: str = "job", with_files: bool = False
    ) -> Job:
        return _owned(who, repo.get_job(session=session, job_id=job_id, with_files=with_files), job_id, what)

    @staticmethod
    def _check_uploadable(job: Job) -> None:
        if job.is_template:
            raise JobStateError("Files cannot be uploaded to a template.")
        if job.status != JobStatus.CREATED:
            raise JobStateError(f"Files can be uploaded only while the job is Created; it is {_name(job)}.")


def _owned(who: Principal, job: _J | None, job_id: int, what: str) -> _J:
    """The job if it exists and `who` may see it; another user's job is as good as missing."""
    if job is None or (who.owner_filter is not None and job.user_name != who.owner_filter):
        raise NotFound(f"There is no {what} with id {job_id}.")
    return job


def _name(job: Job) -> str:
    return JobStatus(job.status).name.capitalize()
