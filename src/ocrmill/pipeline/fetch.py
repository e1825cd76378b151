"""Fetching a page image by URL (an invoice job's `pageUrl`), guarded against server-side request forgery.

- Schemes: http, https and data (base64 or percent-encoded).
- The host name is resolved once; if any of its addresses is loopback, private, link-local, multicast, reserved,
  unspecified or otherwise not public (also inside IPv4-mapped, 6to4, Teredo and NAT64 IPv6 forms), the fetch is
  refused unless the allow-list names the host or covers the address. The connection then goes to that checked
  address (no second lookup, so DNS rebinding cannot swap it), with the original Host header, and for https the
  certificate is verified against the host name (SNI).
- Redirects are followed here, not by a library, and every target is checked the same way.
- Size and time: max_bytes is enforced on Content-Length and while streaming; timeout_seconds is the wall time of
  the whole fetch, redirects included (socket timeouts plus a watchdog that cuts a connection at the deadline).
- The answer must be image/* or application/pdf; application/octet-stream (or no type) is passed on for the caller
  to sniff.

Every refusal is a FetchError (an InputError: the client's URL is at fault, HTTP 400) with a short message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from ocrmill.errors import FetchError, FetchTooLarge

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

USER_AGENT = "ocrmill"
REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F))


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 20 * 2**20
    timeout_seconds: float = 10.0  # wall time of the whole fetch, redirects included
    max_redirects: int = 3
    allow: tuple[str, ...] = ()  # host names, IP addresses or CIDR networks that may be private


@dataclass(frozen=True)
class Fetched:
    data: bytes
    content_type: str  # media type without parameters, lower case: "image/png", "application/octet-stream"
    final_url: str  # after redirects


def fetch(url: str, *, limits: FetchLimits, tls_context: ssl.SSLContext | None = None) -> Fetched:
    """The bytes at an http(s):// or data: URL, under the rules of the module docstring. Raises FetchError.

    `tls_context` replaces the default (system trust store, host name checked) for https, e.g. for a private CA.
    """
    scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
    if scheme == "data":
        return _data_url(url, limits)
    if scheme not in ("http", "https"):
        raise FetchError(f"unsupported URL scheme {scheme or '(none)'}: use http, https or data")
    allow = _Allow(limits.allow)
    deadline = _Deadline(limits.timeout_seconds)
    current = url
    for _ in range(limits.max_redirects + 1):
        target = _Target.parse(current)
        addresses = _resolve(target.host, target.port, deadline)
        allow.check(target.host, addresses)
        answer = _get(target, addresses, limits, deadline, tls_context)
        if isinstance(answer, tuple):
            return Fetched(answer[0], answer[1], current)
        current = urllib.parse.urljoin(current, answer)
        if urllib.parse.urlsplit(current).scheme.lower() not in ("http", "https"):
            raise FetchError("a redirect led to a URL that is not http or https")
    raise FetchError(f"too many redirects (max {limits.max_redirects})")


def checked_target(url: str, *, allow: tuple[str, ...], timeout_seconds: float) -> CheckedTarget:
    """An http(s) URL resolved once and checked as a fetch's target is (for senders of our own, e.g. webhooks).
    Raises FetchError: the URL is not valid, the host does not resolve (transient), or an address is refused."""
    target = _Target.parse(url)
    addresses = _resolve(target.host, target.port, _Deadline(timeout_seconds))
    _Allow(allow).check(target.host, addresses)
    ips = tuple(dict.fromkeys(str(sockaddr[0]).split("%", 1)[0] for _family, sockaddr in addresses))
    return CheckedTarget(target.scheme, target.host, target.port, target.path, addresses=ips)


# --- the URL ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII (IDNA), lower case, IPv6 without brackets
    port: int
    path: str  # path and query, as sent in the request line

    @classmethod
    def parse(cls, url: str) -> _Target:
        try:
            parts = urllib.parse.urlsplit(url.strip())
            port = parts.port
        except ValueError as e:
            raise FetchError(f"the URL is not valid: {e}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(f"unsupported URL scheme {scheme or '(none)'}: use http, https or data")
        if parts.username is not None or parts.password is not None:
            raise FetchError("URLs with a user name or password are not supported")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise FetchError("the URL has no host name")
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise FetchError(f"the host name {host} is not valid") from None
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        path = urllib.parse.quote(path, safe=_PRINTABLE)  # spaces, controls and non-ASCII as %XX
        return cls(scheme, host, port or (443 if scheme == "https" else 80), path)


@dataclass(frozen=True)
class CheckedTarget(_Target):
    """An http(s) URL's target whose addresses passed the guard; connect to one of `addresses` (no second lookup)."""

    addresses: tuple[str, ...] = ()  # IP addresses as text

    def pinned_url(self, address: str) -> str:
        """The URL with `address` in place of the host name (send the host in Host, and as SNI for https)."""
        literal = f"[{address}]" if ":" in address else address
        return f"{self.scheme}://{literal}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        literal = f"[{self.host}]" if ":" in self.host else self.host
        return literal if self.port == default else f"{literal}:{self.port}"


