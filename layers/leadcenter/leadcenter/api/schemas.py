"""Request and response models: they validate input and drive the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl, field_validator
from pydantic.json_schema import SkipJsonSchema

from leadcenter.api.params import FromAttributes, Strict
from leadcenter.model import AccessStatus, Attribution, Contact, FormData, Lead, LeadSource, LeadStatus, Traffic
from leadcenter.regions import region_router

AccountType = Literal["ad_account", "business_center"]
Role = Literal["admin", "operator", "analyst"]
Scope = Literal["leads_center", "download", "crm"]


def country_pattern(codes: Iterable[str]) -> str:
    """The codes as one regex, either case, grouped by first letter: `^(?:[Aa][DdEe...]|[Bb][...]|...)$`."""
    seconds: dict[str, list[str]] = {}
    for code in sorted(codes):
        seconds.setdefault(code[0], []).append(code[1])
    both = "{0}{1}".format
    groups = (f"[{both(a, a.lower())}][{''.join(both(b, b.lower()) for b in rest)}]" for a, rest in seconds.items())
    return "^(?:" + "|".join(groups) + ")$"


# ISO 3166-1 alpha-2 (the code a lead's region is picked by), either case: stored and shown upper case. The
# pattern lists the codes the server knows (regions.json), so a generated client or fuzzer sees the real set.
COUNTRY_PATTERN = country_pattern(region_router().countries)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso(value: Any) -> Any:
    """A date or date-time is an ISO 8601 / RFC 3339 string: pydantic would also take a number (or "0.5") as
    Unix seconds."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and not _DATE.match(value)):
        raise ValueError("expected an ISO 8601 date or date-time, e.g. 2026-01-31 or 2026-01-31T00:00:00Z")
    return value


def not_bool(value: Any) -> Any:
    """An integer is a JSON number: pydantic would also take true and false as 1 and 0."""
    if isinstance(value, bool):
        raise ValueError("expected an integer, not a boolean")
    return value


# What the document says of a date-time (`format: date-time`) and a date, and nothing more. (Integers: `not_bool`
# as a before-validator of the field, which keeps `ge`/`le` where the document shows them.)
IsoDatetime = Annotated[datetime, BeforeValidator(_iso)]
IsoDate = Annotated[date, BeforeValidator(_iso)]
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


# A privacy policy URL as given (before pydantic normalises it): https, at most 2048 characters.
POLICY_URL_SCHEMA: dict[str, Any] = {"pattern": "^https://", "maxLength": 2048}


def policy_url_length(value: Any) -> Any:
    if isinstance(value, str) and len(value) > POLICY_URL_SCHEMA["maxLength"]:
        raise ValueError("the privacy policy URL is longer than 2048 characters")
    return value


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
        # an empty patch is refused (400 "nothing to change")
        json_schema_extra={"examples": [{"status": "qualified"}], "minProperties": 1},
    )

    status: LeadStatus | SkipJsonSchema[None] = None  # absent: unchanged; null is refused (400)
    assignee: str | None = Field(default=None, max_length=128)
    add_labels: list[str] = Field(default_factory=list, max_length=50)
    remove_labels: list[str] = Field(default_factory=list, max_length=50)
    # Absent means unchanged; `contact: null` is refused (400), so the document does not offer null.
    contact: Contact | SkipJsonSchema[None] = Field(
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
    created_from: IsoDatetime | None = None
    created_to: IsoDatetime | None = None
    updated_since: IsoDatetime | None = Field(default=None, description="incremental pull: oldest change first")
    expiring_within_days: int | None = Field(default=None, ge=0, le=90)
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="ad, ad group, campaign or form: id exactly, or name by case-insensitive substring",
    )
    ad_account_id: str | None = Field(default=None, max_length=64, description="Business Center: one ad account")

    _integers = field_validator("expiring_within_days", mode="before")(not_bool)


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
