"""The local runner's SQS event source: several containers per function, each a module of its own, never
more at once than the event source's MaximumConcurrency; every message is delivered once and deleted."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import uuid

import boto3
import pytest

from local.sqs_source import DRAIN_WAITING, QueueConsumer, local_queue_concurrency, sqs_event
from local.template import Function, Stack
from tests.local_fixtures import slow_app


def consumer_for(
    max_concurrency: int | None = None, concurrency: int = 1, *, batch_size: int = 1, batching_window: float = 0.0
) -> tuple[QueueConsumer, str]:
    """A consumer of a new queue for tests/local_fixtures/slow_app, and the queue's URL."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName=f"local-queues-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    function = Function("SlowFunction", "tests/local_fixtures", "slow_app.lambda_handler", queue=url,
                        batch_size=batch_size, max_concurrency=max_concurrency,
                        batching_window=batching_window)  # fmt: skip
    return QueueConsumer(function, sqs, concurrency=concurrency), url


def test_containers_are_separate_modules_capped_by_maximum_concurrency() -> None:
    capped, _ = consumer_for(max_concurrency=2, concurrency=5)
    assert capped.concurrency == 2
    uncapped, _ = consumer_for(max_concurrency=None, concurrency=3)
    assert uncapped.concurrency == 3
    with contextlib.ExitStack() as held:  # three batches at once: three containers
        handlers = [held.enter_context(uncapped.containers.take()) for _ in range(3)]
    # Each is the function's module run again: its own globals (a batch processor, a resolver's event).
    assert len({id(h.__globals__["CONTAINER"]) for h in handlers}) == 3
    assert handlers[0].__globals__ is sys.modules["tests.local_fixtures.slow_app"].__dict__
    assert uncapped.containers.limit == 3 and capped.containers.limit == 2


def test_batches_run_at_once_in_different_containers_and_every_message_once() -> None:
    slow_app.runs.clear()
    consumer, url = consumer_for(max_concurrency=3, concurrency=3)
    sqs = consumer.sqs
    for n in range(6):
        sqs.send_message(QueueUrl=url, MessageBody=f'{{"n": {n}}}')
    threads = [threading.Thread(target=consumer.loop, daemon=True) for _ in range(5)]  # more pollers than containers
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while sum(r[3] for r in slow_app.runs) < 6 and time.monotonic() - started < 20:
        time.sleep(0.05)
    consumer.stop_event.set()
    for thread in threads:
        thread.join(timeout=5)
    assert sum(r[3] for r in slow_app.runs) == 6
    assert len({r[0] for r in slow_app.runs}) > 1
    # At no moment more than three containers busy (the cap), and at some moment more than one.
    edges = sorted([(start, 1) for _, start, _, _ in slow_app.runs] + [(end, -1) for _, _, end, _ in slow_app.runs])
    busy, peak = 0, 0
    for _, change in edges:
        busy += change
        peak = max(peak, busy)
    assert 1 < peak <= 3
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"  # all deleted, none left in flight


def test_a_batching_window_gathers_messages_sent_apart_into_one_batch() -> None:
    # Given a consumer whose event source gathers for up to a second, with batches of ten
    slow_app.runs.clear()
    consumer, url = consumer_for(concurrency=2, batch_size=10, batching_window=1.0)
    sqs = consumer.sqs
    # When three messages are waiting and four more arrive while the first receive gathers
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f'{{"n": {n}}}')

    def later() -> None:
        time.sleep(0.3)
        for n in range(3, 7):
            sqs.send_message(QueueUrl=url, MessageBody=f'{{"n": {n}}}')

    sender = threading.Thread(target=later)
    sender.start()
    assert consumer.poll_once() == 7
    sender.join()
    # Then the function gets them as one batch of seven (not full, so handed over when the window closed)
    assert [r[3] for r in slow_app.runs] == [7]


def test_while_the_seed_waits_for_a_drain_an_empty_queue_closes_the_window_and_the_consumer_says_idle() -> None:
    # Given a consumer whose event source gathers for up to five seconds, and two messages waiting
    slow_app.runs.clear()
    consumer, url = consumer_for(batch_size=10, batching_window=5.0)
    sqs = consumer.sqs
    for n in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=f'{{"n": {n}}}')
    mark = time.monotonic()
    assert not consumer.idle_since(mark)
    # When someone waits for the queues to drain (the local-only signal the demo seed sets)
    DRAIN_WAITING.set()
    try:
        started = time.monotonic()
        assert consumer.poll_once(wait_seconds=0) == 2
        took = time.monotonic() - started
    finally:
        DRAIN_WAITING.clear()
    # Then the batch of two is handed over once the queue has nothing more, long before the window closes
    assert [r[3] for r in slow_app.runs] == [2]
    assert took < 3.0
    # And, nothing held, the next receive that finds the queue empty makes the consumer idle since the mark
    assert consumer.holding == 0
    assert consumer.poll_once(wait_seconds=0) == 0
    assert consumer.idle_since(mark)
    assert not consumer.idle_since(time.monotonic())


def test_a_long_poll_waiting_since_before_the_mark_makes_the_consumer_idle_once_it_has_settled() -> None:
    # Given a consumer long-polling an empty queue, its receive begun before anyone waits for a drain
    consumer, _ = consumer_for(batch_size=10)
    polling = threading.Thread(target=consumer.poll_once, kwargs={"wait_seconds": 2})
    polling.start()
    time.sleep(0.2)
    # When the drain begins (its mark after the receive began)
    mark = time.monotonic()
    # Then the consumer is not idle at once, but is once the receive has gone on waiting past the settle time
    assert not consumer.idle_since(mark)
    time.sleep(0.1)
    assert consumer.idle_since(mark)
    polling.join()
    assert consumer.holding == 0


