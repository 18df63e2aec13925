"""Every AWS call a function makes, recorded, and what IAM asks of its role for it.

moto enforces no IAM, so a call a role does not allow passes every test and fails in AWS. `install()` wraps
botocore's one way out (`BaseClient._make_api_call`; boto3 clients and pynamodb's connections both pass through it)
and presigned URLs (whoever follows one acts with the signer's permissions). A call is recorded while
`recording()` is open and a function's handler runs (`local.gateway.running_function()`: the gateway, queue,
stream and schedule invokers set it); test code's own calls have no function and are ignored.

`needs(call, stack)` turns a call into what IAM authorises: (action, resource ARN) pairs. One request may need
several: a TransactWriteItems needs PutItem/UpdateItem/DeleteItem/ConditionCheckItem on each item's table, a
send to a KMS-encrypted queue needs kms:GenerateDataKey and kms:Decrypt on the queue's key, an SSE-KMS upload
needs the bucket key, as the SQS, S3 and DynamoDB developer guides list.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import botocore.client
import botocore.signers

from local.gateway import running_function
from local.template import ACCOUNT_ID, Stack


@dataclass(frozen=True)
class Call:
    function: str
    service: str
    operation: str
    region: str
    params: dict[str, Any] = field(hash=False)
    key_arn: str | None = None  # KMS: the key that answered (Decrypt names none; its reply does)

    def __str__(self) -> str:
        return f"{self.function}: {self.service}.{self.operation} in {self.region}"


@dataclass(frozen=True)
class Need:
    action: str
    resource: str
    call: Call = field(compare=False, hash=False)

    def __str__(self) -> str:
        return (
            f"{self.call.function} -> {self.action} on {self.resource} (by {self.call.service}.{self.call.operation})"
        )


_lock = threading.Lock()
_active: list[Call] | None = None
_installed = False


def _record(client: Any, operation: str, params: dict[str, Any], response: dict[str, Any] | None) -> None:
    function = running_function()
    if function is None or _active is None:
        return
    key_arn = (response or {}).get("KeyId") if client.meta.service_model.service_name == "kms" else None
    call = Call(
        function,
        client.meta.service_model.service_name,
        operation,
        client.meta.region_name,
        dict(params or {}),
        key_arn if isinstance(key_arn, str) else None,
    )
    with _lock:
        if _active is not None:
            _active.append(call)


def install() -> None:
    """Once per process, before clients are made (a client class takes its presign method when created)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_api_call = botocore.client.BaseClient._make_api_call
    presign = botocore.signers.generate_presigned_url
    presign_post = botocore.signers.generate_presigned_post

    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        response = None
        try:
            response = make_api_call(self, operation_name, api_params)
            return response
        finally:
            _record(self, operation_name, api_params, response)

    def generate_presigned_url(self: Any, ClientMethod: str, Params: Any = None, *args: Any, **kwargs: Any) -> Any:
        operation = self.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
        _record(self, operation, dict(Params or {}), None)
        return presign(self, ClientMethod, Params, *args, **kwargs)

    def generate_presigned_post(self: Any, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:
        # Whoever posts the form uploads with the signer's permissions: an s3:PutObject of that key.
        _record(self, "PutObject", {"Bucket": Bucket, "Key": Key}, None)
        return presign_post(self, Bucket, Key, *args, **kwargs)

    botocore.client.BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]
    botocore.signers.generate_presigned_url = generate_presigned_url
    botocore.signers.generate_presigned_post = generate_presigned_post


@contextmanager
def recording() -> Iterator[list[Call]]:
    """The calls functions make while open (one recording at a time per process)."""
    global _active
    install()
    calls: list[Call] = []
    with _lock:
        assert _active is None, "a recording is already open"
        _active = calls
    try:
        yield calls
    finally:
        with _lock:
            _active = None


# ---------------------------------------------------------------------------------------------- what IAM asks


class Unmapped(Exception):
    """A call this module cannot yet turn into IAM terms: teach `needs` the operation."""


_S3_ACTIONS = {
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts",
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject",
}
# SSE-KMS: what an object operation asks of the bucket key (S3 user guide, "Using SSE-KMS"; multipart needs both).
_S3_KMS = {
    "PutObject": ("kms:GenerateDataKey",),
    "CreateMultipartUpload": ("kms:GenerateDataKey", "kms:Decrypt"),
    "UploadPart": ("kms:GenerateDataKey", "kms:Decrypt"),
    "CompleteMultipartUpload": ("kms:GenerateDataKey", "kms:Decrypt"),
    "GetObject": ("kms:Decrypt",),
    "HeadObject": ("kms:Decrypt",),
}
# SSE-KMS queues (SQS developer guide, "Key management"): a producer needs both, a consumer Decrypt.
_SQS_KMS = {
    "SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
    "SendMessageBatch": ("kms:GenerateDataKey", "kms:Decrypt"),
    "ReceiveMessage": ("kms:Decrypt",),
}
_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


