"""Issue 4 (lead access): agency-to-brand transfer, Business Center members and scopes."""

from __future__ import annotations

import threading

from leadcenter.domain.leads import NewLead, create_lead
from leadcenter.model import Contact, LeadSource
from tests.support import Api


def _setup(api: Api, agency: str = "agency-admin", brand: str = "brand-admin") -> tuple[str, str]:
    ad_account = api.account(agency, "ad_account", "ID")
    bc = api.account(brand, "business_center", "ID")
    return ad_account, bc


def _transfer(api: Api, ad_account: str, bc: str, user: str = "agency-admin", **extra):
    return api.call(
        "POST",
        f"/accounts/{ad_account}/lead-access/transfer",
        user,
        json_body={"business_center_id": bc, "confirm": True, **extra},
    )


def test_transfer_moves_access_and_keeps_every_lead_readable(api):
    ad_account, bc = _setup(api)
    before = [api.lead(ad_account, "agency-admin", region=c) for c in ("ID", "SG", "JP", "DE", "BR")]
    agency_view = sorted(
        (lead["id"], lead["contact"]["email"])
        for lead in api.ok("GET", f"/accounts/{ad_account}/leads", "agency-admin")["items"]
    )
    # The UI's warning is part of the request: without confirm nothing happens
    refused = api.call(
        "POST",
        f"/accounts/{ad_account}/lead-access/transfer",
        "agency-admin",
        json_body={"business_center_id": bc, "confirm": False},
    )
    assert refused.status == 422 and "loses access" in refused.json()["error"]["message"]
    assert _transfer(api, ad_account, "not-a-bc").status == 422
    reply = _transfer(api, ad_account, bc)
    assert reply.status == 201
    assert reply.json()["status"] == "transferred" and reply.json()["transferred_to"] == bc
    # idempotent: the same request again changes nothing
    again = _transfer(api, ad_account, bc)
    assert again.status == 200 and again.json()["version"] == reply.json()["version"]
    audit = api.ok("GET", f"/accounts/{ad_account}/lead-access", "agency-admin")["history"]
    assert [(h["actor"], h["from_account"], h["to_account"]) for h in audit] == [("agency-admin", ad_account, bc)]
    # the agency loses every lead route
    for method, path in [
        ("GET", f"/accounts/{ad_account}/leads"),
        ("GET", f"/accounts/{ad_account}/leads/{before[0]['id']}"),
        ("GET", f"/accounts/{ad_account}/leads/{before[0]['id']}/notes"),
        ("GET", f"/accounts/{ad_account}/leads/{before[0]['id']}/activity"),
        ("PATCH", f"/accounts/{ad_account}/leads/{before[0]['id']}"),
        ("DELETE", f"/accounts/{ad_account}/leads/{before[0]['id']}"),
        ("GET", f"/accounts/{ad_account}/summary"),
    ]:
        got = api.call(method, path, "agency-admin", json_body={"status": "qualified"} if method == "PATCH" else None)
        assert got.status == 403, (method, path, got.body)
    # the brand reads every lead, identical
    brand_view = api.ok("GET", f"/accounts/{bc}/leads", "brand-admin", query="limit=100")["items"]
    assert sorted((lead["id"], lead["contact"]["email"]) for lead in brand_view) == agency_view
    detail = api.ok("GET", f"/accounts/{bc}/leads/{before[2]['id']}", "brand-admin")
    assert detail["contact"] == before[2]["contact"] and detail["account_id"] == ad_account
    assert api.ok("GET", f"/accounts/{bc}/lead-access", "brand-admin")["holds_access_of"] == [ad_account]
    only = api.ok("GET", f"/accounts/{bc}/leads", "brand-admin", query=f"ad_account_id={ad_account}")["items"]
    assert len(only) == len(before)


