from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ocrmill.folders.watch import FolderWatcher, claim_id, is_candidate_name

STABLE = 0.2
BOTH = pytest.mark.parametrize("mode", ["inotify", "poll"])  # the polling fallback forced, or events only


class Recorder:
    """on_file that remembers what it was given, with the content the claimed file had at that moment."""

    def __init__(self, block: threading.Event | None = None) -> None:
        self.calls: list[tuple[str, Path, str, bytes, float]] = []
        self.entered = threading.Event()
        self._block = block
        self._lock = threading.Lock()

    def __call__(self, folder_id: str, claimed: Path, name: str) -> None:
        with self._lock:
            self.calls.append((folder_id, claimed, name, claimed.read_bytes(), time.monotonic()))
        self.entered.set()
        if self._block is not None:
            self._block.wait(10)

    @property
    def names(self) -> list[str]:
        with self._lock:
            return [call[2] for call in self.calls]

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.names) < count:
            assert time.monotonic() < deadline, f"only {self.names} taken, {count} expected"
            time.sleep(0.02)


Make = Callable[..., FolderWatcher]


@pytest.fixture()
def mode() -> str:
    return "auto"


@pytest.fixture()
def make(mode: str) -> Iterator[Make]:
    """Watchers stopped at the end. In inotify mode rescans are 30 s apart, so only events can find new files."""
    poll_seconds = {"inotify": 30.0, "poll": 0.2, "auto": 0.2}[mode]
    started: list[FolderWatcher] = []

    def build(folders: list[tuple[str, Path, set[str]]], on_file: Recorder, **kwargs: object) -> FolderWatcher:
        options: dict[str, object] = {
            "stable_seconds": STABLE,
            "poll_seconds": poll_seconds,
            "inotify": {"inotify": True, "poll": False, "auto": None}[mode],
        }
        options.update(kwargs)
        watcher = FolderWatcher(folders, on_file=on_file, **options)  # type: ignore[arg-type]
        started.append(watcher)
        return watcher

    yield build
    for watcher in started:
        watcher.stop()


def quiet(seconds: float = 3 * STABLE) -> None:
    time.sleep(seconds)


@BOTH
def test_slow_copy_is_taken_once_complete(tmp_path: Path, make: Make, mode: str) -> None:
    inbox = tmp_path / "in"
    rec = Recorder()
    watcher = make([("f", inbox, {"PDF"})], rec)
    watcher.start()
    assert watcher.modes == {"f": mode}
    chunks = [bytes([i]) * 50_000 for i in range(5)]
    with (inbox / "scan.pdf").open("wb") as out:
        for i, chunk in enumerate(chunks):
            if i:
                time.sleep(0.6 * STABLE)  # longer than half the stability time, shorter than all of it
            out.write(chunk)
            out.flush()
        written = time.monotonic()
    rec.wait_for(1)
    quiet()
    assert len(rec.calls) == 1
    folder_id, claimed, name, content, taken = rec.calls[0]
    assert (folder_id, name) == ("f", "scan.pdf")
    assert content == b"".join(chunks)
    assert taken - written >= STABLE * 0.9
    assert claimed.parent == inbox / ".ocrmill" / "claimed"
    assert claimed.name.endswith("__scan.pdf")
    assert not (inbox / "scan.pdf").exists()


@BOTH
def test_many_files_at_once_each_taken_once(tmp_path: Path, make: Make) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    rec = Recorder()
    make([("f", inbox, set())], rec).start()
    names = [f"page{i:02d}.png" for i in range(40)]
    for name in names:
        (inbox / name).write_bytes(name.encode() * 100)
    rec.wait_for(len(names))
    quiet()
    assert sorted(rec.names) == names
    assert all(content == name.encode() * 100 for _, _, name, content, _ in rec.calls)
    assert len({call[1] for call in rec.calls}) == len(names)
    assert sorted(p.name for p in inbox.iterdir()) == [".ocrmill"]


@BOTH
def test_files_present_before_start_are_taken(tmp_path: Path, make: Make) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in ("a.tif", "b.TIF", "c.txt"):
        (inbox / name).write_bytes(b"old")
    rec = Recorder()
    make([("f", inbox, {"TIF"})], rec).start()
    rec.wait_for(2)
    quiet()
    assert sorted(rec.names) == ["a.tif", "b.TIF"]
    assert (inbox / "c.txt").read_bytes() == b"old"


