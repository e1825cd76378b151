"""Jobs made from files of OCR folders: the folder, and the claim that makes taking a file idempotent.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("folder_id", sa.String(36), nullable=False, server_default=""))
        batch.add_column(sa.Column("source_name", sa.String(1000), nullable=False, server_default=""))
        batch.add_column(sa.Column("folder_claim", sa.String(64), nullable=True))
        batch.create_index("ix_jobs_folder_id", ["folder_id"])
        batch.create_index("ix_jobs_folder_claim", ["folder_claim"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_folder_claim")
        batch.drop_index("ix_jobs_folder_id")
        batch.drop_column("folder_claim")
        batch.drop_column("source_name")
        batch.drop_column("folder_id")
