"""Auto-lead capture: platform events become one lead per person per account.

Who a person is: the blind-index digest of (account, "person", platform user id), keyed per storage region,
plus one digest per contact they shared (account, kind, normalised value). The lead store keeps a dedupe
entry per digest, written with the lead under a does-not-exist condition, so finding a person's lead is a
BatchGetItem on those digests and two concurrent first messages can never make two leads: the loser's
transaction is cancelled (DuplicatePerson) and it merges into the winner's lead instead.

What is stored: the detected contacts (encrypted in the lead), never the message text. Conversation notices
and ad touches hold digests and ids only.

Idempotency: processing is repeatable: a merge that adds nothing writes nothing, conversation notices are keyed
by the platform event id, lead creation and report counting are conditional writes, so a retry after a partial
failure, or a second delivery processed at the same time, converges on the same state. The worker also skips an
event it has finished before (domain/capture_batch.py, which runs a whole SQS batch with its reads and puts
shared).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from leadcenter import business_metrics, clock, crypto, ids
from leadcenter.domain import ad_metrics, attribution, auto_capture, conversations, erasure, lead_regions, retention
from leadcenter.errors import BadRequest, Conflict, NotFound
from leadcenter.model import Contact, FormAnswer, FormData, Lead, LeadSource, OtherContact
from leadcenter.platform_events import (
    PLATFORM_EVENT,
    AdTouched,
    FormSubmitted,
    MessageReceived,
    PlatformEvent,
    PlatformUser,
)
from leadcenter.policy import Access
from leadcenter.regions import region_router
from leadcenter.store import accounts as account_store
from leadcenter.store import batch_io
from leadcenter.store import leads as lead_store
from leadcenter.store.lead_items import TimelineEvent
from leadcenter.store.leads import Change, DuplicatePerson
from leadcenter.store.people import PersonErased

SYSTEM_ACTOR = "system:capture"
_NOTICE_STEPS = (1, 2)  # an event's conversation notices: what arrived, then what it did to the lead
PLATFORM_ACTOR = "platform"
MAX_MERGE_ATTEMPTS = 10
MAX_OTHER_CONTACTS = 50
_MAX_VALUE = {"email": 320, "phone": 40}
_DEFAULT_MAX_VALUE = 320


class InvalidEvent(BadRequest):
    """A queued body that is not a platform event (the webhook validates, so only a stray message is)."""

    code = "invalid_event"


# ---------------------------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Person:
    account_id: str
    country: str
    storage_region: str
    person_hash: str
    display_name: str | None = None
    # Account-independent HMAC of the platform user id: erasure finds the person in every account with it.
    global_hash: str | None = None


def person_of(account_id: str, user: PlatformUser) -> Person:
    country = region_router().validate_country(user.region)
    region = region_router().storage_region(country)
    digest = crypto.blind_index().digest(region, account_id, "person", user.id)
    name = (user.display_name or "").strip()[:200] or None
    return Person(account_id, country, region, digest, name, retention.person_hash(region, user.id))


def contact_digest(person: Person, kind: str, value: str) -> str:
    # A WhatsApp number is a phone number: the same number names the same person however it was shared.
    digest_kind = "phone" if kind == "whatsapp" else kind
    return crypto.blind_index().digest(person.storage_region, person.account_id, digest_kind, value)


@dataclass
class BatchState:
    """What one batch of events shares in memory: detections made while planning its reads, and the events whose
    erasure check waits for the batch's writes (domain/capture_batch.py)."""

    detections: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    late_checks: list[tuple[MessageReceived | FormSubmitted | AdTouched, Person]] = field(default_factory=list)


_batch: ContextVar[BatchState | None] = ContextVar("leadcenter_capture_batch", default=None)


@contextmanager
def batch_state() -> Iterator[BatchState]:
    state = BatchState()
    token = _batch.set(state)
    try:
        yield state
    finally:
        _batch.reset(token)


