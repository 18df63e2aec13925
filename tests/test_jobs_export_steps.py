"""Issue 14 (review of issue 6): an export runs in steps with checkpoints; interrupted, repeated or dead-lettered,
it still ends with exactly one correct file, or failed with nothing left behind."""

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
from tests.helpers.jobs import (
    Crash,
    dead_letter_url,
    drain,
    drain_dead_letters,
    job,
    new_admin,
    purge,
    queue_url,
    queued_count,
    sqs,
)

LEADS = 23
QUESTIONS = ["Budget?", "Which model?", "Trade-in?", "When to call?"]


@pytest.fixture(autouse=True)
def small_steps(monkeypatch):
    """Steps of a few leads, pages of 3, parts of ~1 KiB: a small export takes many steps and several parts."""
    purge()
    monkeypatch.setattr(export_job, "PAGE_LEADS", 3)
    monkeypatch.setattr(export_job, "STEP_LEADS", 5)
    monkeypatch.setattr(export_job, "PART_BYTES", 1024)
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 1024)
    yield
    purge()


def _answers(n: int) -> list[dict[str, str]]:
    # Later leads answer questions earlier ones did not: the header knows them only after the last page.
    asked = [q for k, q in enumerate(QUESTIONS) if n % (k + 2) == 0 or (k == 3 and n == 0)]
    return [{"question": q, "answer": f"=A{n}+{q}"} for q in asked]


def _leads(api, account: str, admin: str) -> list[dict[str, Any]]:
    return [
        api.lead(
            account,
            admin,
            contact={"name": f'Person {n}, "{n}"', "email": f"p{n}@example.com", "phone": "+6591234567"},
            form={"form_id": "f-1", "form_name": "Drive", "answers": _answers(n)},
        )
        for n in range(LEADS)
    ]


def _start(api, account: str, admin: str) -> str:
    return str(api.ok("POST", f"/accounts/{account}/exports", admin, expect=202, json_body={})["job_id"])


def _s3() -> Any:
    return boto3.client("s3", region_name=settings().home_region)


