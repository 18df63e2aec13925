"""The gate in front of each CRM destination (home table): who is sending to it now, and its circuit breaker.

Items:  pk INTG#<owner account>#<target id>  sk GATE

One item per destination holds its in-flight leases (lease id -> expiry, app-clock epoch seconds), its run of
consecutive failures, when an open breaker may be tried again, and the lease of the half-open probe. Every change
is a whole new state written with a condition on the version it was computed from (optimistic concurrency), so
workers in any number of containers agree on the count without a lock; a container that dies mid-attempt leaves
a lease that simply expires. Kept apart from the endpoint's own item so a late write cannot bring a deleted
endpoint back. Ids, counts and times only; the item expires (TTL) a week after its last change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.errors import Conflict
from leadcenter.store._base import table_meta, translate_write_errors

KEEP_SECONDS = 7 * 24 * 3600


class GateItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    version = NumberAttribute()
    leases = UnicodeAttribute(default="{}")  # JSON: {lease id: expiry epoch}
    failures = NumberAttribute(default=0)
    open_until = NumberAttribute(null=True)  # set: the breaker is open (half-open once this has passed)
    probe = UnicodeAttribute(null=True)  # the lease of the half-open probe
    expires_at = NumberAttribute()


@dataclass(frozen=True)
class Gate:
    version: int = 0
    leases: dict[str, float] = field(default_factory=dict)
    failures: int = 0
    open_until: float | None = None
    probe: str | None = None


def _key(account_id: str, target_id: str) -> tuple[str, str]:
    return f"INTG#{account_id}#{target_id}", "GATE"


def read(account_id: str, target_id: str) -> Gate:
    """The destination's gate as it is now (a fresh, closed one if it has none)."""
    try:
        item = GateItem.get(*_key(account_id, target_id), consistent_read=True)
    except DoesNotExist:
        return Gate()
    return Gate(
        version=int(item.version),
        leases={str(k): float(v) for k, v in json.loads(item.leases or "{}").items()},
        failures=int(item.failures or 0),
        open_until=float(item.open_until) if item.open_until is not None else None,
        probe=item.probe,
    )


def write(account_id: str, target_id: str, gate: Gate, *, based_on: int, now: float) -> bool:
    """Stores `gate` as version `based_on + 1`; False when someone else changed it since `based_on` was read."""
    pk, sk = _key(account_id, target_id)
    item = GateItem(
        pk=pk,
        sk=sk,
        version=based_on + 1,
        leases=json.dumps(gate.leases, separators=(",", ":")),
        failures=gate.failures,
        open_until=gate.open_until,
        probe=gate.probe,
        expires_at=int(now) + KEEP_SECONDS,
    )
    condition = GateItem.pk.does_not_exist() if based_on == 0 else GateItem.version == based_on
    try:
        with translate_write_errors("the gate changed meanwhile"):
            item.save(condition=condition)
    except Conflict:
        return False
    return True