def detected(text: str, country: str) -> list[tuple[str, str]]:
    """(kind, value) of each contact in `text`, in order; values too long for a lead are dropped."""
    state = _batch.get()
    if state is not None and (text, country) in state.detections:
        return list(state.detections[(text, country)])
    found = _detect(text, country)
    if state is not None:
        state.detections[(text, country)] = found
    return list(found)


def _detect(text: str, country: str) -> list[tuple[str, str]]:
    # Imported here: the detector loads phonenumbers' metadata, which the API routes sharing this module
    # (mark-as-lead, conversations) never need at cold start.
    from leadcenter.contacts import KINDS, detect_contacts

    found = []
    for contact in detect_contacts(text, country):
        limit = _MAX_VALUE.get(contact.kind, _DEFAULT_MAX_VALUE)
        if contact.kind in KINDS and 0 < len(contact.value) <= limit:
            found.append((contact.kind, contact.value))
    return found


def merge_contacts(current: Contact, name: str | None, found: list[tuple[str, str]]) -> tuple[Contact, list[str]]:
    """`current` plus what is new in `found`: first email and phone fill empty fields, the rest go to others.

    Returns the merged contact and the kinds that were added (values never leave this function).
    """
    email, phone = current.email, current.phone
    others = list(current.others)
    known = {("email", email), ("phone", phone), *((o.kind, o.value) for o in others)}
    added: list[str] = []
    for kind, value in found:
        if (kind, value) in known:
            continue
        if kind == "email" and email is None:
            email = value
        elif kind == "phone" and phone is None:
            phone = value
        elif len(others) < MAX_OTHER_CONTACTS:
            others.append(OtherContact.model_validate({"kind": kind, "value": value}))
        else:
            continue
        known.add((kind, value))
        added.append(kind)
    merged = Contact(name=current.name or name, email=email, phone=phone, others=others)
    return merged, added


# ---------------------------------------------------------------------------------------------- upsert


@dataclass(frozen=True)
class Upsert:
    lead_id: str
    created: bool
    contact_changed: bool = False
    form_changed: bool = False
    added_kinds: tuple[str, ...] = ()
    lead: Lead | None = None  # the new lead, when created


def upsert_person_lead(
    person: Person,
    found: list[tuple[str, str]],
    *,
    source: LeadSource,
    conversation_id: str | None,
    form: FormData | None,
    moment: datetime,
    actor: str,
) -> Upsert:
    """Creates the person's lead, or merges `found` (and `form`) into the one their own entry leads to.

    A lead belongs to one platform user: a contact that already names another person's lead is kept on this
    person's lead as they wrote it, but never attaches them to that lead (contacts are unverified, so anyone
    could type someone else's email). Its dedupe entry stays with the lead that claimed it first.
    Raises PersonErased when the person was erased after `moment` (the ledger, checked in the transaction).
    """
    digests: dict[str, tuple[str, str] | None] = {person.person_hash: None}
    for kind, value in found:
        digests.setdefault(contact_digest(person, kind, value), (kind, value))
    owners = lead_store.find_many_by_digest(person.storage_region, person.account_id, digests)
    lead_id = owners.get(person.person_hash)
    attempt = 0
    while lead_id is None:
        # Imported here: most events create no lead, and the lead domain brings its listing and label stores.
        from leadcenter.domain import leads as lead_domain

        contact, added = merge_contacts(Contact(), person.display_name, found)
        new = lead_domain.NewLead(
            country=person.country,
            source=source,
            contact=contact,
            form=form or FormData(),
            ad=attribution.attribute(
                person.account_id, person.storage_region, person.person_hash, moment, person_global=person.global_hash
            ),
            conversation_id=conversation_id,
            person_hash=person.global_hash,
            contributed_at=moment,
            dedupe_digests=tuple(d for d in digests if d not in owners),
        )
        try:
            lead = lead_domain.create_lead(person.account_id, new, actor)
            return Upsert(lead.id, True, True, form is not None, tuple(added), lead)
        except DuplicatePerson as duplicate:
            attempt += 1
            if duplicate.digest == person.person_hash:  # a concurrent event of the same person won the race
                lead_id = duplicate.lead_id
            elif attempt >= MAX_MERGE_ATTEMPTS:
                raise Conflict("contacts kept being claimed while the lead was created; retry") from None
            else:  # another person's lead claimed one of the contacts meanwhile: leave it to that lead
                owners[duplicate.digest] = duplicate.lead_id
    return _merge(person, lead_id, found, tuple(digests), conversation_id, form, actor)


