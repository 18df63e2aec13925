"""Campaigns, ad groups and ads of an ad account (home table). No personal data.

Items:  pk ACC#<account>  sk CMP#<campaign id>   name, status
        pk ACC#<account>  sk ADG#<ad group id>   name, status, campaign_id, optimization_goal, targeting_countries
        pk ACC#<account>  sk AD#<ad id>          name, status, adgroup_id, campaign_id, form_id

One item class for the three kinds (the attributes a kind does not use stay empty). Lists are one Query on the
account partition by sort-key prefix, in id order (ids are ULIDs, so oldest first), continued after the last
sort key; edits are conditioned on the version read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.errors import NotFound
from leadcenter.store import batch_io
from leadcenter.store._base import table_meta, translate_write_errors
from leadcenter.store.accounts import account_pk

PREFIX = {"campaign": "CMP#", "adgroup": "ADG#", "ad": "AD#"}


class LeadAdItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    entity_id = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute()
    campaign_id = UnicodeAttribute(null=True)
    adgroup_id = UnicodeAttribute(null=True)
    optimization_goal = UnicodeAttribute(null=True)
    targeting_countries = ListAttribute(of=UnicodeAttribute, null=True)
    form_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    version = NumberAttribute(default=1)


@dataclass(frozen=True)
class LeadAd:
    """A campaign, ad group or ad (`kind`); the fields of the other kinds are None."""

    kind: str
    id: str
    account_id: str
    name: str
    status: str
    created_at: str
    updated_at: str
    created_by: str
    version: int = 1
    campaign_id: str | None = None
    adgroup_id: str | None = None
    optimization_goal: str | None = None
    targeting_countries: tuple[str, ...] = field(default_factory=tuple)
    form_id: str | None = None


def _sk(kind: str, entity_id: str) -> str:
    return PREFIX[kind] + entity_id


def _entity(account_id: str, item: LeadAdItem) -> LeadAd:
    return LeadAd(
        kind=item.kind,
        id=item.entity_id,
        account_id=account_id,
        name=item.name,
        status=item.status,
        created_at=item.created_at,
        updated_at=item.updated_at,
        created_by=item.created_by,
        version=int(item.version),
        campaign_id=item.campaign_id,
        adgroup_id=item.adgroup_id,
        optimization_goal=item.optimization_goal,
        targeting_countries=tuple(str(c) for c in item.targeting_countries or ()),
        form_id=item.form_id,
    )


def _item(entity: LeadAd) -> LeadAdItem:
    return LeadAdItem(
        pk=account_pk(entity.account_id),
        sk=_sk(entity.kind, entity.id),
        kind=entity.kind,
        entity_id=entity.id,
        name=entity.name,
        status=entity.status,
        campaign_id=entity.campaign_id,
        adgroup_id=entity.adgroup_id,
        optimization_goal=entity.optimization_goal,
        targeting_countries=list(entity.targeting_countries) if entity.kind == "adgroup" else None,
        form_id=entity.form_id,
        created_at=entity.created_at,
        updated_at=entity.updated_at,
        created_by=entity.created_by,
        version=entity.version,
    )


def create(entity: LeadAd) -> None:
    with translate_write_errors(f"{entity.kind} {entity.id} already exists"):
        _item(entity).save(condition=LeadAdItem.pk.does_not_exist())


def replace(entity: LeadAd, expected_version: int) -> None:
    """Writes `entity` (whose version is already the next one) if the stored one still has `expected_version`."""
    with translate_write_errors(f"the {entity.kind} changed since you read it", current_version=expected_version):
        _item(entity).save(condition=LeadAdItem.version == expected_version)


def find(account_id: str, kind: str, entity_id: str) -> LeadAd | None:
    """By key; in a worker's batch from its snapshot (store.batch_io), read once per batch."""
    item = batch_io.get(LeadAdItem, account_pk(account_id), _sk(kind, entity_id))
    return None if item is None else _entity(account_id, item)


def entity_key(account_id: str, kind: str, entity_id: str) -> batch_io.Key:
    return batch_io.key_of(LeadAdItem, account_pk(account_id), _sk(kind, entity_id))


def get(account_id: str, kind: str, entity_id: str) -> LeadAd:
    found = find(account_id, kind, entity_id)
    if found is None:
        raise NotFound(f"{kind} {entity_id} not found")
    return found


def page(account_id: str, kind: str, limit: int, after: str | None) -> tuple[list[LeadAd], str | None]:
    """Up to `limit` entities of a kind after the id `after`; the id to continue after, or None at the end."""
    prefix = PREFIX[kind]
    condition: Condition = LeadAdItem.sk.startswith(prefix)
    if after is not None:
        condition = LeadAdItem.sk.between(prefix + after + "\x00", prefix + "\U0010ffff")
    items = list(LeadAdItem.query(account_pk(account_id), condition, limit=limit + 1, page_size=limit + 1))
    found = [_entity(account_id, item) for item in items[:limit]]
    return found, (found[-1].id if len(items) > limit and found else None)
