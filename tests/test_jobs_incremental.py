"""Issue 6: incremental pull for CRMs: GET /leads?updated_since= pages through changes without missing or
repeating a lead, while leads keep changing during the pull."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from urllib.parse import quote

from leadcenter import clock
from tests.helpers.jobs import new_admin, seed


def _pull(api, account, admin, since: str, limit: int, between_pages) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    cursor = None
    pages = 0
    while True:
        query = f"updated_since={quote(since)}&limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = api.ok("GET", f"/accounts/{account}/leads", admin, query=query)
        seen += [(lead["id"], lead["version"]) for lead in page["items"]]
        cursor = page["next_cursor"]
        pages += 1
        if cursor is None:
            return seen
        between_pages(pages, seen)
        assert pages < 100


def test_an_incremental_pull_sees_every_change_once_while_leads_change(api):
    # Given 40 leads, and a CRM that last synced before they existed
    admin = new_admin()
    account = api.account(admin)
    since = clock.iso(clock.now() - timedelta(minutes=1))
    lead_ids = seed(account, 40)
    rng = random.Random(66)
    changed_during_pull: set[str] = set()

    def change_some(pages: int, seen: list[tuple[str, int]]) -> None:
        # Between pages, change two leads the CRM already has and two it has not reached yet
        have = sorted({lead_id for lead_id, _ in seen})
        rest = sorted(set(lead_ids) - set(have))
        for lead_id in rng.sample(have, min(2, len(have))) + rng.sample(rest, min(2, len(rest))):
            status = rng.choice(["contacted", "qualified", "unqualified", "converted"])
            api.ok("PATCH", f"/accounts/{account}/leads/{lead_id}", admin, json_body={"status": status})
            changed_during_pull.add(lead_id)

    # When it pulls 7 at a time, following next_cursor
    seen = _pull(api, account, admin, since, 7, change_some)
    # Then it saw every lead, never the same version of a lead twice, and ends with each lead's latest version
    versions: dict[str, list[int]] = defaultdict(list)
    for lead_id, version in seen:
        versions[lead_id].append(version)
    assert set(versions) == set(lead_ids)
    assert len(seen) == len(set(seen))
    latest = {lead["id"]: lead["version"] for lead in api.ok("GET", f"/accounts/{account}/leads", admin,
                                                                  query="limit=100")["items"]}  # fmt: skip
    for lead_id, history in versions.items():
        assert history == sorted(history) and history[-1] == latest[lead_id], (lead_id, history)
        if lead_id not in changed_during_pull:
            assert history == [1]
    assert changed_during_pull and any(len(history) > 1 for history in versions.values())
    # And a pull from the last change on finds nothing new
    assert _pull(api, account, admin, clock.iso(clock.now() + timedelta(seconds=1)), 7, lambda *_: None) == []
