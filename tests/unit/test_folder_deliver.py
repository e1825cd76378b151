from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from ocrmill.folders.deliver import (
    archive,
    deliver,
    discard,
    fail,
    keep,
    place_posted,
    safe_name,
    sweep_incoming,
    unique_names,
)
from ocrmill.folders.watch import FolderWatcher


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("scan.png", "scan.png"),
        ("../../etc/x.png", "x.png"),
        ("..\\..\\Windows\\x.png", "x.png"),
        ("C:\\fakepath\\scan.pdf", "scan.pdf"),
        ("C:scan.pdf", "scan.pdf"),
        ("/etc/passwd", "passwd"),
        (".bashrc", "bashrc"),
        ("~$draft.docx", "$draft.docx"),
        ("a\x00b\nc\td.png", "abcd.png"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),  # no right-to-left override trick
        ("Ünïcödé 名前 счёт.png", "Ünïcödé 名前 счёт.png"),
        ("Cafe\u0301.png", "Café.png"),  # composed, as most clients send it
        ("x.png:stream", "x.png_stream"),
        ("what?.png", "what_.png"),
        ("  spaced out .png  ", "spaced out .png"),
        ("name. . .", "name"),
    ],
)
def test_safe_name(given: str, expected: str) -> None:
    assert safe_name(given) == expected
    assert safe_name(expected) == expected


@pytest.mark.parametrize("given", ["", ".", "..", "/", "../", "a/..", "\\", "C:\\", "\x00\x01", "  ", "~", ". ~ ."])
def test_safe_name_refuses_names_without_a_file_in_them(given: str) -> None:
    with pytest.raises(ValueError):
        safe_name(given)


def test_safe_name_shortens_long_names_keeping_the_extension() -> None:
    name = safe_name("ж" * 300 + ".tiff")
    assert name.endswith(".tiff")
    assert len(name.encode()) <= 200
    assert set(name[:-5]) == {"ж"}


def test_unique_names_stay_within_the_file_name_limit() -> None:
    names = unique_names("a" * 251 + ".png")
    assert next(names) == "a" * 251 + ".png"
    first = next(names)
    assert first.endswith(" (1).png") and len(first.encode()) == 255
    assert next(unique_names("scan")) == "scan"
    assert list(unique_names("a.tar.gz"))[:3] == ["a.tar.gz", "a.tar (1).gz", "a.tar (2).gz"]


def no_temp_files(directory: Path) -> bool:
    return not [p for p in directory.rglob("*") if p.name.startswith(".ocrmill-")]


def test_post_overwrites_or_picks_unique_names(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    assert place_posted(inbox, "scan.png", b"one", unique=False) == "scan.png"
    assert place_posted(inbox, "scan.png", [b"t", b"wo"], unique=False) == "scan.png"
    assert (inbox / "scan.png").read_bytes() == b"two"
    assert place_posted(inbox, "scan.png", b"three", unique=True) == "scan (1).png"
    assert place_posted(inbox, "scan.png", iter([b"four"]), unique=True) == "scan (2).png"
    assert place_posted(inbox, "README", b"r", unique=True) == "README"
    assert place_posted(inbox, "README", b"r", unique=True) == "README (1)"
    assert (inbox / "scan.png").read_bytes() == b"two"
    assert (inbox / "scan (1).png").read_bytes() == b"three"
    assert sorted(p.name for p in inbox.iterdir()) == [
        ".ocrmill",
        "README",
        "README (1)",
        "scan (1).png",
        "scan (2).png",
        "scan.png",
    ]
    assert list((inbox / ".ocrmill" / "incoming").iterdir()) == []


def test_post_with_a_path_lands_inside_the_folder(tmp_path: Path) -> None:
    inbox = tmp_path / "box" / "in"
    assert place_posted(inbox, "../../etc/x.png", b"x", unique=False) == "x.png"
    assert (inbox / "x.png").read_bytes() == b"x"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == ["box/in/x.png"]
    with pytest.raises(ValueError):
        place_posted(inbox, "../..", b"x", unique=True)


def test_a_broken_upload_leaves_nothing(tmp_path: Path) -> None:
    inbox = tmp_path / "in"

    def chunks() -> Iterator[bytes]:
        yield b"half"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        place_posted(inbox, "scan.png", chunks(), unique=True)
    assert [p.name for p in inbox.iterdir()] == [".ocrmill"]
    assert list((inbox / ".ocrmill" / "incoming").iterdir()) == []


@pytest.mark.parametrize("hard_links", [True, False])
def test_concurrent_unique_posts_never_share_a_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard_links: bool
) -> None:
    if not hard_links:  # FAT, some SMB mounts: names are reserved with O_EXCL instead

        def no_link(src: object, dst: object) -> None:
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_link)
    inbox = tmp_path / "in"
    inbox.mkdir()
    count = 12
    barrier = threading.Barrier(count)
    results: dict[int, str] = {}

    def post(i: int) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(3):
                yield f"<{i}>".encode()
            barrier.wait()  # all of them then pick a name at the same moment

        results[i] = place_posted(inbox, "same.png", chunks(), unique=True)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results.values())) == count
    assert set(results.values()) == {"same.png"} | {f"same ({n}).png" for n in range(1, count)}
    for i, name in results.items():
        assert (inbox / name).read_bytes() == f"<{i}>".encode() * 3


