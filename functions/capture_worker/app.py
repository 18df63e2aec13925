"""Capture worker: platform events from the capture queue, a batch of up to 10 at a time.

After 5 receives SQS moves a failing event to the dead-letter queue (4 days); partial batch responses, logging and
metrics are `leadcenter.sqs_worker`'s. The batch's events share their reads and puts (`domain.capture_batch`); an
event finished before (its marker, kept 4 days: the platform redelivers for 72 h) is not processed again, and every
write of capture is conditional or keyed by the event, so a delivery processed twice at once changes nothing twice.
"""

from __future__ import annotations

import json
from typing import Any

from leadcenter.cold_start import collector_paused

with collector_paused():
    from leadcenter.domain import capture_batch
    from leadcenter.observability import logger
    from leadcenter.sqs_worker import SQSRecord, sqs_batch_handler


def _body(record: SQSRecord) -> Any:
    try:
        return json.loads(record.body)
    except ValueError:
        return None  # not JSON: rejected as not a platform event


def process_records(records: list[SQSRecord]) -> list[Exception | None]:
    failures: list[Exception | None] = []
    for result in capture_batch.process_batch([_body(record) for record in records]):
        if isinstance(result, Exception):
            failures.append(result)
            continue
        logger.info(
            "capture event processed",
            extra={
                "event_id": result.get("event_id"),
                "event_type": result.get("type"),
                "result": result.get("result"),
            },
        )
        failures.append(None)
    return failures


lambda_handler = sqs_batch_handler(process_records)
