"""Jobs dead-letter consumer: a job whose message reached the jobs dead-letter queue ends, never stays `running`.

The worker's last delivery records failure itself, but a last delivery that crashed or timed out could not: its
message lands here. A start or export-step message fails its job (`internal`; an export's multipart upload is
aborted and its spool deleted); a chunk message records the chunk's unapplied leads as failed and the job finishes.
Every step is conditional on the job's state, so a message whose job has since finished changes nothing.
"""

from __future__ import annotations

from pydantic import ValidationError

from leadcenter.domain import job_worker, jobs
from leadcenter.observability import logger
from leadcenter.sqs_worker import SQSRecord, sqs_handler


def record_handler(record: SQSRecord) -> None:
    try:
        message = jobs.JobMessage.model_validate_json(record.body)
    except ValidationError:
        logger.error("unreadable dead-lettered job message dropped", extra={"message_id": record.message_id})
        return
    job_worker.dead_lettered(message)


lambda_handler = sqs_handler(record_handler, raise_on_entire_batch_failure=False)
