"""`make run`: the whole Leads Center on one machine, built from template.yaml.

Two processes. A child runs the moto server: every table, key, queue and bucket of the template, in memory.
The runner holds an HTTP server that routes API requests through the API Gateway emulation (`local.gateway`)
to the real handlers, the static web UI, a long-polling consumer per SQS-triggered function, a scheduler per
scheduled function, and the local-only routes under `/_local/` (tokens, the app clock, running a schedule now).

Nothing here implements app behaviour: every request and event ends in a function's own handler.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import math
import os
import queue
import re
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from local.gateway import Gateway, context_for, fresh_handler, handler_of
from local.template import ACCOUNT_ID, ROOT, Function, Stack

WEB_ROOT = ROOT / "web"
MAX_BODY_BYTES = 1024 * 1024
HOME_REGION = "us-east-1"
MAX_ADVANCE_SECONDS = 100 * 365 * 86400  # a century: enough for any retention rule, far from float trouble
MAX_VISIBILITY_SECONDS = 43_200  # SQS's ceiling for ChangeMessageVisibility
DEFAULT_SEED_COUNT = 300

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}


def log(message: str) -> None:
    print(f"[local] {message}", flush=True)


# ---------------------------------------------------------------------------------------------- environment


def configure_environment(aws_port: int) -> None:
    """Must run before anything imports `leadcenter`: its stores read the endpoint when they are built."""
    for name in list(os.environ):
        # A developer's own AWS profile or per-service endpoint must never steer a local run to real AWS.
        if name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") or name.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_REGION": HOME_REGION,
            "AWS_DEFAULT_REGION": HOME_REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "LEADCENTER_LOCAL": "true",
        }
    )
    os.environ.setdefault("WEBHOOK_SECRET", "local-webhook-secret")
    os.environ.setdefault("AUTO_CAPTURE_REVIEW_SECONDS", "2")  # CONTRACT: local review approves after 2 s


def apply_function_environment(stack: Stack) -> None:
    """All functions share this process, so they share one environment: Globals plus each function's own."""
    merged = stack.environment()
    for function in stack.functions().values():
        for name, value in function.environment.items():
            if name in merged and merged[name] != value:
                log(f"{function.logical_id} sets {name} unlike another function; keeping {merged[name]!r}")
                continue
            merged[name] = value
    os.environ.update(merged)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class MotoProcess:
    """moto's server in a child process of its own: AWS emulation and the functions then run on two cores
    instead of sharing one interpreter lock (a load run is bound by moto's Python as much as by ours)."""

    def __init__(self, port: int) -> None:
        import multiprocessing

        self.port = port
        self.process = multiprocessing.get_context("spawn").Process(
            target=serve_moto, args=(port, os.getpid()), name="moto", daemon=True
        )

    def start(self, timeout: float = 60.0) -> None:
        self.process.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.process.is_alive():
                raise SystemExit(f"the moto server stopped at start (exit code {self.process.exitcode})")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit(f"the moto server did not listen on {self.port} within {timeout:.0f}s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(timeout=10)


def serve_moto(port: int, parent_pid: int) -> None:
    """The child's whole life: serve until the runner goes, even if it is killed without a word."""
    from moto.server import ThreadedMotoServer

    from local import moto_patches

    moto_patches.install()  # item-level transaction rollback, atomic writes, SQS at scale: see that module
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call would drown the console
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the runner stops us itself
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    server.stop()


def start_moto(port: int) -> MotoProcess:
    """moto's threaded server waits forever when its port is taken, so check first and fail clearly."""
    if not port_is_free(port):
        raise SystemExit(f"AWS_PORT {port} is already in use (another `make run`?); choose another AWS_PORT")
    server = MotoProcess(port)
    server.start()
    return server


def app_clock() -> ModuleType:
    from leadcenter import clock

    return clock


def current_offset() -> float:
    # advance(0) is the clock's public way to read its offset without touching a private global.
    return float(app_clock().advance(0))


# ---------------------------------------------------------------------------------------------- schedules


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_period(expression: str) -> float:
    """Seconds between runs. cron(...) is treated as daily: local runs care that it runs, not at what hour."""
    found = _RATE.match(expression.strip())
    if found:
        return float(int(found.group(1)) * _UNIT_SECONDS[found.group(2).rstrip("s")])
    if not expression.strip().startswith("cron("):
        log(f"unknown schedule expression {expression!r}; running it daily")
    return 86400.0


def scheduled_event(function: Function) -> dict[str, Any]:
    clock = app_clock()
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": HOME_REGION,
        "resources": [f"arn:aws:events:{HOME_REGION}:{ACCOUNT_ID}:rule/{function.logical_id}-schedule"],
        "detail": {},
    }


