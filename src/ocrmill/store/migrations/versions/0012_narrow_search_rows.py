"""PostgreSQL's search index (job_search, migration 0008) made narrow, and its rows told whose job they are.

A common word matches a good part of all jobs; the search reads the row of every match to learn its job id (a GIN
index gives rows, not ids in order). With the recognised text in the row, about 9 rows filled a heap page, so
10,000 matches of 100,000 jobs meant reading 9,927 of its 10,580 pages. Here each row keeps its long values in TOAST
(toast_tuple_target = 128): about 75 rows a page (1,324 pages); a tsvector is fetched from TOAST only for the
newest matches, which are ranked. user_name (a job's owner never changes) lets a
user's search pass over other users' matches without looking up each one's job. The GIN index takes each job's
words at once (fastupdate off), not into a pending list (up to 4 MB) that every search reads through until a
vacuum merges it: with 300 new jobs pending, a rare word's search read 6,975 pages instead of 55. Entering a job's
text costs the index's update once instead.

The table is built anew (a rewrite in place would keep its rows as they are stored) and the existing rows copied,
their tsvector computed again. SQLite's FTS5 index is not changed.

Revision ID: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# as in migration 0008: punctuation splits words; description and correlation id weighted A, text B
_WORDS = "regexp_replace({}, '[[:punct:]]+', ' ', 'g')"
_DOCUMENT = (
    "setweight(to_tsvector('simple', {descr}), 'A') || setweight(to_tsvector('simple', {correlation_id}), 'A') "
    "|| setweight(to_tsvector('simple', {body}), 'B')"
).format(**{column: _WORDS.format(column) for column in ("descr", "correlation_id", "body")})
POSTGRES = (
    f"""CREATE TABLE job_search_narrow (
            job_id integer PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
            user_name varchar(200) NOT NULL,
            descr text NOT NULL DEFAULT '',
            correlation_id text NOT NULL DEFAULT '',
            body text NOT NULL DEFAULT '',
            document tsvector GENERATED ALWAYS AS ({_DOCUMENT}) STORED)
        WITH (toast_tuple_target = 128)""",
    """INSERT INTO job_search_narrow (job_id, user_name, descr, correlation_id, body)
       SELECT s.job_id, j.user_name, s.descr, s.correlation_id, s.body
         FROM job_search AS s JOIN jobs AS j ON j.id = s.job_id ORDER BY s.job_id""",
    "DROP TABLE job_search",
    "ALTER TABLE job_search_narrow RENAME TO job_search",
    "ALTER INDEX job_search_narrow_pkey RENAME TO job_search_pkey",
    "ALTER TABLE job_search RENAME CONSTRAINT job_search_narrow_job_id_fkey TO job_search_job_id_fkey",
    "CREATE INDEX ix_job_search_document ON job_search USING gin (document) WITH (fastupdate = off)",
    "ANALYZE job_search",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES:
            op.execute(sa.text(statement))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("ALTER TABLE job_search DROP COLUMN user_name"))
        op.execute(sa.text("ALTER TABLE job_search RESET (toast_tuple_target)"))
        op.execute(sa.text("ALTER INDEX ix_job_search_document RESET (fastupdate)"))
