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

capture_requests_per_event_ads: the same count over a stream of a lead-ads account's events (issues 18/20): ad
touches, spends (restated by later statements, one of two days), form submissions and messages with a contact (leads
attributed to the touched ads), 10% redeliveries. Its peer is main at PEER_COMMIT_ADS, just before the batch read
carried the ads, spend days, currency and forms, on the same events; both must end with the same leads and the same
report totals.
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
PEER_COMMIT_ADS = "f417725"
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


def _ads_events(account_id: str, ads: list[str], adgroup_of: dict[str, str], form_id: str) -> list[dict[str, Any]]:
    """A lead-ads account's day: touches, spends, forms and messages of PEOPLE people, in the order they occurred."""
    from datetime import UTC, datetime, timedelta

    rng = random.Random(3)
    start = datetime.now(UTC) - timedelta(hours=2)
    days = [(start.date() - timedelta(days=1)).isoformat(), start.date().isoformat()]
    sent: list[dict[str, Any]] = []
    for n in range(EVENTS_PER_STREAM):
        if sent and rng.random() < 0.10:
            sent.append(rng.choice(sent))
            continue
        kind = rng.choices(("ad.touch", "ad.spend", "form.submitted", "message.received"), (30, 25, 20, 25))[0]
        person = rng.randrange(PEOPLE)
        event: dict[str, Any] = {
            "event_id": f"evt-{uuid.UUID(int=rng.getrandbits(128))}",
            "type": kind,
            "account_id": account_id,
            "occurred_at": (start + timedelta(seconds=10 * n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "user": {"id": f"user-3-{person}", "display_name": f"Person {person}", "region": "ID"},
        }
        ad = rng.choice(ads)
        if kind == "ad.touch":
            event["touch"] = {"kind": "click", "ad_id": ad, "adgroup_id": adgroup_of[ad]}
        elif kind == "ad.spend":
            amount = f"{rng.randrange(100, 10_000) / 100:.2f}"
            event["spend"] = {"ad_id": ad, "date": rng.choice(days), "amount": amount, "currency": "IDR"}
            del event["user"]
        elif kind == "form.submitted":
            answers = [{"question": "Your email?", "answer": f"p{person}.f@example.com"}]
            event["form"] = {"form_id": form_id, "answers": answers}
        else:
            event["conversation_id"] = f"dm-3-{person}"
            event["message"] = {"id": f"m-{n}", "text": f"hi, mail me at p{person}.m@example.com"}
        sent.append(event)
    return sent


def _ads_account(api: Any) -> tuple[Any, list[dict[str, Any]]]:
    from tests.helpers.lead_ads import lead_ads_account

    setup = lead_ads_account(api, ads_per_goal=2)
    body = {"name": "Test drive", "questions": [{"question": "Your email?", "type": "email"}]}
    form_id = api.ok("POST", f"/accounts/{setup.account}/forms", setup.admin, expect=201, json_body=body)["id"]
    return setup, _ads_events(setup.account, list(setup.ads.values()), setup.adgroup_of, form_id)


def _ads_totals(api: Any, setup: Any) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    from tests.helpers.lead_ads import report

    today = datetime.now(UTC).date()
    body = report(api, setup, "ad", (today - timedelta(days=2)).isoformat(), today.isoformat())
    return {k: body["totals"][k] for k in ("leads", "conversations", "spend")}


def _drive(streams: list[str]) -> dict[str, Any]:
    """Runs in the tree under test (its root first on sys.path): the streams named, counted."""
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
    for name, with_contact, seed in (("with_contact", True, 1), ("plain", False, 2), ("ads", False, 3)):
        if name not in streams:
            continue
        setup = None
        if name == "ads":
            setup, events = _ads_account(api)
            account, admin = setup.account, setup.admin
        else:
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
        if setup is not None:
            figures[name]["totals"] = _ads_totals(api, setup)
    return figures


def _measure(tree: Path, streams: str = "with_contact,plain,ads") -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{tree / 'layers' / 'leadcenter'}:{tree}",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--drive", streams],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _peer_tree(into: Path, commit: str) -> Path:
    archive = into / f"{commit}.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", commit], cwd=ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / commit, filter="data")
    return into / commit


def run() -> dict[str, Any]:
    ours = _measure(ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        peer = _measure(_peer_tree(Path(scratch), PEER_COMMIT), "with_contact,plain")
        peer |= _measure(_peer_tree(Path(scratch), PEER_COMMIT_ADS), "ads")
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
    ads, peer_ads = ours["ads"], peer["ads"]
    assert (ads["leads"], ads["totals"]) == (peer_ads["leads"], peer_ads["totals"]), (ads, peer_ads)
    top = ", ".join(f"{op} {n}" for op, n in sorted(ads["calls"].items(), key=lambda kv: -kv[1])[:6])
    figures["capture_requests_per_event_ads"] = {
        "value": round(ads["requests"] / ads["events"], 3),
        "unit": "requests/event",
        "peer": round(peer_ads["requests"] / peer_ads["events"], 3),
        "note": (
            f"{ads['events']} events of a lead-ads account (4 ads, a form; touches 30%, spends 25% on 2 days, forms "
            f"20%, messages with a contact 25%; {PEOPLE} people, 10% redeliveries) in SQS batches of {BATCH}; peer = "
            f"main at {PEER_COMMIT_ADS} (before ads, spend days, currency and forms joined the batch read) on the "
            f"same events, {peer_ads['requests']} requests (GetItem {peer_ads['calls'].get('dynamodb.GetItem', 0)}); "
            f"both made {ads['leads']} leads, report totals {ads['totals']}. Ours: {top}"
        ),
    }
    return figures


if __name__ == "__main__":
    if "--drive" in sys.argv:
        sys.path[:0] = [str(Path.cwd() / "layers" / "leadcenter"), str(Path.cwd())]
        os.chdir(Path.cwd())
        print(json.dumps(_drive(sys.argv[sys.argv.index("--drive") + 1].split(","))))
    else:
        print(json.dumps(run(), indent=2))
