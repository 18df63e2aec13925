"""Who may do what, as one table. Every route names an Action and asks `authorize`; deny by default.

Ad account: roles decide. Leads Center, lead download and lead deletion are admin only, and nobody in the
ad account reaches its leads once lead access is transferred to a Business Center.
Business Center: roles decide for members and settings; lead actions follow the member's scopes
(`leads_center`, `download`, `crm`), and BC admins hold every scope.
A caller who is not a member gets 404: the account's existence is not disclosed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from leadcenter.errors import Forbidden, NotFound
from leadcenter.store import accounts as account_store
from leadcenter.store.accounts import Account, Member


class Action(StrEnum):
    ACCOUNT_VIEW = "account.view"
    MEMBERS_MANAGE = "members.manage"
    SETTINGS_MANAGE = "settings.manage"
    LEADS_VIEW = "leads.view"
    LEADS_MANAGE = "leads.manage"
    LEADS_DOWNLOAD = "leads.download"
    LEADS_DELETE = "leads.delete"
    FORMS_VIEW = "forms.view"
    FORMS_EDIT = "forms.edit"
    CRM_MANAGE = "crm.manage"
    LEAD_ACCESS_TRANSFER = "lead_access.transfer"
    LEAD_ACCESS_VIEW = "lead_access.view"
    LEAD_ADS_VIEW = "lead_ads.view"
    LEAD_ADS_EDIT = "lead_ads.edit"


ROLES = ("admin", "operator", "analyst")
SCOPES = ("leads_center", "download", "crm")
ALL = frozenset(ROLES)
ADMIN = frozenset({"admin"})

# Roles allowed per action, by account type. An action missing here is denied.
ROLE_MATRIX: dict[str, dict[Action, frozenset[str]]] = {
    "ad_account": {
        Action.ACCOUNT_VIEW: ALL,
        Action.MEMBERS_MANAGE: ADMIN,
        Action.SETTINGS_MANAGE: ADMIN,
        Action.LEADS_VIEW: ADMIN,
        Action.LEADS_MANAGE: ADMIN,
        Action.LEADS_DOWNLOAD: ADMIN,
        Action.LEADS_DELETE: ADMIN,
        Action.FORMS_VIEW: ALL,
        Action.FORMS_EDIT: frozenset({"admin", "operator"}),
        Action.CRM_MANAGE: ADMIN,
        Action.LEAD_ACCESS_TRANSFER: ADMIN,
        Action.LEAD_ACCESS_VIEW: ADMIN,
        # Campaigns, ad groups and ads: only ad accounts have them (a Business Center gets 403).
        Action.LEAD_ADS_VIEW: ALL,
        Action.LEAD_ADS_EDIT: frozenset({"admin", "operator"}),
    },
    "business_center": {
        Action.ACCOUNT_VIEW: ALL,
        Action.MEMBERS_MANAGE: ADMIN,
        Action.SETTINGS_MANAGE: ADMIN,
        Action.LEADS_VIEW: ALL,
        Action.LEADS_MANAGE: ALL,
        Action.LEADS_DOWNLOAD: ALL,
        Action.LEADS_DELETE: ALL,
        Action.FORMS_VIEW: ALL,
        Action.FORMS_EDIT: frozenset({"admin", "operator"}),
        Action.CRM_MANAGE: ALL,
        Action.LEAD_ACCESS_VIEW: ADMIN,
    },
}

# In a Business Center a non-admin member also needs this scope.
SCOPE_MATRIX: dict[Action, str] = {
    Action.LEADS_VIEW: "leads_center",
    Action.LEADS_MANAGE: "leads_center",
    Action.LEADS_DELETE: "leads_center",
    Action.LEADS_DOWNLOAD: "download",
    Action.CRM_MANAGE: "crm",
}

LEAD_ACTIONS = frozenset(
    {Action.LEADS_VIEW, Action.LEADS_MANAGE, Action.LEADS_DOWNLOAD, Action.LEADS_DELETE, Action.CRM_MANAGE}
)


@dataclass(frozen=True)
class Access:
    """An authorised caller on one account."""

    caller: str
    account: Account
    member: Member

    @property
    def account_id(self) -> str:
        return self.account.account_id

    @property
    def is_business_center(self) -> bool:
        return self.account.type == "business_center"


def allowed(account: Account, member: Member, action: Action) -> bool:
    roles = ROLE_MATRIX.get(account.type, {}).get(action, frozenset())
    if member.role not in roles:
        return False
    if account.type == "ad_account" and action in LEAD_ACTIONS and account.lead_access_holder:
        return False
    if account.type == "business_center" and member.role != "admin" and action in SCOPE_MATRIX:
        return SCOPE_MATRIX[action] in member.lead_access
    return True


def authorize(caller: str, account_id: str, action: Action) -> Access:
    account, member = account_store.get_account_and_member(account_id, caller)
    if account is None or member is None:
        raise NotFound(f"account {account_id} not found")
    if not allowed(account, member, action):
        if account.lead_access_holder and action in LEAD_ACTIONS:
            raise Forbidden("lead access for this ad account was transferred to a Business Center")
        raise Forbidden(f"your role ({member.role}) does not allow {action.value} on this account")
    return Access(caller, account, member)
