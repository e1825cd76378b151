"""OCR folders (hot folders): the definitions as the API shows them, files taken from input folders
as jobs, files posted to them, and what happens to results and originals once a job ends.

A file's way: the watcher renames it into `<input>/.ocrmill/claimed/` (folders.watch), this service
makes a job marked with that claim, copies the file into the job's store, schedules the job and then
removes the claimed file. Every step can be repeated after a crash: a claimed file whose job exists
is handed to that job, never to a second one. When the job ends, the worker delivers its results to
the output folder under the file's name and archives, deletes or keeps the original, or moves it to
`error/` with the reason (folders.deliver).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ocrmill.config import FolderDefinition, Settings
from ocrmill.domain import languages
from ocrmill.domain.options import JobOptions
from ocrmill.domain.status import SUPPORTED_EXTENSIONS
from ocrmill.errors import ConfigError, Forbidden, InvalidProperty, NoOutput, NotFound, UnsupportedMediaType
from ocrmill.folders import deliver
from ocrmill.folders.watch import claim_id
from ocrmill.service import webhooks
from ocrmill.service.auth.principal import Principal
from ocrmill.store import folders as repo
from ocrmill.store import jobs as job_repo
from ocrmill.store import workers as counter_repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.files import FileStore

log = logging.getLogger(__name__)


def folder_options(settings: Settings, folder: FolderDefinition, installed: set[str]) -> JobOptions:
    """The folder's job options, validated as a client's would be; a bad one is a configuration error."""
    try:
        options = JobOptions(RetentionDays=settings.max_retention_days).merged(
            folder.options, max_retention_days=settings.max_retention_days
        )
        languages.parse(options.RecognitionLanguages, installed=installed)
    except (InvalidProperty, NoOutput) as e:
        raise ConfigError(f"folder {folder.key}: {e.message}") from None
    return options


class FolderService:
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
        self.wake_workers = wake_workers
        self.options = {f.key: folder_options(settings, f, installed_languages) for f in settings.folders}
        self.problems: list[str] = []

    def prepare(self) -> list[FolderDefinition]:
        """Create the folders and counters; a folder whose paths cannot be used is reported and left out."""
        usable = []
        for folder in self.settings.folders:
            try:
                for path in (folder.input, folder.output):
                    path.mkdir(parents=True, exist_ok=True)
                    probe = path / ".ocrmill-write-test"
                    probe.write_bytes(b"")
                    probe.unlink()
            except OSError as e:
                problem = f"OCR folder {folder.key} ({folder.description}) is not usable and is skipped: {e}"
                log.error(problem)
                self.problems.append(problem)
                continue
            usable.append(folder)
        with self.db.write() as session:
            repo.ensure_counters(session=session, folder_ids=[f.key for f in self.settings.folders])
        return usable

    # -- the API --------------------------------------------------------------------------------

    def listing(self, who: Principal) -> list[dict[str, Any]]:
        self._may_enumerate(who)
        return [self.public(folder) for folder in self.settings.folders]

    def info(self, who: Principal, folder_id: str) -> dict[str, Any]:
        self._may_enumerate(who)
        return self.public(self._folder(folder_id))

    def public(self, folder: FolderDefinition) -> dict[str, Any]:
        """The document's OCR folder object, in its key order."""
        with self.db.read() as session:
            counts = repo.folder_counters(session=session, folder_id=folder.key)
        return {"Description": folder.description, "Id": folder.key, **counts, "Filters": folder.filters}

    def post(self, who: Principal, folder_id: str, filename: str, data: bytes, *, unique: bool) -> str:
        """Write a posted file into the folder's input, where the watcher takes it like any dropped file."""
        if not (who.is_admin or who.can_post_folders):
            raise Forbidden("Posting files to OCR folders needs the Post Files to OCR Folders right.")
        folder = self._folder(folder_id)
        try:
            name = deliver.safe_name(filename)
        except ValueError:
            raise UnsupportedMediaType(f"The file name {filename!r} is not usable.") from None
        ext = Path(name).suffix.lstrip(".").upper()
        if ext not in folder.extensions:
            raise UnsupportedMediaType(
                f"Files of type {ext or '(none)'!r} are not taken by this folder; it takes {folder.filters}."
            )
        return deliver.place_posted(folder.input, name, data, unique=unique)

    def _may_enumerate(self, who: Principal) -> None:
        if not (who.is_admin or who.can_enum_folders):
            raise Forbidden("Listing OCR folders needs the Enum OCR Folder Definition right.")

    def _folder(self, folder_id: str) -> FolderDefinition:
        folder = self.settings.folder(folder_id)
        if folder is None:
            raise NotFound(f"There is no OCR folder with id {folder_id!r}.")
        return folder

    # -- taking files -----------------------------------------------------------------------------

    def take(self, folder_id: str, claimed: Path, name: str) -> int | None:
        """Make (or find) the job of a claimed file and hand the file to it; the job's id, or None when
        the file was refused (it is then in the folder's error/ with the reason)."""
        folder = self.settings.folder(folder_id)
        if folder is None:  # the definition is gone since the file was claimed: leave it where it is
            log.error("claimed file %s belongs to no configured folder; left in place", claimed)
            return None
        ext = Path(name).suffix.lstrip(".").upper()
        if ext not in SUPPORTED_EXTENSIONS:
            refused = f"Files of type {ext or '(none)'!r} cannot be processed."
            deliver.fail(claimed, folder.output, name, refused)
            self._count(folder, error=refused, file_name=name)
            return None
        claim = claim_id(claimed)
        with self.db.write() as session:
            job = repo.job_of_claim(session=session, claim=claim)
            if job is None:
                job = repo.start_folder_job(
                    session=session,
                    folder_id=folder.key,
                    source_name=name,
                    claim=claim,
                    options=self.options[folder.key],
                    now=utcnow(),
                )
                job_repo.set_expiry(
                    job=job,
                    retention_days=self.options[folder.key].RetentionDays,
                    day_seconds=self.settings.retention_day_seconds,
                )
            job_id, handed_over = job.id, job.file_uploaded
        if not handed_over:
            stored = f"jobs/{job_id}/input/source.{ext.lower()}"
            size = self.files.put_file(stored, claimed)
            with self.db.write() as session:
                job = job_repo.get_job(session=session, job_id=job_id, with_files=True)
                if job is not None and not job.file_uploaded:
                    now = utcnow()
                    job_repo.add_file(session=session, job=job, ext=ext, name=stored, size=size,
                                      now=now)  # fmt: skip
                    job_repo.schedule(session=session, job=job, now=now)
            self.wake_workers()
        claimed.unlink(missing_ok=True)
        return job_id

    def _count(self, folder: FolderDefinition, *, error: str, file_name: str) -> None:
        names = ["ProcessedFiles", "ErrorFiles" if error else "SuccessFiles"]
        with self.db.write() as session:
            counter_repo.increment(session=session, names=[repo.counter_name(folder.key, n) for n in names])
            webhooks.folder_file_done(
                session=session,
                folder_id=folder.key,
                description=folder.description,
                file_name=file_name,
                job_id=None,
                error=error,
            )