def _objects(account: str) -> list[str]:
    listed = _s3().list_objects_v2(Bucket=settings().exports_bucket, Prefix=f"exports/{account}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def _uploads(account: str) -> list[Any]:
    listed = _s3().list_multipart_uploads(Bucket=settings().exports_bucket, Prefix=f"exports/{account}/")
    return list(listed.get("Uploads", []))


def _drain_through(gateway, crashes: type[BaseException] = Crash) -> None:
    """Drains the queue one message at a time; a crash leaves its message to come back, and draining goes on."""
    while True:
        try:
            drain(gateway, batch=1)
            return
        except crashes:
            continue


def _check_file(api, account: str, admin: str, job_id: str, leads: list[dict[str, Any]]) -> list[list[str]]:
    """The job succeeded with one file: every lead once, the header naming every question in first-seen order."""
    finished = job(api, account, admin, job_id)
    assert (finished["state"], finished["total"], finished["done"], finished["failed"]) == (
        "succeeded",
        len(leads),
        len(leads),
        0,
    ), finished
    assert _objects(account) == [finished_key(account, job_id)]
    assert _uploads(account) == []
    raw = _s3().get_object(Bucket=settings().exports_bucket, Key=finished_key(account, job_id))["Body"].read()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert [row[0] for row in body].count(leads[0]["id"]) == 1
    assert sorted(row[0] for row in body) == sorted(lead["id"] for lead in leads)
    first_seen: list[str] = []
    by_id = {lead["id"]: lead for lead in leads}
    for row in body:
        for answer in by_id[row[0]]["form"]["answers"]:
            if answer["question"] not in first_seen:
                first_seen.append(answer["question"])
    assert sorted(first_seen) == sorted(QUESTIONS)
    assert header == [*export.HEAD_COLUMNS, *first_seen, *export.TAIL_COLUMNS]
    for row in body:
        assert len(row) == len(header)
        answers = {a["question"]: a["answer"] for a in by_id[row[0]]["form"]["answers"]}
        for question in QUESTIONS:
            cell = row[header.index(question)]
            assert cell == ("'" + answers[question] if question in answers else ""), (row[0], question)
    assert finished["result"]["rows"] == len(leads) and finished["result"]["bytes"] == len(raw)
    return rows


def finished_key(account: str, job_id: str) -> str:
    checkpoint = export_store.load(account, job_id)
    assert checkpoint is not None
    return export_store.file_key(account, job_id, checkpoint.attempt)


def _kinds_seen(monkeypatch) -> list[str]:
    """Records the kind of every job message the worker handles."""
    from leadcenter.domain import job_worker

    seen: list[str] = []
    handle = job_worker.handle

    def recording(message, delivery, remaining_ms=None):
        seen.append(message.kind)
        handle(message, delivery, remaining_ms)

    monkeypatch.setattr(job_worker, "handle", recording)
    return seen


def test_an_export_in_many_steps_writes_every_lead_once_and_every_question(api, gateway, monkeypatch):
    # Given 23 leads whose form answers bring in new questions page after page
    admin = new_admin()
    account = api.account(admin)
    leads = _leads(api, account, admin)
    kinds = _kinds_seen(monkeypatch)
    # When they are exported with a budget of about 5 leads a step, in parts of 1 KiB
    job_id = _start(api, account, admin)
    drain(gateway, batch=1)
    # Then the export took several steps (each its own message) and the file several parts
    assert kinds.count("export") >= 6, kinds
    checkpoint = export_store.load(account, job_id)
    assert checkpoint is not None and checkpoint.phase == "complete" and len(checkpoint.parts) >= 3
    assert checkpoint.pages == 8 and checkpoint.chunks == 8 and checkpoint.rows == LEADS
    # And the file has every lead exactly once, under a header naming every question (the spool is gone)
    _check_file(api, account, admin, job_id, leads)
    # And every lead became accessed, with one 'exported' entry
    listed = api.ok("GET", f"/accounts/{account}/leads", admin, query="limit=100")["items"]
    assert {lead["access_status"] for lead in listed} == {"accessed"}
    assert queued_count() == 0


def test_crashes_mid_step_before_the_checkpoint_lose_nothing_and_write_nothing_twice(api, gateway, monkeypatch):
    admin = new_admin()
    account = api.account(admin)
    leads = _leads(api, account, admin)
    job_id = _start(api, account, admin)
    # Given a step that crashes after spooling a page but before its checkpoint (twice), one that fails after
    # uploading a part but before its checkpoint, and one that dies hard (no time to give its lease back)
    save, upload_part = export_store.save, export_store.upload_part
    release_quietly = export_job._release_quietly
    calls = {"save": 0, "part": 0}

    def crashing_save(checkpoint, owner, chunks=()):
        calls["save"] += 1
        if calls["save"] in (2, 5):
            raise OSError("the step died before its checkpoint")
        if calls["save"] == 7:
            monkeypatch.setattr(export_job, "_release_quietly", lambda *args: None)
            raise Crash()
        return save(checkpoint, owner, chunks)

    def crashing_part(key, upload_id, number, data):
        calls["part"] += 1
        etag = upload_part(key, upload_id, number, data)
        if calls["part"] == 2:
            raise OSError("the step died after uploading a part")
        return etag

    monkeypatch.setattr(export_store, "save", crashing_save)
    monkeypatch.setattr(export_store, "upload_part", crashing_part)
    # When the queue is drained: the hard crash ends the invocation, and its message comes back only after the
    # queue's visibility timeout (360 s), by when the crashed step's lease (310 s) has run out
    with pytest.raises(Crash):
        drain(gateway, batch=1)
    assert job(api, account, admin, job_id)["state"] == "running" and queued_count() == 1
    held = export_store.load(account, job_id)
    assert held is not None and held.seq > 0
    monkeypatch.setattr(export_job, "_release_quietly", release_quietly)
    before = clock.advance(0)
    try:
        clock.advance(361)
        drain(gateway, batch=1)
    finally:
        clock.advance(before - clock.advance(0))
    # Then the job succeeded with one correct file: every lead once, every question in the header
    assert calls["save"] >= 7 and calls["part"] >= 2
    _check_file(api, account, admin, job_id, leads)
    for lead in leads[:3]:
        timeline = api.ok("GET", f"/accounts/{account}/leads/{lead['id']}/activity", admin)["items"]
        assert [e["type"] for e in timeline].count("exported") == 1


def test_a_step_redelivered_after_its_checkpoint_and_a_duplicate_step_add_no_rows(api, gateway, monkeypatch):
    admin = new_admin()
    account = api.account(admin)
    leads = _leads(api, account, admin)
    job_id = _start(api, account, admin)
    # Given a step that stops after its checkpoint, before queueing the next step (its message comes back),
    queue_step = export_job._queue_step
    calls = {"n": 0}

    def failing_queue(checkpoint):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("the step died after its checkpoint")
        queue_step(checkpoint)
        if calls["n"] == 4:
            # and SQS delivering one step message twice
            body = {"kind": "export", "account_id": account, "job_id": job_id, "attempt": checkpoint.attempt}
            sqs().send_message(QueueUrl=queue_url(), MessageBody=json.dumps(body))

    monkeypatch.setattr(export_job, "_queue_step", failing_queue)
    # When the queue is drained
    drain(gateway, batch=1)
    # Then the file still has each lead once
    assert calls["n"] >= 5
    _check_file(api, account, admin, job_id, leads)
    assert queued_count() == 0


def test_an_export_whose_message_dead_letters_fails_with_no_upload_left(api, gateway, stack, monkeypatch):
    admin = new_admin()
    account = api.account(admin)
    _leads(api, account, admin)
    job_id = _start(api, account, admin)
    # Given an export whose writing step dies hard on every delivery, after its upload has a part
    monkeypatch.setattr(export_job, "STEP_LEADS", 1000)
    upload_part = export_store.upload_part

    def dying(key, upload_id, number, data):
        upload_part(key, upload_id, number, data)
        raise Crash()

    monkeypatch.setattr(export_store, "upload_part", dying)
    # When SQS has delivered it five times (the last delivery crashed, so it recorded nothing)
    _drain_through(gateway)
    assert job(api, account, admin, job_id)["state"] == "running" and _uploads(account)
    # Then the message is on the dead-letter queue, and its consumer fails the job and aborts the upload
    assert drain_dead_letters(gateway, stack) == 1
    failed = job(api, account, admin, job_id)
    assert failed["state"] == "failed" and failed["failure"]["code"] == "internal"
    assert "start it again" in failed["failure"]["message"] and failed["finished_at"]
    assert _uploads(account) == [] and _objects(account) == []
    assert api.call("GET", f"/accounts/{account}/jobs/{job_id}/download", admin).status == 409


def test_a_dead_lettered_chunk_ends_its_job_and_a_finished_job_stays_as_it_is(api, gateway, stack, monkeypatch):
    from leadcenter.domain import job_chunks

    admin = new_admin()
    account = api.account(admin)
    leads = [api.lead(account, admin) for _ in range(2)]
    job_id = _start(api, account, admin)
    # Given an export whose chunk (marking the leads accessed) dies hard on every delivery
    run_chunk = job_chunks.run_chunk

    def dying(*args, **kwargs):
        raise Crash()

    monkeypatch.setattr(job_chunks, "run_chunk", dying)
    _drain_through(gateway)
    assert job(api, account, admin, job_id)["state"] == "running"
    # When the dead-letter consumer takes the chunk's message
    monkeypatch.setattr(job_chunks, "run_chunk", run_chunk)
    assert drain_dead_letters(gateway, stack) == 1
    # Then the job ended: its leads reported failed ('internal'), nothing left running
    ended = job(api, account, admin, job_id)
    assert (ended["state"], ended["failed"]) == ("failed", len(leads))
    assert {error["code"] for error in ended["errors"]} == {"internal"}
    # And a dead-lettered message of a job that already finished changes nothing
    sqs().send_message(QueueUrl=dead_letter_url(stack), MessageBody=json.dumps(
        {"kind": "start", "account_id": account, "job_id": job_id}))  # fmt: skip
    assert drain_dead_letters(gateway, stack) == 1
    assert job(api, account, admin, job_id)["state"] == "failed"
