"""Events the messaging platform sends to `POST /webhooks/messages` (CONTRACT.md, "Messaging webhook").

The platform owns this format and may add fields, so unknown fields are ignored rather than rejected (our
own API forbids them). The webhook validates an event with these models before it queues it, and the
worker parses the queued raw body with the same models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import date as date_type
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from leadcenter.regions import region_router

# Conversation ids appear in URL paths (/conversations/{c}/...): only characters that need no escaping there.
CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9._:@=+~-]+$"
# Money: a non-negative decimal string with at most 2 decimals (domain/money.py keeps it in cents).
AMOUNT_PATTERN = r"^[0-9]{1,13}(\.[0-9]{1,2})?$"


class _Platform(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class PlatformUser(_Platform):
    id: str = Field(min_length=1, max_length=256, description="the platform's user id (never stored in clear)")
    display_name: str | None = Field(default=None, max_length=1000)
    region: str = Field(min_length=2, max_length=2, description="registration country, ISO 3166-1 alpha-2")

    @field_validator("region")
    @classmethod
    def _iso_country(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in region_router().countries:
            raise ValueError("not an ISO 3166-1 alpha-2 country code")
        return code


class DirectMessage(_Platform):
    id: str = Field(min_length=1, max_length=256)
    text: str = Field(description="read once for contact detection, never stored or logged")


class PlatformAnswer(_Platform):
    question: str = Field(min_length=1, max_length=500)
    answer: str = Field(max_length=5000)


class FormSubmission(_Platform):
    form_id: str = Field(min_length=1, max_length=64)
    answers: list[PlatformAnswer] = Field(default_factory=list, max_length=100)


class AdTouch(_Platform):
    kind: Literal["click", "view"]
    ad_id: str = Field(min_length=1, max_length=64)
    ad_name: str | None = Field(default=None, max_length=200)
    adgroup_id: str | None = Field(default=None, max_length=64)
    adgroup_name: str | None = Field(default=None, max_length=200)
    campaign_id: str | None = Field(default=None, max_length=64)
    campaign_name: str | None = Field(default=None, max_length=200)


class AdSpend(_Platform):
    ad_id: str = Field(min_length=1, max_length=64)
    date: date_type = Field(description="the day the spend is for (YYYY-MM-DD)")
    amount: str = Field(pattern=AMOUNT_PATTERN, description="decimal string, at most 2 decimals", examples=["12.34"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217", examples=["SGD"])


class _Event(_Platform):
    """What every event carries; each type adds its own part, required (a discriminated union on `type`)."""

    event_id: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    account_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    occurred_at: datetime
    conversation_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=CONVERSATION_ID_PATTERN)
    user: PlatformUser

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MessageReceived(_Event):
    type: Literal["message.received"]
    message: DirectMessage


class FormSubmitted(_Event):
    type: Literal["form.submitted"]
    form: FormSubmission


class AdTouched(_Event):
    type: Literal["ad.touch"]
    touch: AdTouch


class AdSpent(_Event):
    """Sets the ad's spend for a day; a statement that occurred later restates it. No person: `user` optional."""

    type: Literal["ad.spend"]
    user: PlatformUser | None = None  # type: ignore[assignment]
    spend: AdSpend


class ErasureRequested(_Event):
    type: Literal["user.erasure_requested"]


# Other parts an event may carry (`form` on a message, say) are ignored like any unknown field.
PlatformEventTypes = MessageReceived | FormSubmitted | AdTouched | AdSpent | ErasureRequested
PlatformEvent = Annotated[PlatformEventTypes, Field(discriminator="type")]
PLATFORM_EVENT: TypeAdapter[PlatformEvent] = TypeAdapter(PlatformEvent)
