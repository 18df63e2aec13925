"""Retention: leads live 90 days. DynamoDB TTL deletes expired items within about 48 hours; every read path
hides expired leads itself (their ids fall outside the live key range), and this daily sweep deletes what TTL
has not yet, in batches, idempotently (deleting a missing item is a no-op).

Erasure (`domain.erasure`) finds a person in every account through the account-independent person hash below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadcenter import clock, crypto
from leadcenter.regions import region_router
from leadcenter.store import sweep as sweep_store
from leadcenter.store.sweep import SweepStats

# How many past days each run revisits: TTL normally wins within 2 days; a week covers missed runs.
LOOKBACK_DAYS = 7


@dataclass
class SweepResult:
    regions: dict[str, SweepStats] = field(default_factory=dict)

    @property
    def deleted(self) -> int:
        return sum(s.deleted for s in self.regions.values())

    @property
    def write_requests(self) -> int:
        return sum(s.write_requests for s in self.regions.values())


def sweep(regions: list[str] | None = None) -> SweepResult:
    now = int(clock.epoch())
    today = now // 86400
    result = SweepResult()
    for region in regions or region_router().storage_regions:
        stats = result.regions.setdefault(region, SweepStats())
        for day in range(today - LOOKBACK_DAYS, today + 1):
            keys = sweep_store.expired_keys(region, day, now, stats)
            stats.found += len(keys)
            if keys:
                sweep_store.delete_keys(region, keys, stats)
            # Keys whose lead item is already gone (TTL got there first) are found by their own expiry.
            lead_keys = sweep_store.expired_lead_keys(region, day, now, stats)
            stats.found += len(lead_keys)
            if lead_keys:
                sweep_store.delete_lead_keys(region, lead_keys, stats)
    return result


def person_hash(region: str, platform_user_id: str) -> str:
    """Account-independent: erasure must find the person in every account."""
    return crypto.blind_index().digest(region, "person", platform_user_id)


def erase_person(platform_user_id: str, country: str) -> int:
    """Erases the person everywhere (`domain.erasure`); returns how many leads went."""
    from leadcenter.domain import erasure  # erasure uses person_hash from here

    return erasure.erase(platform_user_id, country).leads
