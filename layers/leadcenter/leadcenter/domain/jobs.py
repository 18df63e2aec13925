"""Bulk changes and exports as background jobs, with progress.

The API validates a job and queues a `start` message. The worker then fixes the job's leads once (the ids
given, or the filter resolved now) with the version of each lead it saw, splits them into chunks of
CHUNK_LEADS and queues one message per chunk. A chunk applies its change to each lead on condition that the
lead still has the version seen at start, with a timeline event whose id is derived from the job and the
lead: a lead changed or deleted meanwhile is reported in the job's errors instead of being overwritten, and a
redelivered chunk finds its own events and changes nothing twice. Leads are written several to a
TransactWriteItems (each keeping its own conditions), and a chunk's outcome is counted once, with a marker.
An export spools its leads, streams the CSV to S3 and then marks the leads accessed in chunks the same way.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, Literal, assert_never

from pydantic import BaseModel, ConfigDict

from leadcenter import clock, ids
from leadcenter.domain import export
from leadcenter.domain.leads import LeadFilter, delete_lead, label_names, lead_accounts, list_leads, region_of
from leadcenter.errors import Conflict, DomainError, Forbidden, NotFound, Throttled, Unprocessable
from leadcenter.model import Lead, LeadSource, LeadStatus
from leadcenter.observability import logger
from leadcenter.policy import Access, Action, authorize
from leadcenter.store import accounts as account_store
from leadcenter.store import jobs as job_store
from leadcenter.store import labels as label_store
from leadcenter.store import leads as lead_store
from leadcenter.store.jobs import Job
from leadcenter.store.lead_items import TimelineEvent
from leadcenter.store.leads import Change, LeadSnapshot, LeadUpdate, UpdateResult

MAX_BULK_LEADS = 10_000
CHUNK_LEADS = 100
MAX_ATTEMPTS = 5  # JobsQueue's maxReceiveCount: the last delivery records failures rather than raise
ERRORS_SHOWN = 100
DOWNLOAD_SECONDS = 600
EXPORT_FILE_HOURS = 24  # the exports bucket's lifecycle rule deletes files after a day
RETRY_ROUNDS = 6
RESOLVE_PAGE = 500  # leads per list query when a job resolves its filter: fewer round trips than the UI's 100


class JobType(StrEnum):
    BULK = "bulk"
    EXPORT = "export"


class BulkAction(StrEnum):
    SET_STATUS = "set_status"
    ADD_LABELS = "add_labels"
    REMOVE_LABELS = "remove_labels"
    SET_ASSIGNEE = "set_assignee"
    DELETE = "delete"


EXPORT_ACTION = "export"


def required_action(job_type: str, action: str) -> Action:
    if job_type == JobType.EXPORT:
        return Action.LEADS_DOWNLOAD
    return Action.LEADS_DELETE if action == BulkAction.DELETE else Action.LEADS_MANAGE


class JobMessage(BaseModel):
    """What the jobs queue carries: a job to start, or one chunk of a started job."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["start", "chunk"]
    account_id: str
    job_id: str
    attempt: str | None = None
    chunk: int | None = None


@dataclass(frozen=True)
class Seen:
    """A lead as the job saw it at start: each change is conditioned on this version."""

    id: str
    account_id: str
    region: str
    version: int
    expires: int
    status: str
    assignee: str | None
    labels: tuple[str, ...]
    accessed: bool

    def dump(self) -> list[Any]:
        # Compact: a chunk item holds CHUNK_LEADS of these.
        return [self.id, self.account_id, self.region, self.version, self.expires, self.status, self.assignee,
                list(self.labels), self.accessed]  # fmt: skip

    @classmethod
    def load(cls, raw: list[Any]) -> Seen:
        lead_id, account_id, region, version, expires, status, assignee, labels, accessed = raw
        return cls(lead_id, account_id, region, int(version), int(expires), status, assignee, tuple(labels), accessed)

    @classmethod
    def of_lead(cls, lead: Lead) -> Seen:
        return cls(
            lead.id,
            lead.account_id,
            lead.storage_region,
            lead.version,
            int(clock.parse_iso(lead.expires_at).timestamp()),
            lead.status.value,
            lead.assignee,
            tuple(sorted(label.id for label in lead.labels)),
            lead.access_status.value == "accessed",
        )

    @classmethod
    def of_snapshot(cls, lead: LeadSnapshot) -> Seen:
        return cls(
            lead.lead_id,
            lead.account_id,
            lead.region,
            lead.version,
            lead.expires_epoch,
            lead.status,
            lead.assignee,
            tuple(sorted(lead.label_ids)),
            lead.accessed,
        )


