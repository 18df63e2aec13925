"""Membership of an account: roles, lead-access scopes, and the rule that an account always keeps an admin.

The rule is decided here and enforced by the store in the same transaction as the member change: the account
item counts its admins, and a change that takes an admin away is conditioned on that count. Two admins demoting
or removing each other at once therefore cannot both win (a read-then-write check let both through).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from leadcenter import clock
from leadcenter.errors import Conflict, NotFound, Unprocessable
from leadcenter.policy import Access
from leadcenter.store import accounts as store
from leadcenter.store.accounts import AdminFloor, Member

ADMIN = "admin"
ADMIN_SCOPES = ("leads_center", "download", "crm")  # a Business Center's admins hold every scope
MIN_ADMINS = 1
LAST_ADMIN = "the last admin of an account cannot be removed or demoted"
ATTEMPTS = 5  # a member changed by someone else between our read and write: read again, this often


def admins_delta(before: Member | None, after: Member | None) -> int:
    """How a change moves the account's number of admins: -1, 0 or +1."""
    return int(after is not None and after.role == ADMIN) - int(before is not None and before.role == ADMIN)


def admin_floor(delta: int) -> AdminFloor | None:
    """The rule for a change: one that takes an admin away must leave at least MIN_ADMINS."""
    return AdminFloor(MIN_ADMINS, Conflict(LAST_ADMIN)) if delta < 0 else None


def set_member(access: Access, user_id: str, role: str, lead_access: Sequence[str] | None) -> Member:
    """Adds a member, or changes a member's role and scopes."""
    if access.account.type == "ad_account" and lead_access:
        raise Unprocessable("lead_access scopes exist only in a Business Center", field="lead_access")
    scopes = ADMIN_SCOPES if role == ADMIN else tuple(dict.fromkeys(lead_access or ()))
    for attempt in range(ATTEMPTS):
        existing = store.get_member(access.account_id, user_id)
        added_at = existing.added_at if existing else clock.iso()
        member = Member(access.account_id, user_id, role, scopes, added_at)
        if _write(access, user_id, existing, member):
            return member
        _pause(attempt)
    raise Conflict("the member kept changing meanwhile; retry")


def remove_member(access: Access, user_id: str) -> None:
    for attempt in range(ATTEMPTS):
        existing = store.get_member(access.account_id, user_id)
        if existing is None:
            raise NotFound(f"{user_id} is not a member of this account")
        if _write(access, user_id, existing, None):
            return
        _pause(attempt)
    raise Conflict("the member kept changing meanwhile; retry")


def _write(access: Access, user_id: str, before: Member | None, after: Member | None) -> bool:
    delta = admins_delta(before, after)
    return store.change_member(
        access.account_id,
        user_id,
        before=before,
        after=after,
        changed_by=access.caller,
        admins_delta=delta,
        floor=admin_floor(delta),
    )


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