@dataclass
class Schedule:
    function: Function
    period: float
    next_due: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    runs: int = 0


class Scheduler:
    """Runs each scheduled function when the app clock says it is due; a clock jump makes runs fall due."""

    def __init__(self, functions: list[Function]) -> None:
        start = app_clock().epoch()
        self.schedules: dict[str, Schedule] = {}
        for function in functions:
            period = schedule_period(function.schedule or "")
            # Like EventBridge, a rate rule first fires one period after it is created.
            self.schedules[function.logical_id] = Schedule(function, period, start + period)
        self.stop_event = threading.Event()

    def find(self, name: str) -> Schedule | None:
        """By logical id (RetentionFunction) or folder name (retention), case-insensitively."""
        wanted = name.lower()
        for logical_id, schedule in self.schedules.items():
            folder = schedule.function.code_uri.rstrip("/").rsplit("/", 1)[-1]
            if wanted in (logical_id.lower(), folder.lower()):
                return schedule
        return None

    def run(self, schedule: Schedule) -> Any:
        """One run at a time per function, whether the timer or /_local/run asked for it."""
        with schedule.lock:
            return self._invoke(schedule)

    def _invoke(self, schedule: Schedule) -> Any:
        function = schedule.function
        started = time.monotonic()
        result = handler_of(function)(scheduled_event(function), context_for(function))
        schedule.runs += 1
        log(f"schedule {function.logical_id} ran in {time.monotonic() - started:.2f}s")
        return result

    def run_due(self) -> list[str]:
        ran = []
        for schedule in self.schedules.values():
            with schedule.lock:
                now = app_clock().epoch()
                if now < schedule.next_due:
                    continue
                # One catch-up run however many periods a clock jump skipped, as a late timer would do.
                missed = math.floor((now - schedule.next_due) / schedule.period) + 1
                schedule.next_due += missed * schedule.period
                try:
                    self._invoke(schedule)
                    ran.append(schedule.function.logical_id)
                except Exception:
                    log(f"schedule {schedule.function.logical_id} failed:\n{traceback.format_exc()}")
        return ran

    def loop(self) -> None:
        while not self.stop_event.wait(1.0):
            self.run_due()


# ---------------------------------------------------------------------------------------------- queues


def queue_arn(queue_url: str) -> str:
    parts = urlsplit(queue_url).path.strip("/").split("/")
    account, name = (parts[0], parts[-1]) if len(parts) >= 2 else (ACCOUNT_ID, parts[-1])
    return f"arn:aws:sqs:{HOME_REGION}:{account}:{name}"


def lambda_message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
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


def sqs_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": message.get("Attributes", {}),
        "messageAttributes": lambda_message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": HOME_REGION,
    }


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


DEFAULT_QUEUE_CONCURRENCY = 4


def local_queue_concurrency() -> int:
    """Containers per queue-triggered function (Lambda scales an SQS source out; two cores do not need many)."""
    value = os.environ.get("LOCAL_QUEUE_CONCURRENCY", "").strip()
    if not value:
        return DEFAULT_QUEUE_CONCURRENCY
    if not re.fullmatch(r"[1-9]\d{0,2}", value):
        log(f"ignoring LOCAL_QUEUE_CONCURRENCY={value!r}: use a whole number from 1 to 999")
        return DEFAULT_QUEUE_CONCURRENCY
    return int(value)


