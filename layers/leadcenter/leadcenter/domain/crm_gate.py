"""Per-destination admission for CRM attempts: a cap on attempts in flight, and a circuit breaker.

One slow or dead receiver must not hold the delivery workers that every other account's deliveries need. So an
attempt first passes its destination's gate (`enter`) and hands its lease back with the outcome (`leave`):

* Cap. At most CRM_MAX_IN_FLIGHT attempts per destination at once, across all worker containers. A lease expires
  by itself (the attempt's deadline plus a margin), so a container that dies mid-attempt frees its place.
* Breaker. CRM_BREAKER_FAILURES failures in a row open it for CRM_BREAKER_COOLDOWN_SECONDS: attempts are not
  made at all. Then it is half-open: one attempt (the probe) goes through; success closes it, failure opens it
  for another cool-down. A success from any attempt closes it.

An attempt that may not pass now is *deferred* (`Wait`): the worker queues it again for later, unchanged. It is
neither an attempt nor a failure, so the retry schedule, the 72 h window and the 24 h disabling rule stay as
they were (the window is still checked: a delivery deferred past it fails).

Times are the app clock's (`leadcenter.clock`), so the local runner's clock moves cool-downs too.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, replace
from typing import Literal

from leadcenter import clock
from leadcenter.crm_settings import crm_settings
from leadcenter.observability import logger
from leadcenter.store import endpoint_gates as gate_store
from leadcenter.store.endpoint_gates import Gate

LEASE_MARGIN_SECONDS = 30.0  # past the attempt's deadline: reading, logging and queueing around the request
_TRIES = 6  # optimistic writes before a busy gate counts as "busy"

WaitReason = Literal["endpoint_busy", "circuit_open"]


@dataclass(frozen=True)
class Pass:
    """Go ahead; hand `lease` back through `leave`."""

    lease: str
    probe: bool = False


@dataclass(frozen=True)
class Wait:
    """Not now: try again at `until` (app-clock epoch seconds)."""

    until: float
    reason: WaitReason


# ---------------------------------------------------------------------------------------------- the rules


def admit(gate: Gate, now: float, lease: str) -> tuple[Gate | None, Pass | Wait]:
    """The gate after letting `lease` in (None: unchanged) and the answer. Pure: the rules, no storage."""
    config = crm_settings()
    live = {k: at for k, at in gate.leases.items() if at > now}
    expiry = now + config.timeout_seconds + LEASE_MARGIN_SECONDS
    soon = now + random.uniform(1.0, max(1.0, config.timeout_seconds))
    if gate.open_until is not None:
        if now < gate.open_until:
            return None, Wait(gate.open_until + random.uniform(0.0, 1.0), "circuit_open")
        if gate.probe is not None and gate.probe in live:
            return None, Wait(soon, "circuit_open")  # half-open: one probe at a time
        return replace(gate, leases={**live, lease: expiry}, probe=lease), Pass(lease, probe=True)
    if len(live) >= config.max_in_flight_per_endpoint:
        return None, Wait(soon, "endpoint_busy")
    return replace(gate, leases={**live, lease: expiry}), Pass(lease)


def release(gate: Gate, now: float, lease: str, ok: bool | None) -> Gate:
    """The gate after `lease` comes back: `ok` the attempt's outcome, None when no request was made."""
    config = crm_settings()
    leases = {k: at for k, at in gate.leases.items() if at > now and k != lease}
    if ok is None:
        probe = None if gate.probe == lease else gate.probe
        return replace(gate, leases=leases, probe=probe)
    if ok:
        return Gate(version=gate.version, leases=leases)
    failures = gate.failures + 1
    open_until = gate.open_until
    if gate.probe == lease or (open_until is None and failures >= config.breaker_failures):
        open_until = now + config.breaker_cooldown_seconds
    probe = None if gate.probe == lease else gate.probe
    return replace(gate, leases=leases, failures=failures, open_until=open_until, probe=probe)


# ---------------------------------------------------------------------------------------------- the store


def enter(account_id: str, target_id: str) -> Pass | Wait:
    """Lets an attempt in, or says when to try again. Many workers at once: the write is conditional, and a
    lost race reads again."""
    lease = uuid.uuid4().hex[:16]
    for _ in range(_TRIES):
        gate = gate_store.read(account_id, target_id)
        now = clock.epoch()
        changed, answer = admit(gate, now, lease)
        if changed is None or gate_store.write(account_id, target_id, changed, based_on=gate.version, now=now):
            return answer
        time.sleep(random.uniform(0.005, 0.05))
    return Wait(clock.epoch() + random.uniform(1.0, 3.0), "endpoint_busy")


def leave(account_id: str, target_id: str, lease: str, ok: bool | None) -> None:
    """Hands a lease back with the attempt's outcome. Best effort: if the gate stays contended, the lease expires
    by itself and this outcome does not count for the breaker. Never raises: the attempt has been made, and
    failing its message now would only make it again."""
    try:
        for _ in range(_TRIES * 2):
            gate = gate_store.read(account_id, target_id)
            now = clock.epoch()
            if gate_store.write(account_id, target_id, release(gate, now, lease, ok), based_on=gate.version, now=now):
                return
            time.sleep(random.uniform(0.005, 0.05))
    except Exception:  # the store did not answer: same as contention, the lease expires
        logger.exception("crm gate: lease not handed back", extra={"target_id": target_id})
        return
    logger.warning("crm gate: lease not handed back", extra={"target_id": target_id})
