"""Issue 4: the capture worker turns queued events into leads once per event, and reports only its failures."""

from __future__ import annotations

import threading
import uuid

import boto3
import pytest

from leadcenter.domain import capture
from tests.helpers.capture import (
    deliver,
    enable_auto_capture,
    leads_of,
    platform_event,
    post,
    queued_count,
    receive_all,
    run_worker,
)

TEXT = "Hi! I'm Siti, email SITI.RAHMA@example.com, call +65 9123 4567 or IG @siti.bakes thanks"


pytestmark = pytest.mark.usefixtures("empty_capture_queue")


def _admin() -> str:
    return f"capture-admin-{uuid.uuid4().hex[:8]}"


def _capturing_account(api) -> tuple[str, str]:
    admin = _admin()
    account = api.account(admin)
    enable_auto_capture(api, account, admin)
    return account, admin


def _timeline(api, account, admin, lead_id):
    return api.ok("GET", f"/accounts/{account}/leads/{lead_id}/activity", admin)["items"]


def _events(api, account, admin, conversation):
    return api.ok("GET", f"/accounts/{account}/conversations/{conversation}/events", admin)["items"]


def test_a_message_with_contacts_becomes_a_lead_holding_only_the_contacts(api, gateway, stack):
    # Given an account with auto-capture on
    account, admin = _capturing_account(api)
    # When a person sends a message sharing an email, a phone and an Instagram handle
    result = deliver(api, gateway, platform_event(account, text=TEXT, conversation_id="chat-1"))
    # Then one raw lead holds those contacts, normalised, with the sender's name and country
    assert result == {"batchItemFailures": []}
    [lead] = leads_of(api, account, admin)
    assert lead["status"] == "raw" and lead["source"] == "message" and lead["region"] == "SG"
    assert lead["conversation_id"] == "chat-1"
    assert lead["contact"] == {
        "name": "Siti Rahma",
        "email": "siti.rahma@example.com",
        "phone": "+6591234567",
        "others": [{"kind": "instagram", "value": "siti.bakes"}],
    }
    # And the conversation shows the notices, never the text
    events = _events(api, account, admin, "chat-1")
    assert [e["type"] for e in events] == ["message_received", "lead_created"]
    assert events[1]["lead_id"] == lead["id"]
    assert "Siti" not in str(events) and "example.com" not in str(events)
    # And the message text is stored nowhere, in any table of any region
    for region, resources in stack.physical.items():
        client = boto3.client("dynamodb", region_name=region)
        for logical, physical in resources.items():
            if logical.endswith("Table") and logical != "IdempotencyTable":
                for page in client.get_paginator("scan").paginate(TableName=physical):
                    assert "thanks" not in str(page["Items"]) and "siti.bakes" not in str(page["Items"])


def test_redelivering_an_event_changes_nothing(api, gateway):
    # Given a message that made a lead
    account, admin = _capturing_account(api)
    event = platform_event(account, text=TEXT, conversation_id="chat-r")
    deliver(api, gateway, event)
    [before] = leads_of(api, account, admin)
    # When the platform delivers it twice more (one queued copy each)
    assert deliver(api, gateway, event, event) == {"batchItemFailures": []}
    # Then it is the same lead, with the same contacts and version, one creation in its timeline
    [after] = leads_of(api, account, admin)
    assert after == before
    timeline = _timeline(api, account, admin, after["id"])
    assert [e["type"] for e in timeline].count("created") == 1
    assert len(_events(api, account, admin, "chat-r")) == 2


def test_processing_again_without_the_idempotency_record_still_changes_nothing(api, gateway):
    # Records expire after 4 days; even then a repeat finds nothing new to write.
    account, admin = _capturing_account(api)
    event = platform_event(account, text=TEXT, conversation_id="chat-x")
    deliver(api, gateway, event)
    [before] = leads_of(api, account, admin)
    assert capture.process(event).result == "unchanged"
    [after] = leads_of(api, account, admin)
    assert after["version"] == before["version"] and after["contact"] == before["contact"]
    assert len(_events(api, account, admin, "chat-x")) == 2


def test_a_crash_mid_batch_redelivers_only_the_failed_event(api, gateway, monkeypatch):
    # Given three people's messages in one batch
    account, admin = _capturing_account(api)
    events = [
        platform_event(
            account, user_id=f"p{i}", name=None, text=f"mail me: person{i}@example.com", conversation_id=f"k{i}"
        )
        for i in range(3)
    ]
    for event in events:
        assert post(api, event).status == 202
    messages = receive_all()
    assert len(messages) == 3
    # When processing the second one crashes
    original = capture.process

    def crash_on_second(payload):
        if payload["event_id"] == events[1]["event_id"]:
            raise RuntimeError("worker crashed")
        return original(payload)

    monkeypatch.setattr(capture, "process", crash_on_second)
    result = run_worker(gateway, messages)
    # Then only that record is reported failed; the others made their leads and left the queue
    crashed = next(m for m in messages if events[1]["event_id"] in m["Body"])
    assert result == {"batchItemFailures": [{"itemIdentifier": crashed["MessageId"]}]}
    assert sorted(lead["contact"]["email"] for lead in leads_of(api, account, admin)) == [
        "person0@example.com",
        "person2@example.com",
    ]
    assert queued_count() == 1
    # When SQS redelivers the batch item (and, at least once, the others too)
    monkeypatch.setattr(capture, "process", original)
    assert run_worker(gateway, messages) == {"batchItemFailures": []}
    # Then the failed event is processed, and nothing is done twice
    leads = leads_of(api, account, admin)
    assert sorted(lead["contact"]["email"] for lead in leads) == [f"person{i}@example.com" for i in range(3)]
    for lead in leads:
        assert lead["version"] == 1


