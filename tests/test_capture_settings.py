"""Issue 4: applying for auto-capture, the review (by the platform, or the local runner's delay), switching it on."""

from __future__ import annotations

import uuid

import pytest

from leadcenter import clock

POLICY = {"privacy_policy_url": "https://shop.example.sg/privacy", "company_name": "Kedai Siti Pte Ltd"}


def _admin() -> str:
    return f"ac-admin-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def restore_clock():
    before = clock.advance(0)
    yield
    clock.advance(before - clock.advance(0))


def test_apply_review_and_switch_on(api):
    admin = _admin()
    account = api.account(admin, country="SG")
    path = f"/accounts/{account}/auto-capture"
    # Nothing applied yet
    assert api.call("GET", path, admin).status == 404
    # An admin applies: pending, off
    applied = api.ok("PUT", path, admin, json_body=POLICY)
    assert applied["status"] == "pending" and applied["enabled"] is False
    assert applied["privacy_policy_url"] == POLICY["privacy_policy_url"] and applied["applied_by"] == admin
    # It cannot be switched on before approval
    refused = api.call("PATCH", path, admin, json_body={"enabled": True})
    assert refused.status == 422 and "approved" in refused.json()["error"]["message"]
    # The platform approves; the admin switches it on
    api.ok("POST", f"/review/auto-capture/{account}", "reviewer", json_body={"decision": "approved"})
    assert api.ok("PATCH", path, admin, json_body={"enabled": True})["enabled"] is True
    seen = api.ok("GET", path, admin)
    assert seen["status"] == "approved" and seen["enabled"] is True
    # Settings are for admins only
    api.ok("PUT", f"/accounts/{account}/members/op-{admin}", admin, json_body={"role": "operator"})
    assert api.call("GET", path, f"op-{admin}").status == 403
    assert api.call("PATCH", path, f"op-{admin}", json_body={"enabled": False}).status == 403
    assert api.call("PUT", path, f"op-{admin}", json_body=POLICY).status == 403
    # Applying again (new URL) needs a new review: pending and off
    again = api.ok("PUT", path, admin, json_body={**POLICY, "privacy_policy_url": "https://shop.example.sg/p2"})
    assert again["status"] == "pending" and again["enabled"] is False


def test_a_rejection_switches_capture_off(api):
    admin = _admin()
    account = api.account(admin, country="MY")
    path = f"/accounts/{account}/auto-capture"
    api.ok("PUT", path, admin, json_body=POLICY)
    api.ok("POST", f"/review/auto-capture/{account}", "reviewer", json_body={"decision": "approved"})
    api.ok("PATCH", path, admin, json_body={"enabled": True})
    rejected = api.ok(
        "POST",
        f"/review/auto-capture/{account}",
        "reviewer",
        json_body={"decision": "rejected", "reason": "the privacy policy does not mention chats"},
    )
    assert rejected["status"] == "rejected" and rejected["enabled"] is False
    assert rejected["decision_reason"] == "the privacy policy does not mention chats"
    assert api.call("PATCH", path, admin, json_body={"enabled": True}).status == 422


@pytest.mark.parametrize("country", ["ID", "SG", "MY", "PH", "TH", "VN"])
def test_every_offered_market_may_apply(api, country):
    admin = _admin()
    account = api.account(admin, country=country)
    assert api.ok("PUT", f"/accounts/{account}/auto-capture", admin, json_body=POLICY)["status"] == "pending"


@pytest.mark.parametrize("country", ["US", "JP", "AU", "BR", "DE", "AE"])
def test_accounts_outside_the_offered_markets_get_a_422_that_says_why(api, country):
    admin = _admin()
    account = api.account(admin, country=country)
    reply = api.call("PUT", f"/accounts/{account}/auto-capture", admin, json_body=POLICY)
    assert reply.status == 422
    message = reply.json()["error"]["message"]
    assert "ID, SG, MY, PH, TH, VN" in message and country in message
    assert api.call("GET", f"/accounts/{account}/auto-capture", admin).status == 404