class JobRefused(DomainError):
    """The job cannot run as asked (found when it starts); it fails with this code and message."""

    status = 422

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------------------------- filters


def filter_doc(given: LeadFilter) -> dict[str, Any]:
    """A LeadFilter as JSON for the job record: resolved when the job starts, and kept as its audit."""
    doc: dict[str, Any] = {}
    for name, value in vars(given).items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = clock.iso(value)
        elif isinstance(value, Enum):
            value = value.value
        doc[name] = value
    return doc


def filter_from_doc(doc: dict[str, Any]) -> LeadFilter:
    values = dict(doc)
    for name in ("created_from", "created_to", "updated_since"):
        if name in values:
            values[name] = clock.parse_iso(values[name])
    if "status" in values:
        values["status"] = LeadStatus(values["status"])
    if "source" in values:
        values["source"] = LeadSource(values["source"])
    return LeadFilter(**values)


# ---------------------------------------------------------------------------------------------- create


def _new_job(access: Access, job_type: JobType, action: str, value: Any, selection: dict[str, Any]) -> Job:
    now = clock.iso()
    return Job(
        id=ids.ulid(),
        account_id=access.account_id,
        type=job_type.value,
        action=action,
        value=value,
        selection=selection,
        actor=access.caller,
        state="queued",
        created_at=now,
        updated_at=now,
    )


@dataclass(frozen=True)
class SetStatus:
    status: LeadStatus


@dataclass(frozen=True)
class ChangeLabels:
    action: Literal[BulkAction.ADD_LABELS, BulkAction.REMOVE_LABELS]
    label_ids: Sequence[str]


@dataclass(frozen=True)
class SetAssignee:
    assignee: str | None  # None unassigns


@dataclass(frozen=True)
class DeleteLeads:
    pass


# A bulk change, its value already of its action's type: the API's request model (a union discriminated on
# `action`) refuses a value of the wrong shape. What needs the account's data is checked here.
BulkChange = SetStatus | ChangeLabels | SetAssignee | DeleteLeads
JobValue = str | list[str] | None


def _check_change(access: Access, change: BulkChange) -> tuple[BulkAction, JobValue]:
    """The same rules as the single-lead routes, checked before anything is queued: the action and the
    value the job keeps."""
    match change:
        case SetStatus(status=status):
            return BulkAction.SET_STATUS, status.value
        case ChangeLabels(action=action, label_ids=label_ids):
            unknown = sorted(set(label_ids) - set(label_names(lead_accounts(access))))
            if unknown:
                raise Unprocessable(f"unknown label ids: {', '.join(unknown)}", field="value")
            return action, sorted(set(label_ids))
        case SetAssignee(assignee=assignee):
            if assignee is not None:
                member = account_store.get_member(access.account_id, assignee)
                if member is None or member.role != "admin":
                    raise Unprocessable(
                        f"assignee '{assignee}' is not an admin of this account; leads can only be assigned to admins",
                        field="value",
                    )
            return BulkAction.SET_ASSIGNEE, assignee
        case DeleteLeads():
            return BulkAction.DELETE, None
    assert_never(change)


