"""Outbound HTTP for CRM destinations, safe against server-side request forgery.

A destination URL must be https (plain http and loopback only in the local runner) and every address its host
resolves to must be public: private, loopback, link-local, cloud-metadata and other non-global addresses are
refused, so a tenant cannot make our functions call into the VPC or the instance metadata service. The check
runs when the endpoint is saved (a clear 422) and again at every attempt; the attempt then connects to the
address it has just checked, never to a second lookup, so DNS rebinding between check and connect cannot
redirect it. TLS still verifies the certificate against the host name. Redirects are not followed.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from leadcenter.adapters import DeliveryResult
from leadcenter.crm_settings import crm_settings
from leadcenter.errors import Unprocessable

MAX_URL_CHARS = 2048
_LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
_MAX_ANSWER_BYTES = 64 * 1024  # read and dropped: only the status code matters
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


def vet(url: str, *, local_mode: bool) -> Destination:
    """The URL's destination if it may be called from here; UnsafeUrl (422) with the reason otherwise."""
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
    addresses = _resolve(host)
    for address in addresses:
        problem = _refusal(ipaddress.ip_address(address), local_host=local_host)
        if problem:
            raise UnsafeUrl(f"the URL's host {host} resolves to {problem} ({address}), which is not allowed", "address")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if parts.scheme == "https" else 80
    return Destination(parts.scheme, host, port or default_port, target, addresses)


def _resolve(host: str) -> tuple[str, ...]:
    try:
        return (str(ipaddress.ip_address(host)),)
    except ValueError:
        pass
    lookup = _resolver.submit(socket.getaddrinfo, host, None, proto=socket.IPPROTO_TCP)
    try:
        found = lookup.result(timeout=crm_settings().dns_timeout_seconds)
    except (OSError, UnicodeError, concurrent.futures.TimeoutError) as exc:
        raise UnsafeUrl(f"the URL's host {host} does not resolve", "unresolvable") from exc
    # An IPv6 answer may carry a zone ("fe80::1%eth0"); the zone is not part of the address.
    addresses = tuple(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in found))
    if not addresses:
        raise UnsafeUrl(f"the URL's host {host} does not resolve", "unresolvable")
    return addresses


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, local_host: bool) -> str | None:
    """Why an address may not be called, or None. Named cases first, so the message says what it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if local_host else "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if not address.is_global or address.is_multicast:
        return "a non-public address"
    return None


# ---------------------------------------------------------------------------------------------- posting


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a vetted address; the Host header still names the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a vetted address; SNI and certificate verification use the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=tls)
        self._address = address
        self._tls = tls

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, local_mode: bool) -> DeliveryResult:
    """One POST: vetted again (DNS rebinding), to the checked address, within the timeout; 2xx is success."""
    try:
        destination = vet(url, local_mode=local_mode)
    except UnsafeUrl as exc:
        return DeliveryResult(ok=False, error=f"refused_{exc.reason}")
    timeout = crm_settings().timeout_seconds
    connection_class = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    error = "connection_failed"
    for address in destination.addresses:
        connection = connection_class(destination.host, destination.port, address, timeout)
        try:
            connection.request("POST", destination.target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(_MAX_ANSWER_BYTES)
            ok = 200 <= response.status < 300
            return DeliveryResult(ok=ok, status_code=response.status, error=None if ok else f"http_{response.status}")
        except TimeoutError:
            return DeliveryResult(ok=False, error="timeout")  # the receiver may have it: no second address
        except ssl.SSLError:
            error = "tls_failed"
        except ConnectionRefusedError:
            error = "connection_refused"
        except (OSError, http.client.HTTPException):
            error = "connection_failed"
        finally:
            connection.close()
    return DeliveryResult(ok=False, error=error)
