"""Helpers of the issue 6 tests: seed leads fast, and drive the jobs worker in-process from the real jobs queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3

from leadcenter.config import settings
from local.gateway import Gateway, context_for, running
from local.sqs_source import sqs_event
from tests.support import Api, purge_queue
from tests.support import queued_count as support_queued_count


class Crash(BaseException):
    """A crash the handler cannot catch (a timeout or an out-of-memory kill): past Powertools' per-record catch,
    the whole invocation dies, no lease is given back."""


def new_admin(prefix: str = "jobs-admin") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def sqs() -> Any:
    return boto3.client("sqs", region_name=settings().home_region)


def queue_url() -> str:
    return settings().jobs_queue_url


def purge() -> None:
    """Empties the jobs queue, in-flight messages included."""
    purge_queue(queue_url(), settings().home_region)


def queued_count() -> int:
    return support_queued_count(queue_url(), settings().home_region)


def drain(
    gateway: Gateway,
    *,
    batch: int = 10,
    before_batch: Callable[[int], None] | None = None,
    limit: int | None = None,
) -> int:
    """Lambda's SQS event source, in-process: receive, invoke the worker, delete what it did not report
    failed; until the queue is empty. When the handler crashes, the batch stays undeleted and becomes visible
    again at once (as after its visibility timeout) and the crash propagates. Returns the invocations run."""
    from functions.jobs_worker import app as worker

    function = gateway.functions["JobsWorkerFunction"]
    invocations = 0
    while limit is None or invocations < limit:
        received = sqs().receive_message(QueueUrl=queue_url(), MaxNumberOfMessages=batch, VisibilityTimeout=300,
                                         MessageAttributeNames=["All"],
                                         MessageSystemAttributeNames=["All"])  # fmt: skip
        messages = received.get("Messages", [])
        if not messages:
            return invocations
        if before_batch is not None:
            before_batch(invocations)
        try:
            context: Any = context_for(function)  # the runner's stand-in for Lambda's context
            with running(function.logical_id):
                result = worker.lambda_handler(sqs_event(messages, queue_url=queue_url()), context)
        except BaseException:
            for message in messages:
                sqs().change_message_visibility(
                    QueueUrl=queue_url(), ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            raise
        invocations += 1
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] in failed:
                sqs().change_message_visibility(
                    QueueUrl=queue_url(), ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs().delete_message(QueueUrl=queue_url(), ReceiptHandle=message["ReceiptHandle"])
    return invocations


def job(api: Api, account_id: str, user: str, job_id: str) -> dict[str, Any]:
    return dict(api.ok("GET", f"/accounts/{account_id}/jobs/{job_id}", user))


def seed(account_id: str, count: int, *, names: list[str] | None = None, **fields: Any) -> list[str]:
    """Leads written straight through the lead store (one transaction each): far faster than the API."""
    from leadcenter import clock, ids
    from leadcenter.domain.leads import new_lead_id
    from leadcenter.model import Contact, Lead, LeadSource
    from leadcenter.store import accounts
    from leadcenter.store import leads as store
    from leadcenter.store.lead_items import LeadState, TimelineEvent

    region = "ap-southeast-1"
    now = clock.now()
    created_ids = []
    for n in range(count):
        created = now - timedelta(milliseconds=n + 1)
        stamp = clock.iso(created)
        lead = Lead(
            id=new_lead_id(region, created),
            account_id=account_id,
            region="SG",
            source=LeadSource.FORM,
            contact=Contact(name=(names[n] if names else f"Person {n}"), email=f"p{n}@example.com"),
            created_at=stamp,
            updated_at=stamp,
            expires_at="",
            storage_region=region,
            **fields,
        )
        state = LeadState(lead, set(), int((created + timedelta(days=90)).timestamp()))
        store.create(state, (), TimelineEvent(ids.ulid(created), "created", "seed", stamp, {}))
        created_ids.append(lead.id)
    accounts.add_lead_region(account_id, region)
    return created_ids


def dead_letter_url(stack: Any) -> str:
    return str(stack.physical[settings().home_region]["JobsDeadLetterQueue"])


def drain_dead_letters(gateway: Gateway, stack: Any) -> int:
    """JobsDeadLetterFunction on what the jobs dead-letter queue holds, as its SQS event source would; how many."""
    from functions.jobs_dead_letter import app as consumer

    url = dead_letter_url(stack)
    handled = 0
    while True:
        messages = sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
        messages = messages.get("Messages", [])
        if not messages:
            return handled
        context: Any = context_for(gateway.functions["JobsDeadLetterFunction"])
        with running("JobsDeadLetterFunction"):
            result = consumer.lambda_handler(sqs_event(messages, queue_url=url), context)
        assert not result.get("batchItemFailures"), result
        for message in messages:
            sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handled += len(messages)


def dead_letter_next(stack: Any) -> None:
    """Moves the next message of the jobs queue to its dead-letter queue, as SQS does after the last receive."""
    got = sqs().receive_message(QueueUrl=queue_url(), MaxNumberOfMessages=1, MessageAttributeNames=["All"])
    [message] = got["Messages"]
    sqs().send_message(QueueUrl=dead_letter_url(stack), MessageBody=message["Body"])
    sqs().delete_message(QueueUrl=queue_url(), ReceiptHandle=message["ReceiptHandle"])
