"""`ocrmill backup DIR` and `ocrmill restore DIR`.

A backup folder holds:
  manifest.json          written last: a folder without it is an unfinished backup and is not restored
  database/ocrmill.db    SQLite's online backup (or database/ocrmill.pgdump: pg_dump's custom format)
  files/jobs/<id>/...    the job folders of the jobs in the database copy (uploads, results, page previews)
  files/invoices/<id>/.. the same for invoice jobs
  files/server.guid      the installation's id

The database is copied first and the files after, from what the copy names: a job deleted in between leaves its
row without files (noted in the manifest as missing), a job added in between is not in the copy, and files written
in between are harmless extras (a job that was converting is converting in the copy: a restored server hands it
back to the queue when its worker's heartbeat stops, and converts it again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ocrmill.config import Settings
from ocrmill.errors import BackupError, BackupInvalid, RestoreTargetNotEmpty
from ocrmill.service.server import version
from ocrmill.store import snapshot
from ocrmill.store.db import Database, redacted
from ocrmill.store.migrate import known_revision, upgrade
from ocrmill.store.writable import require_writable

MANIFEST = "manifest.json"
FORMAT = 1
DATABASE = "database"
FILES = "files"
SERVER_GUID = "server.guid"
CHUNK = 1 << 20
BACKUP_REMEDY = (
    "Make the folder it goes into that user's first (for example `install -d -o ocrmill -g ocrmill "
    "/var/backups/ocrmill`), or name a folder it can write."
)


@dataclass(frozen=True)
class Summary:
    jobs: int
    invoice_jobs: int
    files: int
    bytes: int
    missing: list[str]  # files the database copy names that were gone when the files were copied


def backup(settings: Settings, target: Path) -> Summary:
    _require_local_files(settings)
    _require_empty_folder(target, what="the backup folder")
    require_writable(target, what="the backup folder", remedy=BACKUP_REMEDY)
    (target / DATABASE).mkdir(parents=True, exist_ok=True)
    copy = snapshot.take(url=settings.effective_database_url, into=target / DATABASE, pg_bin_dir=settings.pg_bin_dir)
    entries = [_entry(target, Path(DATABASE) / copy.file)]
    data = settings.data_dir.resolve()
    folders = [f"jobs/{job_id}" for job_id in copy.jobs] + [f"invoices/{job_id}" for job_id in copy.invoice_jobs]
    for name in [*(f for folder in folders for f in _files_under(data, folder)), SERVER_GUID]:
        with contextlib.suppress(FileNotFoundError):  # deleted since it was listed: named ones are checked below
            entries.append(_copy(data / name, target, Path(FILES) / name))
    copied = {e["path"] for e in entries}
    missing = sorted(name for name in copy.named_files if f"{FILES}/{name}" not in copied)
    manifest = {
        "format": FORMAT,
        "ocrmill_version": version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"kind": copy.kind, "file": f"{DATABASE}/{copy.file}", "schema_revision": copy.schema},
        "jobs": len(copy.jobs),
        "invoice_jobs": len(copy.invoice_jobs),
        "file_count": len(entries),
        "total_bytes": sum(e["size"] for e in entries),
        "missing": missing,
        "files": entries,
    }
    _write_json(target / MANIFEST, manifest)
    return Summary(len(copy.jobs), len(copy.invoice_jobs), len(entries), manifest["total_bytes"], missing)


def verify(source: Path) -> dict[str, Any]:
    """The backup's manifest, once every file it lists is there with its size and checksum."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupInvalid(f"{source} holds no {MANIFEST}: not a backup, or one that was not finished") from None
    except (OSError, ValueError) as e:
        raise BackupInvalid(f"{source / MANIFEST} cannot be read: {e}") from e
    if manifest.get("format") != FORMAT:
        raise BackupInvalid(f"{source / MANIFEST}: format {manifest.get('format')!r} is not one this ocrmill reads")
    problems = [problem for entry in manifest["files"] if (problem := _check(source, entry))]
    if len(manifest["files"]) != manifest["file_count"]:
        problems.append(f"the manifest lists {len(manifest['files'])} files but counts {manifest['file_count']}")
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise BackupInvalid(f"the backup in {source} is damaged: {shown}")
    return manifest


