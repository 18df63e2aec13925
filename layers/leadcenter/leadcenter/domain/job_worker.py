"""The jobs worker's lifecycle: a queued message in, a job started (a bulk job's leads fixed with the versions
seen; an export's first step queued), an export step run (`domain.export_job`) or a chunk applied
(`domain.job_chunks`); the last delivery, or the dead-letter queue's consumer, records what failed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from leadcenter import clock, ids
from leadcenter.domain import export_job, job_chunks, jobs
from leadcenter.domain.job_chunks import Outcome
from leadcenter.domain.jobs import CHUNK_LEADS, ERRORS_SHOWN, JobMessage, JobRefused, JobType, Seen
from leadcenter.domain.leads import LeadFilter, lead_accounts, list_leads, region_of
from leadcenter.errors import Forbidden, NotFound
from leadcenter.model import Lead
from leadcenter.observability import logger
from leadcenter.policy import Access, authorize
from leadcenter.store import jobs as job_store
from leadcenter.store import leads as lead_store
from leadcenter.store.jobs import Job

MAX_ATTEMPTS = 5  # JobsQueue's maxReceiveCount: the last delivery records failures rather than raise
RESOLVE_PAGE = 500  # leads per list query when a job resolves its filter: fewer round trips than the UI's 100


def handle(message: JobMessage, delivery: int, remaining_ms: Callable[[], int] | None = None) -> None:
    """One queued message. Raising leaves it to SQS to deliver again, until the last delivery, which records
    what could not be done instead of losing it to the dead-letter queue. `remaining_ms` is the invocation's
    remaining time (the Lambda context's), which bounds an export step."""
    try:
        if message.kind == "start":
            start(message.account_id, message.job_id)
        elif message.kind == "export" and message.attempt is not None:
            export_job.step(message.account_id, message.job_id, message.attempt, export_job.Budget.of(remaining_ms))
        elif message.attempt is not None and message.chunk is not None:
            job_chunks.run_chunk(message.account_id, message.job_id, message.attempt, message.chunk, delivery)
    except Exception:
        if delivery < MAX_ATTEMPTS:
            raise
        logger.exception("job message failed for the last time", extra={"job_id": message.job_id})
        give_up(message)


def dead_lettered(message: JobMessage) -> None:
    """A message that reached the jobs dead-letter queue (its last delivery crashed or timed out, so it could not
    record anything itself): the same end as a last delivery that failed."""
    logger.error(
        "job message dead-lettered", extra={"job_id": message.job_id, "kind": message.kind, "chunk": message.chunk}
    )
    give_up(message)


def give_up(message: JobMessage) -> None:
    """Ends what a message could not do: a start or an export step fails its job (an export's upload aborted,
    its spool deleted); a chunk records its unapplied leads as failed, and the job finishes."""
    now = clock.iso()
    if message.kind in ("start", "export"):
        what = "started" if message.kind == "start" else "written"
        job_store.fail(
            message.account_id, message.job_id, "internal", f"the job could not be {what}; start it again", now
        )
        job = job_store.get(message.account_id, message.job_id)
        if job is not None and job.type == JobType.EXPORT and job.state == "failed":
            export_job.abandon(message.account_id, message.job_id)
        return
    job, entries, counted = job_store.load_chunk(
        message.account_id, message.job_id, message.attempt or "", message.chunk or 0
    )
    if job is None or entries is None or counted:
        return
    seen = [Seen.load(raw) for raw in entries]
    applied = job_chunks.applied(job, seen)
    outcome = Outcome(done=len(applied))
    for lead in seen:
        if lead.id not in applied:
            outcome.fail(lead.id, "internal", "the change could not be applied; try again")
    job_chunks.count(job, message.chunk or 0, outcome)


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
        job_chunks.queue_uncounted(job)
        return
    now = clock.iso()
    job_store.mark_running(account_id, job_id, now)
    try:
        access = authorize(job.actor, job.account_id, jobs.required_action(job.type, job.action))
        if job.type == JobType.EXPORT:
            export_job.begin(job)  # the file is written in steps, each its own message
            return
        # Each delivery writes its chunks under its own attempt id; the commit picks exactly one attempt.
        attempt = ids.token(6)
        prepared = _prepare_bulk(job, access, attempt)
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
        return
    _queue_chunks(job, attempt, list(range(1, prepared.chunks + 1)))
    job_chunks.finish_if_complete(account_id, job_id)


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
        for lead in _leads(access, jobs.filter_from_doc(job.selection["filter"])):
            seen.append(Seen.of_lead(lead))
            if len(seen) > jobs.MAX_BULK_LEADS:
                raise JobRefused(
                    "too_many_leads", f"the filter matches more than {jobs.MAX_BULK_LEADS} leads; narrow it"
                )
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
