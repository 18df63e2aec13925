"""Report counters (home table): per account, level (ad, adgroup, campaign), day and entity, kept as events happen.

Items:  pk R#<account>#<level>    sk D#<YYYY-MM-DD>#<id>   leads, conversations, conversions (counts), spend (minor
                                                          units, cents), moved with ADD only
        pk RL#<account>           sk <lead id>             "this lead is counted": day, ids, conversion; TTL as the lead
        pk RC#<account>           sk <conversation id>     "this conversation is counted" (its first message)
        pk RS#<account>#<ad id>   sk D#<YYYY-MM-DD>        the ad's spend that day: amount, currency, as_of, version

A report for one level and a date range is one Query (`R#<account>#<level>`, sk between two days), whatever the
number of leads; every count moves in one TransactWriteItems with the marker that makes it happen once (a marker
put that must not exist, or a spend item conditioned on its version), so redeliveries and races never count twice.
`count_group` is the old way (a COUNT query per group on the lead table's attribution index), kept for the
benchmark's peer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from leadcenter.config import settings
from leadcenter.store import batch_io
from leadcenter.store._base import table_meta, transact_write, translate_write_errors
from leadcenter.store.catalog import CatalogItem, catalog_key
from leadcenter.store.lead_items import dimension_key, lead_index, models

LEVELS = ("ad", "adgroup", "campaign")
_MAX_TRANSACTION_ITEMS = 100  # TransactWriteItems' limit
DIMENSIONS = LEVELS


class CounterItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity_id = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    leads = NumberAttribute(null=True)
    conversations = NumberAttribute(null=True)
    conversions = NumberAttribute(null=True)
    spend = NumberAttribute(null=True)


class MarkerItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    day = UnicodeAttribute()
    ad_id = UnicodeAttribute(null=True)
    adgroup_id = UnicodeAttribute(null=True)
    campaign_id = UnicodeAttribute(null=True)
    conversion = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)


class SpendItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    as_of = UnicodeAttribute()
    version = NumberAttribute()


@dataclass(frozen=True)
class Entities:
    """The ad, ad group and campaign one event counts for (any may be unknown)."""

    ad_id: str | None = None
    adgroup_id: str | None = None
    campaign_id: str | None = None

    def by_level(self) -> list[tuple[str, str]]:
        pairs = (("ad", self.ad_id), ("adgroup", self.adgroup_id), ("campaign", self.campaign_id))
        return [(level, entity_id) for level, entity_id in pairs if entity_id]


@dataclass(frozen=True)
class Counter:
    level: str
    day: str
    entity_id: str
    leads: int = 0
    conversations: int = 0
    conversions: int = 0
    spend: int = 0  # minor units


@dataclass(frozen=True)
class Spend:
    amount: int  # minor units
    currency: str
    as_of: str
    version: int


def _counter_key(account_id: str, level: str, day: str, entity_id: str) -> CounterItem:
    return CounterItem(f"R#{account_id}#{level}", f"D#{day}#{entity_id}")


def _counter_actions(entity_id: str, day: str, deltas: dict[str, int]) -> list[Action]:
    actions: list[Action] = [CounterItem.entity_id.set(entity_id), CounterItem.day.set(day)]
    return actions + [getattr(CounterItem, name).add(delta) for name, delta in deltas.items() if delta]


def _add(transaction: TransactWrite, account_id: str, day: str, entities: Entities, **deltas: int) -> None:
    for level, entity_id in entities.by_level():
        transaction.update(
            _counter_key(account_id, level, day, entity_id), actions=_counter_actions(entity_id, day, deltas)
        )


def _count_once(
    marker: MarkerItem, account_id: str, day: str, entities: Entities, conversion: bool, metric: str
) -> bool:
    """Puts `marker` (it must not exist) and adds one `metric` (and one conversion) in one transaction."""
    deltas = {metric: 1, "conversions": 1 if conversion else 0}
    batch_io.forget(MarkerItem, marker.pk, marker.sk)
    try:
        with transact_write(settings().home_region) as transaction:
            transaction.save(marker, condition=MarkerItem.pk.does_not_exist())
            _add(transaction, account_id, day, entities, **deltas)
    except TransactWriteError:
        if marker_exists(marker.pk, marker.sk):
            return False  # counted already (a redelivery, or a concurrent first message)
        raise
    return True


def marker_exists(pk: str, sk: str) -> bool:
    known = batch_io.cached(MarkerItem, pk, sk)
    if not isinstance(known, batch_io.Miss):
        return known is not None
    try:
        MarkerItem.get(pk, sk, attributes_to_get=["pk"])
        return True
    except DoesNotExist:
        return False


def _marker(pk: str, sk: str, day: str, entities: Entities, conversion: bool, expires_epoch: int) -> MarkerItem:
    return MarkerItem(
        pk,
        sk,
        day=day,
        ad_id=entities.ad_id,
        adgroup_id=entities.adgroup_id,
        campaign_id=entities.campaign_id,
        conversion=1 if conversion else 0,
        expires_at=expires_epoch,
    )


def count_lead(
    account_id: str, lead_id: str, day: str, entities: Entities, conversion: bool, expires_epoch: int
) -> bool:
    """Counts a new lead once; False when it was counted before."""
    marker = _marker(f"RL#{account_id}", lead_id, day, entities, conversion, expires_epoch)
    return _count_once(marker, account_id, day, entities, conversion, "leads")


@dataclass(frozen=True)
class NewLeadCount:
    lead_id: str
    day: str
    entities: Entities
    conversion: bool
    expires_epoch: int


def count_new_leads(account_id: str, leads: Iterable[NewLeadCount]) -> int:
    """Counts many new leads as `count_lead` counts each, for seeding in bulk (local/seed/bulk.py): the markers
    (so deleting a lead takes it out again) in BatchWriteItems, then each counter moved once by its sum (ADD, so
    counts already there stay), up to 100 counters a TransactWriteItems. Nothing conditions the markers: only for
    leads never counted before. Returns the number of counters moved."""
    sums: dict[tuple[str, str, str], list[int]] = {}
    with MarkerItem.batch_write() as batch:
        for lead in leads:
            batch.save(_marker(f"RL#{account_id}", lead.lead_id, lead.day, lead.entities, lead.conversion,
                               lead.expires_epoch))  # fmt: skip
            for level, entity_id in lead.entities.by_level():
                counts = sums.setdefault((level, lead.day, entity_id), [0, 0])
                counts[0] += 1
                counts[1] += 1 if lead.conversion else 0
    moves = sorted(sums.items())
    for start in range(0, len(moves), _MAX_TRANSACTION_ITEMS):
        with transact_write(settings().home_region) as transaction:
            for (level, day, entity_id), (count, conversions) in moves[start : start + _MAX_TRANSACTION_ITEMS]:
                deltas = {"leads": count, "conversions": conversions}
                transaction.update(
                    _counter_key(account_id, level, day, entity_id), actions=_counter_actions(entity_id, day, deltas)
                )
    return len(sums)


def uncount_lead(account_id: str, lead_id: str) -> bool:
    """Takes a deleted lead out of its counts once; False when it was not counted (or already taken out)."""
    try:
        marker = MarkerItem.get(f"RL#{account_id}", lead_id)
    except DoesNotExist:
        return False
    entities = Entities(marker.ad_id, marker.adgroup_id, marker.campaign_id)
    try:
        with transact_write(settings().home_region) as transaction:
            transaction.delete(marker, condition=MarkerItem.pk.exists())
            _add(transaction, account_id, marker.day, entities, leads=-1, conversions=-int(marker.conversion or 0))
    except TransactWriteError:
        if not marker_exists(marker.pk, marker.sk):
            return False
        raise
    return True


def conversation_counted(account_id: str, conversation_id: str) -> bool:
    return marker_exists(f"RC#{account_id}", conversation_id)


def conversation_marker_key(account_id: str, conversation_id: str) -> batch_io.Key:
    return batch_io.key_of(MarkerItem, f"RC#{account_id}", conversation_id)


def count_conversation(
    account_id: str, conversation_id: str, day: str, entities: Entities, conversion: bool, expires_epoch: int
) -> bool:
    """Counts a conversation's first message once (an organic one only gets its marker: an idempotent put that
    goes out with a batch's other puts)."""
    marker = _marker(f"RC#{account_id}", conversation_id, day, entities, conversion, expires_epoch)
    if not entities.by_level():
        batch_io.defer(marker)
        return True
    return _count_once(marker, account_id, day, entities, conversion, "conversations")


