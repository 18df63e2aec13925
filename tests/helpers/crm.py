"""Helpers of the issue 9 tests: a real HTTP receiver on 127.0.0.1, and the CRM pipeline driven in-process.

The pipeline is the deployed one, run by hand: the local runner's stream poller feeds the lead tables' streams
(every storage region) to CrmStreamFunction, and the CRM queue's messages go to CrmDeliveryFunction through
Lambda-shaped SQS events. Retry delays follow `leadcenter.clock`: `settle()` jumps the clock to the next
message that is due, so three days of retries take seconds.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

from leadcenter import clock, webhook_signature
from leadcenter.config import settings
from leadcenter.crm_settings import crm_settings
from local.gateway import context_for, fresh_handler, handler_of
from local.sqs_source import QueueConsumer, sqs_event
from local.stream_source import StreamPoller
from local.template import Stack


def use_function_environment(stack: Stack) -> None:
    """The CRM functions' own variables (queue URLs), as the local runner gives every function in its process."""
    from leadcenter.config import reset_settings
    from leadcenter.crm_settings import reset_crm_settings

    for name in ("CrmStreamFunction", "CrmDeliveryFunction", "IntegrationsFunction"):
        for key, value in stack.functions()[name].environment.items():
            os.environ.setdefault(key, value)
    reset_settings()
    reset_crm_settings()


