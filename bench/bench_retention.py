"""Retention (issue 6): expired leads visible on every read path after expiry (goal 0), the sweep's speed on
moto, and DynamoDB write requests per expired item (goal <= 1/20) against deleting item by item (peer)."""

from __future__ import annotations

import time
from typing import Any

from bench.harness import counting, metric, moto_stack

LEADS = 1_500


def _seed(account_id: str, count: int) -> list[str]:
    from leadcenter.domain.leads import NewLead, create_lead
    from leadcenter.model import Attribution, Contact, FormData, LeadSource
    from leadcenter.store import accounts
    from leadcenter.store.accounts import Account, Member

    accounts.create_account(
        Account(account_id, "Bench", "ad_account", "SG", "2026-01-01T00:00:00.000Z"),
        Member(account_id, "bench", "admin", (), "2026-01-01T00:00:00.000Z"),
    )
    ids = []
    for n in range(count):
        lead = create_lead(
            account_id,
            NewLead(
                country="SG",
                source=LeadSource.FORM,
                contact=Contact(name=f"P{n}", email=f"p{n}@example.com"),
                ad=Attribution(ad_id="ad-1", ad_name="Ad", campaign_id="cmp-1", campaign_name="Sale"),
                form=FormData(form_id="form-1", form_name="Form"),
            ),
            "bench",
        )
        ids.append(lead.id)
    return ids


def _visible(account_id: str, lead_ids: list[str]) -> dict[str, int]:
    from leadcenter.domain.leads import LeadFilter, get_lead, list_leads, summary
    from leadcenter.errors import NotFound
    from leadcenter.model import LeadStatus
    from leadcenter.policy import Action, authorize

    access = authorize("bench", account_id, Action.LEADS_VIEW)
    paths = {
        "list": LeadFilter(),
        "status": LeadFilter(status=LeadStatus.RAW),
        "search": LeadFilter(q="Sale"),
        "form": LeadFilter(form_id="form-1"),
        "updated_since": LeadFilter(
            updated_since=__import__("datetime").datetime(2000, 1, 1, tzinfo=__import__("datetime").UTC)
        ),
        "expiring": LeadFilter(expiring_within_days=7),
    }
    seen = {name: len(list_leads(access, f, 100, None).leads) for name, f in paths.items()}
    detail = 0
    for lead_id in lead_ids[:50]:
        try:
            get_lead(access, lead_id)
            detail += 1
        except NotFound:
            pass
    seen["detail"] = detail
    seen["summary"] = summary(access).total
    return seen


def run() -> dict[str, Any]:
    from leadcenter import clock
    from leadcenter.domain import retention
    from leadcenter.store import lead_items, sweep

    with moto_stack():
        ids = _seed("bench-retention", LEADS)
        peer_ids = _seed("bench-retention-peer", LEADS)
        clock.advance(91 * 86400)
        try:
            visible = _visible("bench-retention", ids)
            # Peer first: the peer account's expired items, each deleted with its own DeleteItem.
            m = lead_items.models("ap-southeast-1")
            stats = sweep.SweepStats()
            now = int(clock.epoch())
            keys = [
                key
                for day in range(now // 86400 - 7, now // 86400 + 1)
                for key in sweep.expired_keys("ap-southeast-1", day, now, stats)
                if "bench-retention-peer" in key[0]
            ]
            with counting() as counter:
                for pk, sk in keys:
                    m.event(pk=pk, sk=sk).delete()
                peer_writes = counter.count("dynamodb", ("BatchWriteItem", "DeleteItem"))
            with counting() as counter:
                started = time.perf_counter()
                result = retention.sweep(["ap-southeast-1"])
                seconds = time.perf_counter() - started
                writes = counter.count("dynamodb", ("BatchWriteItem", "DeleteItem"))
            after = _visible("bench-retention", ids)
        finally:
            clock.reset()
    del peer_ids
    expired_visible = sum(visible.values()) + sum(after.values())
    return {
        "expired_leads_visible": metric(
            expired_visible,
            "leads",
            None,
            f"{LEADS} leads 91 days old, before and after the sweep, on list, status, search (q), form, "
            f"updated_since, expiring, detail (50) and summary: {visible} / {after}",
        ),
        "retention_sweep_items_per_second": metric(
            result.deleted / seconds,
            "items/s",
            None,
            f"{result.deleted} items (leads, keys, links, dedupe, timeline) deleted in {seconds:.1f}s, moto in-process",
        ),
        "retention_write_requests_per_item": metric(
            writes / max(result.deleted, 1),
            "requests/item",
            peer_writes / max(len(keys), 1),
            "BatchWriteItem of 25 (goal <= 0.05); peer = one DeleteItem per expired item, same run",
        ),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