def _data_url(url: str, limits: FetchLimits) -> Fetched:
    header, comma, payload = url[len("data:") :].partition(",")
    if not comma:
        raise FetchError("the data: URL has no comma before its data")
    params = [part.strip() for part in header.split(";")]
    is_base64 = params[-1].lower() == "base64"
    if is_base64:
        params.pop()
    media_type = params[0].lower() if params and params[0] else "text/plain"
    if not _wanted(media_type, octet_stream=False):
        raise FetchError(f"content type {media_type} is not an image")
    if len(payload) * (3 / 4 if is_base64 else 1 / 3) > limits.max_bytes + 4:  # the least it can decode to
        raise FetchTooLarge(f"the image is larger than {_size(limits.max_bytes)}")
    raw = urllib.parse.unquote_to_bytes(payload)
    if is_base64:
        try:
            data = base64.b64decode(b"".join(raw.split()), validate=True)
        except (binascii.Error, ValueError):
            raise FetchError("the data: URL is not valid base64") from None
    else:
        data = raw
    if len(data) > limits.max_bytes:
        raise FetchTooLarge(f"the image is larger than {_size(limits.max_bytes)}")
    if not data:
        raise FetchError("the data: URL is empty")
    return Fetched(data, media_type, url)


def _wanted(media_type: str, *, octet_stream: bool) -> bool:
    return (
        media_type.startswith("image/")
        or media_type == "application/pdf"
        or (octet_stream and media_type == "application/octet-stream")
    )


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} kB"
    return f"{n} bytes"


# --- addresses -------------------------------------------------------------------------------------------------------


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def error(self) -> FetchError:
        return FetchError(f"no answer within {self.seconds:g} s", transient=True)

    def passed(self) -> bool:
        return time.monotonic() >= self.end

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.error()
        return left


def _resolve(host: str, port: int, deadline: _Deadline) -> list[tuple[int, tuple[Any, ...]]]:
    """(family, sockaddr) of every address of the host, looked up once, in a thread so the deadline holds."""
    result: list[Any] = []
    failure: list[BaseException] = []

    def lookup() -> None:
        try:
            result.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP))
        except (OSError, UnicodeError) as e:
            failure.append(e)

    if _literal(host) is not None:
        lookup()  # no DNS involved
    else:
        thread = threading.Thread(target=lookup, name="fetch-dns", daemon=True)
        thread.start()
        thread.join(deadline.remaining())
        if thread.is_alive():
            raise deadline.error()
    if failure or not result:
        raise FetchError(f"the host name {host} could not be resolved", transient=True)
    seen: set[tuple[Any, ...]] = set()
    addresses: list[tuple[int, tuple[Any, ...]]] = []
    for family, _type, _proto, _name, sockaddr in result:
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr not in seen:
            seen.add(sockaddr)
            addresses.append((family, sockaddr))
    if not addresses:
        raise FetchError(f"the host name {host} has no IP address")
    return addresses


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded_v4(ip: IPAddress) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries and may reach, and how: IPv4-mapped, 6to4, Teredo, NAT64."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip.teredo is not None:
        return "Teredo", ip.teredo[1]
    if ip in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: IPAddress) -> str | None:
    """Why an address may not be fetched from without the allow-list ("a loopback address"), or None."""
    embedded = _embedded_v4(ip)
    if embedded is not None:
        kind, inner = embedded
        reason = refusal(inner)
        if reason is not None:
            return f"the {kind} form of {inner}, {reason}"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "a site-local address"
    if not ip.is_global:
        return "not a public address"
    return None


