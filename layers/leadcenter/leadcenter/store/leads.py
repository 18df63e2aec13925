"""The lead aggregate, stored in the lead table of the person's storage region.

Items (one regional table; docs/data-model.md maps every access pattern to a key or index):
  lead        pk A#<account>              sk L#<lead id>     non-personal attributes + sealed personal fields
  label link  pk A#<account>#LB#<label>   sk L#<lead id>     one per label on the lead
  dedupe      pk D#<account>#<digest>     sk D               blind index of a contact or platform id -> lead
  note        pk LD#<account>#<lead id>   sk N#<note id>     sealed text
  timeline    pk LD#<account>#<lead id>   sk T#<event id>    no personal data; survives deletion as tombstone
and in the regional lead-keys table (no PITR, so deleting shreds): pk K#<account>#<lead id>.
Every item of a lead carries the lead's `expires_at` (TTL) and `g_exp` (the retention sweep's index).
"""

from __future__ import annotations

import functools
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from leadcenter import crypto
from leadcenter.config import settings
from leadcenter.errors import Conflict, NotFound
from leadcenter.model import Attribution, Contact, FormData, Lead
from leadcenter.store._base import table_meta, transact_get, transact_write, translate_write_errors

EXPIRY_SHARDS = 8
DIMENSIONS = ("status", "assignee", "access", "source", "form", "ad", "adgroup", "campaign")


def lead_pk(account_id: str) -> str:
    return f"A#{account_id}"


def lead_sk(lead_id: str) -> str:
    return f"L#{lead_id}"


def children_pk(account_id: str, lead_id: str) -> str:
    return f"LD#{account_id}#{lead_id}"


def dimension_key(account_id: str, dimension: str, value: str) -> str:
    return f"A#{account_id}#{dimension}#{value}"


def expiry_key(expires_epoch: int, lead_id: str) -> str:
    day = expires_epoch // 86400
    return f"X#{day}#{zlib.crc32(lead_id.encode()) % EXPIRY_SHARDS}"


def _index(name: str, hash_attr: str, range_attr: str = "sk", expiry_only: bool = False) -> GlobalSecondaryIndex[Any]:
    projection = IncludeProjection(["expires_at"]) if expiry_only else AllProjection()
    meta = type("Meta", (), {"index_name": name, "projection": projection})
    attrs = {
        "Meta": meta,
        hash_attr: UnicodeAttribute(hash_key=True),
        range_attr: UnicodeAttribute(range_key=True),
    }
    index_class = type(f"Index_{name}", (GlobalSecondaryIndex,), attrs)
    return index_class()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class RegionalModels:
    # Built at run time per region, so typed loosely: attribute access is checked by the tests.
    lead: Any
    note: Any
    event: Any
    dedupe: Any
    link: Any
    key: Any


