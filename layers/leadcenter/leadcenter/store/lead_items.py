"""The lead aggregate's items, their keys, and the mapping between a lead and its stored item.

Items (one regional table; docs/data-model.md maps every access pattern to a key or index):
  lead        pk A#<account>              sk L#<lead id>     non-personal attributes + sealed personal fields
  label link  pk A#<account>#LB#<label>   sk L#<lead id>     one per label on the lead
  dedupe      pk D#<account>#<digest>     sk D               blind index of a contact or platform id -> lead
  note        pk LD#<account>#<lead id>   sk N#<note id>     sealed text
  timeline    pk LD#<account>#<lead id>   sk T#<event id>    no personal data; survives deletion as tombstone
and in the regional lead-keys table (no PITR, so deleting shreds): the lead's card, pk K#<account>#<lead id>: its
wrapped key plus a copy of the lead item (the lists' indexes live there, so a page carries its keys), own `g_exp`.
Every item of a lead carries the lead's `expires_at` (TTL) and `g_exp` (the retention sweep's index).

The item classes are declared once, here; `models(region)` binds each to the tables of one storage region
(pynamodb ties a model class to one region) as a subclass that only sets its `Meta`.
"""

from __future__ import annotations

import functools
import json
import types
import zlib
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from pynamodb.attributes import (
    BinaryAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from leadcenter import crypto
from leadcenter.config import settings
from leadcenter.model import AccessStatus, Attribution, Contact, FormData, Lead, LeadSource, LeadStatus
from leadcenter.store._base import table_meta

EXPIRY_SHARDS = 8
DIMENSIONS = ("status", "assignee", "access", "source", "form", "ad", "adgroup", "campaign")

# ---------------------------------------------------------------------------------------------- keys


def lead_pk(account_id: str) -> str:
    return f"A#{account_id}"


def lead_sk(lead_id: str) -> str:
    return f"L#{lead_id}"


def children_pk(account_id: str, lead_id: str) -> str:
    return f"LD#{account_id}#{lead_id}"


def link_pk(account_id: str, label_id: str) -> str:
    return f"A#{account_id}#LB#{label_id}"


def dedupe_pk(account_id: str, digest: str) -> str:
    return f"D#{account_id}#{digest}"


def key_pk(account_id: str, lead_id: str) -> str:
    return f"K#{account_id}#{lead_id}"


def dimension_key(account_id: str, dimension: str, value: str) -> str:
    return f"A#{account_id}#{dimension}#{value}"


def expiry_key(expires_epoch: int, lead_id: str) -> str:
    day = expires_epoch // 86400
    return f"X#{day}#{zlib.crc32(lead_id.encode()) % EXPIRY_SHARDS}"


# ---------------------------------------------------------------------------------------------- items


def _index(name: str, hash_attr: str, range_attr: str = "sk", *, expiry_only: bool = False) -> LeadIndex:
    """A GSI of the lead item: `hash_attr` (+ `range_attr`) as its key, every attribute projected (or, for the
    sweep's expiry index, only `expires_at`)."""

    def body(namespace: dict[str, Any]) -> None:
        namespace["Meta"] = types.new_class(
            "Meta",
            exec_body=lambda meta: meta.update(
                index_name=name, projection=IncludeProjection(["expires_at"]) if expiry_only else AllProjection()
            ),
        )
        namespace[hash_attr] = UnicodeAttribute(hash_key=True)
        namespace[range_attr] = UnicodeAttribute(range_key=True)
        namespace["__module__"] = __name__

    return cast("LeadIndex", types.new_class(f"Index_{name}", (GlobalSecondaryIndex,), exec_body=body)())


class LeadItem(Model):
    """A lead: non-personal attributes in clear (they are what lists filter on), personal ones sealed."""

    class Meta:
        table_name = "leadcenter-leads"  # bound per storage region by models()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    lead_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    country = UnicodeAttribute()
    status = UnicodeAttribute()
    labels = UnicodeSetAttribute(null=True)
    assignee = UnicodeAttribute(null=True)
    source = UnicodeAttribute()
    ad: MapAttribute[str, Any] = MapAttribute(null=True)
    form_id = UnicodeAttribute(null=True)
    form_name = UnicodeAttribute(null=True)
    contact_ct = BinaryAttribute(legacy_encoding=False)
    answers_ct = BinaryAttribute(legacy_encoding=False, null=True)
    access_status = UnicodeAttribute()
    accessed_by = UnicodeAttribute(null=True)
    accessed_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = NumberAttribute()
    version = NumberAttribute()
    conversation_id = UnicodeAttribute(null=True)
    person_hash = UnicodeAttribute(null=True)
    # Blind-index digests this lead owns as dedupe entries (HMACs, not values), so deletion finds them.
    digests = UnicodeSetAttribute(null=True)
    upd_sk = UnicodeAttribute()
    g_upd = UnicodeAttribute()
    g_exp = UnicodeAttribute()
    # g_<dimension> = A#<account>#<dimension>#<value> of every list filter: the cards' filter expressions use them,
    # and the lead-ads reports the ad, ad group and campaign indexes (the lists read the cards' slots instead).
    g_status = UnicodeAttribute(null=True)
    g_assignee = UnicodeAttribute(null=True)
    g_access = UnicodeAttribute(null=True)
    g_source = UnicodeAttribute(null=True)
    g_form = UnicodeAttribute(null=True)
    g_ad = UnicodeAttribute(null=True)
    g_adgroup = UnicodeAttribute(null=True)
    g_campaign = UnicodeAttribute(null=True)
    g_traffic = UnicodeAttribute(null=True)
    by_ad = _index("by_ad", "g_ad")
    by_adgroup = _index("by_adgroup", "g_adgroup")
    by_campaign = _index("by_campaign", "g_campaign")
    by_person = _index("by_person", "person_hash")
    by_expiry = _index("by_expiry", "g_exp", expiry_only=True)


LeadIndex = GlobalSecondaryIndex[LeadItem]


class _ChildItem(Model):
    """What every item hanging off a lead carries: its key, and the lead's expiry for TTL and the sweep."""

    class Meta:
        table_name = "leadcenter-leads"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute()
    g_exp = UnicodeAttribute()


class NoteItem(_ChildItem):
    note_id = UnicodeAttribute()
    author = UnicodeAttribute()
    text_ct = BinaryAttribute(legacy_encoding=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class EventItem(_ChildItem):
    type = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UnicodeAttribute()
    data = UnicodeAttribute(null=True)


class DedupeItem(_ChildItem):
    lead_id = UnicodeAttribute()


class LinkItem(_ChildItem):
    lead_id = UnicodeAttribute()


class _KeyExpiryIndex(GlobalSecondaryIndex["LeadItem"]):
    """The lead-keys table's own sharded expiry index (`X#<day>#<shard>`, as the lead table's `by_expiry`): the
    sweep finds expired keys directly, also when TTL removed their lead item first. Keys and `expires_at` only,
    never a copy of the wrapped key."""

    class Meta:
        index_name = "by_expiry"
        projection = IncludeProjection(["expires_at"])

    g_exp = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class LeadKeyItem(LeadItem):
    """A lead's data key, wrapped under a KMS key-encryption key, and the lead's listing card: a copy of its lead
    item (every attribute, sealed fields sealed) kept in the same transaction as the lead item. Lists read the
    cards through the key table's indexes, so a page arrives with its key material in one request; deleting the
    card still shreds the lead (the key table has no point-in-time recovery, so no backup holds the key)."""

    class Meta:
        table_name = "leadcenter-lead-keys"

    _range_keyname = None  # the table has a hash key only (pynamodb would inherit LeadItem's `sk`)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute()  # L#<lead id>: the listing indexes' sort key (not a key of this table)
    kek_blob = BinaryAttribute(legacy_encoding=False)
    wrapped = BinaryAttribute(legacy_encoding=False)
    by_expiry = _KeyExpiryIndex()
    g_upd = UnicodeAttribute(null=True)  # card 0 only: the incremental pull (by_updated) lists each lead once
    by_updated = _index("by_updated", "g_upd", "upd_sk")
    # The lists' indexes: generic slots s01..s18, one sparse GSI each (store.lead_cards says which family where).
    locals().update({f"s{n:02}": UnicodeAttribute(null=True) for n in range(1, 19)})
    locals().update({f"by_s{n:02}": _index(f"by_s{n:02}", f"s{n:02}") for n in range(1, 19)})


_M = TypeVar("_M", bound=Model)


def _bind(base: type[_M], table_name: str, region: str) -> type[_M]:
    """`base` bound to `table_name` in `region`: a subclass with its own Meta (and so its own connection)."""
    meta = table_meta(table_name, region)
    bound = types.new_class(
        f"{base.__name__}_{region}",
        (base,),
        exec_body=lambda namespace: namespace.update(Meta=meta, _connection=None, __module__=__name__),
    )
    return cast(type[_M], bound)


@dataclass(frozen=True)
class RegionalModels:
    lead: type[LeadItem]
    note: type[NoteItem]
    event: type[EventItem]
    dedupe: type[DedupeItem]
    link: type[LinkItem]
    key: type[LeadKeyItem]


@functools.cache
def models(region: str) -> RegionalModels:
    """The item classes bound to one storage region's lead and lead-key tables."""
    leads, keys = settings().leads_table, settings().lead_keys_table
    return RegionalModels(
        lead=_bind(LeadItem, leads, region),
        note=_bind(NoteItem, leads, region),
        event=_bind(EventItem, leads, region),
        dedupe=_bind(DedupeItem, leads, region),
        link=_bind(LinkItem, leads, region),
        key=_bind(LeadKeyItem, keys, region),
    )


def lead_index(region: str, name: str) -> LeadIndex:
    """One of the lead item's indexes (`by_status`, ...), bound to `region`."""
    return cast(LeadIndex, getattr(models(region).lead, name))


def region_of_item(item: Model) -> str:
    return str(item.Meta.region)


# ---------------------------------------------------------------------------------------------- mapping


@dataclass(frozen=True)
class TimelineEvent:
    event_id: str
    type: str
    actor: str
    at: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class LeadState:
    """A lead as stored: the non-personal attributes in clear, personal ones opened with the lead key."""

    lead: Lead
    label_ids: set[str]
    expires_epoch: int
    person_hash: str | None = None
    lead_key: bytes = field(default=b"", repr=False)
    card: LeadKeyItem | None = field(default=None, repr=False)  # its card 0 as read (store.lead_cards)
    digests: set[str] = field(default_factory=set)


def _personal(lead: Lead) -> tuple[str, str | None]:
    contact = lead.contact.model_dump_json(exclude_none=True)
    answers = lead.form.model_dump_json(include={"answers"}) if lead.form.answers else None
    return contact, answers


def _set_dimensions(item: LeadItem, account_id: str, lead: Lead) -> None:
    """The sparse index keys of every list filter."""

    def key(dimension: str, value: str | None) -> str | None:
        return dimension_key(account_id, dimension, value) if value else None

    item.g_status = key("status", lead.status.value)
    item.g_assignee = key("assignee", lead.assignee or "none")
    item.g_access = key("access", lead.access_status.value)
    item.g_source = key("source", lead.source.value)
    item.g_form = key("form", lead.form.form_id)
    item.g_ad = key("ad", lead.ad.ad_id)
    item.g_adgroup = key("adgroup", lead.ad.adgroup_id)
    item.g_campaign = key("campaign", lead.ad.campaign_id)
    item.g_traffic = key("traffic", lead.traffic)


def lead_item(state: LeadState, cipher: crypto.FieldCipher) -> LeadItem:
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
    )
    _set_dimensions(item, lead.account_id, lead)
    return item


def lead_from_item(item: LeadItem, cipher: crypto.FieldCipher | None) -> LeadState:
    """The lead an item holds; without a cipher its personal fields stay empty."""
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
        status=LeadStatus(item.status),
        labels=[],
        assignee=item.assignee,
        source=LeadSource(item.source),
        contact=contact,
        ad=ad,
        form=form,
        access_status=AccessStatus(item.access_status),
        accessed_by=item.accessed_by,
        accessed_at=item.accessed_at,
        created_at=item.created_at,
        updated_at=item.updated_at,
        expires_at="",
        version=int(item.version),
        storage_region=region_of_item(item),
        conversation_id=item.conversation_id,
    )
    return LeadState(
        lead, set(item.labels or ()), int(item.expires_at), item.person_hash, digests=set(item.digests or ())
    )


