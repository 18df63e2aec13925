"""Lead reports: leads, conversations, conversions and spend per ad, ad group or campaign (read from counters)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from leadcenter.api.capture_schemas import GroupBy
from leadcenter.api.params import AccountId
from leadcenter.api.schemas import Cursor, FromAttributes, IsoDate
from leadcenter.domain import ad_reports
from leadcenter.http import caller_id
from leadcenter.policy import Action, authorize

router = Router()
TAG = "reports"
Money = Annotated[str | None, Field(description="decimal string, 2 decimals", examples=["12.34"])]


class _Figures(FromAttributes):
    leads: int = Field(description="leads attributed (last touch) and created in the range")
    conversations: int = Field(description="conversations whose first message arrived in the range, attributed")
    conversions: int = Field(description="conversations of conversation-goal and leads of lead-goal ad groups")
    spend: Money = None
    currency: str | None = Field(default=None, examples=["SGD"])
    cost_per_conversion: Money = Field(default=None, description="null where conversions is 0")
    cost_per_lead: Money = Field(default=None, description="null where leads is 0")


class ReportRowOut(_Figures):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "adgroup-01jq3",
                    "name": "Jakarta 25-34",
                    "optimization_goal": "lead",
                    "leads": 12,
                    "conversations": 30,
                    "conversions": 12,
                    "spend": "120.50",
                    "currency": "SGD",
                    "cost_per_conversion": "10.04",
                    "cost_per_lead": "10.04",
                }
            ]
        }
    )
    id: str
    name: str | None = None
    optimization_goal: str | None = Field(default=None, description="conversation | lead; null for a campaign")


class SeriesPointOut(_Figures):
    date: str = Field(examples=["2026-03-01"])


class LeadReportOut(BaseModel):
    group_by: GroupBy
    date_from: str = Field(serialization_alias="from")
    date_to: str = Field(serialization_alias="to")
    items: list[ReportRowOut]
    total: int = Field(description="leads over every row (all pages)")
    totals: _Figures
    series: list[SeriesPointOut] = Field(description="every day of the range, summed over the rows")
    next_cursor: str | None = None


@router.get(
    "/accounts/<account_id>/reports/leads",
    operation_id="getLeadReport",
    tags=[TAG],
    summary="Leads, conversations, conversions and spend per ad, ad group or campaign",
)
def lead_report(
    account_id: AccountId,
    group_by: Annotated[GroupBy, Query()] = "ad",
    date_from: Annotated[
        IsoDate | None, Query(alias="from", description="first day (UTC), default 89 days before to")
    ] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to", description="last day (UTC), default today")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    cursor: Cursor = None,
) -> LeadReportOut:
    access = authorize(caller_id(router), account_id, Action.LEADS_VIEW)
    report = ad_reports.lead_report(access, group_by, date_from, date_to, limit, cursor)
    return LeadReportOut(
        group_by=group_by,
        date_from=report.date_from,
        date_to=report.date_to,
        items=[ReportRowOut.model_validate(row) for row in report.rows],
        total=report.totals.leads,
        totals=_Figures.model_validate(report.totals),
        series=[SeriesPointOut.model_validate(day) for day in report.series],
        next_cursor=report.next_cursor,
    )