@functools.cache
def models(region: str) -> RegionalModels:
    """pynamodb binds a model to one table in one region, so each storage region gets its own classes."""
    meta = table_meta(settings().leads_table, region)

    lead_attrs: dict[str, Any] = {
        "Meta": meta,
        "pk": UnicodeAttribute(hash_key=True),
        "sk": UnicodeAttribute(range_key=True),
        "lead_id": UnicodeAttribute(),
        "account_id": UnicodeAttribute(),
        "country": UnicodeAttribute(),
        "status": UnicodeAttribute(),
        "labels": UnicodeSetAttribute(null=True),
        "assignee": UnicodeAttribute(null=True),
        "source": UnicodeAttribute(),
        "ad": MapAttribute(null=True),
        "form_id": UnicodeAttribute(null=True),
        "form_name": UnicodeAttribute(null=True),
        "contact_ct": BinaryAttribute(legacy_encoding=False),
        "answers_ct": BinaryAttribute(legacy_encoding=False, null=True),
        "access_status": UnicodeAttribute(),
        "accessed_by": UnicodeAttribute(null=True),
        "accessed_at": UnicodeAttribute(null=True),
        "created_at": UnicodeAttribute(),
        "updated_at": UnicodeAttribute(),
        "expires_at": NumberAttribute(),
        "version": NumberAttribute(),
        "conversation_id": UnicodeAttribute(null=True),
        "person_hash": UnicodeAttribute(null=True),
        # Blind-index digests this lead owns as dedupe entries (HMACs, not values), so deletion finds them.
        "digests": UnicodeSetAttribute(null=True),
        "upd_sk": UnicodeAttribute(),
        "g_upd": UnicodeAttribute(),
        "g_exp": UnicodeAttribute(),
        "by_updated": _index("by_updated", "g_upd", "upd_sk"),
        "by_person": _index("by_person", "person_hash"),
        "by_expiry": _index("by_expiry", "g_exp", expiry_only=True),
    }
    for dimension in DIMENSIONS:
        lead_attrs[f"g_{dimension}"] = UnicodeAttribute(null=True)
        lead_attrs[f"by_{dimension}"] = _index(f"by_{dimension}", f"g_{dimension}")
    lead = type(f"LeadItem_{region}", (Model,), lead_attrs)

    def child(name: str, extra: dict[str, Any]) -> type[Model]:
        attrs: dict[str, Any] = {
            "Meta": meta,
            "pk": UnicodeAttribute(hash_key=True),
            "sk": UnicodeAttribute(range_key=True),
            "expires_at": NumberAttribute(),
            "g_exp": UnicodeAttribute(),
            **extra,
        }
        return type(f"{name}_{region}", (Model,), attrs)

    note = child(
        "NoteItem",
        {
            "note_id": UnicodeAttribute(),
            "author": UnicodeAttribute(),
            "text_ct": BinaryAttribute(legacy_encoding=False),
            "created_at": UnicodeAttribute(),
            "updated_at": UnicodeAttribute(),
        },
    )
    event = child(
        "EventItem",
        {
            "type": UnicodeAttribute(),
            "actor": UnicodeAttribute(),
            "at": UnicodeAttribute(),
            "data": UnicodeAttribute(null=True),
        },
    )
    dedupe = child("DedupeItem", {"lead_id": UnicodeAttribute()})
    link = child("LinkItem", {"lead_id": UnicodeAttribute()})
    key_meta = table_meta(settings().lead_keys_table, region)
    key = type(
        f"LeadKeyItem_{region}",
        (Model,),
        {
            "Meta": key_meta,
            "pk": UnicodeAttribute(hash_key=True),
            "kek_blob": BinaryAttribute(legacy_encoding=False),
            "wrapped": BinaryAttribute(legacy_encoding=False),
            "expires_at": NumberAttribute(),
        },
    )
    return RegionalModels(lead, note, event, dedupe, link, key)


def key_pk(account_id: str, lead_id: str) -> str:
    return f"K#{account_id}#{lead_id}"


# ---------------------------------------------------------------------------------------------- mapping


@dataclass
class LeadState:
    """A lead as stored: the non-personal attributes in clear, personal ones opened with the lead key."""

    lead: Lead
    label_ids: set[str]
    expires_epoch: int
    person_hash: str | None = None
    lead_key: bytes = field(default=b"", repr=False)
    digests: set[str] = field(default_factory=set)


def _personal(lead: Lead) -> tuple[str, str | None]:
    contact = lead.contact.model_dump_json(exclude_none=True)
    answers = lead.form.model_dump_json(include={"answers"}) if lead.form.answers else None
    return contact, answers


def _dimension_values(account_id: str, lead: Lead) -> dict[str, str | None]:
    def key(dimension: str, value: str | None) -> str | None:
        return dimension_key(account_id, dimension, value) if value else None

    return {
        "g_status": key("status", lead.status.value),
        "g_assignee": key("assignee", lead.assignee or "none"),
        "g_access": key("access", lead.access_status.value),
        "g_source": key("source", lead.source.value),
        "g_form": key("form", lead.form.form_id),
        "g_ad": key("ad", lead.ad.ad_id),
        "g_adgroup": key("adgroup", lead.ad.adgroup_id),
        "g_campaign": key("campaign", lead.ad.campaign_id),
    }


def _lead_item(state: LeadState, cipher: crypto.FieldCipher) -> Model:
    lead = state.lead
    contact_json, answers_json = _personal(lead)
    item = models(lead.storage_region).lead(
        pk=lead_pk(lead.account_id),
        sk=lead_sk(lead.id),
        lead_id=lead.id,
        account_id=lead.account_id,
        country=lead.region,
        status=lead.status.value,
        labels=set(state.label_ids) or None,
        assignee=lead.assignee,
        source=lead.source.value,
        ad=lead.ad.model_dump(exclude_none=True) or None,
        form_id=lead.form.form_id,
        form_name=lead.form.form_name,
        contact_ct=cipher.seal("contact", contact_json),
        answers_ct=cipher.seal("answers", answers_json) if answers_json else None,
        access_status=lead.access_status.value,
        accessed_by=lead.accessed_by,
        accessed_at=lead.accessed_at,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
        expires_at=state.expires_epoch,
        version=lead.version,
        conversation_id=lead.conversation_id,
        person_hash=state.person_hash,
        digests=set(state.digests) or None,
        upd_sk=f"{lead.updated_at}#{lead.id}",
        g_upd=lead_pk(lead.account_id),
        g_exp=expiry_key(state.expires_epoch, lead.id),
        **_dimension_values(lead.account_id, lead),
    )
    return item


