"""Issue "2 of 6" (from review): a lead's key is swept by its own expiry, so it never outlives its lead by more than
a day, also when DynamoDB TTL removed the lead item first (TTL lags up to 48 h and takes items in any order)."""

from __future__ import annotations

import boto3
import pytest

from leadcenter import clock
from leadcenter.domain import retention

REGION = "eu-central-1"  # where DE leads are stored


@pytest.fixture
def frozen_clock():
    yield clock
    clock.reset()


def _key_item(account: str, lead_id: str) -> dict | None:
    found = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName="leadcenter-lead-keys", Key={"pk": {"S": f"K#{account}#{lead_id}"}}
    )
    return found.get("Item")


def _lead_key(account: str, lead_id: str) -> dict:
    return {"pk": {"S": f"A#{account}"}, "sk": {"S": f"L#{lead_id}"}}


def test_the_key_item_carries_the_leads_expiry_and_sweep_shard(api):
    account = api.account("key-exp-admin")
    lead = api.lead(account, "key-exp-admin", region="DE")
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName="leadcenter-leads", Key=_lead_key(account, lead["id"])
    )["Item"]
    key = _key_item(account, lead["id"])
    assert key is not None
    assert key["expires_at"] == item["expires_at"] and key["g_exp"] == item["g_exp"]
    # The key item is also the lead's listing card (issue 18): the key, and a copy of the lead item, sealed fields
    # sealed (no plaintext of the contact anywhere in it)
    assert {"pk", "kek_blob", "wrapped", "expires_at", "g_exp", "contact_ct", "status"} <= set(key)
    assert b"siti" not in repr(key).lower().encode()


def test_a_key_whose_lead_item_ttl_removed_is_swept_by_its_own_expiry(api, frozen_clock):
    # Given a lead, and another made later
    account = api.account("key-ttl-admin")
    old = api.lead(account, "key-ttl-admin", region="DE")
    frozen_clock.advance(2 * 86400)
    fresh = api.lead(account, "key-ttl-admin", region="DE")
    # Before it expires, the sweep leaves its key alone
    frozen_clock.advance(87 * 86400)
    retention.sweep([REGION])
    assert _key_item(account, old["id"]) is not None
    # When it has expired and TTL removed the lead item, but not yet its key
    frozen_clock.advance(1 * 86400 + 3600)  # 90 days and an hour after the first lead
    boto3.client("dynamodb", region_name=REGION).delete_item(
        TableName="leadcenter-leads", Key=_lead_key(account, old["id"])
    )
    assert _key_item(account, old["id"]) is not None
    # Then the day's sweep finds the key by its own expiry and shreds it
    result = retention.sweep([REGION])
    assert result.deleted >= 1
    assert _key_item(account, old["id"]) is None
    # And the fresh lead keeps its key
    assert _key_item(account, fresh["id"]) is not None
    assert api.ok("GET", f"/accounts/{account}/leads/{fresh['id']}", "key-ttl-admin")["id"] == fresh["id"]