# ---------------------------------------------------------------------------------------------- spend


def _spend_key(account_id: str, ad_id: str, day: str) -> tuple[str, str]:
    return f"RS#{account_id}#{ad_id}", f"D#{day}"


def get_spend(account_id: str, ad_id: str, day: str) -> Spend | None:
    """Consistent; in a worker's batch from its snapshot (store.batch_io), which `set_spend` keeps up to date."""
    item = batch_io.get(SpendItem, *_spend_key(account_id, ad_id, day), consistent=True)
    return None if item is None else Spend(int(item.amount), item.currency, item.as_of, int(item.version))


def spend_key(account_id: str, ad_id: str, day: str) -> batch_io.Key:
    return batch_io.key_of(SpendItem, *_spend_key(account_id, ad_id, day))


def currency(account_id: str) -> str | None:
    """The account's spend currency, fixed by its first spend; in a worker's batch from its snapshot."""
    known = batch_io.cached(CatalogItem, *catalog_key(account_id))
    if not isinstance(known, batch_io.Miss):
        return None if known is None else known.currency
    try:
        item = CatalogItem.get(*catalog_key(account_id), consistent_read=True, attributes_to_get=["currency"])
    except DoesNotExist:
        return None
    return item.currency


def currency_key(account_id: str) -> batch_io.Key:
    return batch_io.key_of(CatalogItem, *catalog_key(account_id))


