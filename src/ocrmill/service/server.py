"""Server-wide facts: identity, languages, statistics and load."""

from __future__ import annotations

import uuid
from datetime import timedelta
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import psutil

from ocrmill.config import Settings
from ocrmill.domain.status import JobStatus
from ocrmill.store import folders as folder_repo
from ocrmill.store import jobs as job_repo
from ocrmill.store import workers as worker_repo
from ocrmill.store.db import Database, utcnow


def version() -> str:
    return "v" + package_version("ocrmill")


def server_guid(data_dir: Path) -> str:
    """Stable per installation: made once and kept in the data folder."""
    path = data_dir / "server.guid"
    try:
        return str(uuid.UUID(path.read_text().strip()))
    except (OSError, ValueError):
        data_dir.mkdir(parents=True, exist_ok=True)
        value = str(uuid.uuid4())
        tmp = path.with_suffix(".tmp")
        tmp.write_text(value + "\n")
        tmp.replace(path)
        return value


class ServerInfo:
    def __init__(self, *, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.guid = server_guid(settings.data_dir)
        psutil.cpu_percent()  # the first call only starts the measurement

    def stats(self) -> dict[str, int]:
        with self.db.read() as session:
            counts = job_repo.count_by_status(session=session)
            counters = worker_repo.counters(session=session)
        return {
            "ProcessingFiles": counts.get(JobStatus.SCHEDULED, 0) + counts.get(JobStatus.CONVERTING, 0),
            "ProcessedFiles": counters.get("ProcessedFiles", 0),
            "SuccessFiles": counters.get("SuccessFiles", 0),
            "ErrorFiles": counters.get("ErrorFiles", 0),
        }

    def load(self) -> dict[str, Any]:
        since = utcnow() - timedelta(seconds=self.settings.heartbeat_timeout_seconds)
        with self.db.read() as session:
            counts = job_repo.count_by_status(session=session)
            files = job_repo.files_by_status(
                session=session, statuses=[int(JobStatus.SCHEDULED), int(JobStatus.CONVERTING)]
            )
            threads = len(worker_repo.live_workers(session=session, since=since))
            folder_jobs = folder_repo.converting_folder_jobs(session=session)
        converting = counts.get(JobStatus.CONVERTING, 0)
        load = round(100 * min(converting, threads) / threads) if threads else 0
        folder_threads = self.settings.folders_threads if self.settings.folders else 0
        folder_load = round(100 * min(folder_jobs, folder_threads) / folder_threads) if folder_threads else 0
        real = round(psutil.cpu_percent())
        return {
            "Name": self.settings.server_name,
            "Version": version(),
            "OverallFilesInProcessing": files.get(JobStatus.CONVERTING, 0),
            "JobsInProcessing": converting,
            "FilesInProcessing": files.get(JobStatus.CONVERTING, 0),
            "ScheduledJobs": counts.get(JobStatus.SCHEDULED, 0),
            "ScheduledFiles": files.get(JobStatus.SCHEDULED, 0),
            "FoldersThreads": folder_threads,
            "JobsThreads": threads,
            "LoadPercent": load,
            "RealLoadPercent": real,
            "JobsLoadPercent": load,
            "JobsRealLoadPercent": real,
            "FoldersLoadPercent": folder_load,
            "FoldersRealLoadPercent": real if folder_jobs else 0,
        }
