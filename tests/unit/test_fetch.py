"""The URL guard: refused addresses, the allow-list, pinned DNS, size and time limits, redirects, types, data: URLs.

Real HTTP(S) servers (http.server in threads) on 127.0.0.1 ephemeral ports; the allow-list names 127.0.0.1 where a
test needs to reach them.
"""

from __future__ import annotations

import base64
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ocrmill.errors import FetchError, InputError
from ocrmill.pipeline.fetch import FetchLimits, fetch

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
MB = 2**20
LOCAL = FetchLimits(max_bytes=1 * MB, timeout_seconds=5, max_redirects=3, allow=("127.0.0.1",))


@dataclass
class State:
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)
    sni: list[str | None] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Web

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        parts = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parts.path)
        state.requests.append((path, self.headers.get("Host", "")))
        query = dict(urllib.parse.parse_qsl(parts.query))
        route = ROUTES.get(path, not_found)
        try:
            route(self, query)
        except OSError:  # the client went away (it gave up, as it should)
            self.close_connection = True

    def answer(self, status: int, body: bytes, content_type: str | None = "image/png", **headers: str) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)


def png(h: Handler, q: dict[str, str]) -> None:
    h.answer(200, PNG, q.get("type", "image/png"))


def no_type(h: Handler, q: dict[str, str]) -> None:
    h.answer(200, PNG, None)


def host(h: Handler, q: dict[str, str]) -> None:
    h.answer(200, h.headers.get("Host", "").encode(), "image/png")


def not_found(h: Handler, q: dict[str, str]) -> None:
    h.answer(404, b"no such page", "text/plain")


def error(h: Handler, q: dict[str, str]) -> None:
    h.answer(500, b"oops", "text/plain")


def redirect(h: Handler, q: dict[str, str]) -> None:
    h.answer(int(q.get("status", "302")), b"", "text/plain", Location=q["to"])


def redirect_without_location(h: Handler, q: dict[str, str]) -> None:
    h.answer(302, b"", "text/plain")


def chain(h: Handler, q: dict[str, str]) -> None:
    n = int(q["n"])
    h.answer(302, b"", "text/plain", Location=f"/chain?n={n - 1}" if n > 1 else "/png")


def loop(h: Handler, q: dict[str, str]) -> None:
    h.answer(302, b"", "text/plain", Location="/loop")


def big_length(h: Handler, q: dict[str, str]) -> None:
    """Claims 50 MB, sends a little, then waits: only an early refusal is quick."""
    h.send_response(200)
    h.send_header("Content-Type", "image/png")
    h.send_header("Content-Length", str(50 * MB))
    h.end_headers()
    h.wfile.write(PNG)
    h.wfile.flush()
    h.server.state.stop.wait(5)


def big_chunked(h: Handler, q: dict[str, str]) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "image/png")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    piece = b"x" * 65536
    for _ in range(int(q.get("chunks", "48"))):  # 3 MB by default
        h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    h.wfile.write(b"0\r\n\r\n")


def big_unframed(h: Handler, q: dict[str, str]) -> None:
    """No Content-Length, no chunking: the body ends when the connection closes."""
    h.send_response(200)
    h.send_header("Content-Type", "image/png")
    h.send_header("Connection", "close")
    h.end_headers()
    for _ in range(48):
        h.wfile.write(b"x" * 65536)
    h.close_connection = True


def trickle(h: Handler, q: dict[str, str]) -> None:
    """Headers at once, then one byte every 50 ms (or `every` s): each read succeeds, the whole takes long."""
    h.send_response(200)
    h.send_header("Content-Type", "image/png")
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.flush()
    for _ in range(1000):
        if h.server.state.stop.wait(float(q.get("every", "0.05"))):
            return
        h.wfile.write(b"x")
        h.wfile.flush()


def trickle_headers(h: Handler, q: dict[str, str]) -> None:
    """The status line and headers one byte every 50 ms, an endless header."""
    h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    for _ in range(1000):
        if h.server.state.stop.wait(0.05):
            return
        h.wfile.write(b"a")
        h.wfile.flush()


def hang(h: Handler, q: dict[str, str]) -> None:
    h.server.state.stop.wait(5)


def short(h: Handler, q: dict[str, str]) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "image/png")
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.write(PNG[:10])
    h.close_connection = True


def gzipped(h: Handler, q: dict[str, str]) -> None:
    h.answer(200, PNG, "image/png", Content_Encoding="gzip")


