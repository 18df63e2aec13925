"""Issue 6: bulk changes as background jobs, with progress, exactly-once effects and honest errors."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from tests.helpers.jobs import Crash, drain, job, new_admin, purge, queued_count, seed


@pytest.fixture(autouse=True)
def empty_queue():
    purge()
    yield
    purge()


def _bulk(api, account, admin, **body) -> str:
    return str(api.ok("POST", f"/accounts/{account}/leads/bulk", admin, expect=202, json_body=body)["job_id"])


def _job_events(api, account, admin, lead_id, job_id):
    timeline = api.ok("GET", f"/accounts/{account}/leads/{lead_id}/activity", admin)["items"]
    return [event for event in timeline if event["id"].startswith(job_id)]


def _lead_items(account_id: str, lead_ids: list[str]) -> dict[str, object]:
    """The stored lead items (no personal data opened, access status untouched)."""
    from leadcenter.store.lead_items import lead_pk, lead_sk, models

    items = models("ap-southeast-1").lead.batch_get([(lead_pk(account_id), lead_sk(i)) for i in lead_ids])
    return {item.lead_id: item for item in items}


def test_a_small_bulk_status_change_reports_progress_and_changes_each_lead_once(api, gateway):
    # Given an account with 5 leads
    admin = new_admin()
    account = api.account(admin)
    lead_ids = seed(account, 5)
    # When an admin sets them all to qualified
    job_id = _bulk(api, account, admin, action="set_status", value="qualified", lead_ids=lead_ids)
    # Then the job waits in the queue until a worker takes it
    queued = job(api, account, admin, job_id)
    assert queued["state"] == "queued" and queued["type"] == "bulk" and queued["action"] == "set_status"
    assert queued["created_by"] == admin and queued["lead_ids"] == 5
    drain(gateway)
    finished = job(api, account, admin, job_id)
    assert (finished["state"], finished["total"], finished["done"], finished["failed"]) == ("succeeded", 5, 5, 0)
    assert finished["errors"] == [] and finished["finished_at"] >= finished["started_at"] >= finished["created_at"]
    # And every lead is qualified, with one timeline entry from the job
    items = _lead_items(account, lead_ids)
    assert {item.status for item in items.values()} == {"qualified"}
    for lead_id in lead_ids:
        [event] = _job_events(api, account, admin, lead_id, job_id)
        assert event["type"] == "status_changed" and event["actor"] == admin
        assert event["data"] == {"from": "raw", "to": "qualified", "job_id": job_id}


@pytest.mark.slow
def test_2000_lead_status_change_with_a_concurrent_editor_loses_no_update(api, gateway):
    # Given 2,000 leads
    admin = new_admin()
    account = api.account(admin)
    api.ok("PUT", f"/accounts/{account}/members/editor-{admin}", admin, json_body={"role": "admin"})
    lead_ids = seed(account, 2000)
    job_id = _bulk(api, account, admin, action="set_status", value="qualified", lead_ids=lead_ids)
    # When another admin assigns 300 of them to himself while the worker runs (latest chunks first, so some
    # edits land before the job reaches those leads and some after)
    edited = sorted(random.Random(6).sample(lead_ids, 300), key=lead_ids.index, reverse=True)
    started = threading.Event()
    edit_errors: list[str] = []

    def editor() -> None:
        started.wait(30)
        for lead_id in edited:
            reply = api.call("PATCH", f"/accounts/{account}/leads/{lead_id}", f"editor-{admin}",
                             json_body={"assignee": f"editor-{admin}"})  # fmt: skip
            if reply.status != 200:
                edit_errors.append(f"{reply.status} {reply.body}")

    thread = threading.Thread(target=editor)
    thread.start()
    drain(gateway, batch=4, before_batch=lambda n: started.set() if n == 1 else None)
    thread.join(120)
    assert not edit_errors
    # Then the job accounts for every lead: changed, or reported as changed by someone else
    result = job(api, account, admin, job_id)
    assert result["state"] in ("succeeded", "partially_failed")
    assert result["total"] == 2000 and result["done"] + result["failed"] == 2000
    assert 0 < result["failed"] <= 300, result["failed"]
    conflicts = {error["lead_id"] for error in result["errors"]}
    assert all(error["code"] == "conflict" for error in result["errors"])
    assert conflicts <= set(edited) and len(result["errors"]) == min(result["failed"], 100)
    # And no update was lost: every edit stuck, and the job changed every other lead exactly once
    items = _lead_items(account, lead_ids)
    assert all(items[lead_id].assignee == f"editor-{admin}" for lead_id in edited)
    statuses = Counter(item.status for item in items.values())
    assert statuses["qualified"] == result["done"] and statuses["raw"] == result["failed"]
    for lead_id in conflicts:
        assert items[lead_id].status == "raw" and not _job_events(api, account, admin, lead_id, job_id)
    for lead_id in random.Random(7).sample([i for i in lead_ids if items[i].status == "qualified"], 40):
        assert len(_job_events(api, account, admin, lead_id, job_id)) == 1


def test_a_worker_killed_mid_job_finishes_on_redelivery_with_exact_counts(api, gateway, monkeypatch):
    from leadcenter.store import leads as lead_store

    # Given 450 leads (5 chunks of up to 100, each written 50 leads to a transaction), one already qualified
    admin = new_admin()
    account = api.account(admin)
    lead_ids = seed(account, 450)
    api.ok("PATCH", f"/accounts/{account}/leads/{lead_ids[0]}", admin, json_body={"status": "qualified"})
    job_id = _bulk(api, account, admin, action="set_status", value="qualified", lead_ids=lead_ids)
    # When the worker dies half-way through its third chunk (after its first transaction)
    real = lead_store.update_many
    calls = {"n": 0}

    def dying(region, updates):
        calls["n"] += 1
        if calls["n"] == 6:
            raise Crash()
        return real(region, updates)

    monkeypatch.setattr(lead_store, "update_many", dying)
    with pytest.raises(Crash):
        drain(gateway, batch=1)
    half = job(api, account, admin, job_id)
    assert half["state"] == "running" and half["done"] == 200 and half["failed"] == 0
    # Then the redelivered messages finish the job, counting each lead once
    drain(gateway, batch=1)
    done = job(api, account, admin, job_id)
    assert (done["state"], done["total"], done["done"], done["failed"]) == ("succeeded", 450, 450, 0)
    items = _lead_items(account, lead_ids)
    assert {item.status for item in items.values()} == {"qualified"}
    # And no lead changed twice: one version step and at most one job event each
    assert items[lead_ids[0]].version == 2 and not _job_events(api, account, admin, lead_ids[0], job_id)
    assert {int(items[i].version) for i in lead_ids[1:]} == {2}
    for lead_id in lead_ids[200:300]:  # the chunk that died half-way
        assert len(_job_events(api, account, admin, lead_id, job_id)) == 1
    assert queued_count() == 0


def test_labels_and_assignee_by_filter_change_only_what_needs_changing(api, gateway):
    # Given 6 leads, two of them qualified, one of those already labelled Hot
    admin = new_admin()
    account = api.account(admin)
    api.ok("PUT", f"/accounts/{account}/members/{admin}-2", admin, json_body={"role": "admin"})
    hot = api.ok("POST", f"/accounts/{account}/labels", admin, expect=201, json_body={"name": "Hot"})["id"]
    vip = api.ok("POST", f"/accounts/{account}/labels", admin, expect=201, json_body={"name": "VIP"})["id"]
    lead_ids = seed(account, 6)
    for lead_id in lead_ids[:2]:
        api.ok("PATCH", f"/accounts/{account}/leads/{lead_id}", admin, json_body={"status": "qualified"})
    api.ok("PATCH", f"/accounts/{account}/leads/{lead_ids[0]}", admin, json_body={"add_labels": [hot]})
    # When the qualified leads get Hot and VIP, and are assigned to the second admin
    # (one after the other: a job started before the other changed the leads would report them as changed)
    labelled = _bulk(api, account, admin, action="add_labels", value=[hot, vip], filter={"status": "qualified"})
    drain(gateway)
    assigned = _bulk(api, account, admin, action="set_assignee", value=f"{admin}-2", filter={"status": "qualified"})
    drain(gateway)
    # Then exactly those two leads changed, each keeping what it had
    for job_id in (labelled, assigned):
        result = job(api, account, admin, job_id)
        assert (result["state"], result["total"], result["done"]) == ("succeeded", 2, 2)
    filtered = api.ok("GET", f"/accounts/{account}/leads", admin, query=f"label={vip}")["items"]
    assert sorted(lead["id"] for lead in filtered) == sorted(lead_ids[:2])
    for lead in filtered:
        assert {label["name"] for label in lead["labels"]} == {"Hot", "VIP"} and lead["assignee"] == f"{admin}-2"
    [added] = _job_events(api, account, admin, lead_ids[0], labelled)
    assert added["type"] == "labels_added" and added["data"]["labels"] == [vip]
    # And the others are untouched; the filter was kept on the job as asked
    assert job(api, account, admin, labelled)["filter"] == {"status": "qualified"}
    unassigned = api.ok("GET", f"/accounts/{account}/leads", admin, query="assignee=none")["items"]
    assert sorted(lead["id"] for lead in unassigned) == sorted(lead_ids[2:])
    # When the labels come off again and the leads are unassigned
    removed = _bulk(api, account, admin, action="remove_labels", value=[hot], lead_ids=lead_ids)
    drain(gateway)
    cleared = _bulk(api, account, admin, action="set_assignee", value=None, lead_ids=lead_ids)
    drain(gateway)
    assert job(api, account, admin, removed)["done"] == 6 and job(api, account, admin, cleared)["done"] == 6
    assert api.ok("GET", f"/accounts/{account}/leads", admin, query=f"label={hot}")["items"] == []
    assert len(api.ok("GET", f"/accounts/{account}/leads", admin, query="assignee=none")["items"]) == 6


def test_bulk_delete_removes_leads_keeps_tombstones_and_reports_changed_ones(api, gateway, monkeypatch):
    from leadcenter.domain import job_chunks
    from leadcenter.store import leads as lead_store

    # Given 6 leads, one with a note, and a job deleting them and an id that names no lead
    admin = new_admin()
    account = api.account(admin)
    lead_ids = seed(account, 6)
    api.ok("POST", f"/accounts/{account}/leads/{lead_ids[1]}/notes", admin, expect=201, json_body={"text": "call"})
    missing = "01J00000000000000000000000-sg"
    job_id = _bulk(api, account, admin, action="delete", lead_ids=[*lead_ids, missing])
    drain(gateway, batch=1, limit=1)  # the job starts and fixes the versions it saw
    # When someone edits the last lead before its chunk runs, and the worker dies right after two deletions
    api.ok("PATCH", f"/accounts/{account}/leads/{lead_ids[5]}", admin, json_body={"status": "converted"})
    real = job_chunks.delete_lead
    calls = {"n": 0}

    def crashing(*args, **kwargs):
        real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker crashed after deleting")

    monkeypatch.setattr(job_chunks, "delete_lead", crashing)
    drain(gateway, batch=1)
    # Then the job counts each lead once: five deleted, the changed one and the unknown one reported
    result = job(api, account, admin, job_id)
    assert (result["state"], result["total"], result["done"], result["failed"]) == ("partially_failed", 7, 5, 2)
    assert sorted((e["lead_id"], e["code"]) for e in result["errors"]) == sorted(
        [(missing, "not_found"), (lead_ids[5], "conflict")]
    )
    # And the deleted leads are gone with their notes, leaving one tombstone each that names the job
    for lead_id in lead_ids[:5]:
        assert api.call("GET", f"/accounts/{account}/leads/{lead_id}", admin).status == 404
        timeline = lead_store.timeline("ap-southeast-1", account, lead_id)
        tombstones = [event for event in timeline if event.type == "deleted"]
        assert [(t.event_id, t.actor, t.data) for t in tombstones] == [(f"{job_id}-{lead_id}", admin, {})]
    from leadcenter.store.lead_items import children_pk, models

    note = models("ap-southeast-1").note
    assert note.count(children_pk(account, lead_ids[1]), note.sk.startswith("N#")) == 0
    assert api.ok("GET", f"/accounts/{account}/leads/{lead_ids[5]}", admin)["status"] == "converted"


def test_update_many_says_per_lead_why_a_shared_transaction_was_cancelled(api):
    from leadcenter import clock
    from leadcenter.store import leads as store
    from leadcenter.store.lead_items import TimelineEvent
    from leadcenter.store.leads import Change, LeadUpdate, UpdateResult

    # Given three leads: one gains two labels, one loses its label, one was edited since it was read
    admin = new_admin()
    account = api.account(admin)
    hot, vip = (
        api.ok("POST", f"/accounts/{account}/labels", admin, expect=201, json_body={"name": n})["id"]
        for n in ("Hot", "VIP")
    )
    a, b, c = seed(account, 3)
    api.ok("PATCH", f"/accounts/{account}/leads/{b}", admin, json_body={"add_labels": [hot]})
    api.ok("PATCH", f"/accounts/{account}/leads/{c}", admin, json_body={"status": "contacted"})
    items = _lead_items(account, [a, b, c])
    now = clock.iso()

    def update(lead_id: str, change: Change, version: int) -> LeadUpdate:
        event = TimelineEvent(f"TEST-{lead_id}", "test", admin, now, {})
        expires = int(items[lead_id].expires_at)
        return LeadUpdate(account, lead_id, change, version, now, (event,), expires_epoch=expires)

    plans = [
        update(a, Change(add_labels=frozenset({hot, vip})), 1),
        update(b, Change(remove_labels=frozenset({hot})), 2),
        update(c, Change(status="qualified"), 1),  # stale: it is at version 2
    ]
    # When they go in one transaction, then again without the stale one, then once more
    first = store.update_many("ap-southeast-1", plans)
    second = store.update_many("ap-southeast-1", plans[:2])
    third = store.update_many("ap-southeast-1", plans[:2])
    # Then the results name the stale lead, then apply the rest, then recognise the repeat
    assert first == [UpdateResult.RETRY, UpdateResult.RETRY, UpdateResult.CHANGED]
    assert second == [UpdateResult.APPLIED, UpdateResult.APPLIED]
    assert third == [UpdateResult.ALREADY_APPLIED, UpdateResult.ALREADY_APPLIED]
    after = _lead_items(account, [a, b, c])
    assert set(after[a].labels) == {hot, vip} and not after[b].labels and after[c].status == "contacted"
    assert (int(after[a].version), int(after[b].version), int(after[c].version)) == (2, 3, 2)
