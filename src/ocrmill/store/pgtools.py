"""PostgreSQL's programs, pg_dump and pg_restore: the one module that runs them (backups, service.operations.backup).

They are looked for in `pg_bin_dir` when set, else in Debian's /usr/lib/postgresql/<version>/bin (the newest
version: pg_dump must be at least as new as the server it dumps), else on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from ocrmill.errors import BackupError

DEBIAN_BINARIES = Path("/usr/lib/postgresql")


def program(name: str, bin_dir: Path | None = None) -> Path:
    if bin_dir is not None:
        found = bin_dir / name
        if not found.is_file():
            raise BackupError(f"{name} is not in pg_bin_dir ({bin_dir})")
        return found
    versions = sorted(DEBIAN_BINARIES.glob(f"*/bin/{name}"), key=lambda p: _version(p.parents[1].name))
    if versions:
        return versions[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise BackupError(f"{name} was not found: install PostgreSQL's client programs or set pg_bin_dir")
    return Path(on_path)


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def dump(*, url: str, target: Path, snapshot: str | None = None, bin_dir: Path | None = None) -> None:
    """The database at `url` (SQLAlchemy's form) as pg_dump's custom-format archive `target`; with `snapshot` (from
    pg_export_snapshot()), exactly as that transaction sees it."""
    conninfo, env = _libpq(url)
    command = [str(program("pg_dump", bin_dir)), "--format=custom", "--no-owner", "--no-privileges"]
    command += [f"--file={target}", *([f"--snapshot={snapshot}"] if snapshot else []), f"--dbname={conninfo}"]
    _run(command, env=env, doing="pg_dump (backing up the database)")


def restore(*, url: str, source: Path, bin_dir: Path | None = None) -> None:
    """pg_dump's archive `source` into the (empty) database at `url`, in one transaction: all or nothing."""
    conninfo, env = _libpq(url)
    command = [str(program("pg_restore", bin_dir)), "--no-owner", "--no-privileges", "--single-transaction"]
    command += ["--exit-on-error", f"--dbname={conninfo}", str(source)]
    _run(command, env=env, doing="pg_restore (restoring the database)")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """libpq's URI for a SQLAlchemy URL, with the password in the environment rather than on the command line
    (where every user of the machine could read it)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], *, env: dict[str, str], doing: str) -> None:
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True, timeout=24 * 3600)
    except subprocess.CalledProcessError as e:
        said = " ".join((e.stderr or "").split())[-2000:]
        raise BackupError(f"{doing} failed (exit status {e.returncode}): {said}") from e
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BackupError(f"{doing} failed: {e}") from e
