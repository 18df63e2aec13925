"""Issue "3 of 6": conversations and conversions, spend (restated, repeated, one currency), the report's figures
and costs, end to end through signed webhooks and the capture worker."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadcenter.domain import money
from tests.helpers.capture import deliver, platform_event
from tests.helpers.lead_ads import lead_ads_account, report, touch_of

NOW = datetime.now(UTC)
TODAY = NOW.date().isoformat()
YESTERDAY = (NOW.date() - timedelta(days=1)).isoformat()


pytestmark = pytest.mark.usefixtures("empty_capture_queue")


def _at(delta: timedelta) -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _spend(setup, ad_id, amount, *, day=TODAY, currency="IDR", ago=timedelta(0), event_id=None):
    spend = {"ad_id": ad_id, "date": day, "amount": amount, "currency": currency}
    return platform_event(setup.account, "ad.spend", conversation_id=None, occurred_at=_at(-ago),
                          event_id=event_id, spend=spend)  # fmt: skip


def _rows(body):
    keys = ("leads", "conversations", "conversions", "spend", "cost_per_lead", "cost_per_conversion")
    return {row["id"]: tuple(row[k] for k in keys) for row in body["items"]}


def test_the_seed_scenario_a_chat_from_a_conversation_ad_becomes_a_lead_of_the_lead_ad(api, gateway):
    # Given an ad account with a Conversation-goal and a Lead-goal ad group, an ad in each
    setup = lead_ads_account(api)
    conversation_ad, lead_ad = setup.ads["conversation-0"], setup.ads["lead-0"]
    person = {"user_id": "seed-person", "region": "ID"}
    chat = f"chat-{uuid.uuid4().hex[:6]}"
    # When the person clicks the Conversation-goal ad and opens a chat (no contact yet),
    deliver(api, gateway,
            platform_event(setup.account, "ad.touch", conversation_id=None, occurred_at=_at(-timedelta(hours=3)),
                           touch=touch_of(setup, conversation_ad), **person),
            platform_event(setup.account, conversation_id=chat, occurred_at=_at(-timedelta(hours=2)), text="hi there",
                           **person))  # fmt: skip
    # then clicks the Lead-goal ad, and sends their contact in the same chat
    deliver(api, gateway,
            platform_event(setup.account, "ad.touch", conversation_id=None, occurred_at=_at(-timedelta(hours=1)),
                           touch=touch_of(setup, lead_ad), **person),
            platform_event(setup.account, conversation_id=chat, occurred_at=_at(timedelta(0)),
                           text="email me: seed@example.co.id", **person))  # fmt: skip
    # and each ad spends
    deliver(api, gateway, _spend(setup, conversation_ad, "0.10"), _spend(setup, lead_ad, "0.15"))
    # Then the lead is the Lead-goal ad's, and paid
    [lead] = api.ok("GET", f"/accounts/{setup.account}/leads", setup.admin)["items"]
    assert lead["ad"]["ad_id"] == lead_ad and lead["traffic"] == "paid"
    # the chat counts as a conversation (and so a conversion) of the Conversation-goal ad group,
    # the lead as a lead (and so a conversion) of the Lead-goal ad group
    by_group = report(api, setup, "adgroup", YESTERDAY, TODAY)
    assert _rows(by_group) == {
        setup.adgroups["lead"]: (1, 0, 1, "0.15", "0.15", "0.15"),
        setup.adgroups["conversation"]: (0, 1, 1, "0.10", None, "0.10"),
    }
    goals = {row["id"]: row["optimization_goal"] for row in by_group["items"]}
    assert goals == {setup.adgroups["lead"]: "lead", setup.adgroups["conversation"]: "conversation"}
    assert {row["currency"] for row in by_group["items"]} == {"IDR"}
    # the campaign adds them up (its goal is null); 0.25 / 2 conversions is 0.125, rounded half-up to 0.13
    [campaign] = report(api, setup, "campaign", YESTERDAY, TODAY)["items"]
    assert (campaign["id"], campaign["name"], campaign["optimization_goal"]) == (setup.campaign, "Ramadan", None)
    assert _rows({"items": [campaign]})[setup.campaign] == (1, 1, 2, "0.25", "0.25", "0.13")
    by_ad = report(api, setup, "ad", YESTERDAY, TODAY)
    assert {row["id"]: (row["name"], row["optimization_goal"]) for row in by_ad["items"]} == {
        lead_ad: ("lead-0", "lead"),
        conversation_ad: ("conversation-0", "conversation"),
    }
    # and the daily series and totals agree
    assert (by_ad["totals"]["leads"], by_ad["totals"]["conversions"], by_ad["totals"]["spend"]) == (1, 2, "0.25")
    assert [point["date"] for point in by_ad["series"]] == [YESTERDAY, TODAY]
    assert sum(point["conversions"] for point in by_ad["series"]) == 2
    assert by_ad["series"][-1]["spend"] == "0.25" and by_ad["series"][-1]["cost_per_lead"] == "0.25"


def test_spend_is_restated_by_a_later_statement_and_repeats_change_nothing(api, gateway):
    setup = lead_ads_account(api)
    ad = setup.ads["lead-0"]
    first = _spend(setup, ad, "12.34", ago=timedelta(minutes=30))
    deliver(api, gateway, first, first)  # a repeat of one event_id
    deliver(api, gateway, _spend(setup, ad, "20.00", ago=timedelta(minutes=10)))  # restated
    deliver(api, gateway, _spend(setup, ad, "99.99", ago=timedelta(minutes=20)))  # occurred earlier: ignored
    deliver(api, gateway, _spend(setup, ad, "5.00", day=YESTERDAY))
    deliver(api, gateway, _spend(setup, ad, "1.00", currency="USD"))  # another currency: rejected
    deliver(api, gateway, _spend(setup, "ad-not-ours", "3.00"))  # an ad we do not know: ignored
    body = report(api, setup, "ad", YESTERDAY, TODAY)
    assert _rows(body) == {ad: (0, 0, 0, "25.00", None, None)}
    assert [(p["date"], p["spend"]) for p in body["series"]] == [(YESTERDAY, "5.00"), (TODAY, "20.00")]
    assert report(api, setup, "ad", TODAY, TODAY)["items"][0]["spend"] == "20.00"
    # a restatement to zero leaves a row with nothing in it out
    later = -timedelta(minutes=1)
    deliver(api, gateway, _spend(setup, ad, "0", ago=later), _spend(setup, ad, "0", day=YESTERDAY, ago=later))
    assert report(api, setup, "adgroup", YESTERDAY, TODAY)["items"] == []


def test_concurrent_restatements_end_at_the_latest_one(api):
    from leadcenter.domain import ad_metrics
    from leadcenter.platform_events import PLATFORM_EVENT

    setup = lead_ads_account(api)
    ad = setup.ads["conversation-0"]
    events = [
        PLATFORM_EVENT.validate_python(_spend(setup, ad, f"{n}.{n:02d}", ago=timedelta(minutes=10 - n)))
        for n in range(8)
    ]
    errors: list[BaseException] = []

    def apply(event):
        try:
            ad_metrics.on_spend(event, setup.account)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=apply, args=(event,)) for event in reversed(events)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    [row] = report(api, setup, "campaign", TODAY, TODAY)["items"]
    assert row["spend"] == "7.07"  # the statement that occurred last, whatever order they were applied in


def test_spend_amounts_are_decimal_strings(api):
    setup = lead_ads_account(api)
    from tests.helpers.capture import post

    for amount in ("12.345", "-1.00", "1e3", "12,34", ""):
        assert post(api, _spend(setup, setup.ads["lead-0"], amount)).status == 422, amount
    assert post(api, _spend(setup, setup.ads["lead-0"], "1", currency="usd")).status == 422


def test_costs_are_exact_to_the_cent():
    assert money.to_minor("12.34") == 1234 and money.to_minor("0.1") == 10 and money.to_minor("7") == 700
    assert money.to_text(1234) == "12.34" and money.to_text(0) == "0.00" and money.to_text(-5) == "-0.05"
    assert money.cost(25, 2) == "0.13"  # 0.125: half-up, not half-even
    assert money.cost(1, 3) == "0.00" and money.cost(2, 3) == "0.01" and money.cost(100, 0) is None
    assert money.cost(1_000_000_000_001, 1) == "10000000000.01"  # no float on the way
    assert money.cost(3333, 7) == "4.76"  # 4.7614...
    with pytest.raises(ValueError):
        money.to_minor("0.001")


def test_leads_without_a_touch_are_organic_and_a_deleted_lead_leaves_the_counts(api, gateway):
    setup = lead_ads_account(api)
    ad = setup.ads["lead-0"]
    deliver(api, gateway,
            platform_event(setup.account, "ad.touch", user_id="p-paid", region="ID", conversation_id=None,
                           occurred_at=_at(-timedelta(hours=1)), touch=touch_of(setup, ad)),
            platform_event(setup.account, user_id="p-paid", region="ID", conversation_id="c-paid",
                           text="paid@example.co.id"),
            platform_event(setup.account, user_id="p-organic", region="ID", conversation_id="c-organic",
                           text="organic@example.co.id"))  # fmt: skip
    leads = api.ok("GET", f"/accounts/{setup.account}/leads", setup.admin)["items"]
    by_traffic = {lead["contact"]["email"].split("@")[0]: lead["traffic"] for lead in leads}
    assert by_traffic == {"paid": "paid", "organic": "organic"}
    for traffic in ("paid", "organic"):
        found = api.ok("GET", f"/accounts/{setup.account}/leads", setup.admin, query=f"traffic={traffic}")["items"]
        assert [lead["traffic"] for lead in found] == [traffic]
    assert api.call("GET", f"/accounts/{setup.account}/leads", setup.admin, query="traffic=free").status == 422
    # the organic chat and lead count nowhere
    assert _rows(report(api, setup, "adgroup", TODAY, TODAY)) == {
        setup.adgroups["lead"]: (1, 1, 1, "0.00", "0.00", "0.00")
    }
    paid = next(lead for lead in leads if lead["traffic"] == "paid")
    api.ok("DELETE", f"/accounts/{setup.account}/leads/{paid['id']}", setup.admin, expect=204)
    assert _rows(report(api, setup, "adgroup", TODAY, TODAY)) == {
        setup.adgroups["lead"]: (0, 1, 0, "0.00", None, None)
    }  # a conversation of a lead-goal group: no conversion


def test_the_report_checks_its_range_and_pages(api, gateway):
    setup = lead_ads_account(api, ads_per_goal=3)
    deliver(api, gateway, *(_spend(setup, ad, "1.00") for ad in setup.ads.values()))
    rows = report(api, setup, "ad", TODAY, TODAY)["items"]  # pages of 2
    assert sorted(row["id"] for row in rows) == sorted(setup.ads.values())
    path = f"/accounts/{setup.account}/reports/leads"
    assert api.call("GET", path, setup.admin, query=f"from={TODAY}&to={YESTERDAY}").status == 422
    assert api.call("GET", path, setup.admin, query="from=2020-01-01&to=2026-01-01").status == 422
    assert api.call("GET", path, setup.admin, query="from=yesterday").status == 422
    page = api.ok("GET", path, setup.admin, query=f"group_by=ad&from={TODAY}&to={TODAY}&limit=2")
    other = f"group_by=adgroup&from={TODAY}&to={TODAY}&cursor={page['next_cursor']}"
    assert api.call("GET", path, setup.admin, query=other).status == 400  # a cursor is bound to its query
