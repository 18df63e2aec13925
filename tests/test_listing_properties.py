"""Issues 2 and 3: listing pages through every lead exactly once, newest first, across storage regions and
page boundaries; every filter and combination agrees with a brute-force reference (hypothesis)."""

from __future__ import annotations

import random
from datetime import datetime
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Api

COUNTRIES = ["SG", "ID", "JP", "DE", "GB", "BR", "MX", "US", "AE", "AU"]  # seven storage regions
STATUSES = ["raw", "qualified", "unqualified", "contacted", "converted"]
ADS = [
    ("ad-1", "Summer Sale Video", "ag-1", "Young Adults", "cmp-1", "Ramadan Sale 2026"),
    ("ad-2", "Carousel B", "ag-1", "Young Adults", "cmp-1", "Ramadan Sale 2026"),
    ("ad-3", "Test Drive Promo", "ag-2", "Car Lovers", "cmp-2", "EV Launch"),
]
FORMS = [("form-a", "Test drive form"), ("form-b", "Newsletter")]
OWNER = "lp-admin"


def _page_all(api: Api, account: str, params: dict[str, str], limit: int) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(500):
        query = dict(params, limit=str(limit), **({"cursor": cursor} if cursor else {}))
        page = api.ok("GET", f"/accounts/{account}/leads", OWNER, query=urlencode(query))
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("paging did not end")


@pytest.fixture(scope="module")
def dataset(gateway):
    api = Api(gateway)
    rng = random.Random(7)
    account = api.account(OWNER)
    api.ok("PUT", f"/accounts/{account}/members/lp-admin2", OWNER, json_body={"role": "admin"})
    labels = [
        api.ok("POST", f"/accounts/{account}/labels", OWNER, expect=201, json_body={"name": n})["id"]
        for n in ("Hot", "VIP", "Cold")
    ]
    created = []
    for n in range(45):
        ad = rng.choice([*ADS, None])
        form = rng.choice([*FORMS, None])
        body = {"region": rng.choice(COUNTRIES), "contact": {"name": f"Person {n}"}}
        if ad:
            body["ad"] = dict(
                zip(["ad_id", "ad_name", "adgroup_id", "adgroup_name", "campaign_id", "campaign_name"], ad, strict=True)
            )
        if form:
            body["form"] = {"form_id": form[0], "form_name": form[1], "answers": []}
        lead = api.lead(account, OWNER, **body)
        patch: dict = {}
        if rng.random() < 0.6:
            patch["status"] = rng.choice(STATUSES)
        if rng.random() < 0.5:
            patch["add_labels"] = rng.sample(labels, rng.randint(1, 2))
        if rng.random() < 0.4:
            patch["assignee"] = rng.choice([OWNER, "lp-admin2"])
        if patch:
            api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", OWNER, json_body=patch)
        if rng.random() < 0.3:
            api.ok("GET", f"/accounts/{account}/leads/{lead['id']}", OWNER)
        created.append(lead["id"])
    everything = _page_all(api, account, {}, 100)
    return api, account, labels, created, everything


def test_every_lead_exactly_once_newest_first(dataset):
    _api, _account, _, created, everything = dataset
    ids = [lead["id"] for lead in everything]
    assert sorted(ids) == sorted(created)
    assert ids == sorted(ids, reverse=True)
    assert len({lead["storage_region"] for lead in everything}) == 7


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=4, max_value=23))
def test_paging_is_exact_for_any_page_size(dataset, limit):
    api, account, _, _created, everything = dataset
    assert [lead["id"] for lead in _page_all(api, account, {}, limit)] == [lead["id"] for lead in everything]


def _matches(lead: dict, f: dict[str, str]) -> bool:
    checks = {
        "status": lambda v: lead["status"] == v,
        "label": lambda v: v in {label["id"] for label in lead["labels"]},
        "assignee": lambda v: (lead["assignee"] or "none") == v,
        "access_status": lambda v: lead["access_status"] == v,
        "source": lambda v: lead["source"] == v,
        "form_id": lambda v: lead["form"]["form_id"] == v,
        "created_from": lambda v: lead["created_at"] >= v,
        "created_to": lambda v: lead["created_at"] <= v,
        "q": lambda v: any(
            (value or "") == v or v.casefold() in (name or "").casefold()
            for value, name in [
                (lead["ad"].get("ad_id"), lead["ad"].get("ad_name")),
                (lead["ad"].get("adgroup_id"), lead["ad"].get("adgroup_name")),
                (lead["ad"].get("campaign_id"), lead["ad"].get("campaign_name")),
                (lead["form"].get("form_id"), lead["form"].get("form_name")),
            ]
        ),
    }
    return all(checks[k](v) for k, v in f.items())


@st.composite
def filters(draw, labels_and_times):
    labels, times = labels_and_times
    options = {
        "status": st.sampled_from(STATUSES),
        "label": st.sampled_from(labels),
        "assignee": st.sampled_from([OWNER, "lp-admin2", "none"]),
        "access_status": st.sampled_from(["accessed", "not_accessed"]),
        "source": st.just("manual"),
        "form_id": st.sampled_from([f[0] for f in FORMS]),
        "created_from": st.sampled_from(times),
        "created_to": st.sampled_from(times),
        "q": st.sampled_from(["ad-1", "ag-2", "cmp-1", "ramadan", "TEST DRIVE", "young", "form-b", "zzz"]),
    }
    keys = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=3, unique=True))
    return {k: draw(options[k]) for k in keys}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_filters_agree_with_brute_force(dataset, data):
    api, account, labels, _, everything = dataset
    times = sorted({lead["created_at"] for lead in everything})
    chosen = data.draw(filters((labels, times)))
    limit = data.draw(st.integers(min_value=2, max_value=30))
    got = [lead["id"] for lead in _page_all(api, account, chosen, limit)]
    expected = [lead["id"] for lead in everything if _matches(lead, chosen)]
    assert got == expected, chosen


def test_created_range_parses_offsets(dataset):
    api, account, _, _, everything = dataset
    middle = datetime.fromisoformat(everything[len(everything) // 2]["created_at"].replace("Z", "+00:00"))
    shifted = middle.astimezone().isoformat()  # same instant, local offset
    got = _page_all(api, account, {"created_to": shifted}, 50)
    assert all(lead["created_at"] <= everything[len(everything) // 2]["created_at"] for lead in got)
