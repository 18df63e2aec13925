"""Issues 18 and 20: `SEED=demo:N` writes the people past the showcase through the store in batches
(local/seed/bulk.py). Their leads must be leads like any other: listed whole, found by every filter with exact
paging, counted in Reports, expiring 90 days after they were made, the same for the same N, and shredded on delete.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from leadcenter import clock
from leadcenter.store import leads as lead_store
from leadcenter.store.lead_items import models
from local.seed import bulk, plan
from local.seed.driver import SHOWCASE, Demo

BULK = 60


@pytest.fixture(scope="module")
def demo(gateway) -> dict[str, Any]:
    """The demo's accounts, labels and lead ads (its own set-up, through the API), and 60 bulk leads written."""
    seeding = Demo(gateway, SHOWCASE + BULK)
    seeding.set_up(max(plan.OLD_DAYS) + 3)
    persons = [plan.person(index, seeding.ads, SHOWCASE + BULK) for index in range(SHOWCASE, SHOWCASE + BULK)]
    heard: list[int] = []
    written = bulk.write(persons, seeding.accounts, seeding.labels, seeding.start_epoch, heard.append)
    clock.reset()
    seeding.pool.shutdown()
    seeding.marketers.shutdown()
    return {"demo": seeding, "persons": persons, "written": written, "heard": heard}


