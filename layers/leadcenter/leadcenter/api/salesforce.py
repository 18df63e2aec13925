"""The Salesforce connector: connect, read, change, disconnect, test lead, delivery log, replay (issue "4 of 6")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field

from leadcenter.api.integrations import DeliveryId, DeliveryList, DeliveryOut, DeliveryStatus, FormIds, SentTestOut, Url
from leadcenter.api.params import AccountId
from leadcenter.api.schemas import Cursor, FromAttributes, Strict
from leadcenter.cursors import Cursors
from leadcenter.domain import crm as crm_domain
from leadcenter.domain import crm_test_leads as test_leads
from leadcenter.domain import salesforce as domain
from leadcenter.http import caller_id
from leadcenter.policy import Access, Action, authorize
from leadcenter.store.integrations import SALESFORCE_ID, Endpoint

router = Router()
TAG = "integrations"
BASE = "/accounts/<account_id>/integrations/salesforce"
LeadStatusName = Literal["raw", "contacted", "qualified", "unqualified", "converted"]
PicklistValue = Annotated[str, Field(min_length=1, max_length=255)]
StatusMap = Annotated[
    dict[LeadStatusName, PicklistValue],
    Field(description="lead status -> Salesforce Lead Status; statuses left out keep the default"),
]
FieldMap = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=80)], Annotated[str, Field(min_length=1, max_length=500)]],
    Field(
        max_length=50,
        description="Salesforce field API name -> value: `answer:<question>` (a form answer), `=<text>` (fixed), "
        "or one of lead.id, lead.status, lead.source, lead.region, lead.created_at, lead.updated_at, "
        "lead.assignee, ad.ad_id, ad.ad_name, ad.adgroup_id, ad.adgroup_name, ad.campaign_id, ad.campaign_name, "
        "form.form_id, form.form_name",
    ),
]
InstanceUrl = Annotated[Url, Field(description="the org's address, e.g. https://acme.my.salesforce.com")]
ClientId = Annotated[str, Field(min_length=1, max_length=255, description="the connected app's consumer key")]
ClientSecret = Annotated[
    str, Field(min_length=1, max_length=255, description="the connected app's consumer secret; sealed, never shown")
]


class SalesforceIn(Strict):
    instance_url: InstanceUrl
    client_id: ClientId
    client_secret: ClientSecret
    status_map: StatusMap | None = None
    field_map: FieldMap | None = None
    form_ids: FormIds | None = None


class SalesforcePatchIn(Strict):
    instance_url: InstanceUrl | None = None
    client_id: ClientId | None = None
    client_secret: ClientSecret | None = Field(default=None, description="needed again when instance_url changes")
    status_map: StatusMap | None = None
    field_map: FieldMap | None = None
    form_ids: FormIds | None = None
    enabled: bool | None = Field(
        default=None, strict=True, description="true switches a connector disabled for failing on again"
    )


class SalesforceOut(FromAttributes):
    instance_url: str
    client_id: str
    has_client_secret: bool = Field(description="always true: the secret is stored sealed and never shown")
    status_map: dict[str, str] = Field(description="the mapping in force (defaults included)")
    field_map: dict[str, str]
    form_ids: list[str] = Field(description="per-form subscription; [] means every lead")
    status: Literal["active", "disabled"]
    enabled: bool
    disabled_reason: str | None = Field(description="why the connector was switched off (e.g. failing for 24 h)")
    disabled_at: str | None
    failing_since: str | None = Field(description="start of the current run of failed attempts")
    last_success_at: str | None
    token_cached_at: str | None = Field(description="when the cached OAuth token was obtained (null: none yet)")
    created_at: str | None
    created_by: str | None
    updated_at: str | None


def _out(endpoint: Endpoint) -> SalesforceOut:
    return SalesforceOut.model_validate(
        {
            "instance_url": endpoint.url or "",
            "client_id": endpoint.client_id or "",
            "has_client_secret": endpoint.sealed is not None and endpoint.sealed.secret_ct is not None,
            "status_map": domain.status_map(endpoint),
            "field_map": endpoint.options.get("field_map", {}),
            "form_ids": sorted(endpoint.form_ids),
            "status": "active" if endpoint.enabled else "disabled",
            "enabled": endpoint.enabled,
            "disabled_reason": endpoint.disabled_reason,
            "disabled_at": endpoint.disabled_at,
            "failing_since": endpoint.failing_since,
            "last_success_at": endpoint.last_success_at,
            "token_cached_at": endpoint.token_at if endpoint.has_token else None,
            "created_at": endpoint.created_at,
            "created_by": endpoint.created_by,
            "updated_at": endpoint.updated_at,
        }
    )


def _access(account_id: str) -> Access:
    return authorize(caller_id(router), account_id, Action.CRM_MANAGE)


def _settings(body: SalesforceIn | SalesforcePatchIn) -> domain.Settings:
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "status_map" in values and values["status_map"] is not None:
        values["status_map"] = {str(k): v for k, v in values["status_map"].items()}
    return domain.Settings(**{k: v for k, v in values.items() if v is not None})


@router.post(
    BASE,
    operation_id="connectSalesforce",
    tags=[TAG],
    summary="Connect Salesforce (client credentials; the secret is never shown again)",
)
def connect(account_id: AccountId, body: SalesforceIn) -> tuple[SalesforceOut, int]:
    return _out(domain.connect(_access(account_id), _settings(body))), 201


@router.get(BASE, operation_id="getSalesforceConnector", tags=[TAG], summary="The Salesforce connector (no secrets)")
def get_connector(account_id: AccountId) -> SalesforceOut:
    return _out(domain.get(_access(account_id)))


@router.patch(
    BASE,
    operation_id="patchSalesforceConnector",
    tags=[TAG],
    summary="Change the connector's settings or credentials, or switch it on or off",
)
def update_connector(account_id: AccountId, body: SalesforcePatchIn) -> SalesforceOut:
    return _out(domain.update(_access(account_id), _settings(body)))


@router.delete(BASE, operation_id="disconnectSalesforce", tags=[TAG], summary="Disconnect Salesforce", status_code=204)
def disconnect(account_id: AccountId) -> tuple[dict[str, Any], int]:
    domain.disconnect(_access(account_id))
    return {}, 204


@router.post(
    f"{BASE}/test",
    operation_id="testSalesforceConnector",
    tags=[TAG],
    summary="Send a test lead to Salesforce now and report its answer",
)
def test_connector(account_id: AccountId) -> SentTestOut:
    access = _access(account_id)
    domain.get(access)
    return SentTestOut.of(test_leads.send(access, SALESFORCE_ID))


@router.get(
    f"{BASE}/deliveries",
    operation_id="listSalesforceDeliveries",
    tags=[TAG],
    summary="The connector's delivery log, newest first (ids, codes, times)",
)
def list_deliveries(
    account_id: AccountId,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> DeliveryList:
    access = _access(account_id)
    cursors = Cursors("deliveries", access.account_id, f"{SALESFORCE_ID}|{status or ''}")
    items, last = crm_domain.list_deliveries(access, SALESFORCE_ID, limit=limit, after=cursors.after(cursor),
                                             status=status)  # fmt: skip
    return DeliveryList(items=[DeliveryOut.model_validate(d) for d in items], next_cursor=cursors.issue(last))


@router.post(
    f"{BASE}/deliveries/<delivery_id>/replay",
    operation_id="replaySalesforceDelivery",
    tags=[TAG],
    summary="Send a delivery to Salesforce again now",
)
def replay(account_id: AccountId, delivery_id: DeliveryId) -> tuple[DeliveryOut, int]:
    return DeliveryOut.model_validate(crm_domain.replay(_access(account_id), SALESFORCE_ID, delivery_id)), 202
