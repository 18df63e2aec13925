"""Lead access: view it, transfer it from an agency's ad account to a brand's Business Center."""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from leadcenter.api.params import AccountId, FromAttributes, Strict
from leadcenter.domain import lead_access as domain
from leadcenter.errors import Unprocessable
from leadcenter.http import caller_id
from leadcenter.policy import Action, authorize

router = Router()
TAG = "access"


class TransferIn(Strict):
    business_center_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    confirm: bool = Field(
        strict=True,
        json_schema_extra={"const": True},
        description="must be true: the ad account's own users (the agency) lose access to its leads",
    )


class TransferOut(FromAttributes):
    action: str
    actor: str
    at: str
    from_account: str
    to_account: str
    version: int


class LeadAccessOut(FromAttributes):
    ad_account_id: str
    holder: str = Field(description="the account whose members reach the leads")
    status: Literal["own", "transferred"]
    transferred_to: str | None
    version: int
    history: list[TransferOut]
    holds_access_of: list[str] = Field(
        default_factory=list, description="Business Center: the ad accounts whose lead access it holds"
    )


def _out(state: domain.LeadAccessState) -> LeadAccessOut:
    return LeadAccessOut.model_validate(vars(state) | {"status": "transferred" if state.transferred_to else "own"})


@router.get(
    "/accounts/<account_id>/lead-access",
    operation_id="getLeadAccess",
    tags=[TAG],
    summary="Ad account: who holds its lead access, and the history. Business Center: whose it holds",
)
def get_lead_access(account_id: AccountId) -> LeadAccessOut:
    authorize(caller_id(router), account_id, Action.LEAD_ACCESS_VIEW)
    return _out(domain.state(account_id))


@router.post(
    "/accounts/<account_id>/lead-access/transfer",
    operation_id="transferLeadAccess",
    tags=[TAG],
    summary="Transfer lead access to a Business Center (the agency loses access)",
    status_code=201,
    responses={200: {"description": "already done: nothing changed"}},
)
def transfer(account_id: AccountId, body: TransferIn) -> tuple[LeadAccessOut, int]:
    access = authorize(caller_id(router), account_id, Action.LEAD_ACCESS_TRANSFER)
    if body.confirm is not True:
        raise Unprocessable("confirm must be true: the agency loses access to this ad account's leads", field="confirm")
    result, changed = domain.transfer(access, body.business_center_id)
    return _out(result), 201 if changed else 200
