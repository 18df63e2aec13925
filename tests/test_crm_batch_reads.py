"""Issues 18/20: the CRM worker reads an account's access holder and endpoints once per invocation (SQS batch), not
once per change notice; nothing is kept across invocations, so a webhook created or a lead-access transfer made
between two invocations is seen by the second; attempts check access again at the moment of sending."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from bench.harness import counting
from leadcenter import clock
from leadcenter.domain import crm_delivery
from leadcenter.domain.crm_changes import ChangeNotice
from leadcenter.domain.leads import NewLead, create_lead
from leadcenter.model import Contact, LeadSource
from leadcenter.store import deliveries as delivery_store
from local.gateway import context_for, handler_of
from local.sqs_source import sqs_event
from tests.helpers.crm import Pipeline, fails_first
from tests.support import Api


def _user(role: str) -> str:
    return f"{role}-{uuid.uuid4().hex[:8]}"


def _webhook(api: Api, account: str, user: str, url: str) -> dict:
    body = {"url": url, "events": ["lead.created", "lead.updated", "lead.deleted"]}
    return api.ok("POST", f"/accounts/{account}/integrations/webhooks", user, expect=201, json_body=body)


def _captured_lead(account: str) -> dict[str, Any]:
    """A lead as capture makes it (after a transfer the agency's users cannot add leads), as the API shows it."""
    contact = Contact(name="Cy Captured", email=f"cy.{uuid.uuid4().hex[:6]}@example.com")
    lead = create_lead(account, NewLead(country="SG", source=LeadSource.MESSAGE, contact=contact), "platform")
    return lead.model_dump(mode="json")


def _notice(lead: dict[str, Any]) -> dict[str, Any]:
    expires = int(clock.parse_iso(lead["expires_at"]).timestamp())
    return ChangeNotice(key=f"k-{lead['id']}", account_id=lead["account_id"], lead_id=lead["id"],
                        region=lead["storage_region"], type="lead.created", version=1,
                        occurred_at=lead["created_at"], expires_at=expires).model_dump(mode="json")  # fmt: skip


def _invoke(pipeline: Pipeline, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """One invocation of the worker (the same container every time) with these messages as its batch."""
    messages = [{"MessageId": str(uuid.uuid4()), "ReceiptHandle": uuid.uuid4().hex, "Body": json.dumps(body)}
                for body in bodies]  # fmt: skip
    event = sqs_event(messages, queue_url=pipeline.queue_url)
    return dict(handler_of(pipeline.worker)(event, context_for(pipeline.worker)))


def _reads(counter: Any) -> tuple[int, int]:
    return counter.count("dynamodb", ("GetItem",)), counter.count("dynamodb", ("Query",))


def test_a_batch_of_notices_for_one_account_reads_its_account_and_endpoints_once(api, pipeline, monkeypatch):
    # Given an account without CRM endpoints and five changes of its leads
    admin = _user("crm-batch")
    account = api.account(admin)
    notices = [_notice(api.lead(account, admin)) for _ in range(5)]
    # When the worker gets them as one batch
    with counting() as counter:
        assert _invoke(pipeline, notices) == {"batchItemFailures": []}
    # Then it read the account (its access holder) once and queried its endpoints once
    assert _reads(counter) == (1, 1)
    # While without the per-invocation reads it read both once per notice
    monkeypatch.setattr(crm_delivery, "batch_reads", contextlib.nullcontext)
    with counting() as counter:
        _invoke(pipeline, notices)
    assert _reads(counter) == (5, 5)


def test_an_endpoint_created_between_two_invocations_is_used_by_the_second(api, pipeline, receiver):
    # Given an account without endpoints, whose first change the worker handled (nothing to deliver)
    admin = _user("crm-batch")
    account = api.account(admin)
    first, second = api.lead(account, admin), api.lead(account, admin)
    _invoke(pipeline, [_notice(first)])
    assert receiver.received() == []
    # When a webhook is created, and the same worker container gets the next change
    _webhook(api, account, admin, receiver.url())
    _invoke(pipeline, [_notice(second)])
    # Then the new webhook received it
    assert [r.json()["lead"]["id"] for r in receiver.received()] == [second["id"]]


def test_a_transfer_between_two_invocations_is_honoured(api, pipeline, receiver):
    # Given an agency's ad account and a brand's Business Center, each with a webhook, and a change delivered to
    # the agency by one invocation
    agency, brand = _user("agency"), _user("brand")
    ad_account = api.account(agency)
    bc = api.account(brand, "business_center")
    _webhook(api, ad_account, agency, receiver.url("/agency"))
    _webhook(api, bc, brand, receiver.url("/brand"))
    before = api.lead(ad_account, agency)
    _invoke(pipeline, [_notice(before)])
    assert [r.json()["lead"]["id"] for r in receiver.received("/agency")] == [before["id"]]
    # When lead access is transferred to the brand, and the same container gets the next change
    api.ok("POST", f"/accounts/{ad_account}/lead-access/transfer", agency, expect=201,
           json_body={"business_center_id": bc, "confirm": True})  # fmt: skip
    after = _captured_lead(ad_account)
    _invoke(pipeline, [_notice(after)])
    # Then the brand's webhook got it and the agency's nothing more
    assert [r.json()["lead"]["id"] for r in receiver.received("/agency")] == [before["id"]]
    assert [r.json()["lead"]["id"] for r in receiver.received("/brand")] == [after["id"]]


def test_an_endpoint_an_attempt_changed_is_read_again_by_the_next_notice_of_the_batch(api, pipeline, receiver):
    # Given a webhook that fails its first request
    admin = _user("crm-batch")
    account = api.account(admin)
    hook = _webhook(api, account, admin, receiver.url())
    receiver.answer = fails_first(1)
    notices = [_notice(api.lead(account, admin)) for _ in range(2)]
    # When one batch delivers two changes: the first fails (the endpoint's run of failures begins), the second works
    _invoke(pipeline, notices)
    assert [r.status for r in receiver.received()] == [500, 200]
    # Then the success ended the run of failures: the second fan-out saw the endpoint as the failure left it
    [listed] = api.ok("GET", f"/accounts/{account}/integrations/webhooks", admin)["items"]
    assert listed["id"] == hook["id"] and listed["failing_since"] is None and listed["last_success_at"]


def test_an_attempt_reads_access_again_within_an_invocation_that_read_it_already(api, pipeline, receiver, monkeypatch):
    # Given an agency's webhook whose first attempt for a lead failed (its second attempt is queued)
    agency, brand = _user("agency"), _user("brand")
    ad_account = api.account(agency)
    bc = api.account(brand, "business_center")
    hook = _webhook(api, ad_account, agency, receiver.url("/agency"))
    receiver.answer = fails_first(1)
    failed = api.lead(ad_account, agency)
    _invoke(pipeline, [_notice(failed)])
    [retry] = [json.loads(m["Body"]) for m in pipeline.receive()]
    assert retry["kind"] == "attempt"
    # When one invocation gets a new change of the account (its access read while the agency holds it), then lead
    # access moves to the brand, then the same invocation makes the queued attempt
    fan_out = crm_delivery.fan_out

    def fan_out_then_transfer(notice: ChangeNotice) -> crm_delivery.Outcome:
        outcome = fan_out(notice)
        api.ok("POST", f"/accounts/{ad_account}/lead-access/transfer", agency, expect=201,
               json_body={"business_center_id": bc, "confirm": True})  # fmt: skip
        return outcome

    monkeypatch.setattr(crm_delivery, "fan_out", fan_out_then_transfer)
    new = api.lead(ad_account, agency)
    _invoke(pipeline, [_notice(new), retry])
    # Then the attempt sent nothing: it was closed for lack of access, though the batch had read the agency as holder
    assert [r.json()["lead"]["id"] for r in receiver.received("/agency")] == [failed["id"], new["id"]]
    log, _ = delivery_store.page(ad_account, hook["id"], 10, None, None, int(clock.epoch()))
    closed = [d for d in log if d.lead_id == failed["id"]]
    assert [(d.status, d.last_error) for d in closed] == [("failed", "no_access")]
