from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import DATA, Postgres, Server, running
from tests.remote import Remote, remote_server

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


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A started server with default settings, on SQLite and on PostgreSQL."""
    url = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else ""
    with running(Server(tmp_path_factory.mktemp(f"server-{request.param}"), database_url=url)) as srv:
        yield srv


@pytest.fixture()
def make_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    """Builds servers with their own settings: make_server(env={...}, database="postgres")."""
    started: list[Server] = []

    def make(*, env: dict[str, str] | None = None, database: str = "sqlite", start: bool = True) -> Server:
        url = request.getfixturevalue("postgres").new_database() if database == "postgres" else ""
        srv = Server(tmp_path / f"server{len(started)}", database_url=url, env=env)
        started.append(srv)
        return srv.start() if start else srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    """A started server with authentication on and an API token of its user (the client's and remote CLI's tests)."""
    with remote_server(tmp_path_factory.mktemp("remote")) as started:
        yield started
