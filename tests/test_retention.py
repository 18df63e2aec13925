"""Issue 6 (retention, erasure, residency): expiry on every read path, the sweep, crypto-shredding,
regional residency checked on the raw tables, and no personal data in logs."""

from __future__ import annotations

import json
import logging

import boto3
import pytest

from leadcenter import clock, crypto
from leadcenter.domain import retention
from leadcenter.errors import IntegrityError
from leadcenter.regions import region_router
from leadcenter.store import leads as lead_store


@pytest.fixture
def frozen_clock():
    yield clock
    clock.reset()


def _items_of(region: str, account: str, lead_id: str) -> list[dict]:
    found = []
    for table in ("leadcenter-leads", "leadcenter-lead-keys"):
        for page in boto3.client("dynamodb", region_name=region).get_paginator("scan").paginate(TableName=table):
            found += [i for i in page["Items"] if lead_id in str(i) and account in str(i)]
    return found


def test_expired_leads_vanish_from_every_read_path_then_from_every_table(api, frozen_clock):
    account = api.account("ret-admin")
    old = api.lead(account, "ret-admin", region="DE")
    api.ok("POST", f"/accounts/{account}/leads/{old['id']}/notes", "ret-admin", expect=201, json_body={"text": "n"})
    label = api.ok("POST", f"/accounts/{account}/labels", "ret-admin", expect=201, json_body={"name": "Keep"})["id"]
    api.ok("PATCH", f"/accounts/{account}/leads/{old['id']}", "ret-admin", json_body={"add_labels": [label]})
    assert api.ok("GET", f"/accounts/{account}/leads", "ret-admin", query="expiring_within_days=7")["items"] == []
    frozen_clock.advance(84 * 86400)
    fresh = api.lead(account, "ret-admin", region="DE")
    soon = api.ok("GET", f"/accounts/{account}/leads", "ret-admin", query="expiring_within_days=7")["items"]
    assert [lead["id"] for lead in soon] == [old["id"]] and soon[0]["days_left"] <= 7
    assert api.ok("GET", f"/accounts/{account}/summary", "ret-admin")["expiring_within_7_days"] == 1
    frozen_clock.advance(7 * 86400)  # 91 days after the first lead

    def visible() -> set[str]:
        seen = {lead["id"] for lead in api.ok("GET", f"/accounts/{account}/leads", "ret-admin")["items"]}
        seen |= {
            lead["id"]
            for lead in api.ok("GET", f"/accounts/{account}/leads", "ret-admin", query=f"label={label}")["items"]
        }
        seen |= {
            lead["id"] for lead in api.ok("GET", f"/accounts/{account}/leads", "ret-admin", query="status=raw")["items"]
        }
        updated = api.ok("GET", f"/accounts/{account}/leads", "ret-admin", query="updated_since=2000-01-01T00:00:00Z")
        seen |= {lead["id"] for lead in updated["items"]}
        if api.call("GET", f"/accounts/{account}/leads/{old['id']}", "ret-admin").status == 200:
            seen.add(old["id"])
        return seen

    assert old["id"] not in visible() and fresh["id"] in visible()
    assert api.ok("GET", f"/accounts/{account}/summary", "ret-admin")["total"] == 1
    assert _items_of("eu-central-1", account, old["id"])  # TTL has not run: the items are still there
    result = retention.sweep(["eu-central-1"])
    assert result.deleted >= 6  # lead, key, label link, note, two timeline events at least
    assert old["id"] not in visible()
    assert _items_of("eu-central-1", account, old["id"]) == []
    assert api.ok("GET", f"/accounts/{account}/leads/{fresh['id']}", "ret-admin")["id"] == fresh["id"]
    again = retention.sweep(["eu-central-1"])  # idempotent: nothing left to do
    assert all(stats.deleted == 0 for stats in again.regions.values())


