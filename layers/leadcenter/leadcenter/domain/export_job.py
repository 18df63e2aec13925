"""An export in steps: each step is one message on the jobs queue and ends with a checkpoint, so no invocation
writes the whole file and a redelivered step neither loses rows nor writes them twice.

Pass 1 (`scan`) reads the matching leads a page at a time, one (ad account, storage region) stream after the
other, from the stream and list cursor in the checkpoint (no page reads ahead in every region to keep a global
order). Each page is spooled to S3 as JSON lines (one object per page, under its stream), and its checkpoint
(cursor, rows, where each question was first answered, the page's chunk item for marking the leads accessed) is one
conditional transaction: a page counts exactly when its checkpoint is written. Pass 2 (`write`) knows every question,
so it writes the header, then merges the streams' spooled rows into the list's order in multipart parts of
PART_BYTES; each uploaded part is checkpointed with its ETag and each stream's spool position. Parts end on row
boundaries and carry nothing over between steps. Last (`complete`), the upload is completed, the job's leads fixed
(`store.jobs.commit`) and its chunks queued.

A step claims a lease on the checkpoint before working (a second delivery of a step that is still running
leaves; the holder either queues the next step or, if it crashed, its own message comes back after the queue's
visibility timeout, which outlasts the lease), stops when its budget (the invocation's remaining time) runs
low and queues the next step. A job that
fails has its upload aborted and its spool deleted (`abandon`).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leadcenter import clock, ids
from leadcenter.domain import export, job_chunks, jobs
from leadcenter.domain.jobs import JobMessage, JobRefused, Seen
from leadcenter.domain.leads import lead_streams, list_leads
from leadcenter.errors import Forbidden, NotFound
from leadcenter.observability import logger
from leadcenter.policy import Access, authorize
from leadcenter.store import exports as export_store
from leadcenter.store import jobs as job_store
from leadcenter.store.exports import Checkpoint
from leadcenter.store.jobs import Job

PAGE_LEADS = 500  # leads per list query and per spool object
PART_BYTES = export.PART_BYTES
# Leads per chunk that marks exported leads accessed: a page's worth (a bulk change's chunks hold 100). Marking
# overwrites nothing and so never conflicts; bigger chunks mean fewer messages, chunk reads and counter transactions
# per lead (~50 KB per chunk item).
MARK_CHUNK_LEADS = 500
STEP_SECONDS = 240.0  # a step's work without a Lambda context (local runs); with one, its remaining time decides
RESERVE_SECONDS = 15.0  # of the invocation's remaining time never used: the last checkpoint, queueing the next step
STEP_LEADS: int | None = None  # a cap on leads read or rows written per step (tests)
LEASE_MARGIN_SECONDS = 10  # a lease outlives its step's budget by this (and stays below the queue's visibility timeout)


@dataclass
class Budget:
    """How much of an invocation one step may use: the Lambda context's remaining time less RESERVE_SECONDS
    (STEP_SECONDS without a context), and optionally a number of leads. A step always does at least one unit (a
    page or a part), and starts another only while twice the slowest unit so far still fits before the deadline,
    so a slow page near the end cannot run the invocation into its timeout."""

    deadline: float
    seconds: float
    leads: int | None = None
    spent: int = 0
    slowest: float = 0.0
    _unit_started: float = field(default_factory=time.monotonic)

    @classmethod
    def of(cls, remaining_ms: Callable[[], int] | None = None) -> Budget:
        seconds = STEP_SECONDS if remaining_ms is None else max(0.0, remaining_ms() / 1000 - RESERVE_SECONDS)
        return cls(time.monotonic() + seconds, seconds, STEP_LEADS)

    def lease_seconds(self) -> int:
        return int(self.seconds + RESERVE_SECONDS + LEASE_MARGIN_SECONDS)

    def spend(self, leads: int) -> None:
        self.spent += leads

    def low(self) -> bool:
        """Called after each unit: whether to stop here (the next unit might not fit)."""
        now = time.monotonic()
        self.slowest = max(self.slowest, now - self._unit_started)
        self._unit_started = now
        out_of_time = now + 2 * self.slowest >= self.deadline
        return out_of_time or (self.leads is not None and self.spent >= self.leads)


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
    checkpoint = export_store.claim(account_id, job_id, owner, now, now + budget.lease_seconds())
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
    if checkpoint.streams is None and (checkpoint.phase != "scan" or checkpoint.pages):
        # Begun by a release that spooled without streams: its spool cannot be merged, so the export starts over.
        raise JobRefused("export_interrupted", "the export was interrupted by an update; start it again")
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
    """Pass 1, one page of the current stream: its rows spooled to S3, then the checkpoint with the page's chunks.
    The first step fixes the streams (the (ad account, region) pairs to read, one after the other)."""
    lead_filter = jobs.filter_from_doc(job.selection.get("filter") or {})
    if checkpoint.streams is None:
        checkpoint.streams = [list(pair) for pair in lead_streams(access, lead_filter)]
        checkpoint.spooled = [0] * len(checkpoint.streams)
    entries: list[list[Any]] = []
    next_cursor: str | None = None
    if checkpoint.stream < len(checkpoint.streams):
        account_id, region = checkpoint.streams[checkpoint.stream]
        page = list_leads(access, lead_filter, PAGE_LEADS, checkpoint.cursor, stream=(account_id, region))
        by_update = lead_filter.updated_since is not None
        spooled = bytearray()
        for lead in page.leads:
            key = export.order_key(lead, by_update)
            line, questions = export.spool_line(lead, key)
            spooled += line
            for position, question in enumerate(questions):
                seen = checkpoint.first_seen.get(question)
                # A stream's first answer is its newest (oldest change); another stream's may come earlier in the file.
                if seen is None or _Ordered(key, by_update) < _Ordered(seen[0], by_update):
                    checkpoint.first_seen[question] = [key, position]
            entries.append(Seen.of_lead(lead).dump())
        if entries:
            # A repeat of this page (the step stopped before its checkpoint) writes the same key again.
            number = checkpoint.spooled[checkpoint.stream]
            export_store.put_spool(_spool_key(checkpoint, checkpoint.stream, number), bytes(spooled))
            checkpoint.spooled[checkpoint.stream] += 1
            checkpoint.pages += 1
        next_cursor = page.next_cursor
    chunks = [entries[n : n + MARK_CHUNK_LEADS] for n in range(0, len(entries), MARK_CHUNK_LEADS)]
    checkpoint.rows += len(entries)
    checkpoint.chunks += len(chunks)
    checkpoint.cursor = next_cursor
    if next_cursor is None:
        checkpoint.stream += 1
    if checkpoint.stream >= len(checkpoint.streams):
        checkpoint.phase = "write"
        checkpoint.questions = _header_questions(checkpoint.first_seen, by_update=lead_filter.updated_since is not None)
        checkpoint.positions = [[0, 0] for _ in checkpoint.streams]
    budget.spend(len(entries))
    return export_store.save(checkpoint, owner, chunks)


def _header_questions(first_seen: dict[str, list[Any]], *, by_update: bool) -> list[str]:
    """The questions in the order the file's rows first answer them: each stream saw its questions first in its
    own order, which is the file's order restricted to the stream, so the earliest of those firsts is the file's."""

    def rank(question: str) -> tuple[_Ordered, int]:
        key, position = first_seen[question]
        return _Ordered(str(key), by_update), int(position)

    return sorted(first_seen, key=rank)


@dataclass(frozen=True)
class _Ordered:
    """An order key that sorts in the file's order: ascending by change, or newest lead (largest id) first."""

    key: str
    ascending: bool

    def __lt__(self, other: _Ordered) -> bool:
        return self.key < other.key if self.ascending else self.key > other.key


