"""The full-text index of jobs (store.search): description, correlation id and recognised text; and the jobs
counted per user, kind and status (job_counts), kept up to date by triggers, so that counts cost the same at any size.

SQLite: an FTS5 table and a trigger that removes a deleted job's row. PostgreSQL: a table with a generated tsvector
under a GIN index. Jobs that exist already are entered with their description and correlation id; their recognised
text is not read back from the file store (new conversions are indexed as they finish).

Revision ID: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
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


# -- job_counts: one row per (user_name, is_template, status) with its number of jobs ---------------------------
_KEY = "user_name, is_template, status"
COUNTS_TABLE = f"""CREATE TABLE job_counts (
    user_name varchar(200) NOT NULL, is_template boolean NOT NULL, status integer NOT NULL, n bigint NOT NULL,
    PRIMARY KEY ({_KEY}))"""
COUNTS_FILL = f"INSERT INTO job_counts ({_KEY}, n) SELECT {_KEY}, count(*) FROM jobs GROUP BY {_KEY}"
_ADD = f"""INSERT INTO job_counts ({_KEY}, n) VALUES (NEW.user_name, NEW.is_template, NEW.status, 1)
           ON CONFLICT ({_KEY}) DO UPDATE SET n = job_counts.n + 1"""
_TAKE = """UPDATE job_counts SET n = n - 1
            WHERE user_name = OLD.user_name AND is_template = OLD.is_template AND status = OLD.status"""
_CHANGED = "OLD.status <> NEW.status OR OLD.user_name <> NEW.user_name OR OLD.is_template <> NEW.is_template"
SQLITE_COUNTS = (
    COUNTS_TABLE,
    COUNTS_FILL,
    f"CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs BEGIN {_ADD}; END",
    f"CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs BEGIN {_TAKE}; END",
    f"""CREATE TRIGGER job_counts_update AFTER UPDATE OF {_KEY} ON jobs WHEN {_CHANGED}
        BEGIN {_TAKE}; {_ADD}; END""",
)
# PostgreSQL: a transaction that moves a job takes the two counter rows in key order, so that two moves (a claim
# and a release of one user's jobs) never wait for each other crosswise.
POSTGRES_COUNTS = (
    COUNTS_TABLE,
    COUNTS_FILL,
    f"""CREATE FUNCTION job_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN {_ADD};
          ELSIF TG_OP = 'DELETE' THEN {_TAKE};
          ELSIF (OLD.user_name, OLD.is_template, OLD.status) < (NEW.user_name, NEW.is_template, NEW.status) THEN
            {_TAKE}; {_ADD};
          ELSE
            {_ADD}; {_TAKE};
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER job_counts_insert_delete AFTER INSERT OR DELETE ON jobs
       FOR EACH ROW EXECUTE FUNCTION job_counts_change()""",
    f"""CREATE TRIGGER job_counts_update AFTER UPDATE OF {_KEY} ON jobs
       FOR EACH ROW WHEN ({_CHANGED}) EXECUTE FUNCTION job_counts_change()""",
)


# The listings read along the primary key a batch at a time (service.ocrjobs.jobs.batches): these let each batch
# start where the last ended, where an index on is_template alone would have every batch sort all the jobs again.
LISTING_INDEXES = {
    "ix_jobs_listing": ["is_template", "id"],
    "ix_jobs_user_listing": ["user_name", "is_template", "id"],
    "ix_jobs_status_listing": ["status", "is_template", "id"],
}


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in (POSTGRES + POSTGRES_COUNTS) if postgres else (SQLITE + SQLITE_COUNTS):
        op.execute(sa.text(statement))
    for name, columns in LISTING_INDEXES.items():
        op.create_index(name, "jobs", columns)


def downgrade() -> None:
    for name in LISTING_INDEXES:
        op.drop_index(name, table_name="jobs")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("DROP TRIGGER IF EXISTS job_counts_insert_delete ON jobs"))
        op.execute(sa.text("DROP TRIGGER IF EXISTS job_counts_update ON jobs"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS job_counts_change()"))
    else:
        for trigger in ("job_search_forget", "job_counts_insert", "job_counts_delete", "job_counts_update"):
            op.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger}"))
    op.execute(sa.text("DROP TABLE IF EXISTS job_counts"))
    op.execute(sa.text("DROP TABLE IF EXISTS job_search"))
