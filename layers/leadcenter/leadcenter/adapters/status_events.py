"""Status feedback to the ad platform, in the shape of the TikTok Events API.

When sales moves a lead on, the platform learns it (to optimise delivery towards leads that convert):
`{event_source: "crm", event_source_id: <ad account>, data: [{event, event_time, event_id, lead: {lead_id}}]}`,
with the account's access token in `Access-Token` when one is set. Only the lead id travels, never personal
data. `raw` maps to nothing: a new lead is not news to the platform that produced it.
"""

from __future__ import annotations

import json
from typing import Any

from leadcenter import clock
from leadcenter.adapters import DeliveryResult, LeadEvent, Target, transport
from leadcenter.config import settings

# Lead status -> the platform's event name (README, "CRM sync").
STATUS_EVENT_NAMES: dict[str, str] = {
    "contacted": "Contacted",
    "qualified": "QualifiedLead",
    "unqualified": "UnqualifiedLead",
    "converted": "Converted",
}


def event_name(status: str | None) -> str | None:
    return STATUS_EVENT_NAMES.get(status or "")


def payload(event: LeadEvent) -> dict[str, Any]:
    name = event_name(event.status)
    if name is None:
        raise ValueError(f"status {event.status!r} has no platform event")
    return {
        "event_source": "crm",
        "event_source_id": event.lead_account_id,
        "data": [
            {
                "event": name,
                "event_time": int(clock.parse_iso(event.occurred_at).timestamp()),
                "event_id": event.event_id,
                "lead": {"lead_id": event.lead_id},
            }
        ],
    }


class StatusEventsAdapter:
    def deliver(self, target: Target, event: LeadEvent) -> DeliveryResult:
        body = json.dumps(payload(event), separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": "leadcenter-crm-events/1"}
        if target.access_token:
            headers["Access-Token"] = target.access_token
        return transport.post(target.url, body, headers, local_mode=settings().local_mode)