def test_template_maximum_concurrency_reaches_the_consumer(stack: Stack) -> None:
    functions = stack.functions()
    assert functions["JobsWorkerFunction"].max_concurrency == 10
    assert functions["CaptureWorkerFunction"].max_concurrency == 20  # its reserved concurrency, as in template.yaml
    assert functions["LeadsFunction"].max_concurrency is None  # no queue
    assert functions["CaptureWorkerFunction"].batching_window == 1.0
    assert functions["JobsWorkerFunction"].batching_window == 0.0


@pytest.mark.parametrize(("value", "expected"), [("", 4), ("2", 2), ("0", 4), ("-3", 4), ("two", 4), (" 8 ", 8)])
def test_local_queue_concurrency_takes_whole_numbers_and_says_what_it_ignores(monkeypatch, capsys, value, expected):
    monkeypatch.setenv("LOCAL_QUEUE_CONCURRENCY", value)
    assert local_queue_concurrency() == expected
    ignored = capsys.readouterr().out
    assert ("ignoring LOCAL_QUEUE_CONCURRENCY" in ignored) == (value.strip() not in ("", "2", "8"))


def test_the_sqs_event_keeps_message_attributes_and_names_the_queue() -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName=f"local-event-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{}", MessageAttributes={
        "not_before": {"DataType": "String", "StringValue": "1700000000.000"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    })  # fmt: skip
    received = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    [record] = sqs_event(received["Messages"], queue_url=url)["Records"]
    assert record["eventSource"] == "aws:sqs" and record["body"] == "{}"
    assert record["eventSourceARN"] == f"arn:aws:sqs:us-east-1:123456789012:{url.rsplit('/', 1)[-1]}"
    assert record["messageAttributes"]["not_before"]["stringValue"] == "1700000000.000"
    assert record["messageAttributes"]["blob"] == {"stringValue": None, "binaryValue": "AAE=", "stringListValues": [],
                                                   "binaryListValues": [], "dataType": "Binary"}  # fmt: skip
    assert record["attributes"]["ApproximateReceiveCount"] == "1"


def test_two_functions_resolving_at_once_each_read_their_own_event() -> None:
    # Given the local gateway's emulation of one process per function (Powertools keeps the event on a class)
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter, Router

    from local.gateway import _current_event_per_thread

    _current_event_per_thread()
    router, seen, both_set = Router(), {}, threading.Barrier(2)

    def resolve(name: str) -> None:
        BaseRouter.current_event = {"function": name}  # as ApiGatewayResolver.resolve assigns it
        both_set.wait(timeout=5)  # the other function has assigned its own event meanwhile
        seen[name] = (router.current_event, BaseRouter.current_event)

    # When the webhook and the leads API resolve at the same time, in two threads
    threads = [threading.Thread(target=resolve, args=(name,)) for name in ("CaptureFunction", "LeadsFunction")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then each reads its own event, not the one assigned last
    assert seen == {name: ({"function": name}, {"function": name}) for name in ("CaptureFunction", "LeadsFunction")}


def test_api_requests_at_once_take_containers_of_their_own_up_to_the_limit() -> None:
    # Given an API function's containers, at most two (LOCAL_API_CONCURRENCY)
    from local.gateway import Containers

    containers = Containers(Function("SlowFunction", "tests/local_fixtures", "slow_app.lambda_handler"), limit=2)
    # When requests come one after another, the function's own module answers each
    with containers.take() as first:
        pass
    with containers.take() as again:
        pass
    assert first is again and first.__globals__ is sys.modules["tests.local_fixtures.slow_app"].__dict__
    # When three come at once
    busy, peak, used, lock = [0], [0], [], threading.Lock()

    def request() -> None:
        with containers.take() as handler:
            with lock:
                busy[0] += 1
                peak[0] = max(peak[0], busy[0])
                used.append(id(handler.__globals__["CONTAINER"]))
            time.sleep(0.2)
            with lock:
                busy[0] -= 1

    threads = [threading.Thread(target=request) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    # Then two run at once, each in a container of its own (a module of its own), and the third waits its turn
    assert peak[0] == 2 and len(set(used)) == 2 and containers.started == 2 and len(used) == 3


def test_concurrent_api_requests_each_get_their_own_answer(api) -> None:
    # Given two users, each with an account and a label named after them, and the leads function answering in
    # several containers at once
    accounts = {user: api.account(user) for user in ("alice", "bob")}
    for user, account in accounts.items():
        api.ok("POST", f"/accounts/{account}/labels", user, expect=201, json_body={"name": f"{user}'s"})
    start, answers, lock = threading.Barrier(8), [], threading.Lock()

    def ask(user: str, account: str) -> None:
        start.wait(timeout=10)
        reply = api.call("GET", f"/accounts/{account}/labels", user)
        names = [label["name"] for label in reply.json().get("items", [])] if reply.status == 200 else None
        with lock:
            answers.append((user, account, reply.status, names))

    # When each asks for their own account and for the other's, four requests each, all at the same moment
    work = [(user, accounts[user if n % 2 else other]) for user, other in (("alice", "bob"), ("bob", "alice"))
            for n in range(4)]  # fmt: skip
    threads = [threading.Thread(target=ask, args=pair) for pair in work]
    containers = api.gateway._containers["LeadsFunction"]
    with containers.take():  # one container busy throughout: the requests must start containers of their own
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    # Then each gets their own account's labels, or 404 for the other's (not a member): none gets another's answer
    assert len(answers) == 8
    for user, account, status, answered in answers:
        assert (status, answered) == ((200, [f"{user}'s"]) if account == accounts[user] else (404, None)), answers
    assert containers.started > 1