def test_hostile_and_long_names_are_kept_whole(tmp_path: Path, make: Make) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    rec = Recorder()
    watcher = make([("f", inbox, {"PNG"})], rec)
    watcher.start()
    hostile = "-rf ; $(reboot) `x` 'q' \"__\" 名前\n\t__.png"
    long_name = "é" * 118 + ".png"  # 240 bytes: no room for the "<uuid>__" prefix
    for name in (hostile, long_name):
        (inbox / name).write_bytes(name.encode())
    rec.wait_for(2)
    calls = {call[2]: call for call in rec.calls}
    assert set(calls) == {hostile, long_name}
    assert calls[hostile][3] == hostile.encode()
    assert calls[hostile][1].name.endswith("__" + hostile)
    assert calls[long_name][1].name == long_name  # claimed as <uuid>/<name>
    ids = {claim_id(call[1]) for call in rec.calls}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)
    watcher.stop()
    again = FolderWatcher([("f", inbox, {"PNG"})], stable_seconds=STABLE, poll_seconds=1, on_file=Recorder())
    assert sorted((fid, name) for fid, _, name in again.recover()) == sorted([("f", hostile), ("f", long_name)])


def test_filter_leaves_other_types_alone_and_says_so_once(
    tmp_path: Path, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ocrmill.folders.watch")
    inbox = tmp_path / "in"
    inbox.mkdir()
    rec = Recorder()
    make([("f", inbox, {"pdf", ".Png"})], rec, poll_seconds=0.1).start()
    for name in ("a.pdf", "b.PNG", "c.Png", "d.txt", "e", "f.pdf.jpg"):
        (inbox / name).write_bytes(b"x")
    rec.wait_for(3)
    quiet()
    assert sorted(rec.names) == ["a.pdf", "b.PNG", "c.Png"]
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["d.txt", "e", "f.pdf.jpg"]
    notes = [r.getMessage() for r in caplog.records if "not of a filtered type" in r.getMessage()]
    assert sorted(notes) == sorted(
        f"OCR folder f: {n} is not of a filtered type; left alone" for n in ("d.txt", "e", "f.pdf.jpg")
    )


def test_hidden_temporary_and_special_files_are_ignored(tmp_path: Path, make: Make) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(b"secret")
    rec = Recorder()
    make([("f", inbox, set())], rec, poll_seconds=0.1).start()
    ignored = [".hidden.pdf", "~$draft.pdf", "x.pdf.tmp", "y.pdf.part", "z.pdf.crdownload", "Thumbs.db"]
    for name in ignored:
        (inbox / name).write_bytes(b"x")
    (inbox / "folder.pdf").mkdir()
    (inbox / "link.pdf").symlink_to(outside)
    os.mkfifo(inbox / "fifo.pdf")
    (inbox / "real.pdf").write_bytes(b"real")
    rec.wait_for(1)
    quiet()
    assert rec.names == ["real.pdf"]
    os.rename(inbox / "y.pdf.part", inbox / "y.pdf")  # a download that finished
    rec.wait_for(2)
    assert rec.names == ["real.pdf", "y.pdf"]
    assert outside.read_bytes() == b"secret"
    assert (inbox / "link.pdf").is_symlink() and (inbox / "fifo.pdf").exists()


def test_file_open_for_writing_waits_for_the_writer(tmp_path: Path, make: Make) -> None:
    if not Path("/proc/self/fdinfo").is_dir():
        pytest.skip("needs /proc")
    inbox = tmp_path / "in"
    inbox.mkdir()
    rec = Recorder()
    make([("f", inbox, set())], rec).start()
    with (inbox / "held.pdf").open("wb") as out:
        out.write(b"first half")
        out.flush()
        quiet(4 * STABLE)  # stable for long, but still open
        assert rec.names == []
        out.write(b", second half")
    rec.wait_for(1)
    assert rec.calls[0][3] == b"first half, second half"


def test_writer_check_can_be_turned_off(tmp_path: Path, make: Make) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    rec = Recorder()
    make([("f", inbox, set())], rec, check_writers=False).start()
    with (inbox / "held.pdf").open("wb") as out:
        out.write(b"data")
        out.flush()
        rec.wait_for(1)


@BOTH
def test_restart_during_handover_loses_nothing_and_takes_nothing_twice(tmp_path: Path, make: Make) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    release = threading.Event()
    first = Recorder(block=release)  # the server "dies" while handing a.pdf over
    w1 = make([("f", inbox, set())], first)
    w1.start()
    (inbox / "a.pdf").write_bytes(b"a")
    assert first.entered.wait(5)
    w1.stop(timeout=0.2)  # returns although on_file has not finished
    (inbox / "b.pdf").write_bytes(b"b")
    quiet()
    assert first.names == ["a.pdf"]  # a stopped watcher claims nothing more

    second = Recorder()
    w2 = make([("f", inbox, set())], second)
    recovered = w2.recover()
    assert [(fid, name) for fid, _, name in recovered] == [("f", "a.pdf")]
    assert recovered[0][1] == first.calls[0][1] and recovered[0][1].read_bytes() == b"a"
    w2.start()
    second.wait_for(1)
    release.set()
    quiet()
    assert first.names == ["a.pdf"]
    assert second.names == ["b.pdf"]
    claimed = sorted(p.name.split("__", 1)[1] for p in (inbox / ".ocrmill" / "claimed").iterdir())
    assert claimed == ["a.pdf", "b.pdf"]


def test_a_failing_callback_leaves_the_file_claimed_for_recover(tmp_path: Path, make: Make) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    calls: list[str] = []

    def broken(folder_id: str, claimed: Path, name: str) -> None:
        calls.append(name)
        raise RuntimeError("database is down")

    make([("f", inbox, set())], broken).start()
    (inbox / "a.pdf").write_bytes(b"a")
    (inbox / "b.pdf").write_bytes(b"b")
    deadline = time.monotonic() + 5
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted(calls) == ["a.pdf", "b.pdf"]  # one failure does not stop the watcher
    later = FolderWatcher([("f", inbox, set())], stable_seconds=STABLE, poll_seconds=1, on_file=Recorder())
    assert sorted(name for _, _, name in later.recover()) == ["a.pdf", "b.pdf"]


def test_unusable_folders_are_reported_and_skipped(tmp_path: Path, make: Make) -> None:
    good = tmp_path / "good"
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    late = blocker / "in"
    rec = Recorder()
    watcher = make([("good", good, set()), ("late", late, set()), ("twin", good, set())], rec, poll_seconds=0.2)
    assert watcher.recover() == []
    watcher.start()
    problems = {p.folder_id: p for p in watcher.problems}
    assert set(problems) == {"late", "twin"}
    assert "cannot be created" in problems["late"].reason
    assert "good" in str(problems["twin"])
    (good / "a.pdf").write_bytes(b"a")
    rec.wait_for(1)
    # the share appears later: the folder is taken up on the next rescan
    blocker.unlink()
    deadline = time.monotonic() + 5
    while not late.is_dir() and time.monotonic() < deadline:
        time.sleep(0.02)
    (late / "b.pdf").write_bytes(b"b")
    rec.wait_for(2)
    assert [(c[0], c[2]) for c in rec.calls] == [("good", "a.pdf"), ("late", "b.pdf")]
    assert [p.folder_id for p in watcher.problems] == ["twin"]


def test_read_only_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.pdf").write_bytes(b"a")
    if os.geteuid() == 0:  # root may write anywhere: make access() say what it says to others
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == locked else real_access(path, mode))
    locked.chmod(0o555)
    try:
        rec = Recorder()
        watcher = FolderWatcher([("f", locked, set())], stable_seconds=STABLE, poll_seconds=0.1, on_file=rec)
        watcher.start()
        quiet()
        watcher.stop()
        assert [p.reason for p in watcher.problems] == ["it is not readable and writable"]
        assert rec.names == []
        assert (locked / "a.pdf").exists()
    finally:
        locked.chmod(0o755)


