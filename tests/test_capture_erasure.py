"""Erasure (issues 6 and "2 of 6"): a signed `user.erasure_requested` event erases that person everywhere - every
lead, contact, answer, touch and conversation of theirs - and no event of theirs from before the erasure brings
them back, however late, often or from wherever (a dead-letter queue) it arrives."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from leadcenter import clock
from leadcenter.config import settings
from leadcenter.domain import capture, erasure, retention
from leadcenter.regions import region_router
from tests.helpers.capture import (
    deliver,
    enable_auto_capture,
    leads_of,
    platform_event,
    post,
    receive_all,
    run_worker,
)
from tests.helpers.erasure import traces

pytestmark = pytest.mark.usefixtures("empty_capture_queue")


def _capturing(api, country: str = "PH") -> tuple[str, str]:
    admin = f"erase-{uuid.uuid4().hex[:8]}"
    account = api.account(admin, "ad_account", country)
    enable_auto_capture(api, account, admin)
    return account, admin


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _erase(api, gateway, user_id: str, region: str = "PH") -> None:
    event = platform_event(None, "user.erasure_requested", user_id=user_id, region=region, conversation_id=None)
    deliver(api, gateway, event)


def _touch(account: str, user_id: str, **kwargs) -> dict:
    touch = {"kind": "click", "ad_id": "ad-e", "ad_name": "Ad", "campaign_id": "cmp-e", "campaign_name": "Sale"}
    return platform_event(account, "ad.touch", user_id=user_id, region="PH", touch=touch, **kwargs)


def test_erasure_event_removes_the_person_everywhere(api, gateway):
    # Given one person captured in two accounts, and another person in the first
    accounts = [_capturing(api), _capturing(api)]
    for account, _ in accounts:
        deliver(api, gateway, platform_event(account, user_id="pu-42", region="PH", text="juan.dc@example.ph"))
    first, first_admin = accounts[0]
    deliver(api, gateway, platform_event(first, user_id="pu-43", region="PH", text="other@example.ph"))
    assert len(leads_of(api, first, first_admin)) == 2
    # When the platform asks to forget pu-42
    _erase(api, gateway, "pu-42")
    # Then pu-42 is gone from both accounts, the other person stays
    remaining = leads_of(api, first, first_admin)
    assert [lead["contact"]["email"] for lead in remaining] == ["other@example.ph"]
    assert leads_of(api, accounts[1][0], accounts[1][1]) == []


def test_a_person_marked_as_lead_by_hand_is_erased_with_the_contacts_that_came_later(api, gateway):
    # Given a chat marked as lead before any contact, then contacts, a click and a note on the lead
    account, admin = _capturing(api)
    user, dm = f"mark-{uuid.uuid4().hex[:6]}", "dm-erase-mark"
    deliver(api, gateway, _touch(account, user, conversation_id=None))
    deliver(api, gateway, platform_event(account, user_id=user, region="PH", name="Maria Santos", text="hi",
                                         conversation_id=dm))  # fmt: skip
    marked = api.ok("POST", f"/accounts/{account}/conversations/{dm}/mark-as-lead", admin, expect=201)
    text = "maria.santos@example.ph or 0917 123 4567"
    deliver(api, gateway, platform_event(account, user_id=user, region="PH", name="Maria Santos", text=text,
                                         conversation_id=dm))  # fmt: skip
    api.ok(
        "POST", f"/accounts/{account}/leads/{marked['id']}/notes", admin, expect=201, json_body={"text": "call Maria"}
    )
    [lead] = leads_of(api, account, admin)
    assert lead["contact"]["email"] == "maria.santos@example.ph"
    names_her = {"lead_ids": [marked["id"]], "conversations": [(account, dm)], "values": ["maria.santos@example.ph"]}
    assert traces(user, "PH", [account], **names_her)  # (the check sees her lead, touch and chat)
    # When the platform asks to forget her
    _erase(api, gateway, user)
    # Then nothing of hers is left: no lead, no conversation, and no stored item names her
    assert leads_of(api, account, admin) == []
    assert api.call("GET", f"/accounts/{account}/conversations/{dm}/events", admin).status == 404
    assert api.call("GET", f"/accounts/{account}/leads/{marked['id']}", admin).status == 404
    assert traces(user, "PH", [account], **names_her) == []


def test_a_second_person_who_wrote_the_first_ones_email_is_erased_and_the_first_keeps_only_their_own(api, gateway):
    # Given Ana's lead, and Ben, who submitted a form with Ana's email, his phone and his answers
    account, admin = _capturing(api)
    ana, ben = f"ana-{uuid.uuid4().hex[:6]}", f"ben-{uuid.uuid4().hex[:6]}"
    deliver(api, gateway, platform_event(account, user_id=ana, region="PH", name="Ana Lim", text="ana.lim@example.ph",
                                         conversation_id="dm-ana"))  # fmt: skip
    [ana_lead] = leads_of(api, account, admin)
    answers = [
        {"question": "Email", "answer": "ana.lim@example.ph"},
        {"question": "Phone", "answer": "0917 765 4321"},
        {"question": "Budget", "answer": "Ben's budget is 5k"},
    ]
    form = {"form_id": "f-erase", "answers": answers}
    deliver(api, gateway, platform_event(account, "form.submitted", user_id=ben, region="PH", name="Ben Tan",
                                         form=form, conversation_id="dm-ben"))  # fmt: skip
    # (a contact typed by someone else never attaches them to the first person's lead)
    by_name = {lead["contact"]["name"]: lead for lead in leads_of(api, account, admin)}
    assert set(by_name) == {"Ana Lim", "Ben Tan"}
    assert by_name["Ana Lim"]["contact"] == ana_lead["contact"] and by_name["Ana Lim"]["form"]["answers"] == []
    # When Ben is erased
    _erase(api, gateway, ben)
    # Then no lead shows his name, contacts or answers; Ana's lead is as it was, with only her data
    [remaining] = leads_of(api, account, admin)
    assert remaining["id"] == ana_lead["id"]
    assert remaining["contact"] == ana_lead["contact"] and remaining["form"]["answers"] == []
    shown = str(leads_of(api, account, admin))
    assert "Ben" not in shown and "+639177654321" not in shown and "budget" not in shown
    left = traces(ben, "PH", [account], lead_ids=[by_name["Ben Tan"]["id"]], conversations=[(account, "dm-ben")])
    assert left == []
    # And Ana's next message still reaches her own lead
    deliver(api, gateway, platform_event(account, user_id=ana, region="PH", name="Ana Lim", text="ig @ana.lim",
                                         conversation_id="dm-ana"))  # fmt: skip
    [again] = leads_of(api, account, admin)
    assert again["id"] == ana_lead["id"] and {"kind": "instagram", "value": "ana.lim"} in again["contact"]["others"]


def test_an_event_from_before_the_erasure_sent_late_or_redelivered_creates_nothing(api, gateway):
    # Given a person with a lead, and two of their events that occurred before the erasure but are still on
    # their way (a message with a new contact, and a click)
    account, admin = _capturing(api)
    user = f"late-{uuid.uuid4().hex[:6]}"
    deliver(api, gateway, platform_event(account, user_id=user, region="PH", text="late@example.ph",
                                         conversation_id="dm-late"))  # fmt: skip
    before = _iso(datetime.now(UTC) - timedelta(seconds=5))
    late_message = platform_event(account, user_id=user, region="PH", text="also 0917 555 0101",
                                  conversation_id="dm-late-2", occurred_at=before)  # fmt: skip
    late_touch = _touch(account, user, occurred_at=before, conversation_id=None)
    _erase(api, gateway, user)
    assert leads_of(api, account, admin) == []
    # When they arrive after the erasure, and again (the platform retries, with the same event ids)
    deliver(api, gateway, late_message, late_touch)
    for event in (late_message, late_touch):
        assert post(api, event).status == 202
    run_worker(gateway, receive_all())
    # ... and once more from a dead-letter queue, with no idempotency record left to stop them
    outcomes = [capture.process(event) for event in (late_message, late_touch)]
    # Then nothing of theirs is back
    assert [o.result for o in outcomes] == ["ignored", "ignored"]
    assert leads_of(api, account, admin) == []
    assert api.call("GET", f"/accounts/{account}/conversations/dm-late-2/events", admin).status == 404
    conversations = [(account, "dm-late"), (account, "dm-late-2")]
    assert traces(user, "PH", [account], conversations=conversations, values=["late@example.ph"]) == []


def test_an_event_after_the_erasure_brings_the_person_back(api, gateway):
    # Given an erased person
    account, admin = _capturing(api)
    user = f"back-{uuid.uuid4().hex[:6]}"
    deliver(api, gateway, platform_event(account, user_id=user, region="PH", text="old@example.ph"))
    _erase(api, gateway, user)
    assert leads_of(api, account, admin) == []
    # When they write again after the erasure
    after = _iso(datetime.now(UTC) + timedelta(seconds=1))
    deliver(api, gateway, platform_event(account, user_id=user, region="PH", text="new@example.ph",
                                         occurred_at=after))  # fmt: skip
    # Then they have a new lead, holding only what they wrote since
    [lead] = leads_of(api, account, admin)
    assert lead["contact"]["email"] == "new@example.ph" and lead["contact"]["others"] == []


def test_a_late_event_from_before_the_erasure_leaves_what_the_person_did_after_it(api, gateway):
    # Given an erased person who came back (a message and a click after the erasure)
    account, admin = _capturing(api)
    user = f"again-{uuid.uuid4().hex[:6]}"
    before = _iso(datetime.now(UTC) - timedelta(seconds=5))
    late = [
        platform_event(
            account, user_id=user, region="PH", text="old@example.ph", conversation_id="dm-again", occurred_at=before
        ),
        _touch(account, user, occurred_at=before, conversation_id="dm-again"),
    ]
    _erase(api, gateway, user)
    after = _iso(datetime.now(UTC) + timedelta(seconds=1))
    deliver(api, gateway, platform_event(account, user_id=user, region="PH", text="new@example.ph",
                                         conversation_id="dm-again", occurred_at=after))  # fmt: skip
    [lead] = leads_of(api, account, admin)
    # When events from before the erasure arrive now, in the same conversation
    deliver(api, gateway, *late)
    # Then they change nothing, and what the person did after the erasure stays
    assert leads_of(api, account, admin) == [lead]
    events = api.ok("GET", f"/accounts/{account}/conversations/dm-again/events", admin)["items"]
    assert [e["type"] for e in events] == ["message_received", "lead_created"]


def test_an_event_written_while_the_person_is_erased_is_erased_too(api, gateway, monkeypatch):
    # Given an erased person, and an earlier event of theirs that slipped past the ledger's first look (it was
    # read just before the erasure was recorded)
    account, admin = _capturing(api)
    user = f"race-{uuid.uuid4().hex[:6]}"
    before = _iso(datetime.now(UTC) - timedelta(seconds=5))
    _erase(api, gateway, user)
    looks = []
    real = erasure.erased_before

    def first_look_misses(region, hashed, occurred_at):
        looks.append(occurred_at)
        return False if len(looks) == 1 else real(region, hashed, occurred_at)

    monkeypatch.setattr(erasure, "erased_before", first_look_misses)
    message = platform_event(account, user_id=user, region="PH", text="race@example.ph", conversation_id="dm-race",
                             occurred_at=before)  # fmt: skip
    outcome = capture.process(message)
    # Then its lead was refused by the ledger in the lead's own transaction, and the conversation it wrote is gone
    assert outcome.result == "ignored" and len(looks) == 2
    assert leads_of(api, account, admin) == []
    assert traces(user, "PH", [account], conversations=[(account, "dm-race")]) == []


def test_the_ledger_holds_a_hash_and_a_time_for_30_days(api, gateway):
    user = f"ledger-{uuid.uuid4().hex[:6]}"
    _erase(api, gateway, user, region="ID")
    region = region_router().storage_region("ID")
    hashed = retention.person_hash(region, user)
    item = boto3.client("dynamodb", region_name=region).get_item(
        TableName=settings().leads_table, Key={"pk": {"S": f"ERASED#{hashed}"}, "sk": {"S": "E"}}
    )["Item"]
    assert set(item) == {"pk", "sk", "erased_at", "expires_at"} and user not in str(item)
    days = (int(item["expires_at"]["N"]) - clock.epoch()) / 86400
    assert erasure.LEDGER_DAYS == 30 and 29.9 < days <= 30
