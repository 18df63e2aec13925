"""An API function serving several routers imports each one on the first request for one of its routes.

Importing every router at cold start builds every route's request and response models and imports every domain
and store module behind them (the leads function: twelve routers, ~2x the botocore floor, bench cold_init_ms_*),
while one invocation uses one route. Here the function names its router modules; a request picks its router by
the resource API Gateway matched (the template's route path), and that router gets a resolver of its own, built
once per container. A resolver per router, rather than routers added to one resolver as requests come, keeps
route matching the same whatever the order earlier requests came in.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from leadcenter.http import build_resolver

# Resource path prefix -> the router module serving it; the longest prefix wins, `{...}` matches any segment.
# tests/test_cold_init.py checks every route of every router (leadcenter.api.ROUTER_MODULES) lands on its own.
ROUTE_PREFIXES: dict[str, str] = {
    "/accounts": "leadcenter.api.accounts",
    "/accounts/{account_id}/adgroups": "leadcenter.api.lead_ads",
    "/accounts/{account_id}/ads": "leadcenter.api.lead_ads",
    "/accounts/{account_id}/campaigns": "leadcenter.api.lead_ads",
    "/accounts/{account_id}/attribution": "leadcenter.api.auto_capture",
    "/accounts/{account_id}/auto-capture": "leadcenter.api.auto_capture",
    "/review/auto-capture": "leadcenter.api.auto_capture",
    "/accounts/{account_id}/conversations": "leadcenter.api.conversations",
    "/accounts/{account_id}/exports": "leadcenter.api.jobs",
    "/accounts/{account_id}/jobs": "leadcenter.api.jobs",
    "/accounts/{account_id}/leads/bulk": "leadcenter.api.jobs",
    "/accounts/{account_id}/forms": "leadcenter.api.forms",
    "/accounts/{account_id}/integrations": "leadcenter.api.integrations",
    "/accounts/{account_id}/integrations/salesforce": "leadcenter.api.salesforce",
    "/accounts/{account_id}/labels": "leadcenter.api.labels",
    "/accounts/{account_id}/lead-access": "leadcenter.api.lead_access",
    "/accounts/{account_id}/leads": "leadcenter.api.leads",
    "/accounts/{account_id}/summary": "leadcenter.api.leads",
    "/accounts/{account_id}/leads/{lead_id}/notes": "leadcenter.api.notes",
    "/accounts/{account_id}/reports": "leadcenter.api.reports",
    "/notifications": "leadcenter.api.notifications",
    "/openapi.json": "leadcenter.api.openapi",
    "/webhooks": "leadcenter.api.capture",
}
_PREFIXES = sorted(((tuple(prefix.split("/")), module) for prefix, module in ROUTE_PREFIXES.items()), reverse=True)


def router_module(resource: str) -> str | None:
    """The router module serving a resource path (`/accounts/{account_id}/leads`), or None."""
    segments = resource.split("/")
    best: tuple[int, str | None] = (0, None)
    for prefix, module in _PREFIXES:
        if len(prefix) > best[0] and len(prefix) <= len(segments) and _matches(prefix, segments):
            best = (len(prefix), module)
    return best[1]


def _matches(prefix: tuple[str, ...], segments: list[str]) -> bool:
    return all(p == s or (p.startswith("{") and p.endswith("}")) for p, s in zip(prefix, segments, strict=False))


class LazyRouters:
    """The resolvers of one API function: one per router module, built on the first request it serves."""

    def __init__(self, *modules: str) -> None:
        self.modules = frozenset(modules)
        self._resolvers: dict[str | None, APIGatewayRestResolver] = {}
        self._lock = threading.Lock()

    def resolver(self, event: Mapping[str, Any]) -> APIGatewayRestResolver:
        module = router_module(str(event.get("resource") or event.get("path") or ""))
        if module not in self.modules:
            module = None  # not this function's route: a resolver without routes answers 404
        resolver = self._resolvers.get(module)
        if resolver is None:
            with self._lock:
                resolver = self._resolvers.get(module)
                if resolver is None:
                    resolver = build_resolver()
                    if module is not None:
                        resolver.include_router(importlib.import_module(module).router)
                    self._resolvers[module] = resolver
        return resolver

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return self.resolver(event).resolve(event, context)
