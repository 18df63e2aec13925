"""Issue 9 on the local runner (`make run`): the DynamoDB stream poller feeds lead changes to the CRM sync, and
retry delays follow `/_local/clock`, so a receiver that fails is retried as the clock moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.helpers.crm import Receiver, fails_first, valid_signature, wait_for
from tests.helpers.runner import local_runner

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_runner(tmp_path_factory.mktemp("crm-runner")) as url:
        yield url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def _headers(base: str, subject: str) -> dict[str, str]:
    token = requests.post(f"{base}/_local/token", json={"sub": subject}, timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_a_lead_change_reaches_the_webhook_and_retries_follow_the_local_clock(base, receiver):
    # Given an account with a webhook whose receiver fails twice
    headers = _headers(base, "crm-runner-admin")
    account = requests.post(f"{base}/accounts", headers=headers, timeout=30,
                            json={"name": "CRM", "type": "ad_account", "country": "SG"}).json()["id"]  # fmt: skip
    receiver.answer = fails_first(2)
    hook = requests.post(f"{base}/accounts/{account}/integrations/webhooks", headers=headers, timeout=30,
                         json={"url": receiver.url(), "events": ["lead.created"]})  # fmt: skip
    assert hook.status_code == 201, hook.text
    # When a lead is created, the first attempt arrives within seconds (stream -> queue -> worker)
    person = {"region": "SG", "contact": {"name": "Runner Lead", "email": "r@example.com"}}
    lead = requests.post(f"{base}/accounts/{account}/leads", headers=headers, json=person, timeout=30)
    assert lead.status_code == 201, lead.text
    assert wait_for(lambda: len(receiver.received()) >= 1, timeout=30)
    path = f"{base}/accounts/{account}/integrations/webhooks/{hook.json()['id']}/deliveries"

    def recorded() -> bool:
        # The receiver has answered; the worker records the attempt right after (slower on a loaded machine).
        items = requests.get(path, headers=headers, timeout=30).json()["items"]
        return bool(items) and items[0]["status"] != "pending"

    assert wait_for(recorded, timeout=30)
    [waiting] = requests.get(path, headers=headers, timeout=30).json()["items"]
    assert waiting["status"] == "retrying" and waiting["last_response_code"] == 500 and waiting["next_attempt_at"]
    # Then moving the clock delivers the retries, until the receiver answers 2xx
    for _ in range(10):
        if any(r.status == 200 for r in receiver.received()):
            break
        seen = len(receiver.received())
        requests.post(f"{base}/_local/clock", json={"advance_seconds": 3600}, timeout=30)
        wait_for(lambda n=seen: len(receiver.received()) > n, timeout=10)
    requests_seen = receiver.received()
    assert [r.status for r in requests_seen] == [500, 500, 200]
    runner_now = requests.get(f"{base}/_local/clock", timeout=10).json()["epoch"]  # signed by the runner's clock
    assert valid_signature(requests_seen[-1], hook.json()["secret"], now=runner_now)
    [delivery] = requests.get(path, headers=headers, timeout=30).json()["items"]
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 3
