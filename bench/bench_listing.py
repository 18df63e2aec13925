"""Filters and search at scale (issue 3), on an account of 20,000 leads with realistic skew.

read_amplification_<filter>: lead items DynamoDB read (ScannedCount of the key queries, plus items fetched by
key) per lead returned on the first page of 50. Peer: the same page from the naive design, a Query over the
whole account with a filter expression, measured on the same data in the same run.
list_page_requests: DynamoDB requests (counted at botocore) for the first page of an unfiltered list.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from bench.harness import counting, metric, moto_stack

LEADS = 20_000
PAGE = 50
OWNER = "bench-admin"


def _weighted(rng: random.Random, table: list[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _seed(account_id: str, rng: random.Random) -> dict[str, Any]:
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
    for n in range(LEADS):
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
    for region in regions_used:
        accounts.add_lead_region(account_id, region)
    return {"labels": label_ids, "campaigns": campaigns, "forms": forms}


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
            "status": lambda v: item.status == v.value,
            "label": lambda v: item.labels.contains(v),
            "assignee": lambda v: item.assignee.does_not_exist() if v == "none" else item.assignee == v,
            "access_status": lambda v: item.access_status == v,
            "source": lambda v: item.source == v.value,
            "form_id": lambda v: item.form_id == v,
            "q": lambda v: item.ad["campaign_name"].contains(v),
            "created_from": lambda v: item.sk >= f"L#{ids.floor(v)}",
            "created_to": lambda v: item.sk <= f"L#{ids.ceiling(v)}",
        }[key](value)
        condition = part if condition is None else condition & part
    result = item.query(
        store.lead_pk(account_id), filter_condition=condition, scan_index_forward=False, limit=PAGE, page_size=100
    )
    returned = len(list(result))
    return result.page_iter.total_scanned_count, returned


def run() -> dict[str, Any]:
    from leadcenter import clock
    from leadcenter.model import LeadSource, LeadStatus

    metrics: dict[str, Any] = {}
    with moto_stack():
        rng = random.Random(20_000)
        account_id = "bench-listing"
        data = _seed(account_id, rng)
        now = clock.now()
        window = {"created_from": now - timedelta(days=30), "created_to": now - timedelta(days=10)}
        singles: dict[str, dict[str, Any]] = {
            "status": {"status": LeadStatus.QUALIFIED},
            "label": {"label": data["labels"]["VIP"]},
            "assignee": {"assignee": "bench-admin-2"},
            "assignee_none": {"assignee": "none"},
            "access_status": {"access_status": "accessed"},
            "source": {"source": LeadSource.MANUAL},
            "form_id": {"form_id": "form-3"},
            "q": {"q": "Ramadan"},
            "created": dict(window),
        }
        combos: dict[str, dict[str, Any]] = {
            "status+label": {"status": LeadStatus.QUALIFIED, "label": data["labels"]["Hot"]},
            "status+assignee": {"status": LeadStatus.CONTACTED, "assignee": "bench-admin-2"},
            "label+access_status": {"label": data["labels"]["Cold"], "access_status": "not_accessed"},
            "form_id+status": {"form_id": "form-2", "status": LeadStatus.RAW},
            "q+status": {"q": "EV Launch", "status": LeadStatus.RAW},
            "source+access_status": {"source": LeadSource.MESSAGE, "access_status": "accessed"},
        }
        cases = {**singles, **{f"{k}+created": {**v, **window} for k, v in singles.items() if k != "created"}, **combos}
        for name, params in cases.items():
            read, returned, _ = _first_page(account_id, params)
            naive_params = {k: v for k, v in params.items() if k != "q"} if name.startswith("q") else params
            naive_read, naive_returned = _naive_page(account_id, naive_params, data)
            ours = read / max(returned, 1)
            peer = naive_read / max(naive_returned, 1)
            goal = 3 if name in combos else 1.2
            metrics[f"read_amplification_{name.replace('+', '_')}"] = metric(
                ours,
                "items read / item returned",
                peer,
                f"{returned} leads on the first page (limit {PAGE}); goal <= {goal}; lead-table items only (each "
                "returned lead also costs one key item from the lead-keys table, see list_page_requests)",
            )
        with counting() as counter:
            _first_page(account_id, {})
            requests = counter.count("dynamodb")
        metrics["list_page_requests"] = metric(
            requests,
            "requests",
            None,
            "DynamoDB requests for the first unfiltered page of an account with leads in 1 storage region: "
            "authorisation (1 TransactGetItems), label names (1 Query), per region 1 Query + 1 BatchGetItem of "
            "lead keys; goal <= regions + 1",
        )
    return metrics


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
