"""CRM integrations: webhook endpoints, status-events settings, the delivery log and replay (issue 9)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import AliasPath, BaseModel, ConfigDict, Field, field_validator

from leadcenter.adapters.status_events import STATUS_EVENT_NAMES
from leadcenter.adapters.transport import MAX_URL_CHARS
from leadcenter.api.params import AccountId
from leadcenter.api.schemas import Cursor, FromAttributes, Strict
from leadcenter.cursors import Cursors
from leadcenter.domain import crm as domain
from leadcenter.domain import crm_test_leads as test_leads
from leadcenter.http import caller_id
from leadcenter.policy import Access, Action, authorize
from leadcenter.store.integrations import STATUS_EVENTS_ID, Endpoint

router = Router()
TAG = "integrations"
WebhookId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
DeliveryId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]
WebhookEvent = Literal["lead.created", "lead.updated", "lead.deleted"]
DeliveryStatus = Literal["pending", "succeeded", "retrying", "failed"]
# The server also resolves the host and refuses private, loopback and metadata addresses (422 unsafe_url): that
# part no schema can state. (The local runner also takes http://127.0.0.1 and http://localhost.)
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_CHARS,
        description="https only; public hosts only",
        json_schema_extra={"pattern": "^https://[^/?#@\\s]+"},
    ),
]
FormIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]],
    Field(max_length=100, description="only leads of these instant forms are delivered; [] or absent: every lead"),
]


def _unique(events: list[str] | None) -> list[str] | None:
    if events is not None and len(set(events)) != len(events):
        raise ValueError("each event at most once")
    return events


class WebhookIn(Strict):
    url: Url
    events: list[WebhookEvent] = Field(min_length=1, max_length=3, json_schema_extra={"uniqueItems": True})
    form_ids: FormIds | None = None

    _events = field_validator("events")(_unique)


class WebhookPatchIn(Strict):
    url: Url | None = None
    events: list[WebhookEvent] | None = Field(
        default=None, min_length=1, max_length=3, json_schema_extra={"uniqueItems": True}
    )
    enabled: bool | None = Field(default=None, strict=True, description="true switches a disabled endpoint on again")
    form_ids: FormIds | None = None

    _events = field_validator("events")(_unique)


class WebhookOut(FromAttributes):
    id: str
    url: str
    events: list[WebhookEvent]
    form_ids: list[str] = Field(description="per-form subscription; [] means every lead")
    status: Literal["active", "disabled"]
    enabled: bool
    disabled_reason: str | None = Field(description="why the endpoint was switched off (e.g. failing for 24 h)")
    disabled_at: str | None
    failing_since: str | None = Field(description="start of the current run of failed attempts")
    last_success_at: str | None
    created_at: str | None
    created_by: str | None

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, url: str | None) -> str:
        return url or ""

    @field_validator("events", "form_ids", mode="before")
    @classmethod
    def _sorted(cls, events: Iterable[str]) -> list[str]:
        return sorted(events)


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="signs every delivery (X-Signature); shown only now, store it safely")


class WebhookList(BaseModel):
    items: list[WebhookOut]
    next_cursor: str | None = None


class DeliveryOut(FromAttributes):
    id: str = Field(description="also the event_id the receiver sees (X-Event-Id)")
    type: str = Field(validation_alias="event_type")
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


class SentTestOut(BaseModel):
    ok: bool = Field(description="the destination acknowledged the test lead (2xx)")
    status_code: int | None = Field(description="the destination's answer; null when none came (see error_code)")
    # Not `error`: a top-level `error` is the API's error envelope; this answer is a success reporting a failure.
    error_code: str | None = Field(description="e.g. timeout, connection_refused, http_500, salesforce_invalid_field")
    delivery: DeliveryOut = Field(description="the test's entry in the delivery log (type lead.test)")

    @classmethod
    def of(cls, sent: test_leads.SentTest) -> SentTestOut:
        result = sent.result
        delivery = DeliveryOut.model_validate(sent.delivery)
        return cls(ok=result.ok, status_code=result.status_code, error_code=result.error, delivery=delivery)


class StatusEventsIn(Strict):
    url: Url | None = Field(default=None, description="this account's events endpoint; null: the platform default")
    access_token: str | None = Field(
        default=None, max_length=512, description='sent as Access-Token; null keeps the stored one, "" removes it'
    )
    enabled: bool = Field(default=True, strict=True)


class StatusEventsOut(FromAttributes):
    # `mapping` is always sent: documented as required, as it was before it had a default.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    url: str | None
    source: Literal["account", "platform", "off"]
    enabled: bool
    has_access_token: bool
    disabled_reason: str | None = Field(validation_alias=AliasPath("endpoint", "disabled_reason"))
    failing_since: str | None = Field(validation_alias=AliasPath("endpoint", "failing_since"))
    mapping: dict[str, str] = Field(
        default_factory=lambda: dict(STATUS_EVENT_NAMES),
        description="lead status -> event sent; other statuses send nothing",
    )


def _webhook_attributes(endpoint: Endpoint) -> dict[str, Any]:
    """The endpoint's attributes, with its status as the API names it."""
    return vars(endpoint) | {"status": "active" if endpoint.enabled else "disabled"}


def _webhook_out(endpoint: Endpoint) -> WebhookOut:
    return WebhookOut.model_validate(_webhook_attributes(endpoint))


def _access(account_id: str) -> Access:
    return authorize(caller_id(router), account_id, Action.CRM_MANAGE)


