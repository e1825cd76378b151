"""OCR folders (hot folders): the definitions as the API shows them, files taken from input folders
as jobs, files posted to them, and what happens to results and originals once a job ends.

A file's way: the watcher renames it into `<input>/.ocrmill/claimed/` (folders.watch), this service
makes a job marked with that claim, copies the file into the job's store, schedules the job and then
removes the claimed file. Every step can be repeated after a crash: a claimed file whose job exists
is handed to that job, never to a second one. Workers need not see the folder: the job's results go to
the file store like any job's. Once the job ends, the server that watches the folder (deliver_ended)
fetches its results from the store into the output folder under the file's name and archives, deletes
or keeps the original, or moves it to `error/` with the reason (folders.deliver); then the job's
objects leave the store.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ocrmill.config import FolderDefinition, Settings
from ocrmill.domain import languages
from ocrmill.domain.options import JobOptions
from ocrmill.domain.status import SUPPORTED_EXTENSIONS, JobStatus
from ocrmill.errors import (
    ConfigError,
    Forbidden,
    InvalidProperty,
    NoOutput,
    NotFound,
    OcrmillError,
    UnsupportedMediaType,
)
from ocrmill.folders import deliver
from ocrmill.folders.watch import claim_id
from ocrmill.service import webhooks
from ocrmill.service.auth.principal import Principal
from ocrmill.store import folders as repo
from ocrmill.store import jobs as job_repo
from ocrmill.store import workers as counter_repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.files import FileStore, output_name, scratch_dir
from ocrmill.store.tables import Job

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
class EndedJob:
    """A folder job that ended, as its folder's server delivers it."""

    job_id: int
    folder_id: str
    source_name: str
    original: str  # the stored name of the file taken from the folder
    outputs: tuple[str, ...]
    run: str
    error: str

    @classmethod
    def of(cls, job: Job) -> EndedJob:
        converted = job.status == JobStatus.CONVERTED
        return cls(
            job_id=job.id,
            folder_id=job.folder_id,
            source_name=job.source_name,
            original=job.files[0].name if job.files else "",
            outputs=tuple(job.outputs) if converted else (),
            run=job.output_run,
            error="" if converted else job.error_description or "The job failed.",
        )


def deliver_ended(*, settings: Settings, db: Database, files: FileStore, limit: int = 20) -> int:
    """Delivers folder jobs of this server's folders that ended (Converted or Error); how many there were. The
    object store away (ServiceUnavailable): the rest wait for a later round."""
    folders = {f.key: f for f in settings.folders}
    with db.read() as session:
        found = repo.ended_folder_jobs(session=session, folder_ids=list(folders), limit=limit)
        ended = [EndedJob.of(job) for job in found]
    for job in ended:
        _deliver(settings=settings, db=db, files=files, folder=folders[job.folder_id], job=job)
    return len(ended)


def _deliver(*, settings: Settings, db: Database, files: FileStore, folder: FolderDefinition, job: EndedJob) -> None:
    """Results (from the store) to the output folder under the file's name, the original archived, deleted or
    kept, or moved to error/ with the reason; the folder's counters; then the job's objects leave the store. Each
    step can be repeated after a crash before the job is marked delivered."""
    scratch = scratch_dir(settings, f"deliver-{job.job_id}")
    try:
        error = job.error or _deliver_results(files, folder, job, scratch)
        try:
            original = _original(files, job, scratch)
            if original is not None:
                _place_original(original, folder, job.source_name, error)
            placed = True
        except OSError as e:  # the original stays in the store until the job's retention ends
            log.error("the original of job %s could not be moved out of the store: %s", job.job_id, e)
            placed = False
        names = ["ProcessedFiles", "ErrorFiles" if error else "SuccessFiles"]
        with db.write() as session:
            if repo.mark_delivered(session=session, job_id=job.job_id):
                counter_repo.increment(session=session, names=[repo.counter_name(folder.key, n) for n in names])
                webhooks.folder_file_done(
                    session=session,
                    folder_id=folder.key,
                    description=folder.description,
                    file_name=job.source_name,
                    job_id=job.job_id,
                    error=error,
                )
        if placed:
            files.delete_job(job.job_id)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _deliver_results(files: FileStore, folder: FolderDefinition, job: EndedJob, scratch: Path) -> str:
    """The job's results from the store into the output folder; "" or why they could not be delivered."""
    try:
        results = {
            ext: files.fetch(output_name(job.job_id, ext, run=job.run), scratch / "output") for ext in job.outputs
        }
        deliver.deliver(results, folder.output, job.source_name)
    except (OSError, NotFound) as e:
        reason = e.message if isinstance(e, NotFound) else str(e)
        log.error("results of job %s could not be delivered to %s: %s", job.job_id, folder.output, reason)
        return f"results could not be delivered: {reason}"
    return ""


def _place_original(original: Path, folder: FolderDefinition, name: str, error: str) -> None:
    """The original archived, deleted or kept as the folder says, or moved to error/ with the reason."""
    if error:
        deliver.fail(original, folder.output, name, error)
    elif folder.originals == "archive":
        deliver.archive(original, folder.output, name, when=datetime.now().astimezone())
    elif folder.originals == "keep":
        deliver.keep(original, folder.input, name)
    else:
        deliver.discard(original)


def _original(files: FileStore, job: EndedJob, scratch: Path) -> Path | None:
    """The file taken from the folder as a local file, or None when it was delivered already."""
    if not job.original:
        return None
    try:
        original = files.fetch(job.original, scratch / "input")
    except NotFound:
        return None
    return original if original.exists() else None


class Deliveries:
    """The thread that delivers the folder jobs of this server's folders as they end, every `every` seconds."""

    def __init__(self, *, settings: Settings, db: Database, files: FileStore, every: float) -> None:
        self.settings = settings
        self.db = db
        self.files = files
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ocrmill-folder-deliveries", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = deliver_ended(settings=self.settings, db=self.db, files=self.files)
            except OcrmillError as e:  # the database or the object store away: the jobs stay pending
                log.warning("folder results wait: %s", e.message)
                busy = 0
            except Exception:
                log.exception("delivering folder results failed; trying again later")
                busy = 0
            if not busy:
                self._stop.wait(self.every)
