"""CRM integrations API: webhooks, Salesforce, status events, delivery log, replay, test leads (routers: layer)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadcenter.api import integrations, salesforce
from leadcenter.http import build_resolver
from leadcenter.observability import logger

app = build_resolver()
app.include_router(integrations.router)
app.include_router(salesforce.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
