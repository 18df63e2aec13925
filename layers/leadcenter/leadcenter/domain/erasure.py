"""Erasure: the platform asks to forget a person (`user.erasure_requested`); nothing of theirs may survive or
come back.

What goes, in the person's storage region and the home table:
  - every lead the person made, in every account (one platform user per lead, see `domain.capture`), with its
    key (crypto-shredding backups), dedupe entries, label links, notes and person-index entry; the timeline
    stays as a tombstone (it holds no personal data) and expires with the lead;
  - their ad touches (attribution) and their conversations with every notice in them;
  - the person-index entries that pointed at all of it.
Found through the person index (`store.people`, one consistent query by the account-independent person hash),
plus the `by_person` index for leads written before that index existed.

The ledger: the person hash and the erasure time, kept `LEDGER_DAYS` (past the platform's 72 h of retries and
the queues' 14 days of retention, DLQ redrives included). Capture asks it before anything of an event is
written, and lead creation checks it again in its transaction: an event that occurred before the erasure is
dropped (what it wrote while an erasure ran is undone); an event after it is a person who came back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from leadcenter import clock, crypto, ids
from leadcenter.domain import ad_metrics, lead_regions
from leadcenter.domain.retention import person_hash
from leadcenter.errors import Conflict
from leadcenter.regions import region_router
from leadcenter.store import conversations as conversation_store
from leadcenter.store import leads as lead_store
from leadcenter.store import people as people_store
from leadcenter.store import touches as touch_store
from leadcenter.store.lead_items import TimelineEvent

LEDGER_DAYS = 30
ACTOR = "system:erasure"
_DELETE_ATTEMPTS = 5


@dataclass
class Erased:
    leads: int = 0
    touches: int = 0
    conversations: int = 0


def erase(platform_user_id: str, country: str, requested_at: datetime | None = None) -> Erased:
    """Records the erasure in the ledger, then deletes everything of the person.

    The erasure time is when it is carried out (or the request's own time, if that is later): any event of
    theirs that occurred before it is treated as earlier than the request.
    """
    region = region_router().storage_region(country)
    hashed = person_hash(region, platform_user_id)
    at = max(clock.now(), requested_at) if requested_at else clock.now()
    expires = int((at + timedelta(days=LEDGER_DAYS)).timestamp())
    # Ledger first: from here on no lead of theirs can be created for an earlier event (store.leads.create).
    people_store.record_erasure(region, hashed, clock.iso(at), expires)
    return clean(region, hashed, platform_user_id)


def erased_before(region: str, hashed: str, occurred_at: datetime) -> bool:
    """True when the person was erased at or after `occurred_at`: the event must not bring them back."""
    erased = people_store.erased_at(region, hashed)
    return erased is not None and clock.iso(occurred_at) <= erased


def clean(region: str, hashed: str, platform_user_id: str) -> Erased:
    """Deletes every trace of the person the index (and the legacy `by_person` index) knows. Idempotent."""
    done = Erased()
    entries = people_store.entries(region, hashed)
    leads = {(e.account_id, e.ref) for e in entries if e.kind == people_store.LEAD and e.ref}
    leads |= set(lead_store.find_person_leads(region, hashed))
    for account_id, lead_id in sorted(leads):
        done.leads += _delete_lead(region, account_id, lead_id)
    # Touches are keyed by the per-account digest of the platform id; look wherever the person was seen.
    for account_id in sorted({e.account_id for e in entries} | {account_id for account_id, _ in leads}):
        digest = crypto.blind_index().digest(region, account_id, "person", platform_user_id)
        done.touches += touch_store.delete_all(region, account_id, digest)
    for entry in entries:
        if entry.kind == people_store.CONVERSATION and entry.ref:
            done.conversations += 1 if conversation_store.delete(entry.account_id, entry.ref) else 0
    people_store.forget(region, hashed, entries)
    lead_regions.forget_all()
    return done


def _delete_lead(region: str, account_id: str, lead_id: str) -> int:
    """Deletes the lead as it is now: version-checked, so contacts merged meanwhile cannot leave a dedupe
    entry behind (a concurrent change means read again and delete again)."""
    for _ in range(_DELETE_ATTEMPTS):
        state = lead_store.get(region, account_id, lead_id, with_personal=False)
        if state is None:
            return 0
        tombstone = TimelineEvent(ids.ulid(), "erased", ACTOR, clock.iso(), {"reason": "erasure request"})
        try:
            lead_store.delete(state, tombstone, expected_version=state.lead.version)
            ad_metrics.lead_deleted(state.lead)  # as a deleted lead: uncounted, its counting marker gone
            return 1
        except Conflict:
            continue
    raise Conflict("the lead kept changing while it was erased; retry")


@dataclass(frozen=True)
class EventTraces:
    """What one platform event may have written outside a lead: its touch, its conversation notices."""

    account_id: str
    person_digest: str  # the per-account digest of the platform user id
    event_id: str
    occurred_at: str  # ISO, as stored
    touch: bool
    conversation_id: str | None
    notice_keys: tuple[str, ...] = ()


def undo_event(region: str, hashed: str, traces: EventTraces) -> None:
    """Deletes what an event of an erased person wrote while (or before) the erasure ran, and nothing else: the
    person may have come back since, and what they wrote after the erasure is theirs to keep.

    Leads need nothing here: a lead's creation checks the ledger in its transaction, and the erasure's
    version-checked delete catches a merge that landed while it ran.
    """
    if traces.touch and touch_store.delete_one(
        region, traces.account_id, traces.person_digest, traces.occurred_at, traces.event_id
    ):
        people_store.forget_touches(region, hashed, traces.account_id)
    if traces.conversation_id:
        sort_keys = [conversation_store.notice_sk(traces.occurred_at, key) for key in traces.notice_keys]
        if conversation_store.delete_notices(traces.account_id, traces.conversation_id, sort_keys):
            people_store.forget_conversation(region, hashed, traces.account_id, traces.conversation_id)
