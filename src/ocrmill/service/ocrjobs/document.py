"""A job's status document (rendered by domain.job_document), and what the service reads a job as."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from ocrmill.domain.job_document import UNSET_DATE, iso, job_json, job_public
from ocrmill.store.tables import Job

__all__ = ["UNSET_DATE", "JobView", "iso", "job_json", "job_public", "stored_json"]

# A job read for display: the ORM object, or a row with the same attribute names.
JobView = Job | Row[Any]


def stored_json(job: JobView) -> str:
    """The job's status document as JSON text: as stored (jobs.document), or rendered here where it is not (NULL)."""
    return job.document if job.document is not None else job_json(job)
