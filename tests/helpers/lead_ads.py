"""Helpers of the lead-ads tests: an account with a campaign, ad groups of both goals and their ads; reports."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.helpers.capture import enable_auto_capture
from tests.support import Api


@dataclass
class Setup:
    account: str
    admin: str
    campaign: str
    adgroups: dict[str, str]  # goal -> ad group id
    ads: dict[str, str]  # name -> ad id
    adgroup_of: dict[str, str]  # ad id -> ad group id


def lead_ads_account(api: Api, country: str = "ID", ads_per_goal: int = 1) -> Setup:
    """An ad account with auto-capture on, one campaign, a `conversation` and a `lead` ad group, and ads in each
    (named `conversation-0`, `lead-0`, ...)."""
    admin = f"la-{uuid.uuid4().hex[:8]}"
    account = api.account(admin, "ad_account", country)
    enable_auto_capture(api, account, admin)
    campaign = api.ok("POST", f"/accounts/{account}/campaigns", admin, expect=201, json_body={"name": "Ramadan"})["id"]
    adgroups, ads, parent = {}, {}, {}
    for goal in ("conversation", "lead"):
        body = {"campaign_id": campaign, "name": f"{goal.title()} group", "optimization_goal": goal,
                "targeting_countries": [country]}  # fmt: skip
        adgroups[goal] = api.ok("POST", f"/accounts/{account}/adgroups", admin, expect=201, json_body=body)["id"]
        for n in range(ads_per_goal):
            name = f"{goal}-{n}"
            ad = api.ok("POST", f"/accounts/{account}/ads", admin, expect=201,
                        json_body={"adgroup_id": adgroups[goal], "name": name})  # fmt: skip
            ads[name] = ad["id"]
            parent[ad["id"]] = adgroups[goal]
    return Setup(account, admin, campaign, adgroups, ads, parent)


def touch_of(setup: Setup, ad_id: str, kind: str = "click") -> dict[str, Any]:
    """The touch part of an `ad.touch` naming one of the setup's ads, as the platform sends it."""
    return {"kind": kind, "ad_id": ad_id, "adgroup_id": setup.adgroup_of[ad_id], "campaign_id": setup.campaign}


def report(api: Api, setup: Setup, group_by: str, date_from: str, date_to: str) -> dict[str, Any]:
    """Every row of a report (following next_cursor), and the first page's totals and series."""
    path = f"/accounts/{setup.account}/reports/leads"
    query = f"group_by={group_by}&from={date_from}&to={date_to}&limit=2"
    first = page = api.ok("GET", path, setup.admin, query=query)
    rows = list(page["items"])
    while page["next_cursor"]:
        page = api.ok("GET", path, setup.admin, query=f"{query}&cursor={page['next_cursor']}")
        rows += page["items"]
    return {**first, "items": rows}
