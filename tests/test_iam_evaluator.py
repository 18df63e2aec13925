"""The IAM evaluator and the call-to-permission mapping behind tests/test_iam_coverage.py, on small cases."""

from __future__ import annotations

from typing import Any

import pytest

from local.template import ACCOUNT_ID, Stack
from tests.helpers.aws_calls import Call, Unmapped, key_arn, needs, queue_arn
from tests.helpers.iam import Roles

A = ACCOUNT_ID


def _roles(stack: Stack, *statements: dict[str, Any], managed: list[str] | None = None) -> Roles:
    """A transformed template with one function whose role holds `statements`, over the real stack's resources."""
    template = {
        "Conditions": stack.template["Conditions"],
        "Resources": {
            **stack.template["Resources"],
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["FnRole", "Arn"]}}},
            "FnRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "ManagedPolicyArns": managed or [],
                    "Policies": [{"PolicyName": "P", "PolicyDocument": {"Statement": list(statements)}}],
                },
            },
        },
    }
    return Roles(template, stack)


def _allows(stack: Stack, statement: dict[str, Any], action: str, resource: str) -> bool:
    return _roles(stack, statement)["Fn"].allows(action, resource)


def _table(name: str, region: str = "us-east-1") -> str:
    return f"arn:aws:dynamodb:{region}:{A}:table/{name}"


