"""OCR folders end to end: a started server watching real folders, files dropped slowly, posted over
HTTP with hostile names, corrupt, and left claimed by a server that stopped; outputs, archive, error
folder, counters and rights."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx
import psutil
import pytest
from PIL import Image

from tests.conftest import STORES, store_env
from tests.harness import Postgres, Server, folder_config, job_files, running, stored_names

FOLDER_ID = str(uuid.UUID("802231b4-bea3-485f-911e-00adb98f1e23"))


def config(root: Path, *, originals: str = "archive") -> Path:
    return folder_config(root, FOLDER_ID, originals=originals)


FAST = {"OCRMILL_FOLDER_STABLE_SECONDS": "0.6", "OCRMILL_FOLDER_POLL_SECONDS": "0.3"}


@pytest.fixture(scope="module", params=STORES)
def folder_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("folders")
    env = {"OCRMILL_CONFIG": str(config(root)), **FAST, **store_env(request, request.param)}
    with running(Server(root / "server", env=env)) as server:
        server.folder_root = root  # type: ignore[attr-defined]
        yield server
    if request.param == "s3":
        on_s3(server)


def until(check: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise TimeoutError("the condition was not met in time")


def root(server: Server) -> Path:
    return server.folder_root  # type: ignore[attr-defined, no-any-return]


def on_s3(server: Server) -> None:
    """The server (stopped) had its job files in the bucket: its data folder holds none, nor the jobs folder that the
    data folder's store makes when it starts. (A folder job's files leave the store once its results are delivered.)"""
    assert not (server.data_dir / "jobs").exists() and job_files(server.data_dir) == []


def copy_slowly(source: Path, target: Path, *, chunks: int = 5, pause: float = 0.4) -> None:
    data = source.read_bytes()
    step = len(data) // chunks + 1
    with target.open("wb") as out:
        for start in range(0, len(data), step):
            out.write(data[start : start + step])
            out.flush()
            time.sleep(pause)


def test_a_file_copied_slowly_is_converted_once(folder_server: Server, data: Path) -> None:
    base = root(folder_server)
    copy_slowly(data / "ocr-tesseract-test" / "phototest.tif", base / "in" / "scan 1.tif")
    until(lambda: (base / "out" / "scan 1.txt").exists() and (base / "out" / "scan 1.pdf").exists())
    assert "quick brown dog" in (base / "out" / "scan 1.txt").read_text(encoding="utf-8")
    archived = base / "out" / "archive" / date.today().isoformat() / "scan 1.tif"
    until(archived.exists)
    assert archived.read_bytes() == (data / "ocr-tesseract-test" / "phototest.tif").read_bytes()
    assert not (base / "in" / "scan 1.tif").exists()
    time.sleep(2)  # nothing more happens: one file, one job, one result
    info = folder_server.client.get(f"/folder/{FOLDER_ID}").json()
    assert (info["ProcessedFiles"], info["SuccessFiles"], info["ProcessingFiles"]) == (1, 1, 0)
    assert [j["Status"] for j in folder_server.client.get("/all").json()] == [3]


def test_a_corrupt_file_goes_to_error_with_the_reason(folder_server: Server) -> None:
    base = root(folder_server)
    (base / "in" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    until(lambda: (base / "out" / "error" / "broken.png.txt").exists())
    assert (base / "out" / "error" / "broken.png").exists()
    reason = (base / "out" / "error" / "broken.png.txt").read_text(encoding="utf-8")
    assert "readable image" in reason or "could not be read" in reason


def test_other_extensions_are_left_alone(folder_server: Server) -> None:
    base = root(folder_server)
    (base / "in" / "notes.docx").write_bytes(b"not for OCR")
    time.sleep(2)
    assert (base / "in" / "notes.docx").exists()


def post(server: Server, path: str, name: str, content: bytes) -> httpx.Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Content-Type": "image/tiff"}
    return server.client.post(path, content=content, headers=headers)


def test_postfolder_takes_a_safe_base_name_and_postfolderu_a_unique_one(folder_server: Server, data: Path) -> None:
    base = root(folder_server)
    content = (data / "ocr-tesseract-test" / "phototest.tif").read_bytes()
    response = post(folder_server, f"/postfolder/{FOLDER_ID}", "../../etc/posted.tif", content)
    assert response.status_code == 200, response.text
    assert response.json() == "posted.tif"
    until(lambda: (base / "out" / "posted.txt").exists())
    assert not (base.parent / "etc").exists()
    # two posts of one name with postfolderu: the second gets a name of its own
    names = [post(folder_server, f"/postfolderu/{FOLDER_ID}", "twice.tif", content).json() for _ in range(2)]
    assert names[0] != names[1] and all(n.endswith(".tif") for n in names)


def test_postfolder_refuses_what_the_folder_does_not_take(folder_server: Server) -> None:
    refused = post(folder_server, f"/postfolder/{FOLDER_ID}", "letter.docx", b"abc")
    assert refused.status_code == 415
    unknown = post(folder_server, f"/postfolder/{uuid.uuid4()}", "a.tif", b"abc")
    assert unknown.status_code == 404


def test_folders_and_folder_report_the_counters(folder_server: Server) -> None:
    base = root(folder_server)
    until(lambda: (base / "out" / "posted.txt").exists() and (base / "out" / "error" / "broken.png.txt").exists())
    listing = folder_server.client.get("/folders").json()
    assert [f["Id"] for f in listing] == [FOLDER_ID]
    info = folder_server.client.get(f"/folder/{FOLDER_ID}").json()
    assert list(info) == ["Description", "Id", "ProcessingFiles", "ProcessedFiles", "SuccessFiles", "ErrorFiles",
                          "Filters"]  # fmt: skip
    assert info["Description"] == "Input 1" and info["Filters"] == "TIF;TIFF;PNG;PDF"
    assert info["SuccessFiles"] >= 2 and info["ErrorFiles"] >= 1
    assert info["ProcessedFiles"] == info["SuccessFiles"] + info["ErrorFiles"]
    assert folder_server.client.get(f"/folder/{uuid.uuid4()}").status_code == 404
    assert folder_server.client.get("/serverload").json()["FoldersThreads"] == 1


@pytest.mark.s3  # on the S3 store: folder_server's local pass hands its files over to the data folder
def test_claimed_files_of_a_stopped_server_are_converted_once(
    tmp_path: Path, data: Path, request: pytest.FixtureRequest
) -> None:
    """A file the previous run had taken (claimed) but not handed over, and a file waiting in the folder
    when the server starts: both converted, once each, and the counters survive a restart."""
    cfg = config(tmp_path, originals="delete")
    claimed = tmp_path / "in" / ".ocrmill" / "claimed"
    claimed.mkdir(parents=True)
    shutil.copy(data / "ocr-tesseract-test" / "phototest.tif", claimed / f"{uuid.uuid4().hex}__left.tif")
    shutil.copy(data / "ocr-tesseract-test" / "eurotext.tif", tmp_path / "in" / "waiting.tif")
    env = {"OCRMILL_CONFIG": str(cfg), **FAST, **store_env(request, "s3")}
    with running(Server(tmp_path / "server", env=env)) as server:
        until(lambda: (tmp_path / "out" / "left.txt").exists() and (tmp_path / "out" / "waiting.txt").exists())
        until(lambda: server.client.get(f"/folder/{FOLDER_ID}").json()["SuccessFiles"] == 2)
        assert not list(claimed.iterdir())
        assert not (tmp_path / "in" / "waiting.tif").exists()  # originals = "delete"
    with running(Server(tmp_path / "server", env=env)) as again:
        time.sleep(2)
        info = again.client.get(f"/folder/{FOLDER_ID}").json()
        assert info["SuccessFiles"] == 2 and info["ProcessedFiles"] == 2
    on_s3(again)


def test_folder_rights(tmp_path: Path) -> None:
    env = {"OCRMILL_CONFIG": str(config(tmp_path)), "OCRMILL_AUTH": "true", **FAST}
    with running(Server(tmp_path / "server", env=env)) as server, ThreadPoolExecutor(3) as pool:
        users: list[tuple[str, list[str]]] = [
            ("plain", []),
            ("lister", ["--can-enum-folders"]),
            ("poster", ["--can-post-folders"]),
        ]
        adding = [
            pool.submit(server.ocrmill, "users", "add", name, "--password-stdin", *flags, input="folder-secret\n")
            for name, flags in users
        ]
        for added in adding:  # each `ocrmill users add` takes a second or so: at once
            assert added.result().returncode == 0, added.result().stderr
        assert server.client.get("/folders", auth=("plain", "folder-secret")).status_code == 403
        assert server.client.get("/folders", auth=("lister", "folder-secret")).status_code == 200
        assert server.client.get(f"/folder/{FOLDER_ID}", auth=("poster", "folder-secret")).status_code == 403
        headers = {"Content-Disposition": 'attachment; filename="a.tif"', "Content-Type": "image/tiff"}
        refused = server.client.post(f"/postfolder/{FOLDER_ID}", content=b"x", headers=headers,
                                     auth=("lister", "folder-secret"))  # fmt: skip
        assert refused.status_code == 403
        allowed = server.client.post(f"/postfolder/{FOLDER_ID}", content=b"x", headers=headers,
                                     auth=("poster", "folder-secret"))  # fmt: skip
        assert allowed.status_code == 200 and allowed.json() == "a.tif"


@pytest.mark.s3  # its file comes back from the bucket; folder_server's corrupt file from either store
def test_a_file_whose_worker_died_goes_to_error(tmp_path: Path, data: Path, request: pytest.FixtureRequest) -> None:
    """With max_attempts 1, a folder job whose worker is killed ends in Error like any job, and its file
    goes to the folder's error/ with the reason, instead of staying in the job store unseen."""
    pages = tmp_path / "six.tif"
    with Image.open(data / "ocr-tesseract-test" / "8087_054.3B.tif") as im:
        page = im.convert("L")
    page.save(pages, save_all=True, append_images=[page] * 5, dpi=(300, 300), compression="tiff_deflate")
    env = {"OCRMILL_CONFIG": str(config(tmp_path)), "OCRMILL_MAX_ATTEMPTS": "1", "OCRMILL_JOBS_THREADS": "1",
           "OCRMILL_FOLDERS_THREADS": "0", **FAST, **store_env(request, "s3")}  # fmt: skip
    with running(Server(tmp_path / "server", env=env)) as server:
        shutil.copy(pages, tmp_path / "in" / "long.tif")
        until(lambda: [j["Status"] for j in server.client.get("/all").json()] == [2])
        (job,) = server.client.get("/all").json()
        assert stored_names(server, f"jobs/{job['Id']}/input/"), "the folder's file is not in the bucket"
        assert server.process is not None
        for child in psutil.Process(server.process.pid).children():
            if "spawn_main" in " ".join(child.cmdline()) and "resource_tracker" not in " ".join(child.cmdline()):
                child.kill()
        until(lambda: (tmp_path / "out" / "error" / "long.tif.txt").exists(), timeout=90)
        assert "kill" in (tmp_path / "out" / "error" / "long.tif.txt").read_text(encoding="utf-8").lower()

        def counted() -> tuple[int, int]:
            info = server.client.get(f"/folder/{FOLDER_ID}").json()
            return info["ErrorFiles"], info["SuccessFiles"]

        # the delivery places the file, then counts it in a write of its own (folders._deliver): wait for it
        until(lambda: counted() != (0, 0), timeout=30)
        assert counted() == (1, 0)
    on_s3(server)


