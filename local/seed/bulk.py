"""The demo's large part (`SEED=demo:N`, the people past the showcase): the same people and story, written as the
lead store writes a new lead, in batches, instead of through the webhook, the capture worker and the API.

What each lead is follows what the pipelines would make of the person (`local/seed/plan.py`): capture's contact
detection and merging over their messages or form answers, last-touch attribution of their ad touch (the default
windows), the final status, assignee and labels of `plan.actions(who)`. What is written is what
`store.leads.create` writes (built by the store's own builders: the lead item with its personal fields sealed under
a fresh lead key, the listing cards with the wrapped key, the dedupe entries, label links, the person-index entry,
the 'created' event), plus what `ad_metrics.lead_created` counts, the catalog names and the account's lead regions.
BatchWriteItem, 25 items a request; no KMS call per lead (the key ring's cached key-encryption key wraps each
lead's own key, as for every lead). Not written: conversations, ad touches, later timeline events, notifications.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from leadcenter import clock, crypto, ids
from leadcenter.config import settings
from leadcenter.domain import ad_metrics, attribution, capture, contact_edit
from leadcenter.domain.leads import new_lead_id
from leadcenter.model import Attribution, Contact, FormAnswer, FormData, Lead, LeadSource, LeadStatus
from leadcenter.platform_events import PlatformUser
from leadcenter.regions import region_router
from leadcenter.store import accounts as account_store
from leadcenter.store import catalog as catalog_store
from leadcenter.store import lead_cards, people
from leadcenter.store import reports as report_store
from leadcenter.store.lead_items import (
    LeadState,
    TimelineEvent,
    dedupe_item,
    event_item,
    expiry_key,
    lead_item,
    link_item,
    models,
)
from local.seed.plan import ADMINS, Person
from local.seed.plan import actions as plan_actions

CHUNK = 100  # leads a worker thread writes at a time
THREADS = int(os.environ.get("SEED_BULK_THREADS") or 2)
SPREAD_S = 10_800  # an event occurs up to 3 h before its day's moment (as the driver's events)
SOURCES = {"message": LeadSource.MESSAGE, "form": LeadSource.FORM, "manual": LeadSource.MANUAL,
           "mark": LeadSource.MESSAGE}  # mark-as-lead makes a `message` lead (domain/capture.py)  # fmt: skip


def at(start_epoch: float, who: Person, day: int, number: int) -> datetime:
    """When the person's event `number` of `day` occurred: the driver's fixed spread per person and event."""
    return datetime.fromtimestamp(start_epoch - day * 86400 - (who.index * 7919 + number * 104_729) % SPREAD_S, tz=UTC)


@dataclass
class Planned:
    """One lead as the pipelines would have made it, ready to write."""

    state: LeadState
    event: TimelineEvent
    candidates: tuple[str, ...]  # the dedupe digests it would claim, if no earlier lead of the account has


# ---------------------------------------------------------------------------------------------- the leads


def _touch(who: Person, start_epoch: float) -> tuple[datetime, dict[str, str]] | None:
    for number, (day, part) in enumerate(who.events):
        if part["type"] == "ad.touch":
            return at(start_epoch, who, day, number), part["touch"]
    return None


def _attributed(who: Person, start_epoch: float, moment: datetime) -> Attribution:
    """The person's ad touch if it qualifies at `moment` (last touch; the default windows, which the demo keeps)."""
    touch = _touch(who, start_epoch)
    if touch is None or not attribution.qualifies(touch[1]["kind"], moment - touch[0], attribution.DEFAULT_WINDOWS):
        return Attribution()
    return Attribution.model_validate({k: v for k, v in touch[1].items() if k != "kind"})


