"""Issue 4: the messaging webhook verifies the signature over the raw body, queues, and answers 202."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcenter import webhook_signature
from leadcenter.errors import Unauthorized
from tests.helpers.capture import (
    SECRET,
    WEBHOOK,
    encode,
    platform_event,
    post,
    queued_count,
    receive_all,
    signed,
)

pytestmark = pytest.mark.usefixtures("empty_capture_queue")


def _tamper(body: bytes) -> bytes:
    return body.replace(b"hello", b"hallo")


NON_ASCII = platform_event("acct-x", text="hello — สวัสดี, 你好, مرحبا, 📞 0812 3456 7890")


def _cases() -> dict[str, tuple[bytes, dict[str, str]]]:
    """Built when the test runs: the timestamps are relative to that moment."""
    cases: dict[str, tuple[bytes, dict[str, str]]] = {}
    body = encode(platform_event("acct-x"))
    now = int(time.time())
    good = webhook_signature.sign(SECRET, body, now)
    non_ascii = encode(NON_ASCII)
    cases["missing"] = (body, {})
    cases["empty"] = (body, {"X-Signature": ""})
    cases["malformed: no s"] = (body, {"X-Signature": f"t={now}"})
    cases["malformed: not hex"] = (body, {"X-Signature": f"t={now},s={'z' * 64}"})
    cases["malformed: short"] = (body, {"X-Signature": f"t={now},s=abc"})
    cases["malformed: garbage"] = (body, {"X-Signature": "sha256=deadbeef"})
    cases["malformed: bad t"] = (body, {"X-Signature": good.replace(f"t={now}", "t=yesterday")})
    cases["wrong secret"] = (body, signed(body, secret="not-the-secret"))
    # 302: `now` is truncated to the second, so 301 could be 300.x s away by the time the webhook checks.
    cases["stale"] = (body, signed(body, at=now - 302))
    cases["future"] = (body, signed(body, at=now + 302))
    cases["signature of another timestamp"] = (body, {"X-Signature": good.replace(f"t={now}", f"t={now - 1}")})
    cases["tampered body"] = (_tamper(body), {"X-Signature": good})
    cases["non-ASCII body tampered"] = (non_ascii.replace("สวัสดี".encode(), "สวัสดีครับ".encode()), signed(non_ascii))
    # Signed over the \u-escaped JSON, sent as UTF-8: the same event, not the same bytes.
    cases["non-ASCII body signed in another encoding"] = (non_ascii, signed(json.dumps(NON_ASCII).encode()))
    return cases


@pytest.mark.parametrize("case", list(_cases()))
def test_bad_signatures_are_401_and_nothing_is_queued(api, case):
    # When an event arrives with a bad signature
    body, headers = _cases()[case]
    reply = api.call("POST", WEBHOOK, None, raw=body, headers=headers)
    # Then it is refused with a JSON error and never reaches the queue
    assert reply.status == 401, (case, reply.body)
    assert reply.json()["error"]["code"] == "invalid_signature"
    assert queued_count() == 0
    assert receive_all() == []


def test_a_bad_signature_is_401_even_when_the_body_is_not_json(api):
    # The signature is checked before anything parses the body.
    reply = api.call("POST", WEBHOOK, None, raw=b"{not json", headers=signed(b"{not json", secret="wrong"))
    assert reply.status == 401
    assert queued_count() == 0


def test_a_signed_event_is_202_and_lands_on_the_queue_as_sent(api):
    # Given a signed event with fields the platform added that we do not know
    event = platform_event("acct-x", extra_field={"nested": True})
    body = encode(event)
    # When it is posted
    reply = post(api, body)
    # Then it is accepted and queued byte for byte, named by its id and type
    assert reply.status == 202
    assert reply.json() == {"accepted": True, "event_id": event["event_id"]}
    [message] = receive_all()
    assert message["Body"].encode() == body
    assert message["MessageAttributes"]["event_id"]["StringValue"] == event["event_id"]
    assert message["MessageAttributes"]["event_type"]["StringValue"] == "message.received"


def test_a_non_ascii_body_signed_correctly_is_accepted(api):
    body = encode(NON_ASCII)
    reply = post(api, body)
    assert reply.status == 202, reply.body
    [message] = receive_all()
    assert json.loads(message["Body"])["message"]["text"] == NON_ASCII["message"]["text"]


def test_a_repeated_event_is_also_202(api):
    # The platform redelivers for 72 hours; each delivery is acknowledged, the worker runs it once.
    event = platform_event("acct-x")
    assert post(api, event).status == 202
    assert post(api, event).status == 202
    assert len(receive_all()) == 2


def test_a_signature_within_the_tolerance_is_accepted(api):
    body = encode(platform_event("acct-x"))
    assert post(api, body, signed(body, at=int(time.time()) - 290)).status == 202
    assert post(api, body, signed(body, at=int(time.time()) + 290)).status == 202


def test_a_rotated_secret_may_be_signed_twice(api):
    body = encode(platform_event("acct-x"))
    now = int(time.time())
    old = webhook_signature.sign("old-secret", body, now).split(",s=")[1]
    header = webhook_signature.sign(SECRET, body, now) + f",s={old}"
    assert post(api, body, {"X-Signature": header}).status == 202


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (json.dumps({"type": "message.received"}).encode(), 422),
        (json.dumps({**platform_event("acct-x"), "type": "message.deleted"}).encode(), 422),
        (json.dumps({**platform_event("acct-x"), "event_id": 42}).encode(), 422),
        (json.dumps({k: v for k, v in platform_event("acct-x").items() if k != "message"}).encode(), 422),
        (json.dumps(platform_event("acct-x", region="XX")).encode(), 422),
    ],
    ids=[
        "not json",
        "not an object",
        "no event_id",
        "unknown type",
        "event_id not a string",
        "no message",
        "unknown country",
    ],
)
def test_a_signed_but_invalid_event_is_refused_and_not_queued(api, body, status):
    reply = post(api, body)
    assert reply.status == status, reply.body
    assert "error" in reply.json()
    assert queued_count() == 0


def test_an_invalid_event_is_described_without_echoing_it(api):
    event = platform_event("acct-x", text="call me on +6591234567")
    event["user"]["region"] = "ZZ"
    reply = post(api, event)
    assert reply.status == 422
    assert "+6591234567" not in reply.body and "ZZ" not in reply.body


# Each type with its part: what the webhook accepts.
COMPLETE = {
    "message.received": {"message": {"id": "m-1", "text": "hello"}},
    "form.submitted": {"form": {"form_id": "f-1", "answers": [{"question": "Email?", "answer": "a@b.co"}]}},
    "ad.touch": {"touch": {"kind": "click", "ad_id": "ad-1"}},
    "user.erasure_requested": {},
}


def _event_of(type_: str, **changes: object) -> dict[str, object]:
    event = {k: v for k, v in platform_event("acct-x", type_).items() if k != "message"}
    return {**event, **COMPLETE[type_], **changes}


@pytest.mark.parametrize("type_", sorted(COMPLETE))
def test_each_type_with_its_part_is_accepted(api, type_):
    event = _event_of(type_)
    assert post(api, event).status == 202
    [message] = receive_all()
    assert message["MessageAttributes"]["event_type"]["StringValue"] == type_


@pytest.mark.parametrize(
    ("type_", "missing"),
    [
        ("message.received", "message"),
        ("form.submitted", "form"),
        ("ad.touch", "touch"),
        ("message.received", "user"),
        ("form.submitted", "user"),
        ("ad.touch", "user"),
        ("user.erasure_requested", "user"),
    ],
)
def test_an_event_without_the_part_its_type_needs_is_refused_and_not_queued(api, type_, missing):
    event = {k: v for k, v in _event_of(type_).items() if k != missing}
    reply = post(api, event)
    assert reply.status == 422, reply.body
    error = reply.json()["error"]
    assert error["code"] == "validation_failed"
    assert {"field": f"{type_}.{missing}", "problem": "missing"} in [
        {"field": p["field"], "problem": p["problem"]} for p in error["problems"]
    ], error
    assert queued_count() == 0


@pytest.mark.parametrize(
    ("type_", "part", "field"),
    [
        ("message.received", {"message": {"id": "m-1"}}, "message.received.message.text"),
        ("message.received", {"message": "hello"}, "message.received.message"),
        ("form.submitted", {"form": {"answers": []}}, "form.submitted.form.form_id"),
        (
            "form.submitted",
            {"form": {"form_id": "f-1", "answers": [{"question": "Q"}]}},
            "form.submitted.form.answers.0.answer",
        ),
        ("ad.touch", {"touch": {"kind": "hover", "ad_id": "ad-1"}}, "ad.touch.touch.kind"),
        ("ad.touch", {"touch": {"kind": "click"}}, "ad.touch.touch.ad_id"),
        # a part of another type does not stand in for this type's own
        ("ad.touch", {"touch": None, "message": {"id": "m-1", "text": "hello"}}, "ad.touch.touch"),
    ],
)
def test_an_event_whose_part_is_malformed_is_refused_naming_it(api, type_, part, field):
    reply = post(api, _event_of(type_, **part))
    assert reply.status == 422, reply.body
    assert field in [p["field"] for p in reply.json()["error"]["problems"]], reply.body
    assert queued_count() == 0


@pytest.mark.parametrize("body", [{"type": "message.deleted"}, {"type": None}, {}])
def test_an_unknown_or_missing_type_names_the_type_field(api, body):
    event = {k: v for k, v in _event_of("message.received").items() if k != "type"}
    reply = post(api, {**event, **body})
    assert reply.status == 422, reply.body
    assert reply.json()["error"]["problems"][0]["field"] == "type", reply.body
    assert queued_count() == 0


# ---------------------------------------------------------------------------------------------- the verifier itself


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=2000), secret=st.text(min_size=1, max_size=64), skew=st.integers(-300, 300))
def test_every_signed_body_verifies_and_every_changed_one_does_not(body, secret, skew):
    now = 1_800_000_000
    header = webhook_signature.sign(secret, body, now + skew)
    assert webhook_signature.verify(header, body, secret, now) == now + skew
    with pytest.raises(Unauthorized):
        webhook_signature.verify(header, body + b"x", secret, now)
    with pytest.raises(Unauthorized):
        webhook_signature.verify(header, body, secret + "x", now)


@settings(max_examples=200, deadline=None)
@given(header=st.text(max_size=300))
def test_any_header_text_is_a_401_never_a_crash(header):
    with pytest.raises(Unauthorized):
        webhook_signature.verify(header, b"{}", SECRET, 1_800_000_000)


def test_the_tolerance_follows_the_app_clock(api):
    # The local runner moves leadcenter.clock (POST /_local/clock); "now" for a signature moves with it.
    from leadcenter import clock

    body = encode(platform_event("acct-x"))
    clock.advance(3600)
    try:
        assert post(api, body, signed(body, at=int(time.time()))).status == 401
        assert post(api, body, signed(body, at=int(clock.epoch()))).status == 202
    finally:
        clock.advance(-3600)


def test_deployed_without_a_secret_every_event_is_refused(api, monkeypatch):
    # Never fall back to the public local default outside the local runner.
    from leadcenter.config import reset_settings

    body = encode(platform_event("acct-x"))
    monkeypatch.setenv("LEADCENTER_LOCAL", "false")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    reset_settings()
    try:
        reply = post(api, body)
        assert reply.status == 500 and reply.json()["error"]["code"] == "internal"
        assert queued_count() == 0
    finally:
        monkeypatch.undo()
        reset_settings()


def test_the_signer_matches_the_contract() -> None:
    # The header is t=<unix>,s=<hex HMAC-SHA256(secret, "<t>.<raw body>")>, computed independently here.
    import hashlib
    import hmac

    body = b'{"event_id":"e"}'
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhook_signature.sign(SECRET, body, 1700000000) == f"t=1700000000,s={expected}"
