"""PostgreSQL LISTEN: wakes a machine's workers the moment any machine schedules a job."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

from ocrmill.store.queries import JOBS_CHANNEL

log = logging.getLogger("ocrmill.listen")


class JobListener:
    def __init__(self, database_url: str, on_job: Callable[[], None]) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self.on_job = on_job
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {JOBS_CHANNEL}")
                    backoff = 0.5
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.on_job()
            except psycopg.Error as e:
                log.warning("listening for jobs failed (%s); trying again in %.1f s", e, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30)
