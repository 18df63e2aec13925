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


def _table_with_index_and_stream(client) -> str:
    name = f"patch-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g")],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    return name


def test_index_queries_follow_every_kind_of_write():
    """Fix 10 answers an index Query from its hash key's bucket: puts, replacements, updates in place (changing,
    adding and removing the key), deletes, batch writes and a cancelled transaction must all show, as a scan does."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = _table_with_index_and_stream(client)

    def key(n: int) -> dict:
        return {"pk": {"S": f"P#{n % 3}"}, "sk": {"S": f"{n:03d}"}}

    def by_index(value: str) -> list[str]:
        items = client.query(TableName=table, IndexName="by_g", KeyConditionExpression="g = :g",
                             ExpressionAttributeValues={":g": {"S": value}})["Items"]  # fmt: skip
        return sorted(i["sk"]["S"] for i in items)

    def by_scan(value: str) -> list[str]:
        items = client.scan(TableName=table)["Items"]
        return sorted(i["sk"]["S"] for i in items if i.get("g", {}).get("S") == value)

    def check() -> None:
        for value in ("a", "b", "c"):
            assert by_index(value) == by_scan(value), value

    for n in range(12):
        client.put_item(TableName=table, Item={**key(n), "g": {"S": "ab"[n % 2]}})
    check()  # the buckets are built by the first Query; everything after must keep them current
    client.update_item(TableName=table, Key=key(0), UpdateExpression="SET g = :c",
                       ExpressionAttributeValues={":c": {"S": "c"}})  # fmt: skip
    client.update_item(TableName=table, Key=key(1), UpdateExpression="REMOVE g")
    client.update_item(
        TableName=table, Key=key(50), UpdateExpression="SET g = :a", ExpressionAttributeValues={":a": {"S": "a"}}
    )  # fmt: skip  (a new item by update)
    client.put_item(TableName=table, Item={**key(2), "g": {"S": "b"}})  # replaced, moved from a to b
    client.delete_item(TableName=table, Key=key(3))
    client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {**key(60), "g": {"S": "c"}}}},
                                                  {"DeleteRequest": {"Key": key(4)}}]})  # fmt: skip
    check()
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": table, "Key": key(5), "UpdateExpression": "SET g = :c",
                        "ExpressionAttributeValues": {":c": {"S": "c"}}}},
            {"Put": {"TableName": table, "Item": {**key(70), "g": {"S": "a"}}}},
            {"Delete": {"TableName": table, "Key": key(6)}},
            {"ConditionCheck": {"TableName": table, "Key": key(7), "ConditionExpression": "attribute_not_exists(pk)"}},
        ])  # fmt: skip
    check()  # the cancelled transaction moved nothing
    assert by_index("a") == ["006", "008", "010", "050"]


def test_plain_json_answers_are_the_ones_moto_would_give(monkeypatch):
    """Fix 8 dumps item operations (and stream records) as JSON directly; MOTO_PATCH_VERIFY=1 serialises each
    answer moto's way too and fails on any difference, binary values, sets and capacity included."""
    monkeypatch.setenv("MOTO_PATCH_VERIFY", "1")
    client = boto3.client("dynamodb", region_name="us-east-1")
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    table = _table_with_index_and_stream(client)
    item = {
        "pk": {"S": "a"},
        "sk": {"S": "1"},
        "g": {"S": "x"},
        "b": {"B": b"\x00\xff"},
        "bs": {"BS": [b"a", b"b"]},
        "n": {"N": "1.5"},
        "ns": {"NS": ["1", "2"]},
        "m": {"M": {"l": {"L": [{"S": "v"}, {"NULL": True}]}}},
    }
    key = {"pk": {"S": "a"}, "sk": {"S": "1"}}
    client.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL")
    got = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert got["b"] == {"B": b"\x00\xff"} and sorted(got["bs"]["BS"]) == [b"a", b"b"]
    client.query(TableName=table, IndexName="by_g", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": {"S": "x"}}, ReturnConsumedCapacity="INDEXES")  # fmt: skip
    client.update_item(TableName=table, Key=key, UpdateExpression="SET n = n + :one",
                       ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")  # fmt: skip
    client.batch_get_item(RequestItems={table: {"Keys": [key, {"pk": {"S": "z"}, "sk": {"S": "1"}}]}})
    client.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key}}])
    client.scan(TableName=table, Limit=1)
    assert client.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")["Attributes"]["n"] == {"N": "2.5"}
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]


