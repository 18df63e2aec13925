"""The per-account catalog of ads, ad groups, campaigns and forms (id -> name), one item in the home table.

Search by name reads this one item and resolves names to ids; leads are then read by key, never scanned.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import MapAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.store._base import table_meta
from leadcenter.store.accounts import account_pk

KINDS = ("ad", "adgroup", "campaign", "form")


class CatalogItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="CATALOG")
    ad: MapAttribute[str, str] = MapAttribute(default=dict)
    adgroup: MapAttribute[str, str] = MapAttribute(default=dict)
    campaign: MapAttribute[str, str] = MapAttribute(default=dict)
    form: MapAttribute[str, str] = MapAttribute(default=dict)
    # Lead ads (store.lead_ads) for reports: ad group id -> optimization goal, ad id -> ad group id; the account's
    # spend currency (fixed by its first spend, store.reports).
    goal: MapAttribute[str, str] = MapAttribute(null=True)
    adgroup_of: MapAttribute[str, str] = MapAttribute(null=True)
    currency = UnicodeAttribute(null=True)


def catalog_key(account_id: str) -> tuple[str, str]:
    return account_pk(account_id), "CATALOG"


# What this container already wrote, so a stream of leads from one ad costs one catalog write, not one each.
_known: set[tuple[str, str, str, str]] = set()
_known_lock = threading.Lock()


def record(account_id: str, entries: list[tuple[str, str, str]]) -> None:
    """Adds (kind, id, name) entries that are new to this container; one UpdateItem for all of them."""
    with _known_lock:
        # One entry per (kind, id): an update may not name one document path twice.
        unique = {(k, i): n for k, i, n in entries if i and n}
        fresh = [(k, i, n) for (k, i), n in unique.items() if (account_id, k, i, n) not in _known]
    if not fresh:
        return
    item = CatalogItem(pk=account_pk(account_id), sk="CATALOG")
    actions = [getattr(CatalogItem, kind)[item_id].set(name) for kind, item_id, name in fresh]
    try:
        item.update(actions=actions)
    except UpdateError:
        # The maps do not exist yet: create them once (if_not_exists), then set the entries.
        item.update(actions=[getattr(CatalogItem, k).set(getattr(CatalogItem, k) | {}) for k in KINDS])
        item.update(actions=actions)
    with _known_lock:
        _known.update((account_id, k, i, n) for k, i, n in fresh)


def load(account_id: str) -> dict[str, dict[str, str]]:
    try:
        item = CatalogItem.get(account_pk(account_id), "CATALOG")
    except DoesNotExist:
        return {kind: {} for kind in KINDS}
    return {kind: dict(getattr(item, kind).as_dict() if getattr(item, kind) else {}) for kind in KINDS}


def resolve(account_ids: list[str], query: str) -> list[tuple[str, str, str]]:
    """(account, kind, id) whose id equals the query or whose name contains it, case-insensitively."""
    needle = query.strip().casefold()
    matches = []
    for account_id in account_ids:
        catalog = load(account_id)
        for kind in KINDS:
            for item_id, name in catalog[kind].items():
                if item_id == query.strip() or needle in str(name).casefold():
                    matches.append((account_id, kind, item_id))
    return matches


@dataclass(frozen=True)
class Directory:
    """What a report shows beside its counts, from the one catalog item."""

    names: dict[str, dict[str, str]]
    goals: dict[str, str]
    adgroup_of: dict[str, str]
    currency: str | None


def record_structure(account_id: str, goals: dict[str, str], adgroup_of: dict[str, str]) -> None:
    """Sets ad groups' optimization goals and ads' ad groups (one UpdateItem)."""
    item = CatalogItem(*catalog_key(account_id))
    goal: Any = CatalogItem.goal  # typed as a map of str; a path into it is an attribute path
    parent: Any = CatalogItem.adgroup_of
    actions = [goal[k].set(v) for k, v in goals.items()] + [parent[k].set(v) for k, v in adgroup_of.items()]
    if not actions:
        return
    try:
        item.update(actions=actions)
    except UpdateError:  # the maps do not exist yet
        item.update(
            actions=[
                CatalogItem.goal.set(CatalogItem.goal | {}),
                CatalogItem.adgroup_of.set(CatalogItem.adgroup_of | {}),
            ]
        )
        item.update(actions=actions)


def directory(account_id: str) -> Directory:
    try:
        item = CatalogItem.get(*catalog_key(account_id))
    except DoesNotExist:
        return Directory({kind: {} for kind in KINDS}, {}, {}, None)

    def plain(value: MapAttribute[str, str] | None) -> dict[str, str]:
        return {k: str(v) for k, v in value.as_dict().items()} if value else {}

    names = {kind: plain(getattr(item, kind)) for kind in KINDS}
    return Directory(names, plain(item.goal), plain(item.adgroup_of), item.currency)