def _all(api, account: str, query: str = "", limit: int = 100) -> list[dict[str, Any]]:
    """Every lead the list gives for `query`, page by page; no lead twice."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        parts = (query, f"limit={limit}", f"cursor={cursor}" if cursor else "")
        page = api.ok("GET", f"/accounts/{account}/leads", "demo-admin", query="&".join(q for q in parts if q))
        found += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    ids = [lead["id"] for lead in found]
    assert len(ids) == len(set(ids)), query
    return found


def test_bulk_leads_list_whole_with_their_story(api, demo):
    main = demo["demo"].accounts["main"]
    client = demo["demo"].accounts["client"]
    leads = _all(api, main) + _all(api, client)
    # Every person who would have become a lead did, once (a message without a contact detected would make none)
    assert demo["written"] == len(leads) == sum(demo["heard"]) and len(leads) >= BULK - 2
    sources = Counter(lead["source"] for lead in leads)
    assert set(sources) == {"message", "form", "manual"}, sources
    by_email = {lead["contact"].get("email"): lead for lead in leads if lead["contact"].get("email")}
    for who in demo["persons"]:
        if who.kind in ("message", "form", "manual") and who.email in by_email:
            lead = by_email[who.email]
            assert lead["contact"]["name"] == who.name and lead["region"] == who.market.country
    assert len(by_email) >= BULK // 2
    # created on the person's day, expiring 90 days later; some of the old cohort within a week
    for lead in leads:
        created, expires = clock.parse_iso(lead["created_at"]), clock.parse_iso(lead["expires_at"])
        assert timedelta(0) <= created + timedelta(days=90) - expires < timedelta(seconds=1)  # whole seconds
        assert lead["updated_at"] >= lead["created_at"]
        assert lead["access_status"] == "not_accessed"
    assert any(lead["days_left"] <= 7 for lead in leads)  # the old cohort, as in the showcase
    assert {lead["status"] for lead in leads} >= {"raw", "contacted", "qualified"}
    assert any(lead["ad"].get("ad_id") for lead in leads) and any(lead["form"].get("answers") for lead in leads)
    assert any(lead["labels"] for lead in leads) and any(lead["assignee"] for lead in leads)


def test_every_filter_finds_them_with_exact_paging(api, demo):
    main = demo["demo"].accounts["main"]
    leads = _all(api, main)
    cases: list[tuple[str, set[str]]] = []
    for status in {lead["status"] for lead in leads}:
        cases.append((f"status={status}", {lead["id"] for lead in leads if lead["status"] == status}))
    for label_id in demo["demo"].labels["main"].values():
        tagged = {lead["id"] for lead in leads if any(ref["id"] == label_id for ref in lead["labels"])}
        cases.append((f"label={label_id}", tagged))
    for assignee in ("demo-admin", "none"):
        cases.append(
            (f"assignee={assignee}", {lead["id"] for lead in leads if (lead["assignee"] or "none") == assignee})
        )
    for source in ("message", "form", "manual"):
        cases.append((f"source={source}", {lead["id"] for lead in leads if lead["source"] == source}))
    form_id = next(lead["form"]["form_id"] for lead in leads if lead["form"].get("form_id"))
    cases.append((f"form_id={form_id}", {lead["id"] for lead in leads if lead["form"].get("form_id") == form_id}))
    campaign = next(lead["ad"]["campaign_name"] for lead in leads if lead["ad"].get("campaign_name"))
    word = campaign.split()[0]
    named = {lead["id"] for lead in leads
             if any(word.casefold() in (lead["ad"].get(f) or "").casefold() for f in
                    ("ad_name", "adgroup_name", "campaign_name")) or
             word.casefold() in (lead["form"].get("form_name") or "").casefold()}  # fmt: skip
    cases.append((f"q={word}", named))
    assert sum(bool(expected) for _, expected in cases) >= 8
    for query, expected in cases:
        assert {lead["id"] for lead in _all(api, main, query, limit=7)} == expected, query


def test_reports_count_them_as_capture_does(api, demo):
    main = demo["demo"].accounts["main"]
    leads = _all(api, main)
    frm = (clock.now() - timedelta(days=89)).date().isoformat()
    report = api.ok("GET", f"/accounts/{main}/reports/leads", "demo-admin", query=f"group_by=ad&from={frm}")
    counted = {row["id"]: row["leads"] for row in report["items"] if row["leads"]}
    expected = Counter(
        lead["ad"]["ad_id"] for lead in leads if lead["ad"].get("ad_id") and lead["created_at"][:10] >= frm
    )
    assert counted == dict(expected) and report["totals"]["leads"] == sum(expected.values())
    lead_goal = {ad.ad_id for ad in demo["demo"].ads["main"] if ad.goal == "lead"}
    assert report["totals"]["conversions"] == sum(n for ad, n in expected.items() if ad in lead_goal)


def test_the_same_n_writes_the_same_leads(demo):
    seeding = demo["demo"]

    def contents() -> list[tuple[Any, ...]]:
        made = []
        for who in demo["persons"]:
            account = seeding.accounts[who.account]
            planned = bulk.plan_lead(who, account, seeding.start_epoch, seeding.labels[who.account])
            if planned is not None:
                lead = planned.state.lead
                made.append((lead.model_dump(exclude={"id"}), sorted(planned.state.label_ids), planned.candidates))
        return made

    assert contents() == contents()


def test_a_bulk_lead_is_deduplicated_and_deleted_like_any_lead(api, demo):
    main = demo["demo"].accounts["main"]
    leads = [lead for lead in _all(api, main) if lead["source"] == "message" and lead["ad"].get("ad_id")]
    lead = leads[0]
    region = lead["storage_region"]
    # A later message of the same person finds this lead by its dedupe entries (the person's and the contacts')
    state = lead_store.get(region, main, lead["id"])
    assert state is not None and state.digests and state.person_hash
    assert all(lead_store.find_by_digest(region, main, digest) == lead["id"] for digest in state.digests)
    frm = (clock.now() - timedelta(days=89)).date().isoformat()
    query = f"group_by=ad&from={frm}"

    def counted() -> int:
        rows = api.ok("GET", f"/accounts/{main}/reports/leads", "demo-admin", query=query)["items"]
        return next((row["leads"] for row in rows if row["id"] == lead["ad"]["ad_id"]), 0)

    before = counted()
    # When it is deleted, its key and every card go: nothing lists it, nothing can open it, Reports count it no more
    api.ok("DELETE", f"/accounts/{main}/leads/{lead['id']}", "demo-admin", expect=204)
    assert models(region).key.count(f"K#{main}#{lead['id']}") == 0
    assert lead_store.get(region, main, lead["id"]) is None
    assert lead["id"] not in {item["id"] for item in _all(api, main)}
    assert counted() == before - 1
    assert all(lead_store.find_by_digest(region, main, digest) is None for digest in state.digests)
