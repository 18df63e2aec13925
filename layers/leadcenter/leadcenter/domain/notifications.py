"""Notifications: raised where each thing happens, read by the user they are for.

Every notice holds ids, counts and a fixed title: never a lead's contact, answers or notes (the inbox is not
sealed, and it outlives a lead that is deleted or erased). Raising is idempotent: each notice has a dedupe key
made from its triggering event (the job, the lead version, the application, the transfer version...), and a
repeat of the trigger writes nothing. Raising is best effort: the change it reports is already committed, so a
failure to notify is logged and never fails that change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from leadcenter import clock
from leadcenter.cursors import Cursors
from leadcenter.observability import logger
from leadcenter.store import accounts as account_store
from leadcenter.store import notifications as store
from leadcenter.store.notifications import Notification

KEEP_DAYS = 90
MAX_LEAD_IDS = 100  # a bulk assignment notifies once per chunk of leads, with their ids


class NotificationType(StrEnum):
    AUTO_CAPTURE_REVIEWED = "auto_capture.reviewed"
    LEAD_ASSIGNED = "lead.assigned"
    EXPORT_READY = "export.ready"
    INTEGRATION_FAILING = "integration.failing"
    LEAD_ACCESS_TRANSFERRED = "lead_access.transferred"


# ---------------------------------------------------------------------------------------------- raising


def notify(
    recipients: Iterable[str],
    type_: NotificationType,
    account_id: str,
    title: str,
    data: dict[str, Any],
    dedupe_key: str,
) -> int:
    """One notice per recipient (each once per dedupe key); returns how many were written."""
    now = clock.now()
    created_ms = int(now.timestamp() * 1000)
    expires_at = int(now.timestamp()) + KEEP_DAYS * 86400
    written = 0
    for recipient in sorted(set(recipients)):
        key = f"{type_.value}|{dedupe_key}"
        notice = Notification(
            id=store.notification_id(created_ms, f"{recipient}|{key}"),
            type=type_.value,
            account_id=account_id,
            created_at=clock.iso(now),
            title=title,
            data=data,
        )
        try:
            if store.add(recipient, notice, key, expires_at):
                written += 1
        except Exception:  # the reported change is committed: a lost notice must not undo it
            logger.exception("notification not written", extra={"type": type_.value, "account_id": account_id})
    return written


def admins_of(account_id: str) -> list[str]:
    return [member.user_id for member in account_store.list_members(account_id) if member.role == "admin"]


def auto_capture_reviewed(account_id: str, decision: str, applied_at: str) -> None:
    notify(
        admins_of(account_id),
        NotificationType.AUTO_CAPTURE_REVIEWED,
        account_id,
        f"Auto-capture application {decision}",
        {"decision": decision},
        f"{account_id}|{applied_at}|{decision}",
    )


def lead_assigned(account_id: str, assignee: str | None, actor: str, lead_ids: Sequence[str], trigger: str) -> None:
    """`trigger` names the change: a lead's new version (PATCH) or a job's chunk (bulk). Nobody is told of an
    assignment they made to themselves."""
    if not assignee or assignee == actor or not lead_ids:
        return
    ids = sorted(lead_ids)[:MAX_LEAD_IDS]
    title = "A lead was assigned to you" if len(lead_ids) == 1 else f"{len(lead_ids)} leads were assigned to you"
    data: dict[str, Any] = {"lead_ids": ids, "count": len(lead_ids), "assigned_by": actor}
    if len(ids) == 1:
        data["lead_id"] = ids[0]
    notify([assignee], NotificationType.LEAD_ASSIGNED, account_id, title, data, f"{account_id}|{trigger}")


def export_ready(account_id: str, job_id: str, exporter: str, state: str, rows: int) -> None:
    notify(
        [exporter],
        NotificationType.EXPORT_READY,
        account_id,
        "Your export is ready to download",
        {"job_id": job_id, "state": state, "rows": rows},
        f"{account_id}|{job_id}",
    )


def integration_failing(account_id: str, integration_id: str, kind: str, disabled_at: str) -> None:
    label = {"webhook": "A webhook endpoint", "status_events": "The status-events endpoint"}.get(kind, "An integration")
    notify(
        admins_of(account_id),
        NotificationType.INTEGRATION_FAILING,
        account_id,
        f"{label} kept failing and was switched off",
        {"integration_id": integration_id, "kind": kind, "disabled_at": disabled_at},
        f"{account_id}|{integration_id}|{disabled_at}",
    )


def lead_access_transferred(ad_account_id: str, business_center_id: str, actor: str, version: int) -> None:
    """Both sides' admins: the ad account's lose access to its leads, the Business Center's gain it."""
    data = {"ad_account_id": ad_account_id, "business_center_id": business_center_id, "transferred_by": actor}
    key = f"{ad_account_id}|{version}"
    notify(
        admins_of(ad_account_id),
        NotificationType.LEAD_ACCESS_TRANSFERRED,
        ad_account_id,
        "Lead access was transferred to a Business Center",
        data,
        f"{key}|from",
    )
    notify(
        admins_of(business_center_id),
        NotificationType.LEAD_ACCESS_TRANSFERRED,
        business_center_id,
        "Your Business Center received lead access of an ad account",
        data,
        f"{key}|to",
    )


# ---------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Inbox:
    items: list[Notification]
    next_cursor: str | None
    unread_count: int


def inbox(user_id: str, *, unread_only: bool, limit: int, cursor: str | None) -> Inbox:
    cursors = Cursors("notifications", f"U#{user_id}", "unread" if unread_only else "all")
    after = cursors.after(cursor)
    if after is not None and not after.startswith("N#"):
        after = None
    items, last = store.page(user_id, unread_only=unread_only, limit=limit, after=after)
    return Inbox(items, cursors.issue(last), store.unread_count(user_id))


def read(user_id: str, notification_id: str) -> Notification:
    return store.mark_read(user_id, notification_id, clock.iso())


def read_all(user_id: str) -> int:
    return store.mark_many_read(user_id, store.unread_ids(user_id), clock.iso())