def create_bulk_job(
    access: Access,
    change: BulkChange,
    *,
    lead_ids: Sequence[str] | None,
    lead_filter: LeadFilter | None,
) -> Job:
    """Validates and queues a bulk change; an invalid job is refused here (422), never half-run."""
    if (lead_ids is None) == (lead_filter is None):
        raise Unprocessable("send either lead_ids or filter (a filter of {} means every lead)", field="lead_ids")
    action, value = _check_change(access, change)
    unique = list(dict.fromkeys(lead_ids)) if lead_ids is not None else []
    if lead_ids is not None and not 1 <= len(unique) <= MAX_BULK_LEADS:
        raise Unprocessable(f"lead_ids must name 1 to {MAX_BULK_LEADS} leads", field="lead_ids")
    selection: dict[str, Any] = (
        {"lead_ids": len(unique)} if lead_filter is None else {"filter": filter_doc(lead_filter)}
    )
    job = _new_job(access, JobType.BULK, action.value, value, selection)
    job_store.create(job, unique)
    _queue_start(job)
    return job


def create_export_job(access: Access, lead_filter: LeadFilter) -> Job:
    job = _new_job(access, JobType.EXPORT, EXPORT_ACTION, None, {"filter": filter_doc(lead_filter)})
    job_store.create(job)
    _queue_start(job)
    logger.info(
        "export requested",
        extra={"audit": "export", "job_id": job.id, "account_id": job.account_id, "actor": job.actor},
    )
    return job


def _queue_start(job: Job) -> None:
    try:
        job_store.enqueue([JobMessage(kind="start", account_id=job.account_id, job_id=job.id).model_dump()])
    except Exception:
        # Never leave a job that nothing will run: it fails visibly, and the caller gets the error.
        job_store.fail(job.account_id, job.id, "not_queued", "the job could not be queued; start it again", clock.iso())
        raise


# ---------------------------------------------------------------------------------------------- read


