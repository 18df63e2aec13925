"""The lead aggregate's writes and reads by key: create, update (one lead or many), get, delete.

The items and their mapping live in `store.lead_items`, list queries in `store.lead_query`, notes in
`store.notes`, the retention sweep in `store.sweep`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from leadcenter import crypto
from leadcenter.errors import Conflict, NotFound, Throttled
from leadcenter.model import Contact, FormData
from leadcenter.store import batch_io, lead_cards, people
from leadcenter.store._base import cancellation_reasons, transact_get, transact_write, translate_write_errors
from leadcenter.store.lead_items import (
    LeadItem,
    LeadKeyItem,
    LeadState,
    TimelineEvent,
    children_pk,
    dedupe_item,
    dedupe_pk,
    dimension_key,
    event_item,
    expiry_key,
    key_pk,
    lead_from_item,
    lead_item,
    lead_pk,
    lead_sk,
    link_item,
    link_pk,
    models,
    open_item,
)

# Most items DynamoDB accepts in one TransactWriteItems.
MAX_TRANSACTION_ITEMS = 100

# ---------------------------------------------------------------------------------------------- create


@dataclass(frozen=True)
class DuplicatePerson(Exception):
    """A dedupe entry (`digest`) already names a lead of this account."""

    lead_id: str
    digest: str = ""


def create(
    state: LeadState, dedupe_digests: Sequence[str], event: TimelineEvent, *, contributed_at: str | None = None
) -> None:
    """Lead, lead key, dedupe entries, the 'created' event and, for a platform user's lead, its person-index
    entry, in one transaction.

    A dedupe entry that already exists cancels the whole write and raises DuplicatePerson, so two
    concurrent messages from one person can never make two leads. A platform user's lead is also conditioned
    on the erasure ledger: a person erased at or after `contributed_at` (default: now) raises PersonErased.
    """
    lead = state.lead
    region = lead.storage_region
    m = models(region)
    state.digests = set(dedupe_digests)
    lead_key, wrapped = crypto.new_lead_key(region, lead.account_id, lead.id)
    cipher = crypto.FieldCipher(lead_key, lead.account_id, lead.id)
    exp = state.expires_epoch
    person = state.person_hash
    checks = 1 if person else 0
    for digest in dedupe_digests:
        batch_io.forget(m.dedupe, dedupe_pk(lead.account_id, digest), "D")
    try:
        with transact_write(region) as tx:
            if person:
                people.stage_ledger_check(tx, region, person, contributed_at or lead.created_at)
            tx.save(lead_item(state, cipher), condition=m.lead.pk.does_not_exist())
            # The lead's listing cards: card 0 (its key) here, the others after the event (put order is read back).
            card0, *more_cards = lead_cards.cards(state, wrapped, cipher)
            tx.save(card0)
            for digest in dedupe_digests:
                tx.save(
                    dedupe_item(region, lead.account_id, digest, lead.id, exp), condition=m.dedupe.pk.does_not_exist()
                )
            for label_id in sorted(state.label_ids):
                tx.save(link_item(region, lead.account_id, label_id, lead.id, exp))
            tx.save(event_item(region, lead.account_id, lead.id, exp, event), condition=m.event.pk.does_not_exist())
            for card in more_cards:
                tx.save(card)
            if person:
                people.stage_lead_entry(tx, region, person, lead.account_id, lead.id, exp, expiry_key(exp, lead.id))
    except TransactWriteError as exc:
        # The ledger check first (condition checks go first), then all puts in the order added: lead, key, then
        # the dedupe entries.
        reasons = cancellation_reasons(exc)
        if checks and reasons and reasons[0] == "ConditionalCheckFailed":
            raise people.PersonErased() from exc
        first = checks + 2
        for digest, reason in zip(dedupe_digests, reasons[first : first + len(dedupe_digests)], strict=False):
            if reason == "ConditionalCheckFailed":
                existing = find_by_digest(region, lead.account_id, digest)
                if existing:
                    raise DuplicatePerson(existing, digest) from exc
        with translate_write_errors("lead already exists"):
            raise


def find_by_digest(region: str, account_id: str, digest: str) -> str | None:
    known = batch_io.cached(models(region).dedupe, dedupe_pk(account_id, digest), "D")
    if not isinstance(known, batch_io.Miss):
        return None if known is None else str(known.lead_id)
    try:
        return models(region).dedupe.get(dedupe_pk(account_id, digest), "D", consistent_read=True).lead_id
    except DoesNotExist:
        return None


def find_many_by_digest(region: str, account_id: str, digests: Iterable[str]) -> dict[str, str]:
    """digest -> lead id, for the digests that name a lead of the account."""
    m = models(region)
    found: dict[str, str] = {}
    keys = []
    for digest in digests:
        known = batch_io.cached(m.dedupe, dedupe_pk(account_id, digest), "D")
        if isinstance(known, batch_io.Miss):
            keys.append((dedupe_pk(account_id, digest), "D"))
        elif known is not None:
            found[digest] = known.lead_id
    if keys:
        found |= {item.pk.rsplit("#", 1)[1]: item.lead_id for item in m.dedupe.batch_get(keys, consistent_read=True)}
    return found


def dedupe_keys(region: str, account_id: str, digests: Iterable[str]) -> list[batch_io.Key]:
    m = models(region)
    return [batch_io.key_of(m.dedupe, dedupe_pk(account_id, d), "D") for d in digests]


def lead_keys(region: str, account_id: str, lead_id: str) -> list[batch_io.Key]:
    """The lead and its key item, for a batch's reads (`get` answers from them)."""
    m = models(region)
    return [
        batch_io.key_of(m.lead, lead_pk(account_id), lead_sk(lead_id)),
        batch_io.key_of(m.key, key_pk(account_id, lead_id)),
    ]


