"""Issue 18: the AWS requests the capture worker makes per event, pinned at botocore, so that a change that adds
one fails here (bench/bench_capture_requests.py measures the realistic mix against main's code)."""

from __future__ import annotations

import collections
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import aws_calls
from tests.helpers.capture import deliver, enable_auto_capture, platform_event
from tests.helpers.lead_ads import lead_ads_account, report, touch_of

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


# ---------------------------------------------------------------------------------------------- ads and forms


def _spend(setup, ad_id: str, amount: str, ago_minutes: int, day: str | None = None) -> dict:
    at = (datetime.now(UTC) - timedelta(minutes=ago_minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    spend = {"ad_id": ad_id, "date": day or datetime.now(UTC).date().isoformat(), "amount": amount, "currency": "IDR"}
    return platform_event(setup.account, "ad.spend", conversation_id=None, occurred_at=at, spend=spend)


def _spend_rows(api, setup) -> dict[str, str]:
    day = datetime.now(UTC).date().isoformat()
    return {row["id"]: row["spend"] for row in report(api, setup, "ad", day, day)["items"]}


def _form_event(setup, form_id: str, person: str) -> dict:
    answers = [{"question": "Your email?", "answer": f"{person}@example.com"}]
    form = {"form_id": form_id, "answers": answers}
    return platform_event(setup.account, "form.submitted", user_id=person, conversation_id=None, form=form)


def test_a_batch_of_spends_costs_one_read_and_one_transaction_each(api, gateway):
    setup = lead_ads_account(api, ads_per_goal=2)
    ads = list(setup.ads.values())
    deliver(api, gateway, _spend(setup, ads[0], "1.00", 60))  # fixes the account's currency
    # The ads, their spend days and the currency come with the batch's one read: no GetItem per spend.
    counts = _requests(api, gateway, *(_spend(setup, ad, "2.00", 50) for ad in ads))
    assert counts == {"dynamodb.BatchGetItem": 1, "dynamodb.TransactWriteItems": 4, "dynamodb.BatchWriteItem": 1}
    assert _spend_rows(api, setup) == dict.fromkeys(ads, "2.00")


def test_two_spends_of_one_ad_and_day_in_one_batch_end_at_the_later_one(api, gateway):
    setup = lead_ads_account(api)
    ad, other = setup.ads["lead-0"], setup.ads["conversation-0"]
    # The later statement second: it reads the spend the first one wrote (its version) and restates it.
    counts = _requests(api, gateway, _spend(setup, ad, "3.00", 40), _spend(setup, ad, "4.00", 30))
    assert counts == {"dynamodb.BatchGetItem": 1, "dynamodb.TransactWriteItems": 2, "dynamodb.BatchWriteItem": 1}
    assert _spend_rows(api, setup) == {ad: "4.00"}
    # The later statement first: the earlier one, second, changes nothing; another ad's spend is its own.
    counts = _requests(
        api, gateway, _spend(setup, ad, "6.00", 10), _spend(setup, other, "1.50", 10), _spend(setup, ad, "5.00", 20)
    )
    assert counts == {"dynamodb.BatchGetItem": 1, "dynamodb.TransactWriteItems": 2, "dynamodb.BatchWriteItem": 1}
    assert _spend_rows(api, setup) == {ad: "6.00", other: "1.50"}
    day = datetime.now(UTC).date().isoformat()
    [campaign] = report(api, setup, "campaign", day, day)["items"]
    assert campaign["spend"] == "7.50"
    assert {row["id"]: row["spend"] for row in report(api, setup, "adgroup", day, day)["items"]} == {
        setup.adgroups["lead"]: "6.00",
        setup.adgroups["conversation"]: "1.50",
    }


def test_a_touch_a_spend_and_a_lead_of_one_ad_in_one_batch_read_the_ad_once(api, gateway):
    setup = lead_ads_account(api)
    ad = setup.ads["lead-0"]
    deliver(api, gateway, _message(setup.account, "warm-ads", "warm.ads@example.com"))  # the region's keys
    person = {"user_id": "ad-lead-1", "region": "ID"}
    earlier = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    touch = platform_event(setup.account, "ad.touch", conversation_id=None, occurred_at=earlier,
                           touch=touch_of(setup, ad), **person)  # fmt: skip
    message = platform_event(setup.account, conversation_id="dm-ad-lead-1", text="mail me: adlead1@example.com",
                             **person)  # fmt: skip
    with aws_calls.recording() as calls:
        assert deliver(api, gateway, touch, _spend(setup, ad, "2.50", 1), message) == {"batchItemFailures": []}
    # The ad and its ad group are named by the touch and the spend: the lead's counting reads neither again.
    assert [c for c in calls if c.function == WORKER and c.operation == "GetItem"] == []
    day = datetime.now(UTC).date().isoformat()
    rows = {row["id"]: (row["leads"], row["spend"]) for row in report(api, setup, "ad", day, day)["items"]}
    assert rows == {ad: (1, "2.50")}


def test_a_batch_of_forms_reads_its_form_with_the_batch(api, gateway):
    setup = lead_ads_account(api)
    body = {"name": "Test drive", "questions": [{"question": "Your email?", "type": "email"}]}
    form_id = api.ok("POST", f"/accounts/{setup.account}/forms", setup.admin, expect=201, json_body=body)["id"]
    deliver(api, gateway, _form_event(setup, form_id, "form-warm"))  # the region's keys; the account's regions
    # Shared: 3 reads (home, storage region, the ledger again) and the finished markers; a lead's transaction each.
    counts = _requests(api, gateway, *(_form_event(setup, form_id, f"form-{i}") for i in range(5)))
    assert counts == {"dynamodb.BatchGetItem": 3, "dynamodb.TransactWriteItems": 5, "dynamodb.BatchWriteItem": 1}
    leads = api.ok("GET", f"/accounts/{setup.account}/leads", setup.admin)["items"]
    assert {lead["form"]["form_name"] for lead in leads} == {"Test drive"}
