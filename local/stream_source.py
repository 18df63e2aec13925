"""Lambda's DynamoDB stream event source, locally: a poller per stream-triggered function and storage region.

It reads each shard, keeps what the function's event filters let through, invokes the function, and on a
failure reads again from the record the function reported (or the batch's first). With a batching window
(MaximumBatchingWindowInSeconds), a read that found records is followed by more reads, without invoking, until
the batch is full or the window has passed, as Lambda's poller gathers a batch; a quiet stream is polled as before.
"""

from __future__ import annotations

import base64
import threading
import time
import traceback
from datetime import datetime
from typing import Any

from local.common import log
from local.gateway import context_for, handler_of, running
from local.template import Function, Stack

# Between empty polls of a stream, growing while it stays quiet: fast after a change (the CRM sync's latency,
# locally), cheap when idle (seven regions' streams polled through the moto server).
STREAM_IDLE_SECONDS = (0.05, 0.5)
# Between the reads that gather a batch within the window: Lambda polls a shard four times a second.
GATHER_SECONDS = 0.25
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


def filter_matches(value: Any, pattern: Any) -> bool:
    """Lambda event filtering, the subset templates here use: nested keys, value lists, prefix, exists."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(filter_matches(value.get(k, _MISSING), p) for k, p in pattern.items())
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

    def __init__(
        self,
        function: Function,
        region: str,
        table_name: str,
        session: Any,
        *,
        latest: bool = False,
        batching_window: float | None = None,
    ) -> None:
        self.function = function
        self.region = region
        # The event source's MaximumBatchingWindowInSeconds, unless the caller drives the stream by hand (0).
        self.batching_window = max(0.0, function.batching_window if batching_window is None else batching_window)
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
        """Reads each shard once (gathering a batch within the window); returns how many records it read (0: the
        stream is quiet)."""
        return sum(self._poll_shard(shard) for shard in list(self.iterators))

    def _poll_shard(self, shard: str) -> int:
        chosen: list[dict[str, Any]] = []
        read, iterator = self._read(self.iterators[shard], chosen)
        closes = time.monotonic() + self.batching_window
        while chosen and iterator and len(chosen) < self.function.batch_size and not self.stop_event.is_set():
            left = closes - time.monotonic()
            if left <= 0:
                break
            self.stop_event.wait(min(left, GATHER_SECONDS))
            more, iterator = self._read(iterator, chosen)
            read += more
        retry_from = self._invoke(chosen) if chosen else None
        if retry_from is None and iterator:
            self.iterators[shard] = iterator
        elif retry_from is None:
            del self.iterators[shard]  # a closed shard: nothing more to read from it
        else:
            self.failures += 1
            self.iterators[shard] = self.streams.get_shard_iterator(
                StreamArn=self.arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=retry_from
            )["ShardIterator"]
        return read

    def _read(self, iterator: str, chosen: list[dict[str, Any]]) -> tuple[int, str | None]:
        """One GetRecords of at most what the batch has room for; what the filters let through joins `chosen`.
        Returns how many records it read and the next iterator."""
        limit = self.function.batch_size - len(chosen)
        response = self.streams.get_records(ShardIterator=iterator, Limit=limit)
        records = [stream_record(r, self.region, self.arn) for r in response.get("Records", [])]
        chosen += [r for r in records if self._wanted(r)]
        return len(records), response.get("NextShardIterator")

    def _wanted(self, record: dict[str, Any]) -> bool:
        filters = self.function.stream_filters
        return not filters or any(filter_matches(record, pattern) for pattern in filters)

    def _invoke(self, records: list[dict[str, Any]]) -> str | None:
        """None when the batch is done; otherwise the sequence number to read again from."""
        try:
            with running(self.function.logical_id):
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
