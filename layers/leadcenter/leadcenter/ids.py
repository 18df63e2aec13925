"""Time-sortable identifiers (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32).

Lead ids sort by creation time, so "newest first" and "created between" are key conditions.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from leadcenter import clock

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_LENGTH = 26


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def ulid(at: datetime | None = None) -> str:
    millis = int((at or clock.now()).timestamp() * 1000)
    return _encode(millis, 10) + _encode(secrets.randbits(80), 16)


def floor(at: datetime) -> str:
    """The smallest id that can be minted at `at`."""
    return _encode(int(at.timestamp() * 1000), 10) + "0" * 16


def ceiling(at: datetime) -> str:
    """The largest id that can be minted at `at`."""
    return _encode(int(at.timestamp() * 1000), 10) + "Z" * 16


def timestamp_ms(identifier: str) -> int:
    value = 0
    for char in identifier[:10]:
        value = value * 32 + _ALPHABET.index(char)
    return value


def token(nbytes: int = 16) -> str:
    return secrets.token_urlsafe(nbytes)
