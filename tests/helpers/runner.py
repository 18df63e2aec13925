"""Driving the local runner (`make run`) as a client would: a runner of its own per test module, tokens from
`/_local/token`, signed platform events to `POST /webhooks/messages`, and an ad account capturing leads."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from leadcenter import webhook_signature
from tests.helpers.crm import wait_for
from tests.test_local_runner import free_port, runner_environment, stop, wait_until_answering

ROOT = Path(__file__).resolve().parents[2]
SECRET = "local-webhook-secret"


@contextmanager
def local_runner(log_dir: Path) -> Iterator[str]:
    """A `python -m local.runner` on free ports; its base URL while it answers."""
    port, aws_port = free_port(), free_port()
    python = ROOT / ".venv" / "bin" / "python"
    log = log_dir / "runner.log"
    command = [str(python if python.exists() else Path(sys.executable)), "-m", "local.runner",
               "--port", str(port), "--aws-port", str(aws_port)]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=runner_environment(), stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        try:
            if not wait_until_answering(url, process, time.monotonic() + 60):
                pytest.fail(f"runner never answered:\n{log.read_text(errors='replace')[-3000:]}")
            yield url
        finally:
            stop(process)


def headers(base: str, subject: str) -> dict[str, str]:
    token = requests.post(f"{base}/_local/token", json={"sub": subject}, timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def now(base: str) -> float:
    return float(requests.get(f"{base}/_local/clock", timeout=10).json()["epoch"])


def event(base: str, type_: str, user: str | None, *, seconds: float = 0, region: str = "PH",
          **parts: Any) -> dict[str, Any]:  # fmt: skip
    """A platform event that occurred `seconds` from the runner's now."""
    at = datetime.fromtimestamp(now(base) + seconds, tz=UTC)
    body: dict[str, Any] = {"event_id": f"evt-{uuid.uuid4()}", "type": type_,
                            "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), **parts}  # fmt: skip
    if user is not None:
        body["user"] = {"id": user, "region": region, "display_name": "Rosa Cruz"}
    return body


def send(base: str, platform_event: dict[str, Any]) -> None:
    """Signs the event as the platform would and posts it; the webhook answers 202."""
    body = json.dumps(platform_event).encode()
    signature = webhook_signature.sign(SECRET, body, int(now(base)))
    sent = {"Content-Type": "application/json", webhook_signature.HEADER: signature}
    reply = requests.post(f"{base}/webhooks/messages", data=body, headers=sent, timeout=30)
    assert reply.status_code == 202, reply.text


def capturing_account(base: str, admin: dict[str, str], country: str) -> str:
    """An ad account with auto-capture applied for, approved (the runner reviews in 2 s) and on."""
    new = {"name": f"Runner {country}", "type": "ad_account", "country": country}
    account = requests.post(f"{base}/accounts", headers=admin, json=new, timeout=30).json()["id"]
    application = {"privacy_policy_url": "https://example.com/privacy", "company_name": "Runner Inc"}
    requests.put(f"{base}/accounts/{account}/auto-capture", headers=admin, json=application, timeout=30)

    def approved() -> bool:
        got = requests.get(f"{base}/accounts/{account}/auto-capture", headers=admin, timeout=30).json()
        return bool(got["status"] == "approved")

    assert wait_for(approved, timeout=20)
    switched = requests.patch(f"{base}/accounts/{account}/auto-capture", headers=admin, json={"enabled": True},
                              timeout=30)  # fmt: skip
    assert switched.status_code == 200, switched.text
    return str(account)