ROUTES: dict[str, Callable[[Handler, dict[str, str]], None]] = {
    "/png": png,
    "/no-type": no_type,
    "/host": host,
    "/error": error,
    "/redirect": redirect,
    "/redirect-without-location": redirect_without_location,
    "/chain": chain,
    "/loop": loop,
    "/big-length": big_length,
    "/big-chunked": big_chunked,
    "/big-unframed": big_unframed,
    "/trickle": trickle,
    "/trickle-headers": trickle_headers,
    "/hang": hang,
    "/short": short,
    "/gzip": gzipped,
}


class Web(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], tls: ssl.SSLContext | None = None) -> None:
        super().__init__(address, Handler)
        self.state = State()
        self.tls = tls
        if tls is not None:
            tls.sni_callback = self.record_sni

    def record_sni(self, sock: Any, name: str | None, context: ssl.SSLContext) -> None:
        self.state.sni.append(name)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.tls is not None:  # handshake in the handler thread, not in the accept loop
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # failed handshakes and vanished clients are what several tests do on purpose

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        assert isinstance(host, str)
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host if ':' not in host else f'[{host}]'}:{port}"


class Web6(Web):
    address_family = socket.AF_INET6


def serve(server: Web) -> Iterator[Web]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.state.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def web() -> Iterator[Web]:
    yield from serve(Web(("127.0.0.1", 0)))


@pytest.fixture
def requests(web: Web) -> list[tuple[str, str]]:
    web.state.requests.clear()
    return web.state.requests


def refused(url: str, limits: FetchLimits = LOCAL, **kwargs: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, limits=limits, **kwargs)
    return caught.value


# --- addresses -------------------------------------------------------------------------------------------------------

NO_ALLOW = FetchLimits(max_bytes=MB, timeout_seconds=5)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:{port}/png", "refused: 127.0.0.1 is a loopback address"),
        ("http://localhost:{port}/png", "refused: localhost resolves to 127.0.0.1, a loopback address"),
        ("http://LOCALHOST./png", "refused: localhost resolves to 127.0.0.1, a loopback address"),
        ("http://[::1]:{port}/png", "refused: ::1 is a loopback address"),
        ("http://0.0.0.0:{port}/png", "refused: 0.0.0.0 is an unspecified address"),
        ("http://[::]:{port}/png", "refused: :: is an unspecified address"),
        ("http://10.1.2.3/png", "refused: 10.1.2.3 is a private address"),
        ("http://172.16.0.1/png", "refused: 172.16.0.1 is a private address"),
        ("http://192.168.1.1/png", "refused: 192.168.1.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"),
        ("http://[fe80::1]/png", "refused: fe80::1 is a link-local address"),
        ("http://[fc00::1]/png", "refused: fc00::1 is a private address"),
        ("http://224.0.0.1/png", "refused: 224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/png", "refused: 240.0.0.1 is a reserved address"),
        ("http://100.64.0.1/png", "refused: 100.64.0.1 is not a public address"),
        ("http://[::ffff:127.0.0.1]:{port}/png", "is the IPv4-mapped form of 127.0.0.1, a loopback address"),
        ("http://[::ffff:a9fe:a9fe]/", "is the IPv4-mapped form of 169.254.169.254, a link-local address"),
        ("http://[2002:7f00:1::1]/png", "refused: 2002:7f00:1::1 is the 6to4 form of 127.0.0.1, a loopback address"),
        ("http://[2002:a00:1::]/png", "refused: 2002:a00:1:: is the 6to4 form of 10.0.0.1, a private address"),
        ("http://[64:ff9b::a00:1]/png", "refused: 64:ff9b::a00:1 is the NAT64 form of 10.0.0.1, a private address"),
        ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "is the Teredo form of 127.0.0.1, a loopback address"),
        ("http://2130706433:{port}/png", "refused: 2130706433 resolves to 127.0.0.1, a loopback address"),
        ("http://0x7f000001:{port}/png", "refused: 0x7f000001 resolves to 127.0.0.1, a loopback address"),
        ("http://017700000001:{port}/png", "resolves to 127.0.0.1, a loopback address"),
        ("http://127.1:{port}/png", "refused: 127.1 resolves to 127.0.0.1, a loopback address"),
        ("https://127.0.0.1:{port}/png", "refused: 127.0.0.1 is a loopback address"),
    ],
)
def test_refused_without_the_allow_list(web: Web, requests: list[Any], url: str, message: str) -> None:
    error = refused(url.format(port=web.server_address[1]), NO_ALLOW)
    assert message in error.message
    assert isinstance(error, InputError) and error.http_status == 400
    assert requests == []  # refused before connecting


