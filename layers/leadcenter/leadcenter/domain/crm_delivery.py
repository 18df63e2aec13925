"""The CRM delivery worker's logic: fan a lead change out to its destinations, and make delivery attempts.

Fan-out. A change notice goes to the destinations of whoever holds access to the lead: the ad account itself,
or the Business Center its lead access was transferred to (never both). Each subscribed, enabled webhook gets
one delivery; a status move also gets one to the status-events endpoint when the new status maps to a platform
event. Each delivery is logged (pending) and attempted right away (or queued, when a slow receiver has used up
the fan-out's time). Within one worker invocation (`batch_reads`), the access holder and the endpoints of an account
are read once and shared by the batch's notices, for at most INLINE_SECONDS; nothing outlives the invocation.

Attempt. The destination, the access and the lead are checked again at the moment of sending: an endpoint
switched off or deleted, a lead deleted since, or access transferred away ends the delivery without sending
anything. Otherwise the lead is opened in memory, the adapter sends it, and the outcome is logged. A failure is
retried with exponential backoff and full jitter until 72 h after the change, then the delivery fails and goes
to the dead-letter queue; an endpoint that has not succeeded for 24 h while failing is disabled, with a reason.

Gate. Each attempt first passes its destination's gate (`crm_gate`: a cap on attempts in flight, a circuit
breaker). One that may not pass now is deferred: the same attempt is queued again for when the gate may open,
without a request, a failure or a change to the retry schedule.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from leadcenter import business_metrics, clock, ids
from leadcenter.adapters import DeliveryResult, EventType, LeadEvent, adapter_for, parse_event_type
from leadcenter.adapters.status_events import event_name
from leadcenter.crm_settings import crm_settings
from leadcenter.domain import crm_gate, notifications
from leadcenter.domain import leads as lead_domain
from leadcenter.domain.crm_changes import ChangeNotice
from leadcenter.errors import Throttled
from leadcenter.store import accounts as account_store
from leadcenter.store import crm_queue
from leadcenter.store import deliveries as delivery_store
from leadcenter.store import integrations as integration_store
from leadcenter.store import leads as lead_store
from leadcenter.store.deliveries import Delivery
from leadcenter.store.integrations import STATUS_EVENTS_ID, Endpoint

# A fan-out makes first attempts itself for this long, then queues the rest: a batch of 5 notices stays well
# within the worker's timeout even when a receiver takes its full 10 s.
INLINE_SECONDS = 5.0


class AttemptMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["attempt"] = "attempt"
    key: str
    account_id: str
    target_id: str
    delivery_id: str
    attempt: int
    deferrals: int = 0  # how often the destination's gate has held this attempt back


def attempt_message(delivery: Delivery, attempt: int, *, deferrals: int = 0) -> dict[str, Any]:
    """The message for attempt number `attempt`. Its key makes it idempotent; a deferred attempt gets a key of
    its own, or the idempotency record of the message that deferred it would swallow it."""
    suffix = f"~{deferrals}.{uuid.uuid4().hex[:8]}" if deferrals else ""
    return AttemptMessage(
        key=f"{delivery.id}#{attempt}{suffix}",
        account_id=delivery.account_id,
        target_id=delivery.target_id,
        delivery_id=delivery.id,
        attempt=attempt,
        deferrals=deferrals,
    ).model_dump()


@dataclass(frozen=True)
class Outcome:
    """What a message led to, for the log line: ids and codes only."""

    result: str
    delivery_id: str | None = None
    target_id: str | None = None
    attempt: int | None = None
    status_code: int | None = None
    error: str | None = None
    deliveries: int | None = None
    delivered: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


class RetryLater(Throttled):
    """SQS did not take every message: the queue message is processed again (fan-out and attempts are
    idempotent), or the caller of a replay retries."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retry_after_seconds=1)


# ---------------------------------------------------------------------------------------------- helpers


