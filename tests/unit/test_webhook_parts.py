"""Pieces of webhooks and bundles without a server: the signature, the checked target a sender connects to, and the
streamed ZIP."""

from __future__ import annotations

import hashlib
import hmac
import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from ocrmill.config import Settings
from ocrmill.errors import FetchError, InvalidProperty
from ocrmill.pipeline.fetch import checked_target
from ocrmill.service.ocrjobs.bundles import Bundle
from ocrmill.service.webhooks import enqueue, signature, valid_events
from ocrmill.store import webhooks as repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.files import Download
from ocrmill.store.migrate import upgrade
from ocrmill.store.tables import WebhookDelivery
from ocrmill.worker.webhooks import DeliverySender


def test_the_signature_is_hmac_sha256_of_the_timestamp_and_body() -> None:
    body = b'{"event":"job.converted","jobId":7}'
    header = signature("whsec_abc", 1765000000, body)
    expected = hmac.new(b"whsec_abc", b"1765000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1765000000,v1={expected}"
    assert signature("whsec_abd", 1765000000, body) != header and signature("whsec_abc", 1765000001, body) != header


def test_the_target_is_pinned_to_the_checked_address_with_its_host_kept() -> None:
    target = checked_target("http://[::1]:8080/hook?a=b c", allow=("::1",), timeout_seconds=5)
    assert target.addresses == ("::1",)
    assert target.pinned_url("::1") == "http://[::1]:8080/hook?a=b%20c"
    assert target.host_header == "[::1]:8080"
    local = checked_target("https://localhost/x", allow=("localhost",), timeout_seconds=5)
    assert local.host_header == "localhost" and local.port == 443  # the default port is not written


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/", "private"),
        ("http://127.0.0.1:9/", "loopback"),
        ("http://169.254.169.254/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
    ],
)
def test_private_targets_are_refused_for_good(url: str, reason: str) -> None:
    with pytest.raises(FetchError) as caught:
        checked_target(url, allow=(), timeout_seconds=5)
    assert reason in caught.value.message and not caught.value.transient


def test_events_default_to_all_and_unknown_ones_are_refused() -> None:
    assert valid_events(None)[0] == "job.converted" and len(valid_events([])) == 5
    assert valid_events(["folder.file_done", "job.error"]) == ["job.error", "folder.file_done"]
    with pytest.raises(InvalidProperty, match=r"job\.done"):
        valid_events(["job.done"])


def test_a_bundle_streams_a_valid_zip_in_chunks(tmp_path: Path) -> None:
    pdf, txt = tmp_path / "a.pdf", tmp_path / "a.txt"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 3000)
    txt.write_text("the quick brown fox\n" * 50000)
    streamed = Download(size=txt.stat().st_size, chunks=iter([txt.read_bytes()[:100], txt.read_bytes()[100:]]))
    chunks = list(Bundle([("7.pdf", Download(size=pdf.stat().st_size, path=pdf)), ("7.txt", streamed)]))
    assert len(chunks) > 4  # written as it goes, not at the end
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None and archive.namelist() == ["7.pdf", "7.txt"]
    assert archive.read("7.pdf") == pdf.read_bytes() and archive.read("7.txt") == txt.read_bytes()
    assert archive.getinfo("7.txt").compress_size < txt.stat().st_size // 10


def test_a_missing_file_fails_before_streaming(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Bundle([("7.pdf", Download(size=0, path=tmp_path / "gone.pdf"))])


def test_an_idle_sender_asks_in_a_read_and_takes_no_write_lock(tmp_path: Path) -> None:
    """SQLite has one write lock for the whole database, which the workers need for their jobs: a sender with
    nothing due must not take it every poll. Once a delivery is due, it is claimed in a write."""
    db = Database(f"sqlite:///{tmp_path / 'outbox.db'}")
    upgrade(db)
    writes = 0
    opened = db.write

    def counted() -> Any:
        nonlocal writes
        writes += 1
        return opened()

    db.write = counted  # type: ignore[method-assign]
    sender = DeliverySender(Settings(), db, sender_id="test")
    assert sender.send_one() is False and writes == 0
    with opened() as session:  # a job's callback that is not due yet
        (made,) = enqueue(
            session=session, event="job.converted", user_name="", job_id=1, document={"Id": 1},
            callback_url="http://127.0.0.1:9/hook",
        )  # fmt: skip
        session.execute(update(WebhookDelivery).values(next_attempt=utcnow() + timedelta(hours=1)))
    assert sender.send_one() is False and writes == 0
    with opened() as session:
        assert repo.any_due(session=session, now=utcnow() + timedelta(hours=2))
        session.execute(update(WebhookDelivery).values(next_attempt=utcnow()))
    sender.settings = Settings(fetch_allow=["127.0.0.1"], webhook_timeout_seconds=1)
    assert sender.send_one() is True and writes >= 1  # claimed (and its attempt, refused at port 9, recorded)
    with opened() as session:
        assert repo.get_delivery(session=session, delivery_id=made) is not None
    db.dispose()
