"""The file store: uploads and results of every job under one root (a local folder or a shared mount)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from ocrmill.errors import InsufficientStorage, PayloadTooLarge, disk_full


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


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        (self.root / "jobs").mkdir(parents=True, exist_ok=True)

    def job_dir(self, job_id: int) -> Path:
        return self.root / "jobs" / str(job_id)

    def input_name(self, job_id: int, seq: int, ext: str) -> str:
        return f"jobs/{job_id}/input/{seq:04d}.{ext.lower()}"

    def output_dir(self, job_id: int) -> Path:
        return self.job_dir(job_id) / "output"

    def output_path(self, job_id: int, ext: str) -> Path:
        return self.output_dir(job_id) / f"result.{ext}"

    def path(self, name: str) -> Path:
        return self.root / name

    def pages_dir(self, job_id: int) -> Path:
        """A converted job's page previews and OCR (pages/NNNN.jpg, pages/NNNN.json), for the console."""
        return self.output_dir(job_id) / "pages"

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

    def discard(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def clear_outputs(self, job_id: int) -> None:
        shutil.rmtree(self.output_dir(job_id), ignore_errors=True)

    def delete_job(self, job_id: int) -> None:
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)


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
