"""Test leads: a clearly marked, made-up lead sent to a destination on demand, answered synchronously.

Like the ad platforms' "mock lead" tools: an admin presses *Send test lead* and sees at once what the CRM
answered (status code, error code). The lead is invented (no one's personal data), its id is `test-<ulid>`, a
webhook receives it as `lead.created` with `"test": true`, Salesforce with LeadSource "LeadCenter Test". One
attempt, through the same adapter, transport (SSRF rules, deadline) and sealed secrets as real deliveries, logged
in the destination's delivery log as `lead.test`. It is not retried or replayed, and it leaves the endpoint's
health (failing_since, disabling) and its gate alone: a test of a broken CRM must not switch it off, and a
disabled one may be tested before it is switched on again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from leadcenter import clock, ids
from leadcenter.adapters import DeliveryResult, LeadEvent, adapter_for
from leadcenter.errors import NotFound
from leadcenter.model import Contact, FormAnswer, FormData, Lead, LeadSource
from leadcenter.policy import Access
from leadcenter.store import accounts as account_store
from leadcenter.store import deliveries as delivery_store
from leadcenter.store import integrations as integration_store
from leadcenter.store.deliveries import Delivery

LOG_DAYS = 30  # a test delivery stays in the log this long


@dataclass(frozen=True)
class SentTest:
    delivery: Delivery
    result: DeliveryResult


def made_up_lead(account_id: str, lead_id: str, at: str) -> Lead:
    """The made-up lead: obviously a test in every field a person reads."""
    expires = clock.iso(clock.parse_iso(at) + timedelta(days=LOG_DAYS))
    return Lead(
        id=lead_id,
        account_id=account_id,
        region="SG",
        source=LeadSource.FORM,
        contact=Contact(name="Test Lead", email="test.lead@example.com", phone="+6580000000"),
        form=FormData(
            form_id="test-form",
            form_name="LeadCenter test form",
            answers=[
                FormAnswer(question="Company name", answer="LeadCenter Test"),
                FormAnswer(question="Message", answer="This is a test lead sent from the Leads Center. Ignore it."),
            ],
        ),
        created_at=at,
        updated_at=at,
        expires_at=expires,
        storage_region="ap-southeast-1",
    )


def send(access: Access, target_id: str) -> SentTest:
    """Sends a test lead to the account's destination `target_id` (a webhook, or Salesforce) and logs it."""
    endpoint = integration_store.get(access.account_id, target_id)
    if endpoint is None or endpoint.kind not in ("webhook", "salesforce") or not endpoint.url:
        raise NotFound(f"{target_id} not found")
    now = clock.now()
    stamp = clock.iso(now)
    lead_id = f"test-{ids.ulid(now).lower()}"
    delivery = Delivery(
        id=ids.ulid(now),
        account_id=access.account_id,
        target_id=endpoint.id,
        event_type="lead.test",
        lead_account_id=access.account_id,
        lead_id=lead_id,
        lead_version=1,
        status="pending",
        occurred_at=stamp,
        created_at=stamp,
        updated_at=stamp,
        deadline=int(now.timestamp()),
        expires_at=int(now.timestamp()) + LOG_DAYS * 86400,
        next_attempt_at=stamp,
    )
    delivery_store.create(delivery)
    account = account_store.get_account_or_none(access.account_id)
    event = LeadEvent(
        event_id=delivery.id,
        type="lead.test",
        occurred_at=stamp,
        lead_id=lead_id,
        lead_account_id=access.account_id,
        lead_version=1,
        lead=made_up_lead(access.account_id, lead_id, stamp),
        account_name=account.name if account is not None else None,
    )
    target = integration_store.open_target(endpoint, endpoint.url)
    result = adapter_for(endpoint.kind).deliver(target, event)
    status = "succeeded" if result.ok else "failed"
    done = clock.iso()
    delivery_store.record(delivery, attempt=1, status=status, at=done, response_code=result.status_code,
                          error=result.error)  # fmt: skip
    logged = replace(delivery, status=status, attempts=1, last_response_code=result.status_code,
                     last_error=result.error, next_attempt_at=None, updated_at=done)  # fmt: skip
    return SentTest(logged, result)