def test_an_event_delivered_again_while_it_is_processed_changes_nothing_twice(api, gateway, monkeypatch):
    # Given a worker that is processing an event right now (its first reads done, nothing written yet)
    from leadcenter.domain import capture_batch

    account, admin = _capturing_account(api)
    event = platform_event(account, text=TEXT, conversation_id="chat-twice")
    started, release = threading.Event(), threading.Event()
    original = capture.process

    def slow(payload):
        if threading.current_thread() is not threading.main_thread():
            started.set()
            release.wait(10)
        return original(payload)

    monkeypatch.setattr(capture, "process", slow)
    first = threading.Thread(target=lambda: capture_batch.process_batch([event]))
    first.start()
    assert started.wait(10)
    # When another delivery of the same event arrives meanwhile, in a batch with another person's message
    other = platform_event(account, user_id="someone-else", text="x@example.com")
    assert deliver(api, gateway, event, other) == {"batchItemFailures": []}
    # And the first run then goes on, with what it read before the second wrote
    release.set()
    first.join(10)
    # Then there is one lead per person, written once, and the conversation shows each notice once
    leads = leads_of(api, account, admin)
    assert sorted(lead["contact"]["email"] for lead in leads) == ["siti.rahma@example.com", "x@example.com"]
    assert all(lead["version"] == 1 for lead in leads)
    assert [e["type"] for e in _events(api, account, admin, "chat-twice")] == ["message_received", "lead_created"]
    # And a later redelivery is answered from the finished-event marker without being processed again
    monkeypatch.setattr(capture, "process", lambda payload: pytest.fail("processed again"))
    assert deliver(api, gateway, event) == {"batchItemFailures": []}


def test_messages_are_scanned_only_while_auto_capture_is_on(api, gateway):
    admin = _admin()
    account = api.account(admin)

    def message(text):
        return platform_event(account, user_id="shopper", text=text, conversation_id="chat-s")

    # Not applied: the message is noted, not scanned
    deliver(api, gateway, message("a@example.com"))
    assert leads_of(api, account, admin) == []
    # Applied, pending review
    body = {"privacy_policy_url": "https://acme.example/privacy", "company_name": "Acme"}
    api.ok("PUT", f"/accounts/{account}/auto-capture", admin, json_body=body)
    deliver(api, gateway, message("b@example.com"))
    assert leads_of(api, account, admin) == []
    # Approved but not switched on
    api.ok("POST", f"/review/auto-capture/{account}", "reviewer", json_body={"decision": "approved"})
    deliver(api, gateway, message("c@example.com"))
    assert leads_of(api, account, admin) == []
    # On: scanned
    api.ok("PATCH", f"/accounts/{account}/auto-capture", admin, json_body={"enabled": True})
    deliver(api, gateway, message("d@example.com"))
    [lead] = leads_of(api, account, admin)
    assert lead["contact"]["email"] == "d@example.com"
    # Off again: a new contact is not picked up
    api.ok("PATCH", f"/accounts/{account}/auto-capture", admin, json_body={"enabled": False})
    deliver(api, gateway, message("+65 8123 4567"))
    [lead] = leads_of(api, account, admin)
    assert lead["contact"]["phone"] is None
    events = _events(api, account, admin, "chat-s")
    assert [e["data"]["scanned"] for e in events if e["type"] == "message_received"] == [
        False,
        False,
        False,
        True,
        False,
    ]


def test_events_for_unknown_accounts_and_erasure_requests_are_acknowledged(api, gateway):
    # Nothing to do for them, and nothing to retry: they leave the queue.
    result = deliver(
        api,
        gateway,
        platform_event("no-such-account", text="x@example.com"),
        platform_event(None, "user.erasure_requested", conversation_id=None),
        platform_event(None, text="y@example.com"),
    )
    assert result == {"batchItemFailures": []}
    assert queued_count() == 0


def test_a_stray_queue_message_is_rejected_without_retries(api, gateway):
    # Only the webhook writes to the queue; anything else is logged as rejected and dropped.
    from tests.helpers.capture import queue_url, sqs

    sqs().send_message(QueueUrl=queue_url(), MessageBody='{"event_id": "stray-1", "type": "nonsense"}')
    assert run_worker(gateway, receive_all()) == {"batchItemFailures": []}


def test_no_personal_data_reaches_the_logs(api, gateway, capfd, caplog):
    # Given a scenario touching every capture path with personal data in it
    account, admin = _capturing_account(api)
    secret_words = ["Siti", "Rahma", "siti.rahma", "9123", "4567", "siti.bakes", "thanks", "Nur Aisyah", "8765"]
    deliver(api, gateway, platform_event(account, text=TEXT, conversation_id="chat-log", user_id="siti-user-id"))
    deliver(
        api,
        gateway,
        platform_event(account, text="also +65 9876 8765 thanks", conversation_id="chat-log", user_id="siti-user-id"),
    )
    form = {"form_id": "f-1", "answers": [{"question": "Name", "answer": "Nur Aisyah"}]}
    deliver(api, gateway, platform_event(account, "form.submitted", name="Nur Aisyah", user_id="nur", form=form))
    bad = platform_event(account, text=TEXT, user_id="siti-user-id")
    bad["user"]["region"] = "ZZ"
    post(api, bad)
    api.ok("POST", f"/accounts/{account}/conversations/chat-log/mark-as-lead", admin)
    # Then no log line, in any stream, holds a name, contact, message text or platform user id
    out, err = capfd.readouterr()
    logged = out + err + caplog.text
    assert "capture event processed" in logged  # the logs were captured
    for word in [*secret_words, "siti-user-id"]:
        assert word not in logged, word