class QueueConsumer:
    """Lambda's SQS event source mapping for one function: receive, invoke, delete what succeeded.

    Like Lambda, several batches run at once, each in a container of its own (a fresh copy of the function's
    module), up to the event source's MaximumConcurrency or LOCAL_QUEUE_CONCURRENCY, whichever is lower.
    """

    def __init__(self, function: Function, sqs: Any, concurrency: int | None = None) -> None:
        assert function.queue is not None
        self.function = function
        self.sqs = sqs
        self.url, self.arn = self._locate(function.queue)
        attributes = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["VisibilityTimeout"])
        self.visibility_timeout = int(attributes.get("Attributes", {}).get("VisibilityTimeout", 30))
        self.batch_size = max(1, min(function.batch_size, 10))
        wanted = concurrency if concurrency is not None else local_queue_concurrency()
        self.concurrency = max(1, min(wanted, function.max_concurrency or wanted))
        self.containers: queue.SimpleQueue[Callable[..., Any]] = queue.SimpleQueue()
        self.containers.put(handler_of(function))
        for _ in range(self.concurrency - 1):
            self.containers.put(fresh_handler(function))
        self.stop_event = threading.Event()
        # Messages held back by not_before, by id: kept so a clock jump can deliver them at once.
        self.deferred: dict[str, tuple[dict[str, Any], float]] = {}
        self.deferred_lock = threading.Lock()

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
        """One receive (long-polling `wait_seconds`); returns how many messages it got, held back ones included."""
        response = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        ready = [m for m in messages if not self._defer_if_early(m)]
        if ready:
            self.deliver(ready)
        return len(messages)

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
        event = {"Records": [sqs_record(m, self.arn) for m in messages]}
        handler = self.containers.get()  # an idle container; waits while all of them are busy
        try:
            result = handler(event, context_for(self.function))
        except Exception:
            # Like Lambda: the whole batch returns after the visibility timeout, then to the DLQ.
            log(f"{self.function.logical_id} failed a batch of {len(messages)}:\n{traceback.format_exc()}")
            return
        finally:
            self.containers.put(handler)
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


# ---------------------------------------------------------------------------------------------- streams

# Between empty polls of a stream, growing while it stays quiet: fast after a change (the CRM sync's latency,
# locally), cheap when idle (seven regions' streams polled through the moto server).
STREAM_IDLE_SECONDS = (0.05, 0.5)
_MISSING = object()


def _json_ready(value: Any) -> Any:
    """boto3's stream record as Lambda's JSON event carries it: binaries base64, times as epoch seconds."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_ready(v) for v in value]
    return value


def stream_record(record: dict[str, Any], region: str, stream_arn: str) -> dict[str, Any]:
    """One record of Lambda's DynamoDB stream event (moto names every record's region us-east-1)."""
    event = {key: _json_ready(value) for key, value in record.items()}
    event.update({"awsRegion": region, "eventSourceARN": stream_arn})
    return event


def _matches(value: Any, pattern: Any) -> bool:
    """Lambda event filtering, the subset templates here use: nested keys, value lists, prefix, exists."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_matches(value.get(k, _MISSING), p) for k, p in pattern.items())
    if isinstance(pattern, list):
        return any(_matches_rule(value, rule) for rule in pattern)
    return bool(value == pattern)


def _matches_rule(value: Any, rule: Any) -> bool:
    if isinstance(rule, dict):
        if "prefix" in rule:
            return isinstance(value, str) and value.startswith(rule["prefix"])
        if "exists" in rule:
            return (value is not _MISSING) == bool(rule["exists"])
        return False
    return bool(value == rule)


