"""Applying one chunk of a started job: each lead's change conditioned on the version the job saw, several leads
to a transaction, with a timeline event whose id says the change was made (so a redelivery writes nothing twice);
the chunk's outcome is counted once, and the job finishes when every chunk is counted."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadcenter import clock
from leadcenter.domain import notifications
from leadcenter.domain.jobs import EXPORT_ACTION, BulkAction, JobMessage, JobType, Seen, required_action
from leadcenter.domain.leads import delete_lead
from leadcenter.errors import Conflict, Forbidden, NotFound, Throttled, Unprocessable
from leadcenter.observability import logger
from leadcenter.policy import Access, authorize
from leadcenter.store import jobs as job_store
from leadcenter.store import labels as label_store
from leadcenter.store import leads as lead_store
from leadcenter.store.jobs import Job
from leadcenter.store.lead_items import TimelineEvent
from leadcenter.store.leads import Change, LeadUpdate, UpdateResult

RETRY_ROUNDS = 6


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
    count(job, number, outcome)


def count(job: Job, number: int, outcome: Outcome) -> None:
    if job_store.count_chunk(
        job.account_id,
        job.id,
        number,
        done=outcome.done,
        failed=len(outcome.errors),
        errors=outcome.errors,
        at=clock.iso(),
    ):
        finish_if_complete(job.account_id, job.id)


def queue_uncounted(job: Job) -> None:
    """Queues the chunks of a running job not yet counted (every chunk, the first time), and finishes the job
    when none is left: what a job's start, or an export's last step, does again when it is delivered again."""
    if job.state != "running" or job.chunks is None or job.attempt is None:
        return
    counted = job_store.counted_chunks(job.account_id, job.id)
    messages = [
        JobMessage(kind="chunk", account_id=job.account_id, job_id=job.id, attempt=job.attempt, chunk=n).model_dump()
        for n in range(1, job.chunks + 1)
        if n not in counted
    ]
    job_store.enqueue(messages)
    finish_if_complete(job.account_id, job.id)


def finish_if_complete(account_id: str, job_id: str) -> None:
    job = job_store.get(account_id, job_id)
    if job is None or job.state != "running" or job.chunks is None or job.chunks_done < job.chunks:
        return
    state = "succeeded" if job.failed == 0 else ("failed" if job.done == 0 else "partially_failed")
    if job_store.finish(account_id, job_id, state, clock.iso()) and job.type == JobType.EXPORT:
        if state != "failed" and job.result:
            rows = int(job.result.get("rows", job.total) or 0)
            notifications.export_ready(job.account_id, job.id, job.actor, state, rows)
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


def applied(job: Job, seen: Sequence[Seen]) -> set[str]:
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
    assigning = [lead.id for lead, _ in planned] if job.action == BulkAction.SET_ASSIGNEE else []
    if redelivered and planned:
        done_before = applied(job, [lead for lead, _ in planned])
        outcome.done += len(done_before)
        planned = [(lead, update) for lead, update in planned if lead.id not in done_before]
    by_region: dict[str, list[tuple[Seen, LeadUpdate]]] = {}
    for lead, update in planned:
        by_region.setdefault(lead.region, []).append((lead, update))
    for region, group in by_region.items():
        _write(region, group, outcome)
    if assigning:
        failed = {error["lead_id"] for error in outcome.errors}
        assigned = [lead_id for lead_id in assigning if lead_id not in failed]
        # One notice per chunk (its leads' ids), the same on every delivery of the chunk.
        trigger = f"job:{job.id}|{seen[0].id}"
        assignee = job.value if isinstance(job.value, str) else None
        notifications.lead_assigned(job.account_id, assignee, job.actor, assigned, trigger)
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
