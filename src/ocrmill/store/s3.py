"""The file store on S3-compatible object storage (AWS S3, MinIO, Ceph RGW, SeaweedFS, Garage), through boto3.

The only module that imports boto3. Objects are named <prefix>/<store name>; big ones go up in parts (boto3's
transfer manager), downloads are streamed in chunks or handed out as presigned URLs. A PUT is whole or absent, and
results count only once the database says the job is Converted, so a worker killed mid-upload shows nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ocrmill.errors import InsufficientStorage, NotFound, PayloadTooLarge, ServiceUnavailable
from ocrmill.store.files import Download, outputs_folder, storing

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

    from ocrmill.config import Settings

_MISSING = {"NoSuchKey", "404", "NotFound"}
_FULL = {"EntityTooLarge", "QuotaExceeded", "XMinioStorageFull", "InsufficientStorage"}
_CHUNK = 1 << 16
# Objects over 16 MiB go up in 16 MiB parts, four at a time.
_TRANSFER = TransferConfig(multipart_threshold=16 << 20, multipart_chunksize=16 << 20, max_concurrency=4)


def _failure(e: Exception, what: str) -> Exception:
    """The object store's failure as ours: 507 when it says it is full, 503 otherwise."""
    code = e.response.get("Error", {}).get("Code", "") if isinstance(e, ClientError) else ""
    if code in _FULL:
        return InsufficientStorage(f"The object store is full: {what} could not be stored.")
    return ServiceUnavailable(f"The object store is unavailable ({what}): {code or type(e).__name__}. Try again later.")


def _missing(e: ClientError) -> bool:
    return str(e.response.get("Error", {}).get("Code", "")) in _MISSING


@contextlib.contextmanager
def _reading(name: str) -> Iterator[None]:
    """The object store's failures while `name` is read as ours; no such object: NotFound."""
    try:
        yield
    except ClientError as e:
        if _missing(e):
            raise NotFound(f"The file {name.rsplit('/', 1)[-1]} is missing from the file store.") from e
        raise _failure(e, f"reading {name}") from e
    except BotoCoreError as e:
        raise _failure(e, f"reading {name}") from e