class StreamPoller:
    """Lambda's DynamoDB stream event source mapping for one function and one region's table: read a batch,
    keep what the filters let through, invoke; on a failure, retry from the record the function reported."""

    def __init__(self, function: Function, region: str, table_name: str, session: Any, *, latest: bool = False):
        self.function = function
        self.region = region
        from botocore.config import Config

        # moto knows the classic streams endpoint only, not the account-based one newer botocore picks.
        config = Config(account_id_endpoint_mode="disabled")
        self.streams = session.client("dynamodbstreams", region_name=region, config=config)
        table = session.client("dynamodb", region_name=region).describe_table(TableName=table_name)["Table"]
        self.arn = str(table["LatestStreamArn"])
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        position = "LATEST" if latest else "TRIM_HORIZON"
        self.iterators = {
            s["ShardId"]: self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=s["ShardId"],
                                                          ShardIteratorType=position)["ShardIterator"]
            for s in shards
        }  # fmt: skip
        self.stop_event = threading.Event()
        self.failures = 0  # batches the function failed (each is read again from where it failed)

    def poll_once(self) -> int:
        """Reads each shard once; returns how many records it read (0: the stream is quiet)."""
        read = 0
        for shard, iterator in list(self.iterators.items()):
            response = self.streams.get_records(ShardIterator=iterator, Limit=self.function.batch_size)
            records = [stream_record(r, self.region, self.arn) for r in response.get("Records", [])]
            read += len(records)
            chosen = [r for r in records if self._wanted(r)]
            retry_from = self._invoke(chosen) if chosen else None
            if retry_from is None:
                self.iterators[shard] = response["NextShardIterator"]
            else:
                self.failures += 1
                self.iterators[shard] = self.streams.get_shard_iterator(
                    StreamArn=self.arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=retry_from
                )["ShardIterator"]
        return read

    def _wanted(self, record: dict[str, Any]) -> bool:
        filters = self.function.stream_filters
        return not filters or any(_matches(record, pattern) for pattern in filters)

    def _invoke(self, records: list[dict[str, Any]]) -> str | None:
        """None when the batch is done; otherwise the sequence number to read again from."""
        try:
            result = handler_of(self.function)({"Records": records}, context_for(self.function))
        except Exception:
            name = f"{self.function.logical_id} ({self.region})"
            log(f"{name} failed a batch of {len(records)}:\n{traceback.format_exc()}")
            return str(records[0]["dynamodb"]["SequenceNumber"])
        failures = (result.get("batchItemFailures") if isinstance(result, dict) else None) or []
        return str(failures[0]["itemIdentifier"]) if failures else None

    def loop(self) -> None:
        shortest, longest = STREAM_IDLE_SECONDS
        idle = shortest
        while not self.stop_event.is_set():
            failures = self.failures
            try:
                read = self.poll_once()
            except Exception:
                if self.stop_event.is_set():
                    return
                log(f"stream poller {self.function.logical_id} ({self.region}) error:\n{traceback.format_exc()}")
                self.stop_event.wait(1.0)
                continue
            if self.failures > failures:
                self.stop_event.wait(1.0)  # like Lambda, retry a failed batch after a pause, not in a hot loop
            elif read:
                idle = shortest
            else:
                self.stop_event.wait(idle)
                idle = min(longest, idle * 2)


def stream_pollers(stack: Stack, session: Any) -> list[StreamPoller]:
    """One poller per stream-triggered function and storage region holding its table."""
    pollers = []
    for function in stack.functions().values():
        if function.stream_table is None:
            continue
        for region in stack.storage_regions:
            table = stack.physical.get(region, {}).get(function.stream_table)
            if table:
                pollers.append(StreamPoller(function, region, table, session))
    return pollers


# ---------------------------------------------------------------------------------------------- runtime


class BadInput(Exception):
    def __init__(self, message: str, status: int = 400, code: str = "bad_request") -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class LocalRuntime:
    """What the HTTP handler and the /_local routes drive: gateway, clock, schedules, queues."""

    def __init__(self, stack: Stack, gateway: Gateway, sqs: Any, pollers: list[StreamPoller] | None = None) -> None:
        self.stack = stack
        self.gateway = gateway
        functions = list(stack.functions().values())
        self.scheduler = Scheduler([f for f in functions if f.schedule])
        self.consumers = [QueueConsumer(f, sqs) for f in functions if f.queue]
        self.pollers = pollers or []
        self.clock_lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def start_workers(self) -> None:
        targets: list[tuple[str, Callable[[], None]]] = [("scheduler", self.scheduler.loop)]
        targets += [(f"sqs-{c.function.logical_id}-{n}", c.loop) for c in self.consumers for n in range(c.concurrency)]
        targets += [(f"stream-{p.function.logical_id}-{p.region}", p.loop) for p in self.pollers]
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop_workers(self) -> None:
        self.scheduler.stop_event.set()
        for consumer in self.consumers:
            consumer.stop_event.set()
        for poller in self.pollers:
            poller.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=3)

    def clock_state(self) -> dict[str, Any]:
        clock = app_clock()
        return {"now": clock.iso(), "epoch": clock.epoch(), "offset_seconds": current_offset()}

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        with self.clock_lock:
            app_clock().advance(seconds)
            delivered = sum(consumer.deliver_due() for consumer in self.consumers)
            ran = self.scheduler.run_due()
        return {**self.clock_state(), "ran": ran, "delivered_messages": delivered}


