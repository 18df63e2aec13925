"""Filters and search at scale (issue 3), on an account of 20,000 leads with realistic skew.

read_amplification_<filter>: lead items DynamoDB read (ScannedCount of the key queries, plus items fetched by
key) per lead returned on the first page of 50. Peer: the same page from the naive design, a Query over the
whole account with a filter expression, measured on the same data in the same run.
list_page_requests: DynamoDB requests (counted at botocore) for the first page of an unfiltered list.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta
from typing import Any

from bench.harness import counting, metric, moto_stack

LEADS = int(os.environ.get("BENCH_LISTING_LEADS", "20000"))  # smaller only for a quick local look
PAGE = 50
OWNER = "bench-admin"


def _weighted(rng: random.Random, table: list[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _seed(account_id: str, rng: random.Random, leads: int = LEADS) -> dict[str, Any]:
    """Writes leads through the lead store (one transaction each), spread over the last 80 days."""
    from leadcenter import clock, ids
    from leadcenter.domain.leads import new_lead_id
    from leadcenter.model import AccessStatus, Attribution, Contact, FormData, Lead, LeadSource, LeadStatus
    from leadcenter.store import accounts, catalog, labels
    from leadcenter.store import leads as store
    from leadcenter.store.accounts import Account, Member
    from leadcenter.store.labels import Label
    from leadcenter.store.lead_items import LeadState, TimelineEvent

    now = clock.now()
    accounts.create_account(
        Account(account_id, "Bench", "ad_account", "SG", clock.iso(now)),
        Member(account_id, OWNER, "admin", (), clock.iso(now)),
    )
    label_ids = {}
    for name in ("Hot", "VIP", "Cold"):
        label = Label(ids.ulid().lower(), name, clock.iso(now))
        labels.create(account_id, label)
        label_ids[name] = label.id
    campaigns = [
        (f"cmp-{c}", f"Campaign {name}")
        for c, name in enumerate(["Ramadan Sale", "EV Launch", "Back to School", "Mega Payday"])
    ]
    ads = [(f"ad-{n}", f"Creative {n}", f"ag-{n // 3}", f"Audience {n // 3}", *campaigns[n % 4]) for n in range(12)]
    forms = [("form-1", "Test drive"), ("form-2", "Newsletter"), ("form-3", "Callback request")]
    catalog.record(
        account_id,
        [("ad", a[0], a[1]) for a in ads]
        + [("adgroup", a[2], a[3]) for a in ads]
        + [("campaign", c[0], c[1]) for c in campaigns]
        + [("form", f[0], f[1]) for f in forms],
    )
    regions_used = set()
    facts: list[dict[str, Any]] = []
    for n in range(leads):
        created = now - timedelta(seconds=rng.uniform(0, 80 * 86400))
        country = _weighted(rng, [("SG", 0.5), ("ID", 0.3), ("MY", 0.2)])
        region = "ap-southeast-1"
        regions_used.add(region)
        ad = rng.choice(ads)
        form = _weighted(rng, [(forms[0], 0.5), (forms[1], 0.35), (forms[2], 0.15)])
        lead_id = new_lead_id(region, created)
        stamp = clock.iso(created)
        lead = Lead(
            id=lead_id,
            account_id=account_id,
            region=country,
            status=_weighted(
                rng,
                [
                    (LeadStatus.RAW, 0.55),
                    (LeadStatus.CONTACTED, 0.2),
                    (LeadStatus.QUALIFIED, 0.12),
                    (LeadStatus.UNQUALIFIED, 0.08),
                    (LeadStatus.CONVERTED, 0.05),
                ],
            ),
            assignee=_weighted(rng, [(None, 0.6), (OWNER, 0.25), ("bench-admin-2", 0.15)]),
            source=_weighted(rng, [(LeadSource.FORM, 0.6), (LeadSource.MESSAGE, 0.35), (LeadSource.MANUAL, 0.05)]),
            contact=Contact(name=f"Person {n}", email=f"p{n}@example.com"),
            ad=Attribution(
                ad_id=ad[0], ad_name=ad[1], adgroup_id=ad[2], adgroup_name=ad[3], campaign_id=ad[4], campaign_name=ad[5]
            ),
            form=FormData(form_id=form[0], form_name=form[1]),
            access_status=_weighted(rng, [(AccessStatus.ACCESSED, 0.4), (AccessStatus.NOT_ACCESSED, 0.6)]),
            created_at=stamp,
            updated_at=stamp,
            expires_at="",
            version=1,
            storage_region=region,
        )
        chosen = {label_ids[name] for name, p in (("Hot", 0.1), ("VIP", 0.03), ("Cold", 0.25)) if rng.random() < p}
        state = LeadState(lead, chosen, int((created + timedelta(days=90)).timestamp()))
        store.create(state, (), TimelineEvent(ids.ulid(created), "created", "bench", stamp, {}))
        facts.append(
            {
                "status": {lead.status},
                "label": chosen,
                "assignee": {lead.assignee or "none"},
                "access_status": {lead.access_status.value},
                "source": {lead.source},
                "form_id": {form[0]},
                "q": {ad[0], ad[2], ad[4], form[0]},  # q by id: the lead's ad, ad group, campaign, form
            }
        )
    for region in regions_used:
        accounts.add_lead_region(account_id, region)
    return {"labels": label_ids, "campaigns": campaigns, "forms": forms, "facts": facts}


DIMENSIONS = ("status", "label", "assignee", "access_status", "source", "form_id", "q")


def _by_rarity(facts: list[dict[str, Any]], dimension: str) -> list[Any]:
    """The dimension's values that have leads, least common first (ties by value, so the run is fixed)."""
    counts: dict[Any, int] = {}
    for fact in facts:
        for value in fact[dimension]:
            counts[value] = counts.get(value, 0) + 1
    return sorted(counts, key=lambda v: (counts[v], str(v)))


