"""The file store: uploads and results of every job, by name ("jobs/7/input/....tif"), in a local folder (or a
shared mount) or, with storage_url = "s3://bucket/prefix", on S3-compatible object storage (store/s3.py).

Workers work on local files: `fetch` gives an input as a local file, `run_outputs` the folder a run writes its
results to, and `keep_outputs` stores them under the run's own folder, jobs/<id>/runs/<run>/ (nothing to do when the
run wrote there itself). The transaction that makes the job Converted names the run (jobs.output_run), and results
are read from that run's folder only: a run that died half-way, or lost its job to another worker while frozen,
never shows, and `drop_runs` deletes what it left.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ocrmill.errors import InsufficientStorage, OcrmillError, PayloadTooLarge, disk_full

if TYPE_CHECKING:
    from ocrmill.config import Settings

log = logging.getLogger("ocrmill.files")


@contextlib.contextmanager
def storing(what: str) -> Iterator[None]:
    """A full disk while `what` is written: InsufficientStorage (507) saying so, not a bare OSError."""
    try:
        yield
    except OSError as e:
        if disk_full(e):
            raise InsufficientStorage(
                f"The server's disk is full: {what} could not be stored. Try again once space has been freed."
            ) from e
        raise


@dataclass(frozen=True)
class Download:
    """A stored file as the API hands it out: a local `path`, a presigned `url` to redirect to, or `chunks`."""

    size: int
    path: Path | None = None
    url: str | None = None
    chunks: Iterator[bytes] | None = None


class FileStore(Protocol):
    async def save_stream(self, name: str, chunks: AsyncIterator[bytes], *, limit: int) -> int: ...
    def put_file(self, name: str, source: Path) -> int: ...
    def put_bytes(self, name: str, data: bytes) -> int: ...
    def exists(self, name: str) -> bool: ...
    def fetch(self, name: str, scratch: Path) -> Path: ...
    def read_bytes(self, name: str, *, limit: int | None = None) -> bytes | None: ...
    def names(self, prefix: str) -> list[str]: ...
    def download(
        self, name: str, *, filename: str | None = None, media_type: str | None = None, streamed: bool = False
    ) -> Download | None: ...
    def discard(self, name: str) -> None: ...
    def delete_job(self, job_id: int) -> None: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def run_outputs(self, job_id: int, run: str, scratch: Path) -> Path: ...
    def keep_outputs(self, job_id: int, run: str, made: Path) -> None: ...
    def run_names(self, folder: str) -> list[str]: ...
    def write_progress(self, job_id: int, done: int, total: int) -> None: ...
    def read_progress(self, job_id: int) -> tuple[int, int] | None: ...


def new_run() -> str:
    """A name for one run of a job, unique among all runs of all workers."""
    return uuid.uuid4().hex


def outputs_folder(job_id: int, run: str) -> str:
    """Where `run` stores the job's outputs; run "" (a job converted before runs had names): jobs/<id>/output."""
    return f"jobs/{job_id}/runs/{run}" if run else f"jobs/{job_id}/output"


def output_name(job_id: int, ext: str, *, run: str) -> str:
    return f"{outputs_folder(job_id, run)}/result.{ext}"


def page_name(job_id: int, number: int, suffix: str, *, run: str) -> str:
    """A converted job's page preview or OCR (NNNN.jpg, NNNN.json), for the console."""
    return f"{outputs_folder(job_id, run)}/pages/{number:04d}.{suffix}"


def settle_run(files: FileStore, folder: str, run: str, *, won: bool, ended: bool) -> None:
    """After a run's outcome went to the database: the objects no longer anyone's go. `folder` is the job's
    ("jobs/7", "invoices/<id>"). The run `won` (the job's outputs are its): every other run's; it `ended` the job
    without outputs: all; it lost the job to another run: its own. The store away: they stay until the job's
    retention ends (delete_job)."""
    try:
        if won or ended:
            drop_runs(files, folder, keep=run if won else "")
        else:
            files.delete_prefix(f"{folder}/runs/{run}/")
    except OcrmillError as e:
        log.warning("%s: outputs of other runs were left in the store: %s", folder, e.message)


def drop_runs(files: FileStore, folder: str, *, keep: str = "") -> None:
    """Every run's outputs under `folder` (<folder>/runs/<run>/) but `keep`'s (all when ""), and <folder>/output/
    of before runs had names: what runs killed half-way or overtaken left behind."""
    for run in files.run_names(f"{folder}/runs"):
        if run != keep:
            files.delete_prefix(f"{folder}/runs/{run}/")
    files.delete_prefix(f"{folder}/output/")


