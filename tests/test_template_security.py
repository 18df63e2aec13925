"""Issue "2 of 6": edges, alarms and hardening, checked on the template as the SAM transform turns it out.

Each test names one control of README "Security"; taking the control out of template.yaml fails it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from local.template import load

USE_ACTIONS = {
    "kms:encrypt",
    "kms:decrypt",
    "kms:reencrypt*",
    "kms:reencryptfrom",
    "kms:reencryptto",
    "kms:generatedatakey",
    "kms:generatedatakey*",
    "kms:generatemac",
    "kms:verifymac",
    "kms:creategrant",
}


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    template = load()
    for spec in template["Resources"].values():
        properties = spec.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://leadcenter-artifacts/{properties[key].strip('/')}.zip"
    return transform(template, {"AWS::Region": "us-east-1"}, _NoManagedPolicies())["Resources"]


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: spec for name, spec in resources.items() if spec["Type"] == kind}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for statement in document["Statement"]:
        if isinstance(statement, dict) and "Fn::If" in statement:  # a conditional statement: its "given" branch
            statement = statement["Fn::If"][1]
        yield statement


# ---------------------------------------------------------------------------------------------------- alarms


def _alarms_on(resources: dict[str, Any], dimension: str, value: Any) -> dict[str, dict[str, Any]]:
    """Alarms whose single dimension `dimension` is `value`, by metric name."""
    found: dict[str, dict[str, Any]] = {}
    for name, spec in _of_type(resources, "AWS::CloudWatch::Alarm").items():
        dims = spec["Properties"].get("Dimensions", [])
        if any(d["Name"] == dimension and d["Value"] == value for d in dims):
            found[spec["Properties"]["MetricName"]] = {"name": name, **spec}
    return found


def _dead_letter_queues(resources: dict[str, Any]) -> set[str]:
    dlqs = set()
    for spec in _of_type(resources, "AWS::SQS::Queue").values():
        target = spec["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")
        if target:
            dlqs.add(target["Fn::GetAtt"][0])
    for spec in _of_type(resources, "AWS::Lambda::EventSourceMapping").values():
        destination = spec["Properties"].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination:
            dlqs.add(destination["Fn::GetAtt"][0])
    return dlqs


def test_every_dead_letter_queue_alarms_on_depth_and_age(resources):
    dlqs = _dead_letter_queues(resources)
    assert {"CaptureDeadLetterQueue", "JobsDeadLetterQueue", "CrmDeadLetterQueue", "CrmStreamDeadLetterQueue"} <= dlqs
    for queue in dlqs:
        alarms = _alarms_on(resources, "QueueName", {"Fn::GetAtt": [queue, "QueueName"]})
        depth = alarms.get("ApproximateNumberOfMessagesVisible")
        assert depth, f"{queue}: no depth alarm"
        assert (
            depth["Properties"]["Threshold"] == 0
            and depth["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
        )
        age = alarms.get("ApproximateAgeOfOldestMessage")
        assert age, f"{queue}: no age alarm"
        assert age["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
        for alarm in (depth, age):  # a home-only queue's alarm is home-only too; a queue in every stack, its alarm too
            assert alarm.get("Condition") == resources[queue].get("Condition"), alarm["name"]


def test_every_function_alarms_on_errors_and_throttles(resources):
    functions = _of_type(resources, "AWS::Lambda::Function")
    assert len(functions) >= 9
    for function, spec in functions.items():
        alarms = _alarms_on(resources, "FunctionName", {"Ref": function})
        for metric in ("Errors", "Throttles"):
            alarm = alarms.get(metric)
            assert alarm, f"{function}: no {metric} alarm"
            p = alarm["Properties"]
            assert p["Threshold"] == 1 and p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", alarm["name"]
            assert alarm.get("Condition") == spec.get("Condition"), alarm["name"]


def test_the_retention_sweep_not_running_for_a_day_alarms(resources):
    alarm = _alarms_on(resources, "FunctionName", {"Ref": "RetentionFunction"}).get("Invocations")
    assert alarm, "no alarm on the retention function's invocations"
    p = alarm["Properties"]
    assert p["ComparisonOperator"] == "LessThanThreshold" and p["Threshold"] == 1
    assert p["TreatMissingData"] == "breaching"  # no datapoint at all is the failure this alarm is for
    assert p["Period"] * p["EvaluationPeriods"] == 86400
    assert p.get("DatapointsToAlarm", p["EvaluationPeriods"]) == p["EvaluationPeriods"]  # silent the whole day
    assert alarm["Condition"] == "IsHome"


def test_every_alarm_notifies_the_alarm_topic(resources):
    topic = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}
    assert resources["AlarmTopic"]["Condition"] == "CreateAlarmTopic"  # in every stack: regional stacks alarm too
    alarms = _of_type(resources, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 27
    for name, spec in alarms.items():
        assert spec["Properties"]["AlarmActions"] == [topic], name


# ---------------------------------------------------------------------------------------------------- Cognito


def test_cognito_is_invitation_only_with_mfa_and_threat_protection(resources):
    pool = resources["UserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "ON"
    assert "SOFTWARE_TOKEN_MFA" in pool["EnabledMfas"]
    assert pool["UserPoolAddOns"]["AdvancedSecurityMode"] == "ENFORCED"
    assert pool["UserPoolTier"] == "PLUS"  # threat protection is a Plus-tier feature
    assert pool["DeletionProtection"] == "ACTIVE"


def test_cognito_client_hides_users_and_sets_token_lifetimes(resources):
    client = resources["UserPoolClient"]["Properties"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    units = client["TokenValidityUnits"]
    hours = {"minutes": 1 / 60, "hours": 1, "days": 24}
    assert client["AccessTokenValidity"] * hours[units["AccessToken"]] == 1
    assert client["IdTokenValidity"] * hours[units["IdToken"]] == 1
    assert 1 <= client["RefreshTokenValidity"] * hours[units["RefreshToken"]] <= 30 * 24
    assert client.get("GenerateSecret") is False and "ALLOW_USER_PASSWORD_AUTH" not in client["ExplicitAuthFlows"]


# ---------------------------------------------------------------------------------------------------- tables


def test_every_table_has_deletion_protection_and_is_retained(resources):
    tables = _of_type(resources, "AWS::DynamoDB::Table")
    assert {"LeadsTable", "LeadKeysTable", "AppTable", "IdempotencyTable"} <= set(tables)
    for name, spec in tables.items():
        assert spec["Properties"].get("DeletionProtectionEnabled") is True, name
        # deletion protection would otherwise fail a stack deletion; a replacement must not drop the data either
        assert spec.get("DeletionPolicy") == "Retain" and spec.get("UpdateReplacePolicy") == "Retain", name


# ---------------------------------------------------------------------------------------------------- exports bucket


def _exports_policy(resources: dict[str, Any]) -> list[dict[str, Any]]:
    policies = [
        spec["Properties"]["PolicyDocument"]
        for spec in _of_type(resources, "AWS::S3::BucketPolicy").values()
        if spec["Properties"]["Bucket"] == {"Ref": "ExportsBucket"}
    ]
    assert len(policies) == 1, "the exports bucket has no bucket policy"
    return list(_statements(policies[0]))


def _denied(statements: list[dict[str, Any]], action: str, keys: dict[str, str]) -> bool:
    """Whether a Deny statement of the policy matches the request (the operators this policy uses)."""
    for statement in statements:
        if statement["Effect"] != "Deny" or not any(a in ("s3:*", action) for a in _listed(statement["Action"])):
            continue
        matches = True
        for operator, tests in statement.get("Condition", {}).items():
            for key, expected in tests.items():
                expected_values = [
                    json.dumps(v, sort_keys=True) if isinstance(v, dict) else v for v in _listed(expected)
                ]
                present = key in keys
                value = keys.get(key)
                if operator == "Bool":
                    ok = present and value in expected_values
                elif operator == "NumericLessThan":
                    ok = present and float(value) < float(expected_values[0])
                elif operator == "StringEquals":
                    ok = present and value in expected_values
                elif operator in ("StringNotEquals", "StringNotEqualsIfExists"):
                    # IAM: a negated operator is true when the key is absent
                    ok = (not present) or value not in expected_values
                elif operator == "Null":
                    ok = (not present) == (expected_values[0] == "true")
                else:
                    raise AssertionError(f"unexpected condition operator {operator}")
                matches = matches and ok
        if matches:
            return True
    return False


OUR_KEY = json.dumps({"Fn::GetAtt": ["QueueKey", "Arn"]}, sort_keys=True)
TLS = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
SSE = "s3:x-amz-server-side-encryption"
SSE_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"


def test_exports_bucket_refuses_plain_http_and_other_encryption(resources):
    statements = _exports_policy(resources)
    assert _denied(statements, "s3:GetObject", {"aws:SecureTransport": "false"})
    assert _denied(statements, "s3:PutObject", {"aws:SecureTransport": "false"})
    assert _denied(statements, "s3:GetObject", {"aws:SecureTransport": "true", "s3:TlsVersion": "1.1"})
    assert _denied(statements, "s3:PutObject", {**TLS, SSE: "AES256"})
    assert _denied(statements, "s3:PutObject", {**TLS, SSE: "aws:kms"})  # the AWS managed key aws/s3
    assert _denied(statements, "s3:PutObject", {**TLS, SSE: "aws:kms", SSE_KEY: "arn:aws:kms:us-east-1:1:key/other"})
    assert not _denied(statements, "s3:PutObject", {**TLS, SSE: "aws:kms", SSE_KEY: OUR_KEY})
    tls_deny = next(
        s for s in statements if s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    )
    assert {"Fn::GetAtt": ["ExportsBucket", "Arn"]} in tls_deny["Resource"]  # the bucket and its objects
    # Objects without an encryption header get the bucket default: SSE-KMS with that same key.
    default = resources["ExportsBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert default["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Ref": "QueueKey"},
    }


class _RecordingS3:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        def call(**kwargs: Any) -> dict[str, Any]:
            self.calls.append((operation, kwargs))
            return {"UploadId": "u1", "ETag": '"e"'}

        return call


def test_the_export_upload_passes_the_bucket_policy(resources, monkeypatch):
    """Every write the export worker makes (its spool pages, and CreateMultipartUpload, UploadPart, Complete: all
    s3:PutObject)."""
    from leadcenter.store import exports

    s3 = _RecordingS3()
    monkeypatch.setattr(exports.aws, "client", lambda *args, **kwargs: s3)
    exports.put_spool("exports/a/j/t/spool/000001.jsonl", b"{}")
    upload_id = exports.start_upload("exports/a/j.csv", "leads.csv")
    etag = exports.upload_part("exports/a/j.csv", upload_id, 1, b"x" * 10)
    exports.complete_upload("exports/a/j.csv", upload_id, [[1, etag]])
    statements = _exports_policy(resources)
    header_keys = {"ServerSideEncryption": SSE, "SSEKMSKeyId": SSE_KEY}
    put_object_family = {"create_multipart_upload", "upload_part", "complete_multipart_upload", "put_object"}
    assert {operation for operation, _ in s3.calls} == put_object_family
    for operation, kwargs in s3.calls:
        keys = {**TLS, **{header_keys[k]: v for k, v in kwargs.items() if k in header_keys}}
        if keys.get(SSE_KEY):
            keys[SSE_KEY] = OUR_KEY  # the code would name the stack's queue key
        assert not _denied(statements, "s3:PutObject", keys), operation


# ---------------------------------------------------------------------------------------------------- edges


def test_the_api_stage_has_a_regional_waf_with_rate_rules(resources):
    acls = _of_type(resources, "AWS::WAFv2::WebACL")
    assert len(acls) == 1
    ((acl_name, acl),) = acls.items()
    assert acl["Properties"]["Scope"] == "REGIONAL" and acl["Condition"] == "IsHome"
    associations = _of_type(resources, "AWS::WAFv2::WebACLAssociation")
    assert [a["Properties"]["WebACLArn"] for a in associations.values()] == [{"Fn::GetAtt": [acl_name, "Arn"]}]
    stage = next(iter(_of_type(resources, "AWS::ApiGateway::Stage")))
    arn = next(iter(associations.values()))["Properties"]["ResourceArn"]["Fn::Sub"]
    assert arn.endswith(f"::/restapis/${{Api}}/stages/${{{stage}}}")

    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}
    rate_rules = {
        n: r["Statement"]["RateBasedStatement"] for n, r in rules.items() if "RateBasedStatement" in r["Statement"]
    }
    assert all("Block" in rules[n]["Action"] for n in rate_rules)

    def scoped_to_webhook(statement: dict[str, Any]) -> bool:
        match = statement.get("ByteMatchStatement", {})
        return match.get("SearchString") == "/webhooks/messages" and "UriPath" in match.get("FieldToMatch", {})

    webhook = [s for s in rate_rules.values() if scoped_to_webhook(s.get("ScopeDownStatement", {}))]
    assert len(webhook) == 1 and webhook[0]["AggregateKeyType"] == "IP", "the webhook has no rate rule of its own"
    general = [s for s in rate_rules.values() if not scoped_to_webhook(s.get("ScopeDownStatement", {}))]
    assert any(s["AggregateKeyType"] == "IP" for s in general), "no per-IP rate rule for the API"


def test_the_webhook_has_its_own_stage_throttle(resources):
    (stage,) = _of_type(resources, "AWS::ApiGateway::Stage").values()
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in stage["Properties"]["MethodSettings"]}
    webhook = settings.get(("/~1webhooks~1messages", "POST"))
    assert webhook and "ThrottlingRateLimit" in webhook and "ThrottlingBurstLimit" in webhook
    assert settings[("/*", "*")]["ThrottlingRateLimit"]  # and everything else keeps the stage-wide throttle


def test_requests_through_cloudfront_carry_the_header_the_waf_checks(resources):
    origins = resources["WebDistribution"]["Properties"]["DistributionConfig"]["Origins"]
    api = next(o for o in origins if o["Id"] == "api")
    (header,) = api["OriginCustomHeaders"]
    assert "{{resolve:secretsmanager:" in header["HeaderValue"]["Fn::Sub"]  # a generated secret, not a literal

    def byte_matches(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if "ByteMatchStatement" in node:
                yield node["ByteMatchStatement"]
            for value in node.values():
                yield from byte_matches(value)
        elif isinstance(node, list):
            for value in node:
                yield from byte_matches(value)

    acl = next(iter(_of_type(resources, "AWS::WAFv2::WebACL").values()))
    checks = [
        m
        for m in byte_matches(acl["Properties"]["Rules"])
        if m["FieldToMatch"].get("SingleHeader", {}).get("Name") == header["HeaderName"].lower()
    ]
    assert checks and all(m["SearchString"] == header["HeaderValue"] for m in checks)
    assert all(m["PositionalConstraint"] == "EXACTLY" for m in checks)


def test_api_access_logs_go_to_a_retained_log_group_without_personal_data(resources):
    (stage,) = _of_type(resources, "AWS::ApiGateway::Stage").values()
    setting = stage["Properties"]["AccessLogSetting"]
    group = setting["DestinationArn"]["Fn::GetAtt"][0]
    assert resources[group]["Type"] == "AWS::Logs::LogGroup" and "RetentionInDays" in resources[group]["Properties"]
    fields = json.loads(setting["Format"])
    assert "$context.requestId" in fields.values()
    for personal in ("$context.identity", "$context.authorizer", "$context.path", "userAgent", "sourceIp", "claims"):
        assert not any(personal in value for value in fields.values()), personal
    # API Gateway writes access logs through the account's CloudWatch role, set before the API exists.
    assert resources["Api"]["DependsOn"] == "ApiGatewayAccount"


def test_the_capture_and_crm_workers_have_reserved_concurrency(resources):
    mappings = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    for function in ("CaptureWorkerFunction", "CrmDeliveryFunction"):
        reserved = resources[function]["Properties"].get("ReservedConcurrentExecutions")
        assert isinstance(reserved, int) and reserved >= 2, function
        (mapping,) = [m for m in mappings if m["Properties"]["FunctionName"] == {"Ref": function}]
        # above the reservation SQS batches would be throttled, and each throttle counts as a receive towards the DLQ
        assert mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"] <= reserved, function


# ---------------------------------------------------------------------------------------------------- KMS


def _key_policy(resources: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return list(_statements(resources[key]["Properties"]["KeyPolicy"]))


def _actions(statement: dict[str, Any]) -> set[str]:
    return {a.lower() for a in _listed(statement["Action"])}


def _function_roles(resources: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each function role's tags."""
    roles = {}
    for spec in _of_type(resources, "AWS::Lambda::Function").values():
        role = spec["Properties"]["Role"]["Fn::GetAtt"][0]
        roles[role] = {t["Key"]: t["Value"] for t in resources[role]["Properties"].get("Tags", [])}
    return roles


