"""Configuration of auto-capture (issue 4), validated once per cold start like `leadcenter.config`.

Kept apart from `config.Settings` only because that module belongs to the foundation; the fields could move
there unchanged.
"""

from __future__ import annotations

import functools
import os

from pydantic import BaseModel, Field

from leadcenter.config import settings


class CaptureSettings(BaseModel):
    # Deployed: the Secrets Manager secret the template creates (or the one passed as WebhookSecretArn), read
    # at cold start and cached, so the secret never sits in the function's configuration.
    webhook_secret_arn: str = Field(default="", alias="WEBHOOK_SECRET_ARN")
    # Local runner only: a pending application is approved this long after it was made.
    auto_capture_review_seconds: float = Field(default=2.0, ge=0, alias="AUTO_CAPTURE_REVIEW_SECONDS")
    # Idempotency records outlive the platform's 72 h of redeliveries.
    idempotency_seconds: int = Field(default=4 * 24 * 3600, ge=72 * 3600, alias="CAPTURE_IDEMPOTENCY_SECONDS")

    model_config = {"populate_by_name": True, "extra": "ignore"}


@functools.cache
def capture_settings() -> CaptureSettings:
    return CaptureSettings.model_validate(dict(os.environ))


def markets() -> list[str]:
    return [code.strip().upper() for code in settings().auto_capture_markets.split(",") if code.strip()]


class MissingWebhookSecret(RuntimeError):
    """Deployed without a secret: refuse every event rather than trust the public local default."""


def webhook_secret() -> str:
    arn = capture_settings().webhook_secret_arn
    if arn.startswith("arn:") and not settings().local_mode:
        from aws_lambda_powertools.utilities import parameters

        # Cached for 5 minutes: a rotated secret is picked up without a redeploy.
        return str(parameters.get_secret(arn, max_age=300))
    if not settings().local_mode and "webhook_secret" not in settings().model_fields_set:
        raise MissingWebhookSecret("set WEBHOOK_SECRET_ARN (or WEBHOOK_SECRET)")
    return settings().webhook_secret


def reset_capture_settings() -> None:
    capture_settings.cache_clear()
