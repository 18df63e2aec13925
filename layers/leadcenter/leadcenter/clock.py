"""The one source of "now". The local runner moves it forward (`/_local/clock`); production never does."""

from __future__ import annotations

import time
from datetime import UTC, datetime

_offset_seconds = 0.0


def now() -> datetime:
    return datetime.fromtimestamp(epoch(), tz=UTC)


def epoch() -> float:
    return time.time() + _offset_seconds


def advance(seconds: float) -> float:
    global _offset_seconds
    _offset_seconds += seconds
    return _offset_seconds


def reset() -> None:
    global _offset_seconds
    _offset_seconds = 0.0


def iso(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with millisecond precision and a Z, sortable as a string."""
    moment = moment or now()
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
