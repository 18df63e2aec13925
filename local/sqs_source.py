"""Lambda's SQS event source, locally: a long-polling consumer per queue-triggered function, and the one
builder of Lambda's SQS event (`sqs_event`) that the runner, the tests and the benchmarks all use.

Messages may carry a `not_before` attribute (app-clock epoch seconds): they are held back until it is due, so
`/_local/clock` reaches retry delays that SQS itself would count in wall time.
"""

from __future__ import annotations

import base64
import math
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from local.common import HOME_REGION, app_clock, log
from local.gateway import Containers, context_for, local_concurrency, running
from local.template import ACCOUNT_ID, Function

MAX_VISIBILITY_SECONDS = 43_200  # SQS's ceiling for ChangeMessageVisibility
DEFAULT_QUEUE_CONCURRENCY = 4
# Local only: set while someone in this process (the demo seed) waits for the queues to drain. A gathering batch
# then closes as soon as the queue has nothing more for it, instead of waiting out its batching window (Lambda
# closes it only when the batch is full, reaches 6 MB, or the window expires); the batch is the same, only sooner.
DRAIN_WAITING = threading.Event()
CONSUMERS: dict[str, QueueConsumer] = {}  # by queue URL, the latest consumer of each: what `idle_since` asks

# ---------------------------------------------------------------------------------------------- the event


def queue_arn(queue_url: str, region: str = HOME_REGION) -> str:
    """A queue's ARN from its URL (`.../<account>/<name>`)."""
    parts = urlsplit(queue_url).path.strip("/").split("/")
    account, name = (parts[0], parts[-1]) if len(parts) >= 2 else (ACCOUNT_ID, parts[-1])
    return f"arn:aws:sqs:{region}:{account}:{name}"


def lambda_message_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """boto3's MessageAttributes in the camelCase shape Lambda's SQS event uses."""
    converted = {}
    for name, value in attributes.items():
        binary = value.get("BinaryValue")
        converted[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value.get("DataType", "String"),
        }
    return converted


def sqs_record(message: Mapping[str, Any], arn: str, region: str = HOME_REGION) -> dict[str, Any]:
    """One record of Lambda's SQS event, from a message as boto3's receive_message returns it (receive with
    `MessageAttributeNames=["All"]` for its attributes to reach the function)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": message.get("Attributes", {}),
        "messageAttributes": lambda_message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": region,
    }


def sqs_event(
    messages: Sequence[Mapping[str, Any]],
    *,
    arn: str | None = None,
    queue_url: str | None = None,
    region: str = HOME_REGION,
) -> dict[str, Any]:
    """Lambda's SQS event for received messages; the queue given by ARN or by URL."""
    if arn is None:
        if queue_url is None:
            raise ValueError("give the queue's arn or queue_url")
        arn = queue_arn(queue_url, region)
    return {"Records": [sqs_record(m, arn, region) for m in messages]}


# ---------------------------------------------------------------------------------------------- the consumer


def not_before(message: dict[str, Any]) -> float | None:
    """The app's own delay, in app-clock epoch seconds: SQS delays follow wall time, not /_local/clock."""
    attribute = message.get("MessageAttributes", {}).get("not_before")
    if not attribute:
        return None
    try:
        return float(attribute.get("StringValue", ""))
    except ValueError:
        log(f"ignoring unreadable not_before on message {message.get('MessageId')}")
        return None


def local_queue_concurrency() -> int:
    """Containers per queue-triggered function (Lambda scales an SQS source out; two cores do not need many)."""
    return local_concurrency("LOCAL_QUEUE_CONCURRENCY", DEFAULT_QUEUE_CONCURRENCY)


