"""The folder watcher: finds complete files in input folders and claims each exactly once.

Discovery: inotify events (watchdog) where the file system gives them, and a full listing every poll_seconds in any
case (events get lost, network shares send none). A found file is taken once its size and mtime have stayed the same
for stable_seconds and no process we can see has it open for writing. Taking it is one rename into
`<input>/.ocrmill/claimed/<uuid>__<name>`: the file is either in the input folder or claimed, never both, so no
restart loses a file or hands it over twice.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.api import BaseObserver, ObservedWatch

from ocrmill.folders.deliver import CLAIMED, NAME_MAX, STATE_DIR, sweep_incoming

log = logging.getLogger(__name__)

OnFile = Callable[[str, Path, str], None]
WatchMode = Literal["inotify", "poll"]

_TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".filepart")
_JUNK_NAMES = {"thumbs.db", "desktop.ini"}
# inotify sees only changes made through this machine's mount of these
_NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "9p", "virtiofs", "ceph", "glusterfs", "lustre"}
_NETWORK_FUSE = {"sshfs", "rclone", "s3fs", "davfs", "davfs2", "glusterfs", "cephfs", "gcsfuse", "goofys"}
_STALE_INCOMING = 24 * 3600.0
_CLAIM_ID_LENGTH = 32


@dataclass(frozen=True)
class WatchedFolder:
    folder_id: str
    input_dir: Path
    extensions: frozenset[str]  # upper case, no dot; empty takes every extension


@dataclass(frozen=True)
class FolderProblem:
    folder_id: str
    input_dir: Path
    reason: str

    def __str__(self) -> str:
        return f"OCR folder {self.folder_id}: input folder {self.input_dir} is not usable: {self.reason}"


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    ino: int
    since: float  # monotonic time when this size and mtime were first seen


def is_temporary_name(name: str) -> bool:
    """Hidden files, partial downloads and editor or copy temp files: never taken."""
    lower = name.lower()
    return name.startswith((".", "~")) or lower.endswith(_TEMP_SUFFIXES) or lower in _JUNK_NAMES


def is_candidate_name(name: str, extensions: Iterable[str]) -> bool:
    """Whether a folder with this extension filter takes a file of this name (also useful before posting one)."""
    if is_temporary_name(name):
        return False
    wanted = {e.strip().lstrip(".").upper() for e in extensions}
    return not wanted or Path(name).suffix[1:].upper() in wanted


def claim_id(claimed: Path) -> str:
    """The unique id of a claim (its uuid), for `<uuid>__<name>` and for the long-name form `<uuid>/<name>`."""
    if _is_claim_id(claimed.parent.name):
        return claimed.parent.name
    head = claimed.name.partition("__")[0]
    if not _is_claim_id(head):
        raise ValueError(f"not a claimed file: {claimed}")
    return head


class FolderWatcher:
    def __init__(
        self,
        folders: Iterable[tuple[str, Path, Iterable[str]]],
        *,
        stable_seconds: float,
        poll_seconds: float,
        on_file: OnFile,
        inotify: bool | None = None,
        check_writers: bool = True,
    ) -> None:
        """inotify=None uses inotify where it works (not on network shares), False polls only, True insists.

        check_writers also waits while a process on this machine has the file open for writing.
        """
        self.stable_seconds = stable_seconds
        self.poll_seconds = poll_seconds
        self.on_file = on_file
        self._inotify = inotify
        self._check_writers = check_writers
        self._folders: list[WatchedFolder] = []
        self._refused: list[FolderProblem] = []  # for good: two definitions clash
        self._problems: dict[str, FolderProblem] = {}  # until the folder becomes usable
        self._usable: set[str] = set()
        self._modes: dict[str, WatchMode] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pending: set[tuple[str, str]] = set()  # (folder_id, name) named by events since the last look
        self._seen: dict[tuple[str, str], _Seen] = {}
        self._noted: dict[str, set[str]] = {}  # names already logged as left alone, per folder
        self._thread: threading.Thread | None = None
        self._observer: BaseObserver | None = None
        self._watches: dict[str, ObservedWatch] = {}
        self._prepared = False
        dirs: dict[Path, str] = {}
        for folder_id, input_dir, extensions in folders:
            folder = WatchedFolder(
                folder_id,
                Path(os.path.abspath(input_dir)),
                frozenset(e.strip().lstrip(".").upper() for e in extensions),
            )
            other = dirs.get(folder.input_dir)
            if any(f.folder_id == folder_id for f in self._folders):
                self._refuse(folder, "another OCR folder has the same id")
            elif other is not None:
                self._refuse(folder, f"OCR folder {other} watches it already")
            else:
                dirs[folder.input_dir] = folder_id
                self._folders.append(folder)
                self._noted[folder_id] = set()
        self._by_id = {f.folder_id: f for f in self._folders}

    @property
    def problems(self) -> list[FolderProblem]:
        with self._lock:
            return self._refused + list(self._problems.values())

    @property
    def modes(self) -> dict[str, WatchMode]:
        """How each usable folder is watched; rescans every poll_seconds come on top of inotify."""
        with self._lock:
            return dict(self._modes)

    def recover(self) -> list[tuple[str, Path, str]]:
        """Files claimed by an earlier run and not yet dealt with: (folder_id, claimed path, original name).

        Call before start(); while running, files being handed over right now would be among them.
        """
        self._prepare_all()
        found: list[tuple[float, str, Path, str]] = []
        for folder in self._folders:
            if folder.folder_id not in self._usable:
                continue
            claimed_dir = folder.input_dir / STATE_DIR / CLAIMED
            try:
                entries = list(os.scandir(claimed_dir))
            except OSError as e:
                log.warning("cannot list %s: %s", claimed_dir, e)
                continue
            for entry in entries:
                item = _claimed_item(entry)
                if item is None:
                    continue
                path, name, ctime = item
                found.append((ctime, folder.folder_id, path, name))
        found.sort(key=lambda item: (item[0], str(item[2])))  # ctime changes on rename: the order they were claimed
        return [(folder_id, path, name) for _, folder_id, path, name in found]

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the folder watcher runs already")
        self._prepare_all()
        self._stop.clear()
        self._start_observer()
        self._thread = threading.Thread(target=self._run, name="ocrmill-folder-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching; no file is claimed after this returns, though an on_file call under way may go on."""
        self._stop.set()
        self._wake.set()
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("the folder watcher is still in an on_file call; stopped without waiting for it")
        if observer is not None:
            with contextlib.suppress(RuntimeError):
                observer.join(timeout)

    # -- preparing folders ------------------------------------------------------------------------------------

    def _refuse(self, folder: WatchedFolder, reason: str) -> None:
        problem = FolderProblem(folder.folder_id, folder.input_dir, reason)
        self._refused.append(problem)
        log.error("%s", problem)

    def _add_problem(self, folder: WatchedFolder, reason: str) -> None:
        problem = FolderProblem(folder.folder_id, folder.input_dir, reason)
        with self._lock:
            known = self._problems.get(folder.folder_id)
            self._problems[folder.folder_id] = problem
        if known != problem:
            log.error("%s", problem)

    def _prepare_all(self) -> None:
        if self._prepared:
            return
        self._prepared = True
        for folder in self._folders:
            self._prepare(folder)

    def _prepare(self, folder: WatchedFolder) -> bool:
        reason = _unusable_reason(folder.input_dir)
        if reason is not None:
            self._add_problem(folder, reason)
            self._drop(folder)
            return False
        with self._lock:
            fixed = self._problems.pop(folder.folder_id, None)
            self._usable.add(folder.folder_id)
            self._modes.setdefault(folder.folder_id, "poll")
        if fixed is not None:
            log.info("OCR folder %s: input folder %s is usable again", folder.folder_id, folder.input_dir)
        removed = sweep_incoming(folder.input_dir, older_than=_STALE_INCOMING)
        if removed:
            log.info("OCR folder %s: removed %d abandoned partial uploads", folder.folder_id, removed)
        return True

    def _start_observer(self) -> None:
        if self._inotify is False:
            return
        try:
            from watchdog.observers.inotify import InotifyObserver

            observer: BaseObserver = InotifyObserver()
            observer.start()
        except Exception as e:  # not Linux, no inotify instance left (EMFILE), ...
            if self._inotify:
                raise
            log.warning("inotify is not available (%s); OCR folders are polled every %s s", e, self.poll_seconds)
            return
        self._observer = observer
        for folder in self._folders:
            if folder.folder_id in self._usable:
                self._watch(folder)

    def _watch(self, folder: WatchedFolder) -> None:
        observer = self._observer
        if observer is None:
            return
        fstype = _fs_type(folder.input_dir)
        if self._inotify is None and fstype is not None and _is_network_fs(fstype):
            log.info("OCR folder %s is on %s: polled every %s s", folder.folder_id, fstype, self.poll_seconds)
            return
        if folder.folder_id in self._watches:
            return
        try:
            watch = observer.schedule(
                _Events(self, folder),
                str(folder.input_dir),
                recursive=False,
                # not opens and reads: people browsing a share would wake the watcher for nothing
                event_filter=[FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent],
            )
        except OSError as e:  # e.g. ENOSPC: the inotify watch limit is reached
            log.warning("OCR folder %s: inotify failed (%s); polled every %s s", folder.folder_id, e, self.poll_seconds)
            return
        self._watches[folder.folder_id] = watch
        with self._lock:
            self._modes[folder.folder_id] = "inotify"

    def _drop(self, folder: WatchedFolder) -> None:
        """Stop watching an unusable folder; a new watch once it is back (a recreated folder is a new inode)."""
        with self._lock:
            self._usable.discard(folder.folder_id)
            self._modes.pop(folder.folder_id, None)
        watch = self._watches.pop(folder.folder_id, None)
        observer = self._observer
        if watch is not None and observer is not None:
            with contextlib.suppress(Exception):
                observer.unschedule(watch)

    # -- the loop ---------------------------------------------------------------------------------------------

    def _event(self, folder_id: str, path: str) -> None:
        directory, name = os.path.split(path)
        folder = self._by_id[folder_id]
        if directory != str(folder.input_dir) or not is_candidate_name(name, folder.extensions):
            return
        with self._lock:
            self._pending.add((folder_id, name))
        self._wake.set()

    def _run(self) -> None:
        tick = max(0.02, min(self.stable_seconds / 5, self.poll_seconds, 0.5))
        next_scan = 0.0
        while not self._stop.is_set():
            try:
                now = time.monotonic()
                if now >= next_scan:
                    self._rescan()
                    next_scan = now + self.poll_seconds
                self._wake.clear()
                with self._lock:
                    pending, self._pending = self._pending, set()
                for key in pending:
                    if key not in self._seen:
                        self._look(key)
                self._check()
            except Exception:
                log.exception("folder watcher")
            if self._stop.is_set():
                break
            if self._seen:
                # events for files already followed change nothing: their stat is read every tick anyway
                self._stop.wait(min(tick, max(0.0, next_scan - time.monotonic())))
            else:
                self._wake.wait(max(0.0, next_scan - time.monotonic()))

    def _rescan(self) -> None:
        for folder in self._folders:
            if self._stop.is_set():
                return
            if folder.folder_id not in self._usable:
                if self._prepare(folder):
                    self._watch(folder)
                continue
            try:
                with os.scandir(folder.input_dir) as entries:
                    names = [entry.name for entry in entries]
            except OSError as e:
                self._add_problem(folder, f"cannot list it: {e.strerror or e}")
                self._drop(folder)
                continue
            noted = self._noted[folder.folder_id]
            noted.intersection_update(names)  # a file that comes back under a known name is noted again
            for name in names:
                key = (folder.folder_id, name)
                if key in self._seen or is_temporary_name(name):
                    continue
                if not is_candidate_name(name, folder.extensions):
                    if name not in noted and _is_regular(folder.input_dir / name):
                        noted.add(name)
                        log.info("OCR folder %s: %s is not of a filtered type; left alone", folder.folder_id, name)
                    continue
                self._look(key)

    def _look(self, key: tuple[str, str]) -> None:
        """Start following a file (or forget it if it is no file for us)."""
        folder_id, name = key
        try:
            st = os.lstat(self._by_id[folder_id].input_dir / name)
        except OSError:
            return
        if not stat.S_ISREG(st.st_mode):
            noted = self._noted[folder_id]
            if not stat.S_ISDIR(st.st_mode) and name not in noted:
                # a link could point anywhere on this machine; a FIFO would block a reader
                noted.add(name)
                log.warning("OCR folder %s: %s is not a regular file; left alone", folder_id, name)
            return
        self._seen[key] = _Seen(st.st_size, st.st_mtime_ns, st.st_ino, time.monotonic())

    def _check(self) -> None:
        now = time.monotonic()
        ready: list[tuple[str, str]] = []
        for key, seen in list(self._seen.items()):
            folder_id, name = key
            try:
                st = os.lstat(self._by_id[folder_id].input_dir / name)
            except OSError:
                del self._seen[key]
                continue
            if not stat.S_ISREG(st.st_mode):
                del self._seen[key]
                continue
            if (st.st_size, st.st_mtime_ns, st.st_ino) != (seen.size, seen.mtime_ns, seen.ino):
                self._seen[key] = _Seen(st.st_size, st.st_mtime_ns, st.st_ino, now)
            elif now - seen.since >= self.stable_seconds:
                ready.append(key)
        if not ready:
            return
        real_dirs = {f: os.path.realpath(self._by_id[f].input_dir) for f, _ in ready}  # as /proc names them
        writing: set[str] = set()
        if self._check_writers:
            writing = _open_for_writing({os.path.join(real_dirs[f], n) for f, n in ready})
        for key in sorted(ready, key=lambda k: self._seen[k].since):
            if self._stop.is_set():
                return
            folder_id, name = key
            folder = self._by_id[folder_id]
            if os.path.join(real_dirs[folder_id], name) in writing:
                self._seen[key].since = now  # look again in stable_seconds, not every tick: /proc is big
                if name not in self._noted[folder_id]:
                    self._noted[folder_id].add(name)
                    log.info("OCR folder %s: %s is still open for writing; waiting", folder_id, name)
                continue
            claimed = self._claim(folder, name)
            if claimed is None:
                continue
            del self._seen[key]
            self._noted[folder_id].discard(name)
            if self._stop.is_set():  # stop() gave up waiting (a hung share?): recover() reports it next time
                log.info("OCR folder %s: stopping; %s stays claimed", folder_id, claimed)
                return
            try:
                self.on_file(folder_id, claimed, name)
            except Exception:
                # the file stays claimed: recover() reports it at the next start
                log.exception("OCR folder %s: handing over %s failed", folder_id, claimed)

    def _claim(self, folder: WatchedFolder, name: str) -> Path | None:
        source = folder.input_dir / name
        claimed_dir = folder.input_dir / STATE_DIR / CLAIMED
        claim_id = uuid.uuid4().hex
        target = claimed_dir / f"{claim_id}__{name}"
        try:
            if len(os.fsencode(target.name)) > NAME_MAX:
                # "<uuid>__<name>" is too long for the file system: "<uuid>/<name>" keeps the name whole
                (claimed_dir / claim_id).mkdir(parents=True)
                target = claimed_dir / claim_id / name
            else:
                claimed_dir.mkdir(parents=True, exist_ok=True)
            os.rename(source, target)  # atomic: in the folder or claimed, never both
        except FileNotFoundError:
            if not source.exists():  # taken by another server on the same share, or removed by its owner
                self._seen.pop((folder.folder_id, name), None)
                return None
            self._claim_failed(folder, name, "the claim folder vanished")
            return None
        except OSError as e:
            # e.g. a Windows client still has it open on an SMB share: tried again on the next tick
            self._claim_failed(folder, name, e.strerror or str(e))
            if e.errno == errno.EXDEV:
                self._add_problem(folder, f"{STATE_DIR}/{CLAIMED} is on another file system")
                self._drop(folder)
            return None
        finally:
            if target.parent != claimed_dir:
                with contextlib.suppress(OSError):
                    target.parent.rmdir()  # only if the rename did not happen
        _fsync_dir(target.parent)
        log.info("OCR folder %s: took %s", folder.folder_id, name)
        return target

    def _claim_failed(self, folder: WatchedFolder, name: str, reason: str) -> None:
        noted = self._noted[folder.folder_id]
        if name not in noted:
            noted.add(name)
            log.warning("OCR folder %s: cannot take %s: %s", folder.folder_id, name, reason)
        seen = self._seen.get((folder.folder_id, name))
        if seen is not None:
            seen.since = time.monotonic()  # wait another stable_seconds before trying again


