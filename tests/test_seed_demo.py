"""`SEED=demo`: the demo goes through the webhook, the capture worker and the API, and shows every part of the app.

The plan's tests are pure (no runner); the demo test starts `python -m local.runner` with SEED=demo, waits for
`GET /_local/seed` to say done, and checks what a newcomer would look at.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local.seed import catalog, people, plan
from tests.test_local_runner import free_port, runner_environment, stop, wait_until_answering

ROOT = Path(__file__).resolve().parents[1]
SEED_TIMEOUT_S = 900


def fake_ads() -> dict[str, list[catalog.Ad]]:
    ads: dict[str, list[catalog.Ad]] = {}
    for key, campaigns in (("main", catalog.MAIN_CAMPAIGNS), ("client", catalog.CLIENT_CAMPAIGNS)):
        ads[key] = [
            catalog.Ad(
                f"ad-{key}-{n}-{name}",
                name,
                f"ag-{group.name}",
                group.name,
                f"c-{c.name}",
                c.name,
                group.goal,
                group.countries,
                "form-1" if group.goal == "lead" else None,
                c.form,
            )
            for n, c in enumerate(campaigns)
            for group in c.groups
            for name in group.ads
        ]
    return ads


def test_the_same_n_tells_the_same_story():
    # Given the same ads, when the plan is made twice for 200 leads, then the people, events and actions match
    first, second = plan.people(200, fake_ads()), plan.people(200, fake_ads())
    assert [(p.name, p.email, p.phone, p.kind, p.day, p.events) for p in first] == [
        (p.name, p.email, p.phone, p.kind, p.day, p.events) for p in second
    ]
    assert [plan.actions(p) for p in first] == [plan.actions(p) for p in second]


def test_the_plan_mixes_sources_markets_ages_and_chats_that_stay_chats():
    crowd = plan.people(1000, fake_ads())
    kinds = Counter(p.kind for p in crowd)
    leads = sum(kinds[k] for k in ("message", "form", "manual", "mark"))
    assert leads == 1000 and kinds["chat"] == 100
    assert 0.55 <= kinds["message"] / leads <= 0.68  # about 60% direct messages
    assert 0.24 <= kinds["form"] / leads <= 0.33  # about 30% instant forms
    assert 0.07 <= (kinds["manual"] + kinds["mark"]) / leads <= 0.13  # about 10% by hand or mark-as-lead
    assert len({p.market.country for p in crowd}) == 16
    assert any(p.day in plan.OLD_DAYS for p in crowd)  # some expire within 7 days
    # Lead-goal ads only in their own countries; form people always reached by a form
    assert all(p.ad and p.ad.form_id and p.market.country in p.ad.countries for p in crowd if p.kind == "form")


def test_every_market_writes_contacts_the_detector_reads():
    # Given people of every market writing their number nationally or internationally, or an email, or both
    from leadcenter.contacts import detect_contacts

    rng = random.Random(7)
    for market in people.MARKETS:
        for _ in range(30):
            first, last, _full = people.person_name(rng, market)
            email, phone = people.email_for(rng, market, first, last), people.mobile_number(rng, market.country)
            roll = rng.random()
            text = people.message_text(
                rng, market.country, phone if roll > 0.3 else None, email if roll < 0.7 else None
            )
            # Then the capture worker's detector finds a contact in it (a price word next to a number would hide it)
            assert detect_contacts(text, market.country), (market.country, text)
        assert not detect_contacts(people.message_text(rng, market.country, None, None), market.country)


# ---------------------------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any], float]]:
    port, aws_port = free_port(), free_port()
    python = ROOT / ".venv" / "bin" / "python"
    log = tmp_path_factory.mktemp("seed-demo") / "runner.log"
    command = [str(python if python.exists() else Path(sys.executable)), "-m", "local.runner",
               "--port", str(port), "--aws-port", str(aws_port)]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env={**runner_environment(), "SEED": "demo"}, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        try:
            if not wait_until_answering(base, process, time.monotonic() + 60):
                pytest.fail(f"runner never answered:\n{log.read_text(errors='replace')[-3000:]}")
            status: dict[str, Any] = {}
            while time.monotonic() - started < SEED_TIMEOUT_S and status.get("state") not in ("done", "failed"):
                time.sleep(0.5)
                status = requests.get(f"{base}/_local/seed", timeout=10).json()
            assert status.get("state") == "done", f"{status}\n{log.read_text(errors='replace')[-3000:]}"
            yield base, status, time.monotonic() - started
        finally:
            stop(process)


def _get(base: str, path: str, user: str = "demo-admin", **query: Any) -> Any:
    token = requests.post(f"{base}/_local/token", json={"sub": user}, timeout=10).json()["token"]
    reply = requests.get(f"{base}{path}", params=query, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert reply.status_code == 200, f"GET {path}: {reply.status_code} {reply.text[:300]}"
    return reply.json()


def _all_leads(base: str, account: str) -> list[dict[str, Any]]:
    leads, cursor = [], None
    while True:
        page = _get(base, f"/accounts/{account}/leads", limit=100, **({"cursor": cursor} if cursor else {}))
        leads += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return leads


@pytest.mark.slow
def test_seed_demo_fills_every_screen_through_the_real_pipelines(demo):
    base, status, seconds = demo
    summary = status["summary"]
    # Then no request of the demo failed, and every bulk job and the export succeeded
    assert summary["failed_requests"] == 0, status.get("failures")
    assert summary["jobs"] > 0
    # And the ad account's leads mix sources, markets and statuses, with ages, some expiring within 7 days
    account = summary["ad_account"]
    leads = _all_leads(base, account)
    transferred = _all_leads(base, summary["business_center"])  # the second ad account's, after the transfer
    assert summary["leads"] == 300 and len(leads) + len(transferred) == 300
    sources = Counter(lead["source"] for lead in leads)
    assert sources["message"] > 0.45 * len(leads) and sources["form"] > 0.18 * len(leads) and sources["manual"] > 0
    assert len({lead["region"] for lead in leads}) >= 10
    assert set(Counter(lead["status"] for lead in leads)) == {
        "raw",
        "contacted",
        "qualified",
        "unqualified",
        "converted",
    }
    assert any(lead["labels"] for lead in leads) and any(lead["assignee"] for lead in leads)
    assert len({lead["created_at"][:10] for lead in leads}) >= 25  # 30 days of history, and older
    assert _get(base, f"/accounts/{account}/summary")["expiring_within_7_days"] > 0
    # And conversations have their events: what arrived, and the lead it made
    chatted = [lead for lead in leads if lead["source"] == "message" and lead.get("conversation_id")]
    assert len(chatted) > 0.4 * len(leads)
    events = _get(base, f"/accounts/{account}/conversations/{chatted[0]['conversation_id']}/events")["items"]
    assert {"message_received", "lead_created"} <= {e["type"] for e in events}, events
    # And the report shows spend and cost per lead, for both optimization goals
    report = _get(base, f"/accounts/{account}/reports/leads", group_by="adgroup")["items"]
    assert {row["optimization_goal"] for row in report} == {"conversation", "lead"}
    assert all(row["spend"] not in (None, "0", "0.00") for row in report)
    assert any(row["cost_per_lead"] for row in report) and any(row["conversations"] for row in report)
    # And the second ad account was transferred to the Business Center, whose member reaches its leads
    access = _get(base, f"/accounts/{summary['business_center']}/lead-access")
    assert summary["second_ad_account"] in str(access)
    assert _get(base, f"/accounts/{summary['business_center']}/leads", user="demo-operator", limit=5)["items"]
    # And the admin's inbox tells of the review, assignments, the export and the transfer
    kinds = {n["type"] for n in _get(base, "/notifications", limit=100)["items"]}
    assert {"auto_capture.reviewed", "lead.assigned", "export.ready", "lead_access.transferred"} <= kinds, kinds
    print(f"seed_demo_seconds={seconds:.1f}")
