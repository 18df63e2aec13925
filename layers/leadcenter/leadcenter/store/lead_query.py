"""Lead lists: the query planner. A typed LeadQuery in, a page of opened leads out.

Lists read the leads' listing cards (store.lead_cards: copies of the lead item, each with the lead's wrapped key,
in the lead-keys table), so a page arrives with its key material: one Query per region and key. Every single
filter (label included) and every pair of status, label, assignee, source, form and `q` has its own key there,
`A#<account>#<family>#<values>`, sorted by lead id (time sortable), so a filter or pair and a creation-time range
are one key query; the planner picks the family covering the most (and most selective) filters as the key and
leaves the rest (access status, a third filter) to a filter expression over that key's cards. `q` resolves to the
catalog's matching ids, one key query per match. Several accounts or storage regions are merged newest first.
See docs/data-model.md.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from pynamodb.expressions.condition import Condition

from leadcenter import ids
from leadcenter.store import catalog as catalog_store
from leadcenter.store.lead_cards import LAYOUTS, SLOT_OF, family_key, slot_name
from leadcenter.store.lead_items import (
    LeadIndex,
    LeadItem,
    LeadState,
    dimension_key,
    lead_pk,
    lead_sk,
    models,
    open_card,
)


@dataclass
class QueryStats:
    requests: int = 0
    scanned: int = 0
    returned: int = 0


@dataclass(frozen=True)
class LeadQuery:
    """Leads of some ad accounts, newest first (or, with `updated_since`, oldest change first).

    `regions` maps each ad account to the storage regions holding its leads. `created_from`/`created_to` bound
    the creation time (the caller folds the retention window and expiry filters into them). `after` is the sort
    key of the last lead of the previous page (from `LeadPage.last_key`).
    """

    regions: dict[str, list[str]]
    limit: int
    created_from: datetime
    created_to: datetime
    now_epoch: int
    status: str | None = None
    label: str | None = None
    assignee: str | None = None  # a user id, or "none"
    access_status: str | None = None
    source: str | None = None
    form_id: str | None = None
    traffic: str | None = None  # organic | paid
    q: str | None = None
    updated_since: str | None = None  # ISO time
    after: str | None = None

    def dimensions(self) -> dict[str, str]:
        given = {
            "form": self.form_id,
            "assignee": self.assignee,
            "status": self.status,
            "source": self.source,
            "access": self.access_status,
            "traffic": self.traffic,
        }
        return {dimension: value for dimension, value in given.items() if value}


@dataclass
class LeadPage:
    leads: list[LeadState]
    last_key: str | None  # where the next page starts, None on the last page
    stats: QueryStats = field(default_factory=QueryStats)


def find(query: LeadQuery) -> LeadPage:
    """One page of leads matching every filter of `query`, opened (personal fields readable)."""
    stats = QueryStats()
    if query.updated_since is not None:
        items = _by_update(query, stats)
        sort_key = "upd_sk"
    else:
        items = _by_creation(query, stats)
        sort_key = "sk"
    page = items[: query.limit]
    last_key = getattr(page[-1], sort_key) if len(items) > query.limit and page else None
    return LeadPage([open_card(card) for card in page], last_key, stats)


# Which filters make the best key when several are given: the ones expected to be most selective first.
_RANK = ("label", "ad", "adgroup", "campaign", "form", "assignee", "status", "source", "access", "traffic")


def _filter_condition(account_id: str, rest: dict[str, str]) -> Condition | None:
    """The filters the key does not cover, as a filter expression over the key's cards."""
    parts: list[Condition] = []
    for dimension, value in rest.items():
        if dimension == "label":
            parts.append(LeadItem.labels.contains(value))
        else:
            attribute = getattr(LeadItem, f"g_{dimension}")
            parts.append(attribute == dimension_key(account_id, dimension, value))
    condition = None
    for part in parts:
        condition = part if condition is None else condition & part
    return condition


@dataclass(frozen=True)
class _Target:
    """One key query: on the cards' index `index` for `hash_value`, with the filters left over."""

    index: str
    hash_value: str
    rest: dict[str, str]


def _best_family(wanted: dict[str, str]) -> tuple[str, ...]:
    """The indexed family (a filter or pair) covering the most, and most selective, of the wanted filters."""
    best: tuple[str, ...] = ("account",)
    best_score = (0, 0)
    for family in SLOT_OF:
        if family <= wanted.keys() and family != {"account"}:
            score = (len(family), -sum(_RANK.index(d) for d in family))
            if score > best_score:
                best, best_score = tuple(sorted(family, key=_RANK.index)), score
    return best


