"""HTTP routers (Powertools Router per domain) and their request/response models."""

from __future__ import annotations

import importlib
from typing import Any

# Every API router module, whichever function includes it: the OpenAPI document and route tests read this.
ROUTER_MODULES = [
    "leadcenter.api.accounts",
    "leadcenter.api.leads",
    "leadcenter.api.labels",
    "leadcenter.api.notes",
    "leadcenter.api.forms",
    "leadcenter.api.lead_access",
    "leadcenter.api.capture",
    "leadcenter.api.conversations",
    "leadcenter.api.auto_capture",
    "leadcenter.api.reports",
    "leadcenter.api.lead_ads",
    "leadcenter.api.jobs",
    "leadcenter.api.integrations",
    "leadcenter.api.notifications",
]


def all_routers() -> list[Any]:
    return [importlib.import_module(name).router for name in ROUTER_MODULES]