def _forget_lead(region: str, account_id: str, lead_id: str, digests: Iterable[str] = ()) -> None:
    m = models(region)
    batch_io.forget(m.lead, lead_pk(account_id), lead_sk(lead_id))
    batch_io.forget(m.key, key_pk(account_id, lead_id))
    for digest in digests:
        batch_io.forget(m.dedupe, dedupe_pk(account_id, digest), "D")


# ---------------------------------------------------------------------------------------------- update


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
    # Dedupe entries this lead gives up (a contact edited away): deleted in the same transaction, if still its own.
    removed_digests: tuple[str, ...] = ()
    conversation_id: str | None = None


class ContactTaken(Conflict):
    """A new dedupe entry already names another lead of the account. A Conflict, so callers that retry on one
    (capture's merge: it reads the owners again) keep doing so; a contact edit turns it into 409 contact_in_use."""

    def __init__(self, digest: str) -> None:
        super().__init__("a contact of this change is another lead's")
        self.digest = digest


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
    cards: lead_cards.CardChange | None = None  # its listing cards after the change (resolved by update/update_many)

    @property
    def deletes(self) -> int:
        change, cards = self.change, self.cards
        own = len(change.remove_labels) + len(change.removed_digests) if change else 0
        return own + (len(cards.delete) if cards else 0)

    @property
    def puts(self) -> int:
        change, cards = self.change, self.cards
        own = (len(change.add_labels) + len(change.new_digests) if change else 0) + len(self.events)
        return own + (len(cards.put) if cards else 0)

    @property
    def item_count(self) -> int:
        return self.deletes + self.puts + (1 if self.change else 0)


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
) -> LeadState | None:
    """Applies a change with one transaction: the lead (version-checked when expected_version is given, otherwise
    only its existence), its label links, dedupe entries, timeline events and listing cards; returns the lead as
    it now is, from its cards (None for a lead without cards).

    Label changes are set operations (ADD/DELETE); the cards are rewritten from card 0 at the version read, so
    without `expected_version` a change that raced another is rebuilt from the newer card 0 and sent again.
    """
    _forget_lead(region, account_id, lead_id, (*change.new_digests, *change.removed_digests))
    card0 = current.card if current and current.card else lead_cards.read_card0(region, account_id, lead_id)
    for attempt in range(_CARD_RACE_ATTEMPTS):
        update_ = LeadUpdate(account_id, lead_id, change, expected_version, updated_at, tuple(events), current)
        update_ = _with_cards(update_, card0)
        try:
            with transact_write(region) as tx:
                _stage_update(tx, region, update_)
            return update_.cards.state if update_.cards else None
        except TransactWriteError as exc:
            reasons = cancellation_reasons(exc)
            # Deletes, then puts, then updates (TRANSACTION_ORDER): the lead's update is the last item. Puts in the
            # order staged: label links, dedupe entries, events, cards (card 0 first).
            first = update_.deletes + len(change.add_labels)
            for digest, reason in zip(change.new_digests, reasons[first:], strict=False):
                if reason == "ConditionalCheckFailed":
                    raise ContactTaken(digest) from exc
            card_at = update_.deletes + update_.puts - len(update_.cards.put) if update_.cards else len(reasons)
            card_raced = card_at < len(reasons) and reasons[card_at] == "ConditionalCheckFailed"
            lead_failed = bool(reasons) and reasons[-1] == "ConditionalCheckFailed"
            if card_raced and not lead_failed and expected_version is None:
                if attempt + 1 == _CARD_RACE_ATTEMPTS:  # busy: as a transaction conflict, the caller may retry
                    raise Throttled("the lead is being changed by others; retry", retry_after_seconds=1) from exc
                card0 = lead_cards.read_card0(region, account_id, lead_id)
                continue
            if lead_failed or card_raced:
                latest = get(region, account_id, lead_id, with_personal=False)
                if latest is None:
                    raise NotFound(f"lead {lead_id} not found") from exc
                message = "the lead changed since you read it; reload and retry"
                raise Conflict(message, current_version=latest.lead.version) from exc
            if "ConditionalCheckFailed" in reasons:
                raise Conflict("this change was already applied") from exc
            with translate_write_errors("conflicting update"):
                raise
    return None  # not reached: the last attempt returns or raises