def _target(account_id: str, wanted: dict[str, str]) -> _Target:
    family = _best_family(wanted)
    slot = SLOT_OF[frozenset(family)]
    # The family's own dimension order (its key is built in that order).
    ordered = next(f for layout in LAYOUTS.values() for f in layout if frozenset(f) == frozenset(family))
    key = family_key(account_id, ordered, dict(wanted))
    assert key is not None
    rest = {d: v for d, v in wanted.items() if d not in family}
    return _Target(f"by_{slot_name(slot)}", key, rest)


def _targets(account_id: str, query: LeadQuery, dims: dict[str, str]) -> list[_Target]:
    wanted = {**dims, **({"label": query.label} if query.label else {})}
    if not query.q:
        return [_target(account_id, wanted)]
    targets = []
    for _, kind, item_id in catalog_store.resolve([account_id], query.q):
        if wanted.get(kind, item_id) != item_id:
            continue  # q names another form than form_id: none of its leads match both
        targets.append(_target(account_id, {**wanted, kind: item_id}))
    return targets


def _source(region: str, index: str) -> LeadIndex:
    """An index of the listing cards."""
    return cast(LeadIndex, getattr(models(region).key, index))


def _query(
    region: str,
    index: str,
    hash_value: str,
    range_condition: Condition | None,
    filter_condition: Condition | None,
    limit: int,
    stats: QueryStats,
    *,
    newest_first: bool = True,
) -> list[LeadItem]:
    """One key query (base table or a GSI), at most `limit` matches."""
    result = _source(region, index).query(
        hash_value,
        range_key_condition=range_condition,
        filter_condition=filter_condition,
        scan_index_forward=not newest_first,
        limit=limit,
        page_size=limit if filter_condition is None else max(limit, 25),
    )
    items = list(result)
    stats.requests += 1  # at least; a filtered query may take more pages (the benchmark counts them at botocore)
    stats.scanned += result.page_iter.total_scanned_count
    stats.returned += len(items)
    return items


def _by_creation(query: LeadQuery, stats: QueryStats) -> list[LeadItem]:
    if query.created_from > query.created_to:
        return []
    low_key = lead_sk(ids.floor(query.created_from))
    high_key = lead_sk(ids.ceiling(query.created_to) + "~")
    after = query.after
    if after is not None:
        high_key = min(high_key, after)
    dims = query.dimensions()
    want = query.limit + 1
    streams: list[list[LeadItem]] = []
    for account_id, regions in query.regions.items():
        targets = _targets(account_id, query, dims)
        for region in regions:
            range_condition = models(region).lead.sk.between(low_key, high_key)
            for target in targets:
                condition = _filter_condition(account_id, target.rest)
                items = _query(region, target.index, target.hash_value, range_condition, condition, want + 1, stats)
                streams.append([i for i in items if i.sk != after])
    return _first_distinct(heapq.merge(*streams, key=lambda i: i.sk, reverse=True), want)


def _first_distinct(items: Iterable[LeadItem], want: int) -> list[LeadItem]:
    result: list[LeadItem] = []
    seen: set[str] = set()
    for item in items:
        if item.lead_id not in seen:
            seen.add(item.lead_id)
            result.append(item)
            if len(result) >= want:
                break
    return result


def _by_update(query: LeadQuery, stats: QueryStats) -> list[LeadItem]:
    """Incremental pull: oldest change first from `updated_since`, so a CRM that follows the cursor sees
    every change once; a lead changed again later moves behind the cursor and is seen again."""
    start = query.after or query.updated_since or ""
    dims = {**query.dimensions(), **({"label": query.label} if query.label else {})}
    streams = []
    for account_id, regions in query.regions.items():
        rest = _filter_condition(account_id, dims)
        for region in regions:
            lead = models(region).lead
            condition = lead.expires_at > query.now_epoch
            if rest is not None:
                condition &= rest
            items = _query(
                region,
                "by_updated",
                lead_pk(account_id),
                lead.upd_sk >= start,
                condition,
                query.limit + 2,
                stats,
                newest_first=False,
            )
            streams.append([i for i in items if i.upd_sk != query.after])
    return list(heapq.merge(*streams, key=lambda i: i.upd_sk))[: query.limit + 1]


# ---------------------------------------------------------------------------------------------- counts


def count_created(
    region: str, account_id: str, created_from: datetime, created_to: datetime, *, status: str | None = None
) -> int:
    """Leads created in a time range (of one status): a key-condition COUNT on the card 0 slot of every lead or of
    the status, which reads the index partition but returns no items."""
    card = models(region).key
    between = card.sk.between(lead_sk(ids.floor(created_from)), lead_sk(ids.ceiling(created_to) + "~"))
    family = ("status",) if status is not None else ("account",)
    key = family_key(account_id, family, {"status": status})
    assert key is not None
    index = f"by_{slot_name(SLOT_OF[frozenset(family)])}"
    return card.count(key, range_key_condition=between, index_name=index)
