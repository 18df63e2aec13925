"""Daily retention sweep: deletes lead items that TTL has not removed yet, in every storage region."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadcenter.domain import retention
from leadcenter.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = retention.sweep()
    metrics.add_metric(name="ExpiredItemsDeleted", unit=MetricUnit.Count, value=result.deleted)
    metrics.add_metric(name="SweepWriteRequests", unit=MetricUnit.Count, value=result.write_requests)
    summary = {region: vars(stats) for region, stats in result.regions.items()}
    logger.info("retention sweep done", extra={"deleted": result.deleted, "regions": summary})
    return {"deleted": result.deleted, "write_requests": result.write_requests, "regions": summary}