@pytest.mark.parametrize(
    "body",
    [
        {**POLICY, "privacy_policy_url": "http://shop.example.sg/privacy"},
        {**POLICY, "privacy_policy_url": "not a url"},
        {**POLICY, "company_name": "   "},
        {"privacy_policy_url": POLICY["privacy_policy_url"]},
        {**POLICY, "enabled": True},
    ],
    ids=["http", "not a url", "blank company", "no company", "unknown field"],
)
def test_an_application_needs_an_https_policy_and_a_company(api, body):
    admin = _admin()
    account = api.account(admin)
    reply = api.call("PUT", f"/accounts/{account}/auto-capture", admin, json_body=body)
    assert reply.status == 422, reply.body


def test_a_business_center_cannot_apply(api):
    admin = _admin()
    center = api.account(admin, type_="business_center", country="SG")
    reply = api.call("PUT", f"/accounts/{center}/auto-capture", admin, json_body=POLICY)
    assert reply.status == 422 and "ad account" in reply.json()["error"]["message"]


def test_the_review_route_needs_an_application_and_a_known_decision(api):
    admin = _admin()
    account = api.account(admin)
    assert (
        api.call("POST", f"/review/auto-capture/{account}", "reviewer", json_body={"decision": "approved"}).status
        == 404
    )
    api.ok("PUT", f"/accounts/{account}/auto-capture", admin, json_body=POLICY)
    assert (
        api.call("POST", f"/review/auto-capture/{account}", "reviewer", json_body={"decision": "maybe"}).status == 422
    )
    # Without credentials the gateway refuses it (deployed: IAM)
    assert api.call("POST", f"/review/auto-capture/{account}", None, json_body={"decision": "approved"}).status == 401


def test_the_local_runner_approves_a_pending_application_after_the_review_delay(api, restore_clock):
    admin = _admin()
    account = api.account(admin, country="TH")
    path = f"/accounts/{account}/auto-capture"
    applied = api.ok("PUT", path, admin, json_body=POLICY)
    assert applied["review_due_at"] is not None
    assert api.ok("GET", path, admin)["status"] == "pending"
    # When AUTO_CAPTURE_REVIEW_SECONDS (2) have passed on the app clock
    clock.advance(3)
    # Then reading it finds it approved, and the admin may switch it on
    approved = api.ok("GET", path, admin)
    assert approved["status"] == "approved" and approved["enabled"] is False and approved["review_due_at"] is None
    assert api.ok("PATCH", path, admin, json_body={"enabled": True})["enabled"] is True


def test_the_local_runner_does_not_approve_a_rejected_application(api, restore_clock):
    admin = _admin()
    account = api.account(admin, country="PH")
    path = f"/accounts/{account}/auto-capture"
    api.ok("PUT", path, admin, json_body=POLICY)
    api.ok("POST", f"/review/auto-capture/{account}", "reviewer", json_body={"decision": "rejected"})
    clock.advance(3)
    assert api.ok("GET", path, admin)["status"] == "rejected"


def test_attribution_windows_default_to_7_and_1_days_and_are_adjustable(api):
    admin = _admin()
    account = api.account(admin)
    path = f"/accounts/{account}/attribution"
    assert api.ok("GET", path, admin)["click_window_days"] == 7
    assert api.ok("GET", path, admin)["view_window_days"] == 1
    api.ok("PUT", path, admin, json_body={"click_window_days": 28, "view_window_days": 0})
    assert api.ok("GET", path, admin)["click_window_days"] == 28
    assert api.call("PUT", path, admin, json_body={"click_window_days": 29, "view_window_days": 1}).status == 422
    # One window alone keeps the other
    assert api.ok("PUT", path, admin, json_body={"view_window_days": 3}) == {
        "click_window_days": 28,
        "view_window_days": 3,
        "updated_at": api.ok("GET", path, admin)["updated_at"],
    }
    assert api.call("PUT", path, admin, json_body={"view_window_days": -1}).status == 422
    assert api.call("PUT", path, admin, json_body={"view_window_days": 1, "extra": 1}).status == 422
