"""Bulk changes and exports as background jobs, with progress: what a job is, creating one, reading one.

The API validates a job and queues a `start` message. The worker then fixes the job's leads once (the ids
given, or the filter resolved now) with the version of each lead it saw, splits them into chunks of
CHUNK_LEADS and queues one message per chunk. A chunk applies its change to each lead on condition that the
lead still has the version seen at start, with a timeline event whose id is derived from the job and the
lead: a lead changed or deleted meanwhile is reported in the job's errors instead of being overwritten, and a
redelivered chunk finds its own events and changes nothing twice. Leads are written several to a
TransactWriteItems (each keeping its own conditions), and a chunk's outcome is counted once, with a marker.
An export writes its file in steps, one message each, with a checkpoint after every page of leads and every
part of the file (`domain.export_job`), then marks the leads accessed in chunks the same way.

The worker's side is `domain.job_worker` (a job's start: fixing its leads; give-up and dead letters),
`domain.export_job` (an export's steps) and `domain.job_chunks` (applying one chunk's change).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, Literal, assert_never

from pydantic import BaseModel, ConfigDict

from leadcenter import clock, ids
from leadcenter.domain.leads import LeadFilter, label_names, lead_accounts
from leadcenter.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from leadcenter.model import Lead, LeadSource, LeadStatus
from leadcenter.observability import logger
from leadcenter.policy import Access, Action
from leadcenter.store import accounts as account_store
from leadcenter.store import jobs as job_store
from leadcenter.store.jobs import Job
from leadcenter.store.leads import LeadSnapshot

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
    """What the jobs queue carries: a job to start, the next step of an export (`attempt`: the export's), or one
    chunk of a started job."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["start", "export", "chunk"]
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
