"""Issue "4 of 6": the Salesforce connector, against an org on 127.0.0.1 that speaks Salesforce's token and Lead
upsert shapes (tests/helpers/salesforce.py), through the deployed pipeline (streams -> queue -> worker)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest

from leadcenter.config import settings
from leadcenter.domain.leads import NewLead, create_lead
from leadcenter.model import Contact, LeadSource
from tests.helpers.salesforce import SalesforceOrg
from tests.support import Api


@pytest.fixture
def org() -> Iterator[SalesforceOrg]:
    server = SalesforceOrg().start()
    yield server
    server.stop()


def _user(role: str = "sf-admin") -> str:
    return f"{role}-{uuid.uuid4().hex[:8]}"


def _path(account: str, rest: str = "") -> str:
    return f"/accounts/{account}/integrations/salesforce{rest}"


def _connect(api: Api, account: str, user: str, org: SalesforceOrg, **extra: object) -> dict:
    body = {"instance_url": org.url, "client_id": org.client_id, "client_secret": org.client_secret, **extra}
    return api.ok("POST", _path(account), user, expect=201, json_body=body)


def _deliveries(api: Api, account: str, user: str) -> list[dict]:
    return api.ok("GET", _path(account, "/deliveries"), user)["items"]


def test_a_new_lead_is_created_then_a_status_change_upserts_the_mapped_status(api, pipeline, org):
    # Given an ad account connected to Salesforce, with a status of its own and a custom field
    admin = _user()
    account = api.account(admin)
    connector = _connect(api, account, admin, org, status_map={"qualified": "Qualified"},
                         field_map={"Campaign__c": "ad.campaign_name", "Budget__c": "answer:Budget"})  # fmt: skip
    assert connector["status"] == "active" and connector["status_map"]["raw"] == "Open - Not Contacted"
    # When a lead from a form is created
    form = {"form_id": "f-1", "form_name": "Spring", "answers": [{"question": "Budget", "answer": "5000"}]}
    ad = {"campaign_id": "c-1", "campaign_name": "Spring sale"}
    lead = api.lead(account, admin, form=form, ad=ad)
    pipeline.settle()
    # Then one token was asked for and the lead was upserted by its external id, created
    assert len(org.of_kind("token")) == 1
    [created] = org.of_kind("patch")
    assert created.path.endswith(f"/sobjects/Lead/LeadCenter_Id__c/{lead['id']}") and created.status == 201
    assert created.headers["Authorization"].startswith("Bearer 00D")
    record = org.records[lead["id"]]
    assert (record["FirstName"], record["LastName"], record["Email"]) == ("Siti", "Rahma", "siti@example.com")
    assert record["Phone"] == "+6591234567" and record["Company"] == "Acme" and record["LeadSource"] == "LeadCenter"
    assert record["Status"] == "Open - Not Contacted" and "Budget: 5000" in record["Description"]
    assert record["Campaign__c"] == "Spring sale" and record["Budget__c"] == "5000"
    # When its status changes, twice
    for status, expected in (("contacted", "Working - Contacted"), ("qualified", "Qualified")):
        api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin, json_body={"status": status})
        pipeline.settle()
        assert org.records[lead["id"]]["Status"] == expected
    # Then each change was one more upsert (updated: 200) with the token reused
    assert [r.status for r in org.of_kind("patch")] == [201, 200, 200] and len(org.of_kind("token")) == 1
    log = _deliveries(api, account, admin)
    assert [d["status"] for d in log] == ["succeeded"] * 3 and {d["lead_id"] for d in log} == {lead["id"]}


def test_an_expired_token_gets_one_new_token_and_one_retry(api, pipeline, org):
    admin = _user()
    account = api.account(admin)
    _connect(api, account, admin, org)
    lead = api.lead(account, admin)
    pipeline.settle()
    assert len(org.of_kind("token")) == 1
    # When the session expires and the lead changes
    org.expire_tokens()
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin, json_body={"status": "converted"})
    pipeline.settle()
    # Then the upsert got 401 INVALID_SESSION_ID, one new token was asked for, and the retry went through
    patches = org.of_kind("patch")
    assert [r.status for r in patches] == [201, 401, 200]
    assert len(org.of_kind("token")) == 2
    assert patches[2].headers["Authorization"] != patches[1].headers["Authorization"]
    assert org.records[lead["id"]]["Status"] == "Closed - Converted"
    # And it was one attempt, succeeded
    newest = _deliveries(api, account, admin)[0]
    assert (newest["status"], newest["attempts"], newest["last_response_code"]) == ("succeeded", 1, 200)


def test_a_503_is_retried_later(api, pipeline, org):
    admin = _user()
    account = api.account(admin)
    _connect(api, account, admin, org)
    org.fail = lambda n: 503 if n == 0 else None
    lead = api.lead(account, admin)
    pipeline.pump()
    [waiting] = _deliveries(api, account, admin)
    assert waiting["status"] == "retrying" and waiting["last_error"] == "salesforce_server_unavailable"
    assert waiting["last_response_code"] == 503
    moved = pipeline.settle()
    [done] = _deliveries(api, account, admin)
    assert (done["status"], done["attempts"]) == ("succeeded", 2) and 0 < moved < 120
    assert lead["id"] in org.records and len(org.of_kind("token")) == 1


def test_a_deleted_lead_is_deleted_in_salesforce(api, pipeline, org):
    admin = _user()
    account = api.account(admin)
    _connect(api, account, admin, org)
    lead = api.lead(account, admin)
    pipeline.settle()
    assert lead["id"] in org.records
    api.ok("DELETE", f"/accounts/{account}/leads/{lead['id']}", admin, expect=204)
    pipeline.settle()
    [deleted] = org.of_kind("delete")
    assert deleted.status == 204 and deleted.path.endswith(f"/LeadCenter_Id__c/{lead['id']}")
    assert lead["id"] not in org.records
    assert {(d["type"], d["status"]) for d in _deliveries(api, account, admin)} == {
        ("lead.created", "succeeded"),
        ("lead.deleted", "succeeded"),
    }


def test_per_form_subscriptions_deliver_only_leads_of_those_forms(api, pipeline, org):
    from tests.helpers.crm import Receiver

    receiver = Receiver().start()
    try:
        admin = _user()
        account = api.account(admin)
        _connect(api, account, admin, org, form_ids=["f-wanted"])
        hook = {"url": receiver.url(), "events": ["lead.created"], "form_ids": ["f-other"]}
        created = api.ok("POST", f"/accounts/{account}/integrations/webhooks", admin, expect=201, json_body=hook)
        assert created["form_ids"] == ["f-other"]
        wanted = api.lead(account, admin, form={"form_id": "f-wanted", "answers": []})
        other = api.lead(account, admin, form={"form_id": "f-other", "answers": []})
        api.lead(account, admin)  # no form: neither
        pipeline.settle()
        assert set(org.records) == {wanted["id"]}
        assert [r.json()["lead"]["id"] for r in receiver.received()] == [other["id"]]
        # [] subscribes to every lead again
        api.ok("PATCH", _path(account), admin, json_body={"form_ids": []})
        third = api.lead(account, admin)
        pipeline.settle()
        assert set(org.records) == {wanted["id"], third["id"]}
    finally:
        receiver.stop()


def test_after_a_transfer_the_agency_org_hears_nothing_and_the_brand_org_does(api, pipeline, org):
    brand_org = SalesforceOrg(client_id="brand-client", client_secret="brand-secret-xyz").start()
    try:
        agency, brand = _user("agency"), _user("brand")
        ad_account = api.account(agency)
        bc = api.account(brand, "business_center")
        _connect(api, ad_account, agency, org)
        _connect(api, bc, brand, brand_org)
        before = api.lead(ad_account, agency)
        pipeline.settle()
        assert set(org.records) == {before["id"]} and brand_org.records == {}
        sent = len(org.requests)
        api.ok("POST", f"/accounts/{ad_account}/lead-access/transfer", agency, expect=201,
               json_body={"business_center_id": bc, "confirm": True})  # fmt: skip
        api.ok("PATCH", f"/accounts/{bc}/leads/{before['id']}", brand, json_body={"status": "unqualified"})
        new = NewLead(country="SG", source=LeadSource.MESSAGE, contact=Contact(name="Cy", email="cy@example.com"))
        after = create_lead(ad_account, new, "platform").id
        pipeline.settle()
        assert len(org.requests) == sent  # not one request more, not even a token
        assert set(brand_org.records) == {before["id"], after}
        assert brand_org.records[before["id"]]["Status"] == "Closed - Not Converted"
        assert brand_org.records[after]["LastName"] == "Cy"
        assert api.call("GET", _path(ad_account), agency).status == 403
    finally:
        brand_org.stop()


def test_test_leads_are_sent_at_once_and_logged(api, pipeline, org):
    from tests.helpers.crm import Receiver, valid_signature

    receiver = Receiver().start()
    try:
        admin = _user()
        account = api.account(admin)
        # Salesforce: a marked record with an external id test-<ulid>, the answer reported
        assert api.call("POST", _path(account, "/test"), admin).status == 404  # not connected yet
        _connect(api, account, admin, org)
        sent = api.ok("POST", _path(account, "/test"), admin)
        assert (sent["ok"], sent["status_code"], sent["error_code"]) == (True, 201, None)
        [(external_id, record)] = org.records.items()
        assert external_id.startswith("test-") and sent["delivery"]["lead_id"] == external_id
        assert record["LeadSource"] == "LeadCenter Test" and record["Company"] == "LeadCenter Test"
        [logged] = _deliveries(api, account, admin)
        assert (logged["type"], logged["status"], logged["id"]) == ("lead.test", "succeeded", sent["delivery"]["id"])
        replay = _path(account, f"/deliveries/{logged['id']}/replay")
        assert api.call("POST", replay, admin).status == 409
        # A failing answer is reported, and does not count against the connector's health
        org.fail = lambda n: 500
        failed = api.ok("POST", _path(account, "/test"), admin)
        assert (failed["ok"], failed["status_code"], failed["error_code"]) == (
            False,
            500,
            "salesforce_server_unavailable",
        )
        assert api.ok("GET", _path(account), admin)["failing_since"] is None
        # Webhook: lead.created with "test": true, signed
        hook = {"url": receiver.url(), "events": ["lead.created"]}
        created = api.ok("POST", f"/accounts/{account}/integrations/webhooks", admin, expect=201, json_body=hook)
        answer = api.ok("POST", f"/accounts/{account}/integrations/webhooks/{created['id']}/test", admin)
        assert (answer["ok"], answer["status_code"]) == (True, 200)
        [request] = receiver.received()
        body = request.json()
        assert body["test"] is True and body["type"] == "lead.created" and body["lead"]["id"].startswith("test-")
        assert valid_signature(request, created["secret"])
        pipeline.settle()
        assert len(receiver.received()) == 1  # the worker sends no test lead of its own
    finally:
        receiver.stop()


def test_the_client_secret_is_never_returned_nor_stored_in_the_clear(api, pipeline, org):
    admin = _user()
    account = api.account(admin)
    body = {"instance_url": org.url, "client_id": org.client_id, "client_secret": org.client_secret}
    answers = [api.call("POST", _path(account), admin, json_body=body)]
    api.lead(account, admin)
    pipeline.settle()
    answers += [
        api.call("GET", _path(account), admin),
        api.call("PATCH", _path(account), admin, json_body={"status_map": {"raw": "New"}}),
        api.call("POST", _path(account, "/test"), admin),
        api.call("GET", _path(account, "/deliveries"), admin),
        api.call("GET", "/openapi.json", admin),
    ]
    assert [a.status for a in answers] == [201, 200, 200, 200, 200, 200]
    assert all(org.client_secret not in str(a.body) for a in answers)
    assert answers[1].json()["has_client_secret"] is True and "client_secret" not in answers[1].json()
    token = org.of_kind("token")[0]
    item = boto3.client("dynamodb", region_name=settings().home_region).get_item(
        TableName=settings().app_table, Key={"pk": {"S": f"ACC#{account}"}, "sk": {"S": "INT#salesforce"}}
    )["Item"]
    stored = repr(item)
    assert org.client_secret not in stored and "token-" not in stored and token.status == 200
    assert org.client_secret.encode() not in b"".join(v.get("B", b"") for v in item.values())


def test_connecting_checks_the_input(api, org):
    admin = _user()
    account = api.account(admin)
    good = {"instance_url": org.url, "client_id": org.client_id, "client_secret": org.client_secret}
    for bad, field in [
        ({**good, "instance_url": "http://10.0.0.5"}, "url"),
        ({**good, "instance_url": f"{org.url}/services"}, "url"),
        ({**good, "status_map": {"nope": "X"}}, None),
        ({**good, "field_map": {"LeadCenter_Id__c": "lead.id"}}, "field_map"),
        ({**good, "field_map": {"X__c": "contact.email"}}, "field_map"),
    ]:
        reply = api.call("POST", _path(account), admin, json_body=bad)
        assert reply.status == 422, (bad, reply.body)
        if field:
            assert reply.json()["error"].get("field") == field, reply.body
    _connect(api, account, admin, org)
    assert api.call("POST", _path(account), admin, json_body=good).status == 409
    # A new instance URL needs the secret again
    moved = api.call("PATCH", _path(account), admin, json_body={"instance_url": "http://localhost:1"})
    assert moved.status == 422 and moved.json()["error"]["field"] == "client_secret"
    api.ok("DELETE", _path(account), admin, expect=204)
    assert api.call("GET", _path(account), admin).status == 404


def test_outside_the_local_runner_only_salesforce_hosts_over_https():
    from leadcenter.adapters import salesforce
    from leadcenter.adapters.transport import UnsafeUrl

    for url, reason in [
        ("https://example.com", "host"),
        ("https://salesforce.com.evil.example", "host"),
        ("http://127.0.0.1:8080", "host"),
        ("https://acme.my.salesforce.com/services/data", "path"),
        ("http://acme.my.salesforce.com", "scheme"),
    ]:
        with pytest.raises(UnsafeUrl) as caught:
            salesforce.instance_url(url, local_mode=False)
        assert caught.value.reason == reason, url
    assert salesforce._salesforce_host("acme.my.salesforce.com") and salesforce._salesforce_host("x.force.com")
    assert not salesforce._salesforce_host("salesforce.com") and not salesforce._salesforce_host("evilforce.com")


def test_the_record_mapping():
    from leadcenter.adapters.salesforce_record import record, split_name
    from leadcenter.model import FormAnswer, FormData, Lead

    assert split_name("Siti Nur Rahma") == ("Siti Nur", "Rahma")
    assert split_name("Cher") == (None, "Cher") and split_name("  ") == (None, "[not provided]")
    lead = Lead(id="l1", account_id="a1", region="SG", source=LeadSource.FORM, contact=Contact(phone="+6591234567"),
                form=FormData(answers=[FormAnswer(question="Your company?", answer="Kopi Co")]),
                created_at="2026-01-01T00:00:00.000Z", updated_at="2026-01-01T00:00:00.000Z",
                expires_at="2026-04-01T00:00:00.000Z", storage_region="ap-southeast-1")  # fmt: skip
    body = record(lead, account_name="Acme", field_map={"LeadSource": "=Web"})
    assert body["LastName"] == "[not provided]" and body["FirstName"] is None and body["Email"] is None
    assert body["Company"] == "Kopi Co" and body["LeadSource"] == "Web" and body["Status"] == "Open - Not Contacted"
    assert record(lead, test=True, field_map={"LeadSource": "=Web"})["LeadSource"] == "LeadCenter Test"


def test_a_connector_failing_for_24_hours_is_disabled_with_the_reason_shown(api, pipeline, org):
    admin = _user()
    account = api.account(admin)
    _connect(api, account, admin, org)
    org.fail = lambda n: 503
    api.lead(account, admin)
    pipeline.settle(max_seconds=4 * 86400)
    connector = api.ok("GET", _path(account), admin)
    assert connector["status"] == "disabled" and connector["enabled"] is False
    assert "24 hours" in connector["disabled_reason"] and "HTTP 503" in connector["disabled_reason"]
    [delivery] = _deliveries(api, account, admin)
    assert delivery["status"] == "failed" and delivery["last_error"] == "endpoint_disabled"
    assert [d["delivery_id"] for d in pipeline.dead_letters()] == [delivery["id"]]
    # Switched on again, the failed delivery can be replayed
    org.fail = lambda n: None
    api.ok("PATCH", _path(account), admin, json_body={"enabled": True})
    api.ok("POST", _path(account, f"/deliveries/{delivery['id']}/replay"), admin, expect=202)
    pipeline.settle()
    assert _deliveries(api, account, admin)[0]["status"] == "succeeded" and len(org.records) == 1
