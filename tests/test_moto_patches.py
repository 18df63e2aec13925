"""The local moto fixes keep DynamoDB's semantics: a cancelled transaction leaves nothing behind."""

from __future__ import annotations

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
