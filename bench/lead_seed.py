"""Seeding many realistic leads fast, for benchmarks: the same items the lead store writes for a new lead (lead
item with its personal fields sealed under a fresh lead key, the wrapped lead key with its listing cards, the
'created' timeline event),
built by the store's own item builders and written with BatchWriteItem, 25 items a request, instead of one
transaction per lead. No dedupe entries and no person index: bench leads come from forms, not platform users.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

# (registration country, how often): the storage regions an Asia-Pacific advertiser's leads spread over.
COUNTRIES: tuple[tuple[str, float], ...] = (("SG", 0.4), ("MY", 0.2), ("JP", 0.2), ("AU", 0.15), ("BR", 0.05))
QUESTIONS = ("Preferred model?", "Budget", "When can we call you?", "Trade-in?")


def seed_leads(
    account_id: str,
    count: int,
    rng: random.Random,
    *,
    start: int = 0,
    countries: Sequence[tuple[str, float]] = COUNTRIES,
    questions: Sequence[str] = QUESTIONS,
) -> list[str]:
    """`count` leads of `account_id`, created over the last 80 days in the storage regions of `countries`
    (which are added to the account's lead regions); their ids."""
    from leadcenter import clock, crypto, ids
    from leadcenter.domain.leads import new_lead_id
    from leadcenter.model import Attribution, Contact, FormAnswer, FormData, Lead, LeadSource, OtherContact
    from leadcenter.regions import region_router
    from leadcenter.store import accounts, lead_cards
    from leadcenter.store.lead_items import LeadState, TimelineEvent, event_item, lead_item, models

    router = region_router()
    names, weights = [c for c, _ in countries], [w for _, w in countries]
    now = clock.now()
    lead_ids: list[str] = []
    by_region: dict[str, list[tuple[LeadState, TimelineEvent]]] = {}
    for n in range(start, start + count):
        country = rng.choices(names, weights)[0]
        region = router.storage_region(country)
        created = now - timedelta(seconds=rng.uniform(0, 80 * 86400))
        stamp = clock.iso(created)
        answers = [FormAnswer(question=q, answer=f"answer {n % 7}") for q in questions if rng.random() < 0.6]
        lead = Lead(
            id=new_lead_id(region, created),
            account_id=account_id,
            region=country,
            source=LeadSource.FORM,
            contact=Contact(
                name=f"Person {n} Tan",
                email=f"person{n}@example.com",
                phone=f"+6591{n % 1_000_000:06d}",
                others=[OtherContact(kind="line", value=f"person{n}")] if n % 5 == 0 else [],
            ),
            ad=Attribution(ad_id=f"ad-{n % 12}", ad_name=f"Creative {n % 12}", adgroup_id=f"ag-{n % 4}",
                           adgroup_name=f"Audience {n % 4}", campaign_id="cmp-1", campaign_name="Mega Payday"),
            form=FormData(form_id=f"form-{n % 3}", form_name=f"Test drive {n % 3}", answers=answers),
            created_at=stamp,
            updated_at=stamp,
            expires_at="",
            storage_region=region,
        )  # fmt: skip
        state = LeadState(lead, set(), int((created + timedelta(days=90)).timestamp()))
        by_region.setdefault(region, []).append((state, TimelineEvent(ids.ulid(created), "created", "bench", stamp)))
        lead_ids.append(lead.id)
    for region, leads in by_region.items():
        m = models(region)
        with m.lead.batch_write() as lead_batch, m.key.batch_write() as key_batch:
            for state, event in leads:
                lead = state.lead
                lead_key, wrapped = crypto.new_lead_key(region, account_id, lead.id)
                exp = state.expires_epoch
                cipher = crypto.FieldCipher(lead_key, account_id, lead.id)
                lead_batch.save(lead_item(state, cipher))
                lead_batch.save(event_item(region, account_id, lead.id, exp, event))
                for card in lead_cards.cards(state, wrapped, cipher):  # card 0 is the lead's key item
                    key_batch.save(card)
        accounts.add_lead_region(account_id, region)
    return lead_ids
