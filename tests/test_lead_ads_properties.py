"""Issue "3 of 6": for random sequences of touches, messages, forms and spend (restated, repeated, out of order),
the report equals a brute-force recount from the events (hypothesis), through signed webhooks and the worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.capture import deliver, platform_event, purge
from tests.helpers.lead_ads import Setup, lead_ads_account, report, touch_of

PEOPLE = ["pa", "pb", "pc"]
AD_NAMES = ["conversation-0", "conversation-1", "lead-0", "lead-1"]
WINDOW_HOURS = {"click": 7 * 24, "view": 24}

touch = st.tuples(st.just("touch"), st.sampled_from(PEOPLE), st.sampled_from(AD_NAMES),
                  st.sampled_from(["click", "view"]), st.integers(0, 200))  # fmt: skip
message = st.tuples(st.just("message"), st.sampled_from(PEOPLE), st.integers(0, 1), st.booleans())
form = st.tuples(st.just("form"), st.sampled_from(PEOPLE))
spend = st.tuples(st.just("spend"), st.sampled_from(AD_NAMES), st.integers(0, 1), st.integers(0, 99_999),
                  st.integers(-30, 30))  # fmt: skip
repeat = st.tuples(st.just("repeat"), st.integers(0, 50))
steps = st.lists(st.one_of(touch, message, form, spend, repeat), min_size=1, max_size=14)


@dataclass
class Reference:
    """The brute-force recount: attribution over the touches delivered so far, one lead per person, one count per
    conversation, the latest statement of each ad and day."""

    setup: Setup
    goals: dict[str, str]
    touches: dict[str, list[tuple[str, str, str, str]]] = field(default_factory=dict)  # person -> (at, id, ad, kind)
    leads: dict[str, tuple[str | None, str]] = field(default_factory=dict)  # person -> (ad, day)
    conversations: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    spend: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # (ad, day) -> (as_of, cents)

    def attribute(self, person: str, moment: datetime) -> str | None:
        for at, _, ad, kind in sorted(self.touches.get(person, []), reverse=True):
            age = moment - datetime.fromisoformat(at.replace("Z", "+00:00"))
            if timedelta(0) <= age <= timedelta(hours=WINDOW_HOURS[kind]):
                return ad
        return None

    def apply(self, event: dict[str, Any]) -> None:
        at = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
        if event["type"] == "ad.touch":
            entry = (event["occurred_at"], event["event_id"], event["touch"]["ad_id"], event["touch"]["kind"])
            self.touches.setdefault(event["user"]["id"], []).append(entry)
            return
        if event["type"] == "ad.spend":
            part = event["spend"]
            key, as_of = (part["ad_id"], part["date"]), f"{event['occurred_at']}#{event['event_id']}"
            if key not in self.spend or self.spend[key][0] < as_of:
                self.spend[key] = (as_of, int(Decimal(part["amount"]) * 100))
            return
        person = event["user"]["id"]
        if event["type"] == "message.received" and event["conversation_id"] not in self.conversations:
            self.conversations[event["conversation_id"]] = (self.attribute(person, at), at.date().isoformat())
        has_contact = event["type"] == "form.submitted" or "@" in event["message"]["text"]
        if has_contact and person not in self.leads:
            self.leads[person] = (self.attribute(person, at), datetime.now(UTC).date().isoformat())

    def rows(self, level: str) -> dict[str, tuple[int, int, int, int]]:
        def entity(ad: str) -> str:
            return {"ad": ad, "adgroup": self.setup.adgroup_of[ad], "campaign": self.setup.campaign}[level]

        counts: dict[str, list[int]] = {}
        for ad, _ in self.leads.values():
            if ad:
                row = counts.setdefault(entity(ad), [0, 0, 0, 0])
                row[0] += 1
                row[2] += self.goals[self.setup.adgroup_of[ad]] == "lead"
        for ad, _ in self.conversations.values():
            if ad:
                row = counts.setdefault(entity(ad), [0, 0, 0, 0])
                row[1] += 1
                row[2] += self.goals[self.setup.adgroup_of[ad]] == "conversation"
        for (ad, _), (_, cents) in self.spend.items():
            counts.setdefault(entity(ad), [0, 0, 0, 0])[3] += cents
        return {k: (v[0], v[1], v[2], v[3]) for k, v in counts.items() if v[0] or v[1] or v[3]}


def _cost(cents: int, count: int) -> str | None:
    if not count:
        return None
    return str((Decimal(cents) / 100 / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _events(setup: Setup, plan: list[tuple[Any, ...]], base: datetime) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    today = base.date()
    for n, step in enumerate(plan):
        at = base + timedelta(seconds=n)
        iso = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        kind = step[0]
        if kind == "touch":
            _, person, ad, how, hours = step
            occurred = (at - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            events.append(platform_event(setup.account, "ad.touch", user_id=person, region="ID", conversation_id=None,
                                         occurred_at=occurred, touch=touch_of(setup, setup.ads[ad], how)))  # fmt: skip
        elif kind == "message":
            _, person, chat, with_contact = step
            text = f"{person}@example.co.id" if with_contact else "hello, is this available?"
            events.append(platform_event(setup.account, user_id=person, region="ID", occurred_at=iso, text=text,
                                         conversation_id=f"{setup.account}-{person}-{chat}"))  # fmt: skip
        elif kind == "form":
            answers = [{"question": "Email", "answer": f"{step[1]}@example.co.id"}]
            events.append(platform_event(setup.account, "form.submitted", user_id=step[1], region="ID",
                                         conversation_id=None, occurred_at=iso,
                                         form={"form_id": "form-x", "answers": answers}))  # fmt: skip
        elif kind == "spend":
            _, ad, days_ago, cents, skew = step
            occurred = (at + timedelta(minutes=skew)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            part = {"ad_id": setup.ads[ad], "date": (today - timedelta(days=days_ago)).isoformat(),
                    "amount": f"{cents // 100}.{cents % 100:02d}", "currency": "IDR"}  # fmt: skip
            events.append(platform_event(setup.account, "ad.spend", conversation_id=None, occurred_at=occurred,
                                         spend=part))  # fmt: skip
        elif events:  # a repeat of an earlier event (same event_id): nothing changes
            events.append(events[step[1] % len(events)])
    return events


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
def test_the_report_equals_a_recount_from_the_events(api, gateway, plan):
    purge()
    setup = lead_ads_account(api, ads_per_goal=2)
    goals = {setup.adgroups[g]: g for g in ("conversation", "lead")}
    reference = Reference(setup, goals)
    base = datetime.now(UTC) - timedelta(minutes=2)
    seen: set[str] = set()
    for event in _events(setup, plan, base):
        deliver(api, gateway, event)  # one at a time: attribution sees the touches delivered before
        if event["event_id"] not in seen:
            seen.add(event["event_id"])
            reference.apply(event)
    day_from = (base.date() - timedelta(days=2)).isoformat()
    day_to = datetime.now(UTC).date().isoformat()
    for level in ("ad", "adgroup", "campaign"):
        body = report(api, setup, level, day_from, day_to)
        got = {
            row["id"]: (row["leads"], row["conversations"], row["conversions"], int(Decimal(row["spend"]) * 100))
            for row in body["items"]
        }
        want = reference.rows(level)
        assert got == want, (level, plan)
        for row in body["items"]:
            leads, _, conversions, cents = want[row["id"]]
            assert (row["cost_per_lead"], row["cost_per_conversion"]) == (
                _cost(cents, leads),
                _cost(cents, conversions),
            )
        totals = body["totals"]
        assert totals["leads"] == sum(v[0] for v in want.values()) == sum(p["leads"] for p in body["series"])
        assert int(Decimal(totals["spend"]) * 100) == sum(v[3] for v in want.values())