class _Events(FileSystemEventHandler):
    def __init__(self, watcher: FolderWatcher, folder: WatchedFolder) -> None:
        self._watcher = watcher
        self._folder_id = folder.folder_id

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        self._watcher._event(self._folder_id, os.fsdecode(event.src_path))
        if event.dest_path:
            self._watcher._event(self._folder_id, os.fsdecode(event.dest_path))


def _unusable_reason(input_dir: Path) -> str | None:
    try:
        input_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return f"it cannot be created: {e.strerror or e}"
    if not input_dir.is_dir():
        return "it is not a folder"
    if not os.access(input_dir, os.R_OK | os.W_OK | os.X_OK):
        return "it is not readable and writable"
    # access() can be wrong on network shares; only a real file says for sure
    probe = input_dir / f"{STATE_DIR}-probe-{secrets.token_hex(6)}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as e:
        return f"no file can be written into it: {e.strerror or e}"
    claimed_dir = input_dir / STATE_DIR / CLAIMED
    try:
        claimed_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return f"{STATE_DIR}/{CLAIMED} cannot be created in it: {e.strerror or e}"
    try:
        if claimed_dir.stat().st_dev != input_dir.stat().st_dev:
            return f"{STATE_DIR}/{CLAIMED} is on another file system, so claiming could not be atomic"
    except OSError as e:
        return str(e)
    return None


