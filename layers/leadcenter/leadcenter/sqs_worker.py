"""The one set-up of every SQS-triggered worker: a function's `app.py` names its record handler, and this makes
its `lambda_handler`.

Powertools batch processing reports the failed records only (ReportBatchItemFailures), so a crash on one message
redelivers that message, not its batch. The handler carries the Lambda context into the logs, flushes the business
metrics the records emitted, and, for a worker with idempotent steps, lets in-progress idempotency records expire
with the invocation's remaining time, so a crashed run does not block the redelivery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse, PartialItemFailures
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadcenter.config import settings
from leadcenter.observability import logger, metrics

SQSHandler = Callable[[dict[str, Any], LambdaContext], PartialItemFailureResponse]


def idempotency_for(
    key_jmespath: str, expires_after_seconds: int
) -> tuple[IdempotencyConfig, DynamoDBPersistenceLayer]:
    """Idempotency keyed on a field of each message, recorded in the idempotency table; a message without the key
    is an error rather than processed unguarded."""
    config = IdempotencyConfig(
        event_key_jmespath=key_jmespath,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )
    return config, DynamoDBPersistenceLayer(table_name=settings().idempotency_table)


def sqs_handler(
    record_handler: Callable[[SQSRecord], Any],
    *,
    idempotency: IdempotencyConfig | None = None,
    raise_on_entire_batch_failure: bool = True,
) -> SQSHandler:
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=raise_on_entire_batch_failure)

    @metrics.log_metrics
    @logger.inject_lambda_context
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        if idempotency is not None:
            idempotency.register_lambda_context(context)
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    return lambda_handler


def sqs_batch_handler(batch_handler: Callable[[list[SQSRecord]], list[Exception | None]]) -> SQSHandler:
    """For a worker that processes a batch as a whole (to share its AWS requests): `batch_handler` returns, per
    record in order, None when it is done or the exception that sends it back to the queue. Reported as partial
    batch failures, as `sqs_handler` does; an exception out of `batch_handler` itself fails the whole batch."""

    @metrics.log_metrics
    @logger.inject_lambda_context
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        records = [SQSRecord(raw) for raw in event.get("Records", [])]
        failures: list[PartialItemFailures] = []
        for record, failure in zip(records, batch_handler(records), strict=True):
            if failure is not None:
                logger.error(
                    "record failed; SQS delivers it again",
                    extra={"message_id": record.message_id, "error": type(failure).__name__},
                    exc_info=failure,
                )
                failures.append({"itemIdentifier": record.message_id})
        return {"batchItemFailures": failures}

    return lambda_handler
