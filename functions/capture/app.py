"""Messaging webhook intake: verify the signature, queue the raw event, answer 202. Thin: the router lives in the
shared layer. Signatures are checked before routing (`leadcenter.api.capture.resolve`), because the resolver
parses JSON bodies before any route runs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadcenter.api import capture
from leadcenter.http import build_resolver
from leadcenter.observability import logger

app = build_resolver()
app.include_router(capture.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return capture.resolve(app, event, context)