def _merge(
    person: Person,
    lead_id: str,
    found: list[tuple[str, str]],
    digests: tuple[str, ...],
    conversation_id: str | None,
    form: FormData | None,
    actor: str,
) -> Upsert:
    region, account_id = person.storage_region, person.account_id
    for attempt in range(MAX_MERGE_ATTEMPTS):
        state = lead_store.get(region, account_id, lead_id)
        if state is None:
            raise Conflict("the person's lead was deleted meanwhile; retry")  # the retry creates a new one
        lead = state.lead
        contact, added = merge_contacts(lead.contact, person.display_name, found)
        contact_changed = contact != lead.contact
        form_changed = form is not None and form != lead.form
        # Digests already naming another lead stay theirs: only unclaimed ones join this lead.
        owners = lead_store.find_many_by_digest(region, account_id, digests)
        new_digests = tuple(d for d in digests if d not in owners and d not in state.digests)
        link = conversation_id if conversation_id and not lead.conversation_id else None
        if not (contact_changed or form_changed or new_digests or link):
            return Upsert(lead_id, False)
        now = clock.iso()
        events = []
        if contact_changed:
            events.append(TimelineEvent(ids.ulid(), "contact_updated", actor, now, {"kinds": sorted(set(added))}))
        if form_changed and form is not None:
            events.append(TimelineEvent(ids.ulid(), "form_submitted", actor, now, {"form_id": form.form_id}))
        change = Change(
            contact=contact if contact_changed else None,
            form=form if form_changed else None,
            new_digests=new_digests,
            conversation_id=link,
        )
        try:
            lead_store.update(
                region,
                account_id,
                lead_id,
                change,
                expected_version=lead.version,
                updated_at=now,
                events=events,
                current=state,
            )
            return Upsert(lead_id, False, contact_changed, form_changed, tuple(added))
        except NotFound:
            raise Conflict("the person's lead was deleted meanwhile; retry") from None
        except Conflict:
            # Another event of this person changed the lead first: merge again on top of it.
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
    raise Conflict("the lead kept changing while contacts were merged; retry")


# ---------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Outcome:
    event_id: str
    type: str
    result: str  # lead_created | lead_updated | unchanged | not_scanned | recorded | ignored
    lead_id: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


def process(payload: dict[str, Any]) -> Outcome:
    """The worker's entry: one queued event, as the webhook received it."""
    try:
        event = PLATFORM_EVENT.validate_python(payload)
    except ValidationError as exc:
        # The error text would quote the input (personal data): report only where it failed.
        fields = sorted({".".join(str(p) for p in error["loc"]) for error in exc.errors()})
        raise InvalidEvent(f"not a platform event: {', '.join(fields)[:200]}") from None
    return handle(event)


def handle(event: PlatformEvent) -> Outcome:
    if event.type == "user.erasure_requested":
        # What this batch deferred goes first, and what it read may be gone: later events read the tables again.
        batch_io.flush()
        batch_io.forget_all()
        erased = erasure.erase(event.user.id, event.user.region, event.occurred_at)
        return Outcome(event.event_id, event.type, "erased", reason=f"{erased.leads} leads")
    if not event.account_id:
        return Outcome(event.event_id, event.type, "ignored", reason="no account_id")
    try:
        account = account_store.get_account(event.account_id)
    except NotFound:
        return Outcome(event.event_id, event.type, "ignored", reason="unknown account")
    if account.type != "ad_account":
        return Outcome(event.event_id, event.type, "ignored", reason="not an ad account")
    lead_regions.remember(account.account_id, account.lead_regions)
    if event.type == "ad.spend":  # no person: domain/ad_metrics.py
        return Outcome(event.event_id, event.type, *ad_metrics.on_spend(event, account.account_id))
    person = person_of(account.account_id, event.user)
    if erased_since(event, person):
        return erased_outcome(event)
    try:
        outcome = _on_event(event, person)
    except PersonErased:
        outcome = erased_outcome(event)
    # An erasure that ran while this event was written may not have seen what it wrote: undo that. In a batch, once
    # for all its events, after its deferred puts (capture_batch).
    state = _batch.get()
    if state is not None:
        state.late_checks.append((event, person))
    elif erased_since(event, person):
        return erased_outcome(event)
    return outcome


