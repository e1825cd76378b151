"""Cost as the data grows (issue 19.6): the lists, counts, overview, search and `all` at 1k / 10k / 100k rows.

    .venv/bin/python -m bench.scale [--sizes 1000,10000,100000] [--databases sqlite,postgres] [--repeat 9]

For each database (SQLite, and a throwaway PostgreSQL cluster) one `ocrmill serve` (authentication off, one worker,
nothing to convert) runs while its database is filled, straight through SQL in bulk, to each size in turn: that many
converted jobs (ten users, a description, a correlation id and about 100 words of recognised text each, in the search
index too) and as many invoice jobs. At each size every operation is timed over HTTP from this process (median of
--repeat, after one untimed call); `all` is timed --all-repeat times while another client polls `status` of one job,
and the API process's resident memory is sampled. Prints the table of medians in milliseconds and a closing JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import psutil
from sqlalchemy import Engine, create_engine, insert, text
from tests.harness import Postgres, Server, running

from ocrmill.domain.job_document import job_json
from ocrmill.domain.options import JobOptions
from ocrmill.store.tables import InvoiceJob, Job

USERS = [f"user{n}" for n in range(10)]
COMMON = "report"  # a word in about a tenth of the jobs' text
BATCH = 2000
SQLITE_SEARCH = text("INSERT INTO job_search (rowid, descr, correlation_id, body) VALUES (:id, :descr, :cid, :body)")
POSTGRES_SEARCH = text(
    "INSERT INTO job_search (job_id, user_name, descr, correlation_id, body) VALUES (:id, :user, :descr, :cid, :body)"
)


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ten", "ra", "sul", "ve", "dor", "an", "pi", "ex", "mar", "os", "tri", "be", "un"]
    return sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(size)})


def job_text(rng: random.Random, words: list[str], n: int) -> str:
    lines = [" ".join(rng.choices(words, k=10)) for _ in range(10)]
    lines[rng.randrange(10)] += f" invoice inv{n:06d}"  # one job's own word: the rare search
    if n % 10 == 0:
        lines[rng.randrange(10)] += f" {COMMON}"
    return "\n".join(lines)


def fill(engine: Engine, *, start: int, stop: int, words: list[str]) -> None:
    """Jobs and invoice jobs start+1 .. stop, in bulk; the jobs in the search index too."""
    rng = random.Random(start)
    postgres = engine.dialect.name == "postgresql"
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for first in range(start + 1, stop + 1, BATCH):
        numbers = range(first, min(first + BATCH, stop + 1))
        jobs, found, invoices = [], [], []
        for n in numbers:
            options = JobOptions(Descr=f"scan batch {n // 100}", CorrelationId=f"order-{n}", TxtOutput=True)
            moment = base + timedelta(seconds=n)
            jobs.append(
                {
                    "id": n, "guid": f"00000000-0000-4000-8000-{n:012d}", "template_id": 0, "is_template": False,
                    "status": 3, "error_description": "", "user_name": USERS[n % len(USERS)],
                    "correlation_id": options.CorrelationId, "options": options.to_dict(), "barcodes": [],
                    "number_of_pages": 1, "removed_pages": [], "folder_id": "", "source_name": "",
                    "folder_claim": None, "file_uploaded": True, "outputs": ["pdf", "txt"], "created": moment,
                    "modified": moment, "scheduled": moment, "started": moment, "finished": moment,
                    "expires": None, "worker_id": "", "heartbeat": None, "attempts": 1,
                }
            )  # fmt: skip
            jobs[-1]["document"] = job_json(SimpleNamespace(**jobs[-1]))  # as the server stores it (migration 0010)
            user, body = USERS[n % len(USERS)], job_text(rng, words, n)
            found.append({"id": n, "user": user, "descr": options.Descr, "cid": options.CorrelationId, "body": body})
            invoice_id = f"{n:024x}"
            doc = {
                "_id": invoice_id, "name": f"invoice {n}", "status": "completed", "progress": 100,
                "fileName": f"scan-{rng.randrange(10**6):06d}.pdf", "files": [], "pageCount": 1, "pagesCompleted": 1,
                "pagesFailed": 0, "extractedFields": {}, "lineItems": [], "checks": [],
                "qualityScore": round(rng.random(), 3), "source": "ocr", "eInvoice": None, "outputs": [],
                "errorLog": "", "processingTime": 1200, "startedAt": None, "completedAt": None,
                "createdBy": USERS[n % len(USERS)], "autoRetry": False, "metadata": {"batch": n // 100},
                "createdAt": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "updatedAt": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }  # fmt: skip
            invoices.append(
                {
                    "id": invoice_id, "user_name": USERS[n % len(USERS)], "status": "completed", "doc": doc,
                    "search_text": f"invoice {n} scan", "split_pending": False, "worker_id": "", "heartbeat": None,
                    "created_at": moment, "updated_at": moment,
                }
            )  # fmt: skip
        with engine.begin() as connection:
            connection.execute(insert(Job.__table__), jobs)
            connection.execute(POSTGRES_SEARCH if postgres else SQLITE_SEARCH, found)
            connection.execute(insert(InvoiceJob.__table__), invoices)
    if postgres:
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('jobs_id_seq', (SELECT max(id) FROM jobs))"))
            connection.execute(text("ANALYZE"))


def median_ms(call: Callable[[], httpx.Response], repeat: int) -> float:
    response = call()
    response.raise_for_status()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call().raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure_all(server: Server, client: httpx.Client, repeat: int) -> dict[str, float]:
    """`all` while another client polls status: its time, size, the API's memory and the other client's latency."""
    assert server.process is not None
    api = psutil.Process(server.process.pid)
    stop = threading.Event()
    polls: list[float] = []
    peak = [api.memory_info().rss]

    def poll() -> None:
        with httpx.Client(base_url=server.base, timeout=60) as other:
            while not stop.is_set():
                started = time.perf_counter()
                other.get("/status/1").raise_for_status()
                polls.append((time.perf_counter() - started) * 1000)
                peak[0] = max(peak[0], api.memory_info().rss)
                time.sleep(0.01)

    before = api.memory_info().rss
    quiet = [median_ms(lambda: client.get("/status/1"), 50)]
    poller = threading.Thread(target=poll)
    poller.start()
    times, size = [], 0
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            with client.stream("GET", "/all") as response:
                response.raise_for_status()
                size = sum(len(chunk) for chunk in response.iter_raw())
            times.append((time.perf_counter() - started) * 1000)
    finally:
        stop.set()
        poller.join()
    return {
        "all": statistics.median(times),
        "all MB": size / 1e6,
        "API RSS before MB": before / 1e6,
        "API RSS peak MB": peak[0] / 1e6,
        "API RSS after MB": api.memory_info().rss / 1e6,
        "status alone": quiet[0],
        "status during all": statistics.median(polls) if polls else float("nan"),
    }


def measure(server: Server, size: int, repeat: int, all_repeat: int) -> dict[str, float]:
    rng = random.Random(size)
    invoice = server.base.replace("/api/ocrjobs", "/api/v1/ocr-invoice-jobs")
    console = server.base.replace("/ocrjobs", "/console")
    quality = json.dumps({"qualityScore": {"$gte": 0.9}})
    with httpx.Client(base_url=server.base, timeout=600) as client:
        operations: dict[str, Callable[[], httpx.Response]] = {
            "invoice list + total": lambda: client.get(invoice, params={"limit": 50}),
            "invoice sorted by fileName": lambda: client.get(invoice, params={"sort": "fileName", "order": "asc"}),
            "invoice filter qualityScore": lambda: client.get(invoice, params={"filter": quality}),
            "console overview": lambda: client.get(f"{console}/overview"),
            "console jobs page": lambda: client.get(f"{console}/jobs", params={"limit": 20}),
            "serverload": lambda: client.get("/serverload"),
            "count": lambda: client.get("/count"),
            "search rare word": lambda: client.get("/search", params={"q": f"inv{rng.randint(1, size):06d}"}),
            "search common word": lambda: client.get("/search", params={"q": COMMON}),
            "search 2 words, one user": lambda: client.get("/search", params={"q": f"{COMMON} invoice"}),
        }  # fmt: skip
        figures = {}
        for name, call in operations.items():
            try:
                figures[name] = median_ms(call, repeat)
            except httpx.HTTPStatusError as e:  # an operation this version does not offer
                print(f"  {name}: {e.response.status_code} {e.response.text[:200]}", flush=True)
                figures[name] = float("nan")
        figures |= measure_all(server, client, all_repeat)
    return figures


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        yield ""
        return
    postgres = Postgres().start()
    try:
        yield postgres.new_database()
    finally:
        postgres.stop()


def run(kind: str, sizes: list[int], args: argparse.Namespace, root: Path) -> dict[int, dict[str, float]]:
    results: dict[int, dict[str, float]] = {}
    words = vocabulary(random.Random(0))
    with database(kind) as url:
        env = {"OCRMILL_JOBS_THREADS": "1", "OCRMILL_HEARTBEAT_SECONDS": "5", "OCRMILL_HEARTBEAT_TIMEOUT_SECONDS": "60"}
        server = Server(root / kind, database_url=url, env=env)
        migrated = server.ocrmill("migrate")
        assert migrated.returncode == 0, migrated.stderr
        engine = create_engine(url or f"sqlite:///{server.data_dir / 'ocrmill.db'}")
        try:
            with running(server):
                filled = 0
                for size in sizes:
                    started = time.monotonic()
                    fill(engine, start=filled, stop=size, words=words)
                    filled = size
                    print(
                        f"{kind}: {size} jobs and invoice jobs filled in {time.monotonic() - started:.0f} s", flush=True
                    )
                    all_repeat = args.all_repeat if size < 100_000 else 1
                    results[size] = measure(server, size, args.repeat, all_repeat)
                    print(
                        f"{kind} {size}: " + json.dumps({k: round(v, 1) for k, v in results[size].items()}), flush=True
                    )
        finally:
            engine.dispose()
    return results


def table(results: dict[str, dict[int, dict[str, float]]]) -> str:
    columns = [(kind, size) for kind, sizes in results.items() for size in sizes]
    names = list(next(iter(next(iter(results.values())).values())))
    head = ["operation (median ms)"] + [
        f"{'SQLite' if k == 'sqlite' else 'PostgreSQL'} {s // 1000}k" for k, s in columns
    ]
    rows = [head, ["---"] * len(head)]
    rows += [[name] + [f"{results[k][s][name]:.1f}" for k, s in columns] for name in names]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--all-repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results: dict[str, dict[int, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="ocrmill-scale-") as tmp:
        for kind in args.databases.split(","):
            results[kind] = run(kind, sizes, args, Path(tmp))
    print(table(results))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
