"""How soon an idle worker starts a job after it is scheduled (job's Started - Scheduled).

    .venv/bin/python -m bench.pickup [--jobs 15]

Two set-ups: one `ocrmill serve` on SQLite (workers woken through their pipes), and an API-only
server with a separate `ocrmill worker` process on PostgreSQL (woken by LISTEN/NOTIFY). Target:
50 ms.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from tests.harness import DATA, OCRMILL, Postgres, Server, running

PAGE = DATA / "ocr-tesseract-test" / "phototest.tif"


def pickups(server: Server, jobs: int) -> list[float]:
    delays = []
    for _ in range(jobs):
        job = server.submit(PAGE)
        info = server.wait(job["Id"], poll=0.05)
        started = datetime.fromisoformat(info["Started"])
        scheduled = datetime.fromisoformat(info["Scheduled"])
        delays.append((started - scheduled).total_seconds() * 1000)
    return delays


def summary(name: str, delays: list[float]) -> dict[str, float]:
    figures = {
        "median_ms": round(statistics.median(delays), 1),
        "max_ms": round(max(delays), 1),
        "mean_ms": round(statistics.mean(delays), 1),
    }
    print(f"  {name:<36} median {figures['median_ms']:6.1f} ms  max {figures['max_ms']:6.1f} ms")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=15)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="ocrmill-pickup-") as tmp:
        root = Path(tmp)
        with running(Server(root / "local")) as server:
            server.wait(server.submit(PAGE)["Id"])  # the workers have started and loaded their engines
            results["serve_sqlite"] = summary("serve (SQLite, same machine)", pickups(server, args.jobs))
        pg = Postgres().start()
        try:
            api = Server(root / "api", database_url=pg.new_database(), env={"OCRMILL_POLL_SECONDS": "60"})
            with running(api, "--no-workers"):
                worker = subprocess.Popen(
                    [OCRMILL, "worker"], env=api.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                try:
                    api.wait(api.submit(PAGE)["Id"])  # the worker has started and loaded its engine
                    delays = pickups(api, args.jobs)
                finally:
                    worker.send_signal(signal.SIGTERM)
                    worker.wait(30)
            results["worker_postgres"] = summary("separate worker (PostgreSQL NOTIFY)", delays)
        finally:
            pg.stop()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
