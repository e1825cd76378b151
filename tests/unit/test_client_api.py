"""The asyncio client is the blocking one, awaited: the same public methods with the same parameters, so that
neither grows a method the other lacks."""

from __future__ import annotations

import inspect
from typing import Any

from ocrmill.client import AsyncClient, Client

RENAMED = {"close": "aclose", "__enter__": "__aenter__", "__exit__": "__aexit__"}


def public(cls: type) -> dict[str, Any]:
    dunders = {*RENAMED, *RENAMED.values()}
    return {name: member for name, member in vars(cls).items() if not name.startswith("_") or name in dunders}


def test_async_client_mirrors_client() -> None:
    blocking, awaited = public(Client), public(AsyncClient)
    assert {RENAMED.get(name, name) for name in blocking} == set(awaited)
    for name, method in blocking.items():
        twin = awaited[RENAMED.get(name, name)]
        assert inspect.iscoroutinefunction(twin), name
        if name not in RENAMED:
            assert inspect.signature(twin) == inspect.signature(method), name
