"""Leads: create, read (marks accessed), list with filters across storage regions, update, delete."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadcenter import business_metrics, clock, ids
from leadcenter.config import settings
from leadcenter.domain import conversations
from leadcenter.errors import BadRequest, Conflict, NotFound, Unprocessable
from leadcenter.model import AccessStatus, Attribution, Contact, FormData, LabelRef, Lead, LeadSource, LeadStatus
from leadcenter.policy import Access
from leadcenter.regions import region_router
from leadcenter.store import accounts as account_store
from leadcenter.store import catalog as catalog_store
from leadcenter.store import labels as label_store
from leadcenter.store import leads as lead_store
from leadcenter.store.leads import Change, LeadState, QueryStats, TimelineEvent

# ---------------------------------------------------------------------------------------------- identity


def new_lead_id(storage_region: str, at: datetime) -> str:
    return f"{ids.ulid(at)}-{region_router().tag(storage_region)}"


def region_of(lead_id: str) -> str:
    """The storage region is part of the id, so a lead is read from one region without a lookup."""
    ulid, _, tag = lead_id.partition("-")
    region = region_router().region_for_tag(tag) if len(ulid) == ids.ULID_LENGTH else None
    if region is None or not ulid.isalnum():
        raise NotFound(f"lead {lead_id} not found")
    return region


def lead_accounts(access: Access) -> list[str]:
    """The ad accounts whose leads this access reaches."""
    if access.is_business_center:
        from leadcenter.store import lead_access as lead_access_store

        return lead_access_store.transferred_to(access.account_id)
    return [access.account_id]


def _expiry(created: datetime) -> datetime:
    return created + timedelta(days=settings().retention_days)


def _decorate(states: list[LeadState], label_names: dict[str, str]) -> list[Lead]:
    now = clock.now()
    leads = []
    for state in states:
        lead = state.lead
        expires = datetime.fromtimestamp(state.expires_epoch, tz=now.tzinfo)
        lead.expires_at = clock.iso(expires)
        lead.days_left = max(0, (expires - now).days + (1 if (expires - now).seconds else 0))
        lead.labels = sorted(
            (LabelRef(id=i, name=label_names[i]) for i in state.label_ids if i in label_names),
            key=lambda ref: ref.name.casefold(),
        )
        leads.append(lead)
    return leads


def label_names(account_ids: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for account_id in account_ids:
        names.update({label.id: label.name for label in label_store.list_labels(account_id)})
    return names


def _label_accounts(access: Access, *lead_account_ids: str) -> list[str]:
    """Whose label settings apply: the leads' ad accounts and, through a Business Center, the BC's own."""
    return sorted({access.account_id, *lead_account_ids})


def _expired(state: LeadState) -> bool:
    return state.expires_epoch <= clock.epoch()


# ---------------------------------------------------------------------------------------------- create


@dataclass
class NewLead:
    country: str
    source: LeadSource
    contact: Contact
    ad: Attribution = field(default_factory=Attribution)
    form: FormData = field(default_factory=FormData)
    conversation_id: str | None = None
    person_hash: str | None = None
    dedupe_digests: tuple[str, ...] = ()
    label_ids: frozenset[str] = frozenset()


def create_lead(account_id: str, new: NewLead, actor: str, *, event_type: str = "created") -> Lead:
    """Writes a new lead into the storage region of the person's registration country."""
    router = region_router()
    country = router.validate_country(new.country)
    storage_region = router.storage_region(country)
    now = clock.now()
    lead_id = new_lead_id(storage_region, now)
    stamp = clock.iso(now)
    lead = Lead(
        id=lead_id,
        account_id=account_id,
        region=country,
        status=LeadStatus.RAW,
        source=new.source,
        contact=new.contact,
        ad=new.ad,
        form=new.form,
        created_at=stamp,
        updated_at=stamp,
        expires_at="",
        version=1,
        storage_region=storage_region,
        conversation_id=new.conversation_id,
    )
    state = LeadState(lead, set(new.label_ids), int(_expiry(now).timestamp()), new.person_hash)
    event = TimelineEvent(ids.ulid(now), event_type, actor, stamp, {"source": new.source.value})
    lead_store.create(state, new.dedupe_digests, event)
    business_metrics.lead_captured(new.source.value)
    if storage_region not in _known_regions(account_id):
        account_store.add_lead_region(account_id, storage_region)
    catalog_store.record(
        account_id,
        [
            ("ad", new.ad.ad_id or "", new.ad.ad_name or ""),
            ("adgroup", new.ad.adgroup_id or "", new.ad.adgroup_name or ""),
            ("campaign", new.ad.campaign_id or "", new.ad.campaign_name or ""),
            ("form", new.form.form_id or "", new.form.form_name or ""),
        ],
    )
    _known_regions(account_id).add(storage_region)
    return _decorate([state], label_names([account_id]))[0]


