"""CRM integrations: webhook endpoints, status-events settings, the delivery log and replay (issue 9)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field, field_validator

from leadcenter.adapters.status_events import STATUS_EVENT_NAMES
from leadcenter.adapters.transport import MAX_URL_CHARS
from leadcenter.api.accounts import AccountId
from leadcenter.api.schemas import Strict
from leadcenter.domain import crm as domain
from leadcenter.http import caller_id, decode_cursor, encode_cursor
from leadcenter.policy import Access, Action, authorize
from leadcenter.store.deliveries import Delivery
from leadcenter.store.integrations import STATUS_EVENTS_ID, Endpoint

router = Router()
WebhookId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
DeliveryId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]
WebhookEvent = Literal["lead.created", "lead.updated", "lead.deleted"]
DeliveryStatus = Literal["pending", "succeeded", "retrying", "failed"]
Url = Annotated[str, Field(min_length=1, max_length=MAX_URL_CHARS, description="https only; public hosts only")]


def _unique(events: list[str] | None) -> list[str] | None:
    if events is not None and len(set(events)) != len(events):
        raise ValueError("each event at most once")
    return events


class WebhookIn(Strict):
    url: Url
    events: list[WebhookEvent] = Field(min_length=1, max_length=3)

    _events = field_validator("events")(_unique)


class WebhookPatchIn(Strict):
    url: Url | None = None
    events: list[WebhookEvent] | None = Field(default=None, min_length=1, max_length=3)
    enabled: bool | None = Field(default=None, description="true switches a disabled endpoint on again")

    _events = field_validator("events")(_unique)


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[WebhookEvent]
    status: Literal["active", "disabled"]
    enabled: bool
    disabled_reason: str | None = Field(description="why the endpoint was switched off (e.g. failing for 24 h)")
    disabled_at: str | None
    failing_since: str | None = Field(description="start of the current run of failed attempts")
    last_success_at: str | None
    created_at: str | None
    created_by: str | None


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="signs every delivery (X-Signature); shown only now, store it safely")


class WebhookList(BaseModel):
    items: list[WebhookOut]
    next_cursor: str | None = None


class DeliveryOut(BaseModel):
    id: str = Field(description="also the event_id the receiver sees (X-Event-Id)")
    type: str
    lead_id: str
    lead_account_id: str
    lead_version: int
    status: DeliveryStatus
    attempts: int
    last_response_code: int | None
    last_error: str | None
    next_attempt_at: str | None
    occurred_at: str
    created_at: str
    updated_at: str


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None


class StatusEventsIn(Strict):
    url: Url | None = Field(default=None, description="this account's events endpoint; null: the platform default")
    access_token: str | None = Field(
        default=None, max_length=512, description='sent as Access-Token; null keeps the stored one, "" removes it'
    )
    enabled: bool = True


class StatusEventsOut(BaseModel):
    url: str | None
    source: Literal["account", "platform", "off"]
    enabled: bool
    has_access_token: bool
    disabled_reason: str | None
    failing_since: str | None
    mapping: dict[str, str] = Field(description="lead status -> event sent; other statuses send nothing")


def _webhook_out(endpoint: Endpoint) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id,
        url=endpoint.url or "",
        events=sorted(endpoint.events),  # type: ignore[arg-type]
        status="active" if endpoint.enabled else "disabled",
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        failing_since=endpoint.failing_since,
        last_success_at=endpoint.last_success_at,
        created_at=endpoint.created_at,
        created_by=endpoint.created_by,
    )


def _delivery_out(delivery: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        type=delivery.event_type,
        lead_id=delivery.lead_id,
        lead_account_id=delivery.lead_account_id,
        lead_version=delivery.lead_version,
        status=delivery.status,  # type: ignore[arg-type]
        attempts=delivery.attempts,
        last_response_code=delivery.last_response_code,
        last_error=delivery.last_error,
        next_attempt_at=delivery.next_attempt_at,
        occurred_at=delivery.occurred_at,
        created_at=delivery.created_at,
        updated_at=delivery.updated_at,
    )


def _status_events_out(view: domain.StatusEvents) -> StatusEventsOut:
    return StatusEventsOut(
        url=view.url,
        source=view.source,  # type: ignore[arg-type]
        enabled=view.enabled,
        has_access_token=view.has_access_token,
        disabled_reason=view.endpoint.disabled_reason,
        failing_since=view.endpoint.failing_since,
        mapping=STATUS_EVENT_NAMES,
    )


def _access(account_id: str) -> Access:
    return authorize(caller_id(router), account_id, Action.CRM_MANAGE)


def _deliveries(account_id: str, target_id: str, limit: int, cursor: str | None, status: str | None) -> DeliveryList:
    access = _access(account_id)
    fingerprint = f"{target_id}|{status or ''}"
    after = None
    if cursor:
        after = decode_cursor(cursor, lambda p: p.get("f") == fingerprint and isinstance(p.get("k"), str))["k"]
    items, last = domain.list_deliveries(access, target_id, limit=limit, after=after, status=status)
    next_cursor = encode_cursor({"f": fingerprint, "k": last}) if last else None
    return DeliveryList(items=[_delivery_out(d) for d in items], next_cursor=next_cursor)


# ---------------------------------------------------------------------------------------------- webhooks


@router.post("/accounts/<account_id>/integrations/webhooks", summary="Add a webhook endpoint (secret shown once)")
def create_webhook(account_id: AccountId, body: WebhookIn) -> tuple[WebhookCreatedOut, int]:
    endpoint, secret = domain.create_webhook(_access(account_id), body.url, [str(e) for e in body.events])
    return WebhookCreatedOut(**_webhook_out(endpoint).model_dump(), secret=secret), 201


@router.get("/accounts/<account_id>/integrations/webhooks", summary="Webhook endpoints (no secrets)")
def list_webhooks(account_id: AccountId) -> WebhookList:
    return WebhookList(items=[_webhook_out(e) for e in domain.list_webhooks(_access(account_id))])


@router.patch(
    "/accounts/<account_id>/integrations/webhooks/<webhook_id>",
    summary="Change a webhook's URL or events, or switch it on or off",
)
def update_webhook(account_id: AccountId, webhook_id: WebhookId, body: WebhookPatchIn) -> WebhookOut:
    events = [str(e) for e in body.events] if body.events is not None else None
    endpoint = domain.update_webhook(_access(account_id), webhook_id, url=body.url, events=events, enabled=body.enabled)
    return _webhook_out(endpoint)


@router.delete(
    "/accounts/<account_id>/integrations/webhooks/<webhook_id>", summary="Delete a webhook endpoint", status_code=204
)
def delete_webhook(account_id: AccountId, webhook_id: WebhookId) -> tuple[dict[str, Any], int]:
    domain.delete_webhook(_access(account_id), webhook_id)
    return {}, 204


@router.get(
    "/accounts/<account_id>/integrations/webhooks/<webhook_id>/deliveries",
    summary="A webhook's delivery log, newest first (ids, codes and times; no personal data)",
)
def list_webhook_deliveries(
    account_id: AccountId,
    webhook_id: WebhookId,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> DeliveryList:
    return _deliveries(account_id, webhook_id, limit, cursor, status)


@router.post(
    "/accounts/<account_id>/integrations/webhooks/<webhook_id>/deliveries/<delivery_id>/replay",
    summary="Send a delivery again now (same event id)",
)
def replay_webhook_delivery(
    account_id: AccountId, webhook_id: WebhookId, delivery_id: DeliveryId
) -> tuple[DeliveryOut, int]:
    return _delivery_out(domain.replay(_access(account_id), webhook_id, delivery_id)), 202


# ---------------------------------------------------------------------------------------------- status events


@router.get("/accounts/<account_id>/integrations/status-events", summary="Lead status feedback to the ad platform")
def get_status_events(account_id: AccountId) -> StatusEventsOut:
    return _status_events_out(domain.status_events(_access(account_id)))


@router.put("/accounts/<account_id>/integrations/status-events", summary="Set the ad-platform events endpoint")
def put_status_events(account_id: AccountId, body: StatusEventsIn) -> StatusEventsOut:
    view = domain.put_status_events(
        _access(account_id), url=body.url, access_token=body.access_token, enabled=body.enabled
    )
    return _status_events_out(view)


@router.get(
    "/accounts/<account_id>/integrations/status-events/deliveries",
    summary="Status feedback delivery log, newest first",
)
def list_status_event_deliveries(
    account_id: AccountId,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> DeliveryList:
    return _deliveries(account_id, STATUS_EVENTS_ID, limit, cursor, status)


@router.post(
    "/accounts/<account_id>/integrations/status-events/deliveries/<delivery_id>/replay",
    summary="Send a status event again now",
)
def replay_status_event_delivery(account_id: AccountId, delivery_id: DeliveryId) -> tuple[DeliveryOut, int]:
    return _delivery_out(domain.replay(_access(account_id), STATUS_EVENTS_ID, delivery_id)), 202
