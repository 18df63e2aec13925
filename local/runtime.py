"""What the HTTP server and the `/_local/` routes drive: the gateway, the app clock, schedules, queues, streams.

Also the checks of the `/_local/` request bodies, which answer 400 through `BadInput`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

from local.common import app_clock, current_offset
from local.gateway import Gateway
from local.scheduler import Scheduler
from local.sqs_source import QueueConsumer
from local.stream_source import StreamPoller
from local.template import Stack

MAX_ADVANCE_SECONDS = 100 * 365 * 86400  # a century: enough for any retention rule, far from float trouble


class BadInput(Exception):
    def __init__(self, message: str, status: int = 400, code: str = "bad_request") -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class LocalRuntime:
    """What the HTTP handler and the /_local routes drive: gateway, clock, schedules, queues."""

    def __init__(self, stack: Stack, gateway: Gateway, sqs: Any, pollers: list[StreamPoller] | None = None) -> None:
        self.stack = stack
        self.gateway = gateway
        functions = list(stack.functions().values())
        self.scheduler = Scheduler([f for f in functions if f.schedule])
        self.consumers = [QueueConsumer(f, sqs) for f in functions if f.queue]
        self.pollers = pollers or []
        self.clock_lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def start_workers(self) -> None:
        targets: list[tuple[str, Callable[[], None]]] = [("scheduler", self.scheduler.loop)]
        targets += [(f"sqs-{c.function.logical_id}-{n}", c.loop) for c in self.consumers for n in range(c.concurrency)]
        targets += [(f"stream-{p.function.logical_id}-{p.region}", p.loop) for p in self.pollers]
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop_workers(self) -> None:
        self.scheduler.stop_event.set()
        for consumer in self.consumers:
            consumer.stop_event.set()
        for poller in self.pollers:
            poller.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=3)

    def clock_state(self) -> dict[str, Any]:
        clock = app_clock()
        return {"now": clock.iso(), "epoch": clock.epoch(), "offset_seconds": current_offset()}

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        with self.clock_lock:
            app_clock().advance(seconds)
            delivered = sum(consumer.deliver_due() for consumer in self.consumers)
            ran = self.scheduler.run_due()
        return {**self.clock_state(), "ran": ran, "delivered_messages": delivered}


def parse_advance(body: Any) -> float:
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object with advance_days or advance_seconds")
    given = [key for key in ("advance_days", "advance_seconds") if key in body]
    if len(given) != 1:
        raise BadInput("give exactly one of advance_days or advance_seconds")
    value = body[given[0]]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadInput(f"{given[0]} must be a number")
    seconds = float(value) * (86400 if given[0] == "advance_days" else 1)
    if seconds < 0:
        raise BadInput("the clock only moves forward")
    if seconds > MAX_ADVANCE_SECONDS:
        raise BadInput("that is more than a century; advance in smaller steps")
    return seconds


def parse_subject(body: Any) -> str:
    subject = body.get("sub") if isinstance(body, dict) else None
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 128:
        raise BadInput('body must be {"sub": "<user id>"}, a non-empty string of at most 128 characters')
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in subject):
        raise BadInput("sub must not contain control characters")
    return subject
