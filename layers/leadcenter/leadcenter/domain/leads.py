"""Leads: create, read (marks accessed), list with filters across storage regions, update, delete."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from leadcenter import business_metrics, clock, ids
from leadcenter.config import settings
from leadcenter.cursors import Cursors
from leadcenter.domain import contact_edit, conversations, lead_regions, notifications
from leadcenter.errors import Conflict, NotFound, Unprocessable
from leadcenter.model import AccessStatus, Attribution, Contact, FormData, LabelRef, Lead, LeadSource, LeadStatus
from leadcenter.policy import Access
from leadcenter.regions import region_router
from leadcenter.store import accounts as account_store
from leadcenter.store import catalog as catalog_store
from leadcenter.store import labels as label_store
from leadcenter.store import lead_query
from leadcenter.store import leads as lead_store
from leadcenter.store.lead_items import LeadState, TimelineEvent
from leadcenter.store.lead_query import LeadQuery, QueryStats
from leadcenter.store.leads import Change, ContactTaken

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


def label_names(account_ids: list[str], known: account_store.Account | None = None) -> dict[str, str]:
    """Label id -> name of the accounts; `known` (an account item already read, e.g. by authorisation) brings
    its own label directory, so that account costs no read."""
    names: dict[str, str] = {}
    for account_id in account_ids:
        if known is not None and known.account_id == account_id and known.label_names is not None:
            names.update(known.label_names)
        else:
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
    person_hash: str | None = None  # the platform user's account-independent hash (erasure finds the lead by it)
    contributed_at: datetime | None = None  # when the person's event occurred (checked against erasures)
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
    contributed = clock.iso(new.contributed_at) if new.contributed_at else None
    lead_store.create(state, new.dedupe_digests, event, contributed_at=contributed)
    business_metrics.lead_captured(new.source.value)
    # Imported here: only creating and deleting a lead count in the ad reports, so reads and updates (most of what
    # the leads API and the workers do) never import the report models and platform events behind it.
    from leadcenter.domain import ad_metrics

    ad_metrics.lead_created(lead)
    if storage_region not in lead_regions.known(account_id):
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
    lead_regions.known(account_id).add(storage_region)
    return _decorate([state], label_names([account_id]) if state.label_ids else {})[0]


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
    return _decorate([state], label_names(_label_accounts(access, state.lead.account_id), access.account))[0]


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
    contact: Contact | None = None  # the fields in `contact_fields` replace those stored
    contact_fields: frozenset[str] = frozenset()


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
    known_labels = label_names(_label_accounts(access, account_id), access.account)
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
    edit = contact_edit.plan(state, patch.contact, patch.contact_fields) if patch.contact is not None else None
    if edit is not None and edit.fields:
        # Field names only: the timeline holds no personal data.
        events.append(TimelineEvent(ids.ulid(), "contact_edited", access.caller, now, {"fields": list(edit.fields)}))
    else:
        edit = None
    change = Change(
        status=patch.status.value if patch.status is not None else None,
        assignee=patch.assignee,
        clear_assignee=patch.clear_assignee,
        add_labels=frozenset(patch.add_labels),
        remove_labels=frozenset(patch.remove_labels),
        contact=edit.contact if edit else None,
        new_digests=edit.new_digests if edit else (),
        removed_digests=edit.removed_digests if edit else (),
    )
    # A contact edit rewrites the sealed contact from the one read: always conditioned on that version.
    expected = if_match if if_match is not None or edit is None else lead.version
    try:
        written = lead_store.update(
            lead.storage_region,
            account_id,
            lead_id,
            change,
            expected_version=expected,
            updated_at=now,
            events=events,
            current=state,
        )
    except ContactTaken as taken:
        assert edit is not None
        raise contact_edit.in_use(edit, taken.digest) from None
    if patch.status is not None and patch.status != lead.status:
        # The DM page shows status changes made anywhere in the person's conversation.
        conversations.on_lead_status_changed(lead, lead.status.value, patch.status.value, access.caller)
    updated = written or load_state(access, lead_id)  # the lead as the change left it, without reading it again
    if patch.assignee is not None and patch.assignee != lead.assignee:
        trigger = f"{lead_id}|v{updated.lead.version}"
        notifications.lead_assigned(account_id, patch.assignee, access.caller, [lead_id], trigger)
    return _decorate([updated], known_labels)[0]


# ---------------------------------------------------------------------------------------------- list


@dataclass
class LeadFilter:
    status: LeadStatus | None = None
    label: str | None = None
    assignee: str | None = None
    access_status: str | None = None
    source: LeadSource | None = None
    form_id: str | None = None
    traffic: str | None = None  # organic | paid
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


def _filtered_accounts(access: Access, f: LeadFilter) -> list[str]:
    accounts = lead_accounts(access)
    return [a for a in accounts if a == f.ad_account_id] if f.ad_account_id else accounts


def lead_streams(access: Access, f: LeadFilter) -> list[tuple[str, str]]:
    """The (ad account, storage region) pairs holding the leads a filter may match: an export reads them one by
    one (`list_leads(stream=...)`), so no page reads ahead in every region only to keep a global order."""
    regions = _regions_by_account(_filtered_accounts(access, f), access)
    return [(account_id, region) for account_id, account_regions in regions.items() for region in account_regions]


def list_leads(
    access: Access, f: LeadFilter, limit: int, cursor: str | None, *, stream: tuple[str, str] | None = None
) -> Page:
    """A page of the leads `f` matches, newest first (oldest change first with `updated_since`); with `stream`,
    only those of that (ad account, storage region) pair."""
    accounts = _filtered_accounts(access, f)
    if stream is not None:
        accounts = [a for a in accounts if a == stream[0]]
    cursors = Cursors("leads", access.account_id, f.fingerprint())
    after = cursors.after(cursor)
    created_from, created_to = _time_window(f)
    regions = _regions_by_account(accounts, access)
    if stream is not None:
        regions = {a: [r for r in account_regions if r == stream[1]] for a, account_regions in regions.items()}
    query = LeadQuery(
        regions=regions,
        limit=limit,
        created_from=created_from,
        created_to=created_to,
        now_epoch=int(clock.epoch()),
        status=f.status.value if f.status else None,
        label=f.label,
        assignee=f.assignee,
        access_status=f.access_status,
        source=f.source.value if f.source else None,
        form_id=f.form_id,
        traffic=f.traffic,
        q=f.q,
        updated_since=clock.iso(f.updated_since) if f.updated_since is not None else None,
        after=after,
    )
    page = lead_query.find(query)
    next_cursor = cursors.issue(page.last_key)
    names = label_names(_label_accounts(access, *accounts), access.account)
    return Page(_decorate(page.leads, names), next_cursor, page.stats)


def _regions_by_account(accounts: list[str], access: Access) -> dict[str, list[str]]:
    """Storage regions holding each account's leads; the caller's own account was read by authorize."""
    result = {}
    for account_id in accounts:
        account = access.account if account_id == access.account_id else account_store.get_account(account_id)
        result[account_id] = sorted(account.lead_regions)
    return result


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
    from leadcenter.domain import ad_metrics  # only creating and deleting count (create_lead says why)

    ad_metrics.lead_deleted(state.lead)


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
    live_from = now - timedelta(days=settings().retention_days)
    live_to = now + timedelta(minutes=5)
    soon_to = now - timedelta(days=settings().retention_days - 7)
    by_status = dict.fromkeys((s.value for s in LeadStatus), 0)
    expiring = 0
    for account_id, regions in _regions_by_account(lead_accounts(access), access).items():
        for region in regions:
            for status in by_status:
                by_status[status] += lead_query.count_created(region, account_id, live_from, live_to, status=status)
            expiring += lead_query.count_created(region, account_id, live_from, soon_to)
    return Summary(by_status, sum(by_status.values()), expiring)
