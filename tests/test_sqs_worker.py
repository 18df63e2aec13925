"""`leadcenter.sqs_worker`: partial batch responses from a loop of its own (not Powertools' batch utility, which
cost the workers' cold start; tests/test_cold_init.py checks it stays unimported)."""

from __future__ import annotations

from typing import Any

import pytest

from leadcenter.sqs_worker import EntireBatchFailed, SQSRecord, sqs_handler
from local.gateway import LambdaContext


def _event(*bodies: str) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m{i}", "body": body, "attributes": {}} for i, body in enumerate(bodies)]}


def _context() -> Any:
    return LambdaContext(function_name="worker", aws_request_id="r1", invoked_function_arn="arn:aws:lambda:fn")


def _fail_on_bad(record: SQSRecord) -> None:
    if record.body == "bad":
        raise ValueError("bad record")


def test_only_the_records_that_failed_are_reported():
    handler = sqs_handler(_fail_on_bad)
    assert handler(_event("ok", "bad", "ok"), _context()) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_a_batch_whose_every_record_failed_fails_the_invocation_unless_told_not_to():
    with pytest.raises(EntireBatchFailed):
        sqs_handler(_fail_on_bad)(_event("bad", "bad"), _context())
    failures = sqs_handler(_fail_on_bad, raise_on_entire_batch_failure=False)(_event("bad"), _context())
    assert failures == {"batchItemFailures": [{"itemIdentifier": "m0"}]}


def test_a_handler_with_a_lambda_context_parameter_gets_the_invocation_context():
    seen: list[Any] = []

    def handler(record: SQSRecord, lambda_context: Any = None) -> None:
        seen.append((record.body, lambda_context))

    context = _context()
    assert sqs_handler(handler)(_event("a"), context) == {"batchItemFailures": []}
    assert seen == [("a", context)]


def test_a_record_reads_what_the_workers_use_of_the_sqs_record():
    raw = {
        "messageId": "m1",
        "body": "{}",
        "attributes": {"ApproximateReceiveCount": "3"},
        "messageAttributes": {"not_before": {"stringValue": "17.5", "dataType": "Number"}},
    }
    record = SQSRecord(raw)
    assert (record.message_id, record.body, record.receive_count) == ("m1", "{}", 3)
    assert record.message_attribute("not_before") == "17.5" and record.message_attribute("other") is None
    assert SQSRecord({"messageId": "m2"}).receive_count == 1
