"""One SQS batch of platform events, processed with its AWS requests shared (issue 18).

Each event is still processed on its own (`capture.process`), with the same conditions and the same outcome. What
the batch shares:
  - reads by key: before the first event, every item the events will read by key (the account, its auto-capture
    application and attribution windows, each conversation and its counting marker, each person's erasure-ledger
    entry and person-index entries, the dedupe entries of each person and contact, the finished-event markers, the
    ads, spend days and currency of spends, the forms submitted, the ads and ad groups touched) in one consistent
    BatchGetItem per region; then the leads those dedupe entries name, with their keys, in one more. A store that
    writes one of them drops it from the snapshot (or, having written it whole, keeps what it wrote), so a later
    event of the batch reads what the earlier one left; a by-key read the plan could not name (the ad a lead is
    attributed to) goes to the table once and is kept for the rest of the batch.
  - puts that only add (conversation notices, keyed by the platform event): one BatchWriteItem per region.
  - the erasure ledger's second look (did an erasure run while the event was written?): once for the batch, after
    its puts, then the finished-event markers.
Writes that change nothing are not sent: a conversation or index entry recorded until a later expiry than this
event would give it, a lead link already there.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from leadcenter import clock
from leadcenter.capture_settings import capture_settings
from leadcenter.domain import capture
from leadcenter.errors import BadRequest, NotFound, Unprocessable
from leadcenter.platform_events import (
    PLATFORM_EVENT,
    AdSpent,
    AdTouched,
    FormSubmitted,
    MessageReceived,
    PlatformEvent,
)
from leadcenter.store import accounts as account_store
from leadcenter.store import auto_capture as auto_capture_store
from leadcenter.store import batch_io, capture_events
from leadcenter.store import conversations as conversation_store
from leadcenter.store import forms as form_store
from leadcenter.store import leads as lead_store
from leadcenter.store import people as people_store
from leadcenter.store import reports as report_store

Result = dict[str, Any] | Exception  # an outcome (as logged), or the failure that sends the record back to SQS


def process_batch(payloads: list[Any]) -> list[Result]:
    """The outcome of each queued event, in order; an exception where the event must be delivered again."""
    results: list[Result | None] = [None] * len(payloads)
    with batch_io.scope(), capture.batch_state() as state:
        events = [_parse(payload) for payload in payloads]
        _read_leads(_read_ahead([e for e in events if e is not None]))
        seen: set[str] = set()
        for index, payload in enumerate(payloads):
            event_id = str(payload.get("event_id")) if isinstance(payload, dict) else None
            done = capture_events.result_of(event_id) if event_id else None
            if event_id in seen or done is not None:
                results[index] = {"event_id": event_id, "result": "already_processed", "reason": done or "in batch"}
                continue
            if event_id:
                seen.add(event_id)
            results[index] = _process_one(payload)
        batch_io.flush()
        _check_erasures(state, results)
        expires = int(clock.epoch()) + capture_settings().idempotency_seconds
        for payload, result in zip(payloads, results, strict=True):
            if isinstance(result, dict) and result["result"] != "already_processed" and result.get("event_id"):
                capture_events.mark_done(str(payload["event_id"]), str(result["result"]), expires)
        batch_io.flush()
    return [r if r is not None else RuntimeError("not processed") for r in results]


def _process_one(payload: Any) -> Result:
    try:
        return capture.process(payload).as_dict()
    except (NotFound, Unprocessable, BadRequest) as exc:
        # Permanent: retrying cannot help. Recorded as the outcome, so a redelivery is not retried either.
        event_id = payload.get("event_id") if isinstance(payload, dict) else None
        return {"event_id": event_id, "result": "rejected", "reason": exc.code}
    except Exception as exc:  # the record goes back to the queue; the others go on
        return exc


def _parse(payload: Any) -> PlatformEvent | None:
    try:
        return PLATFORM_EVENT.validate_python(payload)
    except ValidationError:
        return None  # `capture.process` rejects it, as it would alone


def _person(event: PlatformEvent) -> capture.Person | None:
    if event.type in ("user.erasure_requested", "ad.spend") or not event.account_id or event.user is None:
        return None
    try:
        return capture.person_of(event.account_id, event.user)
    except Unprocessable:
        return None  # an unknown region: `capture.process` says so


def _digests(event: MessageReceived | FormSubmitted, person: capture.Person) -> list[str]:
    """The digests a lead upsert will look up: the person's and their contacts'; none for a message without
    contacts (it makes no lead)."""
    found: list[tuple[str, str]] = []
    if isinstance(event, MessageReceived):
        found = capture.detected(event.message.text, person.country)
        if not found:
            return []
    else:
        for answer in event.form.answers:
            found += capture.detected(answer.answer, person.country)
    return [person.person_hash, *(capture.contact_digest(person, kind, value) for kind, value in found)]


def _named_keys(event: PlatformEvent, account_id: str) -> list[batch_io.Key]:
    """The account's items an event names: a spend's ad, its spend that day and the account's currency; a form;
    a touch's ad and ad group (a lead or conversation of the batch is likely attributed to them)."""
    if not isinstance(event, AdSpent | AdTouched):
        return [form_store.form_key(account_id, event.form.form_id)] if isinstance(event, FormSubmitted) else []
    from leadcenter.store import lead_ads as lead_ad_store  # spends and touches only: not at the worker's INIT

    if isinstance(event, AdSpent):
        spend = event.spend
        return [
            lead_ad_store.entity_key(account_id, "ad", spend.ad_id),
            report_store.spend_key(account_id, spend.ad_id, spend.date.isoformat()),
            report_store.currency_key(account_id),
        ]
    touch = event.touch
    keys = [lead_ad_store.entity_key(account_id, "ad", touch.ad_id)]
    if touch.adgroup_id:
        keys.append(lead_ad_store.entity_key(account_id, "adgroup", touch.adgroup_id))
    return keys