_regions_cache: dict[str, set[str]] = {}


def _known_regions(account_id: str) -> set[str]:
    return _regions_cache.setdefault(account_id, set())


def forget_cached_regions() -> None:
    _regions_cache.clear()


# ---------------------------------------------------------------------------------------------- read


def load_state(access: Access, lead_id: str) -> LeadState:
    region = region_of(lead_id)
    for account_id in lead_accounts(access):
        state = lead_store.get(region, account_id, lead_id)
        if state is not None and not _expired(state):
            return state
    raise NotFound(f"lead {lead_id} not found")


def get_lead(access: Access, lead_id: str) -> Lead:
    """Reading a lead shows its personal data, so the first read marks it accessed (who and when)."""
    state = load_state(access, lead_id)
    lead = state.lead
    if lead.access_status.value != "accessed":
        now = clock.iso()
        event = TimelineEvent(ids.ulid(), "viewed", access.caller, now, {})
        try:
            lead_store.update(
                lead.storage_region,
                lead.account_id,
                lead.id,
                Change(access=(access.caller, now)),
                expected_version=lead.version,
                updated_at=now,
                events=[event],
                current=state,
            )
            lead.access_status, lead.accessed_by, lead.accessed_at = AccessStatus.ACCESSED, access.caller, now
            lead.version += 1
            lead.updated_at = now
        except Exception:
            state = load_state(access, lead_id)
    return _decorate([state], label_names(_label_accounts(access, state.lead.account_id)))[0]


def timeline(access: Access, lead_id: str) -> list[TimelineEvent]:
    state = load_state(access, lead_id)
    return lead_store.timeline(state.lead.storage_region, state.lead.account_id, lead_id)


def present(state: LeadState, label_accounts: list[str]) -> Lead:
    """A stored lead as the API shows it (label names, expiry), without marking it accessed: CRM payloads."""
    return _decorate([state], label_names(label_accounts))[0]


# ---------------------------------------------------------------------------------------------- update


@dataclass
class LeadPatch:
    status: LeadStatus | None = None
    assignee: str | None = None
    clear_assignee: bool = False
    add_labels: frozenset[str] = frozenset()
    remove_labels: frozenset[str] = frozenset()


