"""CRM integrations of an account: webhook endpoints, status-events settings, the delivery log and replay.

Who: ad-account admins, or Business Center members with the `crm` scope (policy `Action.CRM_MANAGE`); after a
lead-access transfer the ad account's own users manage nothing here (its leads now reach the BC's endpoints).
A webhook's signing secret is generated here, shown once in the answer to its creation and stored sealed
(`store.integrations`). URLs are checked against SSRF when saved (`adapters.transport.vet`) and again at every
attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadcenter import clock, ids
from leadcenter.adapters import transport
from leadcenter.config import settings
from leadcenter.crm_settings import crm_settings
from leadcenter.domain import crm_delivery
from leadcenter.errors import Conflict, NotFound, Unprocessable
from leadcenter.policy import Access
from leadcenter.store import deliveries as delivery_store
from leadcenter.store import integrations as store
from leadcenter.store.deliveries import Delivery
from leadcenter.store.integrations import SALESFORCE_ID, STATUS_EVENTS_ID, Endpoint, Secrets

WEBHOOK_EVENTS = ("lead.created", "lead.updated", "lead.deleted")


def _check_url(url: str) -> str:
    transport.vet(url, local_mode=settings().local_mode)
    return url.strip()


# ---------------------------------------------------------------------------------------------- webhooks


def create_webhook(
    access: Access, url: str, events: list[str], form_ids: list[str] | None = None
) -> tuple[Endpoint, str]:
    """The new endpoint and its signing secret (returned this once; stored sealed)."""
    checked = _check_url(url)
    webhooks = [e for e in store.list_endpoints(access.account_id) if e.kind == "webhook"]
    limit = crm_settings().max_webhooks_per_account
    if len(webhooks) >= limit:
        raise Unprocessable(f"an account has at most {limit} webhooks; delete one first", field="url")
    now = clock.iso()
    endpoint = Endpoint(
        account_id=access.account_id,
        id=f"wh_{ids.ulid().lower()}",
        kind="webhook",
        url=checked,
        events=frozenset(events),
        form_ids=frozenset(form_ids or ()),
        created_at=now,
        created_by=access.caller,
        updated_at=now,
    )
    secret = f"whsec_{ids.token(32)}"
    store.create(endpoint, Secrets(secret=secret))
    return endpoint, secret


def list_webhooks(access: Access) -> list[Endpoint]:
    webhooks = [e for e in store.list_endpoints(access.account_id) if e.kind == "webhook"]
    return sorted(webhooks, key=lambda e: e.id)


def get_webhook(access: Access, webhook_id: str) -> Endpoint:
    endpoint = store.get(access.account_id, webhook_id) if webhook_id.startswith("wh_") else None
    if endpoint is None or endpoint.kind != "webhook":
        raise NotFound(f"webhook {webhook_id} not found")
    return endpoint


def update_webhook(
    access: Access,
    webhook_id: str,
    *,
    url: str | None,
    events: list[str] | None,
    enabled: bool | None,
    form_ids: list[str] | None = None,
) -> Endpoint:
    """Switching an endpoint on again (after it was disabled for failing) clears the reason and its failures.
    `form_ids` [] delivers every lead again."""
    get_webhook(access, webhook_id)
    changes = store.Changes(
        url=_check_url(url) if url is not None else None,
        events=frozenset(events) if events is not None else None,
        enabled=enabled,
        form_ids=frozenset(form_ids) if form_ids is not None else None,
    )
    return store.update(access.account_id, webhook_id, changes, at=clock.iso())


def delete_webhook(access: Access, webhook_id: str) -> None:
    get_webhook(access, webhook_id)
    store.delete(access.account_id, webhook_id)


# ---------------------------------------------------------------------------------------------- status events


@dataclass(frozen=True)
class StatusEvents:
    """Status feedback as it applies to the account: its own endpoint, the platform default, or off."""

    url: str | None
    source: str  # "account" | "platform" | "off"
    enabled: bool
    has_access_token: bool
    endpoint: Endpoint


def _status_events(account_id: str) -> StatusEvents:
    endpoint = crm_delivery.status_events_endpoint(account_id, store.get(account_id, STATUS_EVENTS_ID))
    url = crm_delivery.status_events_url(endpoint)
    source = "account" if endpoint.url else ("platform" if url else "off")
    return StatusEvents(url, source, endpoint.enabled and url is not None, endpoint.has_token, endpoint)


def status_events(access: Access) -> StatusEvents:
    return _status_events(access.account_id)


def put_status_events(access: Access, *, url: str | None, access_token: str | None, enabled: bool) -> StatusEvents:
    """Replaces the settings: a URL of the account's own (None: the platform default, if any), an optional
    access token (None keeps the stored one; "" removes it), and whether feedback is sent at all.

    A stored token is kept only while the URL stays the same: a change of URL must send the token again (or ""),
    so a stolen session cannot point the account's token at a host of its choosing."""
    checked = _check_url(url) if url else None
    current = store.get(access.account_id, STATUS_EVENTS_ID)
    if access_token is None and current is not None and current.has_token and (current.url or None) != checked:
        raise Unprocessable(
            'access_token: changing the url needs the access token again (or "" to send none): the stored token '
            "is never sent to a new address on its own",
            field="access_token",
        )
    secrets = None if access_token is None else Secrets(access_token=access_token or None)
    store.put_status_events(
        access.account_id, url=checked, enabled=enabled, by=access.caller, at=clock.iso(), secrets=secrets
    )
    return _status_events(access.account_id)


# ---------------------------------------------------------------------------------------------- delivery log


def _target(access: Access, target_id: str) -> None:
    if target_id == SALESFORCE_ID:
        if store.get(access.account_id, SALESFORCE_ID) is None:
            raise NotFound("Salesforce is not connected")
    elif target_id != STATUS_EVENTS_ID:
        get_webhook(access, target_id)


def list_deliveries(
    access: Access, target_id: str, *, limit: int, after: str | None, status: str | None
) -> tuple[list[Delivery], str | None]:
    """Newest first; and the delivery id to continue after (None at the end)."""
    _target(access, target_id)
    return delivery_store.page(access.account_id, target_id, limit, after, status, int(clock.epoch()))


def replay(access: Access, target_id: str, delivery_id: str) -> Delivery:
    """Queues the delivery's next attempt now, with a fresh retry window; it carries the same event id."""
    _target(access, target_id)
    delivery = delivery_store.get(access.account_id, target_id, delivery_id)
    if delivery is None or delivery.expires_at <= clock.epoch():
        raise NotFound(f"delivery {delivery_id} not found")
    if delivery.event_type == "lead.test":
        raise Conflict("a test lead is not replayed; send a new one (POST .../test)")
    endpoint, url = crm_delivery.destination(delivery)
    if endpoint is None or url is None:
        raise Conflict("the destination has no URL; set one before replaying")
    if not endpoint.enabled:
        raise Conflict("the endpoint is disabled; switch it on (PATCH enabled: true) before replaying")
    now = clock.now()
    reopened = delivery_store.reopen(
        delivery, at=clock.iso(now), deadline=int(now.timestamp()) + crm_settings().retry_window_seconds
    )
    crm_delivery.replay_now(reopened)
    return reopened
