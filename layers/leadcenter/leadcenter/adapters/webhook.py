"""Signed webhooks: the lead event as JSON, signed like the inbound messaging webhook (CONTRACT.md).

`X-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` with the endpoint's own secret
(`leadcenter.webhook_signature.sign`, the same code that checks inbound events), plus `X-Event-Id` so receivers
can drop repeats: retries and replays of a delivery carry the same event id, and `lead_version` lets them drop
an older state that arrives after a newer one.
"""

from __future__ import annotations

import json
from typing import Any

from leadcenter import clock, webhook_signature
from leadcenter.adapters import DeliveryResult, LeadEvent, Target, transport
from leadcenter.config import settings

USER_AGENT = "leadcenter-webhooks/1"


def payload(event: LeadEvent) -> dict[str, Any]:
    """`{event_id, type, occurred_at, lead, lead_version}`; a deleted lead is named by its ids only. A test lead
    comes as `lead.created` with `"test": true` (and a lead id `test-...`), so the receiver's usual path runs."""
    lead: dict[str, Any] = (
        event.lead.model_dump(mode="json")
        if event.lead is not None
        else {"id": event.lead_id, "account_id": event.lead_account_id}
    )
    sent = {
        "event_id": event.event_id,
        "type": _wire_type(event),
        "occurred_at": event.occurred_at,
        "lead": lead,
        "lead_version": event.lead_version,
    }
    return sent | {"test": True} if event.type == "lead.test" else sent


def _wire_type(event: LeadEvent) -> str:
    return "lead.created" if event.type == "lead.test" else event.type


def signed_request(target: Target, event: LeadEvent) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload(event), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        webhook_signature.HEADER: webhook_signature.sign(target.secret, body, int(clock.epoch())),
        "X-Event-Id": event.event_id,
        "X-Event-Type": _wire_type(event),
    }
    return body, headers


class WebhookAdapter:
    def deliver(self, target: Target, event: LeadEvent) -> DeliveryResult:
        body, headers = signed_request(target, event)
        return transport.post(target.url, body, headers, local_mode=settings().local_mode)