def test_an_unusable_folder_is_reported_and_skipped(tmp_path: Path, data: Path) -> None:
    """A definition whose input cannot be a folder (a file is in the way) does not stop the server;
    the other folder works."""
    (tmp_path / "blocked").write_text("a file where the folder should be")
    good = tmp_path / "good"
    cfg = tmp_path / "ocrmill.toml"
    cfg.write_text(
        f"""
[[folders]]
id = "{uuid.uuid4()}"
description = "Blocked"
input = "{tmp_path / "blocked" / "in"}"
output = "{tmp_path / "blocked-out"}"

[[folders]]
id = "{FOLDER_ID}"
description = "Good"
input = "{good / "in"}"
output = "{good / "out"}"
options = {{ PdfOutput = false, TxtOutput = true }}
""",
        encoding="utf-8",
    )
    with running(Server(tmp_path / "server", env={"OCRMILL_CONFIG": str(cfg), **FAST})) as server:
        assert "Blocked" in server.log.read_text() and "not usable" in server.log.read_text()
        shutil.copy(data / "ocr-tesseract-test" / "phototest.tif", good / "in" / "page.tif")
        until(lambda: (good / "out" / "page.txt").exists())
        assert len(server.client.get("/folders").json()) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("PdfConformance = 9", "PdfConformance"),
        ("PdfOutptu = true", "PdfOutptu: not a job property"),
        ("PdfOutput = false", "asks for no output at all"),
    ],
)
def test_an_invalid_folder_option_stops_the_server_with_a_message(tmp_path: Path, options: str, message: str) -> None:
    cfg = tmp_path / "ocrmill.toml"
    cfg.write_text(
        f"""
[[folders]]
id = "{FOLDER_ID}"
input = "{tmp_path / "in"}"
output = "{tmp_path / "out"}"
options = {{ {options} }}
""",
        encoding="utf-8",
    )
    server = Server(tmp_path / "server", env={"OCRMILL_CONFIG": str(cfg)})
    with pytest.raises(RuntimeError, match=rf"(?s)exited with 2.*ocrmill: folder {FOLDER_ID}: .*{message}"):
        server.start()


@pytest.mark.postgres
@pytest.mark.s3  # PostgreSQL with the S3 store, as on several machines
def test_a_file_dropped_while_the_database_is_away_is_converted_once_it_is_back(
    own_postgres: Postgres, tmp_path: Path, data: Path, request: pytest.FixtureRequest
) -> None:
    """bench.chaos found such files left claimed until the next start: the hand-over is tried again."""
    env = {"OCRMILL_CONFIG": str(config(tmp_path)), **FAST, **store_env(request, "s3")}
    with running(Server(tmp_path / "server", database_url=own_postgres.new_database(), env=env)) as server:
        own_postgres.halt()
        try:
            shutil.copy(data / "ocr-tesseract-test" / "phototest.tif", tmp_path / "in" / "while away.tif")
            until(lambda: not (tmp_path / "in" / "while away.tif").exists(), timeout=30)  # claimed
            time.sleep(2)  # the first hand-over fails meanwhile
        finally:
            own_postgres.resume()
        until(lambda: (tmp_path / "out" / "while away.txt").exists(), timeout=120)
    assert "quick brown dog" in (tmp_path / "out" / "while away.txt").read_text(encoding="utf-8")
    on_s3(server)
