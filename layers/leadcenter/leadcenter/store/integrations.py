"""CRM destinations of an account (home table): webhook endpoints, the status-events endpoint, Salesforce.

Items:  pk ACC#<account>  sk INT#<webhook id>       a webhook endpoint (url, events, sealed secret, health)
        pk ACC#<account>  sk INT#status-events      status feedback settings (url, sealed token, health)
        pk ACC#<account>  sk INT#salesforce         the Salesforce connector (instance url, client id, sealed
                                                    client secret, sealed cached OAuth token, maps, health)

Secrets are sealed with the envelope encryption of lead data (`leadcenter.crypto`) in the home region: a data
key per endpoint, wrapped under the cached home KEK, the ciphertext bound to (account, endpoint). Only the
delivery worker opens them, in memory, for an attempt. No personal data is stored here.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import BinaryAttribute, BooleanAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from leadcenter import clock, crypto
from leadcenter.adapters import Target, TargetKind, parse_target_kind
from leadcenter.config import settings
from leadcenter.errors import Conflict, NotFound
from leadcenter.store._base import table_meta, translate_write_errors
from leadcenter.store.accounts import account_pk

STATUS_EVENTS_ID = "status-events"
SALESFORCE_ID = "salesforce"
_PREFIX = "INT#"


class EndpointItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    target_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    # Status events without a URL of their own use the platform default (CRM_EVENTS_ENDPOINT).
    url = UnicodeAttribute(null=True)
    events = UnicodeSetAttribute(null=True)
    enabled = BooleanAttribute(default=True)
    kek_blob = BinaryAttribute(legacy_encoding=False, null=True)
    wrapped = BinaryAttribute(legacy_encoding=False, null=True)
    secret_ct = BinaryAttribute(legacy_encoding=False, null=True)
    token_ct = BinaryAttribute(legacy_encoding=False, null=True)
    # Only leads of these forms are delivered (absent: every lead).
    form_ids = UnicodeSetAttribute(null=True)
    # Salesforce: the connected app's client id (not a secret), its maps as JSON, and when the token was cached.
    client_id = UnicodeAttribute(null=True)
    options_json = UnicodeAttribute(null=True)
    token_at = UnicodeAttribute(null=True)
    disabled_reason = UnicodeAttribute(null=True)
    disabled_at = UnicodeAttribute(null=True)
    # Health: when the current run of failures began (ISO time; cleared by a success).
    failing_since = UnicodeAttribute(null=True)
    last_success_at = UnicodeAttribute(null=True)
    last_failure_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Sealed:
    """An endpoint's secrets as stored: ciphertext, and the wrapped data key that opens it."""

    kek_blob: bytes
    wrapped: bytes
    secret_ct: bytes | None
    token_ct: bytes | None


@dataclass(frozen=True)
class Endpoint:
    """A destination as stored; its secrets only sealed (opened by `open_target`, for an attempt)."""

    account_id: str
    id: str
    kind: TargetKind
    url: str | None
    events: frozenset[str] = frozenset()
    enabled: bool = True
    has_token: bool = False
    form_ids: frozenset[str] = frozenset()
    client_id: str | None = None
    options: dict[str, Any] = field(default_factory=dict, compare=False)
    token_at: str | None = None
    disabled_reason: str | None = None
    disabled_at: str | None = None
    failing_since: str | None = None
    last_success_at: str | None = None
    last_failure_at: str | None = None
    created_at: str | None = None
    created_by: str | None = None
    updated_at: str | None = None
    sealed: Sealed | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Secrets:
    secret: str = field(default="", repr=False)
    access_token: str | None = field(default=None, repr=False)


