"""Searching past jobs by the words of their recognised text, description and correlation id: ranked hits, each
with the line that matched. Only the jobs the caller may see. Nothing here knows about HTTP."""

from __future__ import annotations

from dataclasses import dataclass

from ocrmill.errors import BadRequest
from ocrmill.service.auth.principal import Principal
from ocrmill.service.ocrjobs.document import JobView
from ocrmill.store import search as repo
from ocrmill.store.db import Database

MAX_QUERY = 1000  # characters of a query
# A query must hold a word: a letter or digit (store.search.words), as /openapi.json states it.
WORD_PATTERN = r"[^\W_]"
MAX_WORDS = 16
MAX_LIMIT = 100
SNIPPET_CHARS = 200
FIELDS = ("Text", "Descr", "CorrelationId")  # where a snippet comes from, in the order ties are broken


@dataclass(frozen=True)
class Found:
    job: JobView  # its row, read with the hit
    rank: float
    snippet: str
    field: str  # one of FIELDS


@dataclass(frozen=True)
class Results:
    total: int
    found: list[Found]
    more: bool = False  # more jobs match than the window ranked and counted: total is a lower bound


class JobSearch:
    def __init__(self, *, db: Database, window: int = repo.WINDOW) -> None:
        self.db = db
        self.window = window  # the newest matches ranked and counted

    def search(self, who: Principal, query: str, *, limit: int = 20, offset: int = 0) -> Results:
        wanted = query_words(query)
        with self.db.connection() as connection:
            hits, total, more = repo.search(
                session=connection,
                query=wanted,
                user_name=who.owner_filter,
                limit=max(1, min(limit, MAX_LIMIT)),
                offset=max(0, offset),
                window=self.window,
            )
        found = []
        for hit, job in hits:
            field, line = snippet(hit, wanted)
            found.append(Found(job=job, rank=hit.score, snippet=line, field=field))
        return Results(total=total, found=found, more=more)


def query_words(query: str) -> list[str]:
    """The words to look for; a query without any, or too long, is the caller's mistake."""
    if len(query) > MAX_QUERY:
        raise BadRequest(f"q: at most {MAX_QUERY} characters.")
    wanted = repo.words(query)
    if not wanted:
        raise BadRequest("q: give at least one word (letters or digits) to search for.")
    if len(wanted) > MAX_WORDS:
        raise BadRequest(f"q: at most {MAX_WORDS} different words.")
    return wanted


def snippet(hit: repo.Hit, wanted: list[str]) -> tuple[str, str]:
    """The field and line of the hit that hold the most of the query's words (as words or their starts), cut to
    about SNIPPET_CHARS around the first of them."""
    best: tuple[int, str, str] = (-1, FIELDS[0], "")
    for field, value in zip(FIELDS, (hit.body, hit.descr, hit.correlation_id), strict=True):
        for line in value.splitlines():
            folded = line.casefold()
            if best[0] >= 0 and not any(q in folded for q in wanted):
                continue  # no word of it starts with one of the query's: it scores 0, no better than the best
            line_words = repo.words(line)
            score = sum(any(w.startswith(q) for w in line_words) for q in wanted)
            if line_words and score > best[0]:  # ties: the earlier field, the earlier line
                best = (score, field, line.strip())
    _score, field, line = best
    return field, _around(line, wanted)


def _around(line: str, wanted: list[str]) -> str:
    if len(line) <= SNIPPET_CHARS:
        return line
    folded = line.casefold()
    first = min((i for i in (folded.find(w) for w in wanted) if i >= 0), default=0)
    start = max(0, min(first - SNIPPET_CHARS // 4, len(line) - SNIPPET_CHARS))
    cut = line[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + cut + ("…" if start + SNIPPET_CHARS < len(line) else "")