def get_job(access: Access, job_id: str) -> Job:
    job = job_store.get(access.account_id, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    job.errors = job_store.errors(access.account_id, job_id, ERRORS_SHOWN) if job.failed else []
    return job


def file_expires_at(job: Job) -> str | None:
    if not job.result or not job.finished_at:
        return None
    return clock.iso(clock.parse_iso(job.finished_at) + timedelta(hours=EXPORT_FILE_HOURS))


def download_url(access: Access, job_id: str) -> str:
    """A fresh presigned URL (DOWNLOAD_SECONDS) for an export's file, after the caller's access was checked
    again: someone who lost lead access (or download rights) since the export can no longer fetch it."""
    job = job_store.get(access.account_id, job_id)
    if job is None or job.type != JobType.EXPORT:
        raise NotFound(f"export {job_id} not found")
    if job.actor != access.caller:
        raise Forbidden("only the user who started an export can download it")
    if job.state not in ("succeeded", "partially_failed") or not job.result:
        raise Conflict(f"the export is not ready (state: {job.state})", state=job.state)
    expires = file_expires_at(job)
    if expires is not None and clock.parse_iso(expires) <= clock.now():
        raise NotFound("the export file has expired; start a new export")
    logger.info(
        "export downloaded",
        extra={"audit": "export_download", "job_id": job.id, "account_id": job.account_id, "actor": access.caller},
    )
    return job_store.presigned_download(job.result["file"], job.result["filename"], DOWNLOAD_SECONDS)


# ---------------------------------------------------------------------------------------------- worker


def handle(message: JobMessage, delivery: int) -> None:
    """One queued message. Raising leaves it to SQS to deliver again, until the last delivery, which records
    what could not be done instead of losing it to the dead-letter queue."""
    try:
        if message.kind == "start":
            start(message.account_id, message.job_id)
        elif message.attempt is not None and message.chunk is not None:
            run_chunk(message.account_id, message.job_id, message.attempt, message.chunk, delivery)
    except Exception:
        if delivery < MAX_ATTEMPTS:
            raise
        logger.exception("job message failed for the last time", extra={"job_id": message.job_id})
        give_up(message)


def give_up(message: JobMessage) -> None:
    now = clock.iso()
    if message.kind == "start":
        job_store.fail(message.account_id, message.job_id, "internal", "the job could not be started", now)
        return
    job, entries, counted = job_store.load_chunk(
        message.account_id, message.job_id, message.attempt or "", message.chunk or 0
    )
    if job is None or entries is None or counted:
        return
    seen = [Seen.load(raw) for raw in entries]
    applied = _applied(job, seen)
    outcome = Outcome(done=len(applied))
    for lead in seen:
        if lead.id not in applied:
            outcome.fail(lead.id, "internal", "the change could not be applied; try again")
    _count(job, message.chunk or 0, outcome)


@dataclass
class Prepared:
    total: int
    chunks: int
    failed: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    result: dict[str, Any] | None = None


def start(account_id: str, job_id: str) -> None:
    job = job_store.get(account_id, job_id)
    if job is None or job.state not in ("queued", "running"):
        return
    if job.chunks is not None:
        # Fixed by an earlier delivery, which may have stopped while queueing: resend what is not counted.
        counted = job_store.counted_chunks(account_id, job_id)
        _queue_chunks(job, job.attempt or "", [n for n in range(1, job.chunks + 1) if n not in counted])
        _finish_if_complete(account_id, job_id)
        return
    now = clock.iso()
    job_store.mark_running(account_id, job_id, now)
    try:
        access = authorize(job.actor, job.account_id, required_action(job.type, job.action))
        # Each delivery writes its chunks under its own attempt id; the commit picks exactly one attempt.
        attempt = ids.token(6)
        prepared = (
            _prepare_export(job, access, attempt) if job.type == JobType.EXPORT else _prepare_bulk(job, access, attempt)
        )
    except (Forbidden, NotFound, JobRefused) as exc:
        job_store.fail(account_id, job_id, exc.code, exc.message, clock.iso())
        return
    committed = job_store.commit(
        account_id,
        job_id,
        attempt=attempt,
        total=prepared.total,
        chunks=prepared.chunks,
        failed=prepared.failed,
        errors=prepared.errors,
        result=prepared.result,
        at=clock.iso(),
    )
    if not committed:
        if prepared.result:
            job_store.delete_export(prepared.result["file"])  # another delivery's file is the job's file
        return
    _queue_chunks(job, attempt, list(range(1, prepared.chunks + 1)))
    _finish_if_complete(account_id, job_id)


def _queue_chunks(job: Job, attempt: str, numbers: list[int]) -> None:
    messages = [
        JobMessage(kind="chunk", account_id=job.account_id, job_id=job.id, attempt=attempt, chunk=n).model_dump()
        for n in numbers
    ]
    job_store.enqueue(messages)


def _prepare_bulk(job: Job, access: Access, attempt: str) -> Prepared:
    missing: list[str] = []
    if "lead_ids" in job.selection:
        seen, missing = _resolve_ids(access, job_store.selection(job.account_id, job.id))
    else:
        seen = []
        for lead in _leads(access, filter_from_doc(job.selection["filter"])):
            seen.append(Seen.of_lead(lead))
            if len(seen) > MAX_BULK_LEADS:
                raise JobRefused("too_many_leads", f"the filter matches more than {MAX_BULK_LEADS} leads; narrow it")
    chunks = [[lead.dump() for lead in seen[n : n + CHUNK_LEADS]] for n in range(0, len(seen), CHUNK_LEADS)]
    job_store.save_chunks(job.account_id, job.id, attempt, 1, chunks)
    errors = [{"lead_id": lead_id, "code": "not_found", "message": "no such lead"} for lead_id in missing]
    return Prepared(len(seen) + len(missing), len(chunks), len(missing), errors[:ERRORS_SHOWN])


def _resolve_ids(access: Access, lead_ids: list[str]) -> tuple[list[Seen], list[str]]:
    """The named leads (batch reads, by region and account) in the order given, and those not found."""
    by_region: dict[str, list[str]] = {}
    missing = []
    for lead_id in lead_ids:
        try:
            by_region.setdefault(region_of(lead_id), []).append(lead_id)
        except NotFound:
            missing.append(lead_id)
    found: dict[str, Seen] = {}
    now = clock.epoch()
    for region, region_ids in by_region.items():
        for account_id in lead_accounts(access):
            wanted = [lead_id for lead_id in region_ids if lead_id not in found]
            for snapshot in lead_store.snapshots(region, account_id, wanted):
                if snapshot.expires_epoch > now:
                    found[snapshot.lead_id] = Seen.of_snapshot(snapshot)
    missing += [lead_id for lead_id in lead_ids if lead_id not in found and lead_id not in missing]
    return [found[lead_id] for lead_id in lead_ids if lead_id in found], missing


def _leads(access: Access, lead_filter: LeadFilter) -> Iterator[Lead]:
    """Every lead the filter matches, page by page (the list route's own query plan)."""
    cursor: str | None = None
    while True:
        page = list_leads(access, lead_filter, RESOLVE_PAGE, cursor)
        yield from page.leads
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _prepare_export(job: Job, access: Access, attempt: str) -> Prepared:
    """Pass 1 spools the leads and records them in chunks (to be marked accessed); pass 2 writes the CSV."""
    key = f"exports/{job.account_id}/{job.id}/{attempt}.csv"
    stamp = job.created_at[:19].replace("-", "").replace(":", "")
    filename = f"leads-{job.account_id}-{stamp}.csv"
    upload = job_store.ExportUpload(key, filename)
    chunks = 0
    try:
        with tempfile.TemporaryFile() as file:
            spool = export.Spool(file)
            current: list[list[Any]] = []
            pending: list[list[list[Any]]] = []
            for lead in _leads(access, filter_from_doc(job.selection.get("filter") or {})):
                spool.add(lead)
                current.append(Seen.of_lead(lead).dump())
                if len(current) == CHUNK_LEADS:
                    pending.append(current)
                    current = []
                if len(pending) == 25:  # one BatchWriteItem
                    job_store.save_chunks(job.account_id, job.id, attempt, chunks + 1, pending)
                    chunks += len(pending)
                    pending = []
            if current:
                pending.append(current)
            if pending:
                job_store.save_chunks(job.account_id, job.id, attempt, chunks + 1, pending)
                chunks += len(pending)
            stats = export.write_csv(spool, upload)
        upload.complete()
    except BaseException:
        try:
            upload.abort()  # no orphaned parts (the bucket's lifecycle rule would also clear them in a day)
        except Exception:
            logger.exception("could not abort an export upload", extra={"job_id": job.id})
        raise
    result = {"file": key, "filename": filename, "rows": stats.rows, "bytes": stats.bytes, "columns": stats.columns}
    return Prepared(total=spool.rows, chunks=chunks, result=result)


# ---------------------------------------------------------------------------------------------- chunks


@dataclass
class Outcome:
    done: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)

    def fail(self, lead_id: str, code: str, message: str) -> None:
        self.errors.append({"lead_id": lead_id, "code": code, "message": message})


