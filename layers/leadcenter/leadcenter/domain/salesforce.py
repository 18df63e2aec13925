"""The Salesforce connector of an account: connect, read, change, disconnect (issue "4 of 6").

One connector per account (ad account or Business Center), a destination like a webhook: the same change feed,
delivery worker, retries, log, replay, gate and disabling, through `adapters.salesforce`. Who: as for webhooks
(`Action.CRM_MANAGE`). The client secret is sealed at once (`store.integrations`) and never shown again; the
OAuth token the adapter obtains is cached sealed with the connector, so every worker reuses it until Salesforce
answers 401. The instance URL must be a Salesforce address outside the local runner and passes the SSRF rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadcenter import clock
from leadcenter.adapters import salesforce as adapter
from leadcenter.adapters.salesforce_record import DEFAULT_STATUS_MAP, field_map_problem
from leadcenter.config import settings
from leadcenter.errors import Conflict, NotFound, Unprocessable
from leadcenter.policy import Access
from leadcenter.store import integrations as store
from leadcenter.store.integrations import SALESFORCE_ID, Changes, Endpoint, Secrets

EVENTS = frozenset({"lead.created", "lead.updated", "lead.deleted"})


@dataclass(frozen=True)
class Settings:
    """What an admin sends (None: not given)."""

    instance_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    status_map: dict[str, str] | None = None
    field_map: dict[str, str] | None = None
    form_ids: list[str] | None = None
    enabled: bool | None = None


def _instance_url(url: str) -> str:
    return adapter.instance_url(url, local_mode=settings().local_mode)


def _check_maps(wanted: Settings) -> None:
    if wanted.status_map is not None:
        unknown = sorted(set(wanted.status_map) - set(DEFAULT_STATUS_MAP))
        if unknown:
            raise Unprocessable(f"status_map: {', '.join(unknown)} is not a lead status", field="status_map")
    if wanted.field_map is not None and (problem := field_map_problem(wanted.field_map)):
        raise Unprocessable(f"field_map: {problem}", field="field_map")


def status_map(endpoint: Endpoint) -> dict[str, str]:
    """The status map in force: the defaults, with the connector's own entries over them."""
    return {**DEFAULT_STATUS_MAP, **endpoint.options.get("status_map", {})}


def connect(access: Access, wanted: Settings) -> Endpoint:
    if not (wanted.instance_url and wanted.client_id and wanted.client_secret):
        raise Unprocessable("instance_url, client_id and client_secret are needed", field="client_secret")
    url = _instance_url(wanted.instance_url)
    _check_maps(wanted)
    now = clock.iso()
    endpoint = Endpoint(
        account_id=access.account_id,
        id=SALESFORCE_ID,
        kind="salesforce",
        url=url,
        events=EVENTS,
        enabled=True,
        form_ids=frozenset(wanted.form_ids or ()),
        client_id=wanted.client_id,
        options={"status_map": wanted.status_map or {}, "field_map": wanted.field_map or {}},
        created_at=now,
        created_by=access.caller,
        updated_at=now,
    )
    try:
        store.create(endpoint, Secrets(secret=wanted.client_secret))
    except Conflict as exc:
        raise Conflict("Salesforce is connected already: change it with PATCH, or DELETE it first") from exc
    return endpoint


def get(access: Access) -> Endpoint:
    endpoint = store.get(access.account_id, SALESFORCE_ID)
    if endpoint is None or endpoint.kind != "salesforce":
        raise NotFound("Salesforce is not connected")
    return endpoint


def update(access: Access, wanted: Settings) -> Endpoint:
    """Changes what is given; `enabled: true` switches a connector disabled for failing on again. A new instance
    URL, client id or secret forgets the cached token."""
    current = get(access)
    _check_maps(wanted)
    options = None
    if wanted.status_map is not None or wanted.field_map is not None:
        options = dict(current.options)
        if wanted.status_map is not None:
            options["status_map"] = wanted.status_map
        if wanted.field_map is not None:
            options["field_map"] = wanted.field_map
    url = _instance_url(wanted.instance_url) if wanted.instance_url is not None else None
    secrets = None
    if wanted.client_secret is not None:
        secrets = Secrets(secret=wanted.client_secret)
    elif url is not None and url != current.url:
        # As with status events: the stored secret is never sent to a new address on its own.
        raise Unprocessable(
            "client_secret: changing the instance_url needs the client secret again", field="client_secret"
        )
    changes = Changes(
        url=url if url != current.url else None,
        enabled=wanted.enabled,
        form_ids=frozenset(wanted.form_ids) if wanted.form_ids is not None else None,
        client_id=wanted.client_id if wanted.client_id != current.client_id else None,
        options=options,
        secrets=secrets,
    )
    return store.update(access.account_id, SALESFORCE_ID, changes, at=clock.iso())


def disconnect(access: Access) -> None:
    """Deletes the connector with its sealed secret and token; its delivery log stays until it expires. Records
    already in Salesforce stay there (they are the org's now)."""
    get(access)
    store.delete(access.account_id, SALESFORCE_ID)