def access_holder(lead_account_id: str) -> str | None:
    """Whose destinations may receive the lead: the ad account, or the Business Center it transferred to."""
    account = account_store.get_account_or_none(lead_account_id)
    if account is None:
        return None
    return account.lead_access_holder or account.account_id


def status_events_url(endpoint: Endpoint | None) -> str | None:
    """The account's own URL, or the platform default (CRM_EVENTS_ENDPOINT), or None: off."""
    if endpoint is not None and endpoint.url:
        return endpoint.url
    return crm_settings().events_endpoint or None


def status_events_endpoint(account_id: str, stored: Endpoint | None) -> Endpoint:
    return stored or Endpoint(account_id=account_id, id=STATUS_EVENTS_ID, kind="status_events", url=None)


def delivery_id(notice: ChangeNotice, target_id: str, event_type: str) -> str:
    """Time-ordered (the change's time, ULID layout) and derived from what it delivers, so repeats collide."""
    at = clock.parse_iso(notice.occurred_at)
    digest = hashlib.sha256(f"{target_id}|{notice.key}|{event_type}".encode()).hexdigest()[:16].upper()
    return ids.floor(at)[:10] + digest


def backoff_seconds(attempt: int) -> float:
    """Full jitter: uniform between 1 s and min(cap, base * 2^(attempt-1))."""
    config = crm_settings()
    ceiling = min(config.backoff_cap_seconds, config.backoff_base_seconds * 2 ** min(attempt - 1, 40))
    return random.uniform(1.0, max(1.0, ceiling))


# ---------------------------------------------------------------------------------------------- per-batch reads

T = TypeVar("T")


@dataclass
class _BatchReads:
    """What the fan-outs of one invocation read, with when they read it (monotonic)."""

    holders: dict[str, tuple[str | None, float]] = field(default_factory=dict)
    endpoints: dict[str, tuple[list[Endpoint], float]] = field(default_factory=dict)


_batch: ContextVar[_BatchReads | None] = ContextVar("leadcenter_crm_batch_reads", default=None)


@contextmanager
def batch_reads() -> Iterator[None]:
    """For one worker invocation: the fan-outs of its notices share their reads of access holders and endpoints
    (a batch's notices mostly name one or two accounts). Ends with the invocation, so an endpoint created or a
    transfer made before the next one is seen by it. Attempts never use it: they read access and destination
    again at the moment of sending."""
    token = _batch.set(_BatchReads())
    try:
        yield
    finally:
        _batch.reset(token)


def _shared(table: dict[str, tuple[T, float]] | None, key: str, read: Callable[[str], T]) -> tuple[T, float]:
    """(value, when it was read): from this invocation's reads while younger than INLINE_SECONDS, else read now."""
    now = time.monotonic()
    known = table.get(key) if table is not None else None
    if known is not None and now - known[1] < INLINE_SECONDS:
        return known
    found = (read(key), now)
    if table is not None:
        table[key] = found
    return found


def _forget_endpoints(owner: str) -> None:
    """An attempt changed one of `owner`'s endpoints (a failure noted, a run of failures ended, switched off): the
    next fan-out of the batch reads them again, so it sees the endpoint as it is now."""
    batch = _batch.get()
    if batch is not None:
        batch.endpoints.pop(owner, None)


# ---------------------------------------------------------------------------------------------- fan-out


def subscribed(endpoint: Endpoint, form_id: str | None) -> bool:
    """Per-form subscriptions: an endpoint with `form_ids` hears only of leads of those forms."""
    return not endpoint.form_ids or (form_id is not None and form_id in endpoint.form_ids)


def _targets(endpoints: list[Endpoint], owner: str, notice: ChangeNotice) -> list[tuple[Endpoint, EventType]]:
    found: list[tuple[Endpoint, EventType]] = [
        (e, notice.type)
        for e in endpoints
        if e.enabled
        and subscribed(e, notice.form_id)
        and ((e.kind == "webhook" and notice.type in e.events) or e.kind == "salesforce")
    ]
    moved = notice.type == "lead.updated" and notice.status_to != notice.status_from
    if moved and event_name(notice.status_to) is not None:
        stored = next((e for e in endpoints if e.kind == "status_events"), None)
        endpoint = status_events_endpoint(owner, stored)
        if endpoint.enabled and status_events_url(endpoint):
            found.append((endpoint, "lead.status_changed"))
    return found


