"""An export in steps: each step is one message on the jobs queue and ends with a checkpoint, so no invocation
writes the whole file and a redelivered step neither loses rows nor writes them twice.

Pass 1 (`scan`) reads the matching leads a page at a time from the list cursor in the checkpoint. Each page is
spooled to S3 as JSON lines (one object per page), and its checkpoint (cursor, rows, question set in first-seen
order, the page's chunk items for marking the leads accessed) is one conditional transaction: a page counts
exactly when its checkpoint is written. Pass 2 (`write`) knows every question, so it writes the header, then
encodes the spooled rows into multipart parts of PART_BYTES; each uploaded part is checkpointed with its ETag and
the spool position the next part starts at. Parts end on row boundaries and carry nothing over between steps.
Last (`complete`), the upload is completed, the job's leads fixed (`store.jobs.commit`) and its chunks queued.

A step claims a lease on the checkpoint before working (a second delivery of a step that is still running
leaves; the holder either queues the next step or, if it crashed, its own message comes back after the queue's
visibility timeout, which outlasts the lease), stops when its budget runs low and queues the next step. A job that
fails has its upload aborted and its spool deleted (`abandon`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from leadcenter import clock, ids
from leadcenter.domain import export, job_chunks, jobs
from leadcenter.domain.jobs import CHUNK_LEADS, JobMessage, JobRefused, Seen
from leadcenter.domain.leads import list_leads
from leadcenter.errors import Forbidden, NotFound
from leadcenter.observability import logger
from leadcenter.policy import Access, authorize
from leadcenter.store import exports as export_store
from leadcenter.store import jobs as job_store
from leadcenter.store.exports import Checkpoint
from leadcenter.store.jobs import Job

PAGE_LEADS = 500  # leads per list query and per spool object
PART_BYTES = export.PART_BYTES
STEP_SECONDS = 120.0  # work per step at most; the worker's timeout is 300 s
RESERVE_SECONDS = 15.0  # left unused of the invocation's remaining time
STEP_LEADS: int | None = None  # a cap on leads read or rows written per step (tests)
LEASE_SECONDS = 310  # the worker's timeout and a margin; below the jobs queue's visibility timeout (360 s)


@dataclass
class Budget:
    """How much of an invocation one step may use: seconds (the Lambda context's remaining time, less a reserve,
    at most STEP_SECONDS) and optionally leads. A step always does at least one unit (a page or a part)."""

    deadline: float
    leads: int | None = None
    spent: int = 0

    @classmethod
    def of(cls, remaining_ms: Callable[[], int] | None = None) -> Budget:
        seconds = STEP_SECONDS
        if remaining_ms is not None:
            seconds = min(seconds, remaining_ms() / 1000 - RESERVE_SECONDS)
        return cls(time.monotonic() + seconds, STEP_LEADS)

    def spend(self, leads: int) -> None:
        self.spent += leads

    def low(self) -> bool:
        return time.monotonic() >= self.deadline or (self.leads is not None and self.spent >= self.leads)


def begin(job: Job) -> None:
    """From the job's start: the first checkpoint (once), then the first step."""
    export_store.begin(job.account_id, job.id, ids.token(6))
    checkpoint = export_store.load(job.account_id, job.id)
    if checkpoint is not None:
        _queue_step(checkpoint)


def _queue_step(checkpoint: Checkpoint) -> None:
    message = JobMessage(
        kind="export", account_id=checkpoint.account_id, job_id=checkpoint.job_id, attempt=checkpoint.attempt
    )
    job_store.enqueue([message.model_dump()])


def step(account_id: str, job_id: str, attempt: str, budget: Budget) -> None:
    """One step: claims the export, works from its checkpoint until the budget runs low, then queues the next
    step (or finishes the export). Raises on failure, with the lease given back, for the message to return."""
    job = job_store.get(account_id, job_id)
    if job is None or job.state != "running":
        return
    if job.chunks is not None:
        job_chunks.queue_uncounted(job)  # the file is done and the job's leads fixed: a late repeat of a step
        return
    owner = ids.token(8)
    now = clock.epoch()
    checkpoint = export_store.claim(account_id, job_id, owner, now, now + LEASE_SECONDS)
    if checkpoint is None:
        logger.info("another step holds the export; leaving it", extra={"job_id": job_id})
        return
    if checkpoint.attempt != attempt:
        export_store.release(account_id, job_id, owner)
        return
    try:
        access = authorize(job.actor, job.account_id, jobs.required_action(job.type, job.action))
        outcome = _work(job, access, checkpoint, owner, budget)
        if outcome == "done":
            _finish(job, checkpoint)
    except (Forbidden, NotFound, JobRefused) as exc:
        # Access lost since the export started (role, scope, lead access transferred): the export fails.
        job_store.fail(account_id, job_id, exc.code, exc.message, clock.iso())
        abandon(account_id, job_id)
        return
    except BaseException:
        _release_quietly(account_id, job_id, owner)
        raise
    if outcome == "lost":
        return  # another step moved the export on: it queues what follows
    export_store.release(account_id, job_id, owner)
    if outcome == "more":
        _queue_step(checkpoint)


def _release_quietly(account_id: str, job_id: str, owner: str) -> None:
    try:
        export_store.release(account_id, job_id, owner)
    except Exception:
        logger.exception("could not release an export's lease", extra={"job_id": job_id})


