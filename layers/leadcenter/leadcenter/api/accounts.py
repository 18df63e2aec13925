"""Accounts and members."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from leadcenter import clock, ids
from leadcenter.api.params import AccountId, UserId
from leadcenter.api.schemas import AccountIn, AccountList, AccountOut, MemberIn, MemberList, MemberOut
from leadcenter.domain import accounts as members
from leadcenter.http import caller_id
from leadcenter.policy import Action, authorize
from leadcenter.regions import region_router
from leadcenter.store import accounts as store
from leadcenter.store.accounts import Account, Member

router = Router()
TAG = "accounts"


def _out(account: Account, member: Member) -> AccountOut:
    """The account's attributes, and the caller's role and scopes in it from their membership."""
    return AccountOut.model_validate(vars(account) | {"role": member.role, "lead_access": member.lead_access})


@router.post(
    "/accounts",
    operation_id="createAccount",
    tags=[TAG],
    summary="Create an account; the caller becomes its admin",
    status_code=201,
)
def create_account(body: AccountIn) -> tuple[AccountOut, int]:
    caller = caller_id(router)
    country = region_router().validate_country(body.country)
    now = clock.iso()
    account = Account(
        account_id=ids.ulid().lower(), name=body.name.strip(), type=body.type, country=country, created_at=now
    )
    admin = Member(account.account_id, caller, "admin", ("leads_center", "download", "crm"), now)
    store.create_account(account, admin)
    return _out(account, admin), 201


@router.get("/accounts", operation_id="listAccounts", tags=[TAG], summary="The accounts the caller is a member of")
def list_accounts() -> AccountList:
    caller = caller_id(router)
    return AccountList(items=[_out(a, m) for a, m in store.accounts_of(caller)])


@router.get(
    "/accounts/<account_id>/members", operation_id="listMembers", tags=[TAG], summary="Members of an account (admin)"
)
def list_members(account_id: AccountId) -> MemberList:
    authorize(caller_id(router), account_id, Action.MEMBERS_MANAGE)
    return MemberList(items=[MemberOut.model_validate(m) for m in store.list_members(account_id)])


@router.put(
    "/accounts/<account_id>/members/<user_id>",
    operation_id="putMember",
    tags=[TAG],
    summary="Add a member or change role and scopes (admin)",
)
def put_member(account_id: AccountId, user_id: UserId, body: MemberIn) -> MemberOut:
    access = authorize(caller_id(router), account_id, Action.MEMBERS_MANAGE)
    return MemberOut.model_validate(members.set_member(access, user_id, body.role, body.lead_access))


@router.delete(
    "/accounts/<account_id>/members/<user_id>",
    operation_id="deleteMember",
    tags=[TAG],
    summary="Remove a member (admin)",
    status_code=204,
)
def delete_member(account_id: AccountId, user_id: UserId) -> tuple[dict[str, Any], int]:
    access = authorize(caller_id(router), account_id, Action.MEMBERS_MANAGE)
    members.remove_member(access, user_id)
    return {}, 204
