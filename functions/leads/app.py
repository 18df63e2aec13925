"""Leads Center API: accounts, members, leads, labels, notes, forms, jobs, conversations, auto-capture settings,
reports, lead ads (campaigns, ad groups, ads). Thin: routers and logic live in the layer; each router is imported
by the first request for one of its routes (leadcenter.api.routing), not at cold start."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadcenter.api.routing import LazyRouters
from leadcenter.observability import logger, metrics

app = LazyRouters(
    "leadcenter.api.accounts",
    "leadcenter.api.leads",
    "leadcenter.api.labels",
    "leadcenter.api.notes",
    "leadcenter.api.forms",
    "leadcenter.api.jobs",
    "leadcenter.api.conversations",
    "leadcenter.api.auto_capture",
    "leadcenter.api.reports",
    "leadcenter.api.lead_ads",
    "leadcenter.api.notifications",
    "leadcenter.api.openapi",
)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
