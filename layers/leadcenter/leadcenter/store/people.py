"""Where a platform user left traces, and who has been erased: the person index and the erasure ledger.

Both live in the lead table of the person's storage region, keyed by the account-independent person hash (a
keyed HMAC of the platform user id, `domain.retention.person_hash`): no personal data.

Items:
  person index  pk P#<person hash>       sk LEAD#<account>#<lead id>        a lead the person made (written in
                                                                            the lead's own transaction)
                                         sk TOUCH#<account>                 the person has ad touches there
                                         sk CONV#<account>#<conversation>   a conversation of theirs (home table)
  ledger        pk ERASED#<person hash>  sk E                               erased_at; kept 30 days (TTL)

Erasure reads the index with one consistent query (a GSI could lag behind a lead created a moment ago), and
every lead creation checks the ledger in its transaction, so an erasure and a late event cannot interleave
into a lead that outlives the erasure.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from leadcenter.config import settings
from leadcenter.store import batch_io
from leadcenter.store._base import table_meta

LEAD, TOUCH, CONVERSATION = "LEAD", "TOUCH", "CONV"
LEDGER_SK = "E"


class PersonErased(Exception):
    """The person was erased after the event that would have written this (the ledger's check failed)."""


def index_pk(person_hash: str) -> str:
    return f"P#{person_hash}"


def ledger_pk(person_hash: str) -> str:
    return f"ERASED#{person_hash}"


class PersonEntry(Model):
    class Meta:
        table_name = "leadcenter-leads"  # bound per storage region by _models()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute()
    ref = UnicodeAttribute(null=True)  # the lead id or conversation id
    expires_at = NumberAttribute()
    g_exp = UnicodeAttribute(null=True)  # lead entries only: the retention sweep deletes them with the lead


class LedgerItem(Model):
    class Meta:
        table_name = "leadcenter-leads"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    erased_at = UnicodeAttribute()  # ISO 8601 UTC, sortable as a string
    expires_at = NumberAttribute()


@dataclass(frozen=True)
class _Models:
    entry: type[PersonEntry]
    ledger: type[LedgerItem]


@functools.cache
def _models(region: str) -> _Models:
    meta = table_meta(settings().leads_table, region)

    def bind(base: type[Any]) -> Any:
        return type(f"{base.__name__}_{region}", (base,), {"Meta": meta, "_connection": None})

    return _Models(entry=bind(PersonEntry), ledger=bind(LedgerItem))


@dataclass(frozen=True)
class Entry:
    kind: str  # LEAD | TOUCH | CONV
    account_id: str
    ref: str | None
    sk: str


# ---------------------------------------------------------------------------------------------- index


def stage_lead_entry(
    tx: TransactWrite, region: str, person_hash: str, account_id: str, lead_id: str, exp: int, g_exp: str
) -> None:
    """Adds the index entry of a new lead to the lead's transaction."""
    tx.save(lead_entry_item(region, person_hash, account_id, lead_id, exp, g_exp))


def lead_entry_item(region: str, person_hash: str, account_id: str, lead_id: str, exp: int, g_exp: str) -> PersonEntry:
    """The index entry of a new lead (the demo seed batch-writes it with the lead's other items)."""
    return _models(region).entry(
        pk=index_pk(person_hash),
        sk=f"{LEAD}#{account_id}#{lead_id}",
        account_id=account_id,
        ref=lead_id,
        expires_at=exp,
        g_exp=g_exp,
    )


def lead_entry(region: str, person_hash: str, account_id: str, lead_id: str) -> PersonEntry:
    """The index entry of a lead, by key (to delete it with the lead)."""
    return _models(region).entry(pk=index_pk(person_hash), sk=f"{LEAD}#{account_id}#{lead_id}")


def stage_ledger_check(tx: TransactWrite, region: str, person_hash: str, occurred_at: str) -> None:
    """Adds "not erased at or after `occurred_at`" to a transaction (the first item: condition checks go first)."""
    ledger = _models(region).ledger
    tx.condition_check(
        ledger,
        ledger_pk(person_hash),
        LEDGER_SK,
        condition=ledger.pk.does_not_exist() | (ledger.erased_at < occurred_at),
    )


def _put_unless_newer(item: PersonEntry, exp: int) -> None:
    cls = type(item)
    batch_io.forget(cls, item.pk, item.sk)
    try:
        item.save(condition=cls.pk.does_not_exist() | (cls.expires_at < exp))
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def note_touch(region: str, person_hash: str, account_id: str, exp: int) -> None:
    """The person has touches in the account until `exp` at least (an older, late touch never shortens it)."""
    entry = _models(region).entry(pk=index_pk(person_hash), sk=f"{TOUCH}#{account_id}", account_id=account_id)
    entry.expires_at = exp
    _put_unless_newer(entry, exp)


def note_conversation(region: str, person_hash: str, account_id: str, conversation_id: str, exp: int) -> None:
    entry = _models(region).entry(
        pk=index_pk(person_hash), sk=f"{CONVERSATION}#{account_id}#{conversation_id}", account_id=account_id
    )
    entry.ref = conversation_id
    entry.expires_at = exp
    _put_unless_newer(entry, exp)


def touch_entry_key(region: str, person_hash: str, account_id: str) -> batch_io.Key:
    return batch_io.key_of(_models(region).entry, index_pk(person_hash), f"{TOUCH}#{account_id}")


def conversation_entry_key(region: str, person_hash: str, account_id: str, conversation_id: str) -> batch_io.Key:
    return batch_io.key_of(
        _models(region).entry, index_pk(person_hash), f"{CONVERSATION}#{account_id}#{conversation_id}"
    )


def noted_until(key: batch_io.Key) -> int | None:
    """Until when an index entry (by `touch_entry_key` or `conversation_entry_key`) is kept: 0 when there is none,
    None when the batch's snapshot does not know (then write it, as without the snapshot)."""
    region, _, pk, sk = key
    known = batch_io.cached(_models(region).entry, pk, sk)
    if isinstance(known, batch_io.Miss):
        return None
    return 0 if known is None else int(known.expires_at)


def entries(region: str, person_hash: str) -> list[Entry]:
    m = _models(region)
    return [
        Entry(item.sk.split("#", 1)[0], item.account_id, item.ref, item.sk)
        for item in m.entry.query(index_pk(person_hash), consistent_read=True)
    ]


def forget_touches(region: str, person_hash: str, account_id: str) -> None:
    batch_io.forget(_models(region).entry, index_pk(person_hash), f"{TOUCH}#{account_id}")
    _models(region).entry(pk=index_pk(person_hash), sk=f"{TOUCH}#{account_id}").delete()


def forget_conversation(region: str, person_hash: str, account_id: str, conversation_id: str) -> None:
    batch_io.forget(_models(region).entry, index_pk(person_hash), f"{CONVERSATION}#{account_id}#{conversation_id}")
    _models(region).entry(pk=index_pk(person_hash), sk=f"{CONVERSATION}#{account_id}#{conversation_id}").delete()


def forget(region: str, person_hash: str, done: Iterable[Entry]) -> None:
    m = _models(region)
    with m.entry.batch_write() as batch:
        for entry in done:
            batch.delete(m.entry(pk=index_pk(person_hash), sk=entry.sk))


# ---------------------------------------------------------------------------------------------- ledger


def record_erasure(region: str, person_hash: str, erased_at: str, expires_epoch: int) -> None:
    """Writes (or moves later) the person's erasure time; an earlier time never replaces a later one."""
    ledger = _models(region).ledger
    item = ledger(pk=ledger_pk(person_hash), sk=LEDGER_SK, erased_at=erased_at, expires_at=expires_epoch)
    batch_io.forget(ledger, item.pk, LEDGER_SK)
    try:
        item.save(condition=ledger.pk.does_not_exist() | (ledger.erased_at < erased_at))
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def ledger_key(region: str, person_hash: str) -> batch_io.Key:
    return batch_io.key_of(_models(region).ledger, ledger_pk(person_hash), LEDGER_SK)


def erased_at(region: str, person_hash: str) -> str | None:
    """When the person was last erased (ISO 8601 UTC), if within the ledger's retention."""
    known = batch_io.cached(_models(region).ledger, ledger_pk(person_hash), LEDGER_SK)
    if not isinstance(known, batch_io.Miss):
        return None if known is None else str(known.erased_at)
    try:
        return str(_models(region).ledger.get(ledger_pk(person_hash), LEDGER_SK, consistent_read=True).erased_at)
    except DoesNotExist:
        return None