def erased_outcome(event: PlatformEvent) -> Outcome:
    return Outcome(event.event_id, event.type, "ignored", reason="the person was erased after this event")


def erased_since(event: MessageReceived | FormSubmitted | AdTouched, person: Person) -> bool:
    """True when the person was erased at or after the moment the event occurred; then whatever this event
    wrote (on this delivery or an earlier one that failed half-way) is deleted."""
    hashed = person.global_hash
    if hashed is None or not erasure.erased_before(person.storage_region, hashed, event.occurred_at):
        return False
    traces = erasure.EventTraces(
        person.account_id,
        person.person_hash,
        event.event_id,
        clock.iso(event.occurred_at),
        touch=event.type == "ad.touch",
        conversation_id=event.conversation_id,
        notice_keys=tuple(f"{event.event_id}#{step}" for step in _NOTICE_STEPS),
    )
    erasure.undo_event(person.storage_region, hashed, traces)
    return True


def _on_event(event: MessageReceived | FormSubmitted | AdTouched, person: Person) -> Outcome:
    if event.conversation_id and person.global_hash:  # the index first: erasure finds what follows
        conversations.note_person(person.account_id, event.conversation_id, person.storage_region, person.global_hash)
    if event.type == "message.received":
        outcome = _on_message(event, person)
    elif event.type == "form.submitted":
        outcome = _on_form(event, person)
    else:
        outcome = _on_touch(event, person)
    if event.conversation_id:  # after the lead, so one write records the conversation with it
        conversations.note(
            person.account_id,
            event.conversation_id,
            person.person_hash,
            person.country,
            person.storage_region,
            outcome.lead_id,
            person_global=person.global_hash,
        )
    return outcome


