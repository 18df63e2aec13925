"""Issue 2: bad input gets a clear 4xx JSON error, never a 5xx, and changes nothing."""

from __future__ import annotations

import pytest


@pytest.fixture
def account(api):
    return api.account("validator")


CASES = [
    ("not json", 400),
    ("[1, 2]", 400),
    ('{"region": "SG"}', 422),  # contact missing
    ('{"region": "XX", "contact": {}}', 422),  # not a country
    ('{"region": "SG", "contact": {}, "surprise": 1}', 422),  # unknown field
    ('{"region": "SG", "contact": {"email": 5}}', 422),
    ('{"region": "SG", "contact": {"others": [{"kind": "fax", "value": "1"}]}}', 422),
]


@pytest.mark.parametrize("raw,status", CASES)
def test_bad_lead_bodies(api, account, raw, status):
    reply = api.call("POST", f"/accounts/{account}/leads", "validator", raw=raw)
    assert reply.status == status, reply.body
    error = reply.json()["error"]
    assert error["code"] and error["message"]
    assert api.ok("GET", f"/accounts/{account}/leads", "validator")["items"] == []


def test_oversized_body_is_413(api, account):
    big = '{"region": "SG", "contact": {"name": "' + "x" * 300_000 + '"}}'
    reply = api.call("POST", f"/accounts/{account}/leads", "validator", raw=big)
    assert reply.status == 413 and reply.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjoiTCMwMSJ9", "a" * 500, "%%%"])
def test_bad_cursor_is_400(api, account, cursor):
    reply = api.call("GET", f"/accounts/{account}/leads", "validator", query=f"cursor={cursor}")
    assert reply.status == 400 and "cursor" in reply.json()["error"]["message"]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=abc", "status=won", "created_from=yesterday", "expiring_within_days=-1"]
)
def test_bad_list_parameters_are_422(api, account, query):
    reply = api.call("GET", f"/accounts/{account}/leads", "validator", query=query)
    assert reply.status == 422, reply.body


def test_unknown_lead_and_bad_ids_are_404(api, account):
    for lead_id in ["nope", "01ARZ3NDEKTSV4RRFFQ69G5FAV-zz", "01ARZ3NDEKTSV4RRFFQ69G5FAV-sg"]:
        assert api.call("GET", f"/accounts/{account}/leads/{lead_id}", "validator").status == 404


def test_stale_if_match_is_409_with_current_version(api, account):
    lead = api.lead(account, "validator")
    path = f"/accounts/{account}/leads/{lead['id']}"
    api.ok("PATCH", path, "validator", json_body={"status": "contacted"}, headers={"If-Match": str(lead["version"])})
    reply = api.call(
        "PATCH", path, "validator", json_body={"status": "converted"}, headers={"If-Match": str(lead["version"])}
    )
    assert reply.status == 409
    assert reply.json()["error"]["current_version"] == lead["version"] + 1
    assert (
        api.call("PATCH", path, "validator", json_body={"status": "converted"}, headers={"If-Match": "abc"}).status
        == 400
    )


@pytest.mark.parametrize("if_match", ["abc", "1.5", "-1", '"v1"', "*"])
def test_malformed_if_match_on_a_form_is_400_and_changes_nothing(api, account, if_match):
    body = {"name": "Test drive", "questions": [{"question": "Preferred date?", "type": "date"}]}
    form = api.ok("POST", f"/accounts/{account}/forms", "validator", expect=201, json_body=body)
    path = f"/accounts/{account}/forms/{form['id']}"
    reply = api.call("PUT", path, "validator", json_body={**body, "name": "Changed"}, headers={"If-Match": if_match})
    assert reply.status == 400 and reply.json()["error"]["code"] == "bad_request"
    assert "If-Match" in reply.json()["error"]["message"]
    assert api.ok("GET", path, "validator")["name"] == "Test drive"
    # the forms a lead's If-Match takes still work: "1", quoted and weak
    for good, version in [('W/"1"', 1), ('"2"', 2)]:
        changed = api.ok("PUT", path, "validator", json_body=body, headers={"If-Match": good})
        assert changed["version"] == version + 1


def test_unknown_route_and_method(api):
    assert api.call("GET", "/nowhere", "validator").status == 404
    assert api.call("PUT", "/accounts", "validator", json_body={}).status == 405
