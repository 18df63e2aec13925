"""Leads: create by hand, list with filters and search, read, edit, delete, timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from leadcenter.api.params import AccountId
from leadcenter.api.schemas import (
    ActivityList,
    ActivityOut,
    Cursor,
    FromAttributes,
    IsoDatetime,
    LeadFilterIn,
    LeadIn,
    LeadList,
    LeadPatchIn,
)
from leadcenter.domain import contact_edit
from leadcenter.domain import leads as domain
from leadcenter.errors import BadRequest
from leadcenter.http import caller_id, if_match_version
from leadcenter.model import AccessStatus, Attribution, FormData, Lead, LeadSource, LeadStatus, Traffic
from leadcenter.policy import Action, authorize
from leadcenter.regions import region_router

router = Router()
TAG = "leads"
# Minted as `<ULID>-<tag>` (the storage region's tag); any other well-formed id is simply not found (404).
LeadId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z-]+$",
        description="A lead id: `<ULID>-<tag>`, 26 Crockford base32 characters, `-`, and the two-letter tag of "
        "the storage region the lead lives in (`sg`, `jp`, `au`, ...)",
        examples=["01JB8X4M5QZ7R2C9V6N3T0WDKE-sg"],
    ),
]


@router.post(
    "/accounts/<account_id>/leads",
    operation_id="createLead",
    tags=[TAG],
    summary="Create a lead by hand",
    status_code=201,
)
def create_lead(account_id: AccountId, body: LeadIn) -> tuple[Lead, int]:
    access = authorize(caller_id(router), account_id, Action.LEADS_MANAGE)
    if access.is_business_center:
        raise BadRequest("create leads in the ad account they belong to, not in a Business Center")
    country = region_router().validate_country(body.region)
    new = domain.NewLead(
        country=body.region,
        source=LeadSource.MANUAL,
        contact=contact_edit.checked_contact(body.contact, country),
        ad=body.ad or Attribution(),
        form=body.form or FormData(),
    )
    return domain.create_lead(account_id, new, access.caller), 201


@router.get(
    "/accounts/<account_id>/leads",
    operation_id="listLeads",
    tags=[TAG],
    summary="List leads, newest first (filters combine with AND)",
)
def list_leads(
    account_id: AccountId,
    status: Annotated[LeadStatus | None, Query()] = None,
    label: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=128, description="a user id, or 'none'")] = None,
    access_status: Annotated[AccessStatus | None, Query()] = None,
    source: Annotated[LeadSource | None, Query()] = None,
    form_id: Annotated[str | None, Query(max_length=64)] = None,
    traffic: Annotated[Traffic | None, Query(description="organic (no ad touch attributed) or paid")] = None,
    created_from: Annotated[IsoDatetime | None, Query()] = None,
    created_to: Annotated[IsoDatetime | None, Query()] = None,
    updated_since: Annotated[IsoDatetime | None, Query(description="incremental pull: oldest change first")] = None,
    expiring_within_days: Annotated[int | None, Query(ge=0, le=90)] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="ad, ad group, campaign or form: id exactly, or name by case-insensitive substring",
        ),
    ] = None,
    ad_account_id: Annotated[
        str | None, Query(max_length=64, description="Business Center: one source ad account")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> LeadList:
    access = authorize(caller_id(router), account_id, Action.LEADS_VIEW)
    filters = lead_filter(
        LeadFilterIn(
            status=status,
            label=label,
            assignee=assignee,
            access_status=access_status,
            source=source,
            form_id=form_id,
            traffic=traffic,
            created_from=created_from,
            created_to=created_to,
            updated_since=updated_since,
            expiring_within_days=expiring_within_days,
            q=q,
            ad_account_id=ad_account_id,
        )
    )
    page = domain.list_leads(access, filters, limit, cursor)
    return LeadList(items=page.leads, next_cursor=page.next_cursor)


def lead_filter(given: LeadFilterIn) -> domain.LeadFilter:
    """The one translation of the list filters into the domain's LeadFilter (list, bulk jobs, exports)."""
    return domain.LeadFilter(
        status=given.status,
        label=given.label,
        assignee=given.assignee,
        access_status=given.access_status.value if given.access_status else None,
        source=given.source,
        form_id=given.form_id,
        traffic=given.traffic,
        created_from=_utc(given.created_from),
        created_to=_utc(given.created_to),
        updated_since=_utc(given.updated_since),
        expiring_within_days=given.expiring_within_days,
        q=given.q,
        ad_account_id=given.ad_account_id,
    )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SummaryOut(FromAttributes):
    by_status: dict[str, int]
    total: int
    expiring_within_7_days: int


@router.get(
    "/accounts/<account_id>/summary",
    operation_id="getLeadSummary",
    tags=[TAG],
    summary="Lead counts by status, and how many expire within 7 days",
)
def summary(account_id: AccountId) -> SummaryOut:
    access = authorize(caller_id(router), account_id, Action.LEADS_VIEW)
    result = domain.summary(access)
    return SummaryOut.model_validate(result)


@router.get(
    "/accounts/<account_id>/leads/<lead_id>",
    operation_id="getLead",
    tags=[TAG],
    summary="One lead; the first read marks it accessed",
)
def get_lead(account_id: AccountId, lead_id: LeadId) -> Lead:
    access = authorize(caller_id(router), account_id, Action.LEADS_VIEW)
    return domain.get_lead(access, lead_id)


@router.patch(
    "/accounts/<account_id>/leads/<lead_id>",
    operation_id="patchLead",
    tags=[TAG],
    summary="Change status, assignee, labels or contact",
)
def patch_lead(
    account_id: AccountId,
    lead_id: LeadId,
    body: LeadPatchIn,
    if_match: Annotated[str | None, Header(alias="If-Match", description="the version you read")] = None,
) -> Lead:
    access = authorize(caller_id(router), account_id, Action.LEADS_MANAGE)
    fields_set = body.model_fields_set
    if not fields_set:
        raise BadRequest("nothing to change: send status, assignee, add_labels, remove_labels or contact")
    if "contact" in fields_set and body.contact is None:
        raise BadRequest("contact cannot be null; send the fields to change (a field set to null clears it)")
    patch = domain.LeadPatch(
        status=body.status,
        assignee=body.assignee,
        clear_assignee="assignee" in fields_set and body.assignee is None,
        add_labels=frozenset(body.add_labels),
        remove_labels=frozenset(body.remove_labels),
        contact=body.contact,
        contact_fields=frozenset(body.contact.model_fields_set) if body.contact is not None else frozenset(),
    )
    if "status" in fields_set and body.status is None:
        raise BadRequest("status cannot be null")
    return domain.update_lead(access, lead_id, patch, if_match_version(if_match, "lead"))


@router.delete(
    "/accounts/<account_id>/leads/<lead_id>",
    operation_id="deleteLead",
    tags=[TAG],
    summary="Delete a lead and all its personal data (admin)",
    status_code=204,
)
def delete_lead(account_id: AccountId, lead_id: LeadId) -> tuple[dict[str, Any], int]:
    access = authorize(caller_id(router), account_id, Action.LEADS_DELETE)
    domain.delete_lead(access, lead_id)
    return {}, 204


@router.get(
    "/accounts/<account_id>/leads/<lead_id>/activity",
    operation_id="listLeadActivity",
    tags=[TAG],
    summary="The lead's timeline, oldest first",
)
def activity(account_id: AccountId, lead_id: LeadId) -> ActivityList:
    access = authorize(caller_id(router), account_id, Action.LEADS_VIEW)
    events = domain.timeline(access, lead_id)
    return ActivityList(items=[ActivityOut.model_validate(e) for e in events])
