"""Background jobs (bulk changes, exports): their records in the home table, their queue, their files.

Items (home table, the account's partition; `JOB#` collides with no other sort key of ACC#):
  job        sk JOB#<job>                     what, who, when, state, counters; the job's audit record
  selection  sk JOB#<job>#S#<part>            the lead ids a caller named, 1,000 per item
  chunk      sk JOB#<job>#C#<attempt>#<n>     the leads of chunk n as the job saw them when it started
  done       sk JOB#<job>#D#<n>               written in the transaction that counts chunk n: counted once
  errors     sk JOB#<job>#E#<n>               per-lead errors of chunk n (chunk 0: leads missing at start)

Counters change only by ADD in that transaction, and every state change is conditional on the state it
leaves, so redelivered or concurrent messages can neither double-count nor move a finished job.
Export files go to the exports bucket in the home region (bucket default encryption: SSE-KMS); an export's
checkpoint and its spool are `store.exports`'.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from leadcenter import aws, business_metrics, clock
from leadcenter.config import settings
from leadcenter.errors import Conflict, Throttled
from leadcenter.store._base import (
    cancellation_reasons,
    table_meta,
    transact_get,
    transact_write,
    translate_write_errors,
)
from leadcenter.store.accounts import account_pk
from leadcenter.store.lead_items import children_pk, models

JOB_RECORD_DAYS = 365  # the job record is the audit trail of who changed or exported what, and when
WORK_ITEM_DAYS = 7  # selections, chunks and markers only matter while the job runs
IDS_PER_SELECTION_ITEM = 1000


class JobItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    job_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    type = UnicodeAttribute()
    action = UnicodeAttribute()
    value = UnicodeAttribute(null=True)  # JSON
    selection = UnicodeAttribute()  # JSON: {"filter": {...}} or {"lead_ids": n}
    actor = UnicodeAttribute()
    state = UnicodeAttribute()
    total = NumberAttribute(default=0)
    done = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    chunks = NumberAttribute(null=True)  # set once, when the job's leads are fixed
    chunks_done = NumberAttribute(default=0)
    attempt = UnicodeAttribute(null=True)
    result = UnicodeAttribute(null=True)  # JSON
    failure = UnicodeAttribute(null=True)  # JSON {code, message}
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()


class JobPartItem(Model):
    """Selections, chunks, done markers and errors: a JSON body under the job's prefix."""

    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    body = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()


@dataclass
class Job:
    id: str
    account_id: str
    type: str
    action: str
    value: Any
    selection: dict[str, Any]
    actor: str
    state: str
    created_at: str
    updated_at: str
    total: int = 0
    done: int = 0
    failed: int = 0
    chunks: int | None = None
    chunks_done: int = 0
    attempt: str | None = None
    result: dict[str, Any] | None = None
    failure: dict[str, str] | None = None
    started_at: str | None = None
    finished_at: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


def _job_sk(job_id: str) -> str:
    return f"JOB#{job_id}"


def _part_sk(job_id: str, kind: str, suffix: str) -> str:
    return f"JOB#{job_id}#{kind}#{suffix}"


def _chunk_suffix(attempt: str, number: int) -> str:
    return f"{attempt}#{number:05d}"


def _expiry(days: int) -> int:
    return int(clock.epoch()) + days * 86400


def _job(item: JobItem) -> Job:
    return Job(
        id=item.job_id,
        account_id=item.account_id,
        type=item.type,
        action=item.action,
        value=json.loads(item.value) if item.value is not None else None,
        selection=json.loads(item.selection),
        actor=item.actor,
        state=item.state,
        created_at=item.created_at,
        updated_at=item.updated_at,
        total=int(item.total or 0),
        done=int(item.done or 0),
        failed=int(item.failed or 0),
        chunks=int(item.chunks) if item.chunks is not None else None,
        chunks_done=int(item.chunks_done or 0),
        attempt=item.attempt,
        result=json.loads(item.result) if item.result else None,
        failure=json.loads(item.failure) if item.failure else None,
        started_at=item.started_at,
        finished_at=item.finished_at,
    )


def _part(account_id: str, sk: str, body: Any, days: int = WORK_ITEM_DAYS) -> JobPartItem:
    return JobPartItem(
        pk=account_pk(account_id),
        sk=sk,
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        expires_at=_expiry(days),
    )


# ---------------------------------------------------------------------------------------------- records