def event_id(job: Job, lead_id: str) -> str:
    """The id of the timeline event a job writes on a lead: the same on every delivery, so an event that
    exists says this change was applied (and the does-not-exist condition keeps it from being written twice).
    It starts with the job's ULID, so the timeline still sorts by time."""
    return f"{job.id}-{lead_id}"


def run_chunk(account_id: str, job_id: str, attempt: str, number: int, delivery: int) -> None:
    job, entries, counted = job_store.load_chunk(account_id, job_id, attempt, number)
    if job is None or entries is None or counted or job.state != "running" or job.attempt != attempt:
        return
    seen = [Seen.load(raw) for raw in entries]
    try:
        access = authorize(job.actor, job.account_id, required_action(job.type, job.action))
    except (Forbidden, NotFound) as exc:
        # Access lost while the job ran (e.g. lead access transferred): the rest of the job is refused.
        outcome = Outcome()
        for lead in seen:
            outcome.fail(lead.id, "forbidden", exc.message)
    else:
        outcome = _apply(job, access, seen, redelivered=delivery > 1)
    _count(job, number, outcome)


def _count(job: Job, number: int, outcome: Outcome) -> None:
    if job_store.count_chunk(
        job.account_id,
        job.id,
        number,
        done=outcome.done,
        failed=len(outcome.errors),
        errors=outcome.errors,
        at=clock.iso(),
    ):
        _finish_if_complete(job.account_id, job.id)


