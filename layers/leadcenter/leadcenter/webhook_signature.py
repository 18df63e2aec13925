"""The messaging platform's webhook signature (CONTRACT.md, "Messaging webhook").

`X-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The signature covers the raw
bytes exactly as they arrived, so it is checked before anything parses the body; the timestamp bounds how
long a captured request can be replayed. Several `s=` entries are accepted (the platform may sign with the
old and the new secret while a secret is rotated); one match is enough.
"""

from __future__ import annotations

import hashlib
import hmac

from leadcenter.errors import Unauthorized

HEADER = "X-Signature"
TOLERANCE_SECONDS = 300
_MAX_HEADER_CHARS = 1024
_HEX_DIGITS = frozenset("0123456789abcdef")


class InvalidSignature(Unauthorized):
    code = "invalid_signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value the platform sends (tests, the local test-event command and the benchmark use it)."""
    return f"t={timestamp},s={_mac(secret, timestamp, body)}"


def _mac(secret: str, timestamp: int | str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _parse(header: str) -> tuple[str, list[str]]:
    if len(header) > _MAX_HEADER_CHARS:
        raise InvalidSignature(f"malformed {HEADER} header")
    timestamp: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise InvalidSignature(f"malformed {HEADER} header: expected t=<unix seconds>,s=<hex>")
        if key == "t" and timestamp is None and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = value
        elif key == "s" and len(value) == 64 and set(value.lower()) <= _HEX_DIGITS:
            signatures.append(value.lower())
        else:
            raise InvalidSignature(f"malformed {HEADER} header: expected t=<unix seconds>,s=<hex>")
    if timestamp is None or not signatures:
        raise InvalidSignature(f"malformed {HEADER} header: expected t=<unix seconds>,s=<hex>")
    return timestamp, signatures


def verify(header: str | None, body: bytes, secret: str, now: float, tolerance: int = TOLERANCE_SECONDS) -> int:
    """The signed timestamp when `header` signs `body` with `secret` within `tolerance` of `now`; else 401."""
    if not header:
        raise InvalidSignature(f"missing {HEADER} header")
    timestamp, signatures = _parse(header)
    if abs(now - int(timestamp)) > tolerance:
        raise InvalidSignature(f"the signature timestamp is more than {tolerance} s from now; sign the request again")
    expected = _mac(secret, timestamp, body).encode()
    # Compare every candidate (no early exit), each in constant time.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise InvalidSignature("the signature does not match the body")
    return int(timestamp)
