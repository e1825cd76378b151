from __future__ import annotations

from alembic import context

from ocrmill.store.tables import Base

# ocrmill.store.migrate hands over an open connection; Alembic's own CLI is not used.
connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
