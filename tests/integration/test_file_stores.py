"""What both file stores (the data folder and S3 on SeaweedFS) do alike with small files and whole folders: the
operations invoice jobs use (put_bytes, exists, read_bytes, fetch, delete_prefix)."""

from __future__ import annotations

from pathlib import Path

from ocrmill.store.files import FileStore


def test_small_files_are_put_read_fetched_and_deleted_by_folder(file_store: FileStore, tmp_path: Path) -> None:
    store = file_store
    job, neighbour = "invoices/0123456789abcdef01234567/", "invoices/0123456789abcdef012345670/"
    assert store.put_bytes(job + "images/0001.png", b"png bytes") == 9
    store.put_bytes(job + "ocr/page.json", b"{}")
    store.put_bytes(neighbour + "images/0001.png", b"other")
    assert store.exists(job + "images/0001.png") and not store.exists(job + "images/0002.png")
    assert not store.exists(job + "images"), "a folder is not a file"
    assert store.read_bytes(job + "images/0001.png") == b"png bytes"
    assert store.fetch(job + "ocr/page.json", tmp_path / "scratch").read_bytes() == b"{}"
    store.put_bytes(job + "images/0001.png", b"replaced")
    assert store.read_bytes(job + "images/0001.png") == b"replaced"

    store.delete_prefix(job)
    assert not store.exists(job + "images/0001.png") and store.read_bytes(job + "ocr/page.json") is None
    assert store.read_bytes(neighbour + "images/0001.png") == b"other", "a folder whose name only begins alike stays"
    store.delete_prefix(job)  # nothing left: no error