def test_the_watcher_never_sees_a_half_posted_file(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    taken: list[bytes] = []
    watcher = FolderWatcher(
        [("f", inbox, set())],
        stable_seconds=0.1,
        poll_seconds=0.05,
        on_file=lambda folder_id, claimed, name: taken.append(claimed.read_bytes()),
    )
    watcher.start()
    try:

        def slow() -> Iterator[bytes]:
            for i in range(4):
                yield bytes([65 + i]) * 1000
                time.sleep(0.2)  # twice the stability time

        place_posted(inbox, "scan.png", slow(), unique=False)
        deadline = time.monotonic() + 5
        while not taken and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        watcher.stop()
    assert taken == [b"A" * 1000 + b"B" * 1000 + b"C" * 1000 + b"D" * 1000]


def claimed_file(tmp_path: Path, name: str, data: bytes = b"original") -> Path:
    claimed_dir = tmp_path / "in" / ".ocrmill" / "claimed"
    claimed_dir.mkdir(parents=True, exist_ok=True)
    path = claimed_dir / f"{os.urandom(16).hex()}__{name}"
    path.write_bytes(data)
    os.utime(path, (1_600_000_000, 1_600_000_000))
    return path


def test_deliver_puts_each_result_under_the_source_name(tmp_path: Path) -> None:
    results = tmp_path / "job"
    results.mkdir()
    (results / "result.pdf").write_bytes(b"%PDF")
    (results / "result.txt").write_text("text")
    (results / "result.pdf").chmod(0o600)  # as the job store writes them
    out = tmp_path / "out"
    out.mkdir()
    (out / "scan.pdf").write_bytes(b"older result")
    old_umask = os.umask(0o022)
    try:
        paths = deliver({"pdf": results / "result.pdf", ".TXT": results / "result.txt"}, out, "scan.tiff")
    finally:
        os.umask(old_umask)
    assert paths == [out / "scan.pdf", out / "scan.txt"]
    assert (out / "scan.pdf").read_bytes() == b"%PDF"
    assert (out / "scan.txt").read_text() == "text"
    assert stat.S_IMODE((out / "scan.pdf").stat().st_mode) == 0o644  # readable on the share
    assert (results / "result.pdf").exists()
    assert no_temp_files(out)
    deliver({"txt": results / "result.txt"}, out, "README", move=True)
    assert (out / "README.txt").read_text() == "text"
    assert not (results / "result.txt").exists()
    with pytest.raises(ValueError):
        deliver({"../pdf": results / "result.pdf"}, out, "scan.tiff")


def test_archive_by_date_with_unique_names(tmp_path: Path) -> None:
    out = tmp_path / "out"
    when = datetime(2024, 5, 17, 23, 59)
    first = archive(claimed_file(tmp_path, "scan.png", b"1"), out, "scan.png", when=when)
    second = archive(claimed_file(tmp_path, "scan.png", b"2"), out, "scan.png", when=when)
    assert first == out / "archive" / "2024-05-17" / "scan.png"
    assert second == out / "archive" / "2024-05-17" / "scan (1).png"
    assert (first.read_bytes(), second.read_bytes()) == (b"1", b"2")
    assert first.stat().st_mtime == 1_600_000_000
    assert list((tmp_path / "in" / ".ocrmill" / "claimed").iterdir()) == []


def test_fail_moves_the_original_to_error_with_the_reason_beside_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "error").mkdir(parents=True)
    (out / "error" / "b.png.txt").write_bytes(b"a failed original called b.png.txt")
    first = fail(claimed_file(tmp_path, "a.png"), out, "a.png", "Unsupported image format")
    second = fail(claimed_file(tmp_path, "a.png"), out, "a.png", "Timed out\n")
    third = fail(claimed_file(tmp_path, "b.png"), out, "b.png", "Beschädigt: 壊れた画像")
    assert first == out / "error" / "a.png"
    assert (out / "error" / "a.png.txt").read_text(encoding="utf-8") == "Unsupported image format\n"
    assert second == out / "error" / "a (1).png"
    assert (out / "error" / "a (1).png.txt").read_text(encoding="utf-8") == "Timed out\n"
    assert third == out / "error" / "b (1).png"  # b.png.txt is taken, so b.png would have no room for its reason
    assert (out / "error" / "b (1).png.txt").read_text(encoding="utf-8") == "Beschädigt: 壊れた画像\n"
    assert (out / "error" / "b.png.txt").read_bytes() == b"a failed original called b.png.txt"
    assert first.read_bytes() == b"original"
    assert no_temp_files(out)


