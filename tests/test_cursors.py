"""Issue "2 of 6" (from review): list cursors are bound to their account and query, and signed with a secret
from Secrets Manager that fails closed (503, never a known default) when a deployed function cannot read it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

import boto3
import pytest

from leadcenter.config import reset_settings
from leadcenter.cursors import Cursors
from leadcenter.store.integrations import STATUS_EVENTS_ID
from tests.helpers.capture import deliver, platform_event, purge


def _admin() -> str:
    return f"cursor-admin-{uuid.uuid4().hex[:8]}"


def _first_page_cursor(api, account: str, admin: str, query: str = "") -> str:
    page = api.ok("GET", f"/accounts/{account}/leads", admin, query="limit=1" + (f"&{query}" if query else ""))
    assert page["next_cursor"], page
    return str(page["next_cursor"])


def test_a_lead_cursor_from_one_account_is_refused_on_another(api):
    # Given one admin of two ad accounts, each with leads
    admin = _admin()
    first, second = api.account(admin), api.account(admin)
    for account in (first, second):
        for n in range(2):
            api.lead(account, admin, contact={"name": f"P{n}", "email": f"p{n}-{account}@example.com"})
    cursor = _first_page_cursor(api, first, admin)
    # When the first account's cursor is sent to the second account's list (same filters)
    reply = api.call("GET", f"/accounts/{second}/leads", admin, query=f"limit=1&cursor={quote(cursor)}")
    # Then it is a 400 that says why
    assert reply.status == 400, reply.body
    assert "another account" in reply.json()["error"]["message"]
    # And on its own account it still continues the list
    assert api.ok("GET", f"/accounts/{first}/leads", admin, query=f"limit=1&cursor={quote(cursor)}")["items"]


def test_a_lead_cursor_from_one_filter_is_refused_on_another(api):
    admin = _admin()
    account = api.account(admin)
    for n in range(3):
        api.lead(account, admin, contact={"name": f"P{n}", "email": f"f{n}@example.com"})
    cursor = _first_page_cursor(api, account, admin, "status=raw")
    for other in ("status=contacted", "", "status=raw&source=manual", "q=summer"):
        query = f"limit=1&cursor={quote(cursor)}" + (f"&{other}" if other else "")
        reply = api.call("GET", f"/accounts/{account}/leads", admin, query=query)
        assert reply.status == 400, (other, reply.body)
        assert "another query" in reply.json()["error"]["message"]
    assert api.ok("GET", f"/accounts/{account}/leads", admin, query=f"limit=1&status=raw&cursor={quote(cursor)}")


def test_a_cursor_of_another_list_is_refused(api):
    admin = _admin()
    account = api.account(admin)
    events_cursor = Cursors("conversation_events", account, "").issue("L#01")
    reply = api.call("GET", f"/accounts/{account}/leads", admin, query=f"cursor={events_cursor}")
    assert reply.status == 400 and "another list" in reply.json()["error"]["message"]


def test_conversation_event_cursors_are_bound_to_account_and_conversation(api, gateway):
    purge()
    admin = _admin()
    first, second = api.account(admin), api.account(admin)
    for account in (first, second):
        deliver(api, gateway, platform_event(account, text="hi", conversation_id="dm-c1"))
        deliver(api, gateway, platform_event(account, text="hi", conversation_id="dm-c2"))
    purge()
    # A genuine cursor of the first account's conversation dm-c1 (the server signs it the same way)
    cursor = Cursors("conversation_events", first, "dm-c1").issue("E#0")
    path = "/accounts/{}/conversations/{}/events"
    reply = api.call("GET", path.format(second, "dm-c1"), admin, query=f"cursor={cursor}")
    assert reply.status == 400 and "another account" in reply.json()["error"]["message"]
    reply = api.call("GET", path.format(first, "dm-c2"), admin, query=f"cursor={cursor}")
    assert reply.status == 400 and "another query" in reply.json()["error"]["message"]
    assert api.call("GET", path.format(first, "dm-c1"), admin, query=f"cursor={cursor}").status == 200


def test_delivery_cursors_are_bound_to_account_and_filter(api):
    admin = _admin()
    first, second = api.account(admin), api.account(admin)
    path = "/accounts/{}/integrations/status-events/deliveries"
    cursor = Cursors("deliveries", first, f"{STATUS_EVENTS_ID}|").issue("D#01")
    reply = api.call("GET", path.format(second), admin, query=f"cursor={cursor}")
    assert reply.status == 400 and "another account" in reply.json()["error"]["message"]
    reply = api.call("GET", path.format(first), admin, query=f"status=failed&cursor={cursor}")
    assert reply.status == 400 and "another query" in reply.json()["error"]["message"]
    assert api.call("GET", path.format(first), admin, query=f"cursor={cursor}").status == 200


# ---------------------------------------------------------------------------------------------- the secret


@pytest.fixture
def deployed(monkeypatch) -> Iterator[pytest.MonkeyPatch]:
    """As a deployed function: not local mode, no CURSOR_SECRET in the environment."""
    monkeypatch.setenv("LEADCENTER_LOCAL", "false")
    monkeypatch.delenv("CURSOR_SECRET", raising=False)
    monkeypatch.delenv("CURSOR_SECRET_ARN", raising=False)
    reset_settings()
    yield monkeypatch
    monkeypatch.undo()
    reset_settings()


def _leads(api, account: str, admin: str, query: str = "") -> object:
    return api.call("GET", f"/accounts/{account}/leads", admin, query=query)


def test_deployed_without_a_cursor_secret_lists_are_refused_with_503(api, deployed):
    admin = _admin()
    account = api.account(admin)
    api.lead(account, admin)
    # Never the public local default: no secret configured, no list
    reply = _leads(api, account, admin)
    assert reply.status == 503, reply.body
    assert reply.json()["error"]["code"] == "service_unavailable"
    assert "cursor" in reply.json()["error"]["message"]
    # Nor with the public local default set explicitly
    deployed.setenv("CURSOR_SECRET", "local-cursor-secret")
    reset_settings()
    assert _leads(api, account, admin).status == 503


def test_deployed_with_an_unreadable_secret_arn_lists_are_refused_with_503(api, deployed):
    admin = _admin()
    account = api.account(admin)
    deployed.setenv("CURSOR_SECRET_ARN", f"arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-{admin}")
    reset_settings()
    reply = _leads(api, account, admin)
    assert reply.status == 503 and reply.json()["error"]["code"] == "service_unavailable"


def test_deployed_cursors_are_signed_with_the_secret_from_secrets_manager(api, deployed):
    admin = _admin()
    account = api.account(admin)
    for n in range(3):
        api.lead(account, admin, contact={"name": f"P{n}", "email": f"s{n}@example.com"})
    value = uuid.uuid4().hex * 2
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=f"cursor-{admin}", SecretString=value
    )["ARN"]
    deployed.setenv("CURSOR_SECRET_ARN", arn)
    reset_settings()
    first = _leads(api, account, admin, "limit=2")
    assert first.status == 200, first.body
    cursor = first.json()["next_cursor"]
    rest = _leads(api, account, admin, f"limit=2&cursor={quote(cursor)}")
    assert rest.status == 200 and len(rest.json()["items"]) == 1
    # A cursor signed with the local default key is forged as far as this deployment is concerned
    deployed.setenv("LEADCENTER_LOCAL", "true")
    reset_settings()
    forged = Cursors("leads", account, "x").issue("L#0")
    deployed.setenv("LEADCENTER_LOCAL", "false")
    reset_settings()
    reply = _leads(api, account, admin, f"cursor={forged}")
    assert reply.status == 400 and "invalid cursor" in reply.json()["error"]["message"]