def _captured(
    who: Person, start_epoch: float, person: capture.Person
) -> tuple[datetime, datetime, Contact, FormData, list[str]] | None:
    """(created, last contact change, contact, form, digests) capture makes of the person's messages or form."""
    events = sorted(((at(start_epoch, who, day, n), part) for n, (day, part) in enumerate(who.events)),
                    key=lambda pair: pair[0])  # fmt: skip
    country = who.market.country
    created: datetime | None = None
    changed = None
    contact, form = Contact(), FormData()
    digests = [person.person_hash]
    for moment, part in events:
        if part["type"] == "message.received":
            found = capture.detected(part["message"]["text"], country)
        elif part["type"] == "form.submitted":
            answers = [FormAnswer.model_validate(a) for a in part["form"]["answers"]]
            assert who.ad is not None
            form = FormData(form_id=part["form"]["form_id"], form_name=who.ad.form.name, answers=answers)
            found = []
            for answer in answers:  # one answer at a time, as capture reads them
                found += [hit for hit in capture.detected(answer.answer, country) if hit not in found]
        else:
            continue
        if not found and part["type"] == "message.received":
            continue  # nothing to capture (a chat before the contact)
        merged, _ = capture.merge_contacts(contact, person.display_name, found)
        digests += [d for kind, value in found if (d := capture.contact_digest(person, kind, value)) not in digests]
        if created is None or merged != contact:
            contact, changed, created = merged, moment, created or moment
    return (created, changed or created, contact, form, digests) if created else None


def plan_lead(who: Person, account_id: str, start_epoch: float, labels: dict[str, str]) -> Planned | None:
    """The lead the pipelines would have made of `who` (None when capture would have found no contact)."""
    country = who.market.country
    region = region_router().storage_region(country)
    source = SOURCES[who.kind]
    person_hash = None
    digests: list[str] = []
    form = FormData()
    actor = ADMINS[who.index % 2]
    if who.kind == "manual":  # POST /leads: the contact normalised, the ad the person named; no dedupe entries
        created = changed = at(start_epoch, who, who.day, len(who.events))
        raw = Contact(name=who.name, email=who.email, phone=who.phone)
        contact = contact_edit.checked_contact(raw, country)
        ad = Attribution.model_validate(
            {k: v for k, v in who.ad.touch("click").items() if k != "kind"} if who.ad else {}
        )
    else:
        user = PlatformUser(id=who.user_id, display_name=who.name, region=country)
        person = capture.person_of(account_id, user)
        person_hash = person.global_hash
        if who.kind == "mark":  # mark-as-lead: no contact detected, the person's own entry only, no name
            created = changed = at(start_epoch, who, who.day, len(who.events))
            contact, digests = Contact(), [person.person_hash]
        else:
            made = _captured(who, start_epoch, person)
            if made is None:
                return None
            created, changed, contact, form, digests = made
            actor = capture.SYSTEM_ACTOR
        ad = _attributed(who, start_epoch, created)
    status, assignee, label_names, changes, last = _final(who)
    version = 1 + changes + (changed > created)  # a later message that added a contact changed the lead too
    if last is not None:  # one step a day from the day after the lead (the driver's marketers), at the latest today
        changed = max(changed, datetime.fromtimestamp(start_epoch - max(0, who.day - 1 - last) * 86400, tz=UTC))
    stamp = clock.iso(created)
    lead = Lead(
        id=new_lead_id(region, created),
        account_id=account_id,
        region=country,
        status=LeadStatus(status),
        assignee=assignee,
        source=source,
        contact=contact,
        ad=ad,
        form=form,
        created_at=stamp,
        updated_at=clock.iso(changed),
        expires_at="",
        version=version,
        storage_region=region,
    )
    expires = int((created + timedelta(days=settings().retention_days)).timestamp())
    state = LeadState(lead, {labels[name] for name in label_names}, expires, person_hash)
    event = TimelineEvent(ids.ulid(created), "created", actor, stamp, {"source": source.value})
    return Planned(state, event, tuple(digests))


def _final(who: Person) -> tuple[str, str | None, set[str], int, int | None]:
    """(status, assignee, label names, changes, index of the last change among the steps) after the marketers'
    steps (a note or a day of waiting changes nothing on the lead)."""
    status, assignee, names, changes, last = "raw", None, set(), 0, None
    for n, (action, value) in enumerate(plan_actions(who)):
        if action == "set_status":
            status = value
        elif action == "set_assignee":
            assignee = value
        elif action == "add_labels":
            names.add(value)
        else:
            continue
        changes, last = changes + 1, n
    return status, assignee, names, changes, last


def _claim(planned: list[Planned]) -> None:
    """Each dedupe digest to the account's first lead that would claim it (a later one keeps the contact in its
    lead, without the entry: capture's rule), in creation order."""
    owned: set[tuple[str, str]] = set()
    for p in sorted(planned, key=lambda p: p.state.lead.id):
        account = p.state.lead.account_id
        p.state.digests = {d for d in p.candidates if (account, d) not in owned}
        owned.update((account, d) for d in p.state.digests)


