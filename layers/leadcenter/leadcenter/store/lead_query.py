"""Lead lists: the query planner. A typed LeadQuery in, a page of opened leads out.

Every filter has its own sparse GSI keyed by `A#<account>#<dimension>#<value>` and sorted by lead id (time
sortable), so one filter and a creation-time range are one key query; the planner picks the most selective
filter as the key and leaves the rest to a filter expression over that key's items. A label is served by its
link items (one per labelled lead), then the leads by key; `q` by the catalog's matching ids, one key query per
match. Several accounts or storage regions are merged newest first. See docs/data-model.md.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pynamodb.expressions.condition import Condition

from leadcenter import ids
from leadcenter.store import catalog as catalog_store
from leadcenter.store.lead_items import (
    LeadIndex,
    LeadItem,
    LeadState,
    dimension_key,
    lead_index,
    lead_pk,
    lead_sk,
    link_pk,
    models,
    open_items,
    region_of_item,
)

# Which filter serves as the key (index) when several are given: the one expected to be most selective.
_PRIMARY_ORDER = ("form", "assignee", "status", "source", "access", "traffic")


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
    by_region: dict[str, list[LeadItem]] = {}
    for item in page:
        by_region.setdefault(region_of_item(item), []).append(item)
    opened: dict[str, LeadState] = {}
    for region, region_items in by_region.items():
        stats.requests += 1
        opened.update((state.lead.id, state) for state in open_items(region, region_items))
    return LeadPage([opened[item.lead_id] for item in page if item.lead_id in opened], last_key, stats)


def _filter_condition(dims: dict[str, str], label: str | None) -> Condition | None:
    attribute = {
        "form": LeadItem.form_id,
        "status": LeadItem.status,
        "source": LeadItem.source,
        "access": LeadItem.access_status,
    }
    parts: list[Condition] = []
    for dimension, value in dims.items():
        if dimension == "assignee":
            parts.append(LeadItem.assignee.does_not_exist() if value == "none" else LeadItem.assignee == value)
        elif dimension == "traffic":  # paid: attributed to an ad
            parts.append(LeadItem.g_ad.exists() if value == "paid" else LeadItem.g_ad.does_not_exist())
        else:
            parts.append(attribute[dimension] == value)
    if label:
        parts.append(LeadItem.labels.contains(label))
    condition = None
    for part in parts:
        condition = part if condition is None else condition & part
    return condition


def _matches(item: LeadItem, dims: dict[str, str]) -> bool:
    values = {
        "form": item.form_id,
        "status": item.status,
        "source": item.source,
        "access": item.access_status,
        "assignee": item.assignee or "none",
        "traffic": "paid" if item.g_ad else "organic",
    }
    return all(values[d] == v for d, v in dims.items())


@dataclass(frozen=True)
class _Target:
    """One key query: on `index` (None: the table) for `hash_value`, with the filters left over."""

    index: str | None
    hash_value: str
    rest: dict[str, str]
    label: str | None = None
    label_stream: bool = False


def _targets(account_id: str, query: LeadQuery, dims: dict[str, str]) -> list[_Target]:
    if query.q:
        return [
            _Target(f"by_{kind}", dimension_key(account_id, kind, item_id), dims, query.label)
            for _, kind, item_id in catalog_store.resolve([account_id], query.q)
        ]
    if query.label:
        return [_Target(None, query.label, dims, label_stream=True)]
    for dimension in _PRIMARY_ORDER:
        if dimension in dims:
            rest = {d: v for d, v in dims.items() if d != dimension}
            return [_Target(f"by_{dimension}", dimension_key(account_id, dimension, dims[dimension]), rest)]
    return [_Target(None, lead_pk(account_id), {})]


def _source(region: str, index: str | None) -> type[LeadItem] | LeadIndex:
    return models(region).lead if index is None else lead_index(region, index)


def _query(
    region: str,
    index: str | None,
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
                if target.label_stream:
                    links = _LabelStream(region, account_id, target.hash_value, range_condition, query.now_epoch)
                    streams.append(links.matching(target.rest, want, after, stats))
                    continue
                condition = _filter_condition(target.rest, target.label)
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


@dataclass(frozen=True)
class _LabelStream:
    """Leads with a label: its link items (newest lead first), then the leads by key."""

    region: str
    account_id: str
    label_id: str
    range_condition: Condition
    now_epoch: int

    def matching(self, rest: dict[str, str], want: int, after: str | None, stats: QueryStats) -> list[LeadItem]:
        """Pages through the links until `want` leads match the other filters or the links run out."""
        m = models(self.region)
        matched: list[LeadItem] = []
        start = None
        while len(matched) < want:
            result = m.link.query(
                link_pk(self.account_id, self.label_id),
                range_key_condition=self.range_condition,
                scan_index_forward=False,
                limit=want + 1,
                page_size=want + 1,
                last_evaluated_key=start,
            )
            links = list(result)
            start = result.last_evaluated_key
            stats.requests += 1
            stats.scanned += result.page_iter.total_scanned_count
            lead_ids = [link.lead_id for link in links if link.sk != after]
            fetched = {i.lead_id: i for i in self._leads(lead_ids, stats)}
            matched += [
                fetched[i]
                for i in lead_ids
                if i in fetched and _matches(fetched[i], rest) and fetched[i].expires_at > self.now_epoch
            ]
            if start is None:
                break
        return matched[:want]

    def _leads(self, lead_ids: list[str], stats: QueryStats) -> list[LeadItem]:
        if not lead_ids:
            return []
        stats.requests += (len(lead_ids) + 99) // 100
        keys = [(lead_pk(self.account_id), lead_sk(i)) for i in lead_ids]
        items = list(models(self.region).lead.batch_get(keys))
        stats.scanned += len(items)
        return items


def _by_update(query: LeadQuery, stats: QueryStats) -> list[LeadItem]:
    """Incremental pull: oldest change first from `updated_since`, so a CRM that follows the cursor sees
    every change once; a lead changed again later moves behind the cursor and is seen again."""
    start = query.after or query.updated_since or ""
    dims = query.dimensions()
    rest = _filter_condition(dims, query.label)
    streams = []
    for account_id, regions in query.regions.items():
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
    """Leads created in a time range (of one status): a key-condition COUNT, which reads the index partition
    but returns no items."""
    lead = models(region).lead
    between = lead.sk.between(lead_sk(ids.floor(created_from)), lead_sk(ids.ceiling(created_to) + "~"))
    if status is None:
        return lead.count(lead_pk(account_id), range_key_condition=between)
    return lead.count(dimension_key(account_id, "status", status), range_key_condition=between, index_name="by_status")
