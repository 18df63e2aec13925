"""The local moto fixes keep DynamoDB's semantics: a cancelled transaction leaves nothing behind."""

from __future__ import annotations

import random
import time
import uuid

import boto3
import pytest


def test_cancelled_transaction_rolls_back_only_its_items():
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = "leadcenter-app"
    client.put_item(TableName=table, Item={"pk": {"S": "T#1"}, "sk": {"S": "a"}, "v": {"N": "1"}})
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "T#1"}, "sk": {"S": "a"}},
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {"pk": {"S": "T#1"}, "sk": {"S": "new"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "T#1"}, "sk": {"S": "a2"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    items = client.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "T#1"}}
    )["Items"]
    assert items == [{"pk": {"S": "T#1"}, "sk": {"S": "a"}, "v": {"N": "1"}}]


def test_queries_give_dynamodbs_order_and_pages_while_the_table_takes_writes():
    """Fix 7 reads a Query's candidates unsorted: the results must still come in key order, page exactly, and
    only from the partition (or index key) asked for."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = "leadcenter-app"
    user = f"U#{uuid.uuid4().hex}"
    partitions = [f"Q#{uuid.uuid4().hex}" for _ in range(3)]
    rng = random.Random(7)
    keys = [(pk, f"{rng.randrange(10**6):07d}") for pk in partitions for _ in range(40)]
    rng.shuffle(keys)
    for pk, sk in keys:
        client.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}, "g_user": {"S": user}})

    def pages(**query):
        found, start = [], None
        while True:
            page = client.query(TableName=table, Limit=7, **query, **({"ExclusiveStartKey": start} if start else {}))
            found += [(i["pk"]["S"], i["sk"]["S"]) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    target = partitions[1]
    for forward in (True, False):
        table_query = pages(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": target}},
                            ScanIndexForward=forward)  # fmt: skip
        assert table_query == sorted(((pk, sk) for pk, sk in keys if pk == target), reverse=not forward)
    index_query = pages(IndexName="by_user", KeyConditionExpression="g_user = :u",
                        ExpressionAttributeValues={":u": {"S": user}})  # fmt: skip
    assert [pk for pk, _ in index_query] == sorted(pk for pk, _ in keys)
    assert sorted(index_query) == sorted(keys)
    missing = client.query(TableName=table, KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": "Q#none"}})  # fmt: skip
    assert missing["Items"] == []


def test_sqs_still_hides_delayed_and_received_messages():
    """Fix 5 reads the wall clock directly: a delayed message and a received one stay hidden until due."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName=f"patch-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    time.sleep(1.1)
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"]
    assert [m["Body"] for m in first] == ["later"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    time.sleep(1.1)
    again = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [m["MessageId"] for m in again] == [m["MessageId"] for m in first]
