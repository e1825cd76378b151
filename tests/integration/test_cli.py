"""The command line: migrate, users, ocr, and how serve reads its configuration."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pypdfium2
import pytest

from ocrmill.service.auth.passwords import verify_password
from tests.harness import OCRMILL, Postgres, Server, free_port

pytestmark = pytest.mark.paired  # its jobs' files: on the data folder (sqlite) and on S3 (postgres-s3)

MakeServer = Callable[..., Server]


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any OCRMILL_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCRMILL_")}
    env.update(extra)
    return env


def run(
    *args: str, env: dict[str, str], input: str | None = None, cwd: Path | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OCRMILL, *args], env=env, input=input, capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


def sqlite_tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def alembic_version(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]


def password_hash(db: Path, name: str) -> str:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
    assert row is not None, f"no user {name!r} in {db}"
    return str(row[0])


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


# -- migrate --------------------------------------------------------------------------------------


def test_migrate_creates_the_sqlite_database_in_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"  # does not exist yet
    db = data_dir / "ocrmill.db"

    first = run("migrate", "--data-dir", str(data_dir), env=clean_env())
    assert first.returncode == 0, first.stderr
    assert db.is_file()
    assert first.stdout.strip() == f"database is up to date: sqlite:///{db.resolve()}"
    assert {"jobs", "job_files", "users", "alembic_version"} <= sqlite_tables(db)
    version = alembic_version(db)
    assert len(version) == 1

    added = run(
        "users",
        "--data-dir",
        str(data_dir),
        "add",
        "keep",
        "--password-stdin",
        env=clean_env(),
        input="pw-long-enough\n",
    )
    assert added.returncode == 0, added.stderr

    again = run("migrate", "--data-dir", str(data_dir), env=clean_env())
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert alembic_version(db) == version
    listing = run("users", "--data-dir", str(data_dir), "list", env=clean_env())
    assert listing.stdout == "keep\tuser\n", "migrating again must keep the data"


def test_migrate_uses_the_data_dir_from_the_environment(tmp_path: Path) -> None:
    data_dir = tmp_path / "envdata"
    result = run("migrate", env=clean_env(OCRMILL_DATA_DIR=str(data_dir)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (data_dir / "ocrmill.db").is_file()
    assert not (tmp_path / "data").exists(), "the default data dir must not be used when OCRMILL_DATA_DIR is set"


@pytest.mark.postgres
def test_migrate_postgres_is_idempotent(postgres: Postgres, tmp_path: Path) -> None:
    # The test cluster trusts every local connection, so the password is not checked: only its redaction is.
    url = postgres.new_database().replace("//ocrmill@", "//ocrmill:s3cr3t-pw@")
    env = clean_env(OCRMILL_DATABASE_URL=url, OCRMILL_DATA_DIR=str(tmp_path / "data"))
    for _ in range(2):
        result = run("migrate", env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("database is up to date: postgresql+psycopg://ocrmill:***@127.0.0.1:")
        assert "s3cr3t-pw" not in result.stdout + result.stderr
    added = run("users", "add", "pg", "--admin", "--password-stdin", env=env, input="pw-long-enough\n")
    assert added.returncode == 0, added.stderr
    assert run("users", "list", env=env).stdout == "pg\tadmin\n"
    assert not (tmp_path / "data" / "ocrmill.db").exists(), "with a database URL no SQLite file is made"


# -- users ----------------------------------------------------------------------------------------


def test_users_add_list_passwd_remove(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    db = data_dir / "ocrmill.db"
    env = clean_env(OCRMILL_DATA_DIR=str(data_dir))

    def users(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return run("users", *args, env=env, input=input)

    empty = users("list")
    assert (empty.returncode, empty.stdout) == (0, "")

    added = users("add", "zoe", "--password-stdin", input="zoe-password\n")
    assert (added.returncode, added.stdout, added.stderr) == (0, "added user zoe\n", "")
    added = users("add", "adam", "--admin", "--password-stdin", input="adam-password\n")
    assert (added.returncode, added.stdout) == (0, "added admin user adam\n")

    listing = users("list")
    assert (listing.returncode, listing.stdout) == (0, "adam\tadmin\nzoe\tuser\n")

    # The password is stored hashed, never in clear.
    old_hash = password_hash(db, "zoe")
    assert "zoe-password" not in old_hash
    assert verify_password(old_hash, "zoe-password")

    changed = users("passwd", "zoe", "--password-stdin", input="zoe-new-password\n")
    assert (changed.returncode, changed.stdout) == (0, "password of zoe changed\n")
    new_hash = password_hash(db, "zoe")
    assert new_hash != old_hash
    assert verify_password(new_hash, "zoe-new-password")
    assert not verify_password(new_hash, "zoe-password")

    removed = users("remove", "zoe")
    assert (removed.returncode, removed.stdout) == (0, "removed user zoe\n")
    assert users("list").stdout == "adam\tadmin\n"


def test_users_errors_exit_2_with_a_message(tmp_path: Path) -> None:
    env = clean_env(OCRMILL_DATA_DIR=str(tmp_path / "data"))

    def users(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return run("users", *args, env=env, input=input)

    assert users("add", "eve", "--password-stdin", input="pw-long-enough\n").returncode == 0

    duplicate = users("add", "eve", "--admin", "--password-stdin", input="other-password\n")
    assert duplicate.returncode == 2
    assert duplicate.stderr.strip() == "ocrmill: user 'eve' exists already"
    assert duplicate.stdout == ""

    unknown = users("remove", "nobody")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "ocrmill: there is no user 'nobody'"

    unknown = users("passwd", "nobody", "--password-stdin", input="pw-long-enough\n")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "ocrmill: there is no user 'nobody'"

    empty = users("add", "frank", "--password-stdin", input="\n")
    assert empty.returncode == 2
    assert "password: must be at least 12 characters long (got 0)" in empty.stderr

    short = users("add", "frank", "--password-stdin", input="elevenchars\n")
    assert short.returncode == 2
    assert short.stderr.strip() == "ocrmill: password: must be at least 12 characters long (got 11)."

    colon = users("add", "a:b", "--password-stdin", input="pw-long-enough\n")
    assert colon.returncode == 2
    assert "':'" in colon.stderr

    # None of the failed commands changed anything: eve is still a normal user, nobody else was added.
    assert users("list").stdout == "eve\tuser\n"


# -- ocr ------------------------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(path)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def test_ocr_writes_pdf_and_text_next_to_each_other(tmp_path: Path, data: Path) -> None:
    out = tmp_path / "out"
    result = run(
        "ocr",
        str(data / "ocr-tesseract-test/eurotext.tif"),
        str(data / "ocr-tesseract-test/phototest.tif"),
        "--out",
        str(out),
        "--set",
        "TxtOutput=true",
        "--set",
        "RecognitionLanguages=German",
        env=clean_env(),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert files_in(out) == {"eurotext.pdf", "eurotext.txt", "phototest.pdf", "phototest.txt"}

    euro = (out / "eurotext.txt").read_text(encoding="utf-8")
    assert "braune Fuchs springt" in euro
    # Only the German model reads the umlaut (English gives "iiber").
    assert "über den faulen Hund" in euro
    assert "quick brown dog jumped" in (out / "phototest.txt").read_text(encoding="utf-8")

    for stem, words in (("eurotext", "Fuchs"), ("phototest", "brown dog")):
        pdf = out / f"{stem}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert len(pypdfium2.PdfDocument(pdf)) == 1
        assert words in pdf_text(pdf), f"{pdf.name} has no text layer with {words!r}"


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("PdfConformance=9", "PdfConformance"),
        ("TxtOutput=maybe", "TxtOutput"),
        ("RecognitionLanguages=Klingon", "RecognitionLanguages"),
        ("NrOfOCRThreads=0", "NrOfOCRThreads"),
        ("TxtOutput", "Name=Value"),
        ("Bogus=1", "ocrmill: Bogus: not a job property"),
        ("PdfOutput=false", "ocrmill: The job asks for no output at all"),
    ],
)
def test_ocr_bad_set_fails_naming_the_property(tmp_path: Path, data: Path, setting: str, named: str) -> None:
    out = tmp_path / "out"
    result = run(
        "ocr", str(data / "ocr-tesseract-test/phototest.tif"), "--out", str(out), "--set", setting, env=clean_env()
    )
    assert result.returncode != 0
    assert named in result.stderr
    assert files_in(out) == set(), "a refused option must not produce results"


def test_ocr_reports_unsupported_inputs_and_goes_on(tmp_path: Path, data: Path) -> None:
    broken = tmp_path / "broken.tif"
    broken.write_bytes(os.urandom(4096))
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image\n")
    missing = tmp_path / "missing.png"
    out = tmp_path / "out"

    result = run(
        "ocr",
        str(broken),
        str(notes),
        str(missing),
        str(data / "ocr-tesseract-test/phototest.tif"),
        "--out",
        str(out),
        env=clean_env(),
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if ": " in line and "page/s" not in line]
    for path in (broken, notes, missing):
        assert any(line.startswith(f"{path}: ") for line in lines), f"{path.name} not reported:\n{result.stderr}"
    # The good file after the bad ones is still converted (PDF only: the default outputs).
    assert files_in(out) == {"phototest.pdf"}


# -- serve and its configuration ------------------------------------------------------------------


def retarget(server: Server, *, port: int | None = None, prefix: str = "/api") -> None:
    """Point the harness's client at where the server is expected to listen."""
    if port is not None:
        server.port = port
    server.base = f"http://127.0.0.1:{server.port}{prefix}/ocrjobs"
    server.client = httpx.Client(base_url=server.base, timeout=60)