class S3Files:
    def __init__(self, client: S3Client, bucket: str, prefix: str, *, presign_seconds: int = 0) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.presign_seconds = presign_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Files:
        bucket, _, prefix = settings.storage_url.removeprefix("s3://").partition("/")
        options: dict[str, Any] = {}  # what is not set here, boto3 takes from AWS_* variables and ~/.aws
        if settings.s3_endpoint_url:
            options["endpoint_url"] = settings.s3_endpoint_url
        if settings.s3_region:
            options["region_name"] = settings.s3_region
        if settings.s3_access_key_id:
            options["aws_access_key_id"] = settings.s3_access_key_id
            options["aws_secret_access_key"] = settings.s3_secret_access_key
        # SigV4 everywhere: S3-compatible servers (SeaweedFS) refuse SigV2 presigned URLs that carry response-* options
        config = Config(
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        )
        client = boto3.session.Session().client("s3", config=config, **options)
        return cls(client, bucket, prefix, presign_seconds=settings.s3_presign_seconds)

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    # -- writing ------------------------------------------------------------------------------------

    async def save_stream(self, name: str, chunks: AsyncIterator[bytes], *, limit: int) -> int:
        """The upload spooled to a local temporary file (so the size limit holds before anything is stored),
        then put as one object: a cut-off or oversized upload leaves nothing behind."""
        size = 0
        with storing("the upload"), tempfile.TemporaryFile(prefix="ocrmill-upload-") as spool:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge.over(limit)
                spool.write(chunk)
            spool.seek(0)
            self._upload(spool, name)
        return size

    def put_file(self, name: str, source: Path) -> int:
        with source.open("rb") as f:
            self._upload(f, name)
        return source.stat().st_size

    def put_bytes(self, name: str, data: bytes) -> int:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=data)
        except (BotoCoreError, ClientError) as e:
            raise _failure(e, f"storing {name}") from e
        return len(data)

    def _upload(self, f: Any, name: str) -> None:
        """One PUT for a small file (the transfer manager's threads cost more than the request), parts for a big one."""
        size = os.fstat(f.fileno()).st_size
        try:
            if size < _TRANSFER.multipart_threshold:
                self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=f)
            else:
                self.client.upload_fileobj(f, self.bucket, self.key(name), Config=_TRANSFER)
        except (BotoCoreError, ClientError) as e:
            raise _failure(e, f"storing {name}") from e

    def discard(self, name: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(name))
        except (BotoCoreError, ClientError) as e:
            raise _failure(e, f"deleting {name}") from e

    def delete_prefix(self, prefix: str) -> None:
        """Every object under `prefix`, a thousand per request."""
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.key(prefix))
            for page in pages:
                keys: list[ObjectIdentifierTypeDef] = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
        except (BotoCoreError, ClientError) as e:
            raise _failure(e, f"deleting {prefix}") from e

    def delete_job(self, job_id: int) -> None:
        self.delete_prefix(f"jobs/{job_id}/")

    # -- reading ------------------------------------------------------------------------------------

    def fetch(self, name: str, scratch: Path) -> Path:
        """The object as a local file in `scratch` (written under a temporary name, then renamed)."""
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        try:
            with _reading(name), storing(f"the file {target.name}"):
                self.client.download_file(self.bucket, self.key(name), str(partial), Config=_TRANSFER)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, target)
        return target

    def exists(self, name: str) -> bool:
        try:
            with _reading(name):
                self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except NotFound:
            return False
        return True

    def read_bytes(self, name: str, *, limit: int | None = None) -> bytes | None:
        """The object's bytes (its first `limit` bytes), or None when there is no such object."""
        extra: dict[str, Any] = {} if limit is None else {"Range": f"bytes=0-{max(limit, 1) - 1}"}
        try:
            with _reading(name):
                body = self.client.get_object(Bucket=self.bucket, Key=self.key(name), **extra)["Body"]
                with contextlib.closing(body):
                    return body.read()
        except NotFound:
            return None

    def names(self, prefix: str) -> list[str]:
        """Names of the objects directly in the folder `prefix` (not below it), sorted."""
        folder = prefix.rstrip("/") + "/"
        found: list[str] = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.key(folder), Delimiter="/"
            )
            for page in pages:
                # a key ending in "/" is a folder marker (SeaweedFS lists emptied folders so), not a file
                found.extend(folder + item["Key"].rsplit("/", 1)[-1] for item in page.get("Contents", []))
            found = [name for name in found if not name.endswith("/")]
        except (BotoCoreError, ClientError) as e:
            raise _failure(e, f"listing {prefix}") from e
        return sorted(found)

    def download(
        self, name: str, *, filename: str | None = None, media_type: str | None = None, streamed: bool = False
    ) -> Download | None:
        """The object as a presigned URL when so configured, else (and when `streamed`) its bytes in chunks."""
        key = self.key(name)
        try:
            with _reading(name):
                return self._download(key, filename, media_type, presign=self.presign_seconds > 0 and not streamed)
        except NotFound:
            return None

    def _download(self, key: str, filename: str | None, media_type: str | None, *, presign: bool) -> Download:
        if presign:
            size = int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
            params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
            if filename:
                params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
            if media_type:
                params["ResponseContentType"] = media_type
            url = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.presign_seconds)
            return Download(size=size, url=url)
        answer = self.client.get_object(Bucket=self.bucket, Key=key)
        return Download(size=int(answer["ContentLength"]), chunks=_chunks(answer["Body"]))

    # -- a worker's run -----------------------------------------------------------------------------

    def run_outputs(self, job_id: int, run: str, scratch: Path) -> Path:
        return scratch / "output"

    def keep_outputs(self, job_id: int, run: str, made: Path) -> None:
        """The run's results (a local folder) under the run's own folder: they become the job's only once the
        database names the run, so an upload cut off half-way is never read."""
        folder = outputs_folder(job_id, run)
        made_files = [path for path in sorted(made.rglob("*")) if path.is_file()]
        with ThreadPoolExecutor(max_workers=4) as pool:  # small objects: the round trips are the cost
            done = [pool.submit(self.put_file, f"{folder}/{p.relative_to(made).as_posix()}", p) for p in made_files]
            for future in done:
                future.result()

    def run_names(self, folder: str) -> list[str]:
        """The runs in `folder` (jobs/<id>/runs) that stored something. From the objects, not the folders: SeaweedFS
        lists emptied folders."""
        prefix = self.key(folder.rstrip("/") + "/")
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            keys = [item["Key"][len(prefix) :] for page in pages for item in page.get("Contents", [])]
        except (BotoCoreError, ClientError) as e:
            raise _failure(e, f"listing {folder}") from e
        return sorted({key.split("/", 1)[0] for key in keys if "/" in key and not key.endswith("/")})

    def write_progress(self, job_id: int, done: int, total: int) -> None:
        with contextlib.suppress(ServiceUnavailable, InsufficientStorage):  # a nicety: never fail a job over it
            body = json.dumps({"done": done, "total": total}).encode()
            try:
                self.client.put_object(Bucket=self.bucket, Key=self.key(f"jobs/{job_id}/progress.json"), Body=body)
            except (BotoCoreError, ClientError) as e:
                raise _failure(e, "progress") from e

    def read_progress(self, job_id: int) -> tuple[int, int] | None:
        try:
            data = json.loads(self.read_bytes(f"jobs/{job_id}/progress.json") or b"")
            return int(data["done"]), int(data["total"])
        except (ServiceUnavailable, ValueError, KeyError, TypeError):
            return None


def _chunks(body: Any) -> Iterator[bytes]:
    """The object's bytes a chunk at a time; the connection goes back to the pool when done or abandoned."""
    try:
        yield from body.iter_chunks(_CHUNK)
    finally:
        body.close()
