"""The queue's SQL, static and named. Claims are one statement each."""

from __future__ import annotations

from sqlalchemy import Integer, String, TextClause, bindparam, text

from ocrmill.store.tables import UtcDateTime


def _bind(sql: str) -> TextClause:
    return text(sql).bindparams(
        bindparam("now", type_=UtcDateTime()),
        bindparam("worker", type_=String()),
    )


_CLAIM_JOB = """
    UPDATE jobs
       SET status = 2, worker_id = :worker, started = :now, heartbeat = :now, modified = :now,
           attempts = attempts + 1
     WHERE id = (SELECT id FROM jobs
                  WHERE status = 1
                  ORDER BY scheduled, id
                  LIMIT 1
                  {lock})
    RETURNING id
"""

# PostgreSQL: concurrent claimers skip each other's locked rows.
CLAIM_JOB_POSTGRES = _bind(_CLAIM_JOB.format(lock="FOR UPDATE SKIP LOCKED"))
# SQLite: the writer already holds the database's write lock (BEGIN IMMEDIATE), so no row locks.
CLAIM_JOB_SQLITE = _bind(_CLAIM_JOB.format(lock=""))

HEARTBEAT_JOB = _bind(
    "UPDATE jobs SET heartbeat = :now WHERE id = :job_id AND worker_id = :worker AND status = 2"
).bindparams(bindparam("job_id", type_=Integer()))

# PostgreSQL: tell listening supervisors on every machine that work is waiting (sent on commit).
JOBS_CHANNEL = "ocrmill_jobs"
NOTIFY_SCHEDULED = text(f"SELECT pg_notify('{JOBS_CHANNEL}', '')")

# PostgreSQL: every counter row of job_counts, in key order (see store.jobs.delete_expired).
LOCK_JOB_COUNTS = text("SELECT 1 FROM job_counts ORDER BY user_name, is_template, status FOR UPDATE")
