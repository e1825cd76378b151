"""Readiness checks and the metrics read from the database at scrape time.

Jobs and pages are done by worker processes, possibly on other machines; the database is where all of them meet, so
the metrics about work are read from it when Prometheus scrapes, and are the same whichever API process answers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from ocrmill.config import Settings
from ocrmill.domain.status import JobStatus
from ocrmill.errors import OcrmillError
from ocrmill.store import jobs as job_repo
from ocrmill.store import monitoring as repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.folders import COUNTERS as FOLDER_COUNTERS
from ocrmill.store.folders import counter_name
from ocrmill.store.workers import PAGE_MILLISECONDS, PAGE_SECONDS_BUCKETS, PAGES_CONVERTED
from ocrmill.store.writable import cannot_write

log = logging.getLogger(__name__)

RESULTS = {"ProcessedFiles": "processed", "SuccessFiles": "success", "ErrorFiles": "error"}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class Readiness:
    def __init__(self, *, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def checks(self) -> list[Check]:
        """Database reachable, data folder writable, a worker heartbeating. The details name the failure, never a
        password, a URL or a path."""
        results = [self._data_dir()]
        try:
            with self.db.read() as session:
                repo.ping(session=session)
                since = utcnow() - timedelta(seconds=self.settings.heartbeat_timeout_seconds)
                workers = repo.live_worker_count(session=session, since=since)
        except Exception as e:  # whatever the driver says may name the host and user: logged, not answered
            log.warning("readiness: the database cannot be reached: %s", e)
            return [Check("database", False, "cannot be reached"), *results, Check("workers", False, "unknown")]
        alive = Check("workers", workers > 0, f"{workers} alive" if workers else "no worker heartbeat recently")
        return [Check("database", True, "reachable"), *results, alive]

    def _data_dir(self) -> Check:
        error = cannot_write(self.settings.data_dir)
        if error is not None:
            log.warning("readiness: the data folder is not writable: %s", error)
            return Check("data_dir", False, f"not writable ({error.strerror or type(error).__name__})")
        return Check("data_dir", True, "writable")


class DatabaseCollector(Collector):
    """Work metrics from the job tables, computed at each scrape (see the module's docstring)."""

    def __init__(self, *, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        up = GaugeMetricFamily("ocrmill_database_up", "1 when the database answered this scrape's queries")
        try:
            families = self._families()
        except OcrmillError as e:
            log.warning("metrics: the database did not answer: %s", e.message)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> list[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        now = utcnow()
        since = now - timedelta(seconds=self.settings.heartbeat_timeout_seconds)
        with self.db.read() as session:
            jobs = job_repo.count_by_status(session=session)
            invoice_jobs = repo.invoice_jobs_by_status(session=session)
            invoice_pages = repo.invoice_pages_by_status(session=session)
            oldest_job = repo.oldest_scheduled_job(session=session)
            oldest_page = repo.oldest_pending_invoice_page(session=session)
            workers = repo.live_worker_count(session=session, since=since)
            counters = repo.all_counters(session=session)

        by_status = GaugeMetricFamily("ocrmill_jobs", "OCR jobs (ownOCR API and folders) by status", labels=["status"])
        for status in JobStatus:
            by_status.add_metric([status.name.lower()], jobs.get(status, 0))
        invoices = GaugeMetricFamily("ocrmill_invoice_jobs", "OCR invoice jobs by status", labels=["status"])
        for name, n in sorted(invoice_jobs.items()):
            invoices.add_metric([name], n)
        pages = GaugeMetricFamily("ocrmill_invoice_pages", "OCR invoice pages by status", labels=["status"])
        for name, n in sorted(invoice_pages.items()):
            pages.add_metric([name], n)
        depth = GaugeMetricFamily("ocrmill_queue_depth", "Work waiting for a worker", labels=["queue"])
        depth.add_metric(["jobs"], jobs.get(JobStatus.SCHEDULED, 0))
        depth.add_metric(["invoice_pages"], invoice_pages.get("pending", 0))
        age = GaugeMetricFamily(
            "ocrmill_queue_oldest_age_seconds", "Age of the oldest waiting item (0: none)", labels=["queue"]
        )
        for queue, since_when in (("jobs", oldest_job), ("invoice_pages", oldest_page)):
            age.add_metric([queue], max(0.0, (now - since_when).total_seconds()) if since_when else 0.0)
        alive = GaugeMetricFamily("ocrmill_workers_alive", "Worker processes that heartbeated recently")
        alive.add_metric([], workers)
        finished = CounterMetricFamily(
            "ocrmill_jobs_finished", "OCR jobs finished since the database was made", labels=["result"]
        )
        for name in ("SuccessFiles", "ErrorFiles"):
            finished.add_metric([RESULTS[name]], counters.get(name, 0))
        folders = CounterMetricFamily(
            "ocrmill_folder_files", "Files of OCR folders processed, by folder and result", labels=["folder", "result"]
        )
        for folder in self.settings.folders:
            for name in FOLDER_COUNTERS:
                folders.add_metric([folder.key, RESULTS[name]], counters.get(counter_name(folder.key, name), 0))
        converted = CounterMetricFamily("ocrmill_pages_converted", "Pages of OCR jobs converted")
        converted.add_metric([], counters.get(PAGES_CONVERTED, 0))
        page_seconds = HistogramMetricFamily(
            "ocrmill_page_seconds", "Processing seconds a converted page (a job's time shared out over its pages)"
        )
        buckets = [(f"{b:g}", float(counters.get(f"PageSecondsLe{b:g}", 0))) for b in PAGE_SECONDS_BUCKETS]
        page_seconds.add_metric(
            [], [*buckets, ("+Inf", float(counters.get(PAGES_CONVERTED, 0)))], counters.get(PAGE_MILLISECONDS, 0) / 1000
        )
        return [by_status, invoices, pages, depth, age, alive, finished, folders, converted, page_seconds]