def test_keep_and_discard(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    kept = keep(claimed_file(tmp_path, "a.png", b"1"), inbox, "a.png")
    again = keep(claimed_file(tmp_path, "a.png", b"2"), inbox, "a.png")
    assert kept == inbox / ".ocrmill" / "kept" / "a.png"  # out of the watcher's sight
    assert again == inbox / ".ocrmill" / "kept" / "a (1).png"
    assert (kept.read_bytes(), again.read_bytes()) == (b"1", b"2")
    gone = claimed_file(tmp_path, "b.png")
    discard(gone)
    discard(gone)  # twice is fine: recovery may repeat a step
    assert list((inbox / ".ocrmill" / "claimed").iterdir()) == []


def test_a_long_name_claim_folder_goes_with_its_file(tmp_path: Path) -> None:
    claim_dir = tmp_path / "in" / ".ocrmill" / "claimed" / ("ab" * 16)
    claim_dir.mkdir(parents=True)
    (claim_dir / "x.png").write_bytes(b"x")
    archive(claim_dir / "x.png", tmp_path / "out", "x.png", when=datetime(2024, 1, 2))
    assert not claim_dir.exists()


def test_a_missing_original_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        archive(tmp_path / "nothing.png", tmp_path / "out", "nothing.png", when=datetime(2024, 1, 2))


def other_device(tmp_path: Path) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system at hand")
    with tempfile.TemporaryDirectory(dir=shm) as name:
        yield Path(name)


@pytest.fixture()
def elsewhere(tmp_path: Path) -> Iterator[Path]:
    yield from other_device(tmp_path)


def test_moves_across_file_systems(tmp_path: Path, elsewhere: Path) -> None:
    out = elsewhere / "out"
    when = datetime(2024, 5, 17)
    archived = archive(claimed_file(tmp_path, "scan.png", b"1"), out, "scan.png", when=when)
    archived_again = archive(claimed_file(tmp_path, "scan.png", b"2"), out, "scan.png", when=when)
    failed = fail(claimed_file(tmp_path, "bad.png", b"3"), out, "bad.png", "broken")
    (tmp_path / "result.pdf").write_bytes(b"%PDF")
    delivered = deliver({"pdf": tmp_path / "result.pdf"}, out, "scan.png", move=True)
    assert (archived.read_bytes(), archived_again.read_bytes(), failed.read_bytes()) == (b"1", b"2", b"3")
    assert archived_again.name == "scan (1).png"
    assert archived.stat().st_mtime == 1_600_000_000  # shutil.move keeps it too
    assert (out / "error" / "bad.png.txt").read_text() == "broken\n"
    assert delivered == [out / "scan.pdf"] and not (tmp_path / "result.pdf").exists()
    assert list((tmp_path / "in" / ".ocrmill" / "claimed").iterdir()) == []
    assert no_temp_files(out)


def test_cross_device_fallback_without_a_second_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    real_link = os.link

    def link(src: str | Path, dst: str | Path) -> None:
        # what os.link says when the original is on another file system than the output folder
        if not str(src).startswith(str(out)):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_link(src, dst)

    monkeypatch.setattr(os, "link", link)
    archived = archive(claimed_file(tmp_path, "scan.png", b"1"), out, "scan.png", when=datetime(2024, 5, 17))
    assert archived.read_bytes() == b"1"
    assert list((tmp_path / "in" / ".ocrmill" / "claimed").iterdir()) == []
    assert no_temp_files(out)


def test_sweep_incoming_removes_only_abandoned_uploads(tmp_path: Path) -> None:
    incoming = tmp_path / "in" / ".ocrmill" / "incoming"
    incoming.mkdir(parents=True)
    (incoming / ".ocrmill-old.part").write_bytes(b"old")
    os.utime(incoming / ".ocrmill-old.part", (time.time() - 7200, time.time() - 7200))
    (incoming / ".ocrmill-new.part").write_bytes(b"new")
    assert sweep_incoming(tmp_path / "in", older_than=3600) == 1
    assert [p.name for p in incoming.iterdir()] == [".ocrmill-new.part"]
    assert sweep_incoming(tmp_path / "missing", older_than=0) == 0
