"""The job server's tables.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ocrmill.store.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("guid", sa.String(36), nullable=False),
        sa.Column("template_id", sa.Integer, nullable=False),
        sa.Column("is_template", sa.Boolean, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error_description", sa.Text, nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("correlation_id", sa.String(4000), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("barcodes", sa.JSON, nullable=False),
        sa.Column("number_of_pages", sa.Integer, nullable=False),
        sa.Column("file_uploaded", sa.Boolean, nullable=False),
        sa.Column("outputs", sa.JSON, nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("modified", UtcDateTime(), nullable=False),
        sa.Column("scheduled", UtcDateTime(), nullable=True),
        sa.Column("started", UtcDateTime(), nullable=True),
        sa.Column("finished", UtcDateTime(), nullable=True),
        sa.Column("expires", UtcDateTime(), nullable=True),
        sa.Column("worker_id", sa.String(100), nullable=False),
        sa.Column("heartbeat", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_index("ix_jobs_guid", "jobs", ["guid"], unique=True)
    op.create_index("ix_jobs_is_template", "jobs", ["is_template"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_jobs_user_name", "jobs", ["user_name"])
    op.create_index("ix_jobs_correlation_id", "jobs", ["correlation_id"])
    op.create_index("ix_jobs_created", "jobs", ["created"])
    op.create_index("ix_jobs_scheduled", "jobs", ["scheduled"])
    op.create_index("ix_jobs_expires", "jobs", ["expires"])
    op.create_index("ix_jobs_worker_id", "jobs", ["worker_id"])
    op.create_index("ix_jobs_queue", "jobs", ["status", "scheduled", "id"])

    op.create_table(
        "job_files",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("ext", sa.String(10), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_job_files_job_id", "job_files", ["job_id"])

    op.create_table(
        "users",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("can_enum_folders", sa.Boolean, nullable=False),
        sa.Column("can_post_folders", sa.Boolean, nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started", UtcDateTime(), nullable=False),
        sa.Column("heartbeat", UtcDateTime(), nullable=False),
        sa.Column("job_id", sa.Integer, nullable=False),
    )
    op.create_index("ix_workers_heartbeat", "workers", ["heartbeat"])
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(counters, [{"name": n, "value": 0} for n in ("ProcessedFiles", "SuccessFiles", "ErrorFiles")])


def downgrade() -> None:
    for table in ("counters", "workers", "users", "job_files", "jobs"):
        op.drop_table(table)
