"""A stand-in function for the local runner's queue consumer tests: it records which container ran a batch,
and when, and takes a while, so overlapping batches show."""

from __future__ import annotations

import threading
import time
from typing import Any

CONTAINER = object()  # one per module object: tells the containers apart
runs: list[tuple[int, float, float, int]] = []  # shared through sys.modules['tests.local_fixtures.slow_app']
_lock = threading.Lock()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.monotonic()
    time.sleep(0.3)
    import sys

    shared = sys.modules[__spec__.name]  # the first container's module: where every container reports
    with _lock:
        shared.runs.append((id(CONTAINER), started, time.monotonic(), len(event["Records"])))
    return {"batchItemFailures": []}