def _finish_if_complete(account_id: str, job_id: str) -> None:
    job = job_store.get(account_id, job_id)
    if job is None or job.state != "running" or job.chunks is None or job.chunks_done < job.chunks:
        return
    state = "succeeded" if job.failed == 0 else ("failed" if job.done == 0 else "partially_failed")
    if job_store.finish(account_id, job_id, state, clock.iso()) and job.type == JobType.EXPORT:
        logger.info(
            "export finished",
            extra={
                "audit": "export",
                "job_id": job.id,
                "account_id": job.account_id,
                "actor": job.actor,
                "leads": job.total,
                "filter": job.selection.get("filter"),
            },
        )


def _applied(job: Job, seen: Sequence[Seen]) -> set[str]:
    """Leads whose job event exists: applied by an earlier delivery of this chunk."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for lead in seen:
        groups.setdefault((lead.region, lead.account_id), []).append((lead.id, event_id(job, lead.id)))
    applied: set[str] = set()
    for (region, account_id), pairs in groups.items():
        applied |= job_store.applied_events(region, account_id, pairs)
    return applied


def _apply(job: Job, access: Access, seen: list[Seen], *, redelivered: bool) -> Outcome:
    if job.action == BulkAction.DELETE:
        return _delete(job, access, seen)
    outcome = Outcome()
    now = clock.iso()
    labels: dict[str, set[str]] = {}
    planned: list[tuple[Seen, LeadUpdate]] = []
    for lead in seen:
        try:
            update = _plan(job, lead, now, labels)
        except Unprocessable as exc:
            outcome.fail(lead.id, exc.code, exc.message)
            continue
        if update is None:
            outcome.done += 1  # already as asked: nothing to write
        else:
            planned.append((lead, update))
    if redelivered and planned:
        applied = _applied(job, [lead for lead, _ in planned])
        outcome.done += len(applied)
        planned = [(lead, update) for lead, update in planned if lead.id not in applied]
    by_region: dict[str, list[tuple[Seen, LeadUpdate]]] = {}
    for lead, update in planned:
        by_region.setdefault(lead.region, []).append((lead, update))
    for region, group in by_region.items():
        _write(region, group, outcome)
    return outcome


def _plan(job: Job, lead: Seen, now: str, labels: dict[str, set[str]]) -> LeadUpdate | None:
    """The one write that applies the job's change to this lead, or None when the lead is already as asked."""
    data: dict[str, Any] = {"job_id": job.id}
    expected_version: int | None = lead.version
    change: Change | None
    if job.action == EXPORT_ACTION:
        # Marking accessed overwrites nothing, so it does not wait for an unchanged version.
        change, kind, expected_version = (None if lead.accessed else Change(access=(job.actor, now))), "exported", None
    elif job.action == BulkAction.SET_STATUS:
        if lead.status == job.value:
            return None
        change, kind = Change(status=job.value), "status_changed"
        data.update({"from": lead.status, "to": job.value})
    elif job.action == BulkAction.SET_ASSIGNEE:
        if lead.assignee == job.value:
            return None
        change = Change(assignee=job.value) if job.value else Change(clear_assignee=True)
        kind = "assignee_changed"
        data.update({"from": lead.assignee, "to": job.value})
    elif job.action == BulkAction.ADD_LABELS:
        if lead.account_id not in labels:
            labels[lead.account_id] = {label.id for label in label_store.list_labels(lead.account_id)}
        unknown = set(job.value) - labels[lead.account_id]
        if unknown:
            raise Unprocessable(f"labels not defined in this lead's account: {', '.join(sorted(unknown))}")
        added = sorted(set(job.value) - set(lead.labels))
        if not added:
            return None
        change, kind = Change(add_labels=frozenset(added)), "labels_added"
        data["labels"] = added
    elif job.action == BulkAction.REMOVE_LABELS:
        removed = sorted(set(job.value) & set(lead.labels))
        if not removed:
            return None
        change, kind = Change(remove_labels=frozenset(removed)), "labels_removed"
        data["labels"] = removed
    else:
        raise Unprocessable(f"unknown action {job.action}")
    event = TimelineEvent(event_id(job, lead.id), kind, job.actor, now, data)
    return LeadUpdate(lead.account_id, lead.id, change, expected_version, now, (event,), expires_epoch=lead.expires)