_CARD_RACE_ATTEMPTS = 4


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
    return _write_many(region, _resolve_cards(region, updates)) if updates else []


def _write_many(region: str, updates: list[LeadUpdate]) -> list[UpdateResult]:
    if sum(u.item_count for u in updates) > MAX_TRANSACTION_ITEMS:
        # The leads' cards made the batch too big for one transaction: halves, each all or nothing.
        half = len(updates) // 2
        if not half:
            raise ValueError(f"more than {MAX_TRANSACTION_ITEMS} items for one transaction")
        return _write_many(region, updates[:half]) + _write_many(region, updates[half:])
    try:
        with transact_write(region) as tx:
            for update_ in updates:
                _stage_update(tx, region, update_)
    except TransactWriteError as exc:
        reasons = cancellation_reasons(exc)
        if len(reasons) != sum(u.item_count for u in updates) or not (
            {"ConditionalCheckFailed", "TransactionConflict"} & set(reasons)
        ):
            with translate_write_errors("conflicting update"):
                raise
        return _update_results(updates, reasons)
    return [UpdateResult.APPLIED] * len(updates)


def _update_results(updates: Sequence[LeadUpdate], reasons: list[str | None]) -> list[UpdateResult]:
    # TRANSACTION_ORDER: deletes, puts, updates; one lead's puts: links, dedupe entries, events, cards (card 0 first).
    deletes = sum(u.deletes for u in updates)
    puts_before = deletes
    updates_before = deletes + sum(u.puts for u in updates)
    results = []
    for update_ in updates:
        cards = len(update_.cards.put) if update_.cards else 0
        first_event = puts_before + update_.puts - cards - len(update_.events)
        event_reasons = reasons[first_event : first_event + len(update_.events)]
        lead_reason = reasons[updates_before] if update_.change else None
        card_reason = reasons[puts_before + update_.puts - cards] if cards else None
        if "ConditionalCheckFailed" in event_reasons:
            results.append(UpdateResult.ALREADY_APPLIED)
        elif "ConditionalCheckFailed" in (lead_reason, card_reason):
            results.append(UpdateResult.CHANGED)
        else:
            results.append(UpdateResult.RETRY)
        puts_before += update_.puts
        updates_before += 1 if update_.change else 0
    return results


