"""Erasure on the local runner (`make run`), end to end through signed webhooks: the capture queue and worker
as deployed, the person erased, their late event refused, their return after the erasure accepted."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from leadcenter import webhook_signature
from tests.helpers.crm import wait_for
from tests.test_local_runner import free_port, runner_environment, stop, wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
SECRET = "local-webhook-secret"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port, aws_port = free_port(), free_port()
    python = ROOT / ".venv" / "bin" / "python"
    log = tmp_path_factory.mktemp("erasure-runner") / "runner.log"
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


def _headers(base: str, subject: str) -> dict[str, str]:
    token = requests.post(f"{base}/_local/token", json={"sub": subject}, timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _now(base: str) -> float:
    return float(requests.get(f"{base}/_local/clock", timeout=10).json()["epoch"])


def _event(base: str, type_: str, user: str, *, seconds: float = 0, **parts: Any) -> dict[str, Any]:
    at = datetime.fromtimestamp(_now(base) + seconds, tz=UTC)
    return {
        "event_id": f"evt-{uuid.uuid4()}",
        "type": type_,
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "user": {"id": user, "region": "PH", "display_name": "Rosa Cruz"},
        **parts,
    }


def _send(base: str, event: dict[str, Any]) -> None:
    body = json.dumps(event).encode()
    signature = webhook_signature.sign(SECRET, body, int(_now(base)))
    headers = {"Content-Type": "application/json", webhook_signature.HEADER: signature}
    reply = requests.post(f"{base}/webhooks/messages", data=body, headers=headers, timeout=30)
    assert reply.status_code == 202, reply.text


def _message(base: str, account: str, user: str, text: str, conversation: str, **kwargs: Any) -> dict[str, Any]:
    message = {"id": f"m-{uuid.uuid4()}", "text": text}
    return _event(base, "message.received", user, account_id=account, conversation_id=conversation, message=message,
                  **kwargs)  # fmt: skip


def test_a_person_erased_over_the_webhook_stays_erased_until_they_come_back(base):
    # Given an account capturing leads, and a person whose message made a lead
    headers = _headers(base, "erasure-runner-admin")
    account = requests.post(f"{base}/accounts", headers=headers, timeout=30,
                            json={"name": "Erase", "type": "ad_account", "country": "PH"}).json()["id"]  # fmt: skip
    settings = {"privacy_policy_url": "https://example.com/privacy", "company_name": "Erase Inc"}
    requests.put(f"{base}/accounts/{account}/auto-capture", headers=headers, json=settings, timeout=30)

    def approved() -> bool:
        got = requests.get(f"{base}/accounts/{account}/auto-capture", headers=headers, timeout=30).json()
        return bool(got["status"] == "approved")

    assert wait_for(approved, timeout=20)
    switched = requests.patch(
        f"{base}/accounts/{account}/auto-capture", headers=headers, json={"enabled": True}, timeout=30
    )
    assert switched.status_code == 200, switched.text
    leads_url = f"{base}/accounts/{account}/leads"

    def leads() -> list[dict[str, Any]]:
        return list(requests.get(leads_url, headers=headers, timeout=30).json()["items"])

    user = f"rosa-{uuid.uuid4().hex[:6]}"
    late = _message(base, account, user, "rosa.late@example.ph", "dm-rosa-late", seconds=-5)
    _send(base, _message(base, account, user, "rosa.cruz@example.ph", "dm-rosa"))
    assert wait_for(lambda: len(leads()) == 1, timeout=30)
    # When the platform asks to forget her
    _send(base, _event(base, "user.erasure_requested", user))
    assert wait_for(lambda: leads() == [], timeout=30)
    # Then her event from before the erasure, arriving now and again, brings nothing back
    _send(base, late)
    _send(base, late)
    late_chat = f"{base}/accounts/{account}/conversations/dm-rosa-late/events"
    assert not wait_for(lambda: bool(leads()), timeout=5)
    assert requests.get(late_chat, headers=headers, timeout=30).status_code == 404
    first_chat = f"{base}/accounts/{account}/conversations/dm-rosa/events"
    assert requests.get(first_chat, headers=headers, timeout=30).status_code == 404
    # And a message she sends after the erasure makes a new lead with only that message's contact
    _send(base, _message(base, account, user, "rosa.new@example.ph", "dm-rosa-2", seconds=1))
    assert wait_for(lambda: len(leads()) == 1, timeout=30)
    [lead] = leads()
    assert lead["contact"]["email"] == "rosa.new@example.ph" and lead["contact"]["others"] == []
