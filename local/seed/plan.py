"""The demo's story, decided before anything is sent: who each person is, what they do on which day, and what
the marketers then do with their lead. Every choice comes from a generator seeded per person, so the same N
always tells the same story (only the clock's date, and so the lead ids, differ between runs).

Days count back from the moment seeding starts: day 3 is three days ago. A person who clicked an ad did so a day
before writing; someone who chatted first gave their contact a day later; most leads are from the last 30 days,
and a few are older than 83 days, so they expire within 7 days (retention is 90 days).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from local.seed.catalog import Ad
from local.seed.people import MARKETS, Market, email_for, local_format, message_text, mobile_number, person_name

RANDOM_SEED = 2026
HISTORY_DAYS = 30  # spend and most leads; the old cohort lies beyond
OLD_DAYS = (85, 87)  # created this long ago: expiring within 5 and 3 days
DEMO_ADMIN = "demo-admin"
ADMINS = (DEMO_ADMIN, "demo-admin-2")
LABELS = ("Hot", "VIP", "Follow-up", "Cold")
CHATS_PER_LEAD = 0.1  # conversations that never become leads, per lead
CLIENT_EVERY = 16  # one lead in 16 belongs to the second ad account (the one transferred to the Business Center)
SOURCES = (("message", 0.60), ("form", 0.30), ("manual", 0.05), ("mark", 0.05))
STATUS_PATHS = (  # (weight, the statuses a lead goes through after raw)
    (35, ()),
    (20, ("contacted",)),
    (18, ("contacted", "qualified")),
    (10, ("contacted", "unqualified")),
    (5, ("unqualified",)),
    (12, ("contacted", "qualified", "converted")),
)
NOTES = ("Called, asked to follow up next week", "Sent the brochure", "Prefers WhatsApp over calls",
         "Budget confirmed", "Wants a demo at the showroom", "Left a voicemail")  # fmt: skip


@dataclass
class Person:
    index: int
    account: str  # main | client
    kind: str  # message | form | manual | mark | chat
    market: Market
    name: str
    email: str | None
    phone: str | None
    day: int  # the day the lead is made (or the chat's last message)
    ad: Ad | None
    seed: int
    events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (day, platform event without ids)

    @property
    def user_id(self) -> str:
        return f"demo-user-{self.index:06d}"

    @property
    def conversation_id(self) -> str:
        return f"demo-conv-{self.index:06d}"

    @property
    def key(self) -> str:
        """How a captured lead is recognised in a listing: its first contact as the capture stores it."""
        return (self.email or self.phone or "").lower()


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in weighted], weights=[weight for _, weight in weighted])[0]


def _market(rng: random.Random, account: str) -> Market:
    if account == "client":
        country = "MY" if rng.random() < 0.8 else "SG"
        return next(m for m in MARKETS if m.country == country)
    return rng.choices(MARKETS, weights=[m.weight for m in MARKETS])[0]


def person(index: int, ads: dict[str, list[Ad]], leads: int) -> Person:
    rng = random.Random(RANDOM_SEED * 1_000_003 + index)
    account = "client" if index % CLIENT_EVERY == CLIENT_EVERY - 1 else "main"
    kind = _pick(rng, SOURCES) if index < leads else "chat"
    market = _market(rng, account)
    first, last, full = person_name(rng, market)
    roll = rng.random()  # most people give both; some only one of them
    email = email_for(rng, market, first, last) if roll < 0.85 or kind == "form" else None
    phone = mobile_number(rng, market.country) if roll > 0.15 or email is None else None
    old = account == "main" and rng.random() < 0.05
    day = rng.choice(OLD_DAYS) if old else rng.randrange(0, HISTORY_DAYS - 2)
    eligible = [ad for ad in ads[account] if market.country in ad.countries]
    forms = [ad for ad in eligible if ad.form_id]
    if kind == "form" and not forms:
        kind = "message"  # no Lead-goal ad reaches this market: they write instead
    ad = (
        rng.choice(forms if kind == "form" else eligible)
        if eligible and (kind == "form" or rng.random() < 0.85)
        else None
    )
    who = Person(index, account, kind, market, full, email, phone, day, ad, rng.randrange(1 << 30))
    _story(who, rng)
    return who


def _story(who: Person, rng: random.Random) -> None:
    """The platform events this person causes, by day."""
    chat_first = who.kind in ("mark", "chat") or (who.kind == "message" and rng.random() < 0.2)
    first_day = who.day + 1 if chat_first else who.day
    if who.ad is not None and who.kind != "manual":
        kind = "click" if rng.random() < 0.85 else "view"
        who.events.append((first_day + 1, {"type": "ad.touch", "touch": who.ad.touch(kind)}))
    country = who.market.country
    if chat_first:
        who.events.append((who.day + 1, _message(rng, country, None, None)))
    if who.kind == "message":
        who.events.append((who.day, _message(rng, country, who.phone, who.email)))
        if who.day > 0 and who.email and who.phone and rng.random() < 0.1:  # more later: a timeline update
            who.events[-1] = (who.day, _message(rng, country, who.phone, None))
            who.events.append((who.day - 1, _message(rng, country, None, who.email)))
    elif who.kind == "form" and who.ad is not None:
        who.events.append((who.day, {"type": "form.submitted", "form": _answers(rng, who)}))


def _message(rng: random.Random, country: str, phone: str | None, email: str | None) -> dict[str, Any]:
    return {"type": "message.received", "message": {"text": message_text(rng, country, phone, email)}}


def _answers(rng: random.Random, who: Person) -> dict[str, Any]:
    assert who.ad is not None and who.ad.form_id is not None
    phone = local_format(who.phone, rng) if who.phone else ""
    answers = [{"question": "Full name", "answer": who.name}, {"question": "Email", "answer": who.email or ""},
               {"question": "Phone number", "answer": phone}]  # fmt: skip
    answers += [{"question": q, "answer": rng.choice(options)} for q, options in who.ad.form.questions]
    return {"form_id": who.ad.form_id, "answers": answers}


def people(leads: int, ads: dict[str, list[Ad]]) -> list[Person]:
    """`leads` people who become leads, and a tenth as many who only chat."""
    return [person(index, ads, leads) for index in range(leads + round(leads * CHATS_PER_LEAD))]


# ---------------------------------------------------------------------------------------------- marketers


def manual_body(who: Person) -> dict[str, Any]:
    """A lead typed in by hand: the person's contact, and the ad they said they saw, if any."""
    contact = {"name": who.name, **{k: v for k, v in (("email", who.email), ("phone", who.phone)) if v}}
    body: dict[str, Any] = {"region": who.market.country, "contact": contact}
    if who.ad is not None:
        body["ad"] = {k: v for k, v in who.ad.touch("click").items() if k != "kind"}
    return body


