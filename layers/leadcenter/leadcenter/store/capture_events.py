"""Which platform events the capture worker has finished (home table). No personal data: the platform's event id
and the outcome's name.

Item:  pk CE#<event id>  sk DONE   result; expires (TTL) once the platform no longer redelivers (4 days)

Written after everything the event did, in the batch's one BatchWriteItem (`batch_io.defer`), and read with the
batch's other reads: a redelivery of a finished event is answered from it without being processed again. An event
processed twice at the same time (SQS delivers at least once) is harmless: every write of capture is conditional
or keyed by the event, so the second run changes nothing.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.store import batch_io
from leadcenter.store._base import table_meta

DONE_SK = "DONE"


def event_pk(event_id: str) -> str:
    return f"CE#{event_id}"


class ProcessedEventItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    result = UnicodeAttribute()
    expires_at = NumberAttribute()


def done_key(event_id: str) -> batch_io.Key:
    return batch_io.key_of(ProcessedEventItem, event_pk(event_id), DONE_SK)


def result_of(event_id: str) -> str | None:
    """The recorded result of a finished event, None when it has not finished."""
    known = batch_io.cached(ProcessedEventItem, event_pk(event_id), DONE_SK)
    if isinstance(known, batch_io.Miss):
        try:
            known = ProcessedEventItem.get(event_pk(event_id), DONE_SK, consistent_read=True)
        except DoesNotExist:
            return None
    return None if known is None else str(known.result)


def mark_done(event_id: str, result: str, expires_epoch: int) -> None:
    batch_io.defer(ProcessedEventItem(pk=event_pk(event_id), sk=DONE_SK, result=result, expires_at=expires_epoch))