def test_actions_match_with_wildcards_and_case_insensitively(stack):
    statement = {"Effect": "Allow", "Action": ["dynamodb:*", "kms:Generate*"], "Resource": "*"}
    assert _allows(stack, statement, "dynamodb:Query", _table("t"))
    assert _allows(stack, statement, "DynamoDB:deleteitem", _table("t"))
    assert _allows(stack, statement, "kms:GenerateMac", "arn:aws:kms:us-east-1:1:key/k")
    assert not _allows(stack, statement, "kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k")
    assert not _allows(stack, statement, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q")


def test_resources_match_by_pattern_and_an_index_is_its_own_resource(stack):
    table = {
        "Effect": "Allow",
        "Action": "dynamodb:Query",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/${AppName}-leads"},
    }
    assert _allows(stack, table, "dynamodb:Query", _table("leadcenter-leads", "ap-southeast-1"))
    assert not _allows(stack, table, "dynamodb:Query", _table("leadcenter-leads/index/by_person", "ap-southeast-1"))
    assert not _allows(stack, table, "dynamodb:Query", _table("leadcenter-lead-keys"))
    index = {**table, "Resource": f"arn:aws:dynamodb:*:{A}:table/leadcenter-leads/index/*"}
    assert _allows(stack, index, "dynamodb:Query", _table("leadcenter-leads/index/by_person", "sa-east-1"))
    assert not _allows(stack, index, "dynamodb:Query", _table("leadcenter-leads"))
    home_only = {**table, "Resource": {"Fn::Sub": "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/x"}}
    assert _allows(stack, home_only, "dynamodb:Query", _table("x", "us-east-1"))
    assert not _allows(stack, home_only, "dynamodb:Query", _table("x", "eu-central-1"))
    one_char = {**table, "Resource": f"arn:aws:dynamodb:us-east-1:{A}:table/t?"}
    assert _allows(stack, one_char, "dynamodb:Query", _table("t1"))
    assert not _allows(stack, one_char, "dynamodb:Query", _table("t12"))


def test_an_explicit_deny_wins_and_not_action_and_not_resource_invert(stack):
    allow = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": _table("keep")}
    role = _roles(stack, allow, deny)["Fn"]
    assert role.allows("dynamodb:DeleteItem", _table("other"))
    assert not role.allows("dynamodb:DeleteItem", _table("keep"))
    assert role.allows("dynamodb:GetItem", _table("keep"))
    not_action = {"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"}
    assert _allows(stack, not_action, "dynamodb:GetItem", _table("t"))
    assert not _allows(stack, not_action, "dynamodb:DeleteItem", _table("t"))
    not_resource = {"Effect": "Allow", "Action": "dynamodb:GetItem", "NotResource": _table("secret")}
    assert _allows(stack, not_resource, "dynamodb:GetItem", _table("t"))
    assert not _allows(stack, not_resource, "dynamodb:GetItem", _table("secret"))


def test_nothing_granted_is_denied(stack):
    assert not _roles(stack)["Fn"].allows("dynamodb:GetItem", _table("t"))


def test_intrinsics_resolve_to_the_arns_moto_uses(stack):
    home = stack.home_region
    queue = {
        "Effect": "Allow",
        "Action": "sqs:SendMessage*",
        "Resource": {
            "Fn::Sub": [
                "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}",
                {"queueName": {"Fn::GetAtt": ["JobsQueue", "QueueName"]}},
            ]
        },
    }
    jobs_queue = queue_arn(stack.physical[home]["JobsQueue"])
    assert _allows(stack, queue, "sqs:SendMessage", jobs_queue)
    assert not _allows(stack, queue, "sqs:SendMessage", queue_arn(stack.physical[home]["CaptureQueue"]))
    key = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": {"Fn::GetAtt": ["QueueKey", "Arn"]}}
    assert _allows(stack, key, "kms:Decrypt", f"arn:aws:kms:{home}:{A}:key/{stack.physical[home]['QueueKey']}")
    assert not _allows(stack, key, "kms:Decrypt", f"arn:aws:kms:{home}:{A}:key/{stack.physical[home]['LeadsKey']}")
    bucket = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": {"Fn::Sub": "${ExportsBucket.Arn}/exports/*"}}
    name = stack.physical[home]["ExportsBucket"]
    assert _allows(stack, bucket, "s3:PutObject", f"arn:aws:s3:::{name}/exports/a/b.csv")
    assert not _allows(stack, bucket, "s3:PutObject", f"arn:aws:s3:::{name}/other.csv")
    table = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {"Fn::GetAtt": ["AppTable", "Arn"]}}
    assert _allows(stack, table, "dynamodb:GetItem", _table("leadcenter-app"))


def test_a_key_narrowed_by_alias_allows_only_keys_with_that_alias(stack):
    by_alias = {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": f"arn:aws:kms:*:{A}:key/*",
        "Condition": {"ForAnyValue:StringLike": {"kms:ResourceAliases": ["alias/leadcenter-leads"]}},
    }
    leads_key = key_arn(stack, "alias/leadcenter-leads", "eu-central-1")
    blind_key = key_arn(stack, "alias/leadcenter-blind-index", "eu-central-1")
    assert _allows(stack, by_alias, "kms:Decrypt", leads_key)
    assert not _allows(stack, by_alias, "kms:Decrypt", blind_key)
    other_conditions = {**by_alias, "Condition": {"StringEquals": {"kms:EncryptionContext:app": "x"}}}
    assert _allows(stack, other_conditions, "kms:Decrypt", blind_key)  # conditions other than aliases count as met


def test_managed_policies_expand_and_an_unknown_one_is_refused(stack):
    sqs = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
    assert _roles(stack, managed=[sqs])["Fn"].allows("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:1:q")
    with pytest.raises(ValueError, match="AdministratorAccess"):
        _roles(stack, managed=["arn:aws:iam::aws:policy/AdministratorAccess"])


# ---------------------------------------------------------------------------------------------- calls -> needs


def _needs(stack: Stack, service: str, operation: str, params: dict[str, Any], region: str = "us-east-1", **kw: Any):
    return [(n.action, n.resource) for n in needs(Call("Fn", service, operation, region, params, **kw), stack)]


def test_dynamodb_calls_name_their_table_index_and_each_transaction_item(stack):
    query = {"TableName": "leadcenter-leads", "IndexName": "by_person"}
    assert _needs(stack, "dynamodb", "Query", query, "sa-east-1") == [
        ("dynamodb:Query", _table("leadcenter-leads/index/by_person", "sa-east-1"))
    ]
    items = [
        {"Put": {"TableName": "a"}},
        {"Delete": {"TableName": "b"}},
        {"ConditionCheck": {"TableName": "c"}},
        {"Update": {"TableName": _table("d", "eu-central-1")}},
    ]
    assert _needs(stack, "dynamodb", "TransactWriteItems", {"TransactItems": items}) == [
        ("dynamodb:PutItem", _table("a")),
        ("dynamodb:DeleteItem", _table("b")),
        ("dynamodb:ConditionCheckItem", _table("c")),
        ("dynamodb:UpdateItem", _table("d", "eu-central-1")),
    ]
    assert _needs(stack, "dynamodb", "BatchWriteItem", {"RequestItems": {"a": [], "b": []}}) == [
        ("dynamodb:BatchWriteItem", _table("a")),
        ("dynamodb:BatchWriteItem", _table("b")),
    ]


def test_a_send_to_a_kms_queue_needs_the_queue_key_and_an_sse_kms_upload_the_bucket_key(stack):
    home = stack.home_region
    queue_key = f"arn:aws:kms:{home}:{A}:key/{stack.physical[home]['QueueKey']}"
    url = stack.physical[home]["CrmQueue"]
    assert _needs(stack, "sqs", "SendMessageBatch", {"QueueUrl": url}) == [
        ("sqs:SendMessage", f"arn:aws:sqs:{home}:{A}:leadcenter-crm"),
        ("kms:GenerateDataKey", queue_key),
        ("kms:Decrypt", queue_key),
    ]
    aws_managed = stack.physical[home]["CrmStreamDeadLetterQueue"]  # alias/aws/sqs: no IAM grant needed
    assert [a for a, _ in _needs(stack, "sqs", "SendMessage", {"QueueUrl": aws_managed})] == ["sqs:SendMessage"]
    bucket = stack.physical[home]["ExportsBucket"]
    assert _needs(stack, "s3", "UploadPart", {"Bucket": bucket, "Key": "exports/x.csv"}) == [
        ("s3:PutObject", f"arn:aws:s3:::{bucket}/exports/x.csv"),
        ("kms:GenerateDataKey", queue_key),
        ("kms:Decrypt", queue_key),
    ]


def test_kms_calls_name_the_key_by_arn_whatever_the_request_named(stack):
    leads_key = key_arn(stack, "alias/leadcenter-leads", "ap-southeast-1")
    assert leads_key.startswith(f"arn:aws:kms:ap-southeast-1:{A}:key/")
    by_alias = {"KeyId": "alias/leadcenter-leads"}
    assert _needs(stack, "kms", "GenerateDataKey", by_alias, "ap-southeast-1") == [("kms:GenerateDataKey", leads_key)]
    # Decrypt names no key; the reply does
    assert _needs(stack, "kms", "Decrypt", {}, "ap-southeast-1", key_arn=leads_key) == [("kms:Decrypt", leads_key)]
    with pytest.raises(Unmapped):
        needs(Call("Fn", "kms", "Decrypt", "ap-southeast-1", {}), stack)


def test_an_unknown_service_is_refused_rather_than_passed(stack):
    with pytest.raises(Unmapped):
        needs(Call("Fn", "sns", "Publish", "us-east-1", {"TopicArn": "arn:aws:sns:us-east-1:1:t"}), stack)
