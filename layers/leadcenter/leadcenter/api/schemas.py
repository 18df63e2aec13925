"""Request and response models: they validate input and drive the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from leadcenter.model import Attribution, Contact, FormData, Lead, LeadStatus

AccountType = Literal["ad_account", "business_center"]
Role = Literal["admin", "operator", "analyst"]
Scope = Literal["leads_center", "download", "crm"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    type: AccountType
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")


class AccountOut(BaseModel):
    id: str
    name: str
    type: AccountType
    country: str
    role: Role
    lead_access: list[Scope] = Field(default_factory=list)
    created_at: str
    lead_access_transferred_to: str | None = None


class AccountList(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None = None


class MemberIn(Strict):
    role: Role
    lead_access: list[Scope] | None = None


class MemberOut(BaseModel):
    user_id: str
    role: Role
    lead_access: list[Scope]
    added_at: str


class MemberList(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None = None


class LeadIn(Strict):
    region: str = Field(min_length=2, max_length=2, description="Registration country, ISO 3166-1 alpha-2")
    contact: Contact
    ad: Attribution | None = None
    form: FormData | None = None


class LeadPatchIn(Strict):
    status: LeadStatus | None = None
    assignee: str | None = Field(default=None, max_length=128)
    add_labels: list[str] = Field(default_factory=list, max_length=50)
    remove_labels: list[str] = Field(default_factory=list, max_length=50)


class LeadList(BaseModel):
    items: list[Lead]
    next_cursor: str | None = None


class ActivityOut(BaseModel):
    id: str
    type: str
    actor: str
    at: str
    data: dict[str, object] = Field(default_factory=dict)


class ActivityList(BaseModel):
    items: list[ActivityOut]
    next_cursor: str | None = None


class Webhook(Strict):
    url: HttpUrl
