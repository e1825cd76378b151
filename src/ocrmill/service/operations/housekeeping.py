"""Periodic work of every ocrmill process that owns a database connection: requeue jobs of dead
workers, forget dead workers, and delete jobs whose retention has expired."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from ocrmill.config import Settings
from ocrmill.domain.status import JobStatus
from ocrmill.errors import OcrmillError
from ocrmill.service import webhooks
from ocrmill.service.invoices.jobs import release_invoice_work
from ocrmill.store import invoices as invoice_repo
from ocrmill.store import jobs as repo
from ocrmill.store import webhooks as webhook_repo
from ocrmill.store import workers as worker_repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.files import FileStore, open_files, settle_run

log = logging.getLogger("ocrmill.housekeeping")


def release_jobs(
    db: Database,
    settings: Settings,
    *,
    job_ids: list[int],
    reason: str,
    counted: bool = True,
    stale_before: datetime | None = None,
) -> None:
    """Jobs whose worker died: back to the queue, or Error once they used all their attempts (a folder job's file
    then goes to its folder's error/ with the reason, by the folder's server, as if the job had failed itself).
    Jobs handed back by a stopping server are not `counted` as attempts."""
    files = open_files(settings)
    for job_id in job_ids:
        with db.write() as session:
            outcome = repo.release_job(
                session=session,
                job_id=job_id,
                now=utcnow(),
                reason=reason,
                max_attempts=settings.max_attempts,
                counted=counted,
                stale_before=stale_before,
            )
            if outcome is JobStatus.ERROR:
                webhooks.job_ended(session=session, job_id=job_id)
                worker_repo.increment(session=session, names=["ProcessedFiles", "ErrorFiles"])
        if outcome is not None:
            log.warning("job %s: %s; now %s", job_id, reason, outcome.name.capitalize())
        if outcome is JobStatus.ERROR:  # what its runs stored half-way is nobody's
            settle_run(files, f"jobs/{job_id}", "", won=False, ended=True)


def requeue_stale(db: Database, settings: Settings) -> None:
    before = utcnow() - timedelta(seconds=settings.heartbeat_timeout_seconds)
    with db.write() as session:
        stale = repo.stale_jobs(session=session, before=before)
        worker_repo.remove_workers(
            session=session, worker_ids=worker_repo.stale_workers(session=session, before=before)
        )
    release_jobs(db, settings, job_ids=stale, reason="its worker stopped sending heartbeats", stale_before=before)
    with db.write() as session:
        pages, splits = invoice_repo.stale(session=session, before=before)
    if pages or splits:
        release_invoice_work(
            db, settings, page_ids=pages, job_ids=splits, reason="its worker stopped sending heartbeats"
        )


def sweep_expired(db: Database, files: FileStore) -> int:
    with db.write() as session:
        ids = repo.delete_expired(session=session, now=utcnow())
    for job_id in ids:
        try:
            files.delete_job(job_id)
        except OcrmillError as e:  # the object store away: the others are still deleted
            log.error("retention: the files of deleted job %s were left in the store: %s", job_id, e.message)
    if ids:
        log.info("retention: deleted %d expired job(s)", len(ids))
    return len(ids)


def prune_deliveries(db: Database, settings: Settings) -> int:
    """Webhook deliveries are kept as long as the longest-kept job: delivered or given up longer ago, they go."""
    before = utcnow() - timedelta(seconds=settings.max_retention_days * settings.retention_day_seconds)
    with db.write() as session:
        count = webhook_repo.delete_finished(session=session, before=before)
    if count:
        log.info("retention: deleted %d finished webhook deliveries", count)
    return count


class Housekeeper:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.files = open_files(settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="housekeeping", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        retention_every = self.settings.retention_check_hours * 3600
        tick = min(retention_every, max(0.5, self.settings.heartbeat_timeout_seconds / 4), 5.0)
        next_retention = time.monotonic()
        while not self._stop.is_set():
            try:
                requeue_stale(self.db, self.settings)
                if time.monotonic() >= next_retention:
                    sweep_expired(self.db, self.files)
                    prune_deliveries(self.db, self.settings)
                    next_retention = time.monotonic() + retention_every
            except Exception:
                log.exception("housekeeping failed; trying again later")
            self._stop.wait(tick)