def restore(settings: Settings, source: Path) -> dict[str, Any]:
    """The backup in `source` into the configured (empty) data folder and (empty) database, brought up to this
    version's tables. Returns its manifest."""
    _require_local_files(settings)
    manifest = verify(source)
    database = manifest["database"]
    if not known_revision(database["schema_revision"]):
        raise BackupError(
            f"the backup was made by ocrmill {manifest['ocrmill_version']}, whose database is newer than this "
            f"version's ({version()}): restore it with that version or a later one"
        )
    data = settings.data_dir.resolve()
    _require_empty_folder(data, what="the data folder")
    require_writable(data, what="the data folder")
    url = settings.effective_database_url
    if not snapshot.is_empty(url):
        raise RestoreTargetNotEmpty(
            f"the database ({redacted(url)}) has tables already. {RestoreTargetNotEmpty().message}"
        )
    for entry in manifest["files"]:
        path = Path(entry["path"])
        if path.parts[0] == FILES:
            _copy(source / path, data, path.relative_to(FILES))
    snapshot.put_back(url=url, kind=database["kind"], source=source / database["file"], pg_bin_dir=settings.pg_bin_dir)
    db = Database(url)
    try:
        upgrade(db)  # a backup of an older version: its tables as this version has them (what `serve` does)
    finally:
        db.dispose()
    return manifest


def _require_local_files(settings: Settings) -> None:
    if settings.storage_url:
        raise BackupError(
            f"the job files are on object storage ({settings.storage_url}), which ocrmill backup does not copy: "
            "back up the bucket with the object store's own tools and the database with pg_dump"
        )


def _require_empty_folder(folder: Path, *, what: str) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise RestoreTargetNotEmpty(f"{what} {folder} is not empty. {RestoreTargetNotEmpty().message}")


def _files_under(root: Path, folder: str) -> Iterator[str]:
    """The files of a job's folder, without work folders and temporary files (a worker's scratch)."""
    for directory, subdirectories, names in os.walk(root / folder):
        subdirectories[:] = sorted(d for d in subdirectories if not _scratch(d))
        for name in sorted(names):
            if not _scratch(name):
                yield str((Path(directory) / name).relative_to(root))


def _scratch(name: str) -> bool:
    return name.startswith((".", "work-"))


def _copy(source: Path, root: Path, name: Path) -> dict[str, Any]:
    """`source` copied to root/name; its manifest entry, from the bytes written (a file replaced meanwhile is
    described as copied)."""
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reading, target.open("wb") as writing:
        while chunk := reading.read(CHUNK):
            digest.update(chunk)
            writing.write(chunk)
            size += len(chunk)
    return {"path": name.as_posix(), "size": size, "sha256": digest.hexdigest()}


def _entry(root: Path, name: Path) -> dict[str, Any]:
    size, sha256 = _measure(root / name)
    return {"path": name.as_posix(), "size": size, "sha256": sha256}


def _measure(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as reading:
        while chunk := reading.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _check(source: Path, entry: dict[str, Any]) -> str | None:
    path = source / entry["path"]
    if Path(entry["path"]).is_absolute() or ".." in Path(entry["path"]).parts:
        return f"{entry['path']}: not a path inside the backup"
    try:
        size, sha256 = _measure(path)
    except FileNotFoundError:
        return f"{entry['path']} is missing"
    if size != entry["size"]:
        return f"{entry['path']} has {size} bytes, not {entry['size']}"
    if sha256 != entry["sha256"]:
        return f"{entry['path']} has changed (its checksum differs)"
    return None


def _write_json(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(value, indent=1) + "\n")
    os.replace(tmp, path)