def fan_out(notice: ChangeNotice) -> Outcome:
    """Logs a delivery per destination and makes first attempts right away (one queue hop fewer for the usual,
    healthy case) until INLINE_SECONDS have gone by since access and destinations were read (in this batch, maybe
    for an earlier notice); the remaining first attempts are queued, and attempts check everything again."""
    batch = _batch.get()
    owner, read_at = _shared(batch.holders if batch else None, notice.account_id, access_holder)
    if owner is None:
        return Outcome("no_account", deliveries=0)
    endpoints, endpoints_at = _shared(batch.endpoints if batch else None, owner, integration_store.list_endpoints)
    now = clock.now()
    stamp = clock.iso(now)
    deadline = int(clock.parse_iso(notice.occurred_at).timestamp()) + crm_settings().retry_window_seconds
    due: list[tuple[Delivery, Endpoint]] = []
    for endpoint, event_type in _targets(endpoints, owner, notice):
        delivery = Delivery(
            id=delivery_id(notice, endpoint.id, event_type),
            account_id=owner,
            target_id=endpoint.id,
            event_type=event_type,
            lead_account_id=notice.account_id,
            lead_id=notice.lead_id,
            lead_version=notice.version,
            status_to=notice.status_to if event_type == "lead.status_changed" else None,
            status="pending",
            occurred_at=notice.occurred_at,
            created_at=stamp,
            updated_at=stamp,
            next_attempt_at=stamp,
            deadline=max(deadline, int(now.timestamp()) + 60),
            expires_at=notice.expires_at,
        )
        if not delivery_store.create(delivery):
            # Fanned out before: attempt again only if the first attempt never ran (a crash after logging).
            logged = delivery_store.get(owner, endpoint.id, delivery.id)
            if logged is None or logged.status != "pending" or logged.attempts:
                continue
            delivery = logged
        due.append((delivery, endpoint))
    started = min(read_at, endpoints_at)
    queued, delivered = [], 0
    for delivery, endpoint in due:
        if time.monotonic() - started < INLINE_SECONDS:
            # The destination is enabled and its owner holds access: both were read less than INLINE_SECONDS ago.
            url = status_events_url(endpoint) if endpoint.kind == "status_events" else endpoint.url
            outcome = _send(delivery, endpoint, url or "", 1)
            delivered += outcome.result == "succeeded"
        else:
            queued.append(attempt_message(delivery, 1))
    if crm_queue.send(queued):
        raise RetryLater("not every first attempt was queued")
    return Outcome("fanned_out", deliveries=len(due), delivered=delivered)


# ---------------------------------------------------------------------------------------------- attempts


def _event(delivery: Delivery, *, named: bool = False) -> LeadEvent | None:
    """The event to send, the lead opened in memory; None when the lead is gone (deleted or expired). `named`
    adds the name of the lead's ad account (Salesforce's Company when the form asked for none)."""
    if delivery.event_type == "lead.test":
        return None  # a test lead is sent once, by the test route, never by the worker
    lead = None
    version = delivery.lead_version
    if delivery.event_type in ("lead.created", "lead.updated"):
        state = lead_store.get(lead_domain.region_of(delivery.lead_id), delivery.lead_account_id, delivery.lead_id)
        if state is None or state.expires_epoch <= clock.epoch():
            return None
        lead = lead_domain.present(state, sorted({delivery.account_id, delivery.lead_account_id}))
        # The lead as it is now: receivers keep the highest version, so an older change sends the newer state.
        version = lead.version
    return LeadEvent(
        event_id=delivery.id,
        type=parse_event_type(delivery.event_type),
        occurred_at=delivery.occurred_at,
        lead_id=delivery.lead_id,
        lead_account_id=delivery.lead_account_id,
        lead_version=version,
        lead=lead,
        status=delivery.status_to,
        account_name=_account_name(delivery.lead_account_id) if named and lead is not None else None,
    )


