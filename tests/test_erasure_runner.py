"""Erasure on the local runner (`make run`), end to end through signed webhooks: the capture queue and worker
as deployed, the person erased, their late event refused, their return after the erasure accepted."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.helpers.crm import wait_for
from tests.helpers.runner import capturing_account, event, headers, local_runner, send

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_runner(tmp_path_factory.mktemp("erasure-runner")) as url:
        yield url


def _message(base: str, account: str, user: str, text: str, conversation: str, **kwargs: Any) -> dict[str, Any]:
    message = {"id": f"m-{uuid.uuid4()}", "text": text}
    return event(base, "message.received", user, account_id=account, conversation_id=conversation, message=message,
                 **kwargs)  # fmt: skip


def test_a_person_erased_over_the_webhook_stays_erased_until_they_come_back(base):
    # Given an account capturing leads, and a person whose message made a lead
    admin = headers(base, "erasure-runner-admin")
    account = capturing_account(base, admin, "PH")
    leads_url = f"{base}/accounts/{account}/leads"

    def leads() -> list[dict[str, Any]]:
        return list(requests.get(leads_url, headers=admin, timeout=30).json()["items"])

    user = f"rosa-{uuid.uuid4().hex[:6]}"
    late = _message(base, account, user, "rosa.late@example.ph", "dm-rosa-late", seconds=-5)
    send(base, _message(base, account, user, "rosa.cruz@example.ph", "dm-rosa"))
    assert wait_for(lambda: len(leads()) == 1, timeout=30)
    # When the platform asks to forget her
    send(base, event(base, "user.erasure_requested", user))
    assert wait_for(lambda: leads() == [], timeout=30)
    # Then her event from before the erasure, arriving now and again, brings nothing back
    send(base, late)
    send(base, late)
    late_chat = f"{base}/accounts/{account}/conversations/dm-rosa-late/events"
    assert not wait_for(lambda: bool(leads()), timeout=5)
    assert requests.get(late_chat, headers=admin, timeout=30).status_code == 404
    first_chat = f"{base}/accounts/{account}/conversations/dm-rosa/events"
    assert requests.get(first_chat, headers=admin, timeout=30).status_code == 404
    # And a message she sends after the erasure makes a new lead with only that message's contact
    send(base, _message(base, account, user, "rosa.new@example.ph", "dm-rosa-2", seconds=1))
    assert wait_for(lambda: len(leads()) == 1, timeout=30)
    [lead] = leads()
    assert lead["contact"]["email"] == "rosa.new@example.ph" and lead["contact"]["others"] == []
