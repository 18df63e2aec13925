"""Leads Center API: accounts, members, leads, labels, notes, forms, jobs, conversations, auto-capture settings,
reports, lead ads (campaigns, ad groups, ads). Thin: routers and logic live in the layer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadcenter.api import (
    accounts,
    auto_capture,
    conversations,
    forms,
    jobs,
    labels,
    lead_ads,
    leads,
    notes,
    notifications,
    openapi,
    reports,
)
from leadcenter.http import build_resolver
from leadcenter.observability import logger, metrics

app = build_resolver()
for module in (
    accounts,
    leads,
    labels,
    notes,
    forms,
    jobs,
    conversations,
    auto_capture,
    reports,
    lead_ads,
    notifications,
    openapi,
):
    app.include_router(module.router)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
