"""What every part of the local runner shares: its console, the home region, the app clock."""

from __future__ import annotations

from types import ModuleType

HOME_REGION = "us-east-1"


def log(message: str) -> None:
    print(f"[local] {message}", flush=True)


def app_clock() -> ModuleType:
    """The layer's clock, imported late: `leadcenter` must not load before the runner sets the environment."""
    from leadcenter import clock

    return clock


def current_offset() -> float:
    # advance(0) is the clock's public way to read its offset without touching a private global.
    return float(app_clock().advance(0))
