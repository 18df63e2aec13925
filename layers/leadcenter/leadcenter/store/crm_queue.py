"""The CRM queue (SQS, KMS-encrypted, in the home region): change notices and delivery attempts, ids only.

Two kinds of message, both JSON without personal data:
  change   {kind, key, account_id, lead_id, region, type, version, occurred_at, expires_at, status_from, status_to}
           from the change feed of every storage region
  attempt  {kind, key, account_id, target_id, delivery_id, attempt}
           one attempt of one delivery; `key` (delivery id and attempt number) makes it idempotent

A wait longer than SQS allows (900 s) rides on the `not_before` attribute (epoch seconds by the app clock):
the worker sends a message that arrives early on again. The local runner holds such messages back until
`/_local/clock` reaches them, which is why, locally, waits use `not_before` alone.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from leadcenter import aws, clock
from leadcenter.config import settings
from leadcenter.crm_settings import crm_settings

MAX_DELAY_SECONDS = 900
_BATCH = 10
_REGION_IN_URL = re.compile(r"^https://sqs\.([a-z0-9-]+)\.")


def _region(queue_url: str) -> str:
    """A regional stack's consumer sends to the home queue: the region is in the queue's URL."""
    found = _REGION_IN_URL.match(queue_url)
    return found.group(1) if found else settings().home_region


def _entry(index: int, message: dict[str, Any], not_before: float | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Id": str(index),
        "MessageBody": json.dumps(message, separators=(",", ":")),
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": str(message["kind"])}},
    }
    if not_before is not None:
        entry["MessageAttributes"]["not_before"] = {"DataType": "String", "StringValue": f"{not_before:.3f}"}
        wait = not_before - clock.epoch()
        if wait > 0 and not settings().local_mode:
            entry["DelaySeconds"] = min(MAX_DELAY_SECONDS, math.ceil(wait))
    return entry


def send(
    messages: Sequence[dict[str, Any]], not_before: float | None = None, queue_url: str | None = None
) -> list[int]:
    """Sends in batches of ten; returns the indexes of the messages SQS did not take (the caller retries them)."""
    url = queue_url or settings().crm_queue_url
    client = aws.client("sqs", _region(url))
    failed: list[int] = []
    for start in range(0, len(messages), _BATCH):
        chunk = messages[start : start + _BATCH]
        entries = [_entry(start + i, message, not_before) for i, message in enumerate(chunk)]
        response = client.send_message_batch(QueueUrl=url, Entries=entries)
        failed += [int(f["Id"]) for f in response.get("Failed", [])]
    return failed


def send_dead_letter(message: dict[str, Any]) -> None:
    """A delivery that failed for good: its ids go to the CRM dead-letter queue, where operators look."""
    url = crm_settings().dead_letter_queue_url
    if url:
        send([message], queue_url=url)