def _account_name(account_id: str) -> str | None:
    account = account_store.get_account_or_none(account_id)
    return account.name if account is not None else None


def destination(delivery: Delivery) -> tuple[Endpoint | None, str | None]:
    stored = integration_store.get(delivery.account_id, delivery.target_id)
    if delivery.target_id == STATUS_EVENTS_ID:
        endpoint = status_events_endpoint(delivery.account_id, stored)
        return endpoint, status_events_url(endpoint)
    return stored, stored.url if stored is not None else None


def _dead_letter(delivery: Delivery, error: str) -> None:
    ids_only = {"account_id": delivery.account_id, "target_id": delivery.target_id, "delivery_id": delivery.id}
    crm_queue.send_dead_letter({"kind": "failed_delivery", **ids_only, "lead_id": delivery.lead_id, "error": error})


def _close(delivery: Delivery, error: str, *, dead_letter: bool) -> Outcome:
    if delivery_store.close(delivery, error=error, at=clock.iso()) and dead_letter:
        _dead_letter(delivery, error)
    return Outcome("closed", delivery.id, delivery.target_id, error=error)


def attempt(message: AttemptMessage) -> Outcome:
    delivery = delivery_store.get(message.account_id, message.target_id, message.delivery_id)
    if delivery is None:
        return Outcome("unknown_delivery", message.delivery_id, message.target_id)
    if delivery.status in ("succeeded", "failed") or delivery.attempts >= message.attempt:
        return Outcome("stale", delivery.id, delivery.target_id, message.attempt)
    endpoint, url = destination(delivery)
    if endpoint is None or url is None:
        return _close(delivery, "endpoint_deleted", dead_letter=False)
    if not endpoint.enabled:
        return _close(delivery, "endpoint_disabled", dead_letter=True)
    # Access may have moved since the change: nothing about the lead goes to a destination that lost it.
    if access_holder(delivery.lead_account_id) != delivery.account_id:
        return _close(delivery, "no_access", dead_letter=False)
    return _send(delivery, endpoint, url, message.attempt, message.deferrals)


def _send(delivery: Delivery, endpoint: Endpoint, url: str, number: int, deferrals: int = 0) -> Outcome:
    """Attempt number `number`: through the destination's gate, build the event, deliver it through the adapter,
    log it, plan the next one."""
    entry = crm_gate.enter(endpoint.account_id, endpoint.id)
    if isinstance(entry, crm_gate.Wait):
        return _defer(delivery, number, deferrals + 1, entry)
    ok: bool | None = None
    try:
        event = _event(delivery, named=endpoint.kind == "salesforce")
        if event is None:
            return _close(delivery, "lead_deleted", dead_letter=False)
        target = integration_store.open_target(endpoint, url)
        result = adapter_for(endpoint.kind).deliver(target, event)
        ok = result.ok
    finally:
        crm_gate.leave(endpoint.account_id, endpoint.id, entry.lease, ok)
    return _record(delivery, endpoint, number, result)