def _lead_from_item(item: Any, cipher: crypto.FieldCipher | None) -> LeadState:
    contact = Contact()
    form = FormData(form_id=item.form_id, form_name=item.form_name)
    if cipher is not None:
        contact = Contact.model_validate_json(cipher.open("contact", item.contact_ct))
        if item.answers_ct:
            form = FormData.model_validate(
                {
                    **json.loads(cipher.open("answers", item.answers_ct)),
                    "form_id": item.form_id,
                    "form_name": item.form_name,
                }
            )
    ad = Attribution.model_validate(item.ad.as_dict() if item.ad is not None else {})
    lead = Lead(
        id=item.lead_id,
        account_id=item.account_id,
        region=item.country,
        status=item.status,
        labels=[],
        assignee=item.assignee,
        source=item.source,
        contact=contact,
        ad=ad,
        form=form,
        access_status=item.access_status,
        accessed_by=item.accessed_by,
        accessed_at=item.accessed_at,
        created_at=item.created_at,
        updated_at=item.updated_at,
        expires_at="",
        version=int(item.version),
        storage_region=item.Meta.region,
        conversation_id=item.conversation_id,
    )
    return LeadState(
        lead, set(item.labels or ()), int(item.expires_at), item.person_hash, digests=set(item.digests or ())
    )


def _wrapped(key_item: Any) -> crypto.WrappedLeadKey:
    return crypto.WrappedLeadKey(bytes(key_item.kek_blob), bytes(key_item.wrapped))


# ---------------------------------------------------------------------------------------------- writes


@dataclass(frozen=True)
class DuplicatePerson(Exception):
    """A dedupe entry already names a lead of this person in this account."""

    lead_id: str


def create(state: LeadState, dedupe_digests: Sequence[str], event: TimelineEvent) -> None:
    """Lead, lead key, dedupe entries and the 'created' event in one transaction.

    A dedupe entry that already exists cancels the whole write and raises DuplicatePerson, so two
    concurrent messages from one person can never make two leads.
    """
    lead = state.lead
    m = models(lead.storage_region)
    state.digests = set(dedupe_digests)
    lead_key, wrapped = crypto.new_lead_key(lead.storage_region, lead.account_id, lead.id)
    cipher = crypto.FieldCipher(lead_key, lead.account_id, lead.id)
    exp = state.expires_epoch
    try:
        with transact_write(lead.storage_region) as tx:
            tx.save(_lead_item(state, cipher), condition=m.lead.pk.does_not_exist())
            tx.save(
                m.key(
                    pk=key_pk(lead.account_id, lead.id),
                    kek_blob=wrapped.kek_blob,
                    wrapped=wrapped.wrapped,
                    expires_at=exp,
                )
            )
            for digest in dedupe_digests:
                tx.save(
                    m.dedupe(
                        pk=f"D#{lead.account_id}#{digest}",
                        sk="D",
                        lead_id=lead.id,
                        expires_at=exp,
                        g_exp=expiry_key(exp, lead.id),
                    ),
                    condition=m.dedupe.pk.does_not_exist(),
                )
            for label_id in sorted(state.label_ids):
                tx.save(_link_item(m, lead.account_id, label_id, lead.id, exp))
            tx.save(_event_item(m, lead.account_id, lead.id, exp, event), condition=m.event.pk.does_not_exist())
    except Exception as exc:
        from pynamodb.exceptions import TransactWriteError

        if isinstance(exc, TransactWriteError):
            # pynamodb keeps the order of puts: lead, key, then the dedupe entries.
            reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
            for digest, reason in zip(dedupe_digests, reasons[2 : 2 + len(dedupe_digests)], strict=False):
                if reason == "ConditionalCheckFailed":
                    existing = find_by_digest(lead.storage_region, lead.account_id, digest)
                    if existing:
                        raise DuplicatePerson(existing) from exc
            with translate_write_errors("lead already exists"):
                raise
        raise


def _link_item(m: RegionalModels, account_id: str, label_id: str, lead_id: str, exp: int) -> Model:
    return m.link(
        pk=f"A#{account_id}#LB#{label_id}",
        sk=lead_sk(lead_id),
        lead_id=lead_id,
        expires_at=exp,
        g_exp=expiry_key(exp, lead_id),
    )