def _table_arn(name: str, region: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{name}"


def queue_arn(url: str) -> str:
    """https://sqs.<region>.amazonaws.com/<account>/<name> -> arn:aws:sqs:<region>:<account>:<name>."""
    parsed = urlparse(url)
    account, name = parsed.path.strip("/").split("/")[-2:]
    region = parsed.hostname.split(".")[1] if parsed.hostname and parsed.hostname.startswith("sqs.") else "us-east-1"
    return f"arn:aws:sqs:{region}:{account}:{name}"


def _dynamodb(call: Call) -> list[tuple[str, str]]:
    p, op, region = call.params, call.operation, call.region
    if op in ("TransactWriteItems", "TransactGetItems"):
        return [
            (_TRANSACT_ACTIONS[kind], _table_arn(body["TableName"], region))
            for item in p["TransactItems"]
            for kind, body in item.items()
        ]
    if op in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{op}", _table_arn(table, region)) for table in p["RequestItems"]]
    if "TableName" not in p:
        raise Unmapped(str(call))
    resource = _table_arn(p["TableName"], region)
    if p.get("IndexName"):
        resource += f"/index/{p['IndexName']}"
    return [(f"dynamodb:{op}", resource)]


def _kms(call: Call, stack: Stack) -> list[tuple[str, str]]:
    key = call.key_arn or call.params.get("KeyId")
    if not key:
        raise Unmapped(f"{call}: no key named in the request or the reply")
    return [(f"kms:{call.operation}", key_arn(stack, str(key), call.region))]


def key_arn(stack: Stack, key: str, region: str) -> str:
    """A key id, key ARN, alias name or alias ARN -> the key's ARN (what KMS authorises against)."""
    if key.startswith("arn:") and ":key/" in key:
        return key
    if key.startswith("arn:") and ":alias/" in key:
        region, key = key.split(":")[3], "alias/" + key.split(":alias/", 1)[1]
    if key.startswith("alias/"):
        resources = stack.template["Resources"]
        for logical, physical in stack.physical.get(region, {}).items():
            if resources[logical]["Type"] == "AWS::KMS::Alias" and physical == key:
                target = stack.resolve(resources[logical]["Properties"]["TargetKeyId"], region)
                return f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{target}"
        raise Unmapped(f"no key has the alias {key} in {region}")
    return f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key}"


def aliases_of(stack: Stack, arn: str) -> list[str]:
    """The aliases the template gives a key (what a kms:ResourceAliases condition sees)."""
    region, key_id = arn.split(":")[3], arn.rsplit("/", 1)[-1]
    resources = stack.template["Resources"]
    return [
        physical
        for logical, physical in stack.physical.get(region, {}).items()
        if resources[logical]["Type"] == "AWS::KMS::Alias"
        and stack.resolve(resources[logical]["Properties"]["TargetKeyId"], region) == key_id
    ]


def _encryption_key(stack: Stack, kind: str, physical: str, region: str) -> str | None:
    """The customer-managed key the template encrypts a queue (by URL) or bucket (by name) with, if any."""
    for logical, spec in stack.template["Resources"].items():
        if spec["Type"] != kind or stack.physical.get(region, {}).get(logical) != physical:
            continue
        properties = spec.get("Properties", {})
        if kind == "AWS::SQS::Queue":
            key = properties.get("KmsMasterKeyId")
        else:
            rules = properties.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
            key = next((r["ServerSideEncryptionByDefault"].get("KMSMasterKeyID") for r in rules), None)
        if key is None:
            return None
        key = str(stack.resolve(key, region))
        if key.startswith("alias/aws/"):
            return None  # an AWS managed key: its key policy lets the account use it through the service
        return key_arn(stack, key, region)
    return None


def _sqs(call: Call, stack: Stack) -> list[tuple[str, str]]:
    p, op = call.params, call.operation
    if op == "GetQueueUrl":
        return [("sqs:GetQueueUrl", f"arn:aws:sqs:{call.region}:{ACCOUNT_ID}:{p['QueueName']}")]
    arn = queue_arn(p["QueueUrl"])
    action = "sqs:SendMessage" if op == "SendMessageBatch" else f"sqs:{op}"
    found = [(action, arn)]
    key = _encryption_key(stack, "AWS::SQS::Queue", p["QueueUrl"], arn.split(":")[3])
    if key:
        found += [(kms_action, key) for kms_action in _SQS_KMS.get(op, ())]
    return found


def _s3(call: Call, stack: Stack) -> list[tuple[str, str]]:
    p, op = call.params, call.operation
    bucket = p["Bucket"]
    if op in ("ListObjects", "ListObjectsV2"):
        return [("s3:ListBucket", f"arn:aws:s3:::{bucket}")]
    if op == "DeleteObjects":  # a multi-object delete is checked as s3:DeleteObject on each key
        return [("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{o['Key']}") for o in p["Delete"]["Objects"]]
    if op not in _S3_ACTIONS:
        raise Unmapped(str(call))
    found = [(_S3_ACTIONS[op], f"arn:aws:s3:::{bucket}/{p['Key']}")]
    key = _encryption_key(stack, "AWS::S3::Bucket", bucket, stack.home_region)
    if key:
        found += [(kms_action, key) for kms_action in _S3_KMS.get(op, ())]
    return found


def _secretsmanager(call: Call) -> list[tuple[str, str]]:
    secret = str(call.params["SecretId"])
    if not secret.startswith("arn:"):
        secret = f"arn:aws:secretsmanager:{call.region}:{ACCOUNT_ID}:secret:{secret}"
    return [(f"secretsmanager:{call.operation}", secret)]


def needs(call: Call, stack: Stack) -> list[Need]:
    """What IAM checks for one recorded call: (action, resource) pairs; raises Unmapped for an unknown call."""
    if call.service == "dynamodb":
        pairs = _dynamodb(call)
    elif call.service == "kms":
        pairs = _kms(call, stack)
    elif call.service == "sqs":
        pairs = _sqs(call, stack)
    elif call.service == "s3":
        pairs = _s3(call, stack)
    elif call.service == "secretsmanager":
        pairs = _secretsmanager(call)
    elif call.service == "dynamodbstreams" and "StreamArn" in call.params:
        pairs = [(f"dynamodb:{call.operation}", str(call.params["StreamArn"]))]
    else:
        raise Unmapped(str(call))
    return [Need(action, resource, call) for action, resource in pairs]
