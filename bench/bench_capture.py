"""Capture (issue 3): webhook acknowledgement latency, and a load run against `make run`.

webhook_ack_ms_p50/p99: the intake handler in-process; our time = the whole invocation minus the time spent
inside the SQS SendMessage call (moto's), measured by timing around it. Peer: moto's SendMessage itself.
capture_load_*: 10,000 signed events from 50 concurrent senders against the local runner (a subprocess, as a
client would), 10% redeliveries and 5% bad signatures, each signed when it is sent; then every accepted event
must be processed: the capture worker's finished-event marker (store/capture_events.py, written once an event is
done) for each distinct accepted event_id, nothing in the DLQ, no lost contact, no duplicate lead.
capture_load_seconds: from the first send until the queue is empty (goal: 10,000 events within 10 minutes).
`CAPTURE_LOAD_EVENTS` / `CAPTURE_LOAD_PERSONS` shrink it for a quick try.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.harness import metric, moto_stack

ROOT = Path(__file__).resolve().parent.parent
ACK_EVENTS = 2_000
LOAD_EVENTS = int(os.environ.get("CAPTURE_LOAD_EVENTS", "10000"))
SENDERS = 50
PERSONS = int(os.environ.get("CAPTURE_LOAD_PERSONS", "2000"))


def _event(account_id: str, person: int, message: int) -> dict[str, Any]:
    return {
        "event_id": f"evt-{uuid.uuid4()}",
        "type": "message.received",
        "account_id": account_id,
        "occurred_at": "2026-11-22T00:00:00Z",
        "conversation_id": f"dm-{person}",
        "user": {"id": f"user-{person}", "display_name": f"Person {person}", "region": "SG"},
        "message": {"id": f"m-{person}-{message}", "text": f"hi, mail me at person{person}.m{message % 2}@example.com"},
    }


def _ack_latency() -> dict[str, Any]:
    with moto_stack():
        from botocore.client import BaseClient

        from leadcenter.config import settings
        from leadcenter.webhook_signature import sign
        from local.gateway import Gateway
        from local.template import Stack

        gateway = Gateway(Stack.from_template())
        inside_sqs: list[float] = []
        original = BaseClient._make_api_call

        def timed(self: Any, operation: str, params: dict[str, Any]) -> Any:
            started = time.perf_counter()
            try:
                return original(self, operation, params)
            finally:
                if self.meta.service_model.service_name == "sqs":
                    inside_sqs.append(time.perf_counter() - started)

        BaseClient._make_api_call = timed  # type: ignore[method-assign]
        ours, moto = [], []
        try:
            secret = settings().webhook_secret
            for n in range(ACK_EVENTS):
                body = json.dumps(_event("acc-bench", n, 0)).encode()
                headers = {"Content-Type": "application/json", "X-Signature": sign(secret, body, int(time.time()))}
                inside_sqs.clear()
                started = time.perf_counter()
                reply = gateway.invoke("POST", "/webhooks/messages", headers=headers, body=body)
                total = time.perf_counter() - started
                assert reply.status == 202, reply.body
                ours.append((total - sum(inside_sqs)) * 1000)
                moto.append(sum(inside_sqs) * 1000)
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]
    ours.sort()
    moto.sort()
    p99 = ours[int(len(ours) * 0.99)]
    return {
        "webhook_ack_ms_p50": metric(
            statistics.median(ours),
            "ms",
            statistics.median(moto),
            f"{ACK_EVENTS} signed events, in-process; excluding moto's SendMessage (peer)",
        ),
        "webhook_ack_ms_p99": metric(
            p99,
            "ms",
            moto[int(len(moto) * 0.99)],
            "goal <= 20 ms excluding moto's own time; peer = moto's SendMessage p99",
        ),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the local runner
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, None


def _load_run() -> dict[str, Any]:
    port, aws_port = _free_port(), _free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'leadcenter'}:{ROOT}", "AUTO_CAPTURE_REVIEW_SECONDS": "0"}
    runner = subprocess.Popen(
        [sys.executable, "-m", "local.runner", "--port", str(port), "--aws-port", str(aws_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if _http("GET", f"{base}/openapi.json")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        return _drive(base, aws_port)
    finally:
        os.killpg(runner.pid, signal.SIGTERM)
        runner.wait(timeout=30)


def _drive(base: str, aws_port: int) -> dict[str, Any]:
    from leadcenter.webhook_signature import sign

    token = _http("POST", f"{base}/_local/token", json.dumps({"sub": "load-admin"}).encode())[1]["token"]
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    account = _http(
        "POST", f"{base}/accounts", json.dumps({"name": "Load", "type": "ad_account", "country": "SG"}).encode(), auth
    )[1]["id"]
    body = json.dumps({"privacy_policy_url": "https://example.com/p", "company_name": "Load Co"}).encode()
    _http("PUT", f"{base}/accounts/{account}/auto-capture", body, auth)
    for _ in range(100):
        state = _http("GET", f"{base}/accounts/{account}/auto-capture", None, auth)[1] or {}
        if state.get("status") == "approved":
            break
        time.sleep(0.1)
    _http("PATCH", f"{base}/accounts/{account}/auto-capture", json.dumps({"enabled": True}).encode(), auth)
    secret = os.environ.get("WEBHOOK_SECRET", "local-webhook-secret")
    rng = random.Random(10_000)
    originals = [_event(account, rng.randrange(PERSONS), n) for n in range(int(LOAD_EVENTS * 0.85))]
    plan: list[tuple[dict[str, Any], bool]] = [(e, True) for e in originals]
    plan += [(rng.choice(originals), True) for _ in range(int(LOAD_EVENTS * 0.10))]  # redeliveries
    plan += [(_event(account, rng.randrange(PERSONS), 9), False) for _ in range(LOAD_EVENTS - len(plan))]  # bad
    rng.shuffle(plan)
    # The platform signs each delivery when it sends it, by its own clock: the runner's app clock here.
    clock_offset = _http("GET", f"{base}/_local/clock")[1]["epoch"] - time.time()

    unanswered: list[int] = []

    def send(item: tuple[dict[str, Any], bool]) -> tuple[int, bool]:
        event, good = item
        raw = json.dumps(event).encode()
        for attempt in range(3):
            # The platform signs again and redelivers a delivery it got no answer to within 30 s.
            signature = sign(secret if good else "wrong-secret", raw, int(time.time() + clock_offset))
            headers = {"Content-Type": "application/json", "X-Signature": signature}
            try:
                status, _ = _http("POST", f"{base}/webhooks/messages", raw, headers)
                return status, good
            except OSError:  # timed out (reading, or connecting: URLError)
                unanswered.append(attempt)
        raise TimeoutError("three deliveries of one event went unanswered")

    started = time.perf_counter()
    with ThreadPoolExecutor(SENDERS) as pool:
        results = list(pool.map(send, plan))
    send_seconds = time.perf_counter() - started
    accepted = sum(1 for status, good in results if good and status == 202)
    wrongly = sum(1 for status, good in results if (status == 202) != good)
    accepted_ids = {event["event_id"] for (event, _), (status, _) in zip(plan, results, strict=True) if status == 202}
    sqs = _local_client("sqs", aws_port)
    queue = next(u for u in sqs.list_queues()["QueueUrls"] if "CaptureQueue" in u and "Dead" not in u)
    dlq = next(u for u in sqs.list_queues()["QueueUrls"] if "CaptureDeadLetter" in u)
    deadline = time.time() + 3600
    while time.time() < deadline:
        attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        if int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0:
            break
        time.sleep(2)
    drain_seconds = time.perf_counter() - started
    completed = _finished_events(aws_port, accepted_ids)
    dead = int(
        sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
    )
    leads: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = "limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = _http("GET", f"{base}/accounts/{account}/leads?{query}", None, auth)[1]
        leads += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    delivered = [e for e in originals if e["event_id"] in accepted_ids]  # what the platform saw accepted
    persons = {e["user"]["id"] for e in delivered}
    expected_emails = {e["message"]["text"].rsplit(" ", 1)[-1] for e in delivered}
    stored = {
        c
        for lead in leads
        for c in [lead["contact"].get("email")]
        + [o["value"] for o in lead["contact"]["others"] if o["kind"] == "email"]
        if c
    }
    lost = len(expected_emails - stored)
    duplicates = len(leads) - len(persons)
    note = (
        f"{LOAD_EVENTS} events ({accepted} accepted, {len(plan) - accepted} rejected as badly signed, "
        f"{wrongly} answered wrongly, {len(unanswered)} deliveries unanswered within 30 s and sent again), "
        f"{SENDERS} senders, {len(persons)} people; sent in {send_seconds:.0f}s, "
        f"all processed after {drain_seconds:.0f}s; {dead} in the DLQ"
    )
    return {
        "capture_load_unprocessed_events": metric(
            len(accepted_ids) - completed,
            "events",
            None,
            f"distinct accepted event_ids ({len(accepted_ids)}) minus those with the capture worker's finished-event "
            f"marker ({completed}); goal 0",
        ),
        "capture_load_wrong_answers": metric(
            wrongly, "responses", None, "a good signature refused or a bad one accepted; goal 0"
        ),
        "capture_load_lost_contacts": metric(lost + dead, "contacts", None, note),
        "capture_load_duplicate_leads": metric(
            duplicates, "leads", None, f"{len(leads)} leads for {len(persons)} people"
        ),
        "capture_load_events_per_second": metric(
            LOAD_EVENTS / drain_seconds, "events/s", None, "accepted and processed end to end by the local runner"
        ),
        "capture_load_seconds": metric(
            drain_seconds,
            "s",
            None,
            f"{LOAD_EVENTS} events from the first send until every accepted one is processed, local runner on "
            f"this machine; goal <= 600 s for 10,000",
        ),
    }


def _local_client(service: str, aws_port: int) -> Any:
    """A boto3 client of the runner's moto server, as `aws --endpoint-url` would use it."""
    import boto3

    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{aws_port}",
        aws_access_key_id="x",
        aws_secret_access_key="x",  # noqa: S106 - the local moto server takes any credentials
    )


def _finished_events(aws_port: int, event_ids: set[str]) -> int:
    """How many of `event_ids` carry the capture worker's finished-event marker (one per event, whatever the
    redeliveries): read by key, 100 at a time."""
    dynamodb = _local_client("dynamodb", aws_port)
    ids = sorted(event_ids)
    found = 0
    for start in range(0, len(ids), 100):
        keys = [{"pk": {"S": f"CE#{i}"}, "sk": {"S": "DONE"}} for i in ids[start : start + 100]]
        request: dict[str, Any] = {"leadcenter-app": {"Keys": keys}}
        while request:
            reply = dynamodb.batch_get_item(RequestItems=request)
            found += len(reply["Responses"].get("leadcenter-app", []))
            request = reply.get("UnprocessedKeys") or {}
    return found


def run() -> dict[str, Any]:
    return {**_ack_latency(), **_load_run()}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