def _endpoint(account_id: str, item: EndpointItem) -> Endpoint:
    return Endpoint(
        account_id=account_id,
        id=item.target_id,
        kind=parse_target_kind(item.kind),
        url=item.url,
        events=frozenset(item.events or ()),
        enabled=item.enabled is not False,  # absent on health-only items of the platform default
        has_token=item.token_ct is not None,
        form_ids=frozenset(item.form_ids or ()),
        client_id=item.client_id,
        options=json.loads(item.options_json) if item.options_json else {},
        token_at=item.token_at,
        disabled_reason=item.disabled_reason,
        disabled_at=item.disabled_at,
        failing_since=item.failing_since,
        last_success_at=item.last_success_at,
        last_failure_at=item.last_failure_at,
        created_at=item.created_at,
        created_by=item.created_by,
        updated_at=item.updated_at,
        sealed=Sealed(bytes(item.kek_blob), bytes(item.wrapped), _bytes(item.secret_ct), _bytes(item.token_ct))
        if item.kek_blob is not None and item.wrapped is not None
        else None,
    )


def _bytes(value: bytes | None) -> bytes | None:
    return bytes(value) if value is not None else None


def _key(account_id: str, target_id: str) -> tuple[str, str]:
    return account_pk(account_id), f"{_PREFIX}{target_id}"


def _seal(account_id: str, target_id: str, secrets: Secrets) -> Sealed:
    data_key, wrapped = crypto.new_lead_key(settings().home_region, account_id, target_id)
    cipher = crypto.FieldCipher(data_key, account_id, target_id)
    return Sealed(
        wrapped.kek_blob,
        wrapped.wrapped,
        cipher.seal("secret", secrets.secret) if secrets.secret else None,
        cipher.seal("access_token", secrets.access_token) if secrets.access_token else None,
    )


# ---------------------------------------------------------------------------------------------- reads


def list_endpoints(account_id: str) -> list[Endpoint]:
    """Every destination of the account (webhooks and status events), in one Query."""
    items = EndpointItem.query(account_pk(account_id), EndpointItem.sk.startswith(_PREFIX))
    return [_endpoint(account_id, item) for item in items]


def get(account_id: str, target_id: str) -> Endpoint | None:
    try:
        return _endpoint(account_id, EndpointItem.get(*_key(account_id, target_id), consistent_read=True))
    except DoesNotExist:
        return None


def open_target(endpoint: Endpoint, url: str) -> Target:
    """The destination with its secrets opened (in memory, for one attempt)."""
    sealed = endpoint.sealed
    secret, token = "", None
    if sealed is not None:
        wrapped = crypto.WrappedLeadKey(sealed.kek_blob, sealed.wrapped)
        data_key = crypto.open_lead_key(settings().home_region, endpoint.account_id, endpoint.id, wrapped)
        cipher = crypto.FieldCipher(data_key, endpoint.account_id, endpoint.id)
        secret = cipher.open("secret", sealed.secret_ct) if sealed.secret_ct is not None else ""
        token = cipher.open("access_token", sealed.token_ct) if sealed.token_ct is not None else None
    if endpoint.kind != "salesforce":
        return Target(endpoint.id, endpoint.kind, endpoint.account_id, url, secret, token)
    options = {**endpoint.options, "client_id": endpoint.client_id or ""}
    keep = functools.partial(save_token, endpoint)
    return Target(endpoint.id, endpoint.kind, endpoint.account_id, url, secret, token, options, keep)


# ---------------------------------------------------------------------------------------------- writes


def create(endpoint: Endpoint, secrets: Secrets) -> None:
    pk, sk = _key(endpoint.account_id, endpoint.id)
    sealed = _seal(endpoint.account_id, endpoint.id, secrets)
    item = EndpointItem(
        pk=pk,
        sk=sk,
        target_id=endpoint.id,
        kind=endpoint.kind,
        url=endpoint.url,
        events=set(endpoint.events) or None,
        form_ids=set(endpoint.form_ids) or None,
        client_id=endpoint.client_id,
        options_json=json.dumps(endpoint.options, sort_keys=True) if endpoint.options else None,
        enabled=endpoint.enabled,
        created_at=endpoint.created_at,
        created_by=endpoint.created_by,
        updated_at=endpoint.updated_at,
        kek_blob=sealed.kek_blob,
        wrapped=sealed.wrapped,
        secret_ct=sealed.secret_ct,
        token_ct=sealed.token_ct,
    )
    with translate_write_errors("an endpoint with this id exists"):
        item.save(condition=EndpointItem.pk.does_not_exist())