def _policy_actions(resources: dict[str, Any], role: str) -> set[str]:
    actions: set[str] = set()
    for policy in resources[role]["Properties"].get("Policies", []):
        for statement in _statements(policy["PolicyDocument"]):
            actions |= {a.lower() for a in _listed(statement["Action"])}
    return actions


def test_key_policies_separate_administration_from_use(resources):
    for key in _of_type(resources, "AWS::KMS::Key"):
        statements = _key_policy(resources, key)
        for statement in statements:
            assert not _actions(statement) & {"kms:*", "*"}, f"{key}: {statement.get('Sid')} grants kms:*"
        admin = next(s for s in statements if s.get("Sid") == "Administration")
        assert "kms:putkeypolicy" in _actions(admin) and "kms:schedulekeydeletion" in _actions(admin)
        assert not _actions(admin) & USE_ACTIONS, f"{key}: administrators can use the key"
        for statement in statements:
            if not _actions(statement) & USE_ACTIONS:
                continue
            condition = statement.get("Condition", {})
            by_tag = any(k.startswith("aws:PrincipalTag/leadcenter:") for k in condition.get("StringEquals", {}))
            via_dynamodb = "kms:ViaService" in condition.get("StringEquals", {})
            named_operator = statement["Principal"] == {"AWS": {"Ref": "OperatorRoleArn"}} and key == "QueueKey"
            assert by_tag or via_dynamodb or named_operator, f"{key}: {statement.get('Sid')} is not limited to the app"
            if statement["Principal"] in ("*", {"AWS": "*"}):
                assert via_dynamodb and "kms:CallerAccount" in condition["StringEquals"], key
            assert "kms:generatemac" not in _actions(statement) or key == "BlindIndexKey", key


