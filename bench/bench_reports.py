"""The lead-ads report at scale (issue "3 of 6"): 10,000 leads across 50 ad groups over 30 days, with spend.

report_requests: DynamoDB requests (counted at botocore) for one 50-row page of the report by ad group, the
caller's authorisation included. Peer, in the same run on the same data: the recount from the leads (the former
design), a COUNT query per ad group on the lead table's attribution index, with the same authorisation and catalog
read. report_ms: the same two, timed (median of 5).

Seeding goes through the stores: each lead through the lead store (one transaction) and the report counters' own
write path (store.reports.count_lead, one transaction with its marker), each ad's daily spend through set_spend.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

from bench.harness import counting, median, metric, moto_stack

LEADS = 10_000
ADGROUPS = 50
DAYS = 30
PAGE = 50
OWNER = "bench-admin"
REGION = "ap-southeast-1"


def _seed(account_id: str, rng: random.Random) -> None:
    from leadcenter import clock, ids
    from leadcenter.domain.leads import new_lead_id
    from leadcenter.model import Attribution, Contact, Lead, LeadSource
    from leadcenter.store import accounts, catalog, reports
    from leadcenter.store import leads as lead_store
    from leadcenter.store.accounts import Account, Member
    from leadcenter.store.lead_items import LeadState, TimelineEvent
    from leadcenter.store.reports import Entities

    now = clock.now()
    accounts.create_account(
        Account(account_id, "Bench", "ad_account", "SG", clock.iso(now)),
        Member(account_id, OWNER, "admin", (), clock.iso(now)),
    )
    groups = [(f"adgroup-{g}", f"Audience {g}", f"campaign-{g % 10}", f"ad-{g}") for g in range(ADGROUPS)]
    catalog.record(
        account_id,
        [("adgroup", g, name) for g, name, _, _ in groups]
        + [("campaign", f"campaign-{c}", f"Campaign {c}") for c in range(10)]
        + [("ad", ad, f"Creative {ad}") for _, _, _, ad in groups],
    )
    catalog.record_structure(
        account_id,
        {g: ("lead" if n % 2 else "conversation") for n, (g, _, _, _) in enumerate(groups)},
        {ad: g for g, _, _, ad in groups},
    )
    weights = [rng.paretovariate(1.2) for _ in groups]  # a few ad groups bring most leads
    for n in range(LEADS):
        created = now - timedelta(seconds=rng.uniform(0, (DAYS - 1) * 86400))
        adgroup, name, campaign, ad = rng.choices(groups, weights=weights)[0]
        stamp = clock.iso(created)
        lead = Lead(
            id=new_lead_id(REGION, created),
            account_id=account_id,
            region="SG",
            source=LeadSource.MESSAGE,
            contact=Contact(name=f"Person {n}", email=f"p{n}@example.com"),
            ad=Attribution(ad_id=ad, adgroup_id=adgroup, adgroup_name=name, campaign_id=campaign),
            created_at=stamp,
            updated_at=stamp,
            expires_at="",
            storage_region=REGION,
        )
        expires = int((created + timedelta(days=90)).timestamp())
        lead_store.create(
            LeadState(lead, set(), expires), (), TimelineEvent(ids.ulid(created), "created", "b", stamp, {})
        )
        entities = Entities(ad, adgroup, campaign)
        reports.count_lead(account_id, lead.id, created.date().isoformat(), entities, n % 2 == 0, expires)
    accounts.add_lead_region(account_id, REGION)
    for adgroup, _, campaign, ad in groups:
        for d in range(0, DAYS, 3):
            day = (now - timedelta(days=d)).date().isoformat()
            amount = rng.randint(0, 50_000)
            reports.set_spend(account_id, day, Entities(ad, adgroup, campaign), amount, "SGD", f"{day}#seed", None)


def _ours(account_id: str, day_from: Any, day_to: Any) -> int:
    from leadcenter.domain import ad_reports
    from leadcenter.policy import Action, authorize

    access = authorize(OWNER, account_id, Action.LEADS_VIEW)
    report = ad_reports.lead_report(access, "adgroup", day_from, day_to, PAGE, None)
    return len(report.rows)


def _recount(account_id: str) -> int:
    """The former design: the catalog's ad groups, each counted with a COUNT query on the attribution index."""
    from leadcenter import clock
    from leadcenter.policy import Action, authorize
    from leadcenter.store import catalog, reports

    authorize(OWNER, account_id, Action.LEADS_VIEW)
    now = int(clock.epoch())
    counts = {
        g: reports.count_group(REGION, account_id, "adgroup", g, now) for g in catalog.load(account_id)["adgroup"]
    }
    return len(sorted(counts.items(), key=lambda kv: -kv[1])[:PAGE])


def run() -> dict[str, Any]:
    from leadcenter import clock

    metrics: dict[str, Any] = {}
    with moto_stack():
        account_id = "bench-reports"
        started = time.perf_counter()
        _seed(account_id, random.Random(3_000))
        seeded = time.perf_counter() - started
        today = clock.now().date()
        day_from = today - timedelta(days=DAYS - 1)
        with counting() as counter:
            rows = _ours(account_id, day_from, today)
            ours = counter.count("dynamodb")
            counter.reset()
            peer_rows = _recount(account_id)
            peer = counter.count("dynamodb")
        assert rows == PAGE and peer_rows == PAGE, (rows, peer_rows)
        ours_ms, peer_ms = [], []
        for _ in range(5):
            t = time.perf_counter()
            _ours(account_id, day_from, today)
            ours_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            _recount(account_id)
            peer_ms.append((time.perf_counter() - t) * 1000)
        note = (
            f"one {PAGE}-row page by ad group, {LEADS:,} leads across {ADGROUPS} ad groups over {DAYS} days with "
            "spend; authorisation (1 TransactGetItems) + catalog (1 GetItem) + counters (1 Query); peer: a COUNT "
            f"query per ad group on the lead table (the former design); goal <= 3; seeding took {seeded:.0f} s"
        )
        metrics["report_requests"] = metric(ours, "requests", peer, note)
        metrics["report_ms"] = metric(median(ours_ms), "ms", median(peer_ms), "the same page, median of 5 (moto)")
    return metrics


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