def _update_actions(account_id: str, lead_id: str, change: Change, current: LeadState | None) -> list[Action]:
    item = LeadItem
    actions: list[Action] = []
    if change.status is not None:
        actions += [
            item.status.set(change.status),
            item.g_status.set(dimension_key(account_id, "status", change.status)),
        ]
    if change.assignee is not None or change.clear_assignee:
        value = None if change.clear_assignee else change.assignee
        actions.append(item.assignee.set(value) if value else item.assignee.remove())
        actions.append(item.g_assignee.set(dimension_key(account_id, "assignee", value or "none")))
    if change.add_labels:
        actions.append(item.labels.add(set(change.add_labels)))
    if change.remove_labels:
        actions.append(item.labels.delete(set(change.remove_labels)))
    if change.access is not None:
        by, at = change.access
        actions += [
            item.access_status.set("accessed"),
            item.accessed_by.set(by),
            item.accessed_at.set(at),
            item.g_access.set(dimension_key(account_id, "access", "accessed")),
        ]
    if change.conversation_id is not None:
        actions.append(item.conversation_id.set(change.conversation_id))
    if change.removed_digests:
        # One action per attribute: the whole set, from the state read (the edit is version-checked).
        if current is None:
            raise ValueError("removing dedupe entries needs the current state")
        kept = (set(current.digests) - set(change.removed_digests)) | set(change.new_digests)
        actions.append(item.digests.set(kept) if kept else item.digests.remove())
    elif change.new_digests:
        actions.append(item.digests.add(set(change.new_digests)))
    if change.contact is not None or change.form is not None:
        if current is None:
            raise ValueError("changing personal fields needs the current state (its lead key)")
        cipher = crypto.FieldCipher(current.lead_key, account_id, lead_id)
        if change.contact is not None:
            actions.append(
                item.contact_ct.set(cipher.seal("contact", change.contact.model_dump_json(exclude_none=True)))
            )
        if change.form is not None:
            if change.form.answers:
                answers = change.form.model_dump_json(include={"answers"})
                actions.append(item.answers_ct.set(cipher.seal("answers", answers)))
            if change.form.form_id:
                actions += [
                    item.form_id.set(change.form.form_id),
                    item.g_form.set(dimension_key(account_id, "form", change.form.form_id)),
                ]
            if change.form.form_name:
                actions.append(item.form_name.set(change.form.form_name))
    return actions


