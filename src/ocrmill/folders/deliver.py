"""File-system side of OCR folders: safe names, posted files, results, and what becomes of the original.

Every file appears under its final name in one step (a complete temp file, then a rename), so a watcher or a user
never sees half a file. Moves between file systems copy to a temp file on the target side first.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import time
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

STATE_DIR = ".ocrmill"  # inside each input folder; hidden, so the watcher never takes anything from it
INCOMING = "incoming"  # posted files being written
CLAIMED = "claimed"  # files the watcher has taken (see watch.py)
KEPT = "kept"  # originals kept after processing

NAME_MAX = 255  # bytes; the limit of every file system a hot folder lives on in practice
_SAFE_NAME_MAX = 200  # leaves room for " (n)" and the claim prefix "<uuid>__"
_UNIQUE_LIMIT = 10_000
_TEMP_PREFIX = ".ocrmill-"
_TEMP_SUFFIX = ".part"
_CHUNK = 1 << 20

_DRIVE = re.compile(r"^[A-Za-z]:")
_RESERVED = re.compile(r'[<>:"|?*]')  # not allowed on Windows or SMB shares
_UNWANTED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # controls, format (e.g. right-to-left override), surrogates
_CLAIM_DIR = re.compile(r"^[0-9a-f]{32}$")
# errors of os.link on file systems or mounts without hard links (FAT, some SMB mounts), or protected_hardlinks
_NO_HARD_LINKS = {errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


def safe_name(filename: str) -> str:
    """The base name of a client-supplied file name: no directory, drive, control characters or leading dots."""
    text = unicodedata.normalize("NFC", filename)
    text = "".join(c for c in text if unicodedata.category(c) not in _UNWANTED_CATEGORIES)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _DRIVE.sub("", text)
    text = _RESERVED.sub("_", text)
    # leading dots and tildes would make it hidden or look like a temporary file that the watcher ignores
    text = text.lstrip(" .~").rstrip(" .")
    if not text:
        raise ValueError(f"no usable file name in {filename!r}")
    return _shorten(text, _SAFE_NAME_MAX)


def place_posted(input_dir: Path, name: str, data_chunks: Iterable[bytes] | bytes, *, unique: bool) -> str:
    """Write a posted file into the input folder in one step and return the name it got.

    unique=False replaces a file of the same name; unique=True picks `stem (1).ext`, `stem (2).ext`, ... instead,
    and two posts at once never get the same name.
    """
    name = safe_name(name)
    incoming = input_dir / STATE_DIR / INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(incoming)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(data_chunks, bytes | bytearray | memoryview):
                out.write(data_chunks)
            else:
                for chunk in data_chunks:
                    out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if unique:
            return _place_unique(tmp, input_dir, name).name
        os.replace(tmp, input_dir / name)
        return name
    finally:
        tmp.unlink(missing_ok=True)


def deliver(outputs: dict[str, Path], output_dir: Path, name: str, *, move: bool = False) -> list[Path]:
    """Put each result (extension -> file) at `output_dir/<stem of name>.<ext>`, replacing what is there.

    Results are copied (into files with the output folder's default permissions, whatever the job store's files
    have); move=True removes the sources once all are delivered.
    """
    stem = _split(name)[0]
    targets: list[tuple[Path, Path]] = []
    for ext, source in outputs.items():
        clean = ext.strip().lstrip(".").lower()
        if not clean or "/" in clean or "\\" in clean or clean in {".", ".."}:
            raise ValueError(f"not a file extension: {ext!r}")
        targets.append((source, output_dir / f"{stem}.{clean}"))
    output_dir.mkdir(parents=True, exist_ok=True)
    for source, target in targets:
        tmp = _copy_to_temp(source, output_dir, keep_metadata=False)
        try:
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    if move:
        for source, _ in targets:
            source.unlink(missing_ok=True)
    return [target for _, target in targets]


def archive(claimed: Path, output_dir: Path, name: str, *, when: datetime) -> Path:
    """Move the original to `output_dir/archive/YYYY-MM-DD/<name>` (a unique name if that is taken)."""
    target = _move_unique(claimed, output_dir / "archive" / when.strftime("%Y-%m-%d"), name)
    _tidy_claim(claimed)
    return target


def discard(claimed: Path) -> None:
    claimed.unlink(missing_ok=True)
    _tidy_claim(claimed)


def keep(claimed: Path, input_dir: Path, name: str) -> Path:
    """Keep the original in `<input>/.ocrmill/kept/<name>`, out of the watcher's sight.

    Putting it back into the input folder would need a record of processed files that survives restarts, and could
    collide with a new file of the same name dropped meanwhile; a folder of its own needs neither.
    """
    target = _move_unique(claimed, input_dir / STATE_DIR / KEPT, name)
    _tidy_claim(claimed)
    return target


def fail(claimed: Path, output_dir: Path, name: str, reason: str) -> Path:
    """Move the original to `output_dir/error/<name>` (unique if taken) with `<that name>.txt` beside it saying why."""
    error_dir = output_dir / "error"
    target = _move_unique(claimed, error_dir, name, sidecar=".txt")
    _tidy_claim(claimed)
    fd, tmp = _create_temp(error_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(reason.rstrip("\n") + "\n")
        os.replace(tmp, error_dir / f"{target.name}.txt")
    finally:
        tmp.unlink(missing_ok=True)
    return target


def sweep_incoming(input_dir: Path, *, older_than: float) -> int:
    """Remove posted files whose writer died (temp files in `.ocrmill/incoming` older than `older_than` seconds)."""
    removed = 0
    limit = time.time() - older_than
    with contextlib.suppress(OSError), os.scandir(input_dir / STATE_DIR / INCOMING) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < limit:
                    os.unlink(entry.path)
                    removed += 1
    return removed


def unique_names(name: str) -> Iterator[str]:
    """`name`, then `stem (1).ext`, `stem (2).ext`, ... each short enough for a file system."""
    stem, suffix = _split(name)
    yield name
    for n in range(1, _UNIQUE_LIMIT):
        mark = f" ({n})"
        room = NAME_MAX - len(os.fsencode(mark + suffix))
        yield _cut(stem, room) + mark + suffix


def _split(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, f".{ext}"


def _cut(text: str, limit: int) -> str:
    kept: list[str] = []
    size = 0
    for char in text:  # whole characters only: never half of a multi-byte one
        size += len(os.fsencode(char))
        if size > limit:
            break
        kept.append(char)
    return "".join(kept)


def _shorten(name: str, limit: int) -> str:
    if len(os.fsencode(name)) <= limit:
        return name
    stem, suffix = _split(name)
    if len(suffix) > 20:  # not an extension worth keeping
        stem, suffix = name, ""
    return _cut(stem, limit - len(os.fsencode(suffix))).rstrip(" .") + suffix


def _create_temp(directory: Path) -> tuple[int, Path]:
    # not tempfile.mkstemp: its 0600 mode would make delivered files unreadable for the share's other users
    for _ in range(100):
        path = directory / f"{_TEMP_PREFIX}{secrets.token_hex(8)}{_TEMP_SUFFIX}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue
        return fd, path
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(directory))


def _copy_to_temp(source: Path, directory: Path, *, keep_metadata: bool) -> Path:
    fd, tmp = _create_temp(directory)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        if keep_metadata:
            shutil.copystat(source, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _place_unique(src: Path, directory: Path, name: str, *, sidecar: str = "") -> Path:
    """Give `src` the first free name in `directory` (same file system), never replacing a file."""
    for candidate in unique_names(name):
        target = directory / candidate
        if sidecar and os.path.lexists(f"{target}{sidecar}"):
            continue
        try:
            os.link(src, target)  # fails rather than replaces: the name is ours alone
        except FileExistsError:
            continue
        except OSError as e:
            if e.errno not in _NO_HARD_LINKS:
                raise
            # no hard links here: reserve the name with O_EXCL, then put the file over the empty placeholder
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            os.close(fd)
            try:
                os.replace(src, target)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            return target
        src.unlink()
        return target
    raise FileExistsError(errno.EEXIST, "no free name", str(directory / name))


def _move_unique(src: Path, directory: Path, name: str, *, sidecar: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    src.lstat()  # a missing source is an error of its own, not a reason to try ten thousand names
    try:
        return _place_unique(src, directory, name, sidecar=sidecar)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
    # another file system: a complete copy on the target side first, then the source goes
    tmp = _copy_to_temp(src, directory, keep_metadata=True)
    try:
        target = _place_unique(tmp, directory, name, sidecar=sidecar)
    finally:
        tmp.unlink(missing_ok=True)
    src.unlink()
    return target


def _tidy_claim(claimed: Path) -> None:
    # a name too long for "<uuid>__<name>" is claimed as "<uuid>/<name>"; that folder goes with the file
    parent = claimed.parent
    if _CLAIM_DIR.match(parent.name) and parent.parent.name == CLAIMED:
        with contextlib.suppress(OSError):
            parent.rmdir()