@dataclass(frozen=True)
class FolderJob:
    """What the worker knows of a folder job: where its file came from and where its original is."""

    job_id: int
    folder_id: str
    source_name: str
    original: Path


def finish_folder_job(
    *, settings: Settings, db: Database, results: Path, job: FolderJob, outputs: list[str], error: str
) -> None:
    """After a folder job ended (in the worker): results (results/result.<ext>) to the output folder under the
    file's name, the
    original archived, deleted or kept, or moved to error/ with the reason; the folder's counters."""
    folder = settings.folder(job.folder_id)
    if folder is None:
        log.error("job %s belongs to OCR folder %s, which is no longer configured", job.job_id, job.folder_id)
        return
    original = job.original
    try:
        if error:
            if original.exists():
                deliver.fail(original, folder.output, job.source_name, error)
        else:
            deliver.deliver({ext: results / f"result.{ext}" for ext in outputs}, folder.output,
                            job.source_name)  # fmt: skip
            if original.exists():
                if folder.originals == "archive":
                    deliver.archive(original, folder.output, job.source_name, when=datetime.now().astimezone())
                elif folder.originals == "keep":
                    deliver.keep(original, folder.input, job.source_name)
                else:
                    deliver.discard(original)
    except OSError as e:
        log.error("results of job %s could not be delivered to %s: %s", job.job_id, folder.output, e)
        error = error or f"results could not be delivered: {e}"
    names = ["ProcessedFiles", "ErrorFiles" if error else "SuccessFiles"]
    with db.write() as session:
        counter_repo.increment(session=session, names=[repo.counter_name(folder.key, n) for n in names])
        webhooks.folder_file_done(
            session=session,
            folder_id=folder.key,
            description=folder.description,
            file_name=job.source_name,
            job_id=job.job_id,
            error=error,
        )
