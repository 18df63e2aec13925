"""Capture worker: platform events from the capture queue, each processed once per event_id.

Powertools batch processing reports failed records only (ReportBatchItemFailures), so a crash on one event
redelivers that event, not its batch; after 5 receives SQS moves it to the dead-letter queue (4 days).
Powertools idempotency, keyed on event_id, keeps a record of each event for 4 days (the platform redelivers
for 72 h): a repeat returns the stored outcome, and an event still in progress elsewhere raises, so that
record fails here and SQS delivers it again later, when the first run has finished or timed out.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadcenter.capture_settings import capture_settings
from leadcenter.config import settings
from leadcenter.domain import capture
from leadcenter.errors import BadRequest, NotFound, Unprocessable
from leadcenter.observability import logger

processor = BatchProcessor(event_type=EventType.SQS)
persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table)
idempotency = IdempotencyConfig(
    event_key_jmespath="event_id",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=capture_settings().idempotency_seconds,
)


@idempotent_function(data_keyword_argument="event", config=idempotency, persistence_store=persistence)
def process_event(event: dict[str, Any]) -> dict[str, Any]:
    try:
        outcome = capture.process(event).as_dict()
    except (NotFound, Unprocessable, BadRequest) as exc:
        # Permanent: retrying cannot help. Recorded as the outcome, so a redelivery is not retried either.
        outcome = {"event_id": event.get("event_id"), "result": "rejected", "reason": exc.code}
    logger.info(
        "capture event processed",
        extra={"event_id": outcome.get("event_id"), "event_type": outcome.get("type"), "result": outcome.get("result")},
    )
    return outcome


def record_handler(record: SQSRecord) -> dict[str, Any]:
    return process_event(event=json.loads(record.body))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # In-progress records expire with this invocation's remaining time, so a crashed run does not block retries.
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