class _Allow:
    def __init__(self, entries: tuple[str, ...]) -> None:
        self.names: set[str] = set()
        self.networks: list[IPNetwork] = []
        for entry in entries:
            text = entry.strip().lower().rstrip(".")
            if not text:
                continue
            try:
                self.networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
            except ValueError:
                self.names.add(text)

    def check(self, host: str, addresses: list[tuple[int, tuple[Any, ...]]]) -> None:
        if host in self.names:
            return
        for _family, sockaddr in addresses:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            reason = refusal(ip)
            if reason is None or self._covers(ip):
                continue
            literal = _literal(host)
            if literal is not None and literal == ip:
                raise FetchError(f"refused: {ip} is {reason}")
            raise FetchError(f"refused: {host} resolves to {ip}, {reason}")

    def _covers(self, ip: IPAddress) -> bool:
        candidates = [ip]
        embedded = _embedded_v4(ip)
        if embedded is not None:
            candidates.append(embedded[1])
        return any(candidate in network for candidate in candidates for network in self.networks)


# --- HTTP ------------------------------------------------------------------------------------------------------------


class _Watchdog:
    """Shuts the fetch's socket down at the deadline, so a read blocked in http.client returns at once (a socket
    timeout applies to each read, not to all of them; and close alone may not wake a blocked read)."""

    def __init__(self, seconds: float) -> None:
        self.sock: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket call, also under TLS

    def cancel(self) -> None:
        self._timer.cancel()


class _Pinned:
    """Connects to one checked address whatever host http.client asks for (it keeps `host` for Host and SNI)."""

    _pinned: tuple[int, tuple[Any, ...]]
    _watchdog: _Watchdog

    def _connect_pinned(self, _address: Any, timeout: Any = None, _source: Any = None) -> socket.socket:
        family, sockaddr = self._pinned
        sock = socket.socket(family, socket.SOCK_STREAM)
        self._watchdog.sock = sock
        try:
            sock.settimeout(timeout if isinstance(timeout, (int, float)) else None)
            sock.connect(sockaddr)
        except BaseException:
            sock.close()
            raise
        return sock


class _PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    """An HTTP connection to one checked address; `host` stays the URL's host for the Host header."""

    def __init__(self, host: str, port: int, address: tuple[int, tuple[Any, ...]], watchdog: _Watchdog) -> None:
        super().__init__(host, port)
        self._pinned = address
        self._watchdog = watchdog
        self._create_connection = self._connect_pinned


class _PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    """The same for https: TCP to the checked address, TLS with SNI and certificate check for `host`."""

    def __init__(
        self, host: str, port: int, address: tuple[int, tuple[Any, ...]], watchdog: _Watchdog, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, context=context)
        self._pinned = address
        self._watchdog = watchdog
        self._create_connection = self._connect_pinned


_default_context: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    global _default_context
    if _default_context is None:
        _default_context = ssl.create_default_context()
    return _default_context