def set_spend(
    account_id: str, day: str, entities: Entities, amount: int, currency_code: str, as_of: str, current: Spend | None
) -> None:
    """Sets the ad's spend for `day` to `amount`, moving the counters by the difference from `current` (as read).

    One transaction: the spend item (conditioned on the version read, or on not existing), the counters (ADD the
    difference) and the account's currency (set by the first spend, and the same for every later one). A race
    with another statement or currency is a Conflict: read again and retry.
    """
    if entities.ad_id is None:
        raise ValueError("spend belongs to an ad")
    pk, sk = _spend_key(account_id, entities.ad_id, day)
    version = current.version + 1 if current else 1
    item = SpendItem(pk, sk, amount=amount, currency=currency_code, as_of=as_of, version=version)
    condition = SpendItem.pk.does_not_exist() if current is None else SpendItem.version == current.version
    catalog = CatalogItem(*catalog_key(account_id))
    same_currency = CatalogItem.currency.does_not_exist() | (CatalogItem.currency == currency_code)
    # In a batch, a later event reads the spend item as written and the catalog (as read) with this currency; after
    # a failure, both from the table again.
    known = batch_io.cached(CatalogItem, *catalog_key(account_id))
    batch_io.forget(CatalogItem, *catalog_key(account_id))
    batch_io.forget(SpendItem, pk, sk)
    with (
        translate_write_errors("the spend or the account's currency changed meanwhile"),
        transact_write(settings().home_region) as transaction,
    ):
        transaction.save(item, condition=condition)
        transaction.update(catalog, actions=[CatalogItem.currency.set(currency_code)], condition=same_currency)
        _add(transaction, account_id, day, entities, spend=amount - (current.amount if current else 0))
    batch_io.remember(SpendItem, pk, sk, item)
    if not isinstance(known, batch_io.Miss):
        known = known or CatalogItem(*catalog_key(account_id))
        known.currency = currency_code  # what the transaction set; the worker reads nothing else of the catalog
        batch_io.remember(CatalogItem, *catalog_key(account_id), known)


# ---------------------------------------------------------------------------------------------- reads


def read(account_id: str, level: str, day_from: str, day_to: str) -> list[Counter]:
    """Every counter of a level between two days (inclusive): one Query (more only past 1 MB)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level}")
    condition = CounterItem.sk.between(f"D#{day_from}#", f"D#{day_to}#\U0010ffff")
    return [
        Counter(
            level,
            item.day or item.sk[2:12],
            item.entity_id or item.sk[13:],
            int(item.leads or 0),
            int(item.conversations or 0),
            int(item.conversions or 0),
            int(item.spend or 0),
        )
        for item in CounterItem.query(f"R#{account_id}#{level}", condition)
    ]


def write_counters(account_id: str, counters: Iterable[Counter]) -> None:
    """Puts whole counter items (BatchWriteItem): for seeding a benchmark, never for events."""
    with CounterItem.batch_write() as batch:
        for c in counters:
            item = _counter_key(account_id, c.level, c.day, c.entity_id)
            item.entity_id, item.day = c.entity_id, c.day
            item.leads, item.conversations, item.conversions, item.spend = (
                c.leads,
                c.conversations,
                c.conversions,
                c.spend,
            )
            batch.save(item)


def count_group(region: str, account_id: str, dimension: str, group_id: str, now_epoch: int) -> int:
    """Leads of `account_id` in `region` attributed to one group, not yet expired: a COUNT query on the lead
    table's attribution index (the report's former design; the benchmark's peer)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension}")
    index = lead_index(region, f"by_{dimension}")
    expires_at = models(region).lead.expires_at
    return index.count(dimension_key(account_id, dimension, group_id), filter_condition=expires_at > now_epoch)
