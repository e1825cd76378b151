"""Webhooks: endpoints users register, the outbox of deliveries (written in the transaction of the status change
that makes them) with each attempt, and the server's key that per-job callback secrets are derived from.

Revision ID: 0007
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

from ocrmill.store.tables import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("all_users", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("description", sa.String(1000), nullable=False, server_default=""),
        sa.Column("created", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_webhooks_owner", "webhooks", ["owner"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("webhook_id", sa.Integer(), sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt", UtcDateTime(), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("sender", sa.String(100), nullable=False, server_default=""),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("finished", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_webhook_deliveries_queue", "webhook_deliveries", ["state", "next_attempt"])
    op.create_index("ix_webhook_deliveries_webhook_id", "webhook_deliveries", ["webhook_id"])
    op.create_index("ix_webhook_deliveries_owner", "webhook_deliveries", ["owner", "created"])
    op.create_index("ix_webhook_deliveries_created", "webhook_deliveries", ["created"])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_id", sa.String(36), sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("milliseconds", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id"])
    keys = op.create_table(
        "server_keys",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.bulk_insert(keys, [{"name": "callback", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_table("server_keys")