def open_files(settings: Settings) -> FileStore:
    """The file store the settings choose: the data folder, or S3 when storage_url says so."""
    if settings.storage_url:
        from ocrmill.store.s3 import S3Files

        return S3Files.from_settings(settings)
    return LocalFiles(settings.data_dir)


def scratch_dir(settings: Settings, what: str) -> Path:
    """A local working folder of this process's (data folder/scratch/<pid>-<what>), made empty. What a process
    killed mid-job left there (its pid no longer runs) goes first."""
    root = settings.data_dir.resolve() / "scratch"
    with contextlib.suppress(OSError):
        for left in root.iterdir():
            pid = left.name.partition("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
                shutil.rmtree(left, ignore_errors=True)
    path = root / f"{os.getpid()}-{what}"
    shutil.rmtree(path, ignore_errors=True)
    with storing("a scratch folder"):
        path.mkdir(parents=True)
    return path


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalFiles:
    """The store in a folder: jobs/<id>/input/..., jobs/<id>/output/... under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        (self.root / "jobs").mkdir(parents=True, exist_ok=True)

    def job_dir(self, job_id: int) -> Path:
        return self.root / "jobs" / str(job_id)

    def input_name(self, job_id: int, seq: int, ext: str) -> str:
        return f"jobs/{job_id}/input/{seq:04d}.{ext.lower()}"

    def path(self, name: str) -> Path:
        return self.root / name

    def write_progress(self, job_id: int, done: int, total: int) -> None:
        """Pages recognised so far by the job's run (replaced atomically; readers never see half a file)."""
        with contextlib.suppress(OSError):  # progress is a nicety: never fail a job over it
            write_atomic(self.job_dir(job_id) / "progress.json", json.dumps({"done": done, "total": total}).encode())

    def read_progress(self, job_id: int) -> tuple[int, int] | None:
        """(pages done, pages in all) of a running job, or None when nothing was reported yet."""
        try:
            data = json.loads((self.job_dir(job_id) / "progress.json").read_text())
            return int(data["done"]), int(data["total"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    async def save_stream(self, name: str, chunks: AsyncIterator[bytes], *, limit: int) -> int:
        """Write the stream to `name` atomically: a cut-off or oversized upload leaves nothing behind."""
        target = self.path(name)
        with storing("the upload"):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        size = 0
        try:
            with storing("the upload"), os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise PayloadTooLarge.over(limit)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return size

    def put_file(self, name: str, source: Path) -> int:
        target = self.path(name)
        with storing(f"the file {target.name}"):
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".partial")
            shutil.copyfile(source, partial)
            partial.replace(target)
        return target.stat().st_size

    def put_bytes(self, name: str, data: bytes) -> int:
        write_atomic(self.path(name), data)
        return len(data)

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def fetch(self, name: str, scratch: Path) -> Path:
        return self.path(name)  # already local: no copy

    def read_bytes(self, name: str, *, limit: int | None = None) -> bytes | None:
        """The file's bytes (its first `limit` bytes), or None when there is no such file."""
        try:
            with self.path(name).open("rb") as f:
                return f.read(-1 if limit is None else limit)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def names(self, prefix: str) -> list[str]:
        """Names of the stored files in the folder `prefix` (not below it), sorted."""
        folder = self.path(prefix)
        if not folder.is_dir():
            return []
        return sorted(f"{prefix.rstrip('/')}/{p.name}" for p in folder.iterdir() if p.is_file())

    def download(
        self, name: str, *, filename: str | None = None, media_type: str | None = None, streamed: bool = False
    ) -> Download | None:
        path = self.path(name)
        try:
            return Download(size=path.stat().st_size, path=path) if path.is_file() else None
        except OSError:
            return None

    def run_outputs(self, job_id: int, run: str, scratch: Path) -> Path:
        return self.path(outputs_folder(job_id, run))  # run_job writes <run>.partial and renames it once done

    def keep_outputs(self, job_id: int, run: str, made: Path) -> None:
        pass

    def run_names(self, folder: str) -> list[str]:
        """The runs in `folder` (jobs/<id>/runs) that stored something (an unfinished <run>.partial among them)."""
        try:
            return sorted(p.name for p in self.path(folder).iterdir())
        except OSError:
            return []

    def discard(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def delete_job(self, job_id: int) -> None:
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)

    def delete_prefix(self, prefix: str) -> None:
        """Every file under the folder `prefix` ("invoices/<id>/"), and the folder."""
        shutil.rmtree(self.path(prefix.rstrip("/")), ignore_errors=True)


def write_atomic(path: Path, data: bytes) -> None:
    """`data` as the whole of `path`, replaced at once: a reader sees the old file or the new, never half."""
    with storing(f"the file {path.name}"):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with storing(f"the file {path.name}"), os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
