"""Issue 9: a delivery goes only to destinations whose owner has access to the lead. After an agency's ad
account transfers lead access to a brand's Business Center, the agency's webhooks get nothing with personal
data (nothing at all), also for changes made before the transfer and not yet sent; the BC's webhooks get them."""

from __future__ import annotations

import uuid

from leadcenter import clock
from leadcenter.domain.leads import NewLead, create_lead
from leadcenter.model import Contact, LeadSource
from leadcenter.store import deliveries as delivery_store
from tests.helpers.crm import valid_signature
from tests.support import Api


def _user(role: str) -> str:
    return f"{role}-{uuid.uuid4().hex[:8]}"


def _webhook(api: Api, account: str, user: str, url: str) -> dict:
    body = {"url": url, "events": ["lead.created", "lead.updated", "lead.deleted"]}
    return api.ok("POST", f"/accounts/{account}/integrations/webhooks", user, expect=201, json_body=body)


def _captured_lead(account: str, name: str) -> str:
    """A lead as capture makes it (the agency's own users cannot add leads once access is transferred)."""
    email = f"{name.lower().replace(' ', '.')}@example.com"
    new = NewLead(country="SG", source=LeadSource.MESSAGE, contact=Contact(name=name, email=email))
    return create_lead(account, new, "platform").id


def test_after_a_transfer_the_agency_endpoint_gets_nothing_and_the_brand_endpoint_gets_the_leads(
    api, pipeline, receiver
):
    # Given an agency's ad account and a brand's Business Center, each with a webhook
    agency, brand = _user("agency"), _user("brand")
    ad_account = api.account(agency)
    bc = api.account(brand, "business_center")
    agency_hook = _webhook(api, ad_account, agency, receiver.url("/agency"))
    brand_hook = _webhook(api, bc, brand, receiver.url("/brand"))
    # And a lead delivered to the agency while it held lead access
    before = api.lead(ad_account, agency, contact={"name": "Ana Before", "email": "ana.before@example.com"})
    pipeline.settle()
    assert [r.json()["lead"]["id"] for r in receiver.received("/agency")] == [before["id"]]
    # And a change captured while the agency's CRM is failing: its retry is pending when access moves
    receiver.answer = lambda n: 500
    pending = _captured_lead(ad_account, "Pat Pending")
    pipeline.pump()
    receiver.answer = lambda n: 200
    sent_before_transfer = len(receiver.received("/agency"))
    # When the agency transfers lead access to the brand
    api.ok("POST", f"/accounts/{ad_account}/lead-access/transfer", agency, expect=201,
           json_body={"business_center_id": bc, "confirm": True})  # fmt: skip
    # And the brand works on the leads, and new ones are captured
    api.ok("PATCH", f"/accounts/{bc}/leads/{before['id']}", brand, json_body={"status": "contacted"})
    after = _captured_lead(ad_account, "Cy After")
    pipeline.settle()
    # Then the agency's endpoint received nothing after the transfer: not the pending retry, not the rest
    agency_requests = receiver.received("/agency")
    assert len(agency_requests) == sent_before_transfer == 2
    assert not any(b"cy.after" in r.body for r in agency_requests)
    # And the pending delivery was closed without another attempt, for lack of access
    log, _ = delivery_store.page(ad_account, agency_hook["id"], 10, None, None, int(clock.epoch()))
    closed = [d for d in log if d.lead_id == pending]
    assert [(d.status, d.last_error, d.attempts) for d in closed] == [("failed", "no_access", 1)]
    # And the brand's endpoint got the changes since the transfer, with the personal data it may see
    brand_requests = receiver.received("/brand")
    seen = {(r.json()["type"], r.json()["lead"]["id"]) for r in brand_requests}
    assert seen == {("lead.updated", before["id"]), ("lead.created", after)}
    assert all(valid_signature(r, brand_hook["secret"]) for r in brand_requests)
    created = next(r.json() for r in brand_requests if r.json()["lead"]["id"] == after)
    assert created["lead"]["contact"]["email"] == "cy.after@example.com" and created["lead"]["account_id"] == ad_account
    # And the agency can no longer read the delivery log of its endpoint
    path = f"/accounts/{ad_account}/integrations/webhooks/{agency_hook['id']}/deliveries"
    assert api.call("GET", path, agency).status == 403


def test_a_business_center_without_a_transfer_gets_nothing_of_an_ad_account(api, pipeline, receiver):
    agency, brand = _user("agency"), _user("brand")
    ad_account = api.account(agency)
    bc = api.account(brand, "business_center")
    _webhook(api, bc, brand, receiver.url("/brand"))
    api.lead(ad_account, agency)
    pipeline.settle()
    assert receiver.received("/brand") == []
