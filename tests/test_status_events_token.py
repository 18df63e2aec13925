"""Issue "2 of 6" (from review): changing the status-events URL asks for the access token again, so a stolen session
cannot send the account's stored token to a host of its choosing."""

from __future__ import annotations

import uuid

import pytest

ONE, OTHER = "http://127.0.0.1:9/events", "http://localhost:9/elsewhere"


@pytest.fixture
def configured(api) -> tuple[str, str, str]:
    admin = f"se-admin-{uuid.uuid4().hex[:8]}"
    account = api.account(admin)
    path = f"/accounts/{account}/integrations/status-events"
    api.ok("PUT", path, admin, json_body={"url": ONE, "access_token": "tok-1"})
    return account, admin, path


@pytest.mark.parametrize("new_url", [OTHER, None])  # another host, or the platform default
def test_a_new_url_without_the_token_is_422_naming_it_and_changes_nothing(api, configured, new_url):
    _, admin, path = configured
    reply = api.call("PUT", path, admin, json_body={"url": new_url})
    assert reply.status == 422, reply.body
    error = reply.json()["error"]
    assert error["field"] == "access_token" and "token" in error["message"]
    kept = api.ok("GET", path, admin)
    assert kept["url"] == ONE and kept["has_access_token"]


def test_a_new_url_with_the_token_again_or_an_empty_one_is_accepted(api, configured):
    _, admin, path = configured
    moved = api.ok("PUT", path, admin, json_body={"url": OTHER, "access_token": "tok-2"})
    assert moved["url"] == OTHER and moved["has_access_token"]
    dropped = api.ok("PUT", path, admin, json_body={"url": ONE, "access_token": ""})
    assert dropped["url"] == ONE and not dropped["has_access_token"]
    # With no token stored, the URL changes freely
    assert api.ok("PUT", path, admin, json_body={"url": OTHER})["url"] == OTHER


def test_the_same_url_keeps_the_stored_token_without_sending_it(api, configured):
    _, admin, path = configured
    same = api.ok("PUT", path, admin, json_body={"url": ONE, "enabled": False})
    assert same["url"] == ONE and same["has_access_token"] and same["enabled"] is False
