"""Salesforce connector (issue "4 of 6"): requests per lead change (tokens reused), and no change lost.

Both in-process (moto, the template's functions driven by hand as the tests do), against an org on 127.0.0.1
that speaks Salesforce's token and Lead upsert shapes (tests/helpers/salesforce.py).

salesforce_requests_per_lead_change: a healthy org; LEADS leads created and each moved through 4 statuses
(LEADS * 5 changes); every HTTP request the org receives (token requests and upserts) over the changes. Peer, in
the same run: the same with the token cache switched off (a token per attempt), on a fifth of the changes.

salesforce_lost_changes: 1,000 changes (200 leads x 5) against an org failing 30% of upserts at random (503);
retries compressed by moving the app clock to each next due attempt. Lost = changes whose delivery never
succeeded, plus leads whose record does not hold their final status. Peer: changes whose first attempt failed.
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

from bench.harness import metric, moto_stack

LEADS = 200
STATUSES = ("contacted", "qualified", "unqualified", "converted")
FAILURE_RATE = 0.3


def _run(stack: Any, account_id: str, leads: int, fail: Any, *, cache_tokens: bool = True) -> dict[str, Any]:
    from leadcenter.adapters.salesforce_record import DEFAULT_STATUS_MAP
    from leadcenter.domain import salesforce
    from leadcenter.domain.leads import LeadPatch, NewLead, create_lead, update_lead
    from leadcenter.model import Contact, LeadSource, LeadStatus
    from leadcenter.policy import Action, authorize
    from leadcenter.store import accounts
    from leadcenter.store import deliveries as delivery_store
    from leadcenter.store import integrations as integration_store
    from leadcenter.store.accounts import Account, Member
    from tests.helpers.crm import Pipeline
    from tests.helpers.salesforce import SalesforceOrg

    pipeline = Pipeline(stack, regions=["ap-southeast-1"])
    pipeline.purge()
    org = SalesforceOrg(fail=fail).start()
    keep = integration_store.save_token
    if not cache_tokens:
        integration_store.save_token = lambda *args, **kwargs: False  # type: ignore[assignment]
    try:
        accounts.create_account(
            Account(account_id, "Bench", "ad_account", "SG", "2026-01-01T00:00:00.000Z"),
            Member(account_id, "bench", "admin", (), "2026-01-01T00:00:00.000Z"),
        )
        access = authorize("bench", account_id, Action.CRM_MANAGE)
        wanted = salesforce.Settings(instance_url=org.url, client_id=org.client_id, client_secret=org.client_secret)
        salesforce.connect(access, wanted)
        changes, final = 0, {}
        for n in range(leads):
            contact = Contact(name=f"Person {n}", email=f"p{n}@example.com")
            lead = create_lead(account_id, NewLead(country="SG", source=LeadSource.FORM, contact=contact), "bench")
            changes += 1
            for status in STATUSES:
                update_lead(access, lead.id, LeadPatch(status=LeadStatus(status)), None)
                changes += 1
            final[lead.id] = DEFAULT_STATUS_MAP[STATUSES[-1]]
            if n % 20 == 19:
                pipeline.pump()  # deliveries go out as changes happen, as the deployed pipeline does
        moved = pipeline.settle(max_seconds=4 * 86400)
        logged, after = [], None
        while True:
            page, after = delivery_store.page(account_id, "salesforce", 100, after, None, 0)
            logged += page
            if after is None:
                break
    finally:
        integration_store.save_token = keep  # type: ignore[method-assign]
        org.stop()
        pipeline.purge()
    wrong = sum(1 for lead_id, status in final.items() if org.records.get(lead_id, {}).get("Status") != status)
    return {
        "changes": changes,
        "requests": len(org.requests),
        "tokens": len(org.of_kind("token")),
        "logged": len(logged),
        "succeeded": sum(1 for d in logged if d.status == "succeeded"),
        "first_failed": sum(1 for d in logged if d.attempts > 1 or d.status != "succeeded"),
        "wrong_final": wrong,
        "moved_hours": moved / 3600,
    }


def run() -> dict[str, Any]:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    with moto_stack() as stack:
        from leadcenter.observability import logger

        logger.setLevel("WARNING")
        started = time.perf_counter()
        healthy = _run(stack, "benchsfok", LEADS, lambda n: None)
        uncached = _run(stack, "benchsfnocache", LEADS // 5, lambda n: None, cache_tokens=False)
        rng = random.Random(2026)
        flaky = _run(stack, "benchsfflaky", LEADS, lambda n: 503 if rng.random() < FAILURE_RATE else None)
        elapsed = time.perf_counter() - started
    per_change = healthy["requests"] / healthy["changes"]
    lost = flaky["changes"] - flaky["succeeded"] + flaky["wrong_final"]
    note_requests = (
        f"in-process pipeline, healthy org on 127.0.0.1; {healthy['changes']} changes -> {healthy['requests']} "
        f"requests ({healthy['tokens']} token); peer: token cache off, {uncached['changes']} changes -> "
        f"{uncached['requests']} requests"
    )
    note_lost = (
        f"in-process pipeline; {flaky['changes']} changes, org failing {FAILURE_RATE:.0%} of upserts at random "
        f"({flaky['requests']} requests, {flaky['tokens']} token, {flaky['logged']} deliveries logged, "
        f"{flaky['wrong_final']} final statuses wrong), retries compressed by moving the app clock "
        f"{flaky['moved_hours']:.1f} h; all three runs {elapsed:.0f} s; peer: changes whose first attempt failed"
    )
    return {
        "salesforce_requests_per_lead_change": metric(
            round(per_change, 4), "requests", round(uncached["requests"] / uncached["changes"], 4), note_requests
        ),
        "salesforce_lost_changes": metric(lost, "changes", flaky["first_failed"], note_lost),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
