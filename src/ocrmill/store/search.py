"""The full-text index of jobs: their description, correlation id and recognised text, and the search over it.

SQLite: an FTS5 table (job_search, rowid = job id), ranked by bm25; a trigger drops a job's row with the job.
PostgreSQL: a table with a generated tsvector (description and correlation id weighted A, text B) under a GIN
index, ranked by ts_rank, and the job's owner; rows go with their job (ON DELETE CASCADE). Both made by migration
0008; migration 0012 keeps PostgreSQL's rows narrow (long values in TOAST). Templates are not indexed. Queries are
words: each must occur (as a word or the start of one) in one of the three fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Float,
    Integer,
    Row,
    Select,
    String,
    Text,
    TextClause,
    bindparam,
    select,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from ocrmill.store.tables import Job

# A job's text beyond this is left out of the index (PostgreSQL's tsvector holds at most 1 MB).
MAX_TEXT = 500_000
_WORDS = re.compile(r"[^\W_]+")


def words(query: str) -> list[str]:
    """The words of a search query, lower-cased, without repeats: punctuation and operators are not syntax."""
    return list(dict.fromkeys(w.casefold() for w in _WORDS.findall(query)))


_TYPES: dict[str, TypeEngine[Any]] = {"job_id": Integer(), "descr": Text(), "correlation_id": Text(), "body": Text()}


def _typed(sql: str) -> TextClause:
    return text(sql).bindparams(*(bindparam(name, type_=kind) for name, kind in _TYPES.items() if f":{name}" in sql))


_SQLITE_FORGET = _typed("DELETE FROM job_search WHERE rowid = :job_id")
_SQLITE_ENTER = _typed(
    "INSERT INTO job_search (rowid, descr, correlation_id, body) VALUES (:job_id, :descr, :correlation_id, '')"
)
_SQLITE_TEXT = _typed("UPDATE job_search SET body = :body WHERE rowid = :job_id")
_POSTGRES_ENTER = _typed(
    """INSERT INTO job_search (job_id, user_name, descr, correlation_id, body)
       SELECT id, user_name, :descr, :correlation_id, '' FROM jobs WHERE id = :job_id
       ON CONFLICT (job_id) DO UPDATE SET descr = excluded.descr, correlation_id = excluded.correlation_id"""
)
_POSTGRES_TEXT = _typed("UPDATE job_search SET body = :body WHERE job_id = :job_id")

_SEARCH_BINDS = (
    bindparam("match", type_=String()),
    bindparam("everyone", type_=Boolean()),
    bindparam("user", type_=String()),
    bindparam("limit", type_=Integer()),
    bindparam("offset", type_=Integer()),
)
# A common word matches a good part of all jobs; ranking and counting every match would cost as much as reading
# them all. So the newest WINDOW matches (SQLite's index gives them in job id order, newest first; PostgreSQL's
# gives the matches unordered, and only their ids are sorted) are the ones ranked and counted: a search finds the
# best of those, and its total stops at WINDOW.
WINDOW = 1000
_WINDOW_BINDS = (*_SEARCH_BINDS[:3], bindparam("window", type_=Integer()))
# (an index row goes with its job, by a trigger on SQLite and a foreign key on PostgreSQL; on SQLite jobs is read
# only to find a user's jobs, PostgreSQL's rows hold the owner)
_OWNED_SQLITE = "(:everyone OR EXISTS (SELECT 1 FROM jobs WHERE jobs.id = job_search.rowid AND jobs.user_name = :user))"
_WINDOW_SQLITE = f"""SELECT job_search.rowid AS job_id, bm25(job_search, 4.0, 4.0, 1.0) AS cost FROM job_search
                     WHERE job_search MATCH :match AND {_OWNED_SQLITE}
                     ORDER BY job_search.rowid DESC LIMIT :window"""
# bm25 is smaller for better matches; its column weights favour the description and correlation id. The page is
# cut from the ranked window before the fields are read: only its rows' text is fetched, not every match's.
_RANKED_SQLITE = text(
    f"""SELECT c.job_id, -c.cost AS score, s.descr AS found_descr, s.correlation_id AS found_correlation_id,
               s.body AS found_body
          FROM (SELECT job_id, cost FROM ({_WINDOW_SQLITE}) ORDER BY cost, job_id DESC
                 LIMIT :limit OFFSET :offset) AS c
          JOIN job_search AS s ON s.rowid = c.job_id"""
).bindparams(*_SEARCH_BINDS, _WINDOW_BINDS[-1])
COUNT_SQLITE = text(
    f"""SELECT count(*) FROM (SELECT job_search.rowid FROM job_search
                                WHERE job_search MATCH :match AND {_OWNED_SQLITE} LIMIT :window)"""
).bindparams(*_WINDOW_BINDS)
# The query's words as PostgreSQL's parser splits them (the same parser that made the index), each a prefix
_TSQUERY = """to_tsquery('simple', array_to_string(array(
                 SELECT quote_literal(lexeme) || ':*' FROM unnest(to_tsvector('simple', :match))), ' & '))"""
_OWNED_POSTGRES = "(:everyone OR s.user_name = :user)"
# Every match is found through the GIN index (a bitmap of rows, each read for its job id, which the narrow rows make
# cheap): the matches are a subquery of their own (OFFSET 0, or a CTE), planned to be read in full, so that the
# planner cannot instead read the primary key backwards, testing each row for the words until it has the window: it
# does not count fetching a tsvector from TOAST to test it, and for a rare word that reads every row.
_MATCHES_POSTGRES = f"job_search AS s, q WHERE s.document @@ q.q AND {_OWNED_POSTGRES}"
# The window (up to window + 1 rows, for the count) is read once, for the ranking and for the count. Its rows carry
# the tsvector as it is stored (a TOAST pointer): only the window's are fetched, to rank them, with no second lookup
# of a row by its job id. (Carrying the fields of the snippet too would make the sort that cuts the window, through
# which every match passes, slower than looking up the page's rows again.) A page past the last hit has no row to
# carry the count: COUNT_POSTGRES.
_RANKED_POSTGRES = text(
    f"""WITH q AS MATERIALIZED (SELECT {_TSQUERY} AS q),
             w AS MATERIALIZED (SELECT * FROM (SELECT s.job_id, s.document FROM {_MATCHES_POSTGRES} OFFSET 0) AS f
                                 ORDER BY job_id DESC LIMIT :window + 1),
             best AS (SELECT c.job_id, ts_rank(c.document, q.q) AS score
                        FROM (SELECT * FROM w ORDER BY job_id DESC LIMIT :window) AS c, q
                       ORDER BY score DESC, c.job_id DESC
                       LIMIT :limit OFFSET :offset)
        SELECT b.job_id, b.score, s.descr AS found_descr, s.correlation_id AS found_correlation_id,
               s.body AS found_body, (SELECT count(*) FROM w) AS counted
          FROM best AS b JOIN job_search AS s ON s.job_id = b.job_id"""
).bindparams(*_SEARCH_BINDS, _WINDOW_BINDS[-1])
COUNT_POSTGRES = text(
    f"""WITH q AS MATERIALIZED (SELECT {_TSQUERY} AS q),
             found AS MATERIALIZED (SELECT s.job_id FROM {_MATCHES_POSTGRES})
        SELECT count(*) FROM (SELECT job_id FROM found LIMIT :window) AS c"""
).bindparams(*_WINDOW_BINDS)

_HIT_TYPES: dict[str, TypeEngine[Any]] = {
    "job_id": Integer(),
    "score": Float(),
    "found_descr": Text(),
    "found_correlation_id": Text(),
    "found_body": Text(),
}


def _with_jobs(ranked: TextClause, **more: TypeEngine[Any]) -> Select[Any]:
    """The page of hits and their jobs' rows (every column of jobs), best first, read with one statement: the hits'
    fields are named found_* (jobs has a correlation_id of its own)."""
    hit = ranked.columns(**_HIT_TYPES, **more).subquery("hit")
    jobs = Job.__table__
    return (
        select(hit, jobs)
        .select_from(hit.join(jobs, jobs.c.id == hit.c.job_id))
        .order_by(hit.c.score.desc(), hit.c.job_id.desc())
    )


SEARCH_SQLITE = _with_jobs(_RANKED_SQLITE)
SEARCH_POSTGRES = _with_jobs(_RANKED_POSTGRES, counted=BigInteger())


@dataclass(frozen=True)
class Hit:
    job_id: int
    score: float
    descr: str
    correlation_id: str
    body: str


def _is_postgres(session: Session | Connection) -> bool:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name == "postgresql"


def enter_job(*, session: Session | Connection, job_id: int, descr: str, correlation_id: str) -> None:
    """A job's description and correlation id into the index (a new job, or new options of a Created one)."""
    values = {"job_id": job_id, "descr": descr, "correlation_id": correlation_id}
    if _is_postgres(session):
        session.execute(_POSTGRES_ENTER, values)
        return
    session.execute(_SQLITE_FORGET, values)
    session.execute(_SQLITE_ENTER, values)


