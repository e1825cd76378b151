"""The container image: the real Dockerfile, built with podman from a base image made locally (no registry), started
as an operator would and used through the ownOCR API. Root only (rootful podman), and slow: the first build installs
Debian's packages and the locked wheels (scripts/container-base.sh makes the base image once)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.harness import PHOTOTEST, REPO, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="builds and runs images with rootful podman"),
]

ADMIN_PASSWORD = "container-test-" + uuid.uuid4().hex[:8]
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done


def build_args(tmp: Path) -> list[str]:
    """The build's RUN steps trust the host's CA bundle (machines whose TLS to PyPI goes through an intercepting proxy
    need that); both files are mounted for the build only, nothing in the Dockerfile knows of them."""
    if not HOST_CA.is_file():
        return []
    pip_conf = tmp / "pip.conf"
    pip_conf.write_text("[global]\ncert = /etc/ssl/host-ca.pem\n")
    return ["--volume", f"{HOST_CA}:/etc/ssl/host-ca.pem:ro", "--volume", f"{pip_conf}:/etc/pip.conf:ro"]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not shutil.which("bash"):
        pytest.skip("bash is missing")
    subprocess.run(["bash", str(REPO / "scripts/container-base.sh")], check=True, timeout=1800)
    tag = f"localhost/ocrmill:test-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    # --format docker: OCI images have no HEALTHCHECK; --pull=never: the base is the local one, never a registry's
    podman("build", "--pull=never", "--format", "docker", *build_args(tmp_path_factory.mktemp("build")),
           "-t", tag, str(REPO), timeout=3600)  # fmt: skip
    print(f"\nbuilt {tag} in {time.monotonic() - started:.0f} s")
    try:
        yield tag
    finally:
        podman("rmi", "-f", tag, check=False)


@pytest.fixture(scope="module")
def container(image: str) -> Iterator[tuple[str, str]]:
    """The image started with its defaults (auth on, 0.0.0.0, /data volume), the admin password from the
    environment and one worker; (name, base URL)."""
    name = f"ocrmill-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    podman("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8080",
           "-e", f"OCRMILL_ADMIN_PASSWORD={ADMIN_PASSWORD}", "-e", "OCRMILL_JOBS_THREADS=1", image)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(
            base,
            alive=lambda: podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip() == "true",
            logs=lambda: podman("logs", name).stderr,
        )
        yield name, base
    finally:
        podman("rm", "-f", "-t", "0", "-v", name, check=False)


def convert_a_page(base: str, password: str, tmp_path: Path, *, logs: Callable[[], str]) -> None:
    """phototest.tif as a PNG through the ownOCR API with Basic auth: create, upload, poll, download its text."""
    png = tmp_path / "phototest.png"
    with Image.open(PHOTOTEST) as im:
        im.save(png, dpi=im.info.get("dpi", (300, 300)))
    started = time.monotonic()
    with httpx.Client(base_url=f"{base}/api/ocrjobs", auth=("admin", password), timeout=60) as api:
        assert httpx.get(f"{base}/api/ocrjobs/test", timeout=10).status_code == 401  # auth on by default
        job = api.post("/create", json={"TxtOutput": True})
        assert job.status_code == 200, job.text
        job_id = job.json()["Id"]
        assert api.post(f"/uploadext/{job_id}/png", content=png.read_bytes()).status_code == 200
        deadline = time.monotonic() + 180
        while (status := api.get(f"/status/{job_id}").json()) not in (3, 4):
            assert time.monotonic() < deadline, logs()[-3000:]
            time.sleep(0.3)
        info = api.get(f"/info/{job_id}").json()
        assert status == 3, info["ErrorDescription"]
        assert "quick brown dog" in api.get(f"/download/{job_id}/txt").text
    print(f"\nconverted a page through {base} in {time.monotonic() - started:.1f} s")


def wait_ready(base: str, *, alive: Callable[[], bool], logs: Callable[[], str], timeout: float = 120) -> None:
    started = time.monotonic()
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                break
        assert alive(), logs()
        assert time.monotonic() < started + timeout, logs()
        time.sleep(0.5)
    print(f"\n{base} ready in {time.monotonic() - started:.1f} s")


def test_the_container_converts_a_page_through_the_ownocr_api(container: tuple[str, str], tmp_path: Path) -> None:
    name, base = container
    convert_a_page(base, ADMIN_PASSWORD, tmp_path, logs=lambda: podman("logs", name).stderr)
    logs = podman("logs", name).stderr
    assert "added the administrator 'admin' with the password of OCRMILL_ADMIN_PASSWORD" in logs
    assert ADMIN_PASSWORD not in logs


def test_the_container_runs_as_a_user_under_tini_with_its_data_in_the_volume(container: tuple[str, str]) -> None:
    name, _ = container
    assert podman("exec", name, "id", "-un").stdout.strip() == "ocrmill"
    assert podman("exec", name, "cat", "/proc/1/comm").stdout.strip() == "tini"
    assert "ocrmill.db" in podman("exec", name, "ls", "/data").stdout
    mounts = podman("inspect", "--format", "{{range .Mounts}}{{.Destination}} {{end}}", name).stdout.split()
    assert "/data" in mounts
    assert podman("healthcheck", "run", name, check=False).returncode == 0  # the image's HEALTHCHECK: /readyz


def test_a_bind_mounted_data_folder_owned_by_root_is_refused_saying_so(image: str, tmp_path: Path) -> None:
    """`-v /srv/ocrmill:/data` with a folder root made: the image's user cannot write it, and says so."""
    mount = tmp_path / "srv-ocrmill"
    mount.mkdir(mode=0o755)
    done = podman("run", "--rm", "-v", f"{mount}:/data", "-e", f"OCRMILL_ADMIN_PASSWORD={ADMIN_PASSWORD}", image,
                  timeout=120, check=False)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "ocrmill: the data folder /data cannot be written by the user ocrmill (uid 10001)" in done.stderr
    assert "chown" in done.stderr


