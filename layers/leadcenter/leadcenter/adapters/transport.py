"""Outbound HTTP for CRM destinations, safe against server-side request forgery.

A destination URL must be https (plain http and loopback only in the local runner) and every address its host
resolves to must be public: private, loopback, link-local, cloud-metadata and other non-global addresses are
refused, so a tenant cannot make our functions call into the VPC or the instance metadata service. The check
runs when the endpoint is saved (a clear 422) and again at every attempt; the attempt then connects to the
address it has just checked, never to a second lookup, so DNS rebinding between check and connect cannot
redirect it. TLS still verifies the certificate against the host name. Redirects are not followed. Only port
443 is called (80 too in the local runner, and any port of loopback there, where test receivers listen).

An attempt has one hard deadline (CRM_TIMEOUT_SECONDS, 10 s) for all of it: resolving, connecting, the TLS
handshake, sending and the whole answer. A socket timeout alone bounds each read, so a receiver that drips a
byte a second would hold the worker for as long as it likes; here the socket's timeout is shrunk to what is
left of the deadline before every send and every receive, so the attempt ends (`timeout`) when time is up.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import io
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from leadcenter.adapters import DeliveryResult
from leadcenter.crm_settings import crm_settings
from leadcenter.errors import Unprocessable

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_URL_CHARS = 2048
_LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
_MAX_ANSWER_BYTES = 64 * 1024  # read at most: a status code, a token or an error code is all we need
_HTTPS_PORT, _HTTP_PORT = 443, 80
# IPv6 ranges that carry an IPv4 address or reach one through a translator: never called (named refusals).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # ::a.b.c.d, deprecated (RFC 4291); :: and ::1 are named first
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
_resolver = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="crm-dns")


class UnsafeUrl(Unprocessable):
    """The URL may not be called: wrong scheme, or a host that is not a public address (or does not resolve)."""

    code = "unsafe_url"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, field="url")
        self.reason = reason


@dataclass(frozen=True)
class Destination:
    """A vetted URL: where to connect (checked addresses) and what to ask for."""

    scheme: str
    host: str
    port: int
    target: str  # path and query
    addresses: tuple[str, ...]


def vet(url: str, *, local_mode: bool, within: float | None = None) -> Destination:
    """The URL's destination if it may be called from here; UnsafeUrl (422) with the reason otherwise. `within`
    bounds the name lookup further (what is left of an attempt's deadline)."""
    if len(url) > MAX_URL_CHARS:
        raise UnsafeUrl(f"the URL is longer than {MAX_URL_CHARS} characters", "too_long")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("the URL is not valid", "invalid") from exc
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeUrl("the URL must be https://<host>/...", "scheme")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("the URL must not carry a user name or password; authenticate with the signature", "userinfo")
    local_host = local_mode and host in _LOCAL_NAMES
    if parts.scheme == "http" and not local_host:
        message = "the URL must use https (plain http only to 127.0.0.1 or localhost in the local runner)"
        raise UnsafeUrl(message, "scheme")
    default_port = _HTTPS_PORT if parts.scheme == "https" else _HTTP_PORT
    port = default_port if port is None else port
    allowed = {_HTTPS_PORT, _HTTP_PORT} if local_mode else {_HTTPS_PORT}
    if port not in allowed and not local_host:
        raise UnsafeUrl(f"the URL must use port 443 (not {port})", "port")
    addresses = _resolve(host, within)
    for address in addresses:
        problem = _refusal(ipaddress.ip_address(address), local_host=local_host)
        if problem:
            raise UnsafeUrl(f"the URL's host {host} resolves to {problem} ({address}), which is not allowed", "address")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port, target, addresses)


def _resolve(host: str, within: float | None) -> tuple[str, ...]:
    try:
        return (str(ipaddress.ip_address(host)),)
    except ValueError:
        pass
    lookup = _resolver.submit(socket.getaddrinfo, host, None, proto=socket.IPPROTO_TCP)
    try:
        limit = crm_settings().dns_timeout_seconds
        found = lookup.result(timeout=limit if within is None else max(0.0, min(limit, within)))
    except (OSError, UnicodeError, concurrent.futures.TimeoutError) as exc:
        raise UnsafeUrl(f"the URL's host {host} does not resolve", "unresolvable") from exc
    # An IPv6 answer may carry a zone ("fe80::1%eth0"); the zone is not part of the address.
    addresses = tuple(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in found))
    if not addresses:
        raise UnsafeUrl(f"the URL's host {host} does not resolve", "unresolvable")
    return addresses


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, local_host: bool) -> str | None:
    """Why an address may not be called, or None. Named cases first, so the message says what it is."""
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if local_host else "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if isinstance(address, ipaddress.IPv6Address):
        if address.sixtofour is not None:
            # 6to4 (2002::/16) relays to the IPv4 address inside: that address decides (newer Pythons call the
            # whole range private; the rule here does not change with them).
            inner = _refusal(address.sixtofour, local_host=False)
            return f"a 6to4 address of {inner}" if inner else None
        problem = _ipv6_refusal(address)
        if problem:
            return problem
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if not address.is_global or address.is_multicast:
        return "a non-public address"
    return None