def _batches(group: list[tuple[Seen, LeadUpdate]]) -> Iterator[list[tuple[Seen, LeadUpdate]]]:
    """Packs leads into transactions of at most MAX_TRANSACTION_ITEMS items."""
    batch: list[tuple[Seen, LeadUpdate]] = []
    size = 0
    for entry in group:
        items = entry[1].item_count
        if batch and size + items > lead_store.MAX_TRANSACTION_ITEMS:
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += items
    if batch:
        yield batch


def _write(region: str, group: list[tuple[Seen, LeadUpdate]], outcome: Outcome) -> None:
    """Writes the planned updates; a transaction cancelled for one lead is sent again without it."""
    changed: list[Seen] = []
    pending = group
    for round_ in range(RETRY_ROUNDS):
        retry: list[tuple[Seen, LeadUpdate]] = []
        for batch in _batches(pending):
            results = lead_store.update_many(region, [update for _, update in batch])
            for (lead, update), result in zip(batch, results, strict=True):
                if result in (UpdateResult.APPLIED, UpdateResult.ALREADY_APPLIED):
                    outcome.done += 1
                elif result == UpdateResult.CHANGED:
                    changed.append(lead)
                else:
                    retry.append((lead, update))
        if not retry:
            break
        pending = retry
        if round_:
            time.sleep(0.05 * 2**round_)  # concurrent writers on the same leads: let them finish
    else:
        raise Throttled("leads of this chunk are busy; the chunk will be retried", retry_after_seconds=1)
    _classify(region, changed, outcome)


def _classify(region: str, changed: list[Seen], outcome: Outcome) -> None:
    """A failed lead condition means changed or deleted: one batch read tells which, for the errors."""
    by_account: dict[str, list[Seen]] = {}
    for lead in changed:
        by_account.setdefault(lead.account_id, []).append(lead)
    now = clock.epoch()
    for account_id, leads in by_account.items():
        lead_ids = [lead.id for lead in leads]
        snapshots = lead_store.snapshots(region, account_id, lead_ids)
        present = {snapshot.lead_id for snapshot in snapshots if snapshot.expires_epoch > now}
        for lead in leads:
            if lead.id in present:
                outcome.fail(lead.id, "conflict", "the lead changed after the job started; it was left as it is")
            else:
                outcome.fail(lead.id, "not_found", "the lead was deleted after the job started")


def _delete(job: Job, access: Access, seen: list[Seen]) -> Outcome:
    """Deletion per lead, through the single route's delete (same tombstone, same shredding of the lead key)."""
    outcome = Outcome()
    for lead in seen:
        tombstone = event_id(job, lead.id)
        try:
            delete_lead(access, lead.id, expected_version=lead.version, event_id=tombstone)
            outcome.done += 1
        except (Conflict, NotFound) as exc:
            if job_store.applied_events(lead.region, lead.account_id, [(lead.id, tombstone)]):
                outcome.done += 1  # deleted by an earlier delivery of this chunk
            elif isinstance(exc, NotFound):
                outcome.fail(lead.id, "not_found", "the lead was deleted after the job started")
            else:
                outcome.fail(lead.id, "conflict", "the lead changed after the job started; it was left as it is")
    return outcome