def update_lead(access: Access, lead_id: str, patch: LeadPatch, if_match: int | None) -> Lead:
    state = load_state(access, lead_id)
    lead = state.lead
    account_id = lead.account_id
    if patch.assignee is not None:
        assignee = account_store.get_member(access.account_id, patch.assignee)
        if assignee is None or assignee.role != "admin":
            raise Unprocessable(
                f"assignee '{patch.assignee}' is not an admin of this account; leads can only be assigned to admins",
                field="assignee",
            )
    known_labels = label_names(_label_accounts(access, account_id))
    unknown = sorted((patch.add_labels | patch.remove_labels) - set(known_labels))
    if unknown:
        raise Unprocessable(f"unknown label ids: {', '.join(unknown)}", field="add_labels")
    now = clock.iso()
    events = []
    if patch.status is not None and patch.status != lead.status:
        events.append(
            TimelineEvent(
                ids.ulid(), "status_changed", access.caller, now, {"from": lead.status.value, "to": patch.status.value}
            )
        )
    if patch.assignee is not None or patch.clear_assignee:
        events.append(
            TimelineEvent(
                ids.ulid(), "assignee_changed", access.caller, now, {"from": lead.assignee, "to": patch.assignee}
            )
        )
    added = patch.add_labels - state.label_ids
    removed = patch.remove_labels & state.label_ids
    if added:
        events.append(TimelineEvent(ids.ulid(), "labels_added", access.caller, now, {"labels": sorted(added)}))
    if removed:
        events.append(TimelineEvent(ids.ulid(), "labels_removed", access.caller, now, {"labels": sorted(removed)}))
    change = Change(
        status=patch.status.value if patch.status is not None else None,
        assignee=patch.assignee,
        clear_assignee=patch.clear_assignee,
        add_labels=frozenset(patch.add_labels),
        remove_labels=frozenset(patch.remove_labels),
    )
    lead_store.update(
        lead.storage_region,
        account_id,
        lead_id,
        change,
        expected_version=if_match,
        updated_at=now,
        events=events,
        current=state,
    )
    if patch.status is not None and patch.status != lead.status:
        # The DM page shows status changes made anywhere in the person's conversation.
        conversations.on_lead_status_changed(lead, lead.status.value, patch.status.value, access.caller)
    return _decorate([load_state(access, lead_id)], known_labels)[0]


# ---------------------------------------------------------------------------------------------- list


@dataclass
class LeadFilter:
    status: LeadStatus | None = None
    label: str | None = None
    assignee: str | None = None
    access_status: str | None = None
    source: LeadSource | None = None
    form_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_since: datetime | None = None
    expiring_within_days: int | None = None
    q: str | None = None
    ad_account_id: str | None = None

    def fingerprint(self) -> str:
        import hashlib

        return hashlib.sha256(repr(sorted(vars(self).items(), key=lambda kv: kv[0])).encode()).hexdigest()[:12]


@dataclass
class Page:
    leads: list[Lead]
    next_cursor: str | None
    stats: QueryStats


# Which filter serves as the key (index) when several are given: the one expected to be most selective.
_PRIMARY_ORDER = ("form", "assignee", "status", "source", "access")


def _time_window(f: LeadFilter) -> tuple[datetime, datetime]:
    now = clock.now()
    low = now - timedelta(days=settings().retention_days)
    high = now + timedelta(minutes=5)
    if f.created_from:
        low = max(low, f.created_from)
    if f.created_to:
        high = min(high, f.created_to)
    if f.expiring_within_days is not None:
        # expires_at = created_at + retention, so "expiring within N days" is a creation-time range.
        high = min(high, now - timedelta(days=settings().retention_days - f.expiring_within_days))
    return low, high


def _dimensions(f: LeadFilter) -> dict[str, str]:
    dims = {}
    if f.form_id:
        dims["form"] = f.form_id
    if f.assignee:
        dims["assignee"] = f.assignee
    if f.status:
        dims["status"] = f.status.value
    if f.source:
        dims["source"] = f.source.value
    if f.access_status:
        dims["access"] = f.access_status
    return dims


def _filter_condition(region: str, dims: dict[str, str], label: str | None) -> Any:
    item: Any = lead_store.models(region).lead
    attribute = {"form": item.form_id, "status": item.status, "source": item.source, "access": item.access_status}
    condition = None
    for dimension, value in dims.items():
        if dimension == "assignee":
            part = item.assignee.does_not_exist() if value == "none" else item.assignee == value
        else:
            part = attribute[dimension] == value
        condition = part if condition is None else condition & part
    if label:
        part = item.labels.contains(label)
        condition = part if condition is None else condition & part
    return condition


def _matches(state_item: Any, dims: dict[str, str]) -> bool:
    values = {
        "form": state_item.form_id,
        "status": state_item.status,
        "source": state_item.source,
        "access": state_item.access_status,
        "assignee": state_item.assignee or "none",
    }
    return all(values[d] == v for d, v in dims.items())