def _rarest_pair(facts: list[dict[str, Any]], first: str, second: str) -> tuple[dict[str, Any], int]:
    """The fixed rule for a pair: each dimension's least common value; when no lead has both, the next
    combination by rank sum. Returns the filter and how many leads match it."""
    one, two = _by_rarity(facts, first), _by_rarity(facts, second)
    for _, a, b in sorted((i + j, i, j) for i in range(len(one)) for j in range(len(two))):
        matching = sum(1 for f in facts if one[a] in f[first] and two[b] in f[second])
        if matching:
            return {first: one[a], second: two[b]}, matching
    raise AssertionError(f"no lead has any {first} and {second} together")


def pair_amplifications(account_id: str, facts: list[dict[str, Any]]) -> dict[str, tuple[float, int, int]]:
    """Every pair of the seven filters, by the fixed value rule: (items read per lead returned, returned, matching)."""
    from itertools import combinations

    found = {}
    for a, b in combinations(DIMENSIONS, 2):
        params, matching = _rarest_pair(facts, a, b)
        read, returned, _ = _first_page(account_id, params)
        found[f"{a}+{b}"] = (read / max(returned, 1), returned, matching)
    return found


def _first_page(account_id: str, params: dict[str, Any]) -> tuple[int, int, int]:
    """(items read, items returned, requests) for the first page, from the query statistics."""
    from leadcenter.domain.leads import LeadFilter, list_leads
    from leadcenter.policy import Action, authorize

    access = authorize(OWNER, account_id, Action.LEADS_VIEW)
    page = list_leads(access, LeadFilter(**params), PAGE, None)
    return page.stats.scanned, len(page.leads), page.stats.requests


def _naive_page(account_id: str, params: dict[str, Any], data: dict[str, Any]) -> tuple[int, int]:
    """The naive design: Query the account partition newest first with a filter expression until 50 match."""
    from leadcenter import ids
    from leadcenter.store import lead_items as store

    item = store.models("ap-southeast-1").lead
    condition = None
    for key, value in params.items():
        part = {
            "status": lambda v: item.status == str(v),
            "label": lambda v: item.labels.contains(v),
            "assignee": lambda v: item.assignee.does_not_exist() if v == "none" else item.assignee == v,
            "access_status": lambda v: item.access_status == v,
            "source": lambda v: item.source == str(v),
            "form_id": lambda v: item.form_id == v,
            "q": lambda v: (
                (item.ad["ad_id"] == v)
                | (item.ad["adgroup_id"] == v)
                | (item.ad["campaign_id"] == v)
                | (item.form_id == v)
            ),
            "created_from": lambda v: item.sk >= f"L#{ids.floor(v)}",
            "created_to": lambda v: item.sk <= f"L#{ids.ceiling(v)}",
        }[key](value)
        condition = part if condition is None else condition & part
    result = item.query(
        store.lead_pk(account_id), filter_condition=condition, scan_index_forward=False, limit=PAGE, page_size=100
    )
    returned = len(list(result))
    return result.page_iter.total_scanned_count, returned


