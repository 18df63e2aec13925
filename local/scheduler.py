"""EventBridge schedules, locally: each scheduled function runs when the app clock says it is due.

A jump of `/_local/clock` makes runs fall due (one catch-up run however many periods it skipped), and
`/_local/run/{function}` runs one now.
"""

from __future__ import annotations

import math
import re
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

from local.common import HOME_REGION, app_clock, log
from local.gateway import context_for, handler_of, running
from local.template import ACCOUNT_ID, Function

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_period(expression: str) -> float:
    """Seconds between runs. cron(...) is treated as daily: local runs care that it runs, not at what hour."""
    found = _RATE.match(expression.strip())
    if found:
        return float(int(found.group(1)) * _UNIT_SECONDS[found.group(2).rstrip("s")])
    if not expression.strip().startswith("cron("):
        log(f"unknown schedule expression {expression!r}; running it daily")
    return 86400.0


def scheduled_event(function: Function) -> dict[str, Any]:
    clock = app_clock()
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": HOME_REGION,
        "resources": [f"arn:aws:events:{HOME_REGION}:{ACCOUNT_ID}:rule/{function.logical_id}-schedule"],
        "detail": {},
    }


@dataclass
class Schedule:
    function: Function
    period: float
    next_due: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    runs: int = 0


class Scheduler:
    """Runs each scheduled function when the app clock says it is due; a clock jump makes runs fall due."""

    def __init__(self, functions: list[Function]) -> None:
        start = app_clock().epoch()
        self.schedules: dict[str, Schedule] = {}
        for function in functions:
            period = schedule_period(function.schedule or "")
            # Like EventBridge, a rate rule first fires one period after it is created.
            self.schedules[function.logical_id] = Schedule(function, period, start + period)
        self.stop_event = threading.Event()

    def find(self, name: str) -> Schedule | None:
        """By logical id (RetentionFunction) or folder name (retention), case-insensitively."""
        wanted = name.lower()
        for logical_id, schedule in self.schedules.items():
            folder = schedule.function.code_uri.rstrip("/").rsplit("/", 1)[-1]
            if wanted in (logical_id.lower(), folder.lower()):
                return schedule
        return None

    def run(self, schedule: Schedule) -> Any:
        """One run at a time per function, whether the timer or /_local/run asked for it."""
        with schedule.lock:
            return self._invoke(schedule)

    def _invoke(self, schedule: Schedule) -> Any:
        function = schedule.function
        started = time.monotonic()
        with running(function.logical_id):
            result = handler_of(function)(scheduled_event(function), context_for(function))
        schedule.runs += 1
        log(f"schedule {function.logical_id} ran in {time.monotonic() - started:.2f}s")
        return result

    def run_due(self) -> list[str]:
        ran = []
        for schedule in self.schedules.values():
            with schedule.lock:
                now = app_clock().epoch()
                if now < schedule.next_due:
                    continue
                # One catch-up run however many periods a clock jump skipped, as a late timer would do.
                missed = math.floor((now - schedule.next_due) / schedule.period) + 1
                schedule.next_due += missed * schedule.period
                try:
                    self._invoke(schedule)
                    ran.append(schedule.function.logical_id)
                except Exception:
                    log(f"schedule {schedule.function.logical_id} failed:\n{traceback.format_exc()}")
        return ran

    def loop(self) -> None:
        while not self.stop_event.wait(1.0):
            self.run_due()
