"""Issue 18: an export over several storage regions, in steps bounded by the invocation's remaining time; killed or
timed out mid-export, it resumes from its checkpoint and writes the very same file as an uninterrupted run."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import boto3
import pytest

from leadcenter import clock
from leadcenter.config import settings
from leadcenter.domain import export, export_job
from leadcenter.store import exports as export_store
from tests.helpers.jobs import Crash, drain, job, new_admin, purge, queued_count

COUNTRIES = ("SG", "JP", "AU", "BR", "DE")  # five storage regions
LEADS = 20
QUESTIONS = ["Budget?", "Which model?", "Trade-in?", "When to call?"]


@pytest.fixture(autouse=True)
def small_units(monkeypatch):
    """Pages of 2 leads and parts of ~1 KiB: a small export takes many units in every region."""
    purge()
    monkeypatch.setattr(export_job, "PAGE_LEADS", 2)
    monkeypatch.setattr(export_job, "PART_BYTES", 1024)
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 1024)
    yield
    purge()


def _seed(api, account: str, admin: str) -> list[dict[str, Any]]:
    leads = []
    for n in range(LEADS):
        # Questions come in region by region, so the header's first-seen order is the merged file's, not a region's.
        asked = [q for k, q in enumerate(QUESTIONS) if (n + k) % 3 == 0]
        leads.append(
            api.lead(
                account,
                admin,
                region=COUNTRIES[n % len(COUNTRIES)],
                contact={"name": f'Person {n}, "{n}"', "email": f"p{n}@example.com", "phone": "+6591234567"},
                form={"form_id": "f-1", "form_name": "Drive", "answers": [{"question": q, "answer": f"=A{n}"}
                                                                          for q in asked]},
            )
        )  # fmt: skip
    return leads


def _export(api, gateway, account: str, admin: str) -> bytes:
    job_id = str(api.ok("POST", f"/accounts/{account}/exports", admin, expect=202, json_body={})["job_id"])
    while True:
        try:
            drain(gateway, batch=1)
            break
        except Crash:
            # The killed invocation's message comes back after the queue's visibility timeout, its lease run out.
            clock.advance(361)
    finished = job(api, account, admin, job_id)
    assert (finished["state"], finished["total"], finished["done"]) == ("succeeded", LEADS, LEADS), finished
    checkpoint = export_store.load(account, job_id)
    assert checkpoint is not None
    key = export_store.file_key(account, job_id, checkpoint.attempt)
    s3 = boto3.client("s3", region_name=settings().home_region)
    listed = s3.list_objects_v2(Bucket=settings().exports_bucket, Prefix=f"exports/{account}/{job_id}/")
    assert [item["Key"] for item in listed.get("Contents", [])] == [key]  # the spool is gone
    assert queued_count() == 0
    return bytes(s3.get_object(Bucket=settings().exports_bucket, Key=key)["Body"].read())


def _time_for_one_unit(monkeypatch) -> None:
    """Every invocation's context reports barely more than the reserve left: each step does one unit (a page or
    a part) and hands over to the next message, as an invocation near its timeout does."""
    from local import gateway as local_gateway

    left_ms = int(export_job.RESERVE_SECONDS * 1000) + 1
    monkeypatch.setattr(local_gateway.LambdaContext, "get_remaining_time_in_millis", lambda self: left_ms)


def test_an_export_over_five_regions_is_in_list_order_with_every_lead_once(api, gateway):
    # Given leads spread over five storage regions, answering questions region by region
    admin = new_admin()
    account = api.account(admin)
    leads = _seed(api, account, admin)
    listed = [lead["id"] for lead in api.ok("GET", f"/accounts/{account}/leads", admin, query="limit=100")["items"]]
    # When they are exported (pages of 2, so every region takes several pages)
    raw = _export(api, gateway, account, admin)
    # Then the rows are every lead once, in the list's order (newest first across regions)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert [row[0] for row in body] == listed and sorted(listed) == sorted(lead["id"] for lead in leads)
    # And the header names every question in the order the file's rows first answer them
    by_id = {lead["id"]: lead for lead in leads}
    first_seen = list(dict.fromkeys(a["question"] for row in body for a in by_id[row[0]]["form"]["answers"]))
    assert header == [*export.HEAD_COLUMNS, *first_seen, *export.TAIL_COLUMNS] and sorted(first_seen) == sorted(
        QUESTIONS
    )


def test_killed_and_timed_out_mid_export_it_resumes_to_a_byte_identical_file(api, gateway, monkeypatch):
    # Given the file of an uninterrupted export
    admin = new_admin()
    account = api.account(admin)
    _seed(api, account, admin)
    uninterrupted = _export(api, gateway, account, admin)
    # And a second export whose invocations are near their timeout (so each step does one page or one part), and
    # which is killed mid-step three times: after spooling a page, after uploading a part, before a checkpoint
    _time_for_one_unit(monkeypatch)
    put_spool, upload_part, save = export_store.put_spool, export_store.upload_part, export_store.save
    calls = {"spool": 0, "part": 0, "save": 0}

    def kill_on(name: str, at: int) -> bool:
        calls[name] += 1
        if calls[name] == at:
            monkeypatch.setattr(export_job, "_release_quietly", lambda *args: None)  # killed: no lease given back
            return True
        monkeypatch.setattr(export_job, "_release_quietly", release_quietly)
        return False

    release_quietly = export_job._release_quietly

    def killed_spool(key, data):
        put_spool(key, data)
        if kill_on("spool", 3):
            raise Crash()

    def killed_part(key, upload_id, number, data):
        etag = upload_part(key, upload_id, number, data)
        if kill_on("part", 2):
            raise Crash()
        return etag

    def killed_save(checkpoint, owner, chunks=()):
        if kill_on("save", 9):
            raise Crash()
        return save(checkpoint, owner, chunks)

    monkeypatch.setattr(export_store, "put_spool", killed_spool)
    monkeypatch.setattr(export_store, "upload_part", killed_part)
    monkeypatch.setattr(export_store, "save", killed_save)
    steps: list[str] = []
    step = export_job.step

    def counted(*args, **kwargs):
        steps.append(args[1])
        return step(*args, **kwargs)

    monkeypatch.setattr(export_job, "step", counted)
    # When it is drained (each kill's message comes back after the visibility timeout)
    resumed = _export(api, gateway, account, admin)
    # Then it was killed three times and ran in many steps, and its file is byte for byte the uninterrupted one
    assert calls["spool"] >= 3 and calls["part"] >= 2 and calls["save"] >= 9
    assert len(steps) >= LEADS // 2 + 3  # a step per page (2 leads), per part, and the killed ones again
    assert resumed == uninterrupted


def test_a_steps_budget_is_the_invocations_remaining_time_less_a_reserve(monkeypatch):
    # Given an invocation with 300 s left (the worker's timeout), and a clock we move by hand
    now = {"t": 1000.0}
    monkeypatch.setattr(export_job.time, "monotonic", lambda: now["t"])
    budget = export_job.Budget.of(lambda: 300_000)
    # Then the step may work 285 s, and holds its lease a little longer than that
    assert budget.seconds == 300 - export_job.RESERVE_SECONDS
    assert budget.seconds < budget.lease_seconds() < 360  # the jobs queue's visibility timeout
    # When units take 10 s each, work goes on while twice the slowest unit still fits
    now["t"] += 10
    assert not budget.low()
    now["t"] += 250  # at 260 s: 25 s left, a 40 s unit (twice the slowest) would not fit
    assert budget.low() and budget.slowest == 250
    # And an invocation with almost no time left still has a budget of at least nothing, never negative
    assert export_job.Budget.of(lambda: 1_000).seconds == 0


def test_an_export_begun_by_the_previous_release_fails_cleanly_rather_than_write_a_short_file(api, gateway):
    admin = new_admin()
    account = api.account(admin)
    api.lead(account, admin)
    job_id = str(api.ok("POST", f"/accounts/{account}/exports", admin, expect=202, json_body={})["job_id"])
    drain(gateway, batch=1, limit=1)  # the start: the first checkpoint, the first step queued
    # Given its checkpoint as the previous release left it mid-way (a page spooled without streams, in pass 2)
    old_body = {"phase": "write", "cursor": None, "pages": 1, "rows": 1, "chunks": 1, "questions": [],
                "upload_id": None, "parts": [], "segment": 0, "line": 0, "written": 0, "bytes": 0}  # fmt: skip
    export_store._key(account, job_id).update(actions=[export_store.CheckpointItem.body.set(json.dumps(old_body))])
    # When the next step runs
    drain(gateway, batch=1)
    # Then the export failed, saying to start it again, with no file written
    failed = job(api, account, admin, job_id)
    assert (failed["state"], failed["failure"]["code"]) == ("failed", "export_interrupted"), failed
    s3 = boto3.client("s3", region_name=settings().home_region)
    listed = s3.list_objects_v2(Bucket=settings().exports_bucket, Prefix=f"exports/{account}/{job_id}/")
    assert listed.get("Contents", []) == []