@dataclass(frozen=True)
class TimelineEvent:
    event_id: str
    type: str
    actor: str
    at: str
    data: dict[str, Any] = field(default_factory=dict)


def _event_item(m: RegionalModels, account_id: str, lead_id: str, exp: int, event: TimelineEvent) -> Model:
    return m.event(
        pk=children_pk(account_id, lead_id),
        sk=f"T#{event.event_id}",
        type=event.type,
        actor=event.actor,
        at=event.at,
        data=json.dumps(event.data, sort_keys=True) if event.data else None,
        expires_at=exp,
        g_exp=expiry_key(exp, lead_id),
    )


def find_by_digest(region: str, account_id: str, digest: str) -> str | None:
    try:
        return str(models(region).dedupe.get(f"D#{account_id}#{digest}", "D", consistent_read=True).lead_id)
    except DoesNotExist:
        return None


def find_many_by_digest(region: str, account_id: str, digests: Iterable[str]) -> dict[str, str]:
    m = models(region)
    keys = [(f"D#{account_id}#{d}", "D") for d in digests]
    return {item.pk.rsplit("#", 1)[1]: item.lead_id for item in m.dedupe.batch_get(keys, consistent_read=True)}


@dataclass
class Change:
    """What an update sets. Only the fields that are not None change."""

    status: str | None = None
    assignee: str | None = None
    clear_assignee: bool = False
    add_labels: frozenset[str] = frozenset()
    remove_labels: frozenset[str] = frozenset()
    access: tuple[str, str] | None = None  # (by, at): mark accessed
    contact: Contact | None = None
    form: FormData | None = None
    new_digests: tuple[str, ...] = ()
    conversation_id: str | None = None


def update(
    region: str,
    account_id: str,
    lead_id: str,
    change: Change,
    *,
    expected_version: int | None,
    updated_at: str,
    events: Sequence[TimelineEvent],
    current: LeadState | None = None,
) -> None:
    """Applies a change with one transaction: the lead (version-checked when expected_version is given,
    otherwise only its existence), its label links, dedupe entries and timeline events.

    Label changes are set operations (ADD/DELETE), so concurrent editors never lose each other's labels.
    """
    try:
        with transact_write(region) as tx:
            _stage_update(
                tx,
                region,
                LeadUpdate(account_id, lead_id, change, expected_version, updated_at, tuple(events), current),
            )
    except Exception as exc:
        from pynamodb.exceptions import TransactWriteError

        if isinstance(exc, TransactWriteError):
            reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
            # pynamodb sends deletes, then puts, then updates: the lead's update is the last item.
            if reasons and reasons[-1] == "ConditionalCheckFailed":
                latest = get(region, account_id, lead_id, with_personal=False)
                if latest is None:
                    raise NotFound(f"lead {lead_id} not found") from exc
                raise Conflict(
                    "the lead changed since you read it; reload and retry",
                    current_version=latest.lead.version,
                ) from exc
            if "ConditionalCheckFailed" in reasons:
                raise Conflict("this change was already applied") from exc
            with translate_write_errors("conflicting update"):
                raise
        raise


# Most items DynamoDB accepts in one TransactWriteItems.
MAX_TRANSACTION_ITEMS = 100


@dataclass(frozen=True)
class LeadUpdate:
    """One lead's part of a write: `change` None writes only the events (e.g. an audit entry)."""

    account_id: str
    lead_id: str
    change: Change | None
    expected_version: int | None
    updated_at: str
    events: tuple[TimelineEvent, ...] = ()
    current: LeadState | None = None
    expires_epoch: int | None = None  # the lead's expiry when `current` is not at hand (a job's snapshot)

    @property
    def deletes(self) -> int:
        return len(self.change.remove_labels) if self.change else 0

    @property
    def puts(self) -> int:
        change = self.change
        return (len(change.add_labels) + len(change.new_digests) if change else 0) + len(self.events)

    @property
    def item_count(self) -> int:
        return self.deletes + self.puts + (1 if self.change else 0)


