"""Environment configuration, validated once per cold start."""

from __future__ import annotations

import functools
import os

from pydantic import BaseModel, Field

# Public (it is in this repository): used by the local runner only, never deployed (leadcenter.cursors).
DEFAULT_CURSOR_SECRET = "local-cursor-secret"  # noqa: S105 - public on purpose, refused when deployed


class Settings(BaseModel):
    home_region: str = Field(default="us-east-1", alias="AWS_REGION")
    app_table: str = Field(default="leadcenter-app", alias="APP_TABLE_NAME")
    idempotency_table: str = Field(default="leadcenter-idempotency", alias="IDEMPOTENCY_TABLE_NAME")
    # Regional resources carry the same name in every storage region (one regional stack per region).
    leads_table: str = Field(default="leadcenter-leads", alias="LEADS_TABLE_NAME")
    lead_keys_table: str = Field(default="leadcenter-lead-keys", alias="LEAD_KEYS_TABLE_NAME")
    leads_key_alias: str = Field(default="alias/leadcenter-leads", alias="LEADS_KEY_ALIAS")
    blind_index_key_alias: str = Field(default="alias/leadcenter-blind-index", alias="BLIND_INDEX_KEY_ALIAS")
    capture_queue_url: str = Field(default="", alias="CAPTURE_QUEUE_URL")
    jobs_queue_url: str = Field(default="", alias="JOBS_QUEUE_URL")
    crm_queue_url: str = Field(default="", alias="CRM_QUEUE_URL")
    exports_bucket: str = Field(default="leadcenter-exports", alias="EXPORTS_BUCKET")
    webhook_secret: str = Field(default="local-webhook-secret", alias="WEBHOOK_SECRET")
    cursor_secret: str = Field(default=DEFAULT_CURSOR_SECRET, alias="CURSOR_SECRET")
    # Deployed: the Secrets Manager secret cursors are signed with (template `CursorSecret`), read when a list is.
    cursor_secret_arn: str = Field(default="", alias="CURSOR_SECRET_ARN")
    local_mode: bool = Field(default=False, alias="LEADCENTER_LOCAL")
    # Set by the Lambda runtime in every function; never by the local runner or the tests.
    lambda_function_name: str = Field(default="", alias="AWS_LAMBDA_FUNCTION_NAME")
    auto_capture_markets: str = Field(default="ID,SG,MY,PH,TH,VN", alias="AUTO_CAPTURE_MARKETS")
    retention_days: int = Field(default=90, alias="LEAD_RETENTION_DAYS")
    max_body_bytes: int = Field(default=256 * 1024, alias="MAX_BODY_BYTES")

    model_config = {"populate_by_name": True, "extra": "ignore"}


class LocalModeInLambda(RuntimeError):
    """LEADCENTER_LOCAL inside a real Lambda: local-only behaviour (loopback CRM URLs, auto-approval, public default
    secrets) must never switch on deployed, so the function refuses to start."""


def _refuse_local_mode_in_lambda(config: Settings) -> None:
    if config.local_mode and config.lambda_function_name:
        raise LocalModeInLambda(
            f"LEADCENTER_LOCAL is set in the Lambda function {config.lambda_function_name!r}: local mode is for the "
            "local runner and tests only; remove LEADCENTER_LOCAL from the function's environment"
        )


@functools.cache
def settings() -> Settings:
    config = Settings.model_validate(dict(os.environ))
    _refuse_local_mode_in_lambda(config)
    return config


def reset_settings() -> None:
    """Tests and the local runner change the environment; forget the cached copy."""
    settings.cache_clear()


# Cold start: every function imports this module, so a Lambda deployed with LEADCENTER_LOCAL fails here, before it
# serves anything, rather than at its first request. Only the two variables are read (nothing else is validated or
# echoed into the error).
_refuse_local_mode_in_lambda(
    Settings.model_validate(
        {k: os.environ[k] for k in ("LEADCENTER_LOCAL", "AWS_LAMBDA_FUNCTION_NAME") if k in os.environ}
    )
)