def _defer(delivery: Delivery, number: int, deferrals: int, wait: crm_gate.Wait) -> Outcome:
    """The gate said not now: the same attempt again later (no request, no failure counted), unless the
    delivery's retry window is over by now. Not before the gate may open, and, from the second deferral on, not
    before a retry's backoff for that many deferrals: waiting deliveries of a long outage or a deep backlog
    follow the retry cadence instead of coming back every cool-down."""
    now = clock.epoch()
    if now >= delivery.deadline:
        business_metrics.crm_delivery("failed")
        # The receiver's last error says what went wrong; the gate only kept a last attempt from being made.
        return _close(delivery, delivery.last_error or wait.reason, dead_letter=True)
    later = now + backoff_seconds(deferrals - 1) if deferrals > 1 else now
    due = min(max(wait.until, later), float(delivery.deadline))
    if crm_queue.send([attempt_message(delivery, number, deferrals=deferrals)], not_before=due):
        raise RetryLater("the deferred attempt was not queued")
    delivery_store.postpone(delivery, next_attempt_at=clock.iso(datetime.fromtimestamp(due, tz=UTC)), at=clock.iso())
    business_metrics.crm_delivery("deferred")
    return Outcome("deferred", delivery.id, delivery.target_id, number, error=wait.reason)


def _record(delivery: Delivery, endpoint: Endpoint, number: int, result: DeliveryResult) -> Outcome:
    """Logs how attempt `number` went; a failure queues the next one (or ends the delivery, or the endpoint)."""
    now = clock.now()
    stamp = clock.iso(now)
    if result.ok:
        delivery_store.record(delivery, attempt=number, status="succeeded", at=stamp, response_code=result.status_code)
        if endpoint.failing_since:
            integration_store.record_success(endpoint, stamp)
            _forget_endpoints(endpoint.account_id)
        business_metrics.crm_delivery("delivered")
        return Outcome("succeeded", delivery.id, delivery.target_id, number, result.status_code)
    error = result.error or "failed"
    failing_since = clock.parse_iso(integration_store.record_failure(endpoint, stamp))
    _forget_endpoints(endpoint.account_id)
    window = timedelta(seconds=crm_settings().disable_after_seconds)
    if now - failing_since >= window:
        reason = _disabled_reason(failing_since, window, result.status_code, error)
        if integration_store.disable(endpoint, reason, stamp):
            notifications.integration_failing(endpoint.account_id, endpoint.id, str(endpoint.kind), stamp)
        business_metrics.crm_delivery("disabled")
        return _fail(delivery, number, stamp, result.status_code, "endpoint_disabled")
    if now.timestamp() >= delivery.deadline:
        business_metrics.crm_delivery("failed")
        return _fail(delivery, number, stamp, result.status_code, error)
    next_at = min(now.timestamp() + backoff_seconds(number), float(delivery.deadline))
    # Queued before it is logged: a crash in between repeats this attempt rather than losing the next one.
    if crm_queue.send([attempt_message(delivery, number + 1)], not_before=next_at):
        raise RetryLater("the next attempt was not queued")
    next_iso = clock.iso(datetime.fromtimestamp(next_at, tz=now.tzinfo))
    delivery_store.record(delivery, attempt=number, status="retrying", at=stamp, response_code=result.status_code,
                          error=error, next_attempt_at=next_iso)  # fmt: skip
    business_metrics.crm_delivery("retried")
    return Outcome("retrying", delivery.id, delivery.target_id, number, result.status_code, error)


def _fail(delivery: Delivery, number: int, stamp: str, code: int | None, error: str) -> Outcome:
    if delivery_store.record(delivery, attempt=number, status="failed", at=stamp, response_code=code, error=error):
        _dead_letter(delivery, error)
    return Outcome("failed", delivery.id, delivery.target_id, number, code, error)


def _disabled_reason(since: datetime, window: timedelta, code: int | None, error: str) -> str:
    last = f"HTTP {code}" if code is not None else error.replace("_", " ")
    hours = int(window.total_seconds() // 3600)
    return (
        f"disabled: no successful delivery for {hours} hours (failing since {clock.iso(since)}); "
        f"last attempt: {last}. Fix the endpoint, then switch it on again (PATCH enabled: true)."
    )


# ---------------------------------------------------------------------------------------------- dispatch


def replay_now(delivery: Delivery) -> None:
    """Queues the next attempt of a delivery for now (the replay route)."""
    if crm_queue.send([attempt_message(delivery, delivery.attempts + 1)]):
        raise RetryLater("the replay was not queued")
