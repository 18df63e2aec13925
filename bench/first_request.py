"""first_request_ms_<function>: a fresh interpreter imports the handler module and serves one typical invocation,
so that cold_init_ms_* cannot improve by moving INIT work into the first request unnoticed.

AWS is moto's server in a process of its own (local.moto_server): the timed interpreter talks HTTP to it and
imports no moto, so its CPU time is the function's own (plus botocore's HTTP), not the emulator's. Each run gets
an event of its own (a new platform event id, a new job), so no run finds the work of an earlier one done.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import ENV, median

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "bench-admin"

FIRST_REQUEST = """
import importlib, json, sys, time
class Context:  # what Lambda's runtime passes (the Logger and the jobs worker read these)
    function_name = "bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    def get_remaining_time_in_millis(self):
        return 20000
event = json.loads(sys.stdin.read())
context = Context()
start = time.process_time()
result = importlib.import_module({module!r}).lambda_handler(event, context)
elapsed = (time.process_time() - start) * 1000
print(json.dumps({{"ms": elapsed, "result": result}}, default=str))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(module: str, event: dict[str, Any], env: dict[str, str]) -> tuple[float, Any]:
    out = subprocess.run(
        [sys.executable, "-c", FIRST_REQUEST.format(module=module)],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{module}: {out.stderr[-2000:]}")
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    return float(answer["ms"]), answer["result"]


def measure(functions: dict[str, str], runs: int) -> dict[str, float]:
    """Median CPU ms of import + one typical invocation, per function with a typical event below."""
    from local.moto_server import MotoProcess

    port = _free_port()
    moto = MotoProcess(port)
    moto.start()
    saved = dict(os.environ)
    try:
        env, stack = _provision(port)
        events = _typical_events(stack)
        results: dict[str, float] = {}
        for name, make_event in events.items():
            if name not in functions:
                continue
            module = functions[name]
            _run(module, make_event(), env)  # compile caches warm, as for cold_init_ms_*
            timings = []
            for _ in range(runs):
                ms, result = _run(module, make_event(), env)
                _check(name, result)
                timings.append(ms)
            results[name] = median(timings)
        return results
    finally:
        os.environ.clear()
        os.environ.update(saved)
        moto.stop()


def _check(name: str, result: Any) -> None:
    """A typical invocation succeeds: a timing of an error path would flatter the figure."""
    status = result.get("statusCode") if isinstance(result, dict) else None
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if (status is not None and int(status) >= 300) or failures:
        raise RuntimeError(f"first_request_ms_{name}: the invocation failed: {str(result)[:300]}")


def _provision(port: int) -> tuple[dict[str, str], Any]:
    import boto3

    from leadcenter import aws
    from leadcenter.config import reset_settings
    from local.template import Stack

    os.environ.update(ENV)
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    stack = Stack.from_template()
    stack.provision(boto3.session.Session())
    environment = stack.environment()
    for function in stack.functions().values():  # as the local runner: Globals plus each function's own
        environment.update({k: v for k, v in function.environment.items() if k not in environment})
    os.environ.update(environment)
    reset_settings()
    aws.reset()
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{ROOT / 'layers' / 'leadcenter'}:{ROOT}"
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caches as for cold_init_ms_* (bench_cold_init._time)
    return env, stack


def _typical_events(stack: Any) -> dict[str, Callable[[], dict[str, Any]]]:
    """One typical invocation per function, set up through the API in this process (against the same server)."""
    import boto3

    from leadcenter import webhook_signature
    from leadcenter.config import settings
    from local.gateway import Gateway, context_for, handler_of
    from local.sqs_source import sqs_event
    from local.stream_source import stream_pollers

    gateway = Gateway(stack)
    account = _ok(gateway, "POST", "/accounts", {"name": "Bench", "type": "ad_account", "country": "SG"})["id"]
    lead = {"region": "SG", "contact": {"name": "Bench Lead", "email": "lead@example.com"}}
    lead_id = _ok(gateway, "POST", f"/accounts/{account}/leads", lead)["id"]
    sqs = boto3.session.Session().client("sqs", region_name=settings().home_region)

    def received(queue_url: str) -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                       MessageSystemAttributeNames=["All"]).get("Messages", [])  # fmt: skip
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return list(messages)

    # The lead's stream record (what CrmStreamFunction gets), and the change notice it makes (CrmDeliveryFunction).
    stream_records: list[dict[str, Any]] = []
    for poller in stream_pollers(stack, boto3.session.Session()):
        if poller.function.logical_id == "CrmStreamFunction":
            poller._invoke = lambda records: stream_records.extend(records)  # type: ignore[method-assign,func-returns-value]
            poller.poll_once()
    stream_event = {"Records": [r for r in stream_records if r["eventName"] == "INSERT"][:1]}
    handler_of(stack.functions()["CrmStreamFunction"])(
        stream_event, context_for(stack.functions()["CrmStreamFunction"])
    )
    notice = sqs_event(received(settings().crm_queue_url)[:1], queue_url=settings().crm_queue_url)

    def job_start() -> dict[str, Any]:
        """A new bulk change (one lead to `qualified`): its start message, as the jobs queue delivers it."""
        while received(settings().jobs_queue_url):  # what earlier runs' jobs queued (their chunks)
            pass
        body = {"action": "set_status", "value": "qualified", "lead_ids": [lead_id]}
        _ok(gateway, "POST", f"/accounts/{account}/leads/bulk", body)
        starts = [m for m in received(settings().jobs_queue_url) if json.loads(m["Body"])["kind"] == "start"]
        return sqs_event(starts[:1], queue_url=settings().jobs_queue_url)

    def api(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        matched = gateway.match(method, path)
        assert matched is not None and not isinstance(matched, str), path
        route, parameters = matched
        claims = {"sub": ADMIN, "token_use": "id"} if route.authorized else None
        raw = body if isinstance(body, str) else (json.dumps(body) if body is not None else None)
        return gateway._event(route, path, parameters, "", headers or {}, raw, claims)

    def platform_event() -> dict[str, Any]:
        return {
            "event_id": f"evt-{uuid.uuid4()}",
            "type": "message.received",
            "occurred_at": "2026-01-05T10:00:00Z",
            "account_id": account,
            "conversation_id": f"c-{uuid.uuid4()}",
            "user": {"id": f"u-{uuid.uuid4()}", "region": "SG", "display_name": "Siti Rahma"},
            "message": {"id": f"m-{uuid.uuid4()}", "text": "hello, my email is siti@example.com"},
        }

    def webhook() -> dict[str, Any]:
        body = json.dumps(platform_event())
        signature = webhook_signature.sign(settings().webhook_secret, body.encode(), int(__import__("time").time()))
        headers = {"Content-Type": "application/json", webhook_signature.HEADER: signature}
        return api("POST", "/webhooks/messages", body, headers)

    def capture_record() -> dict[str, Any]:
        message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "bench", "Body": json.dumps(platform_event())}
        return sqs_event([message], queue_url=settings().capture_queue_url)

    return {
        "leads": lambda: api("GET", f"/accounts/{account}/leads"),
        "integrations": lambda: api("GET", f"/accounts/{account}/integrations/webhooks"),
        "transfer": lambda: api("GET", f"/accounts/{account}/lead-access"),
        "capture": webhook,
        "capture_worker": capture_record,
        "crm_stream": lambda: stream_event,
        "crm_delivery": lambda: notice,
        "jobs_worker": job_start,
        "jobs_dead_letter": job_start,
        "retention": lambda: {},
    }


def _ok(gateway: Any, method: str, path: str, body: Any) -> Any:
    reply = gateway.invoke(
        method, path, headers={"Content-Type": "application/json"}, body=json.dumps(body), subject=ADMIN
    )
    if reply.status >= 300:
        raise RuntimeError(f"bench set-up {method} {path}: {reply.status} {reply.body[:300]}")
    return reply.json()
