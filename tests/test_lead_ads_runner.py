"""The seed's Lead-goal scenario on the local runner (`make run`), end to end through signed webhooks and the
capture worker as deployed: a Conversation-goal touch and chat, then a Lead-goal touch and a contact; spend stated,
restated and repeated; the report's costs exact to the cent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.helpers.crm import wait_for
from tests.helpers.runner import capturing_account, event, headers, local_runner, now, send

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_runner(tmp_path_factory.mktemp("lead-ads-runner")) as url:
        yield url


def _create(base: str, admin: dict[str, str], path: str, body: dict[str, Any]) -> str:
    reply = requests.post(f"{base}{path}", headers=admin, json=body, timeout=30)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def test_a_chat_from_a_conversation_ad_whose_contact_follows_a_lead_ad_touch_counts_for_the_lead_ad(base):
    # Given an ad account in Singapore capturing leads, a campaign with a Conversation-goal and a Lead-goal ad group
    admin = headers(base, "lead-ads-runner-admin")
    account = capturing_account(base, admin, "SG")
    campaign = _create(base, admin, f"/accounts/{account}/campaigns", {"name": "Year end"})
    groups = {}
    for goal in ("conversation", "lead"):
        body = {
            "campaign_id": campaign,
            "name": f"{goal} group",
            "optimization_goal": goal,
            "targeting_countries": ["SG"],
        }
        groups[goal] = _create(base, admin, f"/accounts/{account}/adgroups", body)
    ads = {goal: _create(base, admin, f"/accounts/{account}/ads", {"adgroup_id": group, "name": f"{goal} ad"})
           for goal, group in groups.items()}  # fmt: skip

    def touch(goal: str) -> dict[str, str]:
        return {"kind": "click", "ad_id": ads[goal], "adgroup_id": groups[goal], "campaign_id": campaign}

    user, chat = f"sg-{uuid.uuid4().hex[:6]}", f"dm-{uuid.uuid4().hex[:6]}"

    def message(text: str, seconds: float) -> dict[str, Any]:
        return event(base, "message.received", user, seconds=seconds, region="SG", account_id=account,
                     conversation_id=chat, message={"id": f"m-{uuid.uuid4()}", "text": text})  # fmt: skip

    # When the person clicks the Conversation-goal ad and opens a chat with no contact,
    send(base, event(base, "ad.touch", user, seconds=-40, region="SG", account_id=account, touch=touch("conversation")))
    send(base, message("hello, is this still on sale?", -30))
    # (the platform's next events come after this chat was opened: the workers run several batches at once)
    events_url = f"{base}/accounts/{account}/conversations/{chat}/events"
    assert wait_for(lambda: requests.get(events_url, headers=admin, timeout=30).status_code == 200, timeout=30)
    # then clicks the Lead-goal ad and writes their email in the same chat
    send(base, event(base, "ad.touch", user, seconds=-20, region="SG", account_id=account, touch=touch("lead")))
    send(base, message("sure, mail me at wei.ling@example.sg", -10))
    # and the ads' spend is stated, restated later, and one statement delivered twice
    day = datetime.fromtimestamp(now(base), tz=UTC).date().isoformat()

    def spend(goal: str, amount: str, seconds: float) -> dict[str, Any]:
        return event(base, "ad.spend", None, seconds=seconds, account_id=account,
                     spend={"ad_id": ads[goal], "date": day, "amount": amount, "currency": "SGD"})  # fmt: skip

    send(base, spend("conversation", "10.00", -9))
    restated = spend("conversation", "12.50", -5)
    send(base, restated)
    send(base, restated)
    send(base, spend("lead", "7.77", -5))
    leads_url = f"{base}/accounts/{account}/leads"
    assert wait_for(lambda: len(requests.get(leads_url, headers=admin, timeout=30).json()["items"]) == 1, timeout=30)

    def report(group_by: str) -> dict[str, Any]:
        url = f"{base}/accounts/{account}/reports/leads?group_by={group_by}&from={day}&to={day}"
        return dict(requests.get(url, headers=admin, timeout=30).json())

    def figures(row: dict[str, Any]) -> tuple[Any, ...]:
        return (row["leads"], row["conversations"], row["conversions"], row["spend"], row["cost_per_lead"],
                row["cost_per_conversion"])  # fmt: skip

    def settled() -> bool:
        rows = {row["id"]: figures(row) for row in report("adgroup")["items"]}
        return rows.get(groups["conversation"], (None, None, None, None))[3] == "12.50" and groups["lead"] in rows

    assert wait_for(settled, timeout=30)
    # Then the lead is the Lead-goal ad's; the chat counted once, for the Conversation-goal ad group
    [lead] = requests.get(leads_url, headers=admin, timeout=30).json()["items"]
    assert lead["ad"]["ad_id"] == ads["lead"] and lead["traffic"] == "paid"
    by_group = {row["id"]: figures(row) for row in report("adgroup")["items"]}
    assert by_group == {
        groups["conversation"]: (0, 1, 1, "12.50", None, "12.50"),
        groups["lead"]: (1, 0, 1, "7.77", "7.77", "7.77"),
    }
    # And the campaign adds them up: 20.27 for 1 lead, and for 2 conversions 10.135, rounded half-up to 10.14
    [row] = report("campaign")["items"]
    assert (row["id"], row["optimization_goal"], row["currency"]) == (campaign, None, "SGD")
    assert figures(row) == (1, 1, 2, "20.27", "20.27", "10.14")