def create(job: Job, lead_ids: Sequence[str] = ()) -> None:
    """The job and the lead ids it names, in one transaction: a job never exists without its selection."""
    item = JobItem(
        pk=account_pk(job.account_id),
        sk=_job_sk(job.id),
        job_id=job.id,
        account_id=job.account_id,
        type=job.type,
        action=job.action,
        value=json.dumps(job.value) if job.value is not None else None,
        selection=json.dumps(job.selection, sort_keys=True),
        actor=job.actor,
        state=job.state,
        created_at=job.created_at,
        updated_at=job.updated_at,
        expires_at=_expiry(JOB_RECORD_DAYS),
    )
    with translate_write_errors("a job with this id exists"), transact_write(settings().home_region) as tx:
        tx.save(item, condition=JobItem.pk.does_not_exist())
        for part, start in enumerate(range(0, len(lead_ids), IDS_PER_SELECTION_ITEM)):
            ids = list(lead_ids[start : start + IDS_PER_SELECTION_ITEM])
            tx.save(_part(job.account_id, _part_sk(job.id, "S", f"{part:03d}"), ids))


def get(account_id: str, job_id: str, *, consistent: bool = True) -> Job | None:
    try:
        return _job(JobItem.get(account_pk(account_id), _job_sk(job_id), consistent_read=consistent))
    except DoesNotExist:
        return None


def selection(account_id: str, job_id: str) -> list[str]:
    items = JobPartItem.query(account_pk(account_id), JobPartItem.sk.startswith(_part_sk(job_id, "S", "")))
    return [lead_id for item in items for lead_id in json.loads(item.body)]


def mark_running(account_id: str, job_id: str, at: str) -> bool:
    """queued -> running. False when the job is already past queued (another delivery started it)."""
    item = JobItem(pk=account_pk(account_id), sk=_job_sk(job_id))
    try:
        with translate_write_errors("the job is not queued"):
            item.update(
                actions=[JobItem.state.set("running"), JobItem.started_at.set(at), JobItem.updated_at.set(at)],
                condition=JobItem.state == "queued",
            )
    except Conflict:
        return False
    return True


def save_chunks(account_id: str, job_id: str, attempt: str, first: int, chunks: Sequence[list[Any]]) -> None:
    """Chunks numbered from `first`, under this attempt's own keys, so two deliveries of one start message
    never overwrite each other's chunks (only the attempt that commits is ever processed)."""
    with JobPartItem.batch_write() as batch:
        for offset, entries in enumerate(chunks):
            batch.save(_part(account_id, _part_sk(job_id, "C", _chunk_suffix(attempt, first + offset)), entries))


def commit(
    account_id: str,
    job_id: str,
    *,
    attempt: str,
    total: int,
    chunks: int,
    failed: int,
    errors: Sequence[dict[str, str]],
    result: dict[str, Any] | None,
    at: str,
) -> bool:
    """Fixes the job's leads (total, chunk count, the attempt whose chunks count) once; False when another
    attempt did first. Leads already missing at start count as failed here, with their errors (chunk 0)."""
    item = JobItem(pk=account_pk(account_id), sk=_job_sk(job_id))
    actions: list[Action] = [
        JobItem.total.set(total),
        JobItem.chunks.set(chunks),
        JobItem.attempt.set(attempt),
        JobItem.updated_at.set(at),
        JobItem.failed.add(failed),
    ]
    if result is not None:
        actions.append(JobItem.result.set(json.dumps(result, sort_keys=True)))
    condition = JobItem.chunks.does_not_exist() & (JobItem.state == "running")
    try:
        with translate_write_errors("the job's leads are already fixed"), transact_write(settings().home_region) as tx:
            tx.update(item, actions=actions, condition=condition)
            if errors:
                tx.save(_part(account_id, _part_sk(job_id, "E", "00000"), list(errors), JOB_RECORD_DAYS))
    except Conflict:
        return False
    return True


def load_chunk(account_id: str, job_id: str, attempt: str, number: int) -> tuple[Job | None, list[Any] | None, bool]:
    """(job, the chunk's entries, whether the chunk was already counted), in one request."""
    pk = account_pk(account_id)
    with transact_get(settings().home_region) as tx:
        job_future = tx.get(JobItem, pk, _job_sk(job_id))
        chunk_future = tx.get(JobPartItem, pk, _part_sk(job_id, "C", _chunk_suffix(attempt, number)))
        done_future = tx.get(JobPartItem, pk, _part_sk(job_id, "D", f"{number:05d}"))
    job = entries = None
    counted = False
    with contextlib.suppress(DoesNotExist):
        job = _job(job_future.get())
    with contextlib.suppress(DoesNotExist):
        entries = json.loads(chunk_future.get().body)
    with contextlib.suppress(DoesNotExist):
        done_future.get()
        counted = True
    return job, entries, counted