def put_status_events(
    account_id: str, *, url: str | None, enabled: bool, by: str, at: str, secrets: Secrets | None
) -> None:
    """Replaces the status-events settings; `secrets` None keeps the stored token. Health starts afresh."""
    pk, sk = _key(account_id, STATUS_EVENTS_ID)
    actions: list[Action] = [
        EndpointItem.target_id.set(STATUS_EVENTS_ID),
        EndpointItem.kind.set("status_events"),
        EndpointItem.url.set(url) if url else EndpointItem.url.remove(),
        EndpointItem.enabled.set(enabled),
        EndpointItem.updated_at.set(at),
        EndpointItem.created_by.set(by),
        EndpointItem.disabled_reason.remove(),
        EndpointItem.disabled_at.remove(),
        EndpointItem.failing_since.remove(),
    ]
    if secrets is not None:
        sealed = _seal(account_id, STATUS_EVENTS_ID, secrets)
        actions += [EndpointItem.kek_blob.set(sealed.kek_blob), EndpointItem.wrapped.set(sealed.wrapped)]
        token = sealed.token_ct
        actions.append(EndpointItem.token_ct.set(token) if token else EndpointItem.token_ct.remove())
    EndpointItem(pk=pk, sk=sk).update(actions=actions)


@dataclass(frozen=True)
class Changes:
    """What an update changes (None: left as it is). New secrets re-seal under a new data key; a new URL, client
    id or secret also forgets the cached token (it belonged to the old credentials)."""

    url: str | None = None
    events: frozenset[str] | None = None
    enabled: bool | None = None
    form_ids: frozenset[str] | None = None
    client_id: str | None = None
    options: dict[str, Any] | None = None
    secrets: Secrets | None = field(default=None, repr=False)


def update(account_id: str, target_id: str, changes: Changes, *, at: str) -> Endpoint:
    """Changes what is given; switching an endpoint on clears why it was off and its run of failures."""
    pk, sk = _key(account_id, target_id)
    actions: list[Action] = [EndpointItem.updated_at.set(at)]
    url, events, enabled = changes.url, changes.events, changes.enabled
    if url is not None:
        actions.append(EndpointItem.url.set(url))
    if events is not None:
        actions.append(EndpointItem.events.set(set(events)))
    if changes.form_ids is not None:
        form_ids = set(changes.form_ids)
        actions.append(EndpointItem.form_ids.set(form_ids) if form_ids else EndpointItem.form_ids.remove())
    if changes.client_id is not None:
        actions.append(EndpointItem.client_id.set(changes.client_id))
    if changes.options is not None:
        actions.append(EndpointItem.options_json.set(json.dumps(changes.options, sort_keys=True)))
    if changes.secrets is not None:
        sealed = _seal(account_id, target_id, changes.secrets)
        actions += [EndpointItem.kek_blob.set(sealed.kek_blob), EndpointItem.wrapped.set(sealed.wrapped)]
        secret_ct = sealed.secret_ct
        actions.append(EndpointItem.secret_ct.set(secret_ct) if secret_ct else EndpointItem.secret_ct.remove())
    if changes.secrets is not None or url is not None or changes.client_id is not None:
        actions += [EndpointItem.token_ct.remove(), EndpointItem.token_at.remove()]
    if enabled is not None:
        actions.append(EndpointItem.enabled.set(enabled))
        if enabled:
            actions += [
                EndpointItem.disabled_reason.remove(),
                EndpointItem.disabled_at.remove(),
                EndpointItem.failing_since.remove(),
            ]
    item = EndpointItem(pk=pk, sk=sk)
    try:
        with translate_write_errors("gone"):
            item.update(actions=actions, condition=EndpointItem.pk.exists())
    except Conflict as exc:
        raise NotFound(f"{'webhook ' if target_id.startswith('wh_') else ''}{target_id} not found") from exc
    return _endpoint(account_id, item)


