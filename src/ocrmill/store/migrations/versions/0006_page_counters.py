"""Counters of converted pages and their processing time (the /metrics histogram of seconds a page).

Revision ID: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# store.workers.PAGE_COUNTERS as this migration made them
NAMES = (
    "PagesConverted", "PageMilliseconds", "PageSecondsLe0.5", "PageSecondsLe1", "PageSecondsLe2", "PageSecondsLe4",
    "PageSecondsLe8", "PageSecondsLe16", "PageSecondsLe32", "PageSecondsLe64",
)  # fmt: skip


def upgrade() -> None:
    counters = sa.table("counters", sa.column("name", sa.String(100)), sa.column("value", sa.BigInteger()))
    op.bulk_insert(counters, [{"name": n, "value": 0} for n in NAMES])


def downgrade() -> None:
    counters = sa.table("counters", sa.column("name", sa.String(100)))
    op.execute(counters.delete().where(counters.c.name.in_(NAMES)))
