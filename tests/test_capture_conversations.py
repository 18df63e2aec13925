"""Issue 4: conversations: their notices (never text), "mark as lead", status changes made anywhere."""

from __future__ import annotations

import uuid

import pytest

from leadcenter.domain import conversations
from leadcenter.model import Lead
from tests.helpers.capture import deliver, enable_auto_capture, leads_of, platform_event

pytestmark = pytest.mark.usefixtures("empty_capture_queue")


def _account(api) -> tuple[str, str]:
    admin = f"conv-admin-{uuid.uuid4().hex[:8]}"
    return api.account(admin), admin


def _events(api, account, admin, conversation, query=""):
    return api.ok("GET", f"/accounts/{account}/conversations/{conversation}/events", admin, query=query)


def test_mark_as_lead_makes_a_raw_lead_without_contacts_even_with_capture_off(api, gateway):
    # Given a conversation in an account without auto-capture
    account, admin = _account(api)
    deliver(
        api, gateway, platform_event(account, user_id="quiet", text="is this still available?", conversation_id="dm-1")
    )
    assert leads_of(api, account, admin) == []
    # When an admin marks it as a lead
    reply = api.call("POST", f"/accounts/{account}/conversations/dm-1/mark-as-lead", admin)
    # Then a raw lead exists for that person, from a message, with no contact data
    assert reply.status == 201, reply.body
    lead = reply.json()
    assert lead["status"] == "raw" and lead["source"] == "message" and lead["region"] == "SG"
    assert lead["conversation_id"] == "dm-1"
    assert lead["contact"] == {"name": None, "email": None, "phone": None, "others": []}
    # And marking it again returns the same lead
    again = api.call("POST", f"/accounts/{account}/conversations/dm-1/mark-as-lead", admin)
    assert again.status == 200 and again.json()["id"] == lead["id"]
    assert [lead["id"]] == [item["id"] for item in leads_of(api, account, admin)]
    types = [e["type"] for e in _events(api, account, admin, "dm-1")["items"]]
    assert types == ["message_received", "marked_as_lead"]


def test_mark_as_lead_returns_the_persons_lead_made_by_capture(api, gateway):
    account, admin = _account(api)
    enable_auto_capture(api, account, admin)
    deliver(api, gateway, platform_event(account, user_id="p", text="p@example.com", conversation_id="dm-2"))
    [captured] = leads_of(api, account, admin)
    reply = api.call("POST", f"/accounts/{account}/conversations/dm-2/mark-as-lead", admin)
    assert reply.status == 200 and reply.json()["id"] == captured["id"]


def test_a_lead_marked_by_hand_gathers_the_contacts_shared_later(api, gateway):
    account, admin = _account(api)
    deliver(api, gateway, platform_event(account, user_id="later", name="Lan", text="hi", conversation_id="dm-3"))
    marked = api.ok("POST", f"/accounts/{account}/conversations/dm-3/mark-as-lead", admin, expect=201)
    enable_auto_capture(api, account, admin)
    deliver(
        api,
        gateway,
        platform_event(account, user_id="later", name="Lan", text="lan@example.vn", conversation_id="dm-3"),
    )
    [lead] = leads_of(api, account, admin)
    assert lead["id"] == marked["id"]
    assert lead["contact"]["name"] == "Lan" and lead["contact"]["email"] == "lan@example.vn"
    types = [e["type"] for e in _events(api, account, admin, "dm-3")["items"]]
    assert types == ["message_received", "marked_as_lead", "message_received", "contact_updated"]
    summaries = [e["summary"] for e in _events(api, account, admin, "dm-3")["items"]]
    assert summaries[-1] == "Contact information was updated"


def test_unknown_conversations_and_other_accounts_are_404(api, gateway):
    account, admin = _account(api)
    other, other_admin = _account(api)
    deliver(api, gateway, platform_event(account, text="hi", conversation_id="dm-4"))
    assert api.call("POST", f"/accounts/{account}/conversations/nope/mark-as-lead", admin).status == 404
    assert api.call("GET", f"/accounts/{account}/conversations/nope/events", admin).status == 404
    assert api.call("POST", f"/accounts/{other}/conversations/dm-4/mark-as-lead", other_admin).status == 404
    assert api.call("GET", f"/accounts/{account}/conversations/dm-4/events", other_admin).status == 404


def test_only_admins_of_an_ad_account_reach_conversations(api, gateway):
    account, admin = _account(api)
    deliver(api, gateway, platform_event(account, text="hi", conversation_id="dm-5"))
    for role in ("operator", "analyst"):
        api.ok("PUT", f"/accounts/{account}/members/{role}-{admin}", admin, json_body={"role": role})
        assert api.call("GET", f"/accounts/{account}/conversations/dm-5/events", f"{role}-{admin}").status == 403
        assert api.call("POST", f"/accounts/{account}/conversations/dm-5/mark-as-lead", f"{role}-{admin}").status == 403


def test_status_changes_show_in_the_conversation(api, gateway):
    # Given a lead captured from a conversation
    account, admin = _account(api)
    enable_auto_capture(api, account, admin)
    deliver(api, gateway, platform_event(account, text="s@example.com", conversation_id="dm-6"))
    [item] = leads_of(api, account, admin)
    lead = Lead.model_validate(item)
    # When the lead update path reports status changes
    conversations.on_lead_status_changed(lead, "raw", "qualified", admin)
    conversations.on_lead_status_changed(lead, "qualified", "qualified", admin)  # no change, no notice
    conversations.on_lead_status_changed(lead, "qualified", "converted", admin)
    # Then the conversation shows them, in order, with who made them
    events = _events(api, account, admin, "dm-6")["items"]
    assert [e["summary"] for e in events] == [
        "Message received",
        "Lead created",
        "Status changed from raw to qualified",
        "Status changed from qualified to converted",
    ]
    assert events[2]["actor"] == admin and events[2]["lead_id"] == lead.id
    assert events[2]["data"] == {"from": "raw", "to": "qualified"}


def test_a_status_change_through_the_api_shows_in_the_conversation(api, gateway):
    account, admin = _account(api)
    enable_auto_capture(api, account, admin)
    deliver(api, gateway, platform_event(account, text="t@example.com", conversation_id="dm-7"))
    [lead] = leads_of(api, account, admin)
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin, json_body={"status": "contacted"})
    summaries = [e["summary"] for e in _events(api, account, admin, "dm-7")["items"]]
    assert summaries[-1] == "Status changed from raw to contacted"


def test_conversation_events_page_with_a_cursor(api, gateway):
    account, admin = _account(api)
    for _ in range(5):
        deliver(api, gateway, platform_event(account, text="hi", conversation_id="dm-8"))
    first = _events(api, account, admin, "dm-8", query="limit=2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    seen = [e["id"] for e in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = _events(api, account, admin, "dm-8", query=f"limit=2&cursor={cursor}")
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    everything = [e["id"] for e in _events(api, account, admin, "dm-8")["items"]]
    assert seen == everything
    assert api.call("GET", f"/accounts/{account}/conversations/dm-8/events", admin, query="cursor=forged").status == 400
