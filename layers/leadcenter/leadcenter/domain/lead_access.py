"""Agency-to-brand transfer of lead access: the ad account's own users lose it, the Business Center gains it.

Leads do not move; only who reaches them changes (policy.allowed reads `lead_access_holder`).
"""

from __future__ import annotations

from dataclasses import dataclass

from leadcenter import clock
from leadcenter.domain import notifications
from leadcenter.errors import Conflict, Unprocessable
from leadcenter.policy import Access
from leadcenter.store import accounts as account_store
from leadcenter.store import lead_access as store
from leadcenter.store.lead_access import TransferRecord


@dataclass(frozen=True)
class LeadAccessState:
    ad_account_id: str
    holder: str
    transferred_to: str | None
    version: int
    history: list[TransferRecord]
    holds_access_of: list[str]


def state(account_id: str) -> LeadAccessState:
    """For an ad account: who holds its lead access. For a Business Center: whose lead access it holds."""
    account = account_store.get_account(account_id)
    is_bc = account.type == "business_center"
    return LeadAccessState(
        ad_account_id=account_id,
        holder=account.lead_access_holder or account_id,
        transferred_to=account.lead_access_holder,
        version=account.lead_access_version,
        history=[] if is_bc else store.history(account_id),
        holds_access_of=store.transferred_to(account_id) if is_bc else [],
    )


def transfer(access: Access, business_center_id: str) -> tuple[LeadAccessState, bool]:
    """Returns the new state and whether this call made the change (False: it was already so)."""
    account = access.account
    if account.type != "ad_account":
        raise Unprocessable("only an ad account's lead access can be transferred", field="account")
    target = account_store.get_account_or_none(business_center_id)
    if target is None or target.type != "business_center":
        raise Unprocessable(f"{business_center_id} is not a Business Center", field="business_center_id")
    if account.lead_access_holder == business_center_id:
        return state(account.account_id), False
    if account.lead_access_holder:
        raise Conflict(f"lead access is already transferred to {account.lead_access_holder}")
    record = TransferRecord(
        action="transfer",
        actor=access.caller,
        at=clock.iso(),
        from_account=account.account_id,
        to_account=business_center_id,
        version=account.lead_access_version + 1,
    )
    try:
        store.transfer(account.account_id, business_center_id, account.lead_access_version, record)
    except Conflict:
        # A concurrent transfer won. A retry of this very request (same target) is no conflict.
        current = account_store.get_account(account.account_id)
        if current.lead_access_holder == business_center_id:
            return state(account.account_id), False
        raise
    notifications.lead_access_transferred(account.account_id, business_center_id, access.caller, record.version)
    return state(account.account_id), True
