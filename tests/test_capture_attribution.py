"""Issue 4: ad touches, last-touch attribution within the click and view windows, lead reports by group."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers.capture import deliver, enable_auto_capture, leads_of, platform_event

NOW = datetime.now(UTC)
ADS = {
    "A": {
        "ad_id": "ad-A",
        "ad_name": "Ramadan promo",
        "adgroup_id": "ag-1",
        "adgroup_name": "Jakarta 25-34",
        "campaign_id": "cp-1",
        "campaign_name": "Ramadan",
    },
    "B": {
        "ad_id": "ad-B",
        "ad_name": "Free delivery",
        "adgroup_id": "ag-1",
        "adgroup_name": "Jakarta 25-34",
        "campaign_id": "cp-1",
        "campaign_name": "Ramadan",
    },
    "C": {
        "ad_id": "ad-C",
        "ad_name": "Flash sale",
        "adgroup_id": "ag-2",
        "adgroup_name": "Surabaya",
        "campaign_id": "cp-2",
        "campaign_name": "Payday",
    },
}


pytestmark = pytest.mark.usefixtures("empty_capture_queue")


@pytest.fixture
def capturing(api):
    admin = f"attr-admin-{uuid.uuid4().hex[:8]}"
    account = api.account(admin, country="ID")
    enable_auto_capture(api, account, admin)
    return account, admin


def _at(delta: timedelta) -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _touch(account, person, kind, ad, ago):
    touch = {"kind": kind, **ADS[ad]}
    return platform_event(
        account, "ad.touch", user_id=person, region="ID", conversation_id=None, occurred_at=_at(-ago), touch=touch
    )


def _message(account, person):
    return platform_event(
        account, user_id=person, region="ID", text=f"{person}@example.co.id", occurred_at=_at(timedelta(0))
    )


def _ad_of(api, account, admin, person):
    return next(
        lead["ad"]["ad_id"] for lead in leads_of(api, account, admin) if lead["contact"]["email"].startswith(person)
    )


def test_a_lead_goes_to_the_last_touch_that_still_qualifies(api, gateway, capturing):
    account, admin = capturing
    day, hour = timedelta(days=1), timedelta(hours=1)
    deliver(
        api,
        gateway,
        # an older click still in its 7 days beats a newer view past its 1 day
        _touch(account, "p1", "click", "A", 6 * day),
        _touch(account, "p1", "view", "B", 2 * day),
        # the newest qualifying touch wins
        _touch(account, "p2", "click", "A", 6 * day),
        _touch(account, "p2", "view", "C", 12 * hour),
        # a click past 7 days attributes nothing
        _touch(account, "p3", "click", "A", 8 * day),
        # a touch after the lead does not count
        _touch(account, "p4", "click", "B", 2 * day),
        _touch(account, "p4", "click", "C", -hour),
        # nor another person's touch
        _touch(account, "p6", "click", "C", hour),
    )
    deliver(api, gateway, *(_message(account, person) for person in ("p1", "p2", "p3", "p4", "p5")))
    assert _ad_of(api, account, admin, "p1") == "ad-A"
    assert _ad_of(api, account, admin, "p2") == "ad-C"
    assert _ad_of(api, account, admin, "p3") is None
    assert _ad_of(api, account, admin, "p4") == "ad-B"
    assert _ad_of(api, account, admin, "p5") is None
    [p2] = [lead for lead in leads_of(api, account, admin) if lead["contact"]["email"].startswith("p2")]
    assert p2["ad"] == ADS["C"]


def test_the_windows_follow_the_account_settings(api, gateway, capturing):
    account, admin = capturing
    api.ok("PUT", f"/accounts/{account}/attribution", admin, json_body={"click_window_days": 10, "view_window_days": 0})
    deliver(
        api,
        gateway,
        _touch(account, "q1", "click", "A", timedelta(days=9)),
        _touch(account, "q2", "view", "B", timedelta(minutes=5)),
    )
    deliver(api, gateway, _message(account, "q1"), _message(account, "q2"))
    assert _ad_of(api, account, admin, "q1") == "ad-A"
    assert _ad_of(api, account, admin, "q2") is None


def test_touches_hold_no_personal_data_and_repeat_harmlessly(api, gateway, capturing):
    account, _ = capturing
    touch = _touch(account, "platform-user-77", "click", "A", timedelta(hours=1))
    assert deliver(api, gateway, touch, touch) == {"batchItemFailures": []}
    import boto3

    items = boto3.client("dynamodb", region_name="ap-southeast-1").scan(TableName="leadcenter-leads")["Items"]
    mine = [item for item in items if item["pk"]["S"].startswith(f"TCH#{account}#")]
    assert len(mine) == 1
    assert "platform-user-77" not in str(mine)


def test_the_report_counts_leads_per_ad_adgroup_and_campaign(api, gateway, capturing):
    # Given leads attributed to ads A (twice) and C, one without attribution, and a lead made by hand with B
    account, admin = capturing
    hour = timedelta(hours=1)
    deliver(
        api,
        gateway,
        _touch(account, "r1", "click", "A", hour),
        _touch(account, "r2", "click", "A", hour),
        _touch(account, "r3", "view", "C", hour),
    )
    deliver(api, gateway, *(_message(account, person) for person in ("r1", "r2", "r3", "r4")))
    manual = api.lead(account, admin, region="ID", ad=ADS["B"])
    report = f"/accounts/{account}/reports/leads"

    def counts(group_by):
        body = api.ok("GET", report, admin, query=f"group_by={group_by}")
        assert body["group_by"] == group_by and body["next_cursor"] is None
        return {row["id"]: (row["name"], row["leads"]) for row in body["items"]}, body["total"]

    # Then each grouping counts them
    assert counts("ad") == ({"ad-A": ("Ramadan promo", 2), "ad-B": ("Free delivery", 1), "ad-C": ("Flash sale", 1)}, 4)
    assert counts("adgroup") == ({"ag-1": ("Jakarta 25-34", 3), "ag-2": ("Surabaya", 1)}, 4)
    assert counts("campaign") == ({"cp-1": ("Ramadan", 3), "cp-2": ("Payday", 1)}, 4)
    # And a deleted lead no longer counts
    api.ok("DELETE", f"/accounts/{account}/leads/{manual['id']}", admin, expect=204)
    assert counts("ad")[0] == {"ad-A": ("Ramadan promo", 2), "ad-C": ("Flash sale", 1)}


def test_the_report_checks_its_grouping_and_who_asks(api, capturing):
    account, admin = capturing
    report = f"/accounts/{account}/reports/leads"
    assert api.call("GET", report, admin, query="group_by=country").status == 422
    assert api.ok("GET", report, admin)["group_by"] == "ad"  # the default grouping
    api.ok("PUT", f"/accounts/{account}/members/an-{admin}", admin, json_body={"role": "analyst"})
    assert api.call("GET", report, f"an-{admin}", query="group_by=ad").status == 403
    empty = api.ok("GET", report, admin, query="group_by=ad")
    assert {k: empty[k] for k in ("group_by", "items", "total", "next_cursor")} == {
        "group_by": "ad",
        "items": [],
        "total": 0,
        "next_cursor": None,
    }
    assert empty["totals"]["spend"] == "0.00" and empty["totals"]["cost_per_lead"] is None