def _work(job: Job, access: Access, checkpoint: Checkpoint, owner: str, budget: Budget) -> str:
    """Pages, then parts, until the budget runs low ("more"), the last part is uploaded ("done"), or the
    checkpoint could not be written because another step moved on ("lost")."""
    while True:
        if checkpoint.phase == "scan":
            saved = _scan_page(job, access, checkpoint, owner, budget)
        elif checkpoint.phase == "write":
            saved = _write_part(job, checkpoint, owner, budget)
        else:
            return "done"
        if not saved:
            return "lost"
        if checkpoint.phase == "complete":
            return "done"
        if budget.low():
            return "more"


def _scan_page(job: Job, access: Access, checkpoint: Checkpoint, owner: str, budget: Budget) -> bool:
    """Pass 1, one page: its rows spooled to S3, then the checkpoint with the page's chunks."""
    page = list_leads(access, jobs.filter_from_doc(job.selection.get("filter") or {}), PAGE_LEADS, checkpoint.cursor)
    spooled = bytearray()
    known = set(checkpoint.questions)
    entries = []
    for lead in page.leads:
        line, questions = export.spool_line(lead)
        spooled += line
        for question in questions:
            if question not in known:
                known.add(question)
                checkpoint.questions.append(question)
        entries.append(Seen.of_lead(lead).dump())
    if entries:
        # A repeat of this page (the step stopped before its checkpoint) writes the same key again.
        export_store.put_spool(_spool_key(checkpoint, checkpoint.pages), bytes(spooled))
        checkpoint.pages += 1
    chunks = [entries[n : n + CHUNK_LEADS] for n in range(0, len(entries), CHUNK_LEADS)]
    checkpoint.rows += len(entries)
    checkpoint.chunks += len(chunks)
    checkpoint.cursor = page.next_cursor
    if page.next_cursor is None:
        checkpoint.phase = "write"
    budget.spend(len(entries))
    return export_store.save(checkpoint, owner, chunks)


def _write_part(job: Job, checkpoint: Checkpoint, owner: str, budget: Budget) -> bool:
    """Pass 2, one part: the header first, then rows from the spool position on until the part is full or the
    rows run out (the last part, which may be small); uploaded, then checkpointed with its ETag."""
    key = export_store.file_key(job.account_id, job.id, checkpoint.attempt)
    if checkpoint.upload_id is None:
        checkpoint.upload_id = export_store.start_upload(key, _filename(job))
        if not export_store.save(checkpoint, owner):
            export_store.abort_upload(key, checkpoint.upload_id)
            return False
    encoder = export.CsvEncoder(checkpoint.questions)
    buffer = bytearray(encoder.header() if not checkpoint.parts else b"")
    segment, line, rows = checkpoint.segment, checkpoint.line, 0
    while segment < checkpoint.pages and len(buffer) < PART_BYTES:
        lines = export_store.read_spool(_spool_key(checkpoint, segment))
        while line < len(lines) and len(buffer) < PART_BYTES:
            buffer += encoder.row(export.read_line(lines[line]))
            line += 1
            rows += 1
        if line >= len(lines):
            segment, line = segment + 1, 0
    last = segment >= checkpoint.pages
    if buffer:
        number = len(checkpoint.parts) + 1
        etag = export_store.upload_part(key, checkpoint.upload_id, number, bytes(buffer))
        checkpoint.parts.append([number, etag])
    checkpoint.segment, checkpoint.line = segment, line
    checkpoint.written += rows
    checkpoint.bytes += len(buffer)
    if last:
        checkpoint.phase = "complete"
    budget.spend(rows)
    return export_store.save(checkpoint, owner)


def _finish(job: Job, checkpoint: Checkpoint) -> None:
    """Completes the upload, fixes the job's leads with the file as its result, queues the chunks that mark the
    leads accessed, and deletes the spool. Each part is safe to repeat."""
    key = export_store.file_key(job.account_id, job.id, checkpoint.attempt)
    assert checkpoint.upload_id is not None
    export_store.complete_upload(key, checkpoint.upload_id, checkpoint.parts)
    result = {
        "file": key,
        "filename": _filename(job),
        "rows": checkpoint.written,
        "bytes": checkpoint.bytes,
        "columns": export.CsvEncoder(checkpoint.questions).columns,
    }
    job_store.commit(
        job.account_id,
        job.id,
        attempt=checkpoint.attempt,
        total=checkpoint.rows,
        chunks=checkpoint.chunks,
        failed=0,
        errors=[],
        result=result,
        at=clock.iso(),
    )
    _delete_spool(checkpoint)
    committed = job_store.get(job.account_id, job.id)
    if committed is not None:
        job_chunks.queue_uncounted(committed)


def abandon(account_id: str, job_id: str) -> None:
    """A failed export's leftovers: its multipart upload aborted (no orphaned parts), its spool deleted, and its
    file too if the upload had been completed. The bucket's lifecycle rules would clear them in a day anyway."""
    checkpoint = export_store.load(account_id, job_id)
    if checkpoint is None:
        return
    key = export_store.file_key(account_id, job_id, checkpoint.attempt)
    if checkpoint.upload_id is not None:
        export_store.abort_upload(key, checkpoint.upload_id)
    if checkpoint.phase == "complete":
        export_store.delete_files([key])
    _delete_spool(checkpoint)


def _delete_spool(checkpoint: Checkpoint) -> None:
    # Also the page after the last checkpointed one: a step may have spooled it and stopped before its checkpoint.
    export_store.delete_files([_spool_key(checkpoint, page) for page in range(checkpoint.pages + 1)])


def _spool_key(checkpoint: Checkpoint, page: int) -> str:
    return export_store.spool_key(checkpoint.account_id, checkpoint.job_id, checkpoint.attempt, page)


def _filename(job: Job) -> str:
    stamp = job.created_at[:19].replace("-", "").replace(":", "")
    return f"leads-{job.account_id}-{stamp}.csv"
