"""CRM sync (issue 9): how fast a lead change reaches a CRM, and that none is lost when the CRM is flaky.

crm_delivery_p99_ms: the local runner as a subprocess (as `make run` runs it: stream poller, CRM queue,
worker), a healthy receiver on 127.0.0.1 in this process; a lead's status is changed 200 times, one after the
other, each timed from the start of its PATCH to the receiver's 2xx for that version. Peer: the PATCH itself.

crm_lost_deliveries: in-process (moto, the template's functions driven by hand as the tests do), 1,000 lead
changes (200 leads created, 800 status moves) against a receiver that fails 30% of requests at random;
retries are compressed by moving the app clock to each next due attempt. Lost = changes whose delivery never
got a 2xx. Peer: the same run without retries (deliveries whose first attempt failed).

crm_requests_per_change (issues 18/20): in-process, the template's functions driven by hand (stream poller, CRM
queue, worker in batches of 5); 100 lead changes (20 leads created, 4 status moves each, the pipeline pumped every
20 changes), AWS requests the CRM stream function and worker make per change, counted at botocore: with no CRM
endpoint (the value) and with one healthy webhook (`_webhook`). Peer: the same run with the worker's per-invocation
reads off (access holder and endpoints read per notice, as before).

crm_attempt_max_seconds (issue 14): a receiver on 127.0.0.1 that reads the request and then answers one byte a
second (a 200 after ~40 s); ATTEMPTS attempts at once through the CRM transport with its default deadline
(CRM_TIMEOUT_SECONDS, 10 s); the value is the longest. Peer, in the same run: the same request with the old
behaviour, a plain http.client connection with a 10 s timeout per read, which waits for the whole drip.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.harness import metric, moto_stack

ROOT = Path(__file__).resolve().parent.parent
LATENCY_CHANGES = 150
LEADS = 200
MOVES_PER_LEAD = 4
FAILURE_RATE = 0.3
STATUSES = ("contacted", "qualified", "unqualified", "converted")


def _p99(values: list[float]) -> float:
    return float(statistics.quantiles(values, n=100, method="inclusive")[98])


# ---------------------------------------------------------------------------------------------- latency


def _latency() -> dict[str, Any]:
    import requests

    from tests.helpers.crm import Receiver, wait_for
    from tests.test_local_runner import free_port, runner_environment, stop, wait_until_answering

    port, aws_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable,
               "-m", "local.runner", "--port", str(port), "--aws-port", str(aws_port)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=runner_environment(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    receiver = Receiver().start()
    try:
        if not wait_until_answering(base, process, time.monotonic() + 60):
            raise RuntimeError("the local runner did not start")
        session = requests.Session()
        token = session.post(f"{base}/_local/token", json={"sub": "bench-crm"}, timeout=10).json()["token"]
        session.headers["Authorization"] = f"Bearer {token}"
        account = session.post(f"{base}/accounts", json={"name": "Bench", "type": "ad_account", "country": "SG"},
                               timeout=30).json()["id"]  # fmt: skip
        hook = {"url": receiver.url(), "events": ["lead.created", "lead.updated"]}
        assert session.post(f"{base}/accounts/{account}/integrations/webhooks", json=hook, timeout=30).ok
        person = {"region": "SG", "contact": {"name": "Bench Lead", "email": "bench@example.com"}}
        lead = session.post(f"{base}/accounts/{account}/leads", json=person, timeout=30).json()
        if not wait_for(lambda: len(receiver.received()) == 1, timeout=60):
            raise RuntimeError("the first delivery did not arrive")

        def arrived(version: int) -> float | None:
            for request in receiver.received():
                if request.status == 200 and json.loads(request.body)["lead_version"] == version:
                    return request.at
            return None

        latencies, api_times = [], []
        for n in range(LATENCY_CHANGES):
            started = time.monotonic()
            reply = session.patch(f"{base}/accounts/{account}/leads/{lead['id']}", timeout=30,
                                  json={"status": STATUSES[n % len(STATUSES)]})  # fmt: skip
            api_times.append((time.monotonic() - started) * 1000)
            version = reply.json()["version"]
            if not wait_for(lambda v=version: arrived(v) is not None, timeout=30):
                raise RuntimeError(f"version {version} was not delivered")
            latencies.append(((arrived(version) or started) - started) * 1000)
            time.sleep(0.05)
    finally:
        receiver.stop()
        stop(process)
    note = (
        f"local runner subprocess, healthy receiver; {LATENCY_CHANGES} status changes one after another, from the "
        f"start of the PATCH to the receiver's 2xx (p50 {statistics.median(latencies):.0f} ms); "
        "peer: the PATCH's own latency p99"
    )
    return {"crm_delivery_p99_ms": metric(_p99(latencies), "ms", _p99(api_times), note)}


# ---------------------------------------------------------------------------------------------- no loss


def _no_loss() -> dict[str, Any]:
    with moto_stack() as stack:
        from leadcenter.domain import crm
        from leadcenter.domain.leads import LeadPatch, NewLead, create_lead, update_lead
        from leadcenter.model import Contact, LeadSource, LeadStatus
        from leadcenter.observability import logger
        from leadcenter.policy import Action, authorize
        from leadcenter.store import accounts
        from leadcenter.store import deliveries as delivery_store
        from leadcenter.store.accounts import Account, Member
        from tests.helpers.crm import Pipeline, Receiver, fails_at_random

        logger.setLevel("WARNING")
        # Only Singapore's storage region has changes here; the other regions' streams are left alone.
        pipeline = Pipeline(stack, regions=["ap-southeast-1"])
        receiver = Receiver(answer=fails_at_random(FAILURE_RATE, seed=2026)).start()
        started = time.perf_counter()
        try:
            account_id = "benchcrm"
            accounts.create_account(
                Account(account_id, "Bench", "ad_account", "SG", "2026-01-01T00:00:00.000Z"),
                Member(account_id, "bench", "admin", (), "2026-01-01T00:00:00.000Z"),
            )
            access = authorize("bench", account_id, Action.CRM_MANAGE)
            hook, _ = crm.create_webhook(access, receiver.url(), ["lead.created", "lead.updated"])
            changes = 0
            for n in range(LEADS):
                contact = Contact(name=f"Person {n}", email=f"p{n}@example.com")
                lead = create_lead(account_id, NewLead(country="SG", source=LeadSource.FORM, contact=contact), "bench")
                changes += 1
                for status in STATUSES[:MOVES_PER_LEAD]:
                    update_lead(access, lead.id, LeadPatch(status=LeadStatus(status)), None)
                    changes += 1
                if n % 20 == 19:
                    pipeline.pump()  # deliveries go out as changes happen, as the deployed pipeline does
            moved = pipeline.settle(max_seconds=4 * 86400)
            logged, after = [], None
            while True:
                page, after = delivery_store.page(account_id, hook.id, 100, after, None, 0)
                logged += page
                if after is None:
                    break
        finally:
            receiver.stop()
    acknowledged = {r.headers["X-Event-Id"] for r in receiver.received() if 200 <= r.status < 300}
    first_failed = len({r.headers["X-Event-Id"] for r in receiver.received() if r.status >= 300})
    lost = changes - len({d.id for d in logged} & acknowledged)
    elapsed = time.perf_counter() - started
    note = (
        f"in-process pipeline; {changes} changes, receiver failing {FAILURE_RATE:.0%} at random "
        f"({len(receiver.received())} requests, {len(logged)} deliveries logged), retries compressed by moving "
        f"the app clock {moved / 3600:.1f} h in {elapsed:.0f} s; peer: without retries (first attempt failed)"
    )
    return {"crm_lost_deliveries": metric(lost, "deliveries", first_failed, note)}


# ---------------------------------------------------------------------------------------------- requests

REQUEST_LEADS = 20


def _requests_per_change() -> dict[str, Any]:
    import contextlib
    from unittest import mock

    with moto_stack() as stack:
        from leadcenter.domain import crm, crm_delivery
        from leadcenter.domain.leads import LeadPatch, NewLead, create_lead, update_lead
        from leadcenter.model import Contact, LeadSource, LeadStatus
        from leadcenter.observability import logger
        from leadcenter.policy import Action, authorize
        from leadcenter.store import accounts
        from leadcenter.store.accounts import Account, Member
        from tests.helpers import aws_calls
        from tests.helpers.crm import Pipeline, Receiver

        logger.setLevel("WARNING")
        pipeline = Pipeline(stack, regions=["ap-southeast-1"])
        receiver = Receiver().start()

        def per_change(run: str, webhook: bool) -> float:
            account_id = f"benchreq{run}"
            accounts.create_account(
                Account(account_id, "Bench", "ad_account", "SG", "2026-01-01T00:00:00.000Z"),
                Member(account_id, "bench", "admin", (), "2026-01-01T00:00:00.000Z"),
            )
            access = authorize("bench", account_id, Action.CRM_MANAGE)
            if webhook:
                crm.create_webhook(access, receiver.url(), ["lead.created", "lead.updated"])
            changes = 0
            with aws_calls.recording() as calls:
                for n in range(REQUEST_LEADS):
                    contact = Contact(name=f"Person {n}", email=f"p{n}@example.com")
                    new = NewLead(country="SG", source=LeadSource.FORM, contact=contact)
                    lead = create_lead(account_id, new, "bench")
                    for status in STATUSES[:MOVES_PER_LEAD]:
                        update_lead(access, lead.id, LeadPatch(status=LeadStatus(status)), None)
                    changes += 1 + MOVES_PER_LEAD
                    if changes % 20 == 0:
                        pipeline.pump()
                pipeline.pump()
            feed = [c for c in calls if c.function in ("CrmStreamFunction", "CrmDeliveryFunction")]
            return len(feed) / changes

        try:
            figures = {}
            for name, webhook in (("", False), ("_webhook", True)):
                value = per_change(f"m{name}", webhook)
                with mock.patch.object(crm_delivery, "batch_reads", contextlib.nullcontext):
                    peer = per_change(f"p{name}", webhook)
                figures[name] = (value, peer)
        finally:
            receiver.stop()
    changes = REQUEST_LEADS * (1 + MOVES_PER_LEAD)
    common = (
        f"in-process pipeline; {changes} lead changes ({REQUEST_LEADS} leads created, {MOVES_PER_LEAD} status moves "
        "each, pumped every 20 changes); requests by CrmStreamFunction and CrmDeliveryFunction per change, at "
        "botocore (Lambda's own stream and queue polling not counted)"
    )
    return {
        "crm_requests_per_change": metric(figures[""][0], "requests", figures[""][1],
                                          f"{common}; no CRM endpoint; peer: access holder and endpoints read per "
                                          "notice (the worker's per-invocation reads off)"),
        "crm_requests_per_change_webhook": metric(figures["_webhook"][0], "requests", figures["_webhook"][1],
                                                  f"{common}; one healthy webhook; peer: per-invocation reads off"),
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------- deadline

ATTEMPTS = 5


def _attempt_deadline() -> dict[str, Any]:
    import http.client

    from leadcenter.adapters import transport
    from leadcenter.crm_settings import crm_settings, reset_crm_settings
    from tests.helpers.crm import DripReceiver

    os.environ.pop("CRM_TIMEOUT_SECONDS", None)
    reset_crm_settings()
    receiver = DripReceiver(interval=1.0).start()
    took: list[float] = []
    errors: list[str | None] = []
    peer: list[float] = []

    def attempt() -> None:
        started = time.monotonic()
        result = transport.post(receiver.url(), b"{}", {"Content-Type": "application/json"}, local_mode=True)
        took.append(time.monotonic() - started)
        errors.append(result.error)

    def per_read_timeout() -> None:
        port = int(receiver.url().split(":")[2].split("/")[0])
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=crm_settings().timeout_seconds)
        try:
            connection.request("POST", "/hook", body=b"{}", headers={"Content-Type": "application/json"})
            connection.getresponse().read()
        finally:
            connection.close()
        peer.append(time.monotonic() - started)

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)] + [threading.Thread(target=per_read_timeout)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        receiver.stop()
    note = (
        f"receiver answering one byte a second ({len(receiver.answer)} bytes); {ATTEMPTS} attempts at once through "
        f"the CRM transport, deadline {crm_settings().timeout_seconds:.0f} s, outcomes {sorted(set(map(str, errors)))};"
        " "
        "peer: the same request with a per-read timeout of the same 10 s (the old behaviour), which waits out the drip"
    )
    return {"crm_attempt_max_seconds": metric(max(took), "s", peer[0] if peer else None, note)}


def run() -> dict[str, Any]:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    results = _attempt_deadline()
    results.update(_requests_per_change())
    results.update(_no_loss())
    results.update(_latency())
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
