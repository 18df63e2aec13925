"""Issue 9: the change feed. Stream records of lead items become notices without personal data; other items,
writes that change nothing, and cancelled transactions produce none; the template's event filter matches."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.config import Config

from leadcenter.domain.crm_changes import notice
from local.stream_source import filter_matches

LEAD = {
    "pk": "A#acc1",
    "sk": "L#01J00000000000000000000000-sg",
    "lead_id": "01J00000000000000000000000-sg",
    "account_id": "acc1",
    "status": "raw",
    "version": 1,
    "updated_at": "2026-01-01T00:00:00.000Z",
    "expires_at": 1790000000,
    "contact_ct": b"\x01sealed",
}


def test_a_new_lead_is_a_created_notice_without_personal_data():
    found = notice("INSERT", None, LEAD, region="us-east-1")
    assert found is not None
    assert (found.type, found.lead_id, found.account_id, found.version) == ("lead.created", LEAD["lead_id"], "acc1", 1)
    assert found.region == "ap-southeast-1"  # from the lead id's region tag
    assert found.occurred_at == LEAD["updated_at"] and found.expires_at == LEAD["expires_at"]
    assert "sealed" not in found.model_dump_json() and "contact" not in found.model_dump_json()


def test_a_status_move_says_from_and_to_and_a_repeat_has_the_same_key():
    new = {**LEAD, "status": "qualified", "version": 2, "updated_at": "2026-01-02T00:00:00.000Z"}
    found = notice("MODIFY", LEAD, new, region="ap-southeast-1")
    assert found is not None and found.type == "lead.updated" and found.version == 2
    assert (found.status_from, found.status_to) == ("raw", "qualified")
    assert found.key == notice("MODIFY", LEAD, new, region="ap-southeast-1").key


def test_a_deleted_lead_is_named_by_its_last_version():
    found = notice("REMOVE", {**LEAD, "version": 4}, None, region="ap-southeast-1", approximate_epoch=1767225600)
    assert found is not None and (found.type, found.version) == ("lead.deleted", 4)
    assert found.occurred_at.startswith("2026-01-01T00:00:00")


@pytest.mark.parametrize(
    ("event", "old", "new"),
    [
        ("INSERT", None, {**LEAD, "pk": "A#acc1#LB#label1", "version": None}),  # a label link
        ("INSERT", None, {"pk": "LD#acc1#x", "sk": "T#01J", "type": "created"}),  # a timeline event
        ("INSERT", None, {"pk": "D#acc1#digest", "sk": "D", "lead_id": "x"}),  # a dedupe entry
        ("MODIFY", LEAD, dict(LEAD)),  # a write that left the version as it was
    ],
)
def test_other_items_and_no_op_writes_are_not_changes(event, old, new):
    if new is not None and new.get("version") is None:
        new = {k: v for k, v in new.items() if k != "version"}
    assert notice(event, old, new, region="ap-southeast-1") is None


def _lambda_record(event: str, keys: dict, new: dict | None, old: dict | None) -> dict:
    def typed(image: dict) -> dict:
        return {k: ({"N": str(v)} if isinstance(v, int) else {"S": v}) for k, v in image.items()}

    record: dict = {"eventName": event, "dynamodb": {"Keys": typed(keys)}}
    if new is not None:
        record["dynamodb"]["NewImage"] = typed(new)
    if old is not None:
        record["dynamodb"]["OldImage"] = typed(old)
    return record


def test_the_templates_event_filter_lets_lead_items_through_only(stack):
    filters = stack.functions()["CrmStreamFunction"].stream_filters
    assert len(filters) == 2

    def passes(record: dict) -> bool:
        return any(filter_matches(record, pattern) for pattern in filters)

    lead = {"pk": "A#a", "sk": "L#1", "version": 2}
    link = {"pk": "A#a#LB#l", "sk": "L#1", "lead_id": "1"}
    assert passes(_lambda_record("INSERT", {"pk": "A#a", "sk": "L#1"}, lead, None))
    assert passes(_lambda_record("MODIFY", {"pk": "A#a", "sk": "L#1"}, lead, lead))
    assert passes(_lambda_record("REMOVE", {"pk": "A#a", "sk": "L#1"}, None, lead))
    assert not passes(_lambda_record("INSERT", {"pk": "A#a#LB#l", "sk": "L#1"}, link, None))
    assert not passes(_lambda_record("REMOVE", {"pk": "A#a#LB#l", "sk": "L#1"}, None, link))
    assert not passes(_lambda_record("INSERT", {"pk": "LD#a#1", "sk": "T#2"}, {"type": "x"}, None))


def test_a_cancelled_transaction_leaves_no_stream_records(api, stack):
    # Given a lead and a reader at the end of its region's stream
    admin = f"crm-admin-{uuid.uuid4().hex[:8]}"
    account = api.account(admin)
    lead = api.lead(account, admin)
    region = "ap-southeast-1"
    ddb = boto3.client("dynamodb", region_name=region)
    arn = ddb.describe_table(TableName=stack.physical[region]["LeadsTable"])["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name=region, config=Config(account_id_endpoint_mode="disabled"))
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST")

    def new_records() -> list[dict]:
        nonlocal iterator
        response = streams.get_records(ShardIterator=iterator["ShardIterator"])
        iterator = {"ShardIterator": response["NextShardIterator"]}
        return response["Records"]

    # When a PATCH with a stale version is refused (its transaction is cancelled)
    stale = api.call("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin,
                     json_body={"status": "contacted"}, headers={"If-Match": "7"})  # fmt: skip
    assert stale.status == 409
    # Then the stream shows nothing: no half-applied items, no rollback writes
    assert new_records() == []
    # While a PATCH that applies shows up, the lead item among its records
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin, json_body={"status": "contacted"})
    keys = [r["dynamodb"]["Keys"]["sk"]["S"] for r in new_records()]
    assert f"L#{lead['id']}" in keys


def test_the_stream_consumer_reports_the_first_record_it_could_not_forward(monkeypatch):
    from functions.crm_stream import app
    from leadcenter.domain import crm_changes
    from local.gateway import LambdaContext

    # Given SQS takes the first notice but not the second
    monkeypatch.setattr(crm_changes.crm_queue, "send", lambda messages: [1])

    def record(sequence: str, version: int) -> dict:
        image = {"pk": {"S": LEAD["pk"]}, "sk": {"S": LEAD["sk"]}, "lead_id": {"S": LEAD["lead_id"]},
                 "account_id": {"S": "acc1"}, "status": {"S": "raw"}, "version": {"N": str(version)},
                 "updated_at": {"S": LEAD["updated_at"]}, "expires_at": {"N": "1790000000"}}  # fmt: skip
        return {"eventName": "INSERT", "awsRegion": "ap-southeast-1",
                "dynamodb": {"SequenceNumber": sequence, "NewImage": image, "Keys": {}}}  # fmt: skip

    event = {"Records": [record("100", 1), record("101", 2), record("102", 3)]}
    # Then Lambda is told to retry from the second record (the third is sent again too)
    result = app.lambda_handler(event, LambdaContext("CrmStreamFunction"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "101"}]}


# ---------------------------------------------------------------------------------------------- batching window


def _window_poller(stack, *, window: float, batch_size: int = 100):
    """The local stream poller of CrmStreamFunction on one region's lead table, from now on, with `window` and
    `batch_size`; the batches it would invoke the function with are collected instead."""
    from dataclasses import replace

    from local.stream_source import StreamPoller

    function = replace(stack.functions()["CrmStreamFunction"], batching_window=window, batch_size=batch_size)
    region = "ap-southeast-1"
    poller = StreamPoller(function, region, stack.physical[region]["LeadsTable"], boto3.session.Session(),
                          latest=True)  # fmt: skip
    batches: list[list[dict]] = []
    poller._invoke = lambda records: batches.append(records)  # type: ignore[method-assign]
    table = boto3.client("dynamodb", region_name=region)

    def write() -> None:
        item = {"pk": {"S": "A#window"}, "sk": {"S": f"L#{uuid.uuid4().hex}"}, "version": {"N": "1"}}
        table.put_item(TableName=stack.physical[region]["LeadsTable"], Item=item)

    return poller, batches, write


def test_the_crm_stream_has_a_batching_window_that_the_local_poller_takes(stack, pipeline):
    function = stack.functions()["CrmStreamFunction"]
    assert function.batching_window == 1.0
    poller, _, _ = _window_poller(stack, window=function.batching_window)
    assert poller.batching_window == 1.0
    # The hand-driven pipeline of the tests reads what there is now, without a window
    assert {p.batching_window for p in pipeline.pollers} == {0.0}


def test_a_read_that_found_records_keeps_reading_until_the_window_has_passed(stack):
    import time

    # Given a stream with one new record, and another arriving after the poller's first read
    poller, batches, write = _window_poller(stack, window=0.6)
    write()
    reads = []
    get_records = poller.streams.get_records

    def read_then_more_arrive(**kwargs):
        response = get_records(**kwargs)
        reads.append(len(response["Records"]))
        if len(reads) == 1:
            write()
        return response

    poller.streams.get_records = read_then_more_arrive
    # When the poller polls once
    started = time.monotonic()
    assert poller.poll_once() == 2
    # Then it invoked once, with both records, after the window (reads a quarter-second apart, none after it)
    assert [len(batch) for batch in batches] == [2]
    assert time.monotonic() - started >= 0.6
    assert reads[0] == 1 and sum(reads) == 2 and 2 <= len(reads) <= 4


def test_a_full_batch_or_a_quiet_stream_does_not_wait_for_the_window(stack):
    import time

    # Given a window of 5 s and a batch size of 2
    poller, batches, write = _window_poller(stack, window=5.0, batch_size=2)
    # When the stream is quiet, a poll returns at once, invoking nothing
    started = time.monotonic()
    assert poller.poll_once() == 0
    assert batches == [] and time.monotonic() - started < 1.0
    # When three records are waiting, the first two go at once, as a full batch
    for _ in range(3):
        write()
    started = time.monotonic()
    assert poller.poll_once() == 2
    assert [len(batch) for batch in batches] == [2] and time.monotonic() - started < 1.0
