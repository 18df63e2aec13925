"""Capture's AWS requests per message (issue 18): ours against main's at 6a8cf8a, the same events in the same run.

capture_requests_per_message_with_contact / _plain: the AWS requests (DynamoDB, SQS, KMS; counted at botocore) the
capture worker makes while it processes message.received events, divided by the events it was handed. Two streams
of signed events go through the webhook and the capture queue and reach the worker in SQS batches of 10, as Lambda
hands them over: messages sharing a contact (people writing for the first time, writing again with a second
address, repeating one; 10% redeliveries of earlier events) and messages without one (first and later messages of
a conversation; 10% redeliveries). The event source's own calls (receive, delete) are not the worker's and are not
counted. The peer is main's code at PEER_COMMIT (before this issue: Powertools idempotency, one event at a time),
extracted with `git archive` into a temporary directory and driven by this same file in a subprocess of its own,
exactly as ours is.
"""

from __future__ import annotations

import collections
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEER_COMMIT = "6a8cf8a"
PEOPLE = 40
EVENTS_PER_STREAM = 200
BATCH = 10


def _events(account_id: str, with_contact: bool, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    sent: list[dict[str, Any]] = []
    for n in range(EVENTS_PER_STREAM):
        if sent and rng.random() < 0.10:
            sent.append(rng.choice(sent))  # a redelivery: the same event again
            continue
        person = rng.randrange(PEOPLE)
        text = f"hi, mail me at p{person}.m{n % 2}@example.com" if with_contact else "hi, is this still available?"
        sent.append(
            {
                "event_id": f"evt-{uuid.UUID(int=rng.getrandbits(128))}",
                "type": "message.received",
                "account_id": account_id,
                "occurred_at": "2026-11-22T00:00:00Z",
                "conversation_id": f"dm-{seed}-{person}",
                "user": {"id": f"user-{seed}-{person}", "display_name": f"Person {person}", "region": "SG"},
                "message": {"id": f"m-{n}", "text": text},
            }
        )
    return sent


def _drive() -> dict[str, Any]:
    """Runs in the tree under test (its root first on sys.path): both streams, counted."""
    from botocore.client import BaseClient

    import tests.conftest as harness  # moto and the template's resources, as the tests have them
    from local.gateway import Gateway, running_function
    from tests.helpers.capture import enable_auto_capture, post, purge, receive_all, run_worker
    from tests.support import Api

    gateway = Gateway(harness.STACK)
    api = Api(gateway)
    admin = f"bench-{uuid.uuid4().hex[:8]}"
    account = api.account(admin)
    enable_auto_capture(api, account, admin)
    calls: collections.Counter[str] = collections.Counter()
    original = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if running_function() == "CaptureWorkerFunction":
            calls[f"{self.meta.service_model.service_name}.{operation}"] += 1
        return original(self, operation, params)

    figures: dict[str, Any] = {}
    for name, with_contact, seed in (("with_contact", True, 1), ("plain", False, 2)):
        events = _events(account, with_contact, seed)
        calls.clear()
        purge()
        for start in range(0, len(events), BATCH):
            for event in events[start : start + BATCH]:
                assert post(api, event).status == 202
            messages = receive_all()
            BaseClient._make_api_call = counted  # type: ignore[method-assign]
            try:
                result = run_worker(gateway, messages)
            finally:
                BaseClient._make_api_call = original  # type: ignore[method-assign]
            assert result == {"batchItemFailures": []}, result
        leads = api.ok("GET", f"/accounts/{account}/leads", admin, query="limit=100")["items"]
        figures[name] = {"requests": sum(calls.values()), "events": len(events), "calls": dict(calls)}
        figures[name]["leads"] = len(leads)
    return figures


def _measure(tree: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{tree / 'layers' / 'leadcenter'}:{tree}",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--drive"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _peer_tree(into: Path) -> Path:
    archive = into / "peer.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", PEER_COMMIT], cwd=ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def run() -> dict[str, Any]:
    ours = _measure(ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        peer = _measure(_peer_tree(Path(scratch)))
    figures = {}
    for name, goal in (("with_contact", 6), ("plain", 2)):
        value = ours[name]["requests"] / ours[name]["events"]
        peer_value = peer[name]["requests"] / peer[name]["events"]
        assert ours[name]["leads"] == peer[name]["leads"], (name, ours[name]["leads"], peer[name]["leads"])
        top = ", ".join(f"{op} {n}" for op, n in sorted(ours[name]["calls"].items(), key=lambda kv: -kv[1])[:6])
        figures[f"capture_requests_per_message_{name.replace('with_contact', 'with_contact')}"] = {
            "value": round(value, 3),
            "unit": "requests/message",
            "peer": round(peer_value, 3),
            "note": (
                f"goal <= {goal}; {ours[name]['events']} message.received events ({PEOPLE} people, 10% "
                f"redeliveries) in SQS batches of {BATCH}, counted at botocore while the worker runs; peer = main "
                f"at {PEER_COMMIT} (per event, Powertools idempotency) on the same events, {peer[name]['requests']} "
                f"requests; both made {ours[name]['leads']} leads. Ours: {top}"
            ),
        }
    return figures


if __name__ == "__main__":
    if "--drive" in sys.argv:
        sys.path[:0] = [str(Path.cwd() / "layers" / "leadcenter"), str(Path.cwd())]
        os.chdir(Path.cwd())
        print(json.dumps(_drive()))
    else:
        print(json.dumps(run(), indent=2))