def test_serve_reads_the_config_file(make_server: MakeServer, tmp_path: Path) -> None:
    server = make_server(start=False)
    port = free_port()
    config = tmp_path / "ocrmill.toml"
    config.write_text(
        f'server_name = "Test Mill"\nport = {port}\napi_prefix = "/secureApi"\nmax_retention_days = 9\n',
        encoding="utf-8",
    )
    del server.env["OCRMILL_PORT"]  # the port comes from the file alone
    retarget(server, port=port, prefix="/secureApi")
    server.start("--config", str(config), "--no-workers")

    assert server.client.get("/name").json() == "Test Mill"
    name_version = server.client.get("/nameversion").json()
    assert name_version.startswith("Test Mill ")
    assert name_version != "Test Mill "
    job = server.client.post("/create", json={})
    assert job.status_code == 200, job.text
    assert job.json()["RetentionDays"] == 9
    assert httpx.get(f"http://127.0.0.1:{port}/api/ocrjobs/name").status_code == 404


def test_environment_overrides_the_config_file(make_server: MakeServer, tmp_path: Path) -> None:
    server = make_server(start=False, env={"OCRMILL_SERVER_NAME": "Env Mill", "OCRMILL_MAX_RETENTION_DAYS": "4"})
    config = tmp_path / "ocrmill.toml"
    config.write_text(
        f'server_name = "Test Mill"\nport = {free_port()}\nmax_retention_days = 9\n',
        encoding="utf-8",
    )
    server.start("--config", str(config), "--no-workers")  # listens on OCRMILL_PORT, not on the file's port

    assert server.client.get("/name").json() == "Env Mill"
    assert server.client.get("/nameversion").json().startswith("Env Mill ")
    job = server.client.post("/create", json={})
    assert job.status_code == 200, job.text
    assert job.json()["RetentionDays"] == 4


