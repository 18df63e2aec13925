"""The one set-up of every SQS-triggered worker: a function's `app.py` names its record handler, and this makes
its `lambda_handler`.

It reports the failed records only (ReportBatchItemFailures), so a crash on one message redelivers that message,
not its batch. The handler carries the Lambda context into the logs, flushes the business metrics the records
emitted, and, for a worker with idempotent steps, lets in-progress idempotency records expire with the invocation's
remaining time, so a crashed run does not block the redelivery.

A loop and a record class of its own rather than Powertools' batch utility and data class: the utility imports
asyncio and its async processors (~20 ms of every worker's cold start, bench cold_init_ms_*), the data class all
~40 of Powertools' event classes (~14 ms). What we used of them is this loop: a record handler's exception fails
that record, a handler with a `lambda_context` parameter gets the context, and a batch whose every record failed
fails the invocation (SQS redelivers the batch) unless `raise_on_entire_batch_failure=False`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadcenter.observability import logger, metrics

if TYPE_CHECKING:  # idempotency (and boto3, which Powertools' DynamoDB persistence imports) only where it is used
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig


class SQSRecord:
    """The fields of an SQS record our workers read. Not Powertools' data class: importing it imports all ~40 of
    Powertools' event data classes (~14 ms of every worker's cold start)."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    @property
    def message_id(self) -> str:
        return str(self.raw["messageId"])

    @property
    def body(self) -> str:
        return str(self.raw.get("body") or "")

    @property
    def receive_count(self) -> int:
        """How many times SQS has delivered the message (this delivery included)."""
        return int(self.raw.get("attributes", {}).get("ApproximateReceiveCount") or 1)

    def message_attribute(self, name: str) -> str | None:
        """A string message attribute's value; None when the message has none by that name."""
        value = self.raw.get("messageAttributes", {}).get(name) or {}
        return value.get("stringValue")


class PartialItemFailure(TypedDict):
    itemIdentifier: str


class PartialItemFailureResponse(TypedDict):
    batchItemFailures: list[PartialItemFailure]


class EntireBatchFailed(Exception):
    """Every record of the batch failed: the invocation fails and SQS delivers the batch again."""


SQSHandler = Callable[[dict[str, Any], LambdaContext], PartialItemFailureResponse]


def sqs_handler(
    record_handler: Callable[..., Any],
    *,
    idempotency: IdempotencyConfig | None = None,
    raise_on_entire_batch_failure: bool = True,
) -> SQSHandler:
    """One record at a time: an exception out of `record_handler` sends that record back to the queue."""
    takes_context = "lambda_context" in inspect.signature(record_handler).parameters

    def each(records: list[SQSRecord], context: LambdaContext) -> list[Exception | None]:
        if idempotency is not None:
            idempotency.register_lambda_context(context)
        results: list[Exception | None] = []
        for record in records:
            try:
                record_handler(record, lambda_context=context) if takes_context else record_handler(record)
                results.append(None)
            except Exception as error:  # reported as this record's failure
                results.append(error)
        return results

    return _handler(each, raise_on_entire_batch_failure)


def sqs_batch_handler(batch_handler: Callable[[list[SQSRecord]], list[Exception | None]]) -> SQSHandler:
    """For a worker that processes a batch as a whole (to share its AWS requests): `batch_handler` returns, per
    record in order, None when it is done or the exception that sends it back to the queue. Reported as partial
    batch failures, as `sqs_handler` does; an exception out of `batch_handler` itself fails the whole batch."""
    return _handler(lambda records, _context: batch_handler(records))


def _handler(
    process: Callable[[list[SQSRecord], LambdaContext], list[Exception | None]],
    raise_on_entire_batch_failure: bool = False,
) -> SQSHandler:
    @metrics.log_metrics
    @logger.inject_lambda_context
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        records = [SQSRecord(raw) for raw in event.get("Records", [])]
        failures: list[PartialItemFailure] = []
        for record, failure in zip(records, process(records, context), strict=True):
            if failure is not None:
                logger.error(
                    "record failed; SQS delivers it again",
                    extra={"message_id": record.message_id, "error": type(failure).__name__},
                    exc_info=failure,
                )
                failures.append({"itemIdentifier": record.message_id})
        if raise_on_entire_batch_failure and records and len(failures) == len(records):
            raise EntireBatchFailed(f"all {len(records)} records of the batch failed")
        return {"batchItemFailures": failures}

    return lambda_handler