def _stage_update(tx: TransactWrite, region: str, update_: LeadUpdate) -> None:
    """Adds one lead's change (the version-checked update, label links, dedupe entries, events) to `tx`."""
    m = models(region)
    account_id, lead_id, change, current = update_.account_id, update_.lead_id, update_.change, update_.current
    exp = current.expires_epoch if current else update_.expires_epoch
    if exp is None and (update_.events or (change and (change.add_labels or change.new_digests))):
        raise ValueError("label, dedupe and timeline writes need the current state (its expiry)")
    exp = exp or 0
    if change is not None:
        actions = [
            m.lead.version.add(1),
            m.lead.updated_at.set(update_.updated_at),
            *_update_actions(account_id, lead_id, change, current),
            # upd_sk keeps the incremental-pull index ordered by the latest change.
            m.lead.upd_sk.set(f"{update_.updated_at}#{lead_id}"),
        ]
        condition = m.lead.pk.exists()
        if update_.expected_version is not None:
            condition &= m.lead.version == update_.expected_version
        tx.update(m.lead(pk=lead_pk(account_id), sk=lead_sk(lead_id)), actions=actions, condition=condition)
        for label_id in sorted(change.add_labels):
            tx.save(link_item(region, account_id, label_id, lead_id, exp))
        for label_id in sorted(change.remove_labels):
            tx.delete(m.link(pk=link_pk(account_id, label_id), sk=lead_sk(lead_id)))
        for digest in change.removed_digests:
            tx.delete(
                m.dedupe(pk=dedupe_pk(account_id, digest), sk="D"),
                condition=m.dedupe.pk.does_not_exist() | (m.dedupe.lead_id == lead_id),
            )
        for digest in change.new_digests:
            # A contact already owned by another lead of the account cancels the change (no silent takeover).
            tx.save(
                dedupe_item(region, account_id, digest, lead_id, exp),
                condition=m.dedupe.pk.does_not_exist() | (m.dedupe.lead_id == lead_id),
            )
    for event in update_.events:
        tx.save(event_item(region, account_id, lead_id, exp, event), condition=m.event.pk.does_not_exist())
    if update_.cards is not None:  # rewritten whole from the changed lead; card 0 only at the version read
        first, *others = update_.cards.put
        tx.save(first, condition=m.key.version == update_.cards.version)
        for card in others:
            tx.save(card)
        for pk in update_.cards.delete:
            tx.delete(m.key(pk=pk))


def _with_cards(update_: LeadUpdate, card0: LeadKeyItem | None) -> LeadUpdate:
    """`update_` with the cards its change leaves (none without a change, or for a lead without cards)."""
    if update_.change is None or update_.cards is not None or card0 is None or not card0.lead_id:
        return update_
    return replace(update_, cards=lead_cards.card_change(card0, update_.change, update_.updated_at))


def _resolve_cards(region: str, updates: Sequence[LeadUpdate]) -> list[LeadUpdate]:
    """Reads the card 0 of every changed lead that came without one (one BatchGetItem per 100)."""
    known = {u.lead_id: u.current.card for u in updates if u.current is not None and u.current.card is not None}
    wanted = [(u.account_id, u.lead_id) for u in updates if u.change and u.cards is None and u.lead_id not in known]
    known |= lead_cards.read_card0s(region, wanted)
    return [_with_cards(u, known.get(u.lead_id)) for u in updates]


# ---------------------------------------------------------------------------------------------- reads


def get(region: str, account_id: str, lead_id: str, *, with_personal: bool = True) -> LeadState | None:
    """The lead and its key in one request (TransactGetItems spans both regional tables)."""
    m = models(region)
    lead_known = batch_io.cached(m.lead, lead_pk(account_id), lead_sk(lead_id))
    key_known = batch_io.cached(m.key, key_pk(account_id, lead_id)) if with_personal else None
    if not isinstance(lead_known, batch_io.Miss) and not isinstance(key_known, batch_io.Miss):
        if lead_known is None or (with_personal and key_known is None):
            return None
        if key_known is None:
            return lead_from_item(lead_known, None)
        known_state = open_item(lead_known, key_known)
        known_state.card = key_known  # card 0: a change rewrites the cards from it
        return known_state
    if not with_personal:
        try:
            return lead_from_item(m.lead.get(lead_pk(account_id), lead_sk(lead_id), consistent_read=True), None)
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
    state = open_item(item, key_item)
    state.card = key_item  # card 0: a change rewrites the cards from it
    return state


@dataclass(frozen=True)
class LeadSnapshot:
    """A lead's non-personal attributes, read without its ciphertexts (what a bulk job fixes at its start)."""

    lead_id: str
    account_id: str
    region: str
    version: int
    expires_epoch: int
    status: str
    assignee: str | None
    label_ids: frozenset[str]
    accessed: bool