def _write_part(job: Job, checkpoint: Checkpoint, owner: str, budget: Budget) -> bool:
    """Pass 2, one part: the header first, then the streams' spooled rows merged in the file's order from their
    positions on until the part is full or the rows run out (the last part, which may be small); uploaded, then
    checkpointed with its ETag and each stream's position. A page of each stream is in memory at a time."""
    key = export_store.file_key(job.account_id, job.id, checkpoint.attempt)
    if checkpoint.upload_id is None:
        checkpoint.upload_id = export_store.start_upload(key, _filename(job))
        if not export_store.save(checkpoint, owner):
            export_store.abort_upload(key, checkpoint.upload_id)
            return False
    ascending = jobs.filter_from_doc(job.selection.get("filter") or {}).updated_since is not None
    encoder = export.CsvEncoder(checkpoint.questions)
    buffer = bytearray(encoder.header() if not checkpoint.parts else b"")
    cursors = [
        _StreamCursor(checkpoint, stream, page, line) for stream, (page, line) in enumerate(checkpoint.positions)
    ]
    heap = [(_Ordered(cursor.key, ascending), cursor.stream, cursor) for cursor in cursors if cursor.load()]
    heapq.heapify(heap)
    rows = 0
    while heap and len(buffer) < PART_BYTES:
        _, stream, cursor = heapq.heappop(heap)
        buffer += encoder.row(cursor.row)
        rows += 1
        if cursor.advance():
            heapq.heappush(heap, (_Ordered(cursor.key, ascending), stream, cursor))
    last = not heap
    if buffer:
        number = len(checkpoint.parts) + 1
        etag = export_store.upload_part(key, checkpoint.upload_id, number, bytes(buffer))
        checkpoint.parts.append([number, etag])
    checkpoint.positions = [[cursor.page, cursor.line] for cursor in cursors]
    checkpoint.written += rows
    checkpoint.bytes += len(buffer)
    if last:
        checkpoint.phase = "complete"
    budget.spend(rows)
    return export_store.save(checkpoint, owner)


class _StreamCursor:
    """Pass 2's place in one stream's spool: page `page`, line `line` (the next row to write)."""

    def __init__(self, checkpoint: Checkpoint, stream: int, page: int, line: int) -> None:
        self.checkpoint, self.stream, self.page, self.line = checkpoint, stream, page, line
        self.lines: list[bytes] = []
        self.key, self.row = "", export.Row([], [], [])

    def load(self) -> bool:
        """Reads the current page if need be; False once the stream's rows are all written."""
        while not self.lines or self.line >= len(self.lines):
            if self.lines:
                self.page, self.line, self.lines = self.page + 1, 0, []
            if self.page >= self.checkpoint.spooled[self.stream]:
                return False
            self.lines = export_store.read_spool(_spool_key(self.checkpoint, self.stream, self.page))
        self.key, self.row = export.read_line(self.lines[self.line])
        return True

    def advance(self) -> bool:
        self.line += 1
        return self.load()


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
    # Also the page after each stream's last checkpointed one: a step may have spooled it and stopped before its
    # checkpoint.
    keys = [
        _spool_key(checkpoint, stream, page)
        for stream, pages in enumerate(checkpoint.spooled)
        for page in range(pages + 1)
    ]
    export_store.delete_files(keys)


def _spool_key(checkpoint: Checkpoint, stream: int, page: int) -> str:
    return export_store.spool_key(checkpoint.account_id, checkpoint.job_id, checkpoint.attempt, stream, page)


def _filename(job: Job) -> str:
    stamp = job.created_at[:19].replace("-", "").replace(":", "")
    return f"leads-{job.account_id}-{stamp}.csv"
