from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ocrmill.store.files import FileStore, LocalFiles
from tests.harness import DATA, Postgres, SeaweedFS, Server, job_files, running, stored_names
from tests.remote import Remote, remote_of

os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@pytest.fixture(scope="session")
def data() -> Path:
    assert DATA.is_dir(), f"the shared test data is missing: {DATA}"
    return DATA


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    pg = Postgres().start()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[Postgres]:
    """A cluster of the test module's own, for tests that stop and start it (halt, resume)."""
    pg = Postgres().start()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[SeaweedFS]:
    """A SeaweedFS server answering S3: the object store of the tests marked s3 (a new bucket each)."""
    weed = SeaweedFS().start()
    try:
        yield weed
    finally:
        weed.stop()


STORES = ["local", pytest.param("s3", marks=pytest.mark.s3)]

# The servers the `server` fixture starts, by the id pytest shows: (database, file store).
KINDS = {
    "sqlite": ("sqlite", "local"),
    "postgres": ("postgres", "local"),
    "s3": ("sqlite", "s3"),
    "postgres-s3": ("postgres", "s3"),
}


def kind(name: str) -> Any:
    database, store = KINDS[name]
    marks = [*([pytest.mark.postgres] if database == "postgres" else []), *([pytest.mark.s3] if store == "s3" else [])]
    return pytest.param(name, marks=marks)


# Both databases and both file stores in two passes, for modules whose tests measure what the server makes rather than
# the database (marked paired): PostgreSQL with S3 is also how ocrmill runs on several machines.
PAIRED = [kind("sqlite"), kind("postgres-s3")]


def one_pass(fixture: str, name: str = "sqlite") -> pytest.MarkDecorator:
    """For a test of a module whose paired `fixture` other tests already take through both stores, and which adds no
    file of its own that they do not: the `name` pass only."""
    return pytest.mark.parametrize(fixture, [kind(name)], indirect=True)


def store_env(request: pytest.FixtureRequest, store: str) -> dict[str, str]:
    """The settings of a server whose file store is `store`: the data folder ("local"), or a new bucket ("s3")."""
    if store != "s3":
        return {}
    weed: SeaweedFS = request.getfixturevalue("seaweedfs")
    return weed.env(weed.new_bucket())


@contextmanager
def started(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    *,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """A started server of the kind the fixture's parameter names (KINDS), with `env` on top of its settings. On the S3
    store, once it has stopped, its files must all be in the bucket: none in the data folder."""
    database, store = KINDS[request.param]
    url = request.getfixturevalue("postgres").new_database() if database == "postgres" else ""
    root = tmp_path_factory.mktemp(f"{name}-{request.param}")
    srv = Server(root, database_url=url, env={**store_env(request, store), **(env or {})})
    with running(srv):
        yield srv
    if store == "s3":
        assert job_files(srv.data_dir) == [], "files of the S3 pass in the data folder"
        assert stored_names(srv, ""), "the S3 pass stored nothing in its bucket"


@pytest.fixture(params=STORES)
def file_store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore:
    """Each file store by itself: the data folder, and a new bucket on SeaweedFS."""
    if request.param == "local":
        return LocalFiles(tmp_path / "data")
    weed: SeaweedFS = request.getfixturevalue("seaweedfs")
    return weed.store("files")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`server` on SQLite and PostgreSQL, and in modules marked s3 once more on SQLite with the S3 file store; in
    modules marked paired (their own `server` fixture too), PAIRED."""
    if "server" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("paired"):
        kinds = PAIRED
    elif "server" in metafunc.module.__dict__:
        return
    else:
        kinds = [
            kind("sqlite"),
            kind("postgres"),
            *([kind("s3")] if metafunc.definition.get_closest_marker("s3") else []),
        ]
    metafunc.parametrize("server", kinds, indirect=True, scope="module")


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A started server with default settings, of each kind pytest_generate_tests gives the module."""
    with started(request, tmp_path_factory, "server") as srv:
        yield srv


@pytest.fixture()
def make_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    """Builds servers with their own settings: make_server(env={...}, database="postgres"), or of a kind of KINDS
    (make_server(kind="postgres-s3"))."""
    started: list[Server] = []

    def make(
        *,
        env: dict[str, str] | None = None,
        database: str = "sqlite",
        start: bool = True,
        store: str = "local",
        kind: str = "",
    ) -> Server:
        if kind:
            database, store = KINDS[kind]
        url = request.getfixturevalue("postgres").new_database() if database == "postgres" else ""
        env = {**store_env(request, store), **(env or {})}
        srv = Server(tmp_path / f"server{len(started)}", database_url=url, env=env)
        started.append(srv)
        return srv.start() if start else srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(scope="module", params=PAIRED)
def remote(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    """A started server with authentication on and an API token of its user (the client's and remote CLI's tests),
    paired: on SQLite with the data folder, and on PostgreSQL with the S3 store."""
    with started(request, tmp_path_factory, "remote", env={"OCRMILL_AUTH": "true"}) as srv:
        yield remote_of(srv)