def actions(who: Person) -> list[tuple[str, Any]]:
    """What the marketers do with this person's lead once it exists, one thing a day (the API's bulk jobs check
    the version they saw, so two changes to one lead at once would refuse each other): the statuses it goes
    through, an assignee, labels that fit where it ended, sometimes a note. ("wait", None) is a day of nothing:
    a person who writes again the next day is left to the capture worker that day."""
    rng = random.Random(who.seed)
    path = rng.choices([p for _, p in STATUS_PATHS], weights=[w for w, _ in STATUS_PATHS])[0]
    steps: list[tuple[str, Any]] = [("wait", None)] if any(day < who.day for day, _ in who.events) else []
    steps += [("set_status", status) for status in path]
    if path and rng.random() < 0.6:
        steps.insert(min(len(steps), 1), ("set_assignee", rng.choice(ADMINS)))
    steps += [("add_labels", label) for label in _labels(rng, path[-1] if path else "raw")]
    if rng.random() < 0.15:
        steps.insert(rng.randrange(len(steps) + 1), ("note", rng.choice(NOTES)))
    return steps


def _labels(rng: random.Random, status: str) -> list[str]:
    chosen = []
    if status in ("qualified", "converted") and rng.random() < 0.5:
        chosen.append("Hot")
    if status == "contacted" and rng.random() < 0.45:
        chosen.append("Follow-up")
    if status == "unqualified" and rng.random() < 0.6:
        chosen.append("Cold")
    if rng.random() < 0.08:
        chosen.append("VIP")
    return chosen


def spend(ad: Ad, ad_index: int, day: int) -> str:
    """The ad's spend on that day: a steady budget with day-to-day noise, more behind Lead-goal ads."""
    rng = random.Random(RANDOM_SEED * 7919 + ad_index * 101 + day)
    budget = 60 if ad.goal == "lead" else 35
    return f"{budget * rng.uniform(0.6, 1.4):.2f}"