def _claimed_item(entry: os.DirEntry[str]) -> tuple[Path, str, float] | None:
    """(path, original name, claim time) of one entry of a claimed folder, or None for anything else."""
    if entry.name.startswith("."):
        return None
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return None
    claim_id, sep, name = entry.name.partition("__")
    if stat.S_ISREG(st.st_mode) and sep and name and _is_claim_id(claim_id):
        return Path(entry.path), name, st.st_ctime
    if stat.S_ISDIR(st.st_mode) and _is_claim_id(entry.name):
        try:
            inner = [e for e in os.scandir(entry.path) if e.is_file(follow_symlinks=False)]
        except OSError:
            return None
        if not inner:
            with contextlib.suppress(OSError):
                os.rmdir(entry.path)  # a claim that never happened
            return None
        if len(inner) == 1:
            with contextlib.suppress(OSError):
                return Path(inner[0].path), inner[0].name, inner[0].stat(follow_symlinks=False).st_ctime
    log.warning("unexpected entry in a claimed folder: %s", entry.path)
    return None


def _is_claim_id(text: str) -> bool:
    return len(text) == _CLAIM_ID_LENGTH and all(c in "0123456789abcdef" for c in text)


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _fsync_dir(directory: Path) -> None:
    # the claim survives a power cut; a file that came back after one would be handed over again
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _open_for_writing(paths: set[str]) -> set[str]:
    """Those of `paths` that a process visible to us has open for writing (Linux /proc; nothing elsewhere).

    Processes of other users are invisible unless we run as root, and writers on other machines always are; the
    stability time is what guards against those.
    """
    found: set[str] = set()
    try:
        procs = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return found
    for pid in procs:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if target not in paths or target in found:
                continue
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as info:
                    flags = next((int(line.split()[1], 8) for line in info if line.startswith("flags:")), 0)
            except (OSError, ValueError, IndexError):
                continue
            if flags & (os.O_WRONLY | os.O_RDWR):
                found.add(target)
    return found


def _fs_type(path: Path) -> str | None:
    """The type of the file system `path` is on, from /proc/self/mountinfo (None where there is none)."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            lines = f.readlines()
    except OSError:
        return None
    real = os.path.realpath(path)
    best, best_type = "", None
    for line in lines:
        fields = line.split()
        try:
            mount_point = _unescape(fields[4])
            fstype = fields[fields.index("-") + 1]
        except (IndexError, ValueError):
            continue
        inside = real == mount_point or real.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, fstype
    return best_type


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash as octal escapes
    for code in ("\\040", "\\011", "\\012", "\\134"):
        field = field.replace(code, chr(int(code[1:], 8)))
    return field


def _is_network_fs(fstype: str) -> bool:
    kind, _, sub = fstype.partition(".")
    return fstype in _NETWORK_FS or (kind == "fuse" and sub in _NETWORK_FUSE)
