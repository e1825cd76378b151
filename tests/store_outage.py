"""An object store that goes away for a while, on purpose: a proxy in front of SeaweedFS's S3 port that answers every
request with 503 SlowDown (what S3 says when it is overloaded) while `down` is set, and passes it on otherwise. Clients
sign for the proxy's address; the Host header goes through unchanged, so SeaweedFS checks the same signature."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
)
Header = tuple[str, str]
_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "content-length"}


class StoreOutage:
    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.down = threading.Event()
        self.refused = 0  # requests answered 503
        outage = self

        class Relay(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, and "Expect: 100-continue" answered as boto3 expects

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outage.down.is_set():
                    outage.refused += 1
                    self._answer(503, "Slow Down", [("Content-Type", "application/xml")], SLOW_DOWN, len(SLOW_DOWN))
                    return
                headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP}
                headers["Content-Length"] = str(len(body))
                upstream = http.client.HTTPConnection(outage.upstream.hostname or "", outage.upstream.port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    length = int(answer.getheader("Content-Length") or len(data))  # a HEAD's is the object's
                    passed = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP]
                    self._answer(answer.status, answer.reason, passed, data, length)
                finally:
                    upstream.close()

            def _answer(self, status: int, reason: str, headers: list[Header], data: bytes, length: int) -> None:
                self.send_response(status, reason)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StoreOutage:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