def _ipv6_refusal(address: ipaddress.IPv6Address) -> str | None:
    """IPv6 forms that lead to an IPv4 address (or a network of their own) the IPv4 checks would not see."""
    if address.ipv4_mapped is not None:
        return "an IPv4-mapped IPv6 address"
    if any(address in network for network in _NAT64):
        return "a NAT64 address"
    if address in _IPV4_COMPATIBLE:
        return "an IPv4-compatible IPv6 address"
    if address in _SITE_LOCAL:
        return "a site-local address"
    return None


# ---------------------------------------------------------------------------------------------- posting


class Deadline:
    """A point in monotonic time that an attempt must not pass (one attempt may make several requests within it:
    a Salesforce attempt asks for a token, then upserts)."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; TimeoutError once there are none."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the attempt's deadline passed")
        return left


class DeadlineSocket:
    """A connected socket whose timeout is shrunk to what is left of the deadline before every send and receive:
    each read is bounded by the attempt's remaining time, not by a fresh timeout."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self._sock = sock
        self._deadline = deadline
        # Like a socket's own makefile: closing the connection leaves the answer readable until it is closed too.
        self._readers = 0
        self._closing = False

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(self._deadline.left())  # sendall's timeout covers the whole send
        self._sock.sendall(data)

    def recv_into(self, buffer: memoryview) -> int:
        self._sock.settimeout(self._deadline.left())
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        self._readers += 1
        return io.BufferedReader(DeadlineReader(self))

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closing and self._readers <= 0:
            self._sock.close()

    def close(self) -> None:
        self._closing = True
        if self._readers <= 0:
            self._sock.close()


class DeadlineReader(io.RawIOBase):
    """What http.client reads the answer from: every read goes through the deadline."""

    def __init__(self, sock: DeadlineSocket) -> None:
        super().__init__()
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        return self._sock.recv_into(memoryview(buffer).cast("B"))

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._sock.reader_closed()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a vetted address within the deadline; the Host header still names the host."""

    def __init__(self, host: str, port: int, address: str, deadline: Deadline) -> None:
        super().__init__(host, port, timeout=deadline.left())
        self._address = address
        self._deadline = deadline

    def _connected(self) -> socket.socket:
        return socket.create_connection((self._address, self.port), self._deadline.left())

    def connect(self) -> None:
        self.sock = cast(socket.socket, DeadlineSocket(self._connected(), self._deadline))


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """Connects to a vetted address; SNI and certificate verification use the host name. The handshake gets
    what is left of the deadline as a whole (ssl counts its timeout across the handshake's reads)."""

    default_port = http.client.HTTPS_PORT

    def __init__(self, host: str, port: int, address: str, deadline: Deadline) -> None:
        super().__init__(host, port, address, deadline)
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        raw = self._connected()
        try:
            raw.settimeout(self._deadline.left())
            tls = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        self.sock = cast(socket.socket, DeadlineSocket(tls, self._deadline))


@dataclass(frozen=True)
class Answer:
    """What one request got: the status code and the start of the body (at most 64 KiB), or an error code."""

    status: int | None = None
    body: bytes = b""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def result(self) -> DeliveryResult:
        if self.status is None:
            return DeliveryResult(ok=False, error=self.error or "connection_failed")
        return DeliveryResult(ok=self.ok, status_code=self.status, error=None if self.ok else f"http_{self.status}")


def post(url: str, body: bytes, headers: dict[str, str], *, local_mode: bool) -> DeliveryResult:
    """One POST: vetted again (DNS rebinding), to the checked address, all within the attempt's deadline; 2xx is
    success. Time is up -> `timeout`, wherever it ran out (lookup, connect, handshake, send or answer)."""
    return request("POST", url, body, headers, local_mode=local_mode).result()


def request(
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    *,
    local_mode: bool,
    deadline: Deadline | None = None,
) -> Answer:
    """One request under the SSRF rules, within `deadline` (a new one of CRM_TIMEOUT_SECONDS if None)."""
    deadline = deadline or Deadline(crm_settings().timeout_seconds)
    try:
        destination = vet(url, local_mode=local_mode, within=deadline.left())
    except UnsafeUrl as exc:
        return Answer(error=f"refused_{exc.reason}")
    except TimeoutError:
        return Answer(error="timeout")
    connection_class = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    error = "connection_failed"
    for address in destination.addresses:
        try:
            connection = connection_class(destination.host, destination.port, address, deadline)
        except TimeoutError:
            return Answer(error="timeout")
        response: http.client.HTTPResponse | None = None
        try:
            connection.request(method, destination.target, body=body, headers=headers)
            response = connection.getresponse()
            return Answer(status=response.status, body=response.read(_MAX_ANSWER_BYTES))
        except TimeoutError:
            return Answer(error="timeout")  # the receiver may have it: no second address
        except ssl.SSLError:
            error = "tls_failed"
        except ConnectionRefusedError:
            error = "connection_refused"
        except (OSError, http.client.HTTPException):
            error = "connection_failed"
        finally:
            if response is not None:
                response.close()
            connection.close()
    return Answer(error=error)