def test_sigterm_stops_the_container_cleanly(image: str) -> None:
    name = f"ocrmill-stop-{uuid.uuid4().hex[:8]}"
    podman("run", "-d", "--name", name, "-e", f"OCRMILL_ADMIN_PASSWORD={ADMIN_PASSWORD}",
           "-e", "OCRMILL_JOBS_THREADS=1", image)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while "ocrmill serving on" not in podman("logs", name).stdout:
            assert time.monotonic() < deadline, podman("logs", name).stderr
            time.sleep(0.5)
        started = time.monotonic()
        podman("stop", "-t", "40", name)  # SIGTERM, then SIGKILL after 40 s
        stopped = time.monotonic() - started
        assert podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "0"
        assert stopped < 30, f"took {stopped:.0f} s: SIGTERM did not reach the server"
    finally:
        podman("rm", "-f", "-t", "0", "-v", name, check=False)


def test_compose_serves_with_postgresql_and_a_printed_admin_password(image: str, tmp_path: Path) -> None:
    """compose.yaml as it is, with podman-compose: ocrmill on the PostgreSQL image of deploy/postgres, and no
    OCRMILL_ADMIN_PASSWORD, so the first start prints a random one once."""
    db_image = f"localhost/ocrmill-postgres:test-{uuid.uuid4().hex[:8]}"
    podman("build", "--pull=never", "--format", "docker", "-t", db_image, str(REPO / "deploy/postgres"), timeout=1800)
    project = f"ocrmilltest{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OCRMILL_")},
        "OCRMILL_IMAGE": image,
        "OCRMILL_DB_IMAGE": db_image,
        "OCRMILL_DB_PASSWORD": uuid.uuid4().hex,
        "OCRMILL_PUBLISH": f"127.0.0.1:{port}",
    }

    def compose(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["podman-compose", "-p", project, "-f", str(REPO / "compose.yaml"), *args], env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip

    def logs() -> str:
        done = podman("logs", f"{project}_ocrmill_1", check=False)
        return done.stdout + done.stderr

    try:
        up = compose("up", "-d")
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, alive=lambda: True, logs=logs)
        printed = re.search(r"added the administrator 'admin' with the password (\S+) \(shown only this once", logs())
        assert printed, logs()
        convert_a_page(base, printed.group(1), tmp_path, logs=logs)
        jobs = podman("exec", f"{project}_db_1", "psql", "-U", "ocrmill", "-tAc", "SELECT count(*) FROM jobs")
        assert jobs.stdout.strip() == "1"  # the job is in PostgreSQL, not in a SQLite file of /data
        # the README's backup command: the image has PostgreSQL 15's pg_dump
        backup = podman("exec", f"{project}_ocrmill_1", "ocrmill", "backup", "/data/backups/test", check=False)
        assert backup.returncode == 0, backup.stderr
        assert "manifest.json" in podman("exec", f"{project}_ocrmill_1", "ls", "/data/backups/test").stdout
    finally:
        compose("down", "-v")
        podman("network", "rm", "-f", f"{project}_default", check=False)  # podman-compose 1.0.3 leaves it
        podman("rmi", "-f", db_image, check=False)