def test_leads_captured_after_transfer_reach_the_brand_only(api):
    ad_account, bc = _setup(api)
    assert _transfer(api, ad_account, bc).status == 201
    later = create_lead(
        ad_account,
        NewLead(country="TH", source=LeadSource.MESSAGE, contact=Contact(name="Somchai", phone="+66812345678")),
        "system:capture",
    )
    assert later.id in [lead["id"] for lead in api.ok("GET", f"/accounts/{bc}/leads", "brand-admin")["items"]]
    assert api.call("GET", f"/accounts/{ad_account}/leads/{later.id}", "agency-admin").status == 403


def test_business_center_members_follow_their_scopes(api):
    ad_account, bc = _setup(api)
    lead = api.lead(ad_account, "agency-admin")
    assert _transfer(api, ad_account, bc).status == 201
    api.ok(
        "PUT",
        f"/accounts/{bc}/members/bc-sales",
        "brand-admin",
        json_body={"role": "operator", "lead_access": ["leads_center"]},
    )
    api.ok("PUT", f"/accounts/{bc}/members/bc-analyst", "brand-admin", json_body={"role": "analyst", "lead_access": []})
    assert api.call("GET", f"/accounts/{bc}/leads", "bc-sales").status == 200
    assert (
        api.call("PATCH", f"/accounts/{bc}/leads/{lead['id']}", "bc-sales", json_body={"status": "contacted"}).status
        == 200
    )
    assert api.call("GET", f"/accounts/{bc}/leads", "bc-analyst").status == 403
    # revoking takes effect on the next request
    api.ok("PUT", f"/accounts/{bc}/members/bc-sales", "brand-admin", json_body={"role": "operator", "lead_access": []})
    assert api.call("GET", f"/accounts/{bc}/leads", "bc-sales").status == 403
    # members and settings stay with admins
    assert api.call("PUT", f"/accounts/{bc}/members/x", "bc-sales", json_body={"role": "admin"}).status == 403
    # scopes exist only in a Business Center
    bad = api.call(
        "PUT",
        f"/accounts/{ad_account}/members/y",
        "agency-admin",
        json_body={"role": "operator", "lead_access": ["download"]},
    )
    assert bad.status == 422


def test_two_concurrent_transfers_one_wins(api):
    # Two admins at once, as two Lambda containers would be: each thread runs the domain's transfer.
    from leadcenter.domain import lead_access
    from leadcenter.errors import Conflict
    from leadcenter.policy import Action, authorize

    ad_account, bc1 = _setup(api)
    bc2 = api.account("brand2-admin", "business_center", "ID")
    access = authorize("agency-admin", ad_account, Action.LEAD_ACCESS_TRANSFER)
    results: dict[str, str] = {}
    start = threading.Barrier(2)

    def go(target: str) -> None:
        start.wait()
        try:
            results[target] = "won" if lead_access.transfer(access, target)[1] else "same"
        except Conflict:
            results[target] = "conflict"

    threads = [threading.Thread(target=go, args=(t,)) for t in (bc1, bc2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == ["conflict", "won"]
    winner = next(t for t, outcome in results.items() if outcome == "won")
    loser = bc2 if winner == bc1 else bc1
    state = api.ok("GET", f"/accounts/{ad_account}/lead-access", "agency-admin")
    assert state["transferred_to"] == winner and len(state["history"]) == 1
    assert (
        api.ok("GET", f"/accounts/{loser}/lead-access", "brand-admin" if loser == bc1 else "brand2-admin")[
            "holds_access_of"
        ]
        == []
    )
    # and through the API, the loser's request is a 409
    again = _transfer(api, ad_account, loser)
    assert again.status == 409


def test_only_an_ad_account_admin_transfers(api):
    ad_account, bc = _setup(api)
    api.ok("PUT", f"/accounts/{ad_account}/members/ag-op", "agency-admin", json_body={"role": "operator"})
    assert _transfer(api, ad_account, bc, user="ag-op").status == 403
    assert _transfer(api, ad_account, bc, user="brand-admin").status == 404
    assert _transfer(api, bc, ad_account, user="brand-admin").status == 403
