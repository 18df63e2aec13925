"""Helpers of the issue 4 tests: signed platform events, the capture queue, the worker driven by hand."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3

from leadcenter import webhook_signature
from leadcenter.config import settings
from local.gateway import Gateway, Reply, context_for, running
from local.sqs_source import sqs_event
from tests.support import Api, purge_queue
from tests.support import queued_count as support_queued_count

SECRET = "local-webhook-secret"
WEBHOOK = "/webhooks/messages"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def platform_event(
    account_id: str | None,
    type_: str = "message.received",
    *,
    user_id: str = "u-1",
    region: str = "SG",
    name: str | None = "Siti Rahma",
    text: str = "hello",
    conversation_id: str | None = "c-1",
    event_id: str | None = None,
    occurred_at: str | None = None,
    **parts: Any,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id or f"evt-{uuid.uuid4()}",
        "type": type_,
        "occurred_at": occurred_at or now_iso(),
        "user": {"id": user_id, "region": region, **({"display_name": name} if name else {})},
    }
    if account_id is not None:
        event["account_id"] = account_id
    if conversation_id is not None:
        event["conversation_id"] = conversation_id
    if type_ == "message.received":
        event["message"] = {"id": f"m-{uuid.uuid4()}", "text": text}
    event.update(parts)
    return event


def signed(body: bytes, *, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    return {webhook_signature.HEADER: webhook_signature.sign(secret, body, int(time.time()) if at is None else at)}


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


def post(api: Api, event: dict[str, Any] | bytes, headers: dict[str, str] | None = None) -> Reply:
    body = event if isinstance(event, bytes) else encode(event)
    return api.call("POST", WEBHOOK, None, raw=body, headers=signed(body) if headers is None else headers)


# ---------------------------------------------------------------------------------------------- queue


def sqs() -> Any:
    return boto3.client("sqs", region_name=settings().home_region)


def queue_url() -> str:
    return settings().capture_queue_url


def purge() -> None:
    """Empties the capture queue, in-flight messages included."""
    purge_queue(queue_url(), settings().home_region)


def queued_count() -> int:
    return support_queued_count(queue_url(), settings().home_region)


def receive_all() -> list[dict[str, Any]]:
    """Every visible message, hidden for a minute (as Lambda's poller would hold them)."""
    found: list[dict[str, Any]] = []
    while True:
        batch = sqs().receive_message(
            QueueUrl=queue_url(),
            MaxNumberOfMessages=10,
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        messages = batch.get("Messages", [])
        if not messages:
            return found
        found += messages


def run_worker(gateway: Gateway, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Invokes the worker as Lambda's SQS event source would, and deletes what it reports done."""
    from functions.capture_worker import app as worker

    function = gateway.functions["CaptureWorkerFunction"]
    with running(function.logical_id):
        result = worker.lambda_handler(sqs_event(messages, queue_url=queue_url()), context_for(function))
    failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
    for message in messages:
        if message["MessageId"] not in failed:
            sqs().delete_message(QueueUrl=queue_url(), ReceiptHandle=message["ReceiptHandle"])
    return dict(result)


def deliver(api: Api, gateway: Gateway, *events: dict[str, Any]) -> dict[str, Any]:
    """Posts signed events, then runs the worker on what the webhook queued."""
    for event in events:
        reply = post(api, event)
        assert reply.status == 202, reply.body
    messages = receive_all()
    assert len(messages) == len(events)
    return run_worker(gateway, messages)


# ---------------------------------------------------------------------------------------------- settings


def enable_auto_capture(api: Api, account_id: str, user: str) -> None:
    body = {"privacy_policy_url": "https://example.com/privacy", "company_name": "Acme Pte Ltd"}
    api.ok("PUT", f"/accounts/{account_id}/auto-capture", user, json_body=body)
    api.ok("POST", f"/review/auto-capture/{account_id}", "platform-reviewer", json_body={"decision": "approved"})
    api.ok("PATCH", f"/accounts/{account_id}/auto-capture", user, json_body={"enabled": True})


def leads_of(api: Api, account_id: str, user: str) -> list[dict[str, Any]]:
    return list(api.ok("GET", f"/accounts/{account_id}/leads", user)["items"])
