"""A server for the client's and the remote CLI's tests: authentication on, a user, and an API token of hers."""

from __future__ import annotations

from dataclasses import dataclass

from ocrmill.client import Client
from tests.harness import Server

ALICE = ("alice", "alice-secret-password")


@dataclass(frozen=True)
class Remote:
    server: Server
    url: str  # what a client is given: http://127.0.0.1:<port>
    token: str  # an API token of ALICE's, made through the client


def remote_of(server: Server) -> Remote:
    """`server` (started, authentication on) with ALICE added and an API token of hers."""
    server.add_user(*ALICE)
    url = f"http://127.0.0.1:{server.port}"
    with Client(url, auth=ALICE) as basic:
        token = basic.create_token("tests").secret
    return Remote(server, url, token)