_SNAPSHOT_ATTRIBUTES = [
    "lead_id",
    "account_id",
    "version",
    "expires_at",
    "status",
    "assignee",
    "labels",
    "access_status",
]


def snapshots(region: str, account_id: str, lead_ids: Sequence[str]) -> list[LeadSnapshot]:
    """The leads that exist of `lead_ids` (expired ones included), by key in BatchGetItems of 100, reading only
    the non-personal attributes."""
    if not lead_ids:
        return []
    keys = [(lead_pk(account_id), lead_sk(i)) for i in lead_ids]
    return [
        LeadSnapshot(
            item.lead_id,
            item.account_id,
            region,
            int(item.version),
            int(item.expires_at),
            item.status,
            item.assignee,
            frozenset(item.labels or ()),
            item.access_status == "accessed",
        )
        for item in models(region).lead.batch_get(keys, attributes_to_get=_SNAPSHOT_ATTRIBUTES)
    ]


def timeline(region: str, account_id: str, lead_id: str) -> list[TimelineEvent]:
    m = models(region)
    return [
        TimelineEvent(item.sk[2:], item.type, item.actor, item.at, json.loads(item.data) if item.data else {})
        for item in m.event.query(children_pk(account_id, lead_id), m.event.sk.startswith("T#"))
    ]


def leads_with_label(region: str, account_id: str, label_id: str) -> list[str]:
    m = models(region)
    return [link.lead_id for link in m.link.query(link_pk(account_id, label_id))]


def find_person_leads(region: str, person_hash: str) -> list[tuple[str, str]]:
    """(account, lead id) of every lead of one person in this region, in every account."""
    return [(item.account_id, item.lead_id) for item in models(region).lead.by_person.query(person_hash)]


# ---------------------------------------------------------------------------------------------- delete


def delete(state: LeadState, tombstone: TimelineEvent, *, expected_version: int | None = None) -> None:
    """Deletes the lead and all that hangs off it; its key goes too, which shreds every backed-up copy.

    The timeline stays (it holds no personal data) with a tombstone, and expires with the lead. With
    `expected_version`, a lead changed since that version is left alone (Conflict).
    """
    lead = state.lead
    region = lead.storage_region
    m = models(region)
    _forget_lead(region, lead.account_id, lead.id, state.digests)
    notes = list(m.note.query(children_pk(lead.account_id, lead.id), m.note.sk.startswith("N#")))
    doomed: list[Any] = [
        m.lead(pk=lead_pk(lead.account_id), sk=lead_sk(lead.id)),
        *(m.key(pk=pk) for pk in lead_cards.card_pks(lead.account_id, lead.id, state.label_ids)),
        *(m.link(pk=link_pk(lead.account_id, label), sk=lead_sk(lead.id)) for label in sorted(state.label_ids)),
        *(m.dedupe(pk=dedupe_pk(lead.account_id, digest), sk="D") for digest in sorted(state.digests)),
        *([people.lead_entry(region, state.person_hash, lead.account_id, lead.id)] if state.person_hash else []),
        *notes,
    ]
    # Notes beyond one transaction's reach go first; the lead and its key always go together, last.
    head, tail = doomed[:90], doomed[90:]
    if tail:
        with m.note.batch_write() as batch:
            for note in tail:
                batch.delete(note)
    condition = m.lead.pk.exists()
    if expected_version is not None:
        condition &= m.lead.version == expected_version
    message = "the lead was already deleted" if expected_version is None else "the lead changed or was deleted"
    with translate_write_errors(message), transact_write(region) as tx:
        tx.delete(head[0], condition=condition)
        for item in head[1:]:
            tx.delete(item)
        tx.save(event_item(region, lead.account_id, lead.id, state.expires_epoch, tombstone))