def parse_advance(body: Any) -> float:
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object with advance_days or advance_seconds")
    given = [key for key in ("advance_days", "advance_seconds") if key in body]
    if len(given) != 1:
        raise BadInput("give exactly one of advance_days or advance_seconds")
    value = body[given[0]]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadInput(f"{given[0]} must be a number")
    seconds = float(value) * (86400 if given[0] == "advance_days" else 1)
    if seconds < 0:
        raise BadInput("the clock only moves forward")
    if seconds > MAX_ADVANCE_SECONDS:
        raise BadInput("that is more than a century; advance in smaller steps")
    return seconds


def parse_subject(body: Any) -> str:
    subject = body.get("sub") if isinstance(body, dict) else None
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 128:
        raise BadInput('body must be {"sub": "<user id>"}, a non-empty string of at most 128 characters')
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in subject):
        raise BadInput("sub must not contain control characters")
    return subject


# ---------------------------------------------------------------------------------------------- HTTP


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when dozens of clients (a load test, the UI's
    # parallel requests) connect at once.
    request_queue_size = 256
    runtime: LocalRuntime


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, default=str).encode("utf-8")


def error_payload(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class RequestHandler(BaseHTTPRequestHandler):
    server: LocalServer
    protocol_version = "HTTP/1.1"
    server_version = "leadcenter-local"
    unread = 0  # bytes of a refused body still on the wire

    def do_GET(self) -> None:
        self.handle_request()

    def do_HEAD(self) -> None:
        self.handle_request()

    def do_POST(self) -> None:
        self.handle_request()

    def do_PUT(self) -> None:
        self.handle_request()

    def do_PATCH(self) -> None:
        self.handle_request()

    def do_DELETE(self) -> None:
        self.handle_request()

    def do_OPTIONS(self) -> None:
        self.handle_request()

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"[http] {format % args}\n")

    def handle_expect_100(self) -> bool:
        """A client that asks before sending an oversized body gets 413 instead of "go ahead"."""
        length = self.headers.get("Content-Length") or "0"
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            message = f"request body is larger than {MAX_BODY_BYTES} bytes"
            self.send_json(413, error_payload("payload_too_large", message))
            return False
        return super().handle_expect_100()

    # ---------------------------------------------------------------------------------- dispatch

    def handle_request(self) -> None:
        target = urlsplit(self.path)
        path, query = target.path or "/", target.query
        try:
            if path.startswith("/_local/"):
                self.local_route(path)
            elif self.server.runtime.gateway.match(self.command, path) is not None:
                self.api_route(path, query)
            elif self.command in ("GET", "HEAD"):
                self.static_file(path)
            else:
                self.drain_body()
                self.send_json(404, error_payload("not_found", "no such route"))
        except BadInput as exc:
            self.send_json(exc.status, error_payload(exc.code, exc.message))
            if exc.status == 413:
                self.discard_unread()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left; nobody to answer
        except Exception:
            sys.stderr.write(traceback.format_exc())
            self.close_connection = True  # the request may be half read; start the next one afresh
            self.send_json(502, error_payload("internal_error", "the function failed; see the runner's log"))

    def api_route(self, path: str, query: str) -> None:
        body = self.read_body()
        headers = {key: value for key, value in self.headers.items()}
        reply = self.server.runtime.gateway.invoke(self.command, path, query=query, headers=headers,
                                                   body=body or None)  # fmt: skip
        skip = {"content-length", "connection", "transfer-encoding"}
        extra = {k: v for k, v in reply.headers.items() if k.lower() not in skip}
        self.send(reply.status, reply.body.encode("utf-8"), extra)

    def local_route(self, path: str) -> None:
        runtime = self.server.runtime
        if path == "/_local/token" and self.command == "POST":
            subject = parse_subject(self.read_json())
            self.send_json(200, {"token": runtime.gateway.issue_token(subject), "sub": subject})
        elif path == "/_local/clock" and self.command == "GET":
            self.send_json(200, runtime.clock_state())
        elif path == "/_local/clock" and self.command == "POST":
            self.send_json(200, runtime.advance_clock(parse_advance(self.read_json())))
        elif path.startswith("/_local/run/") and self.command == "POST":
            self.drain_body()
            self.run_function(unquote(path[len("/_local/run/") :]))
        elif path in ("/_local/token", "/_local/clock") or path.startswith("/_local/run/"):
            self.drain_body()
            message = f"{self.command} is not allowed on {path}"
            self.send_json(405, error_payload("method_not_allowed", message))
        else:
            self.drain_body()
            self.send_json(404, error_payload("not_found", "no such local route"))

    def run_function(self, name: str) -> None:
        scheduler = self.server.runtime.scheduler
        schedule = scheduler.find(name)
        if schedule is None:
            known = ", ".join(sorted(scheduler.schedules)) or "none yet"
            message = f"no scheduled function {name!r} (scheduled: {known})"
            self.send_json(404, error_payload("not_found", message))
            return
        try:
            result = scheduler.run(schedule)
        except Exception as exc:
            sys.stderr.write(traceback.format_exc())
            message = f"{schedule.function.logical_id} raised {type(exc).__name__}"
            self.send_json(500, error_payload("function_failed", message))
            return
        self.send_json(200, {"function": schedule.function.logical_id, "result": result})

    # ---------------------------------------------------------------------------------- static files

    def static_file(self, path: str) -> None:
        file = resolve_static(path)
        if file is None:
            self.send_json(404, error_payload("not_found", "no such file"))
            return
        content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
        self.send(200, file.read_bytes(), {"Content-Type": content_type, "Cache-Control": "no-cache"})

    # ---------------------------------------------------------------------------------- bodies

    def read_body(self) -> bytes:
        """The raw body; one over MAX_BODY_BYTES is refused (413) from its Content-Length, before reading."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        raw_length = self.headers.get("Content-Length") or "0"
        if not raw_length.isdigit():
            self.close_connection = True
            raise BadInput("invalid Content-Length")
        length = int(raw_length)
        if length > MAX_BODY_BYTES:
            self.unread = length
            self.refuse_large_body()
        return self.rfile.read(length) if length else b""

    def read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self.close_connection = True
                raise BadInput("invalid chunked body") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers end with an empty line
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                self.refuse_large_body()
            chunks.append(self.rfile.read(size))
            self.rfile.readline(16)

    def refuse_large_body(self) -> None:
        # The unread rest of the body would be parsed as the next request, so this connection must end.
        self.close_connection = True
        raise BadInput(f"request body is larger than {MAX_BODY_BYTES} bytes", 413, "payload_too_large")

    def discard_unread(self) -> None:
        """After a 413: drop (never keep) what the client is still sending, so it reads our answer rather
        than a connection reset; a client sending far more, or stalling, is simply cut off."""
        remaining = min(self.unread, 64 * MAX_BODY_BYTES)
        self.connection.settimeout(2.0)
        try:
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            pass

    def drain_body(self) -> None:
        """Reads and drops a body we do not use, so a kept-alive connection stays in step."""
        length = self.headers.get("Content-Length") or "0"
        if length.isdigit() and 0 < int(length) <= MAX_BODY_BYTES:
            self.rfile.read(int(length))
        elif length != "0" or "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True

    def read_json(self) -> Any:
        body = self.read_body()
        try:
            return json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise BadInput("body is not valid JSON", 400, "invalid_json") from None

    # ---------------------------------------------------------------------------------- replies

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json_bytes(payload), {"Content-Type": "application/json", **(headers or {})})

    def send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        # No CORS headers on purpose: the UI is served from this same origin.
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def resolve_static(path: str) -> Path | None:
    """`/` is index.html; `/web/x` and `/x` both mean web/x. Nothing outside web/ is ever served."""
    relative = unquote(path).lstrip("/")
    if relative == "web" or relative.startswith("web/"):
        relative = relative[3:].lstrip("/")
    root = WEB_ROOT.resolve()
    candidate = (root / relative).resolve()
    if candidate.is_dir():
        candidate = candidate / "index.html"
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


# ---------------------------------------------------------------------------------------------- startup


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.runner", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("AWS_PORT") or 4566))
    parser.add_argument("--seed", default=os.environ.get("SEED", ""), help="demo or demo:N (default: $SEED)")
    return parser.parse_args(argv)


def seed_count(value: str) -> int | None:
    """SEED=demo -> a few hundred leads; SEED=demo:N -> N; empty -> no seeding."""
    value = value.strip()
    if not value:
        return None
    if value == "demo":
        return DEFAULT_SEED_COUNT
    found = re.fullmatch(r"demo:(\d{1,6})", value)
    if not found:
        log(f"ignoring SEED={value!r}: use SEED=demo or SEED=demo:N")
        return None
    return int(found.group(1))


def build_runtime() -> LocalRuntime:
    import boto3

    session = boto3.session.Session()
    stack = Stack.from_template(home_region=HOME_REGION)
    stack.provision(session)
    apply_function_environment(stack)
    from leadcenter.config import reset_settings

    reset_settings()
    gateway = Gateway(stack)
    for function in gateway.functions.values():
        try:
            handler_of(function)  # import now, so the first request does not pay for it
        except Exception:
            # Keep serving: the UI and the other functions still work, and each call shows the error.
            log(f"{function.logical_id} does not import:\n{traceback.format_exc()}")
    return LocalRuntime(stack, gateway, session.client("sqs", region_name=HOME_REGION), stream_pollers(stack, session))


def start_seeding(runtime: LocalRuntime, count: int) -> None:
    from local.seed import seed

    def work() -> None:
        try:
            seed(runtime.gateway, count)
        except Exception:
            log(f"seeding failed:\n{traceback.format_exc()}")

    threading.Thread(target=work, name="seed", daemon=True).start()


def banner(port: int, aws_port: int, runtime: LocalRuntime, elapsed: float) -> None:
    base = f"http://127.0.0.1:{port}"
    lines = [
        f"leadcenter is running (ready in {elapsed:.1f}s)",
        f"  UI + API     {base}/",
        f"  OpenAPI      {base}/openapi.json",
        f"  AWS (moto)   http://127.0.0.1:{aws_port}   (AWS_ENDPOINT_URL for aws-cli / boto3)",
        f'  token        curl -s -X POST {base}/_local/token -d \'{{"sub": "alice"}}\'',
        "               then send  Authorization: Bearer <token>",
        f"  clock        curl -s -X POST {base}/_local/clock -d '{{\"advance_days\": 91}}'",
        f"  queues       {', '.join(f'{c.function.logical_id} x{c.concurrency}' for c in runtime.consumers) or 'none'}",
        f"  streams      {', '.join(sorted({p.function.logical_id for p in runtime.pollers})) or 'none'}",
        f"  schedules    {', '.join(runtime.scheduler.schedules) or 'none'}  (POST {base}/_local/run/<name>)",
        "Ctrl-C stops it; all state is in memory.",
    ]
    print("\n".join(lines), flush=True)


def stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    args = parse_args(argv)
    count = seed_count(args.seed)
    configure_environment(args.aws_port)
    try:
        # Bind first: a taken port fails at once, and early clients wait in the backlog until we serve.
        server = LocalServer(("127.0.0.1", args.port), RequestHandler)
    except OSError as exc:
        raise SystemExit(f"PORT {args.port} is not available ({exc}); choose another PORT") from None
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    # A shell without job control starts background jobs ignoring SIGINT; `kill -INT` should still stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    moto = None
    runtime = None
    try:
        moto = start_moto(args.aws_port)
        runtime = build_runtime()
        server.runtime = runtime
        runtime.start_workers()
        banner(args.port, args.aws_port, runtime, time.monotonic() - started)
        if count:
            start_seeding(runtime, count)
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        log("stopping")
    finally:
        if runtime is not None:
            runtime.stop_workers()
        server.server_close()
        if moto is not None:
            moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