def _read_ahead(events: list[PlatformEvent]) -> dict[int, tuple[capture.Person, str]]:
    """Reads every item the events ask for by key (one BatchGetItem per region); returns, per event with contacts
    or a form, its person and the lead their own dedupe entry names."""
    keys: list[batch_io.Key] = []
    people: dict[int, capture.Person] = {}
    for index, event in enumerate(events):
        keys.append(capture_events.done_key(event.event_id))
        if not event.account_id:
            continue
        account_id = event.account_id
        keys += [account_store.account_key(account_id), *auto_capture_store.settings_keys(account_id)]
        keys += _named_keys(event, account_id)
        person = _person(event)
        if person is None or person.global_hash is None:
            continue
        region, global_hash = person.storage_region, person.global_hash
        keys += [
            people_store.ledger_key(region, global_hash),
            people_store.touch_entry_key(region, global_hash, account_id),
        ]
        if event.conversation_id:
            keys += [
                conversation_store.conversation_key(account_id, event.conversation_id),
                people_store.conversation_entry_key(region, global_hash, account_id, event.conversation_id),
            ]
            if event.type == "message.received":
                keys.append(report_store.conversation_marker_key(account_id, event.conversation_id))
        digests = _digests(event, person) if isinstance(event, MessageReceived | FormSubmitted) else []
        if digests:
            keys += lead_store.dedupe_keys(region, account_id, digests)
            people[index] = person
    batch_io.want(keys)
    batch_io.load()
    owners: dict[int, tuple[capture.Person, str]] = {}
    for index, person in people.items():
        lead_id = lead_store.find_by_digest(person.storage_region, person.account_id, person.person_hash)
        if lead_id:
            owners[index] = (person, lead_id)
    return owners


def _read_leads(owners: dict[int, tuple[capture.Person, str]]) -> None:
    """The leads the batch's contacts may merge into, with their keys: one more BatchGetItem per region."""
    keys = [
        key
        for person, lead_id in owners.values()
        for key in lead_store.lead_keys(person.storage_region, person.account_id, lead_id)
    ]
    batch_io.want(keys)
    batch_io.load()


def _check_erasures(state: capture.BatchState, results: list[Result | None]) -> None:
    """The erasure ledger read again for every person the batch wrote for, once, after the batch's puts: an event
    of a person erased meanwhile (at or after it occurred) has what it wrote undone, as `capture.handle` does."""
    if not state.late_checks:
        return
    batch_io.refresh(
        people_store.ledger_key(person.storage_region, person.global_hash)
        for _, person in state.late_checks
        if person.global_hash
    )
    erased = {event.event_id for event, person in state.late_checks if capture.erased_since(event, person)}
    for index, result in enumerate(results):
        if isinstance(result, dict) and result.get("event_id") in erased:
            results[index] = next(
                capture.erased_outcome(event).as_dict()
                for event, _ in state.late_checks
                if event.event_id == result["event_id"]
            )