def _notice(
    event: PlatformEvent,
    person: Person,
    step: int,
    event_type: str,
    actor: str,
    lead_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    if event.conversation_id:
        conversations.add_event(
            person.account_id,
            event.conversation_id,
            event_type,
            actor,
            at=clock.iso(event.occurred_at),
            key=f"{event.event_id}#{step}",
            lead_id=lead_id,
            data=data,
        )


def _after_upsert(event: PlatformEvent, person: Person, upsert: Upsert) -> str:
    if upsert.created:
        _notice(event, person, 2, conversations.LEAD_CREATED, SYSTEM_ACTOR, upsert.lead_id)
    elif upsert.contact_changed:
        _notice(
            event,
            person,
            2,
            conversations.CONTACT_UPDATED,
            SYSTEM_ACTOR,
            upsert.lead_id,
            {"kinds": sorted(set(upsert.added_kinds))},
        )
    if upsert.created:
        return "lead_created"
    return "lead_updated" if upsert.contact_changed or upsert.form_changed else "unchanged"


def _on_message(event: MessageReceived, person: Person) -> Outcome:
    ad_metrics.on_message(event, person.account_id, person.storage_region, person.person_hash, person.global_hash)
    scanning = auto_capture.is_capturing(person.account_id)
    _notice(
        event,
        person,
        1,
        conversations.MESSAGE_RECEIVED,
        PLATFORM_ACTOR,
        data={"message_id": event.message.id, "scanned": scanning},
    )
    if not scanning:
        return Outcome(event.event_id, event.type, "not_scanned", reason="auto-capture is off")
    found = detected(event.message.text, person.country)
    business_metrics.message_scanned(with_contacts=bool(found))
    if not found:
        return Outcome(event.event_id, event.type, "unchanged")
    upsert = upsert_person_lead(
        person,
        found,
        source=LeadSource.MESSAGE,
        conversation_id=event.conversation_id,
        form=None,
        moment=event.occurred_at,
        actor=SYSTEM_ACTOR,
    )
    return Outcome(event.event_id, event.type, _after_upsert(event, person, upsert), upsert.lead_id)


def _form_name(account_id: str, form_id: str) -> str | None:
    from leadcenter.store import forms as form_store

    try:
        return form_store.get_form(account_id, form_id).name
    except NotFound:
        return None  # a form we do not know: keep the answers as sent


def _on_form(event: FormSubmitted, person: Person) -> Outcome:
    answers = [FormAnswer(question=a.question, answer=a.answer) for a in event.form.answers]
    form = FormData(
        form_id=event.form.form_id, form_name=_form_name(person.account_id, event.form.form_id), answers=answers
    )
    found: list[tuple[str, str]] = []
    for answer in answers:  # one answer at a time: a number must not run on into the next answer
        found += [hit for hit in detected(answer.answer, person.country) if hit not in found]
    _notice(event, person, 1, conversations.FORM_SUBMITTED, PLATFORM_ACTOR, data={"form_id": form.form_id})
    upsert = upsert_person_lead(
        person,
        found,
        source=LeadSource.FORM,
        conversation_id=event.conversation_id,
        form=form,
        moment=event.occurred_at,
        actor=SYSTEM_ACTOR,
    )
    return Outcome(event.event_id, event.type, _after_upsert(event, person, upsert), upsert.lead_id)


def _on_touch(event: AdTouched, person: Person) -> Outcome:
    attribution.record_touch(
        person.account_id,
        person.storage_region,
        person.person_hash,
        event.event_id,
        event.touch,
        event.occurred_at,
        person_global=person.global_hash,
    )
    return Outcome(event.event_id, event.type, "recorded")


# ---------------------------------------------------------------------------------------------- mark as lead


def mark_as_lead(access: Access, conversation_id: str) -> tuple[Lead, bool]:
    """The conversation's person's lead: the existing one (False), or a new raw one (True), contacts or not.

    The new lead's source is `message`: source says where the person came from (a direct message); who
    pressed the button is the timeline's actor.
    """
    conversation = conversations.get(access.account_id, conversation_id)
    region, account_id = conversation.storage_region, access.account_id
    person = Person(
        account_id, conversation.country, region, conversation.person_hash, global_hash=conversation.person_global
    )
    lead_id = conversation.lead_id
    if lead_id and lead_store.get(region, account_id, lead_id, with_personal=False) is None:
        lead_id = None  # deleted since
    lead_id = lead_id or lead_store.find_by_digest(region, account_id, conversation.person_hash)
    if lead_id is None:
        try:
            upsert = upsert_person_lead(
                person,
                [],
                source=LeadSource.MESSAGE,
                conversation_id=conversation_id,
                form=None,
                moment=clock.now(),
                actor=access.caller,
            )
        except PersonErased:  # erased as the button was pressed: the conversation is going too
            raise NotFound(f"conversation {conversation_id} not found") from None
        lead_id = upsert.lead_id
        if upsert.created and upsert.lead is not None:
            conversations.add_event(
                account_id,
                conversation_id,
                conversations.MARKED_AS_LEAD,
                access.caller,
                at=clock.iso(),
                key=f"mark#{lead_id}",
                lead_id=lead_id,
            )
            conversations.link_lead(account_id, conversation_id, lead_id)
            return upsert.lead, True
    else:
        # An existing lead (say from a form) learns its conversation, so its status changes show here.
        _merge(person, lead_id, [], (person.person_hash,), conversation_id, None, access.caller)
    if conversation.lead_id != lead_id:
        conversations.link_lead(account_id, conversation_id, lead_id)
    from leadcenter.domain import leads as lead_domain

    return lead_domain.get_lead(access, lead_id), False