def _deliveries(account_id: str, target_id: str, limit: int, cursor: str | None, status: str | None) -> DeliveryList:
    access = _access(account_id)
    cursors = Cursors("deliveries", access.account_id, f"{target_id}|{status or ''}")
    items, last = domain.list_deliveries(access, target_id, limit=limit, after=cursors.after(cursor), status=status)
    return DeliveryList(items=[DeliveryOut.model_validate(d) for d in items], next_cursor=cursors.issue(last))


# ---------------------------------------------------------------------------------------------- webhooks


@router.post(
    "/accounts/<account_id>/integrations/webhooks",
    operation_id="createWebhook",
    tags=[TAG],
    summary="Add a webhook endpoint (secret shown once)",
    status_code=201,
)
def create_webhook(account_id: AccountId, body: WebhookIn) -> tuple[WebhookCreatedOut, int]:
    events = [str(e) for e in body.events]
    endpoint, secret = domain.create_webhook(_access(account_id), body.url, events, body.form_ids)
    return WebhookCreatedOut.model_validate(_webhook_attributes(endpoint) | {"secret": secret}), 201


@router.get(
    "/accounts/<account_id>/integrations/webhooks",
    operation_id="listWebhooks",
    tags=[TAG],
    summary="Webhook endpoints (no secrets)",
)
def list_webhooks(account_id: AccountId) -> WebhookList:
    return WebhookList(items=[_webhook_out(e) for e in domain.list_webhooks(_access(account_id))])


@router.patch(
    "/accounts/<account_id>/integrations/webhooks/<webhook_id>",
    operation_id="patchWebhook",
    tags=[TAG],
    summary="Change a webhook's URL or events, or switch it on or off",
)
def update_webhook(account_id: AccountId, webhook_id: WebhookId, body: WebhookPatchIn) -> WebhookOut:
    events = [str(e) for e in body.events] if body.events is not None else None
    endpoint = domain.update_webhook(
        _access(account_id), webhook_id, url=body.url, events=events, enabled=body.enabled, form_ids=body.form_ids
    )
    return _webhook_out(endpoint)


@router.post(
    "/accounts/<account_id>/integrations/webhooks/<webhook_id>/test",
    operation_id="testWebhook",
    tags=[TAG],
    summary="Send a test lead now and report the answer (logged as lead.test)",
)
def test_webhook(account_id: AccountId, webhook_id: WebhookId) -> SentTestOut:
    access = _access(account_id)
    domain.get_webhook(access, webhook_id)
    return SentTestOut.of(test_leads.send(access, webhook_id))


@router.delete(
    "/accounts/<account_id>/integrations/webhooks/<webhook_id>",
    operation_id="deleteWebhook",
    tags=[TAG],
    summary="Delete a webhook endpoint",
    status_code=204,
)
def delete_webhook(account_id: AccountId, webhook_id: WebhookId) -> tuple[dict[str, Any], int]:
    domain.delete_webhook(_access(account_id), webhook_id)
    return {}, 204


@router.get(
    "/accounts/<account_id>/integrations/webhooks/<webhook_id>/deliveries",
    operation_id="listWebhookDeliveries",
    tags=[TAG],
    summary="A webhook's delivery log, newest first (ids, codes and times; no personal data)",
)
def list_webhook_deliveries(
    account_id: AccountId,
    webhook_id: WebhookId,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> DeliveryList:
    return _deliveries(account_id, webhook_id, limit, cursor, status)


@router.post(
    "/accounts/<account_id>/integrations/webhooks/<webhook_id>/deliveries/<delivery_id>/replay",
    operation_id="replayWebhookDelivery",
    tags=[TAG],
    summary="Send a delivery again now (same event id)",
)
def replay_webhook_delivery(
    account_id: AccountId, webhook_id: WebhookId, delivery_id: DeliveryId
) -> tuple[DeliveryOut, int]:
    return DeliveryOut.model_validate(domain.replay(_access(account_id), webhook_id, delivery_id)), 202


# ---------------------------------------------------------------------------------------------- status events


@router.get(
    "/accounts/<account_id>/integrations/status-events",
    operation_id="getStatusEvents",
    tags=[TAG],
    summary="Lead status feedback to the ad platform",
)
def get_status_events(account_id: AccountId) -> StatusEventsOut:
    return StatusEventsOut.model_validate(domain.status_events(_access(account_id)))


@router.put(
    "/accounts/<account_id>/integrations/status-events",
    operation_id="putStatusEvents",
    tags=[TAG],
    summary="Set the ad-platform events endpoint",
)
def put_status_events(account_id: AccountId, body: StatusEventsIn) -> StatusEventsOut:
    view = domain.put_status_events(
        _access(account_id), url=body.url, access_token=body.access_token, enabled=body.enabled
    )
    return StatusEventsOut.model_validate(view)


@router.get(
    "/accounts/<account_id>/integrations/status-events/deliveries",
    operation_id="listStatusEventDeliveries",
    tags=[TAG],
    summary="Status feedback delivery log, newest first",
)
def list_status_event_deliveries(
    account_id: AccountId,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> DeliveryList:
    return _deliveries(account_id, STATUS_EVENTS_ID, limit, cursor, status)


@router.post(
    "/accounts/<account_id>/integrations/status-events/deliveries/<delivery_id>/replay",
    operation_id="replayStatusEventDelivery",
    tags=[TAG],
    summary="Send a status event again now",
)
def replay_status_event_delivery(account_id: AccountId, delivery_id: DeliveryId) -> tuple[DeliveryOut, int]:
    return DeliveryOut.model_validate(domain.replay(_access(account_id), STATUS_EVENTS_ID, delivery_id)), 202