def test_command_line_overrides_the_environment(make_server: MakeServer) -> None:
    server = make_server(start=False)
    env_port = server.env["OCRMILL_PORT"]
    retarget(server, port=free_port())
    server.start("--port", str(server.port), "--no-workers")
    assert server.env["OCRMILL_PORT"] == env_port != str(server.port)
    assert server.client.get("/test").json() is True
    assert server.client.get("/name").json() == "ocrmill"


def test_serve_with_a_missing_config_file_fails(tmp_path: Path) -> None:
    result = run(
        "serve",
        "--config",
        str(tmp_path / "absent.toml"),
        env=clean_env(OCRMILL_DATA_DIR=str(tmp_path / "data"), OCRMILL_PORT=str(free_port())),
    )
    assert result.returncode == 2
    assert "configuration file not found" in result.stderr
    assert "absent.toml" in result.stderr


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('port = "eighty"\n', "port"),
        ('server_name = "Mill"\nmax_retention_days = 0\n', "max_retention_days"),
        ("port = \n", "ocrmill.toml"),  # not TOML at all
    ],
    ids=["wrong-type", "out-of-range", "malformed"],
)
def test_serve_with_an_invalid_config_file_fails_with_a_message(tmp_path: Path, content: str, named: str) -> None:
    config = tmp_path / "ocrmill.toml"
    config.write_text(content, encoding="utf-8")
    result = run("serve", "--config", str(config), env=clean_env(OCRMILL_DATA_DIR=str(tmp_path / "data")), timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("ocrmill: "), result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_environment_setting_fails_with_a_message(tmp_path: Path) -> None:
    result = run(
        "migrate",
        env=clean_env(OCRMILL_DATA_DIR=str(tmp_path / "data"), OCRMILL_MAX_RETENTION_DAYS="0"),
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("ocrmill: "), result.stderr
    assert "max_retention_days" in result.stderr.lower()
    assert "Traceback" not in result.stderr
