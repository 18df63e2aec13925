"""What the lead-ads report counts, counted as it happens: leads, conversations, conversions and spend.

- A lead counts once, when it is created, for the ad, ad group and campaign it is attributed to (last touch, see
  domain/attribution.py), on the UTC day of its creation; deleting it (API or bulk job) takes it out again.
- A conversation counts once, when its first message arrives, for the ad group that last touched the person at
  that moment (the same windows as leads), on the UTC day the message was sent. One without a qualifying touch is
  organic and counts nowhere.
- A conversion is a conversation counted for an ad group whose goal is `conversation`, or a lead counted for one
  whose goal is `lead`: the goal at the moment of counting.
- `ad.spend` sets an ad's spend for a day; a statement that occurred later restates it (the counters move by the
  difference), an earlier or equal one changes nothing. One currency per account: the first spend fixes it and a
  spend in another currency is rejected (the worker records the outcome; nothing is counted).

When the ad is one of ours (store.lead_ads), its ad group and campaign come from it; otherwise from the touch.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta

from leadcenter import clock
from leadcenter.config import settings
from leadcenter.domain import attribution, money
from leadcenter.errors import Conflict, Throttled
from leadcenter.model import Attribution, Lead
from leadcenter.platform_events import AdSpent, MessageReceived
from leadcenter.store import reports as store
from leadcenter.store.reports import Entities

MAX_SPEND_ATTEMPTS = 10
# A conversation is counted once; its marker outlives any conversation's notices (kept 90 days from activity).
CONVERSATION_MARKER_DAYS = 400


def entities_of(account_id: str, ad: Attribution) -> tuple[Entities, str | None]:
    """The ids to count for (the ad's own ad group and campaign when it is ours) and the ad group's goal."""
    from leadcenter.store import lead_ads as lead_ad_store  # a lead or spend, not a message, needs our ads

    adgroup_id, campaign_id = ad.adgroup_id, ad.campaign_id
    if ad.ad_id:
        ours = lead_ad_store.find(account_id, "ad", ad.ad_id)
        if ours is not None:
            adgroup_id, campaign_id = ours.adgroup_id, ours.campaign_id
    goal = None
    if adgroup_id:
        adgroup = lead_ad_store.find(account_id, "adgroup", adgroup_id)
        goal = adgroup.optimization_goal if adgroup else None
    return Entities(ad.ad_id, adgroup_id, campaign_id), goal


def lead_created(lead: Lead) -> None:
    """Counts a new lead (an organic one counts nowhere)."""
    if not (lead.ad.ad_id or lead.ad.adgroup_id or lead.ad.campaign_id):
        return
    counted = lead_count(lead, *entities_of(lead.account_id, lead.ad))
    store.count_lead(lead.account_id, lead.id, counted.day, counted.entities, counted.conversion, counted.expires_epoch)


def lead_count(lead: Lead, entities: Entities, goal: str | None) -> store.NewLeadCount:
    """What counting `lead` for `entities` adds: one lead on its UTC creation day (a conversion under the Lead
    goal), and a marker that lives a day longer than the lead."""
    created = clock.parse_iso(lead.created_at)
    expires = int((created + timedelta(days=settings().retention_days + 1)).timestamp())
    return store.NewLeadCount(lead.id, created.date().isoformat(), entities, goal == "lead", expires)


def lead_deleted(lead: Lead) -> None:
    store.uncount_lead(lead.account_id, lead.id)


def on_message(
    event: MessageReceived, account_id: str, storage_region: str, person_hash: str, person_global: str | None = None
) -> None:
    """Counts the conversation at its first message (a later message only reads its marker)."""
    if not event.conversation_id or store.conversation_counted(account_id, event.conversation_id):
        return
    ad = attribution.attribute(account_id, storage_region, person_hash, event.occurred_at, person_global=person_global)
    entities, goal = entities_of(account_id, ad) if ad.ad_id else (Entities(), None)
    expires = int((event.occurred_at + timedelta(days=CONVERSATION_MARKER_DAYS)).timestamp())
    day = event.occurred_at.date().isoformat()
    store.count_conversation(account_id, event.conversation_id, day, entities, goal == "conversation", expires)


def on_spend(event: AdSpent, account_id: str) -> tuple[str, str | None]:
    """(result, reason) for the worker's outcome: recorded, unchanged, ignored or rejected."""
    from leadcenter.store import lead_ads as lead_ad_store

    spend = event.spend
    ad = lead_ad_store.find(account_id, "ad", spend.ad_id)
    if ad is None:
        return "ignored", "unknown ad"
    amount = money.to_minor(spend.amount)
    as_of = _as_of(event.occurred_at, event.event_id)
    entities = Entities(ad.id, ad.adgroup_id, ad.campaign_id)
    for attempt in range(MAX_SPEND_ATTEMPTS):
        fixed = store.currency(account_id)
        if fixed is not None and fixed != spend.currency:
            return "rejected", f"currency {spend.currency} is not the account's {fixed}"
        current = store.get_spend(account_id, ad.id, spend.date.isoformat())
        if current is not None and current.as_of >= as_of:
            return "unchanged", "a statement as late or later is recorded"
        try:
            store.set_spend(account_id, spend.date.isoformat(), entities, amount, spend.currency, as_of, current)
            return "recorded", None
        except (Conflict, Throttled):  # another statement (or the first currency) won: read again
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
    raise Conflict("the ad's spend kept changing; retry")


def _as_of(at: datetime, event_id: str) -> str:
    """Orders statements by when they occurred, then by event id (a total order: restating is deterministic)."""
    return f"{clock.iso(at)}#{event_id}"