def counted_chunks(account_id: str, job_id: str) -> set[int]:
    items = JobPartItem.query(account_pk(account_id), JobPartItem.sk.startswith(_part_sk(job_id, "D", "")))
    return {int(item.sk.rsplit("#", 1)[1]) for item in items}


def count_chunk(
    account_id: str, job_id: str, number: int, *, done: int, failed: int, errors: Sequence[dict[str, str]], at: str
) -> bool:
    """Adds a chunk's outcome to the job's counters exactly once: the done marker is written in the same
    transaction, on condition that it does not exist. False when the chunk was already counted."""
    job_key = JobItem(pk=account_pk(account_id), sk=_job_sk(job_id))
    marker = _part(account_id, _part_sk(job_id, "D", f"{number:05d}"), {"done": done, "failed": failed})
    for attempt in range(5):
        try:
            with transact_write(settings().home_region) as tx:
                tx.save(marker, condition=JobPartItem.pk.does_not_exist())
                if errors:
                    tx.save(_part(account_id, _part_sk(job_id, "E", f"{number:05d}"), list(errors), JOB_RECORD_DAYS))
                tx.update(
                    job_key,
                    actions=[
                        JobItem.done.add(done),
                        JobItem.failed.add(failed),
                        JobItem.chunks_done.add(1),
                        JobItem.updated_at.set(at),
                    ],
                    condition=JobItem.pk.exists(),
                )
            return True
        except TransactWriteError as exc:
            reasons = cancellation_reasons(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            if "TransactionConflict" not in reasons:
                raise
            # Parallel chunks of one job meet on its record; back off briefly and try again.
            time.sleep(0.05 * 2**attempt)
    raise Throttled("the job record is busy; retry", retry_after_seconds=1)


def finish(account_id: str, job_id: str, state: str, at: str) -> bool:
    """running -> a final state, once."""
    return _transition(account_id, job_id, state, at, None)


def fail(account_id: str, job_id: str, code: str, message: str, at: str) -> bool:
    """queued or running -> failed, with why."""
    return _transition(account_id, job_id, "failed", at, {"code": code, "message": message})


def _transition(account_id: str, job_id: str, state: str, at: str, failure: dict[str, str] | None) -> bool:
    actions: list[Action] = [JobItem.state.set(state), JobItem.finished_at.set(at), JobItem.updated_at.set(at)]
    if failure is not None:
        actions.append(JobItem.failure.set(json.dumps(failure)))
    item = JobItem(pk=account_pk(account_id), sk=_job_sk(job_id))
    try:
        with translate_write_errors("the job already finished"):
            item.update(actions=actions, condition=JobItem.state.is_in("queued", "running"))
    except Conflict:
        return False
    # The one place a job reaches its final state, once (conditional); the update returned the job's type.
    business_metrics.job_finished(item.type, state)
    return True


def errors(account_id: str, job_id: str, limit: int) -> list[dict[str, str]]:
    """The first `limit` per-lead errors, in chunk order."""
    found: list[dict[str, str]] = []
    prefix = _part_sk(job_id, "E", "")
    for item in JobPartItem.query(account_pk(account_id), JobPartItem.sk.startswith(prefix), page_size=25):
        found += json.loads(item.body)
        if len(found) >= limit:
            break
    return found[:limit]


def applied_events(region: str, account_id: str, events: Sequence[tuple[str, str]]) -> set[str]:
    """Of (lead id, event id) pairs, the lead ids whose event exists: what an earlier attempt already wrote."""
    m = models(region)
    keys = [(children_pk(account_id, lead_id), f"T#{event_id}") for lead_id, event_id in events]
    return {item.pk.rsplit("#", 1)[1] for item in m.event.batch_get(keys, consistent_read=True)} if keys else set()


# ---------------------------------------------------------------------------------------------- queue


def enqueue(messages: Sequence[dict[str, Any]]) -> None:
    """Sends job messages to the jobs queue, ten per request."""
    sqs = aws.client("sqs", settings().home_region)
    for start in range(0, len(messages), 10):
        entries = [
            {"Id": str(n), "MessageBody": json.dumps(message, separators=(",", ":"))}
            for n, message in enumerate(messages[start : start + 10])
        ]
        response = sqs.send_message_batch(QueueUrl=settings().jobs_queue_url, Entries=entries)
        if response.get("Failed"):
            raise Throttled("the jobs queue refused messages; retry", retry_after_seconds=1)


# ---------------------------------------------------------------------------------------------- export files


def presigned_download(key: str, filename: str, seconds: int) -> str:
    url: str = aws.client("s3", settings().home_region).generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings().exports_bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        },
        ExpiresIn=seconds,
    )
    return url