def test_only_the_blind_index_functions_may_generate_macs(resources):
    (mac,) = [s for s in _key_policy(resources, "BlindIndexKey") if "kms:generatemac" in _actions(s)]
    assert _actions(mac) == {"kms:generatemac"}
    (tag,) = [k.split("/", 1)[1] for k in mac["Condition"]["StringEquals"] if k.startswith("aws:PrincipalTag/")]
    roles = _function_roles(resources)
    tagged = {role for role, tags in roles.items() if tag in tags}
    needing = {role for role in roles if "kms:generatemac" in _policy_actions(resources, role)}
    # the functions computing blind indexes: the capture worker (person and contact digests, erasure) and the leads
    # API (mark-as-lead); no other role carries the tag
    assert tagged == needing == {"LeadsFunctionRole", "CaptureWorkerFunctionRole"}


def test_every_function_role_carries_the_app_tag_the_key_policies_name(resources):
    for role, tags in _function_roles(resources).items():
        assert tags.get("leadcenter:app") == {"Ref": "AppName"}, role
    for key in ("LeadsKey", "QueueKey"):
        use = next(s for s in _key_policy(resources, key) if s.get("Sid") == "UseByTheAppFunctions")
        assert use["Condition"]["StringEquals"] == {"aws:PrincipalTag/leadcenter:app": {"Ref": "AppName"}}, key