UPDATES = [
    # (expression, names, values): every kind of clause and operand moto's validator processes
    ("SET a = :one, b = if_not_exists(b, :zero) + :one", {}, {":one": {"N": "1"}, ":zero": {"N": "0"}}),
    ("SET #l = list_append(if_not_exists(#l, :empty), :two) REMOVE gone", {"#l": "l"},
     {":empty": {"L": []}, ":two": {"L": [{"S": "x"}, {"S": "y"}]}}),
    ("ADD c :five, s :set DELETE t :drop", {},
     {":five": {"N": "5"}, ":set": {"SS": ["p", "q"]}, ":drop": {"SS": ["r"]}}),
    ("SET m.#in = :v, n = a - :one", {"#in": "inner"}, {":v": {"M": {"k": {"S": "v"}}}, ":one": {"N": "1"}}),
]  # fmt: skip


def test_update_expressions_give_the_same_items_parsed_once_per_text():
    """Fix 11 keeps one parse per expression text and walks each validator's tree reading its node types once;
    the items must come out as moto's own walk makes them, however often an expression is used, and a broken
    expression must still be refused every time."""
    import moto.dynamodb.models as models
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser

    client = boto3.client("dynamodb", region_name="us-east-1")
    table = "leadcenter-app"
    pk = f"U#{uuid.uuid4().hex}"

    def run(sk: str) -> dict:
        key = {"pk": {"S": pk}, "sk": {"S": sk}}
        client.put_item(TableName=table, Item={**key, "t": {"SS": ["r", "u"]}, "m": {"M": {}}, "gone": {"S": "g"}})
        for expression, names, values in UPDATES:
            client.update_item(TableName=table, Key=key, UpdateExpression=expression,
                               **({"ExpressionAttributeNames": names} if names else {}),
                               ExpressionAttributeValues=values)  # fmt: skip
        return client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]

    cache = models.UpdateExpressionParser.make
    before = cache.cache_info()
    first, again = run("1"), run("2")  # the second run: every text from the cache
    after = cache.cache_info()
    patched_traverse = DepthFirstTraverser.traverse
    try:
        DepthFirstTraverser.traverse = lambda self, node: self.traverse_node_recursively(node)  # moto's own walk
        unpatched = run("3")
    finally:
        DepthFirstTraverser.traverse = patched_traverse
    assert first == {**again, "sk": {"S": "1"}} and unpatched == {**first, "sk": {"S": "3"}}
    assert first["b"] == {"N": "1"} and first["n"] == {"N": "0"} and first["c"] == {"N": "5"}
    assert first["l"] == {"L": [{"S": "x"}, {"S": "y"}]} and "gone" not in first
    assert sorted(first["s"]["SS"]) == ["p", "q"] and first["t"] == {"SS": ["u"]}
    assert first["m"] == {"M": {"inner": {"M": {"k": {"S": "v"}}}}}
    # Each text parsed once (the handler and the backend both ask), then always from the cache.
    assert after.misses - before.misses == len(UPDATES)
    assert after.hits - before.hits == 3 * len(UPDATES)
    for _ in range(2):  # not cached as a success: refused each time
        with pytest.raises(client.exceptions.ClientError, match=r"Invalid UpdateExpression|Syntax error"):
            client.update_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": "1"}},
                               UpdateExpression="SET a = = :one",
                               ExpressionAttributeValues={":one": {"N": "1"}})  # fmt: skip