class QueueConsumer:
    """Lambda's SQS event source mapping for one function: receive, invoke, delete what succeeded.

    Like Lambda, several batches run at once, each in a container of its own (a fresh copy of the function's
    module), up to the event source's MaximumConcurrency or LOCAL_QUEUE_CONCURRENCY, whichever is lower. With a
    batching window (MaximumBatchingWindowInSeconds), one poller at a time gathers a batch until it is full or the
    window has passed since its first message, as Lambda's poller does, and hands it over.
    """

    def __init__(self, function: Function, sqs: Any, concurrency: int | None = None) -> None:
        assert function.queue is not None
        self.function = function
        self.sqs = sqs
        self.url, self.arn = self._locate(function.queue)
        attributes = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["VisibilityTimeout"])
        self.visibility_timeout = int(attributes.get("Attributes", {}).get("VisibilityTimeout", 30))
        self.batch_size = max(1, min(function.batch_size, 10))
        self.batching_window = max(0.0, function.batching_window)
        self.gathering = threading.Lock()
        wanted = concurrency if concurrency is not None else local_queue_concurrency()
        self.concurrency = max(1, min(wanted, function.max_concurrency or wanted))
        self.containers = Containers(function, self.concurrency)
        self.stop_event = threading.Event()
        # Messages held back by not_before, by id: kept so a clock jump can deliver them at once.
        self.deferred: dict[str, tuple[dict[str, Any], float]] = {}
        self.deferred_lock = threading.Lock()
        # Local only, for a caller waiting for the queue to drain without asking moto again and again: messages
        # received and not yet handed back, and when a receive last found nothing while none were held.
        self.holding = 0
        self.found_empty = 0.0
        self.receiving: dict[int, float] = {}  # receives under way: thread -> when it began
        self.holding_lock = threading.Lock()
        CONSUMERS[self.url] = self

    def _locate(self, queue: str) -> tuple[str, str]:
        """(URL, ARN): SAM's SQS event names the queue by ARN (!GetAtt Q.Arn); a Ref gives its URL."""
        if not queue.startswith("arn:"):
            return queue, queue_arn(queue)
        _, _, _, _, account, name = queue.split(":", 5)
        url = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        return str(url), queue

    def loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.poll_once()
            except Exception:
                if self.stop_event.is_set():
                    return
                log(f"queue consumer {self.function.logical_id} error:\n{traceback.format_exc()}")
                self.stop_event.wait(1.0)

    def poll_once(self, wait_seconds: int = 1) -> int:
        """One receive (long-polling `wait_seconds`), then, with a batching window, more until the batch is full or
        the window has passed; returns how many messages it got, held back ones included."""
        messages: list[dict[str, Any]] = []
        try:
            if self.batching_window <= 0:
                messages += self._receive(self.batch_size, wait_seconds)
                ready = [m for m in messages if not self._defer_if_early(m)]
            else:
                with self.gathering:  # one batch gathers at a time, so batches fill instead of splitting
                    ready = self._gather(messages, wait_seconds)
            if ready:
                self.deliver(ready)
        finally:
            self._release(len(messages))
        return len(messages)

    def _gather(self, messages: list[dict[str, Any]], wait_seconds: int) -> list[dict[str, Any]]:
        """A batch gathered until it is full or the window has passed (every message received goes to
        `messages`); the ones due now are returned."""
        messages += self._receive(self.batch_size, wait_seconds)
        ready = [m for m in messages if not self._defer_if_early(m)]
        closes = time.monotonic() + self.batching_window
        while ready and len(ready) < self.batch_size and not self.stop_event.is_set():
            left = closes - time.monotonic()
            if left <= 0:
                break
            DRAIN_WAITING.wait(min(left, 0.1))  # at once when the seed starts waiting; stop_event: the loop's test
            more = self._receive(self.batch_size - len(ready), 0)
            if not more and DRAIN_WAITING.is_set():
                break  # local only: nothing more to gather and the seed is waiting (DRAIN_WAITING)
            messages += more
            ready += [m for m in more if not self._defer_if_early(m)]
        return ready

    def _release(self, count: int) -> None:
        with self.holding_lock:
            self.holding -= count

    def idle_since(self, moment: float, settle: float = 0.05) -> bool:
        """Whether, with nothing held, a receive found the queue empty after `moment` (time.monotonic), or one is
        waiting and has been for `settle` seconds since then: a hint that the queue has drained, to know when to
        ask it (a delayed or deferred message is not seen here). A long poll that began before `moment` counts
        too: the queue wakes it when a message arrives, so one still waiting has seen none."""
        now = time.monotonic()
        with self.holding_lock:
            if self.holding:
                return False
            settled = now - settle
            waiting = moment < settled and any(began < settled for began in self.receiving.values())
            return waiting or self.found_empty > moment

    def _receive(self, most: int, wait_seconds: int) -> list[dict[str, Any]]:
        me = threading.get_ident()
        with self.holding_lock:
            self.receiving[me] = time.monotonic()
        messages: list[dict[str, Any]] = []
        try:
            messages += self._receive_call(most, wait_seconds).get("Messages", [])
        finally:
            with self.holding_lock:  # held from here until poll_once hands them back (_release)
                self.receiving.pop(me, None)
                self.holding += len(messages)
            if not messages and not self.holding:
                self.found_empty = time.monotonic()
        return messages

    def _receive_call(self, most: int, wait_seconds: int) -> Any:
        return self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=most,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )

    def _defer_if_early(self, message: dict[str, Any]) -> bool:
        due = not_before(message)
        now = app_clock().epoch()
        if due is None or due <= now:
            with self.deferred_lock:
                self.deferred.pop(message["MessageId"], None)
            return False
        # Hide it until it is due by wall time; a clock jump delivers it earlier (deliver_due). A long
        # timeout rather than 1 s keeps the receive count, and so the redrive to the DLQ, from growing.
        wait = min(max(1, math.ceil(due - now)), MAX_VISIBILITY_SECONDS)
        self.sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"],
                                           VisibilityTimeout=wait)  # fmt: skip
        with self.deferred_lock:
            self.deferred[message["MessageId"]] = (message, due)
        return True

    def deliver(self, messages: list[dict[str, Any]]) -> None:
        event = sqs_event(messages, arn=self.arn)
        try:  # an idle container (or a new one, up to the cap); waits while all of them are busy
            with self.containers.take() as handler, running(self.function.logical_id):
                result = handler(event, context_for(self.function))
        except Exception:
            # Like Lambda: the whole batch returns after the visibility timeout, then to the DLQ.
            log(f"{self.function.logical_id} failed a batch of {len(messages)}:\n{traceback.format_exc()}")
            return
        failed = self._failed_ids(result)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)
        if failed:
            log(f"{self.function.logical_id}: {len(failed)} of {len(messages)} messages failed; will retry")

    @staticmethod
    def _failed_ids(result: Any) -> set[str]:
        if not isinstance(result, dict):
            return set()
        failures = result.get("batchItemFailures") or []
        return {str(f.get("itemIdentifier")) for f in failures if isinstance(f, dict)}

    def deliver_due(self) -> int:
        """After a clock jump: deliver now the held-back messages that have become due."""
        now = app_clock().epoch()
        with self.deferred_lock:
            due = [m for m, at in self.deferred.values() if at <= now]
            for message in due:
                self.deferred.pop(message["MessageId"], None)
        claimed = [m for m in due if self._claim(m)]
        for start in range(0, len(claimed), self.batch_size):
            self.deliver(claimed[start : start + self.batch_size])
        return len(claimed)

    def _claim(self, message: dict[str, Any]) -> bool:
        """Hide it for the queue's own timeout, as a receive would; a stale receipt: the poller has it."""
        try:
            self.sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"],
                                               VisibilityTimeout=self.visibility_timeout)  # fmt: skip
        except Exception:
            return False
        return True