def test_allowed_with_the_allow_list(web: Web, requests: list[Any]) -> None:
    url = f"{web.base}/png"
    for allow in [("127.0.0.1",), ("127.0.0.0/8",), ("10.0.0.0/8", "127.0.0.1/32")]:
        got = fetch(url, limits=FetchLimits(allow=allow))
        assert (got.data, got.content_type, got.final_url) == (PNG, "image/png", url)
    got = fetch(f"http://localhost:{web.server_address[1]}/host", limits=FetchLimits(allow=("LocalHost",)))
    assert got.data == f"localhost:{web.server_address[1]}".encode()
    assert "loopback" in refused(url, FetchLimits(allow=("10.0.0.0/8", "127.0.0.2", "example.org"))).message
    assert len(requests) == 4


def test_ipv6_loopback_allowed_by_its_network() -> None:
    try:
        server = Web6(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    for web6 in serve(server):
        url = f"{web6.base}/png"
        assert "refused: ::1 is a loopback address" in refused(url, NO_ALLOW).message
        assert fetch(url, limits=FetchLimits(allow=("::1/128",))).data == PNG
        assert fetch(url, limits=FetchLimits(allow=("[::1]",))).data == PNG


class FakeDns:
    """socket.getaddrinfo for *.example names: a list of answers, one per lookup; other names as usual."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []
        self.release = threading.Event()
        self.real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if not str(host).endswith(".example"):
            return self.real(host, port, *args, **kwargs)
        self.lookups.append(str(host))
        if not self.answers:
            self.release.wait(3)
            raise socket.gaierror(socket.EAI_AGAIN, "timed out")
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port)))
            for ip in answer
        ]


def test_dns_is_looked_up_once_and_the_checked_address_used(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    # A rebinding name: first 127.0.0.1 (allowed here), then the metadata service. One lookup, and the connection
    # goes to the address that was checked, with the name in the Host header.
    dns = FakeDns(monkeypatch, ["127.0.0.1"], ["169.254.169.254"])
    port = web.server_address[1]
    got = fetch(f"http://images.example:{port}/host", limits=LOCAL)
    assert got.data == f"images.example:{port}".encode()
    assert dns.lookups == ["images.example"]


def test_any_bad_address_of_a_name_refuses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeDns(monkeypatch, ["93.184.215.14", "10.0.0.7"])
    assert refused("http://mixed.example/png", NO_ALLOW).message == (
        "refused: mixed.example resolves to 10.0.0.7, a private address"
    )
    FakeDns(monkeypatch, ["93.184.215.14", "::ffff:127.0.0.1"])
    message = refused("http://mixed.example/", NO_ALLOW).message
    assert message.startswith("refused: mixed.example resolves to ::ffff:")
    assert message.endswith(", the IPv4-mapped form of 127.0.0.1, a loopback address")


def test_a_name_on_the_allow_list_may_be_private(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    FakeDns(monkeypatch, ["127.0.0.1"])
    url = f"http://scanner.example:{web.server_address[1]}/png"
    assert "refused: scanner.example resolves to 127.0.0.1" in refused(url, NO_ALLOW).message
    assert fetch(url, limits=FetchLimits(allow=("scanner.example",))).data == PNG


def test_a_slow_dns_lookup_counts_against_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    dns = FakeDns(monkeypatch)  # no answers: the lookup hangs
    start = time.monotonic()
    assert refused("http://slow.example/png", FetchLimits(timeout_seconds=0.5)).message == "no answer within 0.5 s"
    assert time.monotonic() - start < 1.5
    dns.release.set()


def test_unresolvable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    assert refused("https://nowhere.invalid/x.png").message == "the host name nowhere.invalid could not be resolved"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://127.0.0.1/x.png", "unsupported URL scheme ftp: use http, https or data"),
        ("file:///etc/passwd", "unsupported URL scheme file"),
        ("gopher://127.0.0.1:70/", "unsupported URL scheme gopher"),
        ("/etc/passwd", "unsupported URL scheme (none)"),
        ("http:///png", "the URL has no host name"),
        ("http://user:pw@127.0.0.1/png", "URLs with a user name or password are not supported"),
        ("http://127.0.0.1:99999/png", "the URL is not valid"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    assert message in refused(url).message


def test_connection_refused(web: Web) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening
        assert refused(f"http://127.0.0.1:{port}/png").message == "could not connect to 127.0.0.1: connection refused"


# --- size ------------------------------------------------------------------------------------------------------------


def test_refused_early_on_content_length(web: Web) -> None:
    start = time.monotonic()
    assert refused(f"{web.base}/big-length").message == "the image is larger than 1 MB"
    assert time.monotonic() - start < 1  # the server would keep us waiting for the rest


@pytest.mark.parametrize("path", ["/big-chunked", "/big-unframed"])
def test_refused_while_streaming(web: Web, path: str) -> None:
    assert refused(f"{web.base}{path}").message == "the image is larger than 1 MB"
    limits = FetchLimits(max_bytes=1000, allow=("127.0.0.1",))
    assert refused(f"{web.base}/png?{path}", limits).message == "the image is larger than 1000 bytes"


def test_chunked_body_within_the_limit(web: Web) -> None:
    got = fetch(f"{web.base}/big-chunked?chunks=3", limits=LOCAL)
    assert got.data == b"x" * 3 * 65536


def test_path_is_sent_percent_encoded(web: Web, requests: list[Any]) -> None:
    assert fetch(f"{web.base}/png?type=image/png&name=a b\u00e4", limits=LOCAL).data == PNG
    assert fetch(f"{web.base}/p%6Eg", limits=LOCAL).data == PNG  # %XX stays as it is
    assert requests == [("/png", f"127.0.0.1:{web.server_address[1]}")] * 2


def test_body_shorter_than_its_length(web: Web) -> None:
    assert "closed before the whole image arrived" in refused(f"{web.base}/short").message


# --- time ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/trickle", "/trickle?every=0.7", "/trickle-headers", "/hang"])
def test_deadline_holds_against_slow_servers(web: Web, path: str) -> None:
    start = time.monotonic()
    limits = FetchLimits(timeout_seconds=1, allow=("127.0.0.1",))
    assert refused(f"{web.base}{path}", limits).message == "no answer within 1 s"
    assert 0.9 <= time.monotonic() - start < 1.6


# --- redirects -------------------------------------------------------------------------------------------------------


def q(url: str) -> str:
    return urllib.parse.quote(url, safe="")


def test_redirects_are_followed_and_rechecked(web: Web, requests: list[Any]) -> None:
    got = fetch(f"{web.base}/redirect?to=/png", limits=LOCAL)
    assert (got.data, got.final_url) == (PNG, f"{web.base}/png")
    got = fetch(f"{web.base}/redirect?status=307&to={q(web.base + '/png')}", limits=LOCAL)
    assert got.data == PNG
    assert fetch(f"{web.base}/chain?n=3", limits=LOCAL).data == PNG  # 3 redirects: the most allowed
    assert [path for path, _ in requests] == [
        "/redirect",
        "/png",
        "/redirect",
        "/png",
        "/chain",
        "/chain",
        "/chain",
        "/png",
    ]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"),
        ("http://127.0.0.2/png", "refused: 127.0.0.2 is a loopback address"),
        ("http://[::1]/png", "refused: ::1 is a loopback address"),
        ("http://2130706434/png", "refused: 2130706434 resolves to 127.0.0.2, a loopback address"),
        ("file:///etc/passwd", "a redirect led to a URL that is not http or https"),
        ("data:image/png;base64,iVBORw0KGgo=", "a redirect led to a URL that is not http or https"),
    ],
)
def test_redirect_to_a_refused_address(web: Web, requests: list[Any], target: str, message: str) -> None:
    assert refused(f"{web.base}/redirect?to={q(target)}").message == message
    assert [path for path, _ in requests] == ["/redirect"]


def test_redirect_loop_and_too_long_chains(web: Web, requests: list[Any]) -> None:
    assert refused(f"{web.base}/loop").message == "too many redirects (max 3)"
    assert len(requests) == 4
    limits = FetchLimits(max_redirects=2, allow=("127.0.0.1",))
    assert refused(f"{web.base}/chain?n=3", limits).message == "too many redirects (max 2)"
    limits = FetchLimits(max_redirects=0, allow=("127.0.0.1",))
    assert refused(f"{web.base}/redirect?to=/png", limits).message == "too many redirects (max 0)"


def test_redirect_without_location(web: Web) -> None:
    assert "HTTP 302 Found without a Location" in refused(f"{web.base}/redirect-without-location").message


# --- answers ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/png?type=text/html", "content type text/html is not an image"),
        ("/png?type=text/html;+charset=utf-8", "content type text/html is not an image"),
        ("/png?type=application/json", "content type application/json is not an image"),
        ("/nothing-here", "the server answered HTTP 404 Not Found"),
        ("/error", "the server answered HTTP 500 Internal Server Error"),
        ("/gzip", "content encoding gzip is not supported"),
    ],
)
def test_refused_answers(web: Web, path: str, message: str) -> None:
    assert refused(f"{web.base}{path}").message == message


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/png?type=IMAGE/PNG;+charset=binary", "image/png"),
        ("/png?type=image/jpeg", "image/jpeg"),
        ("/png?type=application/pdf", "application/pdf"),
        ("/png?type=application/octet-stream", "application/octet-stream"),  # the caller sniffs
        ("/no-type", "application/octet-stream"),
    ],
)
def test_accepted_types(web: Web, path: str, content_type: str) -> None:
    got = fetch(f"{web.base}{path}", limits=LOCAL)
    assert (got.data, got.content_type) == (PNG, content_type)


# --- data: URLs ------------------------------------------------------------------------------------------------------


def test_data_urls() -> None:
    encoded = base64.b64encode(PNG).decode()
    got = fetch(f"data:image/png;base64,{encoded}", limits=NO_ALLOW)
    assert (got.data, got.content_type) == (PNG, "image/png")
    got = fetch(f"DATA:Image/PNG;name=page1.png;BASE64,{urllib.parse.quote(encoded)}", limits=NO_ALLOW)
    assert (got.data, got.content_type) == (PNG, "image/png")
    got = fetch("data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E", limits=NO_ALLOW)
    assert got.data == b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    got = fetch("data:application/pdf;base64,JVBERi0xLjQK", limits=NO_ALLOW)
    assert (got.data, got.content_type) == (b"%PDF-1.4\n", "application/pdf")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("data:text/plain,hello", "content type text/plain is not an image"),
        ("data:,hello", "content type text/plain is not an image"),
        ("data:text/html;base64,PGgxPg==", "content type text/html is not an image"),
        ("data:application/octet-stream;base64,AAAA", "content type application/octet-stream is not an image"),
        ("data:image/png;base64,@@@@", "the data: URL is not valid base64"),
        ("data:image/png;base64,iVBORw0KGgo", "the data: URL is not valid base64"),  # padding missing
        ("data:image/png;base64", "the data: URL has no comma before its data"),
        ("data:image/png;base64,", "the data: URL is empty"),
        ("data:image/png," + "%00" * 3001, "the image is larger than 2.93 kB"),
        ("data:image/png;base64," + base64.b64encode(b"\0" * 3001).decode(), "the image is larger than 2.93 kB"),
        ("data:image/png;base64," + "A" * 40000, "the image is larger than 2.93 kB"),  # refused before decoding
    ],
)
def test_bad_data_urls(url: str, message: str) -> None:
    assert refused(url, FetchLimits(max_bytes=3000)).message == message


# --- https -----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for images.example (and nothing else)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=images.example"),
            *("-addext", "subjectAltName=DNS:images.example"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def tls_web(certificate: tuple[Path, Path]) -> Iterator[Web]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    yield from serve(Web(("127.0.0.1", 0), tls=context))


def test_https_pins_the_address_and_checks_the_name(
    tls_web: Web, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    dns = FakeDns(monkeypatch, ["127.0.0.1"], ["169.254.169.254"])
    port = tls_web.server_address[1]
    tls_web.state.sni.clear()
    got = fetch(f"https://images.example:{port}/host", limits=LOCAL, tls_context=trust)
    assert got.data == f"images.example:{port}".encode()
    assert got.final_url == f"https://images.example:{port}/host"
    assert tls_web.state.sni == ["images.example"]
    assert dns.lookups == ["images.example"]
    # The same server by its address: the certificate does not name 127.0.0.1.
    error = refused(f"https://127.0.0.1:{port}/png", LOCAL, tls_context=trust)
    assert error.message.startswith("the TLS certificate of 127.0.0.1 is not valid: ")
    # The system's trust store does not know this self-signed certificate.
    FakeDns(monkeypatch, ["127.0.0.1"])
    error = refused(f"https://images.example:{port}/png", LOCAL)
    assert error.message.startswith("the TLS certificate of images.example is not valid: ")
    assert "self-signed" in error.message or "self signed" in error.message