# ---------------------------------------------------------------------------------------------- writing


def _items(p: Planned) -> tuple[list[Any], list[Any]]:
    """(lead-table items, lead-keys-table items) of one lead: what `store.leads.create` puts."""
    state, lead = p.state, p.state.lead
    region, account, exp = lead.storage_region, lead.account_id, state.expires_epoch
    lead_key, wrapped = crypto.new_lead_key(region, account, lead.id)
    cipher = crypto.FieldCipher(lead_key, account, lead.id)
    rows: list[Any] = [lead_item(state, cipher), event_item(region, account, lead.id, exp, p.event)]
    rows += [dedupe_item(region, account, digest, lead.id, exp) for digest in sorted(state.digests)]
    rows += [link_item(region, account, label, lead.id, exp) for label in sorted(state.label_ids)]
    if state.person_hash:
        key = expiry_key(exp, lead.id)
        rows.append(people.lead_entry_item(region, state.person_hash, account, lead.id, exp, key))
    return rows, list(lead_cards.cards(state, wrapped, cipher))


def _write_chunk(chunk: Sequence[Planned]) -> int:
    by_region: dict[str, list[Planned]] = defaultdict(list)
    for p in chunk:
        by_region[p.state.lead.storage_region].append(p)
    for region, planned in by_region.items():
        m = models(region)
        with m.lead.batch_write() as rows, m.key.batch_write() as cards:
            for p in planned:
                lead_rows, lead_cards_ = _items(p)
                for row in lead_rows:
                    rows.save(row)
                for card in lead_cards_:
                    cards.save(card)
    return len(chunk)


def _chunks(planned: list[Planned]) -> Iterator[list[Planned]]:
    for start in range(0, len(planned), CHUNK):
        yield planned[start : start + CHUNK]


def _count(planned: list[Planned]) -> None:
    """Reports (as `ad_metrics.lead_created` counts each lead), catalog names and lead regions, per account."""
    goals: dict[tuple[str, str | None], tuple[report_store.Entities, str | None]] = {}
    by_account: dict[str, list[Planned]] = defaultdict(list)
    for p in planned:
        by_account[p.state.lead.account_id].append(p)
    for account_id, leads in by_account.items():
        counts = []
        for p in leads:
            lead = p.state.lead
            if lead.ad.ad_id or lead.ad.adgroup_id or lead.ad.campaign_id:
                key = (account_id, lead.ad.ad_id)
                if key not in goals:
                    goals[key] = ad_metrics.entities_of(account_id, lead.ad)
                counts.append(ad_metrics.lead_count(lead, *goals[key]))
        report_store.count_new_leads(account_id, counts)
        names = {(kind, getattr(p.state.lead.ad, f"{kind}_id"), getattr(p.state.lead.ad, f"{kind}_name"))
                 for p in leads for kind in ("ad", "adgroup", "campaign")}  # fmt: skip
        names |= {("form", p.state.lead.form.form_id, p.state.lead.form.form_name) for p in leads}
        catalog_store.record(account_id, sorted((k, i or "", n or "") for k, i, n in names))
        for region in sorted({p.state.lead.storage_region for p in leads}):
            account_store.add_lead_region(account_id, region)


def write(
    persons: Sequence[Person],
    accounts: dict[str, str],
    labels: dict[str, dict[str, str]],
    start_epoch: float,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Writes the leads of `persons` (people of kind message, form, manual or mark) into `accounts` ("main",
    "client" -> account id) with `labels` (account key -> label name -> id), their days counted back from
    `start_epoch`; `progress` hears how many were written after each chunk. Returns how many leads were written."""
    planned = [
        p
        for who in persons
        if (p := plan_lead(who, accounts[who.account], start_epoch, labels[who.account])) is not None
    ]
    _claim(planned)
    planned.sort(key=lambda p: p.state.lead.id)  # oldest first: a page of the newest is whole only at the end
    written = 0
    with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="seed-bulk") as pool:
        for done in pool.map(_write_chunk, _chunks(planned)):
            written += done
            if progress is not None:
                progress(done)
    _count(planned)
    return written
