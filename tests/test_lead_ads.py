"""Issue "3 of 6": campaigns, ad groups and ads; who may do what; the Lead goal's rules; forms' privacy policy."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers.capture import enable_auto_capture
from tests.support import Api

FORM = {"name": "Test drive", "questions": [{"question": "Your email?", "type": "email"}]}


def _user(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def team(api: Api):
    """An ad account (SG) with an admin, an operator and an analyst."""
    admin = _user("la-admin")
    account = api.account(admin, "ad_account", "SG")
    operator, analyst = f"op-{admin}", f"an-{admin}"
    api.ok("PUT", f"/accounts/{account}/members/{operator}", admin, json_body={"role": "operator"})
    api.ok("PUT", f"/accounts/{account}/members/{analyst}", admin, json_body={"role": "analyst"})
    return account, admin, operator, analyst


def _campaign(api, account, user, name="Ramadan"):
    return api.ok("POST", f"/accounts/{account}/campaigns", user, expect=201, json_body={"name": name})


def _adgroup(api, account, user, campaign_id, goal="conversation", countries=("SG",), expect=201):
    body = {"campaign_id": campaign_id, "name": "Jakarta 25-34", "optimization_goal": goal,
            "targeting_countries": list(countries)}  # fmt: skip
    reply = api.call("POST", f"/accounts/{account}/adgroups", user, json_body=body)
    assert reply.status == expect, reply.body
    return reply.json()


def test_admins_and_operators_create_and_edit_analysts_only_view(api, team):
    account, admin, operator, analyst = team
    campaign = _campaign(api, account, operator)
    assert campaign["status"] == "active" and campaign["name"] == "Ramadan" and campaign["version"] == 1
    adgroup = _adgroup(api, account, admin, campaign["id"])
    ad = api.ok("POST", f"/accounts/{account}/ads", operator, expect=201,
                json_body={"adgroup_id": adgroup["id"], "name": "Free delivery"})  # fmt: skip
    assert ad["campaign_id"] == campaign["id"] and ad["form_id"] is None
    for kind, entity in (("campaigns", campaign), ("adgroups", adgroup), ("ads", ad)):
        for user in (admin, operator, analyst):
            assert api.ok("GET", f"/accounts/{account}/{kind}/{entity['id']}", user)["id"] == entity["id"]
            assert [e["id"] for e in api.ok("GET", f"/accounts/{account}/{kind}", user)["items"]] == [entity["id"]]
        path = f"/accounts/{account}/{kind}/{entity['id']}"
        assert api.call("PATCH", path, analyst, json_body={"name": "x"}).status == 403
        assert api.call("POST", f"/accounts/{account}/{kind}", analyst, json_body={"name": "x"}).status in (403, 422)
        paused = api.ok("PATCH", path, operator, json_body={"status": "paused", "name": "Renamed"})
        assert (paused["status"], paused["name"], paused["version"]) == ("paused", "Renamed", 2)
        # If-Match: a stale version is a 409
        stale = api.call("PATCH", path, admin, json_body={"status": "active"}, headers={"If-Match": "1"})
        assert stale.status == 409
        assert api.ok("PATCH", path, admin, json_body={"status": "active"}, headers={"If-Match": "2"})["version"] == 3
    assert api.call("POST", f"/accounts/{account}/campaigns", analyst, json_body={"name": "x"}).status == 403
    assert api.call("GET", f"/accounts/{account}/campaigns", "a-stranger").status == 404


def test_a_business_center_has_no_lead_ads(api):
    admin = _user("la-bc")
    bc = api.account(admin, "business_center", "SG")
    assert api.call("GET", f"/accounts/{bc}/campaigns", admin).status == 403
    reply = api.call("POST", f"/accounts/{bc}/campaigns", admin, json_body={"name": "x"})
    assert reply.status == 403 and reply.json()["error"]["code"] == "forbidden"


def test_lists_page_with_cursors(api, team):
    account, admin, *_ = team
    made = [_campaign(api, account, admin, f"C{n}")["id"] for n in range(5)]
    seen, cursor = [], None
    for _ in range(5):
        page = api.ok("GET", f"/accounts/{account}/campaigns", admin,
                      query="limit=2" + (f"&cursor={cursor}" if cursor else ""))  # fmt: skip
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == made
    assert api.call("GET", f"/accounts/{account}/adgroups", admin, query=f"cursor={cursor or 'x'}").status == 400


def test_references_must_exist_and_names_feed_the_catalog(api, team):
    account, admin, *_ = team
    assert _adgroup(api, account, admin, "campaign-nope", expect=422)["error"]["code"] == "unprocessable"
    body = {"adgroup_id": "adgroup-nope", "name": "A"}
    assert api.call("POST", f"/accounts/{account}/ads", admin, json_body=body).status == 422
    campaign = _campaign(api, account, admin, "Mega Payday")
    adgroup = _adgroup(api, account, admin, campaign["id"])
    ad = api.ok("POST", f"/accounts/{account}/ads", admin, expect=201,
                json_body={"adgroup_id": adgroup["id"], "name": "Carousel B"})  # fmt: skip
    # a lead made by hand naming the ad is found by the campaign's name
    api.lead(account, admin, ad={"ad_id": ad["id"], "campaign_id": campaign["id"]})
    found = api.ok("GET", f"/accounts/{account}/leads", admin, query="q=mega%20payday")["items"]
    assert [lead["ad"]["ad_id"] for lead in found] == [ad["id"]]


def test_the_lead_goal_needs_its_countries(api):
    admin = _user("la-geo")
    account = api.account(admin, "ad_account", "SG")
    enable_auto_capture(api, account, admin)
    campaign = _campaign(api, account, admin)
    refused = _adgroup(api, account, admin, campaign["id"], "lead", ("SG", "US", "FR"), expect=422)["error"]
    assert refused["code"] == "lead_goal_unavailable"
    assert "FR" in refused["message"] and "US" in refused["message"] and "SG" not in refused["message"]
    assert refused["countries"] == ["FR", "US"]
    # every listed market works, and the conversation goal has no such rule
    lead = _adgroup(api, account, admin, campaign["id"], "lead", ("SG", "BR", "SA", "JP", "ZA"))
    assert lead["optimization_goal"] == "lead"
    assert _adgroup(api, account, admin, campaign["id"], "conversation", ("US", "FR"))["targeting_countries"] == [
        "US",
        "FR",
    ]
    # a PATCH of the targeting or the goal is checked too
    path = f"/accounts/{account}/adgroups/{lead['id']}"
    reply = api.call("PATCH", path, admin, json_body={"targeting_countries": ["DE"]})
    assert reply.status == 422 and reply.json()["error"]["code"] == "lead_goal_unavailable"
    conversation = _adgroup(api, account, admin, campaign["id"], "conversation", ("GB",))
    reply = api.call("PATCH", f"/accounts/{account}/adgroups/{conversation['id']}", admin,
                     json_body={"optimization_goal": "lead"})  # fmt: skip
    assert reply.status == 422 and reply.json()["error"]["countries"] == ["GB"]
    assert api.ok("PATCH", path, admin, json_body={"targeting_countries": ["MX"]})["targeting_countries"] == ["MX"]
    assert api.call("PATCH", path, admin, json_body={"targeting_countries": ["XX"]}).status == 422


def test_the_lead_goal_is_unavailable_where_the_account_is_registered_outside_the_list(api):
    admin = _user("la-us")
    account = api.account(admin, "ad_account", "US")
    campaign = _campaign(api, account, admin)
    refused = _adgroup(api, account, admin, campaign["id"], "lead", ("SG",), expect=422)["error"]
    assert refused["code"] == "lead_goal_unavailable" and "US (the account's country)" in refused["message"]


def test_the_lead_goal_needs_auto_capture_approved_and_on(api, team):
    account, admin, operator, _ = team
    campaign = _campaign(api, account, admin)
    assert _adgroup(api, account, operator, campaign["id"], "lead", expect=422)["error"]["code"] == (
        "auto_capture_required"
    )
    api.ok("PUT", f"/accounts/{account}/auto-capture", admin,
           json_body={"privacy_policy_url": "https://example.com/p", "company_name": "Acme"})  # fmt: skip
    assert _adgroup(api, account, operator, campaign["id"], "lead", expect=422)["error"]["code"] == (
        "auto_capture_required"
    )  # pending
    api.ok("POST", f"/review/auto-capture/{account}", "platform-reviewer", json_body={"decision": "approved"})
    assert _adgroup(api, account, operator, campaign["id"], "lead", expect=422)["error"]["code"] == (
        "auto_capture_required"
    )  # approved, still off
    api.ok("PATCH", f"/accounts/{account}/auto-capture", admin, json_body={"enabled": True})
    adgroup = _adgroup(api, account, operator, campaign["id"], "lead")
    # switched off again: a PATCH of the goal or targeting is refused, a rename is not
    api.ok("PATCH", f"/accounts/{account}/auto-capture", admin, json_body={"enabled": False})
    path = f"/accounts/{account}/adgroups/{adgroup['id']}"
    assert api.call("PATCH", path, admin, json_body={"targeting_countries": ["MY"]}).status == 422
    assert api.ok("PATCH", path, admin, json_body={"name": "Still here"})["name"] == "Still here"
    assert api.ok("PATCH", path, admin, json_body={"optimization_goal": "conversation"})["optimization_goal"] == (
        "conversation"
    )


def test_an_ad_uses_a_form_only_with_a_privacy_policy(api, team):
    account, admin, operator, _ = team
    bare = api.ok("POST", f"/accounts/{account}/forms", operator, expect=201, json_body=FORM)
    assert bare["privacy_policy_url"] is None  # a form saves without one
    assert api.call("POST", f"/accounts/{account}/forms", admin,
                    json_body=FORM | {"privacy_policy_url": "http://example.com/p"}).status == 422  # fmt: skip
    adgroup = _adgroup(api, account, admin, _campaign(api, account, admin)["id"])
    body = {"adgroup_id": adgroup["id"], "name": "With form", "form_id": bare["id"]}
    reply = api.call("POST", f"/accounts/{account}/ads", operator, json_body=body)
    assert reply.status == 422 and reply.json()["error"]["code"] == "privacy_policy_required"
    unknown = api.call("POST", f"/accounts/{account}/ads", operator, json_body=body | {"form_id": "form-nope"})
    assert unknown.status == 422
    policy = {"privacy_policy_url": "https://example.com/privacy", "disclaimer": "We call within 24 h."}
    fixed = api.ok("PUT", f"/accounts/{account}/forms/{bare['id']}", operator, json_body=FORM | policy)
    assert fixed["privacy_policy_url"] == "https://example.com/privacy" and fixed["disclaimer"] == policy["disclaimer"]
    ad = api.ok("POST", f"/accounts/{account}/ads", operator, expect=201, json_body=body)
    assert ad["form_id"] == bare["id"]
    # and a PATCH to a form without one is refused too; null removes the form
    other = api.ok("POST", f"/accounts/{account}/forms", operator, expect=201, json_body=FORM)
    path = f"/accounts/{account}/ads/{ad['id']}"
    assert api.call("PATCH", path, admin, json_body={"form_id": other["id"]}).json()["error"]["code"] == (
        "privacy_policy_required"
    )
    assert api.ok("PATCH", path, admin, json_body={"form_id": None})["form_id"] is None


def test_the_openapi_document_describes_the_new_routes(api):
    document = api.ok("GET", "/openapi.json", None)
    for path in ("/accounts/{account_id}/campaigns", "/accounts/{account_id}/adgroups/{adgroup_id}",
                 "/accounts/{account_id}/ads", "/accounts/{account_id}/reports/leads"):  # fmt: skip
        assert path in document["paths"], path
    schemas = document["components"]["schemas"]
    assert schemas["AdGroupIn"].get("examples") and "privacy_policy_url" in schemas["FormIn"]["properties"]
