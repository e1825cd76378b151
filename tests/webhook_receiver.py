"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records what it gets, and the check a receiver
makes of the Ocrmill-Signature."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    at: float
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that answers POSTs with the statuses of `script` in turn, then 200."""

    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?token=x"

    def wait_for(self, count: int, timeout: float = 120) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} deliveries came"
            time.sleep(0.05)
        return self.received


@contextlib.contextmanager
def receiver(script: list[int] | None = None, *, delay: float = 0) -> Iterator[Receiver]:
    """`delay`: seconds each answer takes."""
    state = Receiver(script=list(script or []))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.received.append(Received(time.monotonic(), {k.lower(): v for k, v in self.headers.items()}, body))
                status = state.script.pop(0) if state.script else 200
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def verified(secret: str, received: Received) -> dict[str, Any]:
    """The body, once its Ocrmill-Signature checks out as a receiver would check it."""
    parts = dict(item.split("=", 1) for item in received.headers["ocrmill-signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected), "the signature does not verify"
    assert abs(time.time() - int(parts["t"])) < 300
    body: dict[str, Any] = json.loads(received.body)
    assert received.headers["ocrmill-delivery"] == body["deliveryId"]
    assert received.headers["content-type"] == "application/json"
    return body
