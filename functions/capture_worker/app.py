"""Capture worker: platform events from the capture queue, each processed once per event_id.

After 5 receives SQS moves a failing event to the dead-letter queue (4 days); the batch set-up (partial batch
responses, logging, metrics) is `leadcenter.sqs_worker`'s. Powertools idempotency, keyed on event_id, keeps a
record of each event for 4 days (the platform redelivers for 72 h): a repeat returns the stored outcome, and an
event still in progress elsewhere raises, so that record fails here and SQS delivers it again later, when the
first run has finished or timed out.
"""

from __future__ import annotations

import json
from typing import Any

# Before pydantic: Powertools' batch utility builds pydantic parser models (~40 ms of cold start) when pydantic is
# already imported; our records are data classes (tests/test_cold_init.py checks they stay unbuilt).
import aws_lambda_powertools.utilities.batch  # noqa: F401
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import idempotent_function

from leadcenter.capture_settings import capture_settings
from leadcenter.domain import capture
from leadcenter.errors import BadRequest, NotFound, Unprocessable
from leadcenter.idempotency import idempotency_for
from leadcenter.observability import logger
from leadcenter.sqs_worker import sqs_handler

idempotency, persistence = idempotency_for("event_id", capture_settings().idempotency_seconds)


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


lambda_handler = sqs_handler(record_handler, idempotency=idempotency)
