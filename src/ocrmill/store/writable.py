"""Whether this process can write a folder: made when missing, and a file created in it. For the data folder (the
start of `serve` and the other commands, and /readyz) and the folders `backup` and `restore` write to."""

from __future__ import annotations

import os
import pwd
import tempfile
from pathlib import Path

from ocrmill.errors import FolderNotWritable


def cannot_write(folder: Path) -> OSError | None:
    """Why `folder` cannot be written, or None when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".probe-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as e:
        return e
    return None


def this_user() -> str:
    """The user this process runs as, by name and uid (a container's user is known by its uid outside)."""
    uid = os.geteuid()
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


DATA_DIR_REMEDY = (
    "Give it to that user (chown; the container image's user is uid 10001), or point data_dir (--data-dir, "
    "OCRMILL_DATA_DIR) at a folder it can write."
)


def require_writable(folder: Path, *, what: str, remedy: str = DATA_DIR_REMEDY) -> None:
    """FolderNotWritable, saying why and what to do, unless this process can write `folder`."""
    error = cannot_write(folder)
    if error is not None:
        raise FolderNotWritable(what=what, folder=folder, error=error, user=this_user(), remedy=remedy)
