"""Configuration of the CRM sync (issue 9), validated once per cold start like `leadcenter.config`.

Kept apart from `config.Settings` (the foundation's), as `capture_settings` is; the CRM queue's URL is there
already (`settings().crm_queue_url`).
"""

from __future__ import annotations

import functools
import os

from pydantic import BaseModel, Field


class CrmSettings(BaseModel):
    dead_letter_queue_url: str = Field(default="", alias="CRM_DEAD_LETTER_QUEUE_URL")
    # The ad platform's events endpoint for status feedback when an account has not set its own; empty = off.
    events_endpoint: str = Field(default="", alias="CRM_EVENTS_ENDPOINT")
    # Per attempt, one hard deadline for all of it: lookup, connect, TLS, sending and the whole answer.
    timeout_seconds: float = Field(default=10.0, gt=0, le=30, alias="CRM_TIMEOUT_SECONDS")
    # A delivery is retried this long after its change, then it fails (and goes to the dead-letter queue).
    retry_window_seconds: int = Field(default=72 * 3600, ge=60, alias="CRM_RETRY_WINDOW_SECONDS")
    # An endpoint with no successful delivery for this long while failing is disabled.
    disable_after_seconds: int = Field(default=24 * 3600, ge=60, alias="CRM_DISABLE_AFTER_SECONDS")
    # Exponential backoff with full jitter: the n-th retry waits uniform(1 s, min(cap, base * 2^(n-1))).
    backoff_base_seconds: float = Field(default=30.0, gt=0, alias="CRM_BACKOFF_BASE_SECONDS")
    backoff_cap_seconds: float = Field(default=4 * 3600.0, gt=0, alias="CRM_BACKOFF_CAP_SECONDS")
    # Per destination, across every worker container: attempts in flight at once (more wait: deferred, not failed).
    max_in_flight_per_endpoint: int = Field(default=4, ge=1, le=100, alias="CRM_MAX_IN_FLIGHT")
    # Circuit breaker per destination: this many failures in a row open it for the cool-down, then one probe.
    breaker_failures: int = Field(default=5, ge=1, alias="CRM_BREAKER_FAILURES")
    breaker_cooldown_seconds: float = Field(default=60.0, gt=0, alias="CRM_BREAKER_COOLDOWN_SECONDS")
    max_webhooks_per_account: int = Field(default=10, ge=1, alias="CRM_MAX_WEBHOOKS")
    # Idempotency records of queue messages outlive SQS's redeliveries (4 days of retention).
    idempotency_seconds: int = Field(default=4 * 24 * 3600, ge=3600, alias="CRM_IDEMPOTENCY_SECONDS")
    # How long resolving an endpoint's host may take before the URL is refused as unresolvable.
    dns_timeout_seconds: float = Field(default=3.0, gt=0, le=30, alias="CRM_DNS_TIMEOUT_SECONDS")

    # Salesforce connector: instance URLs (and the instance a token answer names) must be on one of these domains
    # outside the local runner; the client secret is sent nowhere else.
    salesforce_host_suffixes: str = Field(default=".salesforce.com,.force.com", alias="SALESFORCE_HOST_SUFFIXES")

    model_config = {"populate_by_name": True, "extra": "ignore"}


@functools.cache
def crm_settings() -> CrmSettings:
    return CrmSettings.model_validate(dict(os.environ))


def reset_crm_settings() -> None:
    """Tests change the environment; forget the cached copy."""
    crm_settings.cache_clear()