def list_leads(access: Access, f: LeadFilter, limit: int, cursor: str | None) -> Page:
    from leadcenter.http import decode_cursor, encode_cursor

    accounts = lead_accounts(access)
    if f.ad_account_id:
        accounts = [a for a in accounts if a == f.ad_account_id]
    fingerprint = f.fingerprint()
    after: str | None = None
    if cursor:
        after = decode_cursor(cursor, lambda p: p.get("f") == fingerprint and isinstance(p.get("k"), str))["k"]
    stats = QueryStats()
    regions_by_account = _regions_by_account(accounts, access)
    if f.updated_since is not None:
        items = _list_updated(regions_by_account, f, limit, after, stats)
        sort_key = "upd_sk"
    else:
        items = _list_by_creation(regions_by_account, f, limit, after, stats)
        sort_key = "sk"
    page = items[:limit]
    next_cursor = None
    if len(items) > limit and page:
        next_cursor = encode_cursor({"f": fingerprint, "k": getattr(page[-1], sort_key)})
    states: list[LeadState] = []
    by_region: dict[str, list[Any]] = {}
    for item in page:
        by_region.setdefault(item.Meta.region, []).append(item)
    opened = {}
    for region, region_items in by_region.items():
        stats.requests += 1
        for state in lead_store.open_items(region, region_items):
            opened[state.lead.id] = state
    states = [opened[item.lead_id] for item in page if item.lead_id in opened]
    return Page(_decorate(states, label_names(_label_accounts(access, *accounts))), next_cursor, stats)


def _regions_by_account(accounts: list[str], access: Access) -> dict[str, list[str]]:
    """Storage regions holding each account's leads; the caller's own account was read by authorize."""
    result = {}
    for account_id in accounts:
        account = access.account if account_id == access.account_id else account_store.get_account(account_id)
        result[account_id] = sorted(account.lead_regions)
    return result


def _list_by_creation(
    regions_by_account: dict[str, list[str]], f: LeadFilter, limit: int, after: str | None, stats: QueryStats
) -> list[Any]:
    low, high = _time_window(f)
    if low > high:
        return []
    low_key = lead_store.lead_sk(ids.floor(low))
    high_key = lead_store.lead_sk(ids.ceiling(high) + "~")
    if after is not None:
        high_key = min(high_key, after)
    dims = _dimensions(f)
    want = limit + 1
    streams: list[list[Any]] = []
    for account_id, regions in regions_by_account.items():
        targets = _targets(account_id, f, dims)
        for region in regions:
            sk: Any = lead_store.models(region).lead.sk
            range_condition = sk.between(low_key, high_key)
            for index, hash_value, rest, label in targets:
                if index == "label":
                    streams.append(
                        _label_stream(region, account_id, hash_value, range_condition, rest, want, after, stats)
                    )
                    continue
                condition = _filter_condition(region, rest, label)
                items = lead_store.query_index(
                    region, index, hash_value, range_condition, condition, want + 1, None, stats
                )
                streams.append([i for i in items if i.sk != after])
    merged = heapq.merge(*streams, key=lambda i: i.sk, reverse=True)
    result = []
    seen = set()
    for item in merged:
        if item.lead_id in seen:
            continue
        seen.add(item.lead_id)
        result.append(item)
        if len(result) >= want:
            break
    return result


def _label_stream(
    region: str,
    account_id: str,
    label_id: str,
    range_condition: Any,
    rest: dict[str, str],
    want: int,
    after: str | None,
    stats: QueryStats,
) -> list[Any]:
    """Leads with a label (its link items, then the leads by key), further filtered in memory; pages through
    the links until `want` leads match or the links run out."""
    matched: list[Any] = []
    start = None
    while len(matched) < want:
        links, start = lead_store.query_links(region, account_id, label_id, range_condition, want + 1, start, stats)
        lead_ids = [link.lead_id for link in links if link.sk != after]
        fetched = {i.lead_id: i for i in lead_store.batch_get_leads(region, account_id, lead_ids, stats)}
        matched += [
            fetched[i]
            for i in lead_ids
            if i in fetched and _matches(fetched[i], rest) and fetched[i].expires_at > clock.epoch()
        ]
        if start is None:
            break
    return matched[:want]