def open_item(item: LeadItem, key_item: LeadKeyItem) -> LeadState:
    """The lead with its personal fields, opened with its data key (unwrapped under the region's KEK)."""
    region = region_of_item(item)
    wrapped = crypto.WrappedLeadKey(bytes(key_item.kek_blob), bytes(key_item.wrapped))
    lead_key = crypto.open_lead_key(region, item.account_id, item.lead_id, wrapped)
    state = lead_from_item(item, crypto.FieldCipher(lead_key, item.account_id, item.lead_id))
    state.lead_key = lead_key
    return state


def open_card(card: LeadItem) -> LeadState:
    """The lead a listing card (a LeadKeyItem) holds, opened with the key it carries."""
    return open_item(card, cast(LeadKeyItem, card))


def lead_card(item: LeadItem, wrapped: crypto.WrappedLeadKey) -> LeadKeyItem:
    """The listing card of a lead item: every attribute of the item, and its wrapped key."""
    values = {name: getattr(item, name) for name in LeadItem.get_attributes() if name != "pk"}
    return models(region_of_item(item)).key(
        pk=key_pk(item.account_id, item.lead_id), kek_blob=wrapped.kek_blob, wrapped=wrapped.wrapped, **values
    )


def link_item(region: str, account_id: str, label_id: str, lead_id: str, exp: int) -> LinkItem:
    return models(region).link(
        pk=link_pk(account_id, label_id),
        sk=lead_sk(lead_id),
        lead_id=lead_id,
        expires_at=exp,
        g_exp=expiry_key(exp, lead_id),
    )


def dedupe_item(region: str, account_id: str, digest: str, lead_id: str, exp: int) -> DedupeItem:
    return models(region).dedupe(
        pk=dedupe_pk(account_id, digest), sk="D", lead_id=lead_id, expires_at=exp, g_exp=expiry_key(exp, lead_id)
    )


def event_item(region: str, account_id: str, lead_id: str, exp: int, event: TimelineEvent) -> EventItem:
    return models(region).event(
        pk=children_pk(account_id, lead_id),
        sk=f"T#{event.event_id}",
        type=event.type,
        actor=event.actor,
        at=event.at,
        data=json.dumps(event.data, sort_keys=True) if event.data else None,
        expires_at=exp,
        g_exp=expiry_key(exp, lead_id),
    )
