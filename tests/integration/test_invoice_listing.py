"""The invoice jobs list along its indexed columns (migration 0009): sorted and filtered on the properties the
database generates from each job's document, with the `total` the counter triggers keep, gives the answers the
documents themselves give (compared here with sorting and filtering the documents in Python). The documents are
rewritten in the database behind the server's back, as a worker's writes would, to show the columns follow them.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.harness import Server
from tests.invoice_api import listed, new_job, ok, v1

SORTS = ["createdAt", "updatedAt", "fileName", "qualityScore", "status", "_id", "pageCount"]


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    with v1(server) as client:
        yield client


@pytest.fixture(scope="module")
def docs(server: Server, api: httpx.Client) -> list[dict[str, Any]]:
    """Twelve jobs; their file names, quality scores (some missing) and statuses set in the database."""
    rng = random.Random(19)
    ids = [new_job(api, name=f"job {n}")["_id"] for n in range(12)]
    url = server.env.get("OCRMILL_DATABASE_URL") or f"sqlite:///{server.data_dir / 'ocrmill.db'}"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for n, job_id in enumerate(ids):
                doc = ok(api.get(f"/ocr-invoice-jobs/{job_id}"))
                doc |= {
                    "fileName": None if n == 3 else f"scan-{rng.choice('abc')}{n % 4}.pdf",
                    "qualityScore": None if n % 5 == 0 else round(rng.random(), 2),
                    "status": ["pending", "processing", "completed", "failed"][n % 4],
                }
                if n == 7:
                    del doc["qualityScore"]
                connection.execute(
                    text("UPDATE invoice_jobs SET doc = :doc, status = :status WHERE id = :id"),
                    {"doc": json.dumps(doc), "status": doc["status"], "id": job_id},
                )
    finally:
        engine.dispose()
    deleted = new_job(api, name="deleted")["_id"]  # counted in, then out
    ok(api.delete(f"/ocr-invoice-jobs/{deleted}"))
    return [ok(api.get(f"/ocr-invoice-jobs/{job_id}")) for job_id in ids]


def reference(docs: list[dict[str, Any]], sort: str, descending: bool, *, nulls_low: bool) -> list[str]:
    """The order the list promises: by the property, then by id, both in the same direction; a missing property
    sorts as the database sorts NULL (lowest on SQLite, highest on PostgreSQL)."""
    present = [d for d in docs if d.get(sort) is not None]
    missing = [d for d in docs if d.get(sort) is None]
    present.sort(key=lambda d: (d[sort], d["_id"]), reverse=descending)
    missing.sort(key=lambda d: d["_id"], reverse=descending)
    ids = [d["_id"] for d in (missing + present if nulls_low != descending else present + missing)]
    return ids


def nulls_low(server: Server) -> bool:
    return "OCRMILL_DATABASE_URL" not in server.env


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_a_sorted_list_pages_through_in_the_documents_order(
    server: Server, api: httpx.Client, docs: list[dict[str, Any]], sort: str, order: str
) -> None:
    seen: list[str] = []
    for offset in range(0, 12, 5):
        data, total = listed(
            api.get("/ocr-invoice-jobs", params={"sort": sort, "order": order, "limit": 5, "offset": offset})
        )
        assert total == 12
        seen += [d["_id"] for d in data]
    assert seen == reference(docs, sort, order == "desc", nulls_low=nulls_low(server))


def matches(doc: dict[str, Any], path: str, op: str, value: Any) -> bool:
    have = doc.get(path)
    match op:
        case "$eq":
            return bool(have == value)
        case "$ne":
            return bool(have != value)
        case "$in":
            return have in value
        case "$exists":
            return (have is not None) == value
        case "$gte":
            return have is not None and have >= value
        case "$lt":
            return have is not None and have < value
    raise ValueError(op)


CONDITIONS: list[dict[str, Any]] = [
    {},
    {"status": "completed"},
    {"status": {"$in": ["pending", "failed"]}},
    {"status": {"$in": ["pending", "failed"], "$eq": "failed"}},
    {"status": {"$eq": "pending", "$in": ["failed"]}},
    {"status": {"$ne": "pending"}},
    {"qualityScore": {"$gte": 0.5}},
    {"qualityScore": {"$lt": 0.5}, "status": "processing"},
    {"qualityScore": {"$exists": False}},
    {"fileName": {"$in": ["scan-a1.pdf", "scan-b2.pdf", "scan-c3.pdf"]}},
    {"fileName": {"$exists": False}},
    {"createdAt": {"$gte": "2000-01-01T00:00:00Z"}},
]


@pytest.mark.parametrize("condition", CONDITIONS, ids=json.dumps)
def test_a_filtered_list_and_its_total_are_the_documents_that_match(
    server: Server, api: httpx.Client, docs: list[dict[str, Any]], condition: dict[str, Any]
) -> None:
    wanted = [
        d
        for d in docs
        if all(
            matches(d, path, op, value)
            for path, spec in condition.items()
            for op, value in (spec.items() if isinstance(spec, dict) else [("$eq", spec)])
        )
    ]
    data, total = listed(
        api.get("/ocr-invoice-jobs", params={"filter": json.dumps(condition), "sort": "qualityScore", "limit": 100})
    )
    assert total == len(wanted)
    assert [d["_id"] for d in data] == reference(wanted, "qualityScore", True, nulls_low=nulls_low(server))
