"""OCR invoice jobs and their pages.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ocrmill.store.tables import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_jobs",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("user_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("split_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("worker_id", sa.String(100), nullable=False, server_default=""),
        sa.Column("heartbeat", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    for column in ("user_name", "status", "split_pending", "worker_id", "created_at", "updated_at"):
        op.create_index(f"ix_invoice_jobs_{column}", "invoice_jobs", [column])
    op.create_table(
        "invoice_pages",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("job_id", sa.String(24), sa.ForeignKey("invoice_jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("page_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("engine", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("retry_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("not_before", UtcDateTime(), nullable=True),
        sa.Column("worker_id", sa.String(100), nullable=False, server_default=""),
        sa.Column("heartbeat", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    for column in ("job_id", "status", "worker_id", "created_at", "updated_at"):
        op.create_index(f"ix_invoice_pages_{column}", "invoice_pages", [column])
    op.create_index("ux_invoice_pages_job_number", "invoice_pages", ["job_id", "page_number"], unique=True)
    op.create_index("ix_invoice_pages_queue", "invoice_pages", ["status", "not_before", "created_at"])


def downgrade() -> None:
    op.drop_table("invoice_pages")
    op.drop_table("invoice_jobs")
