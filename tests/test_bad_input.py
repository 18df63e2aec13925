"""Issue 2: bad input gets a clear 4xx JSON error, never a 5xx, and changes nothing."""

from __future__ import annotations

import json

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


# ---------------------------------------------------------------------------------------------- review: nesting, bytes

DEEP = 100_000  # 200 KB: within the 256 KiB limit; Python's JSON parser gives up (RecursionError) near 1,000


@pytest.mark.parametrize("depth", [65, DEEP])
def test_deeply_nested_json_is_400_not_a_crash(api, account, depth):
    raw = '{"region": "SG", "contact": {"name": ' + "[" * depth + "]" * depth + "}}"
    reply = api.call("POST", f"/accounts/{account}/leads", "validator", raw=raw)
    assert reply.status == 400, reply.body
    assert reply.json()["error"]["code"] == "bad_request" and "levels deep" in reply.json()["error"]["message"]
    assert api.ok("GET", f"/accounts/{account}/leads", "validator")["items"] == []


def test_a_200000_deep_bulk_body_is_400(api, account):
    # The bulk route takes bodies up to 1 MiB: room for 200,000 levels.
    raw = '{"action": "delete", "lead_ids": ' + "[" * 200_000 + "]" * 200_000 + "}"
    reply = api.call("POST", f"/accounts/{account}/leads/bulk", "validator", raw=raw)
    assert reply.status == 400 and "levels deep" in reply.json()["error"]["message"], reply.body


def test_nesting_within_the_limit_reaches_validation(api, account):
    # 64 levels in all (the body object is the first): parsed, then refused by the model (422), not by depth.
    raw = '{"region": "SG", "contact": {"name": ' + "[" * 62 + "]" * 62 + "}}"
    assert api.call("POST", f"/accounts/{account}/leads", "validator", raw=raw).status == 422


def test_brackets_inside_strings_do_not_count(api, account):
    name = "[" * 70 + "{" * 70 + '\\"[['
    raw = '{"region": "SG", "contact": {"name": "' + name + '", "email": "brackets@example.com"}}'
    assert api.call("POST", f"/accounts/{account}/leads", "validator", raw=raw).status == 201


def test_a_deeply_nested_signed_webhook_event_is_400_and_not_queued(api):
    from tests.helpers.capture import post, purge, queued_count

    purge()
    body = ('{"event_id": "deep", "type": "message.received", "extra": ' + "[" * DEEP + "]" * DEEP + "}").encode()
    reply = post(api, body)  # well signed
    assert reply.status == 400, reply.body
    assert "levels deep" in reply.json()["error"]["message"]
    assert queued_count() == 0


LIMIT = 256 * 1024


def _lead_body_of_bytes(size: int) -> str:
    """A lead body of exactly `size` UTF-8 bytes, mostly three-byte Thai characters (far fewer characters)."""
    head, tail = '{"region": "SG", "contact": {"name": "', '"}}'
    room = size - len(head) - len(tail)
    return head + "ก" * (room // 3) + "x" * (room % 3) + tail


def test_the_size_limit_counts_utf8_bytes_not_characters(api, account):
    over = _lead_body_of_bytes(LIMIT + 1)
    assert len(over) < LIMIT // 2 and len(over.encode()) == LIMIT + 1
    reply = api.call("POST", f"/accounts/{account}/leads", "validator", raw=over)
    assert reply.status == 413 and reply.json()["error"]["code"] == "payload_too_large"
    # Exactly at the limit it is read (and refused for what it says: the name is far too long)
    assert api.call("POST", f"/accounts/{account}/leads", "validator", raw=_lead_body_of_bytes(LIMIT)).status == 422


def _invoke_base64(gateway, account: str, body: bytes | str) -> tuple[int, dict]:
    """As API Gateway sends a binary body: base64 text with isBase64Encoded."""
    import base64
    import json

    from local.gateway import context_for, handler_of

    route, params = gateway.match("POST", f"/accounts/{account}/leads")
    encoded = base64.b64encode(body).decode() if isinstance(body, bytes) else body
    event = gateway._event(
        route, f"/accounts/{account}/leads", params, "", {"Content-Type": "application/json"}, encoded, None
    )
    event["isBase64Encoded"] = True
    event["requestContext"]["authorizer"] = {"claims": {"sub": "validator", "token_use": "id"}}
    function = gateway.functions[route.function]
    result = handler_of(function)(event, context_for(function))
    return int(result["statusCode"]), json.loads(result["body"])


def test_a_base64_body_is_measured_and_read_decoded(gateway, api, account):
    good = json.dumps({"region": "SG", "contact": {"name": "สมชาย", "email": "b64@example.com"}}).encode()
    status, created = _invoke_base64(gateway, account, good)
    assert status == 201 and created["contact"]["name"] == "สมชาย"
    status, error = _invoke_base64(gateway, account, _lead_body_of_bytes(LIMIT + 1).encode())
    assert status == 413 and error["error"]["code"] == "payload_too_large"
    status, error = _invoke_base64(gateway, account, "not base64 at all!")
    assert status == 400 and "base64" in error["error"]["message"]