def _targets(
    account_id: str, f: LeadFilter, dims: dict[str, str]
) -> list[tuple[str | None, str, dict[str, str], str | None]]:
    """(index, hash key, filters left for a filter expression, label left) for each key query to run."""
    if f.q:
        matches = catalog_store.resolve([account_id], f.q)
        return [
            (f"by_{kind}", lead_store.dimension_key(account_id, kind, item_id), dims, f.label)
            for _, kind, item_id in matches
        ]
    if f.label:
        return [("label", f.label, dims, None)]
    for dimension in _PRIMARY_ORDER:
        if dimension in dims:
            rest = {d: v for d, v in dims.items() if d != dimension}
            return [(f"by_{dimension}", lead_store.dimension_key(account_id, dimension, dims[dimension]), rest, None)]
    return [(None, lead_store.lead_pk(account_id), {}, None)]


def _list_updated(
    regions_by_account: dict[str, list[str]], f: LeadFilter, limit: int, after: str | None, stats: QueryStats
) -> list[Any]:
    """Incremental pull: oldest change first from `updated_since`, so a CRM that follows next_cursor sees
    every change once; a lead changed again later moves behind the cursor and is seen again."""
    if f.updated_since is None:
        raise BadRequest("updated_since is required")
    start = after or clock.iso(f.updated_since)
    dims = _dimensions(f)
    streams = []
    for account_id, regions in regions_by_account.items():
        for region in regions:
            item: Any = lead_store.models(region).lead
            condition = item.expires_at > int(clock.epoch())
            rest = _filter_condition(region, dims, f.label)
            if rest is not None:
                condition &= rest
            items = lead_store.query_index(
                region,
                "by_updated",
                lead_store.lead_pk(account_id),
                item.upd_sk >= start,
                condition,
                limit + 2,
                None,
                stats,
                newest_first=False,
            )
            streams.append([i for i in items if i.upd_sk != after])
    return list(heapq.merge(*streams, key=lambda i: i.upd_sk))[: limit + 1]


# ---------------------------------------------------------------------------------------------- delete


def delete_lead(
    access: Access, lead_id: str, *, expected_version: int | None = None, event_id: str | None = None
) -> None:
    """A bulk job passes the version it saw (a lead changed since is left alone) and a tombstone id of its
    own, so a retried delete is recognisable by its tombstone."""
    state = load_state(access, lead_id)
    if expected_version is not None and state.lead.version != expected_version:
        raise Conflict("the lead changed since the job read it", current_version=state.lead.version)
    tombstone = TimelineEvent(event_id or ids.ulid(), "deleted", access.caller, clock.iso(), {})
    lead_store.delete(state, tombstone, expected_version=expected_version)


# ---------------------------------------------------------------------------------------------- summary


@dataclass
class Summary:
    by_status: dict[str, int]
    total: int
    expiring_within_7_days: int


def summary(access: Access) -> Summary:
    """Key-condition COUNTs per status index and over the creation window of leads that expire within 7 days.

    The creation-time window hides expired leads that DynamoDB TTL has not removed yet.
    """
    now = clock.now()
    live_from = lead_store.lead_sk(ids.floor(now - timedelta(days=settings().retention_days)))
    live_to = lead_store.lead_sk(ids.ceiling(now + timedelta(minutes=5)) + "~")
    soon_to = lead_store.lead_sk(ids.ceiling(now - timedelta(days=settings().retention_days - 7)) + "~")
    by_status = dict.fromkeys((s.value for s in LeadStatus), 0)
    expiring = 0
    for account_id, regions in _regions_by_account(lead_accounts(access), access).items():
        for region in regions:
            sk: Any = lead_store.models(region).lead.sk
            for status in by_status:
                key = lead_store.dimension_key(account_id, "status", status)
                by_status[status] += lead_store.count(region, "by_status", key, sk.between(live_from, live_to))
            expiring += lead_store.count(region, None, lead_store.lead_pk(account_id), sk.between(live_from, soon_to))
    return Summary(by_status, sum(by_status.values()), expiring)
