"""The full-text index of jobs (store.search): description, correlation id and recognised text.

SQLite: an FTS5 table and a trigger that removes a deleted job's row. PostgreSQL: a table with a generated tsvector
under a GIN index. Jobs that exist already are entered with their description and correlation id; their recognised
text is not read back from the file store (new conversions are indexed as they finish).

Revision ID: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

SQLITE = (
    """CREATE VIRTUAL TABLE job_search USING fts5(
           descr, correlation_id, body, tokenize = 'unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER job_search_forget AFTER DELETE ON jobs
       BEGIN DELETE FROM job_search WHERE rowid = old.id; END""",
    """INSERT INTO job_search (rowid, descr, correlation_id, body)
       SELECT id, coalesce(json_extract(options, '$.Descr'), ''), correlation_id, '' FROM jobs WHERE NOT is_template""",
)
# Punctuation splits words, as in SQLite's tokenizer and store.search.words, rather than making the parser's
# signed numbers, hosts, paths and e-mail addresses ("zebra-42" is then "zebra" and "42", not "zebra" and "-42")
WORDS = "regexp_replace({}, '[[:punct:]]+', ' ', 'g')"
POSTGRES = (
    """CREATE TABLE job_search (
           job_id integer PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
           descr text NOT NULL DEFAULT '',
           correlation_id text NOT NULL DEFAULT '',
           body text NOT NULL DEFAULT '',
           document tsvector GENERATED ALWAYS AS (
               setweight(to_tsvector('simple', {descr}), 'A') || setweight(to_tsvector('simple', {correlation_id}), 'A')
               || setweight(to_tsvector('simple', {body}), 'B')) STORED)""".format(
        **{column: WORDS.format(column) for column in ("descr", "correlation_id", "body")}
    ),
    "CREATE INDEX ix_job_search_document ON job_search USING gin (document)",
    """INSERT INTO job_search (job_id, descr, correlation_id)
       SELECT id, coalesce(options::json ->> 'Descr', ''), correlation_id FROM jobs WHERE NOT is_template""",
)


def upgrade() -> None:
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(sa.text(statement))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute(sa.text("DROP TRIGGER IF EXISTS job_search_forget"))
    op.execute(sa.text("DROP TABLE IF EXISTS job_search"))
