"""Issue "5 of 6": editing a lead's contact by PATCH. Checked as on create, version-checked, the dedupe entries
follow the edit in the same transaction, the timeline names fields only."""

from __future__ import annotations

import uuid

from leadcenter.domain import contact_edit
from leadcenter.store import leads as lead_store
from tests.helpers import capture
from tests.support import Api


def _admin() -> str:
    return f"ce-admin-{uuid.uuid4().hex[:8]}"


def _patch(api: Api, account: str, lead: dict, user: str, contact: dict, version: int | None = None):
    headers = {"If-Match": str(version if version is not None else lead["version"])}
    return api.call(
        "PATCH", f"/accounts/{account}/leads/{lead['id']}", user, json_body={"contact": contact}, headers=headers
    )


def _owner(lead: dict, kind: str, value: str) -> str | None:
    digest = contact_edit.digest(lead["storage_region"], lead["account_id"], kind, value)
    return lead_store.find_by_digest(lead["storage_region"], lead["account_id"], digest)


def test_editing_the_contact_replaces_the_fields_given_normalised_with_field_names_in_the_timeline(api):
    admin = _admin()
    account = api.account(admin)
    lead = api.lead(account, admin)
    reply = _patch(api, account, lead, admin, {"email": " New.Person@Example.COM ", "phone": "8123 4567"})
    assert reply.status == 200, reply.body
    edited = reply.json()
    assert edited["contact"] == {
        "name": "Siti Rahma",  # not given: kept
        "email": "new.person@example.com",
        "phone": "+6581234567",  # national number, the lead's region (SG)
        "others": [],
    }
    assert edited["version"] == lead["version"] + 1
    events = api.ok("GET", f"/accounts/{account}/leads/{lead['id']}/activity", admin)["items"]
    [event] = [e for e in events if e["type"] == "contact_edited"]
    assert event["data"] == {"fields": ["email", "phone"]} and event["actor"] == admin
    assert "new.person" not in repr(events) and "8123" not in repr(events)
    # null clears a field
    cleared = _patch(api, account, edited, admin, {"phone": None}).json()
    assert cleared["contact"]["phone"] is None and cleared["contact"]["email"] == "new.person@example.com"


def test_a_stale_if_match_is_a_409_and_nothing_changes(api):
    admin = _admin()
    account = api.account(admin)
    lead = api.lead(account, admin)
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin, json_body={"status": "contacted"})
    reply = _patch(api, account, lead, admin, {"email": "other@example.com"})
    assert reply.status == 409 and reply.json()["error"]["current_version"] == lead["version"] + 1
    assert api.ok("GET", f"/accounts/{account}/leads/{lead['id']}", admin)["contact"]["email"] == "siti@example.com"


def test_a_bad_email_or_phone_is_a_422_naming_the_field_not_the_value(api):
    admin = _admin()
    account = api.account(admin)
    lead = api.lead(account, admin)
    for contact, field in (
        ({"email": "not-an-email"}, "contact.email"),
        ({"phone": "12"}, "contact.phone"),
        ({"others": [{"kind": "whatsapp", "value": "abc"}]}, "contact.others.0.value"),
    ):
        reply = _patch(api, account, lead, admin, contact)
        assert reply.status == 422, reply.body
        error = reply.json()["error"]
        assert error["field"] == field
        assert str(next(iter(contact.values()))) not in error["message"]
    # Create checks the same way
    bad = {"region": "SG", "contact": {"name": "X", "email": "nope@"}}
    assert api.call("POST", f"/accounts/{account}/leads", admin, json_body=bad).status == 422
    created = api.lead(account, admin, contact={"name": "Y", "email": "Y@Example.com", "phone": "9123 4567"})
    assert created["contact"]["email"] == "y@example.com" and created["contact"]["phone"] == "+6591234567"
    # And nothing was changed by the refused edits
    assert api.ok("GET", f"/accounts/{account}/leads/{lead['id']}", admin)["contact"]["email"] == "siti@example.com"


def test_a_contact_owned_by_another_lead_of_the_account_is_a_409_contact_in_use(api, gateway):
    admin = _admin()
    account = api.account(admin)
    capture.enable_auto_capture(api, account, admin)
    capture.purge()
    capture.deliver(
        api,
        gateway,
        capture.platform_event(account, user_id=f"p-{uuid.uuid4().hex[:6]}", text="mail me: owner@example.com"),
    )
    [owner] = capture.leads_of(api, account, admin)
    assert _owner(owner, "email", "owner@example.com") == owner["id"]
    lead = api.lead(account, admin)
    reply = _patch(api, account, lead, admin, {"email": "Owner@example.com"})
    assert reply.status == 409, reply.body
    assert reply.json()["error"]["code"] == "contact_in_use" and reply.json()["error"]["field"] == "contact.email"
    assert "owner@" not in reply.body
    assert api.ok("GET", f"/accounts/{account}/leads/{lead['id']}", admin)["contact"]["email"] == "siti@example.com"
    assert _owner(owner, "email", "owner@example.com") == owner["id"]


def test_the_dedupe_entries_follow_the_edit(api, gateway):
    # Given a lead captured from a person's message with their e-mail
    admin = _admin()
    account = api.account(admin)
    capture.enable_auto_capture(api, account, admin)
    capture.purge()
    person = f"p-{uuid.uuid4().hex[:6]}"
    capture.deliver(api, gateway, capture.platform_event(account, user_id=person, text="old.mail@example.com"))
    [lead] = capture.leads_of(api, account, admin)
    lead = api.ok("GET", f"/accounts/{account}/leads/{lead['id']}", admin)
    assert _owner(lead, "email", "old.mail@example.com") == lead["id"]
    # When the admin edits the e-mail
    edited = _patch(api, account, lead, admin, {"email": "new.mail@example.com"})
    assert edited.status == 200, edited.body
    # Then the new e-mail maps to this lead and the old one maps to no lead
    assert _owner(lead, "email", "new.mail@example.com") == lead["id"]
    assert _owner(lead, "email", "old.mail@example.com") is None
    # And a message with the new e-mail from the same person goes to this lead (no new lead, nothing added)
    capture.deliver(api, gateway, capture.platform_event(account, user_id=person, text="new.mail@example.com"))
    assert [x["id"] for x in capture.leads_of(api, account, admin)] == [lead["id"]]
    # And another person writing the old e-mail now gets that e-mail's entry on their own lead
    other = f"p-{uuid.uuid4().hex[:6]}"
    capture.deliver(api, gateway, capture.platform_event(account, user_id=other, text="old.mail@example.com"))
    leads = capture.leads_of(api, account, admin)
    [theirs] = [x for x in leads if x["id"] != lead["id"]]
    assert _owner(lead, "email", "old.mail@example.com") == theirs["id"]
    # While a third person writing the new e-mail does not take it from this lead
    third = f"p-{uuid.uuid4().hex[:6]}"
    capture.deliver(api, gateway, capture.platform_event(account, user_id=third, text="new.mail@example.com"))
    assert _owner(lead, "email", "new.mail@example.com") == lead["id"]