def test_stop_is_prompt(tmp_path: Path) -> None:
    watcher = FolderWatcher([("f", tmp_path / "in", set())], stable_seconds=5, poll_seconds=60, on_file=Recorder())
    watcher.start()
    time.sleep(0.1)
    began = time.monotonic()
    watcher.stop()
    assert time.monotonic() - began < 1.0
    assert watcher._thread is not None and not watcher._thread.is_alive()


def test_candidate_names() -> None:
    assert is_candidate_name("scan.PDF", {"PDF"})
    assert is_candidate_name("scan", set())
    assert not is_candidate_name("scan", {"PDF"})
    assert not is_candidate_name("scan.pdf.part", set())
    assert not is_candidate_name(".scan.pdf", {"PDF"})
    assert not is_candidate_name("~scan.pdf", {"PDF"})
    with pytest.raises(ValueError):
        claim_id(Path("/in/.ocrmill/claimed/scan.pdf"))


def test_network_shares_are_polled() -> None:
    from ocrmill.folders.watch import _fs_type, _is_network_fs

    if Path("/proc/self/mountinfo").exists():
        assert _fs_type(Path("/proc/self")) == "proc"
    assert all(_is_network_fs(t) for t in ("nfs4", "cifs", "fuse.sshfs"))
    assert not any(_is_network_fs(t) for t in ("ext4", "xfs", "tmpfs", "fuse.mergerfs"))


def test_a_removed_input_folder_comes_back(tmp_path: Path, make: Make) -> None:
    inbox = tmp_path / "in"
    rec = Recorder()
    watcher = make([("f", inbox, set())], rec)
    watcher.start()
    shutil.rmtree(inbox)
    deadline = time.monotonic() + 5
    while not (inbox / ".ocrmill" / "claimed").is_dir() and time.monotonic() < deadline:
        time.sleep(0.02)
    (inbox / "a.pdf").write_bytes(b"a")
    rec.wait_for(1)
    assert watcher.problems == []