def test_kms_keys_get_their_private_key_when_first_used():
    """Fix 12: CreateKey no longer makes an RSA key for every key; a symmetric key never makes one, an asymmetric
    key makes it on its first Sign and then signs and verifies as before."""
    from moto.kms.models import kms_backends

    kms = boto3.client("kms", region_name="us-east-1")
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    sealed = kms.encrypt(KeyId=symmetric, Plaintext=b"secret")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"secret"
    kms.generate_data_key(KeyId=symmetric, KeySpec="AES_256")
    keys = kms_backends["123456789012"]["us-east-1"].keys
    assert keys[symmetric].private_key._made is None
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    assert keys[signing].private_key._made is None
    signature = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    assert keys[signing].private_key._made is not None
    assert kms.verify(KeyId=signing, Message=b"m", Signature=signature,
                      SigningAlgorithm="RSASSA_PSS_SHA_256")["SignatureValid"]  # fmt: skip
    public = kms.get_public_key(KeyId=signing)["PublicKey"]
    assert public == kms.get_public_key(KeyId=signing)["PublicKey"]  # the same key each time, made once


def test_a_copied_update_expression_tree_is_the_tree_copy_would_make():
    """Fix 11's direct copy of moto's expression trees: the same node classes, children and parent links as
    `copy.deepcopy` makes through the generic protocol, and nothing shared with the original."""
    import copy

    from moto.dynamodb.parsing.ast_nodes import Node
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    def shape(node, parent=None):
        if not isinstance(node, Node):
            return repr(node)
        children = node.children if isinstance(node.children, list) else [node.children]
        return (type(node).__name__, node.parent is parent, [shape(child, node) for child in children])

    def nodes(node):
        yield node
        for child in node.children if isinstance(node.children, list) else []:
            if isinstance(child, Node):
                yield from nodes(child)

    patched = Node.__deepcopy__
    for expression, _names, _values in UPDATES:
        tree = UpdateExpressionParser.make(expression)
        fast = copy.deepcopy(tree)
        try:
            del Node.__deepcopy__
            generic = copy.deepcopy(tree)
        finally:
            Node.__deepcopy__ = patched
        assert shape(fast) == shape(generic) == shape(tree)
        assert not {id(n) for n in nodes(fast)} & {id(n) for n in nodes(tree)}


def test_checks_of_an_expressions_shape_still_refuse_what_its_names_make_wrong():
    """Fix 11 skips the shape checks for a tree that passed them with the same names and table key: the same text
    with other names must still be checked, and a text that failed fails every time."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = "leadcenter-app"
    key = {"pk": {"S": f"U#{uuid.uuid4().hex}"}, "sk": {"S": "1"}}
    values = {":one": {"N": "1"}, ":two": {"N": "2"}}

    def update(expression, names):
        used = {name: value for name, value in values.items() if name in expression}
        client.update_item(TableName=table, Key=key, UpdateExpression=expression, ExpressionAttributeNames=names,
                           ExpressionAttributeValues=used)  # fmt: skip

    for _ in range(2):
        update("SET #a = :one, #b = :two", {"#a": "x", "#b": "y"})
        update("SET #k = :one", {"#k": "other"})
    with pytest.raises(client.exceptions.ClientError, match="Two document paths overlap"):
        update("SET #a = :one, #b = :two", {"#a": "x", "#b": "x"})
    with pytest.raises(client.exceptions.ClientError, match="Cannot update attribute pk"):
        update("SET #k = :one", {"#k": "pk"})
    for _ in range(2):
        with pytest.raises(client.exceptions.ClientError, match='The "SET" section can only be used once'):
            update("SET #a = :one SET #b = :two", {"#a": "x", "#b": "y"})
    item = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert (item["x"], item["y"], item["other"]) == ({"N": "1"}, {"N": "2"}, {"N": "1"})
