"""The CRM delivery log (home table): one item per lead change per destination. Ids, codes and times only.

Items:  pk INTD#<owner account>#<target id>  sk D#<delivery id>

Delivery ids start with the change's time (ULID layout), so a Query in descending key order lists the newest
first; the rest of the id is derived from (destination, lead, version, type), so a change that is fanned out
twice (a redelivered notice) names the same delivery and is logged once. Every item carries the lead's
`expires_at`: the log expires with the lead (TTL), and reads hide what TTL has not removed yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.errors import Conflict
from leadcenter.store._base import table_meta, translate_write_errors


class DeliveryItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    delivery_id = UnicodeAttribute()
    account_id = UnicodeAttribute()  # the destination's owner
    target_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    lead_account_id = UnicodeAttribute()
    lead_id = UnicodeAttribute()
    lead_version = NumberAttribute()
    status_to = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    last_response_code = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    next_attempt_at = UnicodeAttribute(null=True)
    occurred_at = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    deadline = NumberAttribute()  # epoch seconds: no retry is scheduled after this
    expires_at = NumberAttribute()


@dataclass(frozen=True)
class Delivery:
    id: str
    account_id: str
    target_id: str
    event_type: str
    lead_account_id: str
    lead_id: str
    lead_version: int
    status: str
    occurred_at: str
    created_at: str
    updated_at: str
    deadline: int
    expires_at: int
    status_to: str | None = None
    attempts: int = 0
    last_response_code: int | None = None
    last_error: str | None = None
    next_attempt_at: str | None = None


def _pk(account_id: str, target_id: str) -> str:
    return f"INTD#{account_id}#{target_id}"


def _delivery(item: DeliveryItem) -> Delivery:
    return Delivery(
        id=item.delivery_id,
        account_id=item.account_id,
        target_id=item.target_id,
        event_type=item.event_type,
        lead_account_id=item.lead_account_id,
        lead_id=item.lead_id,
        lead_version=int(item.lead_version),
        status=item.status,
        occurred_at=item.occurred_at,
        created_at=item.created_at,
        updated_at=item.updated_at,
        deadline=int(item.deadline),
        expires_at=int(item.expires_at),
        status_to=item.status_to,
        attempts=int(item.attempts or 0),
        last_response_code=int(item.last_response_code) if item.last_response_code is not None else None,
        last_error=item.last_error,
        next_attempt_at=item.next_attempt_at,
    )


def create(delivery: Delivery) -> bool:
    """Logs a new delivery; False when this change was logged for this destination already."""
    item = DeliveryItem(
        pk=_pk(delivery.account_id, delivery.target_id),
        sk=f"D#{delivery.id}",
        delivery_id=delivery.id,
        account_id=delivery.account_id,
        target_id=delivery.target_id,
        event_type=delivery.event_type,
        lead_account_id=delivery.lead_account_id,
        lead_id=delivery.lead_id,
        lead_version=delivery.lead_version,
        status_to=delivery.status_to,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        occurred_at=delivery.occurred_at,
        created_at=delivery.created_at,
        updated_at=delivery.updated_at,
        deadline=delivery.deadline,
        expires_at=delivery.expires_at,
    )
    try:
        with translate_write_errors("logged already"):
            item.save(condition=DeliveryItem.pk.does_not_exist())
    except Conflict:
        return False
    return True


def get(account_id: str, target_id: str, delivery_id: str) -> Delivery | None:
    try:
        return _delivery(DeliveryItem.get(_pk(account_id, target_id), f"D#{delivery_id}", consistent_read=True))
    except DoesNotExist:
        return None


def page(
    account_id: str, target_id: str, limit: int, after: str | None, status: str | None, now_epoch: int
) -> tuple[list[Delivery], str | None]:
    """Newest first, at most `limit`, after the delivery id `after`; and the id to continue after (None: the end)."""
    range_condition = DeliveryItem.sk < f"D#{after}" if after else DeliveryItem.sk.startswith("D#")
    condition = DeliveryItem.expires_at > now_epoch
    if status:
        condition &= DeliveryItem.status == status
    found: list[Delivery] = []
    start: dict[str, Any] | None = None
    while len(found) <= limit:
        result = DeliveryItem.query(
            _pk(account_id, target_id),
            range_key_condition=range_condition,
            filter_condition=condition,
            scan_index_forward=False,
            limit=limit + 1 - len(found),
            page_size=max(limit + 1, 25),
            last_evaluated_key=start,
        )
        found += [_delivery(item) for item in result]
        start = result.last_evaluated_key
        if start is None:
            break
    items = found[:limit]
    return items, items[-1].id if len(found) > limit else None


def record(
    delivery: Delivery,
    *,
    attempt: int,
    status: str,
    at: str,
    response_code: int | None = None,
    error: str | None = None,
    next_attempt_at: str | None = None,
) -> bool:
    """Writes the outcome of attempt number `attempt`; False when a later attempt was recorded meanwhile."""
    actions: list[Action] = [
        DeliveryItem.attempts.set(attempt),
        DeliveryItem.status.set(status),
        DeliveryItem.updated_at.set(at),
        DeliveryItem.last_response_code.set(response_code)
        if response_code is not None
        else DeliveryItem.last_response_code.remove(),
        DeliveryItem.last_error.set(error) if error else DeliveryItem.last_error.remove(),
        DeliveryItem.next_attempt_at.set(next_attempt_at) if next_attempt_at else DeliveryItem.next_attempt_at.remove(),
    ]
    target = DeliveryItem(pk=_pk(delivery.account_id, delivery.target_id), sk=f"D#{delivery.id}")
    try:
        with translate_write_errors("a later attempt was recorded"):
            target.update(actions=actions, condition=DeliveryItem.attempts < attempt)
    except Conflict:
        return False
    return True


def close(delivery: Delivery, *, error: str, at: str) -> bool:
    """Ends a delivery without an attempt (the destination or the lead is gone, or access moved): failed."""
    target = DeliveryItem(pk=_pk(delivery.account_id, delivery.target_id), sk=f"D#{delivery.id}")
    try:
        with translate_write_errors("changed meanwhile"):
            target.update(
                actions=[
                    DeliveryItem.status.set("failed"),
                    DeliveryItem.last_error.set(error),
                    DeliveryItem.updated_at.set(at),
                    DeliveryItem.next_attempt_at.remove(),
                ],
                condition=DeliveryItem.attempts == delivery.attempts,
            )
    except Conflict:
        return False
    return True


def postpone(delivery: Delivery, *, next_attempt_at: str, at: str) -> bool:
    """A deferred attempt (the destination's gate was shut): when it comes now. False when an attempt was
    recorded meanwhile (that attempt's own plan stands)."""
    target = DeliveryItem(pk=_pk(delivery.account_id, delivery.target_id), sk=f"D#{delivery.id}")
    waiting = (DeliveryItem.attempts == delivery.attempts) & DeliveryItem.status.is_in("pending", "retrying")
    try:
        with translate_write_errors("changed meanwhile"):
            target.update(
                actions=[DeliveryItem.next_attempt_at.set(next_attempt_at), DeliveryItem.updated_at.set(at)],
                condition=waiting,
            )
    except Conflict:
        return False
    return True


def reopen(delivery: Delivery, *, at: str, deadline: int) -> Delivery:
    """Replay: pending again, due now, with a fresh retry window. Conflict if an attempt is being recorded."""
    target = DeliveryItem(pk=_pk(delivery.account_id, delivery.target_id), sk=f"D#{delivery.id}")
    with translate_write_errors("the delivery is being attempted right now; retry the replay"):
        target.update(
            actions=[
                DeliveryItem.status.set("pending"),
                DeliveryItem.next_attempt_at.set(at),
                DeliveryItem.updated_at.set(at),
                DeliveryItem.deadline.set(deadline),
            ],
            condition=DeliveryItem.attempts == delivery.attempts,
        )
    return _delivery(target)
