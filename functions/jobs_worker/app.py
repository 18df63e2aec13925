"""Jobs worker: starts bulk changes and exports, and applies their chunks, from the jobs queue.

The batch set-up (partial batch responses, logging, metrics) is `leadcenter.sqs_worker`'s: a crash on one message
redelivers that message, not its batch. Every step is safe to run again (see leadcenter.domain.job_chunks): a
redelivered chunk changes no lead twice and is counted once; an export step resumes from its checkpoint; the last
delivery records what failed (and JobsDeadLetterFunction what a crashed last delivery could not).
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadcenter.domain import job_worker, jobs
from leadcenter.observability import logger
from leadcenter.sqs_worker import SQSRecord, sqs_handler


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    try:
        message = jobs.JobMessage.model_validate_json(record.body)
    except ValidationError:
        # Not ours, or from an older release: retrying cannot help, so it is dropped (and logged).
        logger.error("unreadable job message dropped", extra={"message_id": record.message_id})
        return
    # The invocation's remaining time bounds an export step (Powertools passes the context to this parameter).
    remaining = lambda_context.get_remaining_time_in_millis if lambda_context is not None else None
    job_worker.handle(message, delivery=record.receive_count, remaining_ms=remaining)


lambda_handler = sqs_handler(record_handler, raise_on_entire_batch_failure=False)
