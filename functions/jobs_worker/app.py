"""Jobs worker: starts bulk changes and exports, and applies their chunks, from the jobs queue.

The batch set-up (partial batch responses, logging, metrics) is `leadcenter.sqs_worker`'s: a crash on one message
redelivers that message, not its batch. Every step is safe to run again (see leadcenter.domain.job_chunks): a
redelivered chunk changes no lead twice and is counted once; the last delivery records what failed.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from leadcenter.domain import job_worker, jobs
from leadcenter.observability import logger
from leadcenter.sqs_worker import sqs_handler


def record_handler(record: SQSRecord) -> None:
    try:
        message = jobs.JobMessage.model_validate_json(record.body)
    except ValidationError:
        # Not ours, or from an older release: retrying cannot help, so it is dropped (and logged).
        logger.error("unreadable job message dropped", extra={"message_id": record.message_id})
        return
    job_worker.handle(message, delivery=int(record.attributes.approximate_receive_count or 1))


lambda_handler = sqs_handler(record_handler, raise_on_entire_batch_failure=False)
