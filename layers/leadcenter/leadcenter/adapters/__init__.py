"""The delivery seam of the CRM sync: one small interface for every kind of destination.

The change feed and the delivery worker (`leadcenter.domain.crm_delivery`) know only `DeliveryAdapter`: they
hand it an opened `Target` and a `LeadEvent` and record the `DeliveryResult`. A webhook signs and posts the
event; the ad platform's events API gets a status event. A further destination (say Salesforce) is one module
here with a class that has `deliver`, and one line in `adapter_for` (as `salesforce` is); the leads code and
the change feed stay as they are. Retries, backoff, the delivery log and disabling a failing endpoint are the
worker's, not the adapter's: an adapter makes one attempt and says how it went.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import TypeAdapter

from leadcenter.model import Lead

TargetKind = Literal["webhook", "status_events", "salesforce"]
# `lead.test`: a made-up lead an admin sends on demand (POST .../test), never a change of a real one.
EventType = Literal["lead.created", "lead.updated", "lead.deleted", "lead.status_changed", "lead.test"]
_TARGET_KIND: TypeAdapter[TargetKind] = TypeAdapter(TargetKind)
_EVENT_TYPE: TypeAdapter[EventType] = TypeAdapter(EventType)


def parse_target_kind(stored: str) -> TargetKind:
    """A stored kind as its type; one no version of this code wrote is an error (ValidationError)."""
    return _TARGET_KIND.validate_python(stored)


def parse_event_type(stored: str) -> EventType:
    """A stored event type as its type; one no version of this code wrote is an error (ValidationError)."""
    return _EVENT_TYPE.validate_python(stored)


@dataclass(frozen=True)
class Target:
    """Where one attempt goes. Secrets are opened for the attempt and live only in memory."""

    id: str
    kind: TargetKind
    account_id: str
    url: str
    secret: str = field(default="", repr=False)
    access_token: str | None = field(default=None, repr=False)
    # Settings of the destination beyond its URL (Salesforce: client id, status and field maps), no secrets.
    options: Mapping[str, Any] = field(default_factory=dict)
    # Keeps a new access token the adapter obtained (Salesforce's OAuth token), sealed, for later attempts.
    save_token: Callable[[str], object] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class LeadEvent:
    """A lead change, as destinations are told about it."""

    event_id: str
    type: EventType
    occurred_at: str
    lead_id: str
    lead_account_id: str
    lead_version: int
    # The whole lead as the API shows it, opened in memory for this attempt; None once deleted (shredded).
    lead: Lead | None = field(default=None, repr=False)
    status: str | None = None
    # The name of the lead's ad account (Salesforce's Company when the form asked for none).
    account_name: str | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """How one attempt went. `error` is a code of ours (never text from the receiver, which could hold data)."""

    ok: bool
    status_code: int | None = None
    error: str | None = None


class DeliveryAdapter(Protocol):
    def deliver(self, target: Target, event: LeadEvent) -> DeliveryResult: ...


def adapter_for(kind: TargetKind) -> DeliveryAdapter:
    from leadcenter.adapters.salesforce import SalesforceAdapter
    from leadcenter.adapters.status_events import StatusEventsAdapter
    from leadcenter.adapters.webhook import WebhookAdapter

    adapters: dict[str, DeliveryAdapter] = {
        "webhook": WebhookAdapter(),
        "status_events": StatusEventsAdapter(),
        "salesforce": SalesforceAdapter(),
    }
    return adapters[kind]