# ---------------------------------------------------------------------------------------------- receiver


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float = field(default_factory=time.monotonic)
    app_at: float = field(default_factory=clock.epoch)  # by the app clock, which tests move

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server in a thread. `answer(n)` picks the status of the n-th request (0-based)."""

    answer: Callable[[int], int] = lambda n: 200
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    delay: float = 0.0  # seconds each answer takes (a slow receiver)
    in_flight: int = 0
    max_in_flight: int = 0  # the most requests it was answering at once

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = receiver.answer(len(receiver.requests))
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body, status))
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                try:
                    time.sleep(receiver.delay)
                finally:
                    with receiver.lock:
                        receiver.in_flight -= 1
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def url(self, path: str = "/hook") -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def received(self, path: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if path is None or r.path == path]


@dataclass
class DripReceiver:
    """A receiver that reads the request, then answers one byte every `interval` seconds: a 200, eventually. A
    socket timeout per read never fires against it; only a deadline for the whole attempt does."""

    interval: float = 1.0
    answer: bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    requests: list[float] = field(default_factory=list)  # when each arrived (monotonic)
    hung_up: list[float] = field(default_factory=list)  # when the caller gave up on each (monotonic)
    sock: socket.socket | None = None
    stopped: threading.Event = field(default_factory=threading.Event)

    def start(self) -> DripReceiver:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        assert self.sock is not None
        while not self.stopped.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536) or b"\r\n\r\n"
                self.requests.append(time.monotonic())
                for byte in self.answer:
                    if self.stopped.wait(self.interval):
                        return
                    connection.sendall(bytes([byte]))
            except OSError:
                self.hung_up.append(time.monotonic())

    def url(self, path: str = "/hook") -> str:
        assert self.sock is not None
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}{path}"

    def stop(self) -> None:
        self.stopped.set()
        if self.sock is not None:
            self.sock.close()


def fails_first(count: int) -> Callable[[int], int]:
    return lambda n: 500 if n < count else 200


def fails_at_random(rate: float, seed: int = 7) -> Callable[[int], int]:
    rng = random.Random(seed)
    return lambda n: 503 if rng.random() < rate else 200


def valid_signature(request: Received, secret: str, now: float | None = None) -> bool:
    """Checked as a receiver would: the signature over the raw body, within 5 minutes of (app) now."""
    try:
        at = clock.epoch() if now is None else now
        webhook_signature.verify(request.headers.get("X-Signature"), request.body, secret, now=at)
    except webhook_signature.InvalidSignature:
        return False
    return True


# ---------------------------------------------------------------------------------------------- pipeline


class Pipeline:
    """The CRM sync of the template, driven by hand: streams -> CrmStreamFunction -> CRM queue -> worker."""

    def __init__(self, stack: Stack, regions: list[str] | None = None) -> None:
        use_function_environment(stack)
        session = boto3.session.Session()
        functions = stack.functions()
        self.stream_function = functions["CrmStreamFunction"]
        self.worker = functions["CrmDeliveryFunction"]
        # From now on: changes made before this pipeline (other tests') are not this test's business. No batching
        # window: `drain_streams` reads all there is now, so waiting for more would only slow the tests down.
        tables = {region: stack.physical[region]["LeadsTable"] for region in regions or stack.storage_regions}
        self.pollers = [
            StreamPoller(self.stream_function, region, table, session, latest=True, batching_window=0)
            for region, table in tables.items()
        ]
        self.sqs = boto3.client("sqs", region_name=settings().home_region)
        self.queue_url = settings().crm_queue_url
        self.dead_letter_url = crm_settings().dead_letter_queue_url
        # The runner's own consumer: it holds messages back until their `not_before`, by the app clock.
        self.consumer = QueueConsumer(self.worker, self.sqs, concurrency=1)

    def drain_streams(self) -> int:
        """Feeds every region's new stream records to the stream function; stops early if it fails a batch."""
        total = 0
        while True:
            failures = sum(poller.failures for poller in self.pollers)
            read = sum(poller.poll_once() for poller in self.pollers)
            total += read
            if not read or sum(poller.failures for poller in self.pollers) > failures:
                return total

    def work_once(self) -> int:
        """Runs the queued messages that are due now (the runner's consumer holds back the rest, as in `make
        run`); returns how many it received or released."""
        handled = 0
        while received := self.consumer.poll_once(wait_seconds=0):
            handled += received
        return handled + self.consumer.deliver_due()

    def earliest_due(self) -> float | None:
        with self.consumer.deferred_lock:
            return min((at for _, at in self.consumer.deferred.values()), default=None)

    def pump(self) -> None:
        """Until nothing is due now: streams drained, due messages run (retries may fall due later)."""
        while self.drain_streams() + self.work_once():
            pass

    def settle(self, *, max_seconds: float = 5 * 86400, until: Callable[[], bool] | None = None) -> float:
        """Pumps, jumping the app clock to each next due retry, until nothing waits (or `until()`); returns how
        far the clock moved."""
        moved = 0.0
        while True:
            self.pump()
            if until is not None and until():
                return moved
            earliest = self.earliest_due()
            if earliest is None:
                return moved
            step = max(0.0, earliest - clock.epoch()) + 0.001
            if moved + step > max_seconds:
                return moved
            clock.advance(step)
            moved += step

    def receive(self) -> list[dict[str, Any]]:
        """Every message waiting in the CRM queue now (received: hidden until `run_apart` deletes it)."""
        found: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            found += [dict(message) for message in batch]
        return found

    def run_apart(self, messages: list[dict[str, Any]]) -> tuple[float, list[float]]:
        """Each message in a worker container of its own, all at once (as Lambda scales an SQS source out);
        returns when they started and when each finished (monotonic). Handled messages are deleted."""
        containers = [handler_of(self.worker)] + [fresh_handler(self.worker) for _ in messages[1:]]
        finished = [0.0] * len(messages)
        failures: list[BaseException] = []

        def run(index: int) -> None:
            message = messages[index]
            try:
                result = containers[index](sqs_event([message], queue_url=self.queue_url), context_for(self.worker))
                if not result.get("batchItemFailures"):
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            except BaseException as exc:  # reported to the test below
                failures.append(exc)
            finished[index] = time.monotonic()

        threads = [threading.Thread(target=run, args=(n,)) for n in range(len(messages))]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        return started, finished

    def dead_letters(self) -> list[dict[str, Any]]:
        found = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.dead_letter_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            found += [json.loads(m["Body"]) for m in batch]

    def purge(self) -> None:
        key = "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"
        previous = os.environ.get(key)
        os.environ[key] = "false"
        try:
            for url in (self.queue_url, self.dead_letter_url):
                self.sqs.purge_queue(QueueUrl=url)
        finally:
            if previous is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = previous


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
