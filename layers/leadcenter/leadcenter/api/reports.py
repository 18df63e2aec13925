"""Lead reports: counts by last-touch attribution."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from leadcenter.api.accounts import AccountId
from leadcenter.api.capture_schemas import GroupBy, GroupCountOut, LeadReportOut
from leadcenter.domain import attribution
from leadcenter.http import caller_id
from leadcenter.policy import Action, authorize

router = Router()


@router.get("/accounts/<account_id>/reports/leads", summary="Lead counts per ad, ad group or campaign")
def lead_report(account_id: AccountId, group_by: Annotated[GroupBy, Query()] = "ad") -> LeadReportOut:
    access = authorize(caller_id(router), account_id, Action.LEADS_VIEW)
    rows = attribution.lead_report(access, group_by)
    items = [GroupCountOut.model_validate(row) for row in rows]
    return LeadReportOut(group_by=group_by, items=items, total=sum(row.leads for row in rows))
