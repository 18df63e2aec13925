"""Issue 9: lead changes reach CRM webhooks once each, signed, retried with backoff, logged, replayable."""

from __future__ import annotations

import socket
import uuid

import pytest

from leadcenter import clock
from leadcenter.domain import crm_delivery
from leadcenter.domain.crm_changes import ChangeNotice
from tests.helpers.crm import fails_first, valid_signature
from tests.support import Api


def _admin() -> str:
    return f"crm-admin-{uuid.uuid4().hex[:8]}"


def _webhook(api: Api, account: str, admin: str, url: str, events: list[str] | None = None) -> dict:
    body = {"url": url, "events": events or ["lead.created", "lead.updated", "lead.deleted"]}
    return api.ok("POST", f"/accounts/{account}/integrations/webhooks", admin, expect=201, json_body=body)


def _deliveries(api: Api, account: str, admin: str, webhook_id: str) -> list[dict]:
    path = f"/accounts/{account}/integrations/webhooks/{webhook_id}/deliveries"
    return api.ok("GET", path, admin)["items"]


def test_a_receiver_failing_three_times_gets_the_lead_once_signed_with_the_attempts_logged(api, pipeline, receiver):
    # Given an ad account with a webhook whose receiver fails the first three attempts
    admin = _admin()
    account = api.account(admin)
    receiver.answer = fails_first(3)
    hook = _webhook(api, account, admin, receiver.url(), ["lead.created"])
    # When a lead is created and the pipeline runs, retries falling due as the clock moves
    lead = api.lead(account, admin)
    moved = pipeline.settle()
    # Then the receiver saw four attempts, the last answered 2xx, all for the same event, each validly signed
    requests = receiver.received()
    assert [r.status for r in requests] == [500, 500, 500, 200]
    assert len({r.headers["X-Event-Id"] for r in requests}) == 1
    assert all(valid_signature(r, hook["secret"]) for r in requests)
    payload = requests[-1].json()
    assert payload["type"] == "lead.created"
    assert payload["lead"]["id"] == lead["id"] and payload["lead"]["contact"]["email"] == "siti@example.com"
    assert payload["lead_version"] == 1 and payload["event_id"] == requests[-1].headers["X-Event-Id"]
    # And the log shows one delivery, succeeded after 4 attempts, with the last response code
    [delivery] = _deliveries(api, account, admin, hook["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 4
    assert delivery["last_response_code"] == 200 and delivery["next_attempt_at"] is None
    assert delivery["id"] == payload["event_id"] and delivery["lead_id"] == lead["id"]
    assert moved < 3600  # three retries with backoff (30 s, 60 s, 120 s ceilings) and jitter


def test_a_receiver_that_always_fails_ends_in_the_dead_letter_queue_and_its_endpoint_is_disabled(
    api, pipeline, receiver
):
    # Given a webhook whose receiver always answers 500
    admin = _admin()
    account = api.account(admin)
    receiver.answer = lambda n: 500
    hook = _webhook(api, account, admin, receiver.url())
    # When a lead is created and three days pass by the app clock
    lead = api.lead(account, admin)
    moved = pipeline.settle(max_seconds=4 * 86400)
    # Then it was retried with backoff for a day, then the endpoint was switched off with a reason
    attempts = receiver.received()
    assert len(attempts) >= 8
    assert 24 * 3600 - 600 <= moved < 30 * 3600  # (the wall clock moves a little too)
    [listed] = api.ok("GET", f"/accounts/{account}/integrations/webhooks", admin)["items"]
    assert listed["status"] == "disabled" and listed["enabled"] is False
    assert "24 hours" in listed["disabled_reason"] and "HTTP 500" in listed["disabled_reason"]
    # And the delivery failed (dead-letter state), with its attempts, and sits in the dead-letter queue
    [delivery] = _deliveries(api, account, admin, hook["id"])
    assert delivery["status"] == "failed" and delivery["attempts"] == len(attempts)
    assert delivery["last_response_code"] == 500 and delivery["last_error"] == "endpoint_disabled"
    dead = pipeline.dead_letters()
    assert [d["delivery_id"] for d in dead] == [delivery["id"]] and dead[0]["lead_id"] == lead["id"]
    # And later changes are not sent to the disabled endpoint
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin, json_body={"status": "contacted"})
    pipeline.settle()
    assert len(receiver.received()) == len(attempts)
    assert len(_deliveries(api, account, admin, hook["id"])) == 1


def test_switched_on_again_a_failed_delivery_can_be_replayed(api, pipeline, receiver):
    admin = _admin()
    account = api.account(admin)
    receiver.answer = lambda n: 500
    hook = _webhook(api, account, admin, receiver.url())
    api.lead(account, admin)
    pipeline.settle(max_seconds=4 * 86400)
    [failed] = _deliveries(api, account, admin, hook["id"])
    replay = f"/accounts/{account}/integrations/webhooks/{hook['id']}/deliveries/{failed['id']}/replay"
    # A disabled endpoint cannot replay
    assert api.call("POST", replay, admin).status == 409
    # When the receiver is fixed and the admin switches the endpoint on and replays
    receiver.answer = lambda n: 200
    api.ok("PATCH", f"/accounts/{account}/integrations/webhooks/{hook['id']}", admin, json_body={"enabled": True})
    queued = api.ok("POST", replay, admin, expect=202)
    assert queued["status"] == "pending"
    pipeline.settle()
    # Then the same event arrives, and the log shows it succeeded one attempt later
    last = receiver.received()[-1]
    assert last.status == 200 and last.headers["X-Event-Id"] == failed["id"] and valid_signature(last, hook["secret"])
    [done] = _deliveries(api, account, admin, hook["id"])
    assert done["status"] == "succeeded" and done["attempts"] == failed["attempts"] + 1


def test_a_delivery_that_keeps_failing_gives_up_after_72_hours(api, pipeline, receiver, monkeypatch):
    # Given endpoints are disabled only after 100 h (so the 72 h window of the delivery shows)
    monkeypatch.setenv("CRM_DISABLE_AFTER_SECONDS", str(100 * 3600))
    from leadcenter.crm_settings import reset_crm_settings

    reset_crm_settings()
    try:
        admin = _admin()
        account = api.account(admin)
        receiver.answer = lambda n: 503
        hook = _webhook(api, account, admin, receiver.url())
        api.lead(account, admin)
        moved = pipeline.settle(max_seconds=5 * 86400)
        [delivery] = _deliveries(api, account, admin, hook["id"])
        assert delivery["status"] == "failed" and delivery["last_error"] == "http_503"
        assert 72 * 3600 - 600 <= moved <= 72 * 3600 + 60
        assert [d["delivery_id"] for d in pipeline.dead_letters()] == [delivery["id"]]
        assert api.ok("GET", f"/accounts/{account}/integrations/webhooks", admin)["items"][0]["status"] == "active"
    finally:
        monkeypatch.undo()
        reset_crm_settings()


def test_updates_and_deletes_reach_subscribers_with_versions_and_deletes_carry_no_personal_data(
    api, pipeline, receiver
):
    admin = _admin()
    account = api.account(admin)
    everything = _webhook(api, account, admin, receiver.url("/all"))
    only_deletes = _webhook(api, account, admin, receiver.url("/deletes"), ["lead.deleted"])
    lead = api.lead(account, admin)
    pipeline.pump()
    path = f"/accounts/{account}/leads/{lead['id']}"
    api.ok("PATCH", path, admin, json_body={"status": "contacted"})
    pipeline.pump()
    api.ok("PATCH", path, admin, json_body={"assignee": admin})
    pipeline.pump()
    assert api.call("DELETE", path, admin).status == 204
    pipeline.settle()
    # Every change reached the subscriber of everything, once, with the lead's version
    seen = [(r.json()["type"], r.json()["lead_version"]) for r in receiver.received("/all")]
    assert seen == [("lead.created", 1), ("lead.updated", 2), ("lead.updated", 3), ("lead.deleted", 3)]
    updates = [r.json()["lead"] for r in receiver.received("/all") if r.json()["type"] == "lead.updated"]
    assert [(u["status"], u["assignee"]) for u in updates] == [("contacted", None), ("contacted", admin)]
    assert all(valid_signature(r, everything["secret"]) for r in receiver.received("/all"))
    # The delete subscriber got only the delete, naming the lead by its ids: its data is gone
    [deleted] = receiver.received("/deletes")
    body = deleted.json()
    assert body["type"] == "lead.deleted" and body["lead"] == {"id": lead["id"], "account_id": account}
    assert b"siti" not in deleted.body.lower() and valid_signature(deleted, only_deletes["secret"])


def test_the_delivery_log_pages_newest_first_and_filters_by_status(api, pipeline, receiver):
    admin = _admin()
    account = api.account(admin)
    hook = _webhook(api, account, admin, receiver.url(), ["lead.created"])
    leads = [api.lead(account, admin, contact={"name": f"Person{n}", "email": f"p{n}@example.com"}) for n in range(3)]
    pipeline.settle()
    path = f"/accounts/{account}/integrations/webhooks/{hook['id']}/deliveries"
    first = api.ok("GET", path, admin, query="limit=2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.ok("GET", path, admin, query=f"limit=2&cursor={first['next_cursor']}")
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    # Newest delivery first (deliveries are minted as the worker handles each change), every lead once.
    paged = first["items"] + rest["items"]
    assert [d["id"] for d in paged] == sorted((d["id"] for d in paged), reverse=True)
    assert sorted(d["lead_id"] for d in paged) == sorted(lead["id"] for lead in leads)
    assert len(api.ok("GET", path, admin, query="status=succeeded")["items"]) == 3
    assert api.ok("GET", path, admin, query="status=failed")["items"] == []
    assert api.call("GET", path, admin, query="cursor=forged").status == 400
    # The log holds ids, codes and times only
    text = str(first) + str(rest)
    assert "siti" not in text.lower() and "@example.com" not in text and "Person0" not in text


def test_the_address_is_checked_again_at_delivery_time(api, pipeline, receiver, monkeypatch):
    # Given a webhook to localhost, which resolved to loopback when it was saved
    admin = _admin()
    account = api.account(admin)
    port = receiver.url().split(":")[2].split("/")[0]
    _webhook(api, account, admin, f"http://localhost:{port}/hook", ["lead.created"])
    # When the name is rebound to a private address before the delivery
    rebound = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.8", 0))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: rebound)
    api.lead(account, admin)
    pipeline.pump()
    # Then nothing is sent, and the attempt is logged as refused
    assert receiver.received() == []
    [hook] = api.ok("GET", f"/accounts/{account}/integrations/webhooks", admin)["items"]
    [delivery] = _deliveries(api, account, admin, hook["id"])
    assert delivery["status"] == "retrying" and delivery["last_error"] == "refused_address"
    assert delivery["last_response_code"] is None


def test_status_changes_are_fed_back_to_the_ad_platform(api, pipeline, receiver):
    # Given an account whose status feedback goes to an events endpoint with an access token
    admin = _admin()
    account = api.account(admin)
    settings_path = f"/accounts/{account}/integrations/status-events"
    assert api.ok("GET", settings_path, admin)["source"] == "off"
    configured = api.ok(
        "PUT", settings_path, admin, json_body={"url": receiver.url("/events"), "access_token": "tok-1"}
    )
    assert configured["source"] == "account" and configured["has_access_token"] and "tok-1" not in str(configured)
    assert configured["mapping"]["qualified"] == "QualifiedLead"
    lead = api.lead(account, admin)
    path = f"/accounts/{account}/leads/{lead['id']}"
    # When sales moves the lead through statuses
    for status in ("contacted", "qualified", "raw", "converted"):
        api.ok("PATCH", path, admin, json_body={"status": status})
    api.ok("PATCH", path, admin, json_body={"assignee": admin})  # not a status change
    pipeline.settle()
    # Then each mapped status arrived as a platform event (raw sends nothing), with the lead id only
    events = receiver.received("/events")
    names = sorted(r.json()["data"][0]["event"] for r in events)
    assert names == ["Contacted", "Converted", "QualifiedLead"]
    body = events[0].json()
    assert body["event_source"] == "crm" and body["event_source_id"] == account
    assert body["data"][0]["lead"] == {"lead_id": lead["id"]} and isinstance(body["data"][0]["event_time"], int)
    assert all(r.headers["Access-Token"] == "tok-1" for r in events)
    assert all(b"siti" not in r.body.lower() for r in events)
    log = api.ok("GET", f"{settings_path}/deliveries", admin)["items"]
    assert len(log) == 3 and {d["status"] for d in log} == {"succeeded"}


def test_no_personal_data_reaches_the_logs(api, pipeline, receiver, capfd, caplog):
    admin = _admin()
    account = api.account(admin)
    receiver.answer = fails_first(1)
    _webhook(api, account, admin, receiver.url())
    lead = api.lead(account, admin, contact={"name": "Zed Quimby", "email": "zed.quimby@example.com",
                                             "phone": "+6598765432"})  # fmt: skip
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin, json_body={"status": "qualified"})
    pipeline.settle()
    assert any(r.status == 200 for r in receiver.received())
    out, err = capfd.readouterr()
    text = (out + err + caplog.text).lower()
    assert "crm message processed" in text
    for secret in ("zed", "quimby", "98765432"):
        assert secret not in text


def test_a_lead_deleted_before_its_update_was_sent_sends_only_the_delete(api, pipeline, receiver):
    # Its personal data is gone (shredded) by the time the update would go out: nothing stale is sent.
    admin = _admin()
    account = api.account(admin)
    _webhook(api, account, admin, receiver.url())
    lead = api.lead(account, admin)
    pipeline.pump()
    path = f"/accounts/{account}/leads/{lead['id']}"
    api.ok("PATCH", path, admin, json_body={"status": "contacted"})
    assert api.call("DELETE", path, admin).status == 204
    pipeline.settle()
    assert [r.json()["type"] for r in receiver.received()] == ["lead.created", "lead.deleted"]
    [hook] = api.ok("GET", f"/accounts/{account}/integrations/webhooks", admin)["items"]
    log = {d["type"]: d for d in _deliveries(api, account, admin, hook["id"])}
    assert log["lead.updated"]["status"] == "failed" and log["lead.updated"]["last_error"] == "lead_deleted"


def _notice(lead: dict) -> ChangeNotice:
    expires = int(clock.parse_iso(lead["expires_at"]).timestamp())
    return ChangeNotice(key=f"k-{lead['id']}", account_id=lead["account_id"], lead_id=lead["id"],
                        region=lead["storage_region"], type="lead.created", version=1,
                        occurred_at=lead["created_at"], expires_at=expires)  # fmt: skip


def test_a_notice_handled_twice_delivers_once_and_a_crash_before_sending_is_recovered(
    api, pipeline, receiver, monkeypatch
):
    admin = _admin()
    account = api.account(admin)
    hook = _webhook(api, account, admin, receiver.url(), ["lead.created"])
    lead = api.lead(account, admin)
    notice = _notice(lead)
    # Given the first fan-out logs the delivery and then dies before sending
    real_send = crm_delivery._send

    def crash(*args, **kwargs):
        raise RuntimeError("the worker died")

    monkeypatch.setattr(crm_delivery, "_send", crash)
    with pytest.raises(RuntimeError):
        crm_delivery.fan_out(notice)
    monkeypatch.setattr(crm_delivery, "_send", real_send)
    # When SQS delivers the notice again, and once more
    assert crm_delivery.fan_out(notice).deliveries == 1
    assert crm_delivery.fan_out(notice).deliveries == 0
    # Then the receiver got the lead exactly once, and the log holds one delivery
    assert [r.json()["lead"]["id"] for r in receiver.received()] == [lead["id"]]
    [delivery] = _deliveries(api, account, admin, hook["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 1
