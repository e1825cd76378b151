"""Which run's outputs are a job's (`output_run`, written in the transaction that makes the job Converted), and
which folder jobs still wait for their results to be delivered to their folder (`folder_pending`).

A worker uploads its outputs under jobs/<id>/runs/<run>/; a run that lost its job (frozen past the heartbeat
timeout, its job taken by another worker) or died half-way never becomes the job's. Jobs converted before this
revision keep "" and their outputs under jobs/<id>/output/. ADD COLUMN, not a batch (a copied table): SQLite would
lose the job_counts triggers of 0008 with the old table.

Revision ID: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("output_run", sa.String(32), nullable=False, server_default=""))
    op.add_column("jobs", sa.Column("folder_pending", sa.Boolean(), nullable=False, server_default=sa.false()))
    # folder jobs under way at the upgrade are delivered by the folder's server once they end (those that ended
    # before it were delivered by their worker)
    op.execute(
        sa.text("UPDATE jobs SET folder_pending = :yes WHERE folder_id <> '' AND status IN (0, 1, 2)").bindparams(
            yes=True
        )
    )
    op.create_index("ix_jobs_folder_pending", "jobs", ["folder_pending"])


def downgrade() -> None:
    op.drop_index("ix_jobs_folder_pending", table_name="jobs")
    op.drop_column("jobs", "folder_pending")  # SQLite 3.35+ drops a column in place, keeping the triggers
    op.drop_column("jobs", "output_run")
