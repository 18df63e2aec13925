"""Request and response models: they validate input and drive the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from leadcenter.model import AccessStatus, Attribution, Contact, FormData, Lead, LeadSource, LeadStatus, Traffic

AccountType = Literal["ad_account", "business_center"]
Role = Literal["admin", "operator", "analyst"]
Scope = Literal["leads_center", "download", "crm"]
# ISO 3166-1 alpha-2 (the code a lead's region is picked by), either case: stored and shown upper case.
COUNTRY_PATTERN = r"^[A-Za-z]{2}$"
# A list cursor: opaque (a signed, URL-safe base64 blob, leadcenter.cursors); pass `next_cursor` back unchanged.
CURSOR_PATTERN = r"^[A-Za-z0-9_=-]*$"  # empty: the first page
Cursor = Annotated[
    str | None,
    Query(
        max_length=2048,
        pattern=CURSOR_PATTERN,
        description="`next_cursor` of the previous page, unchanged (URL-encoded). Opaque and signed: it is bound "
        "to this list, account and query; an altered or foreign one is a 400.",
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FromAttributes(BaseModel):
    """A response model read from a domain object's attributes: `Model.model_validate(obj)`. Where the
    attribute's name differs, the field's `validation_alias` names it; the document and the JSON show the
    field's own name (responses are documented in serialization mode, which ignores validation aliases)."""

    model_config = ConfigDict(from_attributes=True, validate_by_name=True, validate_by_alias=True)


class AccountIn(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Acme SG", "type": "ad_account", "country": "SG"}]}
    )

    name: str = Field(min_length=1, max_length=120)
    type: AccountType
    country: str = Field(min_length=2, max_length=2, pattern=COUNTRY_PATTERN, description="ISO 3166-1 alpha-2")


class AccountOut(FromAttributes):
    id: str = Field(validation_alias="account_id")
    name: str
    type: AccountType
    country: str
    role: Role
    lead_access: list[Scope] = Field(default_factory=list)
    created_at: str
    lead_access_transferred_to: str | None = Field(default=None, validation_alias="lead_access_holder")


class AccountList(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None = None


class MemberIn(Strict):
    role: Role
    lead_access: list[Scope] | None = None


class MemberOut(FromAttributes):
    user_id: str
    role: Role
    lead_access: list[Scope]
    added_at: str


class MemberList(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None = None


class LeadIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "region": "SG",
                    "contact": {"name": "Tan Mei Ling", "email": "mei@example.com", "phone": "+6591234567"},
                }
            ]
        },
    )

    region: str = Field(
        min_length=2, max_length=2, pattern=COUNTRY_PATTERN, description="Registration country, ISO 3166-1 alpha-2"
    )
    contact: Contact
    ad: Attribution | None = None
    form: FormData | None = None


class LeadPatchIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "qualified"}]},
    )

    status: LeadStatus | None = None
    assignee: str | None = Field(default=None, max_length=128)
    add_labels: list[str] = Field(default_factory=list, max_length=50)
    remove_labels: list[str] = Field(default_factory=list, max_length=50)
    contact: Contact | None = Field(
        default=None,
        description="the fields given replace those stored (null clears one), checked as on create: e-mail "
        "lower-cased, phone numbers to E.164 from the lead's region",
    )


class LeadFilterIn(Strict):
    """The list filters of GET /accounts/{a}/leads, as one model: the list route's query parameters and the
    `filter` body of bulk jobs and exports are validated and turned into a LeadFilter the same way."""

    status: LeadStatus | None = None
    label: str | None = Field(default=None, max_length=64)
    assignee: str | None = Field(default=None, max_length=128, description="a user id, or 'none'")
    access_status: AccessStatus | None = None
    source: LeadSource | None = None
    form_id: str | None = Field(default=None, max_length=64)
    traffic: Traffic | None = Field(default=None, description="organic (no ad touch attributed) or paid")
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_since: datetime | None = Field(default=None, description="incremental pull: oldest change first")
    expiring_within_days: int | None = Field(default=None, ge=0, le=90)
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="ad, ad group, campaign or form: id exactly, or name by case-insensitive substring",
    )
    ad_account_id: str | None = Field(default=None, max_length=64, description="Business Center: one ad account")


class LeadList(BaseModel):
    items: list[Lead]
    next_cursor: str | None = None


class ActivityOut(FromAttributes):
    id: str = Field(validation_alias="event_id")
    type: str
    actor: str
    at: str
    data: dict[str, object] = Field(default_factory=dict)


class ActivityList(BaseModel):
    items: list[ActivityOut]
    next_cursor: str | None = None


class Webhook(Strict):
    url: HttpUrl
