"""Issue 18: the AWS requests the capture worker makes per event, pinned at botocore, so that a change that adds
one fails here (bench/bench_capture_requests.py measures the realistic mix against main's code)."""

from __future__ import annotations

import collections
import uuid

import pytest

from tests.helpers import aws_calls
from tests.helpers.capture import deliver, enable_auto_capture, platform_event

WORKER = "CaptureWorkerFunction"
TOUCH = {
    "kind": "click",
    "ad_id": "ad-1",
    "ad_name": "Ad",
    "adgroup_id": "g-1",
    "adgroup_name": "Group",
    "campaign_id": "c-1",
    "campaign_name": "Campaign",
}


pytestmark = pytest.mark.usefixtures("empty_capture_queue")


@pytest.fixture
def account(api, gateway) -> str:
    admin = f"req-admin-{uuid.uuid4().hex[:8]}"
    account_id = api.account(admin)
    enable_auto_capture(api, account_id, admin)
    # Warm: the region's blind-index key and key-encryption key are fetched once per container, not per event.
    deliver(api, gateway, platform_event(account_id, user_id="warm", text="warm@example.com", conversation_id="w"))
    return account_id


def _requests(api, gateway, *events) -> collections.Counter[str]:
    with aws_calls.recording() as calls:
        assert deliver(api, gateway, *events) == {"batchItemFailures": []}
    return collections.Counter(f"{c.service}.{c.operation}" for c in calls if c.function == WORKER)


def _message(account_id: str, person: str, text: str) -> dict:
    return platform_event(account_id, user_id=person, text=text, conversation_id=f"dm-{person}")


def test_a_first_message_with_a_contact_costs_eight_requests(api, gateway, account):
    # Shared by the batch: 3 reads (home, storage region, the ledger again) and 2 puts (notices, finished markers).
    # Its own: the person-index entry, the conversation, the lead's transaction.
    counts = _requests(api, gateway, _message(account, "new-1", "mail me: new1@example.com"))
    assert counts == {
        "dynamodb.BatchGetItem": 3,
        "dynamodb.BatchWriteItem": 2,
        "dynamodb.PutItem": 1,
        "dynamodb.UpdateItem": 1,
        "dynamodb.TransactWriteItems": 1,
    }


def test_ten_repeat_messages_with_known_contacts_cost_six_requests_for_the_batch(api, gateway, account):
    people = [f"rep-{i}" for i in range(10)]
    deliver(api, gateway, *(_message(account, p, f"mail me: {p}@example.com") for p in people))
    counts = _requests(api, gateway, *(_message(account, p, f"again: {p}@example.com") for p in people))
    # Reads: home, storage region, the leads with their keys, the ledger again; puts: notices, finished markers.
    assert counts == {"dynamodb.BatchGetItem": 4, "dynamodb.BatchWriteItem": 2}


def test_ten_messages_without_contacts_cost_five_requests_for_the_batch(api, gateway, account):
    people = [f"plain-{i}" for i in range(10)]
    deliver(api, gateway, *(_message(account, p, "hello") for p in people))
    counts = _requests(api, gateway, *(_message(account, p, "is it still available?") for p in people))
    assert counts == {"dynamodb.BatchGetItem": 3, "dynamodb.BatchWriteItem": 2}


def test_a_new_contact_of_a_known_person_is_one_transaction_more(api, gateway, account):
    deliver(api, gateway, _message(account, "merge-1", "mail me: m1@example.com"))
    counts = _requests(api, gateway, _message(account, "merge-1", "or m1.other@example.com"))
    assert counts == {"dynamodb.BatchGetItem": 4, "dynamodb.BatchWriteItem": 2, "dynamodb.TransactWriteItems": 1}


def test_a_redelivered_event_is_answered_from_its_marker_with_reads_only(api, gateway, account):
    event = _message(account, "redo-1", "mail me: redo1@example.com")
    deliver(api, gateway, event)
    counts = _requests(api, gateway, event)
    assert set(counts) == {"dynamodb.BatchGetItem"} and counts.total() <= 3


def test_an_ad_touch_and_a_form_cost_at_most_six_requests(api, gateway, account):
    touch = platform_event(account, "ad.touch", user_id="touch-1", conversation_id=None, touch=TOUCH)
    assert _requests(api, gateway, touch).total() <= 6
    form = {"form_id": "f-1", "answers": [{"question": "Email", "answer": "form1@example.com"}]}
    submitted = platform_event(account, "form.submitted", user_id="form-1", conversation_id=None, form=form)
    assert _requests(api, gateway, submitted).total() <= 6


def test_no_kms_request_once_the_container_is_warm(api, gateway, account):
    events = [_message(account, f"kms-{i}", f"mail me: kms{i}@example.com") for i in range(10)]
    counts = _requests(api, gateway, *events)
    assert not [op for op in counts if op.startswith("kms.")]
