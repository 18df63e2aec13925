"""CRM integrations API: webhooks, Salesforce, status events, delivery log, replay, test leads (routers: layer,
each imported by the first request for one of its routes: leadcenter.api.routing)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadcenter.api.routing import LazyRouters
from leadcenter.observability import logger

app = LazyRouters("leadcenter.api.integrations", "leadcenter.api.salesforce")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