def _get(
    target: _Target,
    addresses: list[tuple[int, tuple[Any, ...]]],
    limits: FetchLimits,
    deadline: _Deadline,
    tls_context: ssl.SSLContext | None,
) -> tuple[bytes, str] | str:
    """One GET: (body, media type), or the Location of a redirect."""
    last: OSError | None = None
    for address in addresses:
        watchdog = _Watchdog(deadline.remaining())
        connection: http.client.HTTPConnection
        if target.scheme == "https":
            context = tls_context or _tls_context()
            connection = _PinnedHTTPSConnection(target.host, target.port, address, watchdog, context)
        else:
            connection = _PinnedHTTPConnection(target.host, target.port, address, watchdog)
        connection.timeout = deadline.remaining()
        try:
            try:
                connection.connect()
            except OSError as e:
                if isinstance(e, ssl.SSLError) or deadline.passed():
                    raise
                last = e  # try the host's next address
                continue
            watchdog.sock = connection.sock  # the TLS socket now (the plain one was detached into it)
            return _exchange(connection, watchdog.sock, target, limits, deadline)
        except FetchError:
            raise
        except ssl.SSLCertVerificationError as e:
            raise FetchError(f"the TLS certificate of {target.host} is not valid: {e.verify_message}") from None
        except (OSError, http.client.HTTPException, ValueError) as e:
            if deadline.passed() or isinstance(e, TimeoutError):
                raise deadline.error() from None
            if isinstance(e, http.client.HTTPException):
                raise FetchError(f"the answer from {target.host} is not valid HTTP ({type(e).__name__})") from None
            raise FetchError(f"could not fetch from {target.host}: {_reason(e)}", transient=True) from None
        finally:
            watchdog.cancel()
            connection.close()
    if last is not None and (deadline.passed() or isinstance(last, TimeoutError)):
        raise deadline.error()
    raise FetchError(f"could not connect to {target.host}: {_reason(last)}", transient=True)


def _reason(e: BaseException | None) -> str:
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    return str(e) or type(e).__name__


def _exchange(
    connection: http.client.HTTPConnection,
    sock: socket.socket | None,
    target: _Target,
    limits: FetchLimits,
    deadline: _Deadline,
) -> tuple[bytes, str] | str:
    connection.putrequest("GET", target.path, skip_accept_encoding=True)
    connection.putheader("User-Agent", USER_AGENT)
    connection.putheader("Accept", "image/*, application/pdf;q=0.9, */*;q=0.1")
    connection.putheader("Accept-Encoding", "identity")
    connection.putheader("Connection", "close")
    connection.endheaders()
    response = connection.getresponse()
    status = response.status
    if status in REDIRECTS:
        location = response.getheader("Location")
        if not location:
            raise FetchError(f"the server answered HTTP {status} {response.reason} without a Location")
        return location.strip()
    if status not in (200, 203):
        raise FetchError(
            f"the server answered HTTP {status} {response.reason}".rstrip(), transient=status >= 500 or status == 429
        )
    media_type = (response.getheader("Content-Type") or "application/octet-stream").split(";", 1)[0].strip().lower()
    if not _wanted(media_type, octet_stream=True):
        raise FetchError(f"content type {media_type} is not an image")
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise FetchError(f"content encoding {encoding} is not supported")
    too_large = FetchTooLarge(f"the image is larger than {_size(limits.max_bytes)}")
    if response.length is not None and response.length > limits.max_bytes:
        raise too_large
    chunks: list[bytes] = []
    total = 0
    while True:
        if sock is not None:  # http.client lets go of it after the headers of a Connection: close answer
            sock.settimeout(deadline.remaining())
        chunk = response.read1(_CHUNK)
        if deadline.passed():
            raise deadline.error()
        if not chunk:
            break
        total += len(chunk)
        if total > limits.max_bytes:
            raise too_large
        chunks.append(chunk)
    if response.length:  # the connection closed before Content-Length bytes came
        raise FetchError(f"the connection to {target.host} closed before the whole image arrived", transient=True)
    return b"".join(chunks), media_type