def _write_cost(account_id: str) -> tuple[float, float]:
    """Items one status change writes (lead, listing copies, timeline event), and of those the lead table's."""
    from leadcenter import clock, ids
    from leadcenter.store import leads as store
    from leadcenter.store.lead_items import TimelineEvent, lead_pk, models

    item = next(iter(models("ap-southeast-1").lead.query(lead_pk(account_id), limit=1, scan_index_forward=False)))
    current = store.get("ap-southeast-1", account_id, item.lead_id)
    assert current is not None
    written: list[dict[str, Any]] = []
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def spy(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems":
            written.extend(params["TransactItems"])
        return original(self, operation, params)

    BaseClient._make_api_call = spy  # type: ignore[method-assign]
    try:
        now = clock.iso()
        store.update(
            "ap-southeast-1",
            account_id,
            item.lead_id,
            store.Change(status="converted" if current.lead.status != "converted" else "raw"),
            expected_version=current.lead.version,
            updated_at=now,
            events=[TimelineEvent(ids.ulid(), "status_changed", OWNER, now, {})],
            current=current,
        )
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    leads_table = models("ap-southeast-1").lead.Meta.table_name
    on_lead_table = [w for w in written if next(iter(w.values()))["TableName"] == leads_table]
    return float(len(written)), float(len(on_lead_table))


def run() -> dict[str, Any]:
    from itertools import combinations

    from leadcenter import clock

    metrics: dict[str, Any] = {}
    with moto_stack():
        rng = random.Random(20_000)
        account_id = "bench-listing"
        data = _seed(account_id, rng)
        facts = data["facts"]
        now = clock.now()
        window = {"created_from": now - timedelta(days=30), "created_to": now - timedelta(days=10)}
        # The fixed value rule: every filter uses its dimension's least common value that has leads.
        singles: dict[str, dict[str, Any]] = {d: {d: _by_rarity(facts, d)[0]} for d in DIMENSIONS}
        singles["assignee_none"] = {"assignee": "none"}
        singles["created"] = dict(window)
        pairs: dict[str, tuple[dict[str, Any], int]] = {
            f"{a}+{b}": _rarest_pair(facts, a, b) for a, b in combinations(DIMENSIONS, 2)
        }
        cases = {
            **{k: (v, 1.2, None) for k, v in singles.items()},
            **{f"{k}+created": ({**v, **window}, 1.2, None) for k, v in singles.items() if k != "created"},
            **{k: (v, 3.0, matching) for k, (v, matching) in pairs.items()},
        }
        worst_pair = ("", 0.0)
        for name, (params, goal, matching) in cases.items():
            read, returned, _ = _first_page(account_id, params)
            naive_read, naive_returned = _naive_page(account_id, params, data)
            ours = read / max(returned, 1)
            peer = naive_read / max(naive_returned, 1)
            if matching is not None and ours > worst_pair[1]:
                worst_pair = (name, ours)
            shown = {k: str(v) for k, v in params.items() if k not in window}
            metrics[f"read_amplification_{name.replace('+', '_')}"] = metric(
                ours,
                "items read / item returned",
                peer,
                f"{shown}: {returned} leads on the first page (limit {PAGE})"
                + (f", {matching} leads match in all" if matching is not None else "")
                + f"; goal <= {goal:g}; value rule: each dimension's least common value with leads; items of the "
                "lead listing (the page's key material included)",
            )
        metrics["read_amplification_worst_pair"] = metric(
            worst_pair[1],
            "items read / item returned",
            None,
            f"the worst of the 21 pairs: {worst_pair[0]} (goal <= 3)",
        )
        with counting() as counter:
            _first_page(account_id, {})
            requests = counter.count("dynamodb")
            operations = sorted(f"{op}" for (service, op), n in counter.calls.items() if service == "dynamodb")
        metrics["list_page_requests"] = metric(
            requests,
            "requests",
            None,
            f"DynamoDB requests for the first unfiltered page of an account with leads in 1 storage region, key "
            f"material included ({', '.join(operations)}); goal <= 2",
        )
        items, lead_table_items = _write_cost(account_id)
        metrics["lead_write_items_per_status_change"] = metric(
            items,
            "items written",
            lead_table_items,
            "items in the one TransactWriteItems of a status change (lead, listing copies, timeline event); peer: "
            "those of them on the lead table alone, same write",
        )
    return metrics


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