def save_token(endpoint: Endpoint, token: str, at: str | None = None) -> bool:
    """Keeps an access token the adapter obtained, sealed with the endpoint's data key (no KMS call: the key is
    the one its secret is sealed with), for every worker's next attempts. Only while the endpoint's credentials
    are still the ones the token was obtained with; False otherwise (the token is then simply not kept)."""
    sealed = endpoint.sealed
    if sealed is None:
        return False
    wrapped = crypto.WrappedLeadKey(sealed.kek_blob, sealed.wrapped)
    data_key = crypto.open_lead_key(settings().home_region, endpoint.account_id, endpoint.id, wrapped)
    token_ct = crypto.FieldCipher(data_key, endpoint.account_id, endpoint.id).seal("access_token", token)
    pk, sk = _key(endpoint.account_id, endpoint.id)
    actions: list[Action] = [EndpointItem.token_ct.set(token_ct), EndpointItem.token_at.set(at or clock.iso())]
    try:
        with translate_write_errors("credentials changed"):
            EndpointItem(pk=pk, sk=sk).update(actions=actions, condition=EndpointItem.wrapped == sealed.wrapped)
    except Conflict:
        return False
    return True


def delete(account_id: str, target_id: str) -> None:
    """Deletes the endpoint with its wrapped secret; its delivery log stays until it expires (no personal data)."""
    pk, sk = _key(account_id, target_id)
    EndpointItem(pk=pk, sk=sk).delete()


# ---------------------------------------------------------------------------------------------- health


def _identity(endpoint: Endpoint) -> list[Action]:
    # Health updates may create the item (the platform-default status events have none until they fail).
    return [
        EndpointItem.target_id.set(EndpointItem.target_id | endpoint.id),
        EndpointItem.kind.set(EndpointItem.kind | endpoint.kind),
    ]


def record_success(endpoint: Endpoint, at: str) -> None:
    """Ends a run of failures. Called only when one was running, so healthy deliveries cost no write here."""
    pk, sk = _key(endpoint.account_id, endpoint.id)
    EndpointItem(pk=pk, sk=sk).update(
        actions=[*_identity(endpoint), EndpointItem.failing_since.remove(), EndpointItem.last_success_at.set(at)]
    )


def record_failure(endpoint: Endpoint, at: str) -> str:
    """Notes a failed attempt; returns when the current run of failures began (now, if this is the first)."""
    pk, sk = _key(endpoint.account_id, endpoint.id)
    item = EndpointItem(pk=pk, sk=sk)
    item.update(
        actions=[
            *_identity(endpoint),
            EndpointItem.failing_since.set(EndpointItem.failing_since | at),
            EndpointItem.last_failure_at.set(at),
        ]
    )
    return str(item.failing_since or at)


def disable(endpoint: Endpoint, reason: str, at: str) -> bool:
    """Switches a failing endpoint off with the reason its admins see; False when it was off already."""
    pk, sk = _key(endpoint.account_id, endpoint.id)
    switched_on = EndpointItem.enabled.does_not_exist() | (EndpointItem.enabled == True)  # noqa: E712 - pynamodb
    try:
        with translate_write_errors("already disabled"):
            EndpointItem(pk=pk, sk=sk).update(
                actions=[
                    *_identity(endpoint),
                    EndpointItem.enabled.set(False),
                    EndpointItem.disabled_reason.set(reason),
                    EndpointItem.disabled_at.set(at),
                ],
                condition=switched_on,
            )
    except Conflict:
        return False
    return True
