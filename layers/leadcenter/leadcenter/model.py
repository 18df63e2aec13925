"""Domain types of the Leads Center, shared by logic, data access and the API."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

Traffic = Literal["organic", "paid"]


class LeadStatus(StrEnum):
    RAW = "raw"
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"
    CONTACTED = "contacted"
    CONVERTED = "converted"


class LeadSource(StrEnum):
    FORM = "form"
    MESSAGE = "message"
    MANUAL = "manual"


class AccessStatus(StrEnum):
    ACCESSED = "accessed"
    NOT_ACCESSED = "not_accessed"


ContactKind = Literal[
    "email",
    "phone",
    "whatsapp",
    "instagram",
    "facebook",
    "messenger",
    "line",
    "twitter",
    "linkedin",
    "weibo",
    "wechat",
    "snapchat",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OtherContact(_Strict):
    kind: ContactKind
    value: str = Field(min_length=1, max_length=320)


class Contact(_Strict):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    others: list[OtherContact] = Field(default_factory=list, max_length=50)


class Attribution(_Strict):
    ad_id: str | None = Field(default=None, max_length=64)
    ad_name: str | None = Field(default=None, max_length=200)
    adgroup_id: str | None = Field(default=None, max_length=64)
    adgroup_name: str | None = Field(default=None, max_length=200)
    campaign_id: str | None = Field(default=None, max_length=64)
    campaign_name: str | None = Field(default=None, max_length=200)


class FormAnswer(_Strict):
    question: str = Field(min_length=1, max_length=500)
    answer: str = Field(max_length=5000)


class FormData(_Strict):
    form_id: str | None = Field(default=None, max_length=64)
    form_name: str | None = Field(default=None, max_length=200)
    answers: list[FormAnswer] = Field(default_factory=list, max_length=100)


class LabelRef(BaseModel):
    id: str
    name: str


class Lead(BaseModel):
    id: str
    account_id: str
    region: str = Field(description="The person's registration country (ISO 3166-1 alpha-2)")
    status: LeadStatus = LeadStatus.RAW
    labels: list[LabelRef] = Field(default_factory=list)
    assignee: str | None = None
    source: LeadSource
    contact: Contact = Field(default_factory=Contact)
    ad: Attribution = Field(default_factory=Attribution)
    form: FormData = Field(default_factory=FormData)
    access_status: AccessStatus = AccessStatus.NOT_ACCESSED
    accessed_by: str | None = None
    accessed_at: str | None = None
    created_at: str
    updated_at: str
    expires_at: str
    days_left: int = 0
    version: int = 1
    storage_region: str = Field(description="AWS region holding the personal data")
    conversation_id: str | None = None

    @computed_field(description="paid: attributed to an ad (last touch); organic: no ad touch attributed")  # type: ignore[prop-decorator]
    @property
    def traffic(self) -> Traffic:
        return "paid" if self.ad.ad_id else "organic"
