"""Jobs worker: starts bulk changes and exports, and applies their chunks, from the jobs queue.

Powertools batch processing reports only the failed records (ReportBatchItemFailures), so a crash on one
message redelivers that message, not its batch. Every step is safe to run again (see leadcenter.domain.jobs):
a redelivered chunk changes no lead twice and is counted once; the last delivery records what failed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadcenter.domain import jobs
from leadcenter.observability import logger

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    try:
        message = jobs.JobMessage.model_validate_json(record.body)
    except ValidationError:
        # Not ours, or from an older release: retrying cannot help, so it is dropped (and logged).
        logger.error("unreadable job message dropped", extra={"message_id": record.message_id})
        return
    jobs.handle(message, delivery=int(record.attributes.approximate_receive_count or 1))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
