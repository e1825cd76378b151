"""Each job's status document kept rendered (jobs.document, JSON text), so that the listings (`all`, `allbystatus`,
`query`, `templates`) send stored text instead of rendering every job in Python (issue 19.6).

The application renders it on every change of a job (store.jobs). The database keeps it from going out of date: a
trigger sets it NULL when an UPDATE changes a column the document shows without writing the document too, and the
listings render a NULL document themselves. So a path that forgets to render costs time, never a wrong answer.
Existing jobs are rendered here, a batch at a time.

Revision ID: 0010
"""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from alembic import op

from ocrmill.domain.job_document import job_json
from ocrmill.store.tables import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# what domain.job_document.job_public reads of a job
SHOWN = (
    "status, template_id, guid, created, modified, finished, scheduled, started, number_of_pages, is_template, "
    "user_name, error_description, file_uploaded, options, barcodes, removed_pages"
)
SQLITE = f"""CREATE TRIGGER jobs_document_stale AFTER UPDATE OF {SHOWN} ON jobs
             WHEN NEW.document IS OLD.document
             BEGIN UPDATE jobs SET document = NULL WHERE id = NEW.id; END"""
POSTGRES = (
    """CREATE FUNCTION jobs_document_stale() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.document := NULL; RETURN NEW; END $$""",
    f"""CREATE TRIGGER jobs_document_stale BEFORE UPDATE OF {SHOWN} ON jobs
        FOR EACH ROW WHEN (NEW.document IS NOT DISTINCT FROM OLD.document)
        EXECUTE FUNCTION jobs_document_stale()""",
)

BATCH = 1000
_jobs = sa.table(
    "jobs",
    sa.column("id", sa.Integer()),
    sa.column("document", sa.Text()),
    *(sa.column(name, sa.Integer()) for name in ("status", "template_id", "number_of_pages")),
    *(sa.column(name, sa.Boolean()) for name in ("is_template", "file_uploaded")),
    *(sa.column(name, sa.Text()) for name in ("guid", "user_name", "error_description")),
    *(sa.column(name, sa.JSON()) for name in ("options", "barcodes", "removed_pages")),
    *(sa.column(name, UtcDateTime()) for name in ("created", "modified", "finished", "scheduled", "started")),
)
_NEXT = sa.select(_jobs).where(_jobs.c.id > sa.bindparam("after")).order_by(_jobs.c.id).limit(BATCH)
_STORE = sa.update(_jobs).where(_jobs.c.id == sa.bindparam("job_id")).values(document=sa.bindparam("rendered"))


def upgrade() -> None:
    op.add_column("jobs", sa.Column("document", sa.Text(), nullable=True))
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        # A document (about 1.3 kB) is compressed in its row; lz4 gives it back in about two thirds of the time
        # pglz takes, which a listing of every job feels. A server built without lz4 keeps its default.
        with contextlib.suppress(sa.exc.DBAPIError), connection.begin_nested():
            connection.execute(sa.text("ALTER TABLE jobs ALTER COLUMN document SET COMPRESSION lz4"))
    after = 0
    while rows := list(connection.execute(_NEXT, {"after": after})):
        connection.execute(_STORE, [{"job_id": row.id, "rendered": job_json(row)} for row in rows])
        after = rows[-1].id
    if connection.dialect.name == "postgresql":
        for statement in POSTGRES:
            op.execute(sa.text(statement))
    else:
        op.execute(sa.text(SQLITE))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("DROP TRIGGER IF EXISTS jobs_document_stale ON jobs"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS jobs_document_stale()"))
    else:
        op.execute(sa.text("DROP TRIGGER IF EXISTS jobs_document_stale"))
    op.execute(sa.text("ALTER TABLE jobs DROP COLUMN document"))  # SQLite 3.35+: no copy of the table, triggers kept
