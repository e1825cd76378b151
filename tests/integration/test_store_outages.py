"""The object store away for a moment (503 SlowDown from a proxy in front of SeaweedFS): an invoice job's split waits
for it and goes on, instead of failing the job; away for longer than store_wait_seconds, the job fails saying so."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ocrmill.config import Settings
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.languages import tessdata_dir
from ocrmill.service.auth.principal import Principal
from ocrmill.service.invoices.jobs import InvoiceService, Upload, image_name
from ocrmill.store import invoices as repo
from ocrmill.store.db import Database
from ocrmill.store.files import open_files
from ocrmill.store.migrate import upgrade
from ocrmill.worker.invoices import InvoiceWork
from tests.harness import S3_KEY, S3_SECRET, SeaweedFS
from tests.invoice_api import text_png
from tests.store_outage import StoreOutage

pytestmark = pytest.mark.s3

OWNER = Principal(name="alice", is_admin=False)


@pytest.fixture()
def outage(seaweedfs: SeaweedFS) -> Iterator[StoreOutage]:
    with StoreOutage(seaweedfs.endpoint) as proxy:
        yield proxy


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def split_with_the_store_away(
    outage: StoreOutage, seaweedfs: SeaweedFS, tmp_path: Path, *, away: float | None, wait: float
) -> tuple[InvoiceService, str, list[str]]:
    """An invoice job made from an upload, then split by a worker while the store is away for `away` seconds
    (None: for good): the service, the job's id and its pages' ids."""
    settings = Settings(
        data_dir=tmp_path / "data",
        storage_url=f"s3://{seaweedfs.new_bucket()}/ocrmill",
        s3_endpoint_url=outage.endpoint,
        s3_region="us-east-1",
        s3_access_key_id=S3_KEY,
        s3_secret_access_key=S3_SECRET,
        store_wait_seconds=wait,
    )
    db = Database(f"sqlite:///{tmp_path / 'invoices.db'}")
    upgrade(db)
    files = open_files(settings)
    service = InvoiceService(settings=settings, db=db, files=files)
    upload = Upload("scan.png", "PNG", _chunks(text_png(["Invoice HERON 4711", "Total 9.90 EUR"])))
    job_id = str(asyncio.run(service.create_job_from_upload(OWNER, [upload], {}))["_id"])

    work = InvoiceWork(settings, db, files, EnginePool(tessdata_dir(settings.tessdata_dir)), "worker-1")
    assert work.claim() == ("split", job_id)
    outage.down.set()
    if away is not None:
        threading.Timer(away, outage.down.clear).start()
    work.run("split", job_id)
    outage.down.clear()
    with db.read() as session:
        pages = [page.id for page in repo.pages_of(session=session, job_id=job_id)]
    return service, job_id, pages


def test_a_split_waits_for_the_store_back_instead_of_failing(
    outage: StoreOutage, seaweedfs: SeaweedFS, tmp_path: Path
) -> None:
    service, job_id, pages = split_with_the_store_away(outage, seaweedfs, tmp_path, away=4.0, wait=60.0)
    assert outage.refused > 0, "the store was never away"
    job = service.get_job(OWNER, job_id)
    assert job["errorLog"] == "" and len(pages) == 1, job
    assert service.files.exists(image_name(job_id, "0001.png"))


def test_a_store_away_for_longer_fails_the_split_saying_so(
    outage: StoreOutage, seaweedfs: SeaweedFS, tmp_path: Path
) -> None:
    service, job_id, pages = split_with_the_store_away(outage, seaweedfs, tmp_path, away=None, wait=2.0)
    job = service.get_job(OWNER, job_id)
    assert "object store is unavailable" in job["errorLog"] and pages == [], job
