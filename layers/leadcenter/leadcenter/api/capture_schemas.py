"""Request and response models of the capture routes (webhook, conversations, auto-capture, attribution, reports)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, HttpUrl, field_validator, model_validator

from leadcenter.api.schemas import POLICY_URL_SCHEMA, FromAttributes, Strict, not_bool, policy_url_length

GroupBy = Literal["ad", "adgroup", "campaign"]


class WebhookAccepted(BaseModel):
    accepted: bool = True
    event_id: str


class AutoCaptureIn(Strict):
    privacy_policy_url: HttpUrl | None = Field(
        default=None,
        description="the advertiser's privacy policy, https only (or privacy_policy_upload)",
        json_schema_extra=POLICY_URL_SCHEMA,
    )
    privacy_policy_upload: str | None = Field(
        default=None,
        max_length=300,
        description="the key of a PDF uploaded through POST .../auto-capture/privacy-policy-upload",
    )
    company_name: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_policy(self) -> AutoCaptureIn:
        if (self.privacy_policy_url is None) == (self.privacy_policy_upload is None):
            raise ValueError("send either privacy_policy_url or privacy_policy_upload")
        return self

    _length = field_validator("privacy_policy_url", mode="before")(policy_url_length)

    @field_validator("privacy_policy_url")
    @classmethod
    def _https(cls, value: HttpUrl | None) -> HttpUrl | None:
        if value is not None and value.scheme != "https":
            raise ValueError("the privacy policy URL must use https")
        return value

    @field_validator("company_name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the company name is empty")
        return value


class PrivacyPolicyUploadOut(BaseModel):
    url: str = Field(description="POST a multipart form here: every field below, then `file` (last)")
    fields: dict[str, str]
    key: str = Field(description="send it as privacy_policy_upload with PUT .../auto-capture")
    max_bytes: int
    content_type: str
    expires_in_seconds: int


class AutoCapturePatchIn(Strict):
    enabled: bool = Field(strict=True)


class ReviewIn(Strict):
    decision: Literal["approved", "rejected"]
    reason: str | None = Field(default=None, max_length=500)


class AutoCaptureOut(FromAttributes):
    account_id: str
    status: Literal["pending", "approved", "rejected"]
    enabled: bool
    privacy_policy_url: str | None = None
    privacy_policy_upload: str | None = Field(default=None, description="the uploaded PDF's key, when one was sent")
    company_name: str
    applied_by: str
    applied_at: str
    reviewed_at: str | None = None
    decision_reason: str | None = None
    review_due_at: str | None = Field(default=None, description="local runner only: when it approves by itself")


class AttributionWindowsIn(Strict):
    """Either window may be left out to keep its current value."""

    click_window_days: int | None = Field(
        default=None, ge=1, le=28, description="a click attributes leads this many days"
    )
    view_window_days: int | None = Field(
        default=None, ge=0, le=7, description="a view attributes leads this many days (0: views never do)"
    )

    _integers = field_validator("click_window_days", "view_window_days", mode="before")(not_bool)


class AttributionWindowsOut(FromAttributes):
    click_window_days: int
    view_window_days: int
    updated_at: str | None = None


class ConversationEventOut(FromAttributes):
    id: str = Field(validation_alias="key")
    type: str
    summary: str = Field(description="the notice as the DM page shows it")
    at: str
    actor: str
    lead_id: str | None = None
    data: dict[str, object] = Field(default_factory=dict)


class ConversationEventList(BaseModel):
    items: list[ConversationEventOut]
    next_cursor: str | None = None