def enter_text(*, session: Session | Connection, job_id: int, body: str) -> None:
    """A converted job's recognised text into the index."""
    statement = _POSTGRES_TEXT if _is_postgres(session) else _SQLITE_TEXT
    session.execute(statement, {"job_id": job_id, "body": body[:MAX_TEXT]})


def _match(session: Session | Connection, query: list[str]) -> str:
    if _is_postgres(session):
        return " ".join(query)
    return " ".join(f'"{word}"*' for word in query)  # words are letters and digits: nothing to escape


def search(
    *,
    session: Session | Connection,
    query: list[str],
    user_name: str | None,
    limit: int,
    offset: int,
    window: int = WINDOW,
) -> tuple[list[tuple[Hit, Row[Any]]], int, bool]:
    """The best `limit` jobs (after `offset`) of the newest `window` jobs whose fields hold every word of `query`,
    best first, each with its row of the jobs table (the same names as Job's attributes); how many jobs match,
    counted up to `window`; and whether more than `window` match (the total is then `window`). `user_name` None
    searches every user's jobs."""
    postgres = _is_postgres(session)
    values = {"match": _match(session, query), "everyone": user_name is None, "user": user_name or ""}
    rows = session.execute(
        SEARCH_POSTGRES if postgres else SEARCH_SQLITE,
        values | {"limit": limit, "offset": offset, "window": window},
    ).all()
    hits = [
        (Hit(int(r.job_id), float(r.score), r.found_descr or "", r.found_correlation_id or "", r.found_body or ""), r)
        for r in rows
    ]
    if postgres and (rows or offset == 0):
        total = int(rows[0].counted) if rows else 0
        return hits, min(total, window), total > window
    if offset == 0 and len(hits) < limit and len(hits) < window:  # all there are
        return hits, len(hits), False
    counted = session.execute(COUNT_POSTGRES if postgres else COUNT_SQLITE, values | {"window": window + 1})
    total = int(counted.scalar_one())
    return hits, min(total, window), total > window
