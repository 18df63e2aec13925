"""Direct-message conversations and their event log (home table). No personal data, never message text.

Items:  pk CV#<account>#<conversation>  sk META                     the conversation: person digest, country,
                                                                     storage region, lead id once there is one
        pk CV#<account>#<conversation>  sk E#<at>#<key>            one event (sorts by time, then key)

The person is known only by the blind-index digest of the platform user id (keyed HMAC of the storage
region), which is what the lead's dedupe entry holds too, so "mark as lead" finds or makes the same lead.
Event keys derived from the platform's event id make a redelivered event overwrite itself, not repeat.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.store import batch_io
from leadcenter.store._base import table_meta

META_SK = "META"


def conversation_pk(account_id: str, conversation_id: str) -> str:
    return f"CV#{account_id}#{conversation_id}"


class ConversationItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    person_hash = UnicodeAttribute()
    # The account-independent person hash (HMAC): a lead made from the conversation is found by erasure with it.
    person_global = UnicodeAttribute(null=True)
    country = UnicodeAttribute()
    storage_region = UnicodeAttribute()
    lead_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = NumberAttribute()


class ConversationEventItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UnicodeAttribute()
    lead_id = UnicodeAttribute(null=True)
    data = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()


@dataclass(frozen=True)
class Conversation:
    account_id: str
    conversation_id: str
    person_hash: str
    country: str
    storage_region: str
    lead_id: str | None
    created_at: str
    person_global: str | None = None
    expires_at: int = 0  # epoch seconds; 0 when not read from the table


@dataclass(frozen=True)
class ConversationEvent:
    key: str
    type: str
    actor: str
    at: str
    lead_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def record(conversation: Conversation, at: str, expires_epoch: int) -> None:
    """Creates the conversation or touches it; the first person, country and region named stay."""
    item = ConversationItem(pk=conversation_pk(conversation.account_id, conversation.conversation_id), sk=META_SK)
    actions: list[Action] = [
        ConversationItem.account_id.set(conversation.account_id),
        ConversationItem.conversation_id.set(conversation.conversation_id),
        ConversationItem.person_hash.set(ConversationItem.person_hash | conversation.person_hash),
        ConversationItem.country.set(ConversationItem.country | conversation.country),
        ConversationItem.storage_region.set(ConversationItem.storage_region | conversation.storage_region),
        ConversationItem.created_at.set(ConversationItem.created_at | at),
        ConversationItem.updated_at.set(at),
        ConversationItem.expires_at.set(expires_epoch),
    ]
    if conversation.person_global:
        actions.append(ConversationItem.person_global.set(ConversationItem.person_global | conversation.person_global))
    if conversation.lead_id:
        actions.append(ConversationItem.lead_id.set(conversation.lead_id))
    batch_io.forget(ConversationItem, item.pk, META_SK)
    item.update(actions=actions)


def link_lead(account_id: str, conversation_id: str, lead_id: str) -> None:
    item = ConversationItem(pk=conversation_pk(account_id, conversation_id), sk=META_SK)
    batch_io.forget(ConversationItem, item.pk, META_SK)
    item.update(actions=[ConversationItem.lead_id.set(lead_id)], condition=ConversationItem.pk.exists())


def conversation_key(account_id: str, conversation_id: str) -> batch_io.Key:
    return batch_io.key_of(ConversationItem, conversation_pk(account_id, conversation_id), META_SK)


def get(account_id: str, conversation_id: str) -> Conversation | None:
    pk = conversation_pk(account_id, conversation_id)
    known = batch_io.cached(ConversationItem, pk, META_SK)
    if isinstance(known, batch_io.Miss):
        try:
            known = ConversationItem.get(pk, META_SK, consistent_read=True)
        except DoesNotExist:
            return None
    if known is None:
        return None
    item = known
    return Conversation(
        item.account_id,
        item.conversation_id,
        item.person_hash,
        item.country,
        item.storage_region,
        item.lead_id,
        item.created_at,
        item.person_global,
        int(item.expires_at),
    )


def delete(account_id: str, conversation_id: str) -> int:
    """Deletes the conversation and its whole event log (erasure); returns how many items went."""
    found = list(
        ConversationEventItem.query(conversation_pk(account_id, conversation_id), attributes_to_get=["pk", "sk"])
    )
    with ConversationEventItem.batch_write() as batch:
        for item in found:
            batch.delete(item)
    return len(found)


def add_event(account_id: str, conversation_id: str, event: ConversationEvent, expires_epoch: int) -> None:
    """An idempotent put: the same key (same platform event) writes the same item again. Inside a batch scope it
    goes out with the batch's other puts (`batch_io.flush`)."""
    batch_io.defer(
        ConversationEventItem(
            pk=conversation_pk(account_id, conversation_id),
            sk=notice_sk(event.at, event.key),
            type=event.type,
            actor=event.actor,
            at=event.at,
            lead_id=event.lead_id,
            data=json.dumps(event.data, sort_keys=True) if event.data else None,
            expires_at=expires_epoch,
        )
    )


def list_events(
    account_id: str, conversation_id: str, limit: int, after: str | None
) -> tuple[list[ConversationEvent], str | None]:
    """Oldest first; `after` is the last sort key of the previous page. Returns (events, last sort key or None)."""
    sk = ConversationEventItem.sk
    # "E#~" sorts after every event key ("E#<ISO time>#..."), and before META.
    condition = sk.startswith("E#") if after is None else sk.between(after, "E#~")
    items = list(
        ConversationEventItem.query(
            conversation_pk(account_id, conversation_id), condition, limit=limit + 2, page_size=limit + 2
        )
    )
    items = [i for i in items if i.sk != after]
    page = items[:limit]
    last = page[-1].sk if len(items) > limit and page else None
    events = [
        ConversationEvent(i.sk.split("#", 2)[2], i.type, i.actor, i.at, i.lead_id, json.loads(i.data) if i.data else {})
        for i in page
    ]
    return events, last


def delete_notices(account_id: str, conversation_id: str, sort_keys: list[str]) -> bool:
    """Deletes these notices; when no notice is left, the conversation goes too. True if it went."""
    pk = conversation_pk(account_id, conversation_id)
    with ConversationEventItem.batch_write() as batch:
        for sk in sort_keys:
            batch.delete(ConversationEventItem(pk=pk, sk=sk))
    sk_attr = ConversationEventItem.sk
    if list(ConversationEventItem.query(pk, sk_attr.startswith("E#"), limit=1, attributes_to_get=["pk", "sk"])):
        return False
    batch_io.forget(ConversationItem, pk, META_SK)
    ConversationItem(pk=pk, sk=META_SK).delete()
    return True


def notice_sk(at: str, key: str) -> str:
    return f"E#{at}#{key}"
