"""CRM delivery worker: change notices fan out to destinations; attempts deliver, log and schedule retries.

The batch set-up (partial batch responses, logging, metrics) is `leadcenter.sqs_worker`'s; a record fails when AWS did
not answer (SQS redelivers it; after 5 receives it goes to the CRM dead-letter queue). A failing *receiver* is
not a failed record: the worker logs the attempt and queues the next one itself, with backoff and jitter.
Attempts are idempotent on the delivery id and attempt number (Powertools idempotency, the message's `key`): a
duplicate SQS delivery of one attempt does not send twice. A change notice needs no such record: its fan-out
names each delivery by what it delivers and logs it with a conditional write, so a repeat finds it logged.
"""

from __future__ import annotations

import json
from typing import Any

from leadcenter.cold_start import collector_paused

with collector_paused():
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from pydantic import ValidationError

    from leadcenter import clock
    from leadcenter.crm_settings import crm_settings
    from leadcenter.domain import crm_delivery
    from leadcenter.domain.crm_changes import ChangeNotice
    from leadcenter.domain.crm_delivery import AttemptMessage
    from leadcenter.idempotency import idempotency_for
    from leadcenter.observability import logger
    from leadcenter.sqs_worker import PartialItemFailureResponse, SQSRecord, sqs_handler
    from leadcenter.store import crm_queue

idempotency, persistence = idempotency_for("key", crm_settings().idempotency_seconds)


def process_message(message: dict[str, Any]) -> dict[str, Any]:
    try:
        if message.get("kind") == "change":
            outcome = crm_delivery.fan_out(ChangeNotice.model_validate(message)).as_dict()
        else:
            outcome = process_attempt(message=AttemptMessage.model_validate(message).model_dump())
    except ValidationError:
        # Not a message of ours: permanent, so it is acknowledged rather than retried.
        outcome = {"result": "rejected"}
    logger.info("crm message processed", extra={"kind": message.get("kind"), **outcome})
    return outcome


@idempotent_function(data_keyword_argument="message", config=idempotency, persistence_store=persistence)
def process_attempt(message: dict[str, Any]) -> dict[str, Any]:
    return crm_delivery.attempt(AttemptMessage.model_validate(message)).as_dict()


def record_handler(record: SQSRecord) -> dict[str, Any]:
    message = json.loads(record.body)
    not_before = record.message_attribute("not_before")
    due = float(not_before) if not_before else None
    if due is not None and due > clock.epoch():
        # Longer than SQS can delay: send it on for the rest of the wait (up to 900 s at a time).
        if crm_queue.send([message], not_before=due):
            raise crm_delivery.RetryLater("the message was not sent on")
        return {"result": "deferred"}
    return process_message(message=message)


_batch_handler = sqs_handler(record_handler, idempotency=idempotency)


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """One invocation: its notices share their reads of access holders and endpoints (`crm_delivery.batch_reads`),
    and only they: the next invocation reads again."""
    with crm_delivery.batch_reads():
        return _batch_handler(event, context)
