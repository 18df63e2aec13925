"""The runner's AWS wire (local/aws_wire.py): over the Unix socket, botocore gets what moto's HTTP port answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import botocore.session
import pytest
import requests
from botocore.config import Config

from local import aws_wire
from local.moto_server import MotoProcess

pytestmark = pytest.mark.xdist_group("moto_child")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def moto_child() -> Iterator[MotoProcess]:
    child = MotoProcess(_free_port())
    assert child.wire_path is not None
    child.start()
    try:
        yield child
    finally:
        child.stop()


@pytest.fixture
def wire(moto_child: MotoProcess) -> Iterator[aws_wire.Wire]:
    installed = aws_wire.install(f"http://127.0.0.1:{moto_child.port}", str(moto_child.wire_path))
    try:
        yield installed
    finally:
        aws_wire.uninstall()


def _clients(port: int, service: str) -> tuple[object, object]:
    """The same client twice: through the wire (127.0.0.1) and over HTTP (localhost, which the wire leaves)."""
    session = botocore.session.get_session()
    signing = "s3v4" if service == "s3" else None
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, signature_version=signing)
    keys: dict = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "ap-southeast-1"}
    return tuple(session.create_client(service, endpoint_url=f"http://{host}:{port}", config=config, **keys)
                 for host in ("127.0.0.1", "localhost"))  # type: ignore[return-value]  # fmt: skip


def _plain(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def test_dynamodb_answers_errors_included_are_the_http_ones(wire, moto_child):
    over_wire, over_http = _clients(moto_child.port, "dynamodb")
    over_wire.create_table(TableName="wire", BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])  # fmt: skip
    item = {"pk": {"S": "é/1"}, "b": {"B": bytes(range(256))}, "n": {"N": "1.5"}, "l": {"L": [{"NULL": True}]}}
    over_wire.put_item(TableName="wire", Item=item)
    key = {"pk": {"S": "é/1"}}
    both = [_plain(client.get_item(TableName="wire", Key=key)) for client in (over_wire, over_http)]
    assert both[0] == both[1]
    assert over_wire.get_item(TableName="wire", Key=key)["Item"] == item
    for client in (over_wire, over_http):
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(TableName="wire", Item=item, ConditionExpression="attribute_not_exists(pk)")
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_item(TableName="no-such-table", Key=key)


def test_sqs_kms_and_s3_bodies_arrive_whole(wire, moto_child):
    sqs, _ = _clients(moto_child.port, "sqs")
    url = sqs.create_queue(QueueName="wire")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody='{"ü": 1}')
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]] == ['{"ü": 1}']
    kms, _ = _clients(moto_child.port, "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    sealed = kms.encrypt(KeyId=key, Plaintext=b"\x00secret")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"\x00secret"
    s3, s3_http = _clients(moto_child.port, "s3")
    s3.create_bucket(Bucket="wire", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"})
    body = bytes(range(256)) * 4096  # 1 MiB, every byte value
    s3.put_object(Bucket="wire", Key="a b/ü.csv", Body=body, ContentType="text/csv")
    got = s3.get_object(Bucket="wire", Key="a b/ü.csv")
    assert got["Body"].read() == body and got["ContentType"] == "text/csv" and got["ContentLength"] == len(body)
    assert s3.head_object(Bucket="wire", Key="a b/ü.csv")["ContentLength"] == len(body)
    assert s3_http.get_object(Bucket="wire", Key="a b/ü.csv")["Body"].read() == body
    link = s3.generate_presigned_url("get_object", Params={"Bucket": "wire", "Key": "a b/ü.csv"})
    # the HTTP port still serves whoever is not the runner: a browser following a download link, say
    assert requests.get(link.replace("127.0.0.1", "localhost"), timeout=10).content == body


def test_a_request_no_route_takes_is_answered_as_flask_answers_it(wire, moto_child):
    headers = [("Authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, "
                "SignedHeaders=host, Signature=0"), ("X-Amz-Target", "DynamoDB_20120810.ListTables")]  # fmt: skip
    status, _, body = wire.call(("POST", "/no/such/path", headers, b"{}"))
    http = requests.post(
        f"http://localhost:{moto_child.port}/no/such/path", headers=dict(headers), data=b"{}", timeout=10
    )
    assert (status, body) == (http.status_code, http.content) and status == 404


def test_a_dropped_connection_is_retried_on_a_new_one(wire, moto_child):
    dynamodb, _ = _clients(moto_child.port, "dynamodb")
    dynamodb.create_table(TableName="wire-drop", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])  # fmt: skip
    held = wire.local.held
    held[0].shutdown(socket.SHUT_RDWR)  # as if the child had gone: the call fails, botocore retries, we reconnect
    assert "wire-drop" in dynamodb.list_tables()["TableNames"]
    assert wire.local.held is not held