class UpdateResult(StrEnum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"  # one of its events exists: an earlier attempt wrote this change
    CHANGED = "changed"  # the lead's condition failed: it changed since expected_version, or is gone
    RETRY = "retry"  # not applied only because the transaction was cancelled for another lead


def update_many(region: str, updates: Sequence[LeadUpdate]) -> list[UpdateResult]:
    """Several leads' changes in one TransactWriteItems (at most MAX_TRANSACTION_ITEMS items): a bulk job
    pays one request for many leads instead of one per lead, keeping each lead's own conditions.

    All or nothing: when a condition fails the transaction is cancelled, and the result says per lead why,
    from the cancellation reasons, so the caller can resend the leads marked RETRY.
    """
    if not updates:
        return []
    if sum(u.item_count for u in updates) > MAX_TRANSACTION_ITEMS:
        raise ValueError(f"more than {MAX_TRANSACTION_ITEMS} items for one transaction")
    from pynamodb.exceptions import TransactWriteError

    try:
        with transact_write(region) as tx:
            for update_ in updates:
                _stage_update(tx, region, update_)
    except TransactWriteError as exc:
        reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
        if len(reasons) != sum(u.item_count for u in updates) or not (
            {"ConditionalCheckFailed", "TransactionConflict"} & set(reasons)
        ):
            with translate_write_errors("conflicting update"):
                raise
        return _update_results(updates, reasons)
    return [UpdateResult.APPLIED] * len(updates)


def _update_results(updates: Sequence[LeadUpdate], reasons: list[str | None]) -> list[UpdateResult]:
    # pynamodb orders a transaction's items as all deletes, then all puts, then all updates.
    deletes = sum(u.deletes for u in updates)
    puts_before = deletes
    updates_before = deletes + sum(u.puts for u in updates)
    results = []
    for update_ in updates:
        first_event = puts_before + update_.puts - len(update_.events)
        event_reasons = reasons[first_event : puts_before + update_.puts]
        lead_reason = reasons[updates_before] if update_.change else None
        if "ConditionalCheckFailed" in event_reasons:
            results.append(UpdateResult.ALREADY_APPLIED)
        elif lead_reason == "ConditionalCheckFailed":
            results.append(UpdateResult.CHANGED)
        else:
            results.append(UpdateResult.RETRY)
        puts_before += update_.puts
        updates_before += 1 if update_.change else 0
    return results


def _stage_update(tx: Any, region: str, update_: LeadUpdate) -> None:
    """Adds one lead's change (the version-checked update, label links, dedupe entries, events) to `tx`."""
    m = models(region)
    account_id, lead_id, change, current = update_.account_id, update_.lead_id, update_.change, update_.current
    exp = current.expires_epoch if current else update_.expires_epoch
    if exp is None and (update_.events or (change and (change.add_labels or change.new_digests))):
        raise ValueError("label, dedupe and timeline writes need the current state (its expiry)")
    if change is None:
        for event in update_.events:
            tx.save(_event_item(m, account_id, lead_id, exp or 0, event), condition=m.event.pk.does_not_exist())
        return
    expected_version, updated_at = update_.expected_version, update_.updated_at
    item_cls: Any = m.lead
    actions: list[Any] = [item_cls.version.add(1), item_cls.updated_at.set(updated_at)]
    if change.status is not None:
        actions += [
            item_cls.status.set(change.status),
            item_cls.g_status.set(dimension_key(account_id, "status", change.status)),
        ]
    if change.assignee is not None or change.clear_assignee:
        value = None if change.clear_assignee else change.assignee
        actions.append(item_cls.assignee.set(value) if value else item_cls.assignee.remove())
        actions.append(item_cls.g_assignee.set(dimension_key(account_id, "assignee", value or "none")))
    if change.add_labels:
        actions.append(item_cls.labels.add(set(change.add_labels)))
    if change.remove_labels:
        actions.append(item_cls.labels.delete(set(change.remove_labels)))
    if change.access is not None:
        by, at = change.access
        actions += [
            item_cls.access_status.set("accessed"),
            item_cls.accessed_by.set(by),
            item_cls.accessed_at.set(at),
            item_cls.g_access.set(dimension_key(account_id, "access", "accessed")),
        ]
    if change.conversation_id is not None:
        actions.append(item_cls.conversation_id.set(change.conversation_id))
    if change.new_digests:
        actions.append(item_cls.digests.add(set(change.new_digests)))
    needs_cipher = change.contact is not None or change.form is not None
    if needs_cipher:
        if current is None:
            raise ValueError("changing personal fields needs the current state (its lead key)")
        cipher = crypto.FieldCipher(current.lead_key, account_id, lead_id)
        if change.contact is not None:
            actions.append(
                item_cls.contact_ct.set(cipher.seal("contact", change.contact.model_dump_json(exclude_none=True)))
            )
        if change.form is not None:
            if change.form.answers:
                actions.append(
                    item_cls.answers_ct.set(cipher.seal("answers", change.form.model_dump_json(include={"answers"})))
                )
            if change.form.form_id:
                actions += [
                    item_cls.form_id.set(change.form.form_id),
                    item_cls.g_form.set(dimension_key(account_id, "form", change.form.form_id)),
                ]
            if change.form.form_name:
                actions.append(item_cls.form_name.set(change.form.form_name))
    # upd_sk keeps the incremental-pull index ordered by the latest change.
    actions.append(item_cls.upd_sk.set(f"{updated_at}#{lead_id}"))

    condition = item_cls.pk.exists()
    if expected_version is not None:
        condition &= item_cls.version == expected_version
    target = item_cls(pk=lead_pk(account_id), sk=lead_sk(lead_id))
    tx.update(target, actions=actions, condition=condition)
    for label_id in sorted(change.add_labels):
        tx.save(_link_item(m, account_id, label_id, lead_id, exp or 0))
    for label_id in sorted(change.remove_labels):
        tx.delete(m.link(pk=f"A#{account_id}#LB#{label_id}", sk=lead_sk(lead_id)))
    for digest in change.new_digests:
        tx.save(
            m.dedupe(
                pk=f"D#{account_id}#{digest}",
                sk="D",
                lead_id=lead_id,
                expires_at=exp or 0,
                g_exp=expiry_key(exp or 0, lead_id),
            ),
            # A contact already owned by another lead of the account cancels the change (no silent takeover).
            condition=m.dedupe.pk.does_not_exist() | (m.dedupe.lead_id == lead_id),
        )
    for event in update_.events:
        tx.save(_event_item(m, account_id, lead_id, exp or 0, event), condition=m.event.pk.does_not_exist())


# ---------------------------------------------------------------------------------------------- reads


def get(region: str, account_id: str, lead_id: str, *, with_personal: bool = True) -> LeadState | None:
    """The lead and its key in one request (TransactGetItems spans both regional tables)."""
    m = models(region)
    if not with_personal:
        try:
            return _lead_from_item(m.lead.get(lead_pk(account_id), lead_sk(lead_id), consistent_read=True), None)
        except DoesNotExist:
            return None
    with transact_get(region) as tx:
        lead_future = tx.get(m.lead, lead_pk(account_id), lead_sk(lead_id))
        key_future = tx.get(m.key, key_pk(account_id, lead_id))
    try:
        item = lead_future.get()
        key_item = key_future.get()
    except DoesNotExist:
        return None
    return _open(item, key_item)


def _open(item: Any, key_item: Any) -> LeadState:
    region = item.Meta.region
    lead_key = crypto.open_lead_key(region, item.account_id, item.lead_id, _wrapped(key_item))
    state = _lead_from_item(item, crypto.FieldCipher(lead_key, item.account_id, item.lead_id))
    state.lead_key = lead_key
    return state


def open_items(region: str, items: Sequence[Any]) -> list[LeadState]:
    """Opens a page of lead items with one BatchGetItem for their keys."""
    if not items:
        return []
    m = models(region)
    keys = {item.pk[2:] + "#" + item.lead_id: item for item in items}
    key_items = {k.pk[2:]: k for k in m.key.batch_get([key_pk(i.account_id, i.lead_id) for i in items])}
    states = []
    for composite, item in keys.items():
        key_item = key_items.get(composite)
        if key_item is not None:  # no key: the lead was just deleted (shredded)
            states.append(_open(item, key_item))
    return states


@dataclass
class QueryStats:
    requests: int = 0
    scanned: int = 0
    returned: int = 0


def query_index(
    region: str,
    index: str | None,
    hash_value: str,
    range_condition: Condition | None,
    filter_condition: Condition | None,
    limit: int,
    start_key: dict[str, Any] | None,
    stats: QueryStats,
    *,
    newest_first: bool = True,
) -> list[Any]:
    """One key query (base table or a GSI), newest first, at most `limit` matches."""
    m = models(region)
    lead_cls: Any = m.lead
    source = lead_cls if index is None else getattr(lead_cls, index)
    result = source.query(
        hash_value,
        range_key_condition=range_condition,
        filter_condition=filter_condition,
        scan_index_forward=not newest_first,
        limit=limit,
        page_size=limit if filter_condition is None else max(limit, 25),
        last_evaluated_key=start_key,
    )
    items = list(result)
    stats.requests += 1  # at least; a filtered query may take more pages (the benchmark counts them at botocore)
    stats.scanned += result.page_iter.total_scanned_count
    stats.returned += len(items)
    return items


def query_links(
    region: str,
    account_id: str,
    label_id: str,
    range_condition: Condition | None,
    limit: int,
    start_key: dict[str, Any] | None,
    stats: QueryStats,
) -> tuple[list[Any], dict[str, Any] | None]:
    """A page of label links, newest lead first, and where the next page starts (None at the end)."""
    m = models(region)
    result = m.link.query(
        f"A#{account_id}#LB#{label_id}",
        range_key_condition=range_condition,
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start_key,
    )
    items = list(result)
    stats.requests += 1
    stats.scanned += result.page_iter.total_scanned_count
    return items, result.last_evaluated_key


def batch_get_leads(
    region: str,
    account_id: str,
    lead_ids: Sequence[str],
    stats: QueryStats,
    attributes: Sequence[str] | None = None,
) -> list[Any]:
    """Lead items by key; `attributes` reads only those (a projection: less to read and to send)."""
    if not lead_ids:
        return []
    m = models(region)
    stats.requests += (len(lead_ids) + 99) // 100
    keys = [(lead_pk(account_id), lead_sk(i)) for i in lead_ids]
    items = list(m.lead.batch_get(keys, attributes_to_get=list(attributes) if attributes else None))
    stats.scanned += len(items)
    return items


def lead_range_key() -> Any:
    return models(settings().home_region).lead.sk


def timeline(region: str, account_id: str, lead_id: str) -> list[TimelineEvent]:
    m = models(region)
    events = []
    for item in m.event.query(children_pk(account_id, lead_id), m.event.sk.startswith("T#")):
        data = json.loads(item.data) if item.data else {}
        events.append(TimelineEvent(item.sk[2:], item.type, item.actor, item.at, data))
    return events


# ---------------------------------------------------------------------------------------------- delete


def delete(state: LeadState, tombstone: TimelineEvent, *, expected_version: int | None = None) -> None:
    """Deletes the lead and all that hangs off it; its key goes too, which shreds every backed-up copy.

    The timeline stays (it holds no personal data) with a tombstone, and expires with the lead. With
    `expected_version`, a lead changed since that version is left alone (Conflict).
    """
    lead = state.lead
    m = models(lead.storage_region)
    notes = list(m.note.query(children_pk(lead.account_id, lead.id), m.note.sk.startswith("N#")))
    doomed: list[Model] = [
        m.lead(pk=lead_pk(lead.account_id), sk=lead_sk(lead.id)),
        m.key(pk=key_pk(lead.account_id, lead.id)),
        *(m.link(pk=f"A#{lead.account_id}#LB#{label}", sk=lead_sk(lead.id)) for label in sorted(state.label_ids)),
        *(m.dedupe(pk=f"D#{lead.account_id}#{digest}", sk="D") for digest in sorted(state.digests)),
        *notes,
    ]
    # Notes beyond one transaction's reach go first; the lead and its key always go together, last.
    head, tail = doomed[:90], doomed[90:]
    if tail:
        with m.note.batch_write() as batch:
            for item in tail:
                batch.delete(item)
    condition = m.lead.pk.exists()
    if expected_version is not None:
        condition &= m.lead.version == expected_version
    message = "the lead was already deleted" if expected_version is None else "the lead changed or was deleted"
    with translate_write_errors(message), transact_write(lead.storage_region) as tx:
        tx.delete(head[0], condition=condition)
        for item in head[1:]:
            tx.delete(item)
        tx.save(_event_item(m, lead.account_id, lead.id, state.expires_epoch, tombstone))


# ---------------------------------------------------------------------------------------------- notes


@dataclass(frozen=True)
class Note:
    id: str
    author: str
    text: str
    created_at: str
    updated_at: str


def _note(item: Any, cipher: crypto.FieldCipher) -> Note:
    return Note(
        item.note_id, item.author, cipher.open(f"note:{item.note_id}", item.text_ct), item.created_at, item.updated_at
    )


def add_note(state: LeadState, note: Note, event: TimelineEvent) -> None:
    lead = state.lead
    m = models(lead.storage_region)
    cipher = crypto.FieldCipher(state.lead_key, lead.account_id, lead.id)
    with translate_write_errors("the lead was deleted"), transact_write(lead.storage_region) as tx:
        tx.condition_check(m.lead, lead_pk(lead.account_id), lead_sk(lead.id), condition=m.lead.pk.exists())
        tx.save(
            m.note(
                pk=children_pk(lead.account_id, lead.id),
                sk=f"N#{note.id}",
                note_id=note.id,
                author=note.author,
                text_ct=cipher.seal(f"note:{note.id}", note.text),
                created_at=note.created_at,
                updated_at=note.updated_at,
                expires_at=state.expires_epoch,
                g_exp=expiry_key(state.expires_epoch, lead.id),
            )
        )
        tx.save(_event_item(m, lead.account_id, lead.id, state.expires_epoch, event))


def list_notes(state: LeadState) -> list[Note]:
    lead = state.lead
    m = models(lead.storage_region)
    cipher = crypto.FieldCipher(state.lead_key, lead.account_id, lead.id)
    return [_note(i, cipher) for i in m.note.query(children_pk(lead.account_id, lead.id), m.note.sk.startswith("N#"))]


def get_note(state: LeadState, note_id: str) -> Note:
    lead = state.lead
    m = models(lead.storage_region)
    try:
        item = m.note.get(children_pk(lead.account_id, lead.id), f"N#{note_id}", consistent_read=True)
    except DoesNotExist as exc:
        raise NotFound(f"note {note_id} not found") from exc
    return _note(item, crypto.FieldCipher(state.lead_key, lead.account_id, lead.id))


def edit_note(state: LeadState, note_id: str, text: str, updated_at: str, event: TimelineEvent) -> None:
    lead = state.lead
    m = models(lead.storage_region)
    cipher = crypto.FieldCipher(state.lead_key, lead.account_id, lead.id)
    target = m.note(pk=children_pk(lead.account_id, lead.id), sk=f"N#{note_id}")
    with translate_write_errors("the note was deleted"), transact_write(lead.storage_region) as tx:
        tx.update(
            target,
            actions=[m.note.text_ct.set(cipher.seal(f"note:{note_id}", text)), m.note.updated_at.set(updated_at)],
            condition=m.note.pk.exists(),
        )
        tx.save(_event_item(m, lead.account_id, lead.id, state.expires_epoch, event))


def delete_note(state: LeadState, note_id: str, event: TimelineEvent) -> None:
    lead = state.lead
    m = models(lead.storage_region)
    with translate_write_errors("the note was already deleted"), transact_write(lead.storage_region) as tx:
        tx.delete(m.note(pk=children_pk(lead.account_id, lead.id), sk=f"N#{note_id}"), condition=m.note.pk.exists())
        tx.save(_event_item(m, lead.account_id, lead.id, state.expires_epoch, event))


# ---------------------------------------------------------------------------------------------- labels, counts


def leads_with_label(region: str, account_id: str, label_id: str) -> list[str]:
    m = models(region)
    return [link.lead_id for link in m.link.query(f"A#{account_id}#LB#{label_id}")]


def count(region: str, index: str | None, hash_value: str, range_condition: Condition | None) -> int:
    """A key-condition COUNT (DynamoDB reads the index partition but returns no items)."""
    lead_cls: Any = models(region).lead
    return int(lead_cls.count(hash_value, range_key_condition=range_condition, index_name=index))


# ---------------------------------------------------------------------------------------------- retention


@dataclass
class SweepStats:
    found: int = 0
    deleted: int = 0
    write_requests: int = 0
    read_requests: int = 0
    retried: int = 0


def expired_keys(region: str, day: int, now_epoch: int, stats: SweepStats) -> list[tuple[str, str]]:
    """Keys of every item (leads, links, dedupe entries, notes, timeline) expiring on `day` by `now_epoch`.

    The expiry index is sharded per day and projects only the keys and `expires_at`.
    """
    m = models(region)
    found: list[tuple[str, str]] = []
    for shard in range(EXPIRY_SHARDS):
        for item in m.lead.by_expiry.query(f"X#{day}#{shard}", filter_condition=m.lead.expires_at <= now_epoch):
            found.append((item.pk, item.sk))
        stats.read_requests += 1
    return found


def delete_keys(region: str, keys: Sequence[tuple[str, str]], stats: SweepStats) -> None:
    """BatchWriteItem in 25s; unprocessed items are retried by the batch (with backoff) until written.

    Lead items take their lead-key item (other table) with them, which shreds any backed-up copy.
    """
    m = models(region)
    lead_keys = [key_pk(pk[2:], sk[2:]) for pk, sk in keys if sk.startswith("L#") and not pk.count("#LB#")]
    with m.event.batch_write() as batch:
        for pk, sk in keys:
            batch.delete(m.event(pk=pk, sk=sk))
    with m.key.batch_write() as batch:
        for pk in lead_keys:
            batch.delete(m.key(pk=pk))
    stats.deleted += len(keys) + len(lead_keys)
    stats.write_requests += (len(keys) + 24) // 25 + (len(lead_keys) + 24) // 25


def find_person_leads(region: str, person_hash: str) -> list[tuple[str, str]]:
    """(account, lead id) of every lead of one person in this region, in every account."""
    return [(item.account_id, item.lead_id) for item in models(region).lead.by_person.query(person_hash)]