def test_deleted_lead_backups_cannot_be_decrypted(api):
    account = api.account("shred-admin")
    lead = api.lead(account, "shred-admin", region="BR")
    region = lead["storage_region"]
    client = boto3.client("dynamodb", region_name=region)
    key = {"pk": {"S": f"A#{account}"}, "sk": {"S": f"L#{lead['id']}"}}
    backup = client.get_item(TableName="leadcenter-leads", Key=key)["Item"]  # what PITR would hold
    state = lead_store.get(region, account, lead["id"])
    assert state is not None
    api.ok("DELETE", f"/accounts/{account}/leads/{lead['id']}", "shred-admin", expect=204)
    # The backed-up ciphertext is intact, but its lead key is gone: nothing can open it again.
    keys = client.get_item(TableName="leadcenter-lead-keys", Key={"pk": {"S": f"K#{account}#{lead['id']}"}})
    assert "Item" not in keys
    restored = boto3.client("dynamodb", region_name=region)
    restored.put_item(TableName="leadcenter-leads", Item=backup)  # a restore of the lead table
    assert lead_store.get(region, account, lead["id"]) is None  # no key, no lead
    with pytest.raises(IntegrityError):  # and no other key opens it
        crypto.FieldCipher(b"\0" * 32, account, lead["id"]).open("contact", backup["contact_ct"]["B"])
    restored.delete_item(TableName="leadcenter-leads", Key=key)
    # the lead is gone for the API; its timeline keeps a tombstone that holds no personal data
    assert api.call("GET", f"/accounts/{account}/leads/{lead['id']}/activity", "shred-admin").status == 404
    events = client.query(
        TableName="leadcenter-leads",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"LD#{account}#{lead['id']}"}},
    )["Items"]
    assert [e["type"]["S"] for e in events] == ["created", "deleted"]
    assert "Siti" not in json.dumps(events) and "example.com" not in json.dumps(events)


def test_erasure_removes_a_person_in_every_account(api):
    from leadcenter.domain.leads import NewLead, create_lead
    from leadcenter.model import Contact, LeadSource

    first, second = api.account("era-1"), api.account("era-2")
    region = region_router().storage_region("PH")
    hashed = retention.person_hash(region, "platform-user-77")
    for account in (first, second):
        create_lead(
            account,
            NewLead(country="PH", source=LeadSource.MESSAGE, contact=Contact(name="Juan"), person_hash=hashed),
            "t",
        )
    other = api.lead(first, "era-1", region="PH")
    assert retention.erase_person("platform-user-77", "PH") == 2
    assert [lead["id"] for lead in api.ok("GET", f"/accounts/{first}/leads", "era-1")["items"]] == [other["id"]]
    assert api.ok("GET", f"/accounts/{second}/leads", "era-2")["items"] == []


def test_each_regional_table_holds_only_its_own_people(api):
    account = api.account("res-admin")
    people = {
        "SG": "Lim",
        "ID": "Putri",
        "JP": "Sato",
        "DE": "Weber",
        "BR": "Silva",
        "AE": "Haddad",
        "US": "Smith",
        "AU": "Brown",
    }
    for country, name in people.items():
        api.lead(account, "res-admin", region=country, contact={"name": f"{name} {country}"})
    router = region_router()
    seen_regions = set()
    for region in router.storage_regions:
        items = boto3.client("dynamodb", region_name=region).query(
            TableName="leadcenter-leads",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": f"A#{account}"}},
        )["Items"]
        for item in items:
            lead_id = item["lead_id"]["S"]
            state = lead_store.get(region, account, lead_id)  # decrypts with this region's key only
            assert state is not None
            country = state.lead.contact.name.split()[-1]
            assert router.storage_region(country) == region == state.lead.storage_region
            seen_regions.add(region)
    assert len(seen_regions) >= 6


def test_logs_of_a_full_scenario_hold_no_personal_data(api, caplog, capsys):
    caplog.set_level(logging.INFO)
    account = api.account("log-admin")
    lead = api.lead(
        account,
        "log-admin",
        region="MY",
        contact={"name": "Nurul Aisyah", "email": "nurul.aisyah@example.my", "phone": "+60123456789"},
    )
    api.ok("GET", f"/accounts/{account}/leads/{lead['id']}", "log-admin")
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", "log-admin", json_body={"status": "contacted"})
    api.ok(
        "POST",
        f"/accounts/{account}/leads/{lead['id']}/notes",
        "log-admin",
        expect=201,
        json_body={"text": "call Nurul"},
    )
    api.call("POST", f"/accounts/{account}/leads", "log-admin", json_body={"region": "MY", "contact": {"email": 12345}})
    api.ok("DELETE", f"/accounts/{account}/leads/{lead['id']}", "log-admin", expect=204)
    captured = caplog.text + capsys.readouterr().out
    for secret in ("Nurul", "nurul.aisyah@example.my", "60123456789"):
        assert secret not in captured
