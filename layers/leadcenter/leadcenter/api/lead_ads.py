"""Lead ads: campaigns, ad groups and ads of an ad account. View: admin, operator, analyst; create and edit: admin,
operator. A Business Center has none (403 for every role: the policy table has no lead-ads actions for it)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from leadcenter.api.params import AccountId
from leadcenter.api.schemas import COUNTRY_PATTERN, Cursor, FromAttributes
from leadcenter.domain import lead_ads as domain
from leadcenter.http import caller_id, if_match_version
from leadcenter.policy import Action, authorize
from leadcenter.store.lead_ads import LeadAd

router = Router()
TAG = "lead ads"
EntityId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
Goal = Literal["conversation", "lead"]
Status = Literal["active", "paused"]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Countries = Annotated[
    list[Annotated[str, Field(min_length=2, max_length=2, pattern=COUNTRY_PATTERN)]],
    Field(min_length=1, max_length=250, description="ISO 3166-1 alpha-2", examples=[["SG", "MY"]]),
]
Limit = Annotated[int, Query(ge=1, le=100)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CampaignIn(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Ramadan"}]})
    name: Name


class CampaignPatch(_In):
    name: Name | None = None
    status: Status | None = None


class AdGroupIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "campaign-01jq3",
                    "name": "Jakarta 25-34",
                    "optimization_goal": "lead",
                    "targeting_countries": ["ID"],
                }
            ]
        },
    )
    campaign_id: str = Field(min_length=1, max_length=64)
    name: Name
    optimization_goal: Goal
    targeting_countries: Countries


class AdGroupPatch(_In):
    name: Name | None = None
    status: Status | None = None
    optimization_goal: Goal | None = None
    targeting_countries: Countries | None = None


class AdIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"adgroup_id": "adgroup-01jq3", "name": "Free delivery", "form_id": None}]},
    )
    adgroup_id: str = Field(min_length=1, max_length=64)
    name: Name
    form_id: str | None = Field(default=None, max_length=64, description="an instant form with a privacy policy")


class AdPatch(_In):
    name: Name | None = None
    status: Status | None = None
    form_id: str | None = Field(default=None, max_length=64, description="null removes the form")


class _Out(FromAttributes):
    id: str
    account_id: str
    name: str
    status: Status
    created_at: str
    updated_at: str
    created_by: str
    version: int


class CampaignOut(_Out):
    pass


class AdGroupOut(_Out):
    campaign_id: str
    optimization_goal: Goal
    targeting_countries: list[str]


class AdOut(_Out):
    adgroup_id: str
    campaign_id: str
    form_id: str | None = None


class CampaignList(BaseModel):
    items: list[CampaignOut]
    next_cursor: str | None = None


class AdGroupList(BaseModel):
    items: list[AdGroupOut]
    next_cursor: str | None = None


class AdList(BaseModel):
    items: list[AdOut]
    next_cursor: str | None = None


def _changes(body: BaseModel) -> dict[str, Any]:
    """The fields the client sent (a `form_id: null` removes the form; other nulls are "leave as is")."""
    sent = body.model_dump(exclude_unset=True)
    return {k: v for k, v in sent.items() if v is not None or k == "form_id"}


# ---------------------------------------------------------------------------------------------- campaigns


@router.get(
    "/accounts/<account_id>/campaigns", operation_id="listCampaigns", tags=[TAG], summary="Campaigns of an ad account"
)
def list_campaigns(account_id: AccountId, limit: Limit = 50, cursor: Cursor = None) -> CampaignList:
    access = authorize(caller_id(router), account_id, Action.LEAD_ADS_VIEW)
    found, next_cursor = domain.page(access, "campaign", limit, cursor)
    return CampaignList(items=[CampaignOut.model_validate(c) for c in found], next_cursor=next_cursor)


@router.post(
    "/accounts/<account_id>/campaigns",
    operation_id="createCampaign",
    tags=[TAG],
    summary="Create a campaign",
    status_code=201,
)
def create_campaign(account_id: AccountId, body: CampaignIn) -> tuple[CampaignOut, int]:
    access = authorize(caller_id(router), account_id, Action.LEAD_ADS_EDIT)
    return CampaignOut.model_validate(domain.create_campaign(access, body.name)), 201


@router.get(
    "/accounts/<account_id>/campaigns/<campaign_id>", operation_id="getCampaign", tags=[TAG], summary="A campaign"
)
def get_campaign(account_id: AccountId, campaign_id: EntityId) -> CampaignOut:
    access = authorize(caller_id(router), account_id, Action.LEAD_ADS_VIEW)
    return CampaignOut.model_validate(domain.get(access, "campaign", campaign_id))


@router.patch(
    "/accounts/<account_id>/campaigns/<campaign_id>",
    operation_id="patchCampaign",
    tags=[TAG],
    summary="Rename, pause or resume a campaign",
)
def patch_campaign(
    account_id: AccountId, campaign_id: EntityId, body: CampaignPatch, if_match: IfMatch = None
) -> CampaignOut:
    return CampaignOut.model_validate(_patch(account_id, "campaign", campaign_id, body, if_match))


# ---------------------------------------------------------------------------------------------- ad groups


@router.get(
    "/accounts/<account_id>/adgroups", operation_id="listAdGroups", tags=[TAG], summary="Ad groups of an ad account"
)
def list_adgroups(account_id: AccountId, limit: Limit = 50, cursor: Cursor = None) -> AdGroupList:
    access = authorize(caller_id(router), account_id, Action.LEAD_ADS_VIEW)
    found, next_cursor = domain.page(access, "adgroup", limit, cursor)
    return AdGroupList(items=[AdGroupOut.model_validate(g) for g in found], next_cursor=next_cursor)


@router.post(
    "/accounts/<account_id>/adgroups",
    operation_id="createAdGroup",
    tags=[TAG],
    summary="Create an ad group (the Lead goal: 422 lead_goal_unavailable / auto_capture_required)",
    status_code=201,
)
def create_adgroup(account_id: AccountId, body: AdGroupIn) -> tuple[AdGroupOut, int]:
    access = authorize(caller_id(router), account_id, Action.LEAD_ADS_EDIT)
    created = domain.create_adgroup(
        access, body.campaign_id, body.name, body.optimization_goal, body.targeting_countries
    )
    return AdGroupOut.model_validate(created), 201


@router.get(
    "/accounts/<account_id>/adgroups/<adgroup_id>", operation_id="getAdGroup", tags=[TAG], summary="An ad group"
)
def get_adgroup(account_id: AccountId, adgroup_id: EntityId) -> AdGroupOut:
    access = authorize(caller_id(router), account_id, Action.LEAD_ADS_VIEW)
    return AdGroupOut.model_validate(domain.get(access, "adgroup", adgroup_id))


@router.patch(
    "/accounts/<account_id>/adgroups/<adgroup_id>",
    operation_id="patchAdGroup",
    tags=[TAG],
    summary="Rename, pause, retarget or change an ad group's goal",
)
def patch_adgroup(
    account_id: AccountId, adgroup_id: EntityId, body: AdGroupPatch, if_match: IfMatch = None
) -> AdGroupOut:
    return AdGroupOut.model_validate(_patch(account_id, "adgroup", adgroup_id, body, if_match))


# ---------------------------------------------------------------------------------------------- ads


@router.get("/accounts/<account_id>/ads", operation_id="listAds", tags=[TAG], summary="Ads of an ad account")
def list_ads(account_id: AccountId, limit: Limit = 50, cursor: Cursor = None) -> AdList:
    access = authorize(caller_id(router), account_id, Action.LEAD_ADS_VIEW)
    found, next_cursor = domain.page(access, "ad", limit, cursor)
    return AdList(items=[AdOut.model_validate(a) for a in found], next_cursor=next_cursor)


@router.post(
    "/accounts/<account_id>/ads",
    operation_id="createAd",
    tags=[TAG],
    summary="Create an ad (a form without a privacy policy: 422 privacy_policy_required)",
    status_code=201,
)
def create_ad(account_id: AccountId, body: AdIn) -> tuple[AdOut, int]:
    access = authorize(caller_id(router), account_id, Action.LEAD_ADS_EDIT)
    return AdOut.model_validate(domain.create_ad(access, body.adgroup_id, body.name, body.form_id)), 201


@router.get("/accounts/<account_id>/ads/<ad_id>", operation_id="getAd", tags=[TAG], summary="An ad")
def get_ad(account_id: AccountId, ad_id: EntityId) -> AdOut:
    access = authorize(caller_id(router), account_id, Action.LEAD_ADS_VIEW)
    return AdOut.model_validate(domain.get(access, "ad", ad_id))


@router.patch(
    "/accounts/<account_id>/ads/<ad_id>",
    operation_id="patchAd",
    tags=[TAG],
    summary="Rename, pause or resume an ad, or change its form",
)
def patch_ad(account_id: AccountId, ad_id: EntityId, body: AdPatch, if_match: IfMatch = None) -> AdOut:
    return AdOut.model_validate(_patch(account_id, "ad", ad_id, body, if_match))


def _patch(account_id: str, kind: str, entity_id: str, body: BaseModel, if_match: str | None) -> LeadAd:
    access = authorize(caller_id(router), account_id, Action.LEAD_ADS_EDIT)
    return domain.patch(access, kind, entity_id, _changes(body), if_match_version(if_match, kind))
