"""Does a function's role allow an action on a resource? An IAM evaluator over the SAM-transformed template.

The transform is what CloudFormation deploys: SAM policy templates (DynamoDBCrudPolicy, SQSSendMessagePolicy,
S3ReadPolicy, ...) and the event sources' policies are plain statements of the function's `AWS::IAM::Role` there.
Intrinsics resolve to the ARNs moto uses (account 123456789012, the physical names `Stack.provision` created).

Evaluated as IAM does for one identity policy set: an explicit Deny wins, else any Allow, else denied. Actions
and resources match with `*` and `?` wildcards (actions case-insensitively), `NotAction`/`NotResource` too.
Conditions allow, except `kms:ResourceAliases`, which is checked against the aliases the template gives the key
(a `key/*` statement narrowed by alias is how this template grants regional keys). AWS managed policies expand
from the short list below; an unknown one fails loudly.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from samtranslator.translator.transform import transform

from local.template import ACCOUNT_ID, NO_VALUE, Stack, load
from tests.helpers.aws_calls import Need, aliases_of

_LOGS = {
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "*",
}
MANAGED: dict[str, list[dict[str, Any]]] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [_LOGS],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": "*",
        },
        _LOGS,
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole": [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            "Resource": "*",
        },
        _LOGS,
    ],
}


class _NoManagedPolicies:
    """The transform asks IAM for AWS managed policy ARNs by name; the template uses none by name."""

    def load(self) -> dict[str, str]:
        return {}


def transformed_template(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """What `sam package` + the Serverless transform make of the template (code folders become S3 objects)."""
    template = copy.deepcopy(template if template is not None else load())
    for spec in template["Resources"].values():
        properties = spec.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://leadcenter-artifacts/{properties[key].strip('/')}.zip"
    result: dict[str, Any] = transform(template, {"AWS::Region": "us-east-1"}, _NoManagedPolicies())
    return result


class _ArnStack(Stack):
    """Stack's intrinsics, with ARNs as AWS forms them (keys, buckets, secrets, roles) and Fn::Sub variables."""

    def resolve(self, value: Any, region: str) -> Any:
        if isinstance(value, dict) and list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], list):
            text, variables = value["Fn::Sub"]
            resolved = {k: self.resolve(v, region) for k, v in variables.items()}
            return re.sub(
                r"\$\{([^}!]+)\}",
                lambda m: str(resolved[m.group(1)] if m.group(1) in resolved else self._sub(m.group(1), region)),
                text,
            )
        return super().resolve(value, region)

    def _get_att(self, logical: str, attribute: str, region: str) -> Any:
        kind = self.template["Resources"][logical]["Type"]
        physical = self._ref(logical, region)
        if kind == "AWS::KMS::Key" and attribute == "Arn":
            return f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{physical}"
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{physical}"
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return str(physical).rsplit("/", 1)[-1]
        return super()._get_att(logical, attribute, region)

    def _ref(self, name: str, region: str) -> Any:
        found = super()._ref(name, region)
        if found == name and self.template["Resources"].get(name, {}).get("Type") == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{name}"  # not provisioned locally
        return found


def _pattern(text: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{body}$", re.IGNORECASE if ignore_case else 0)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass
class Statement:
    effect: str
    actions: list[str]
    resources: list[str]
    not_action: bool
    not_resource: bool
    condition: dict[str, Any]
    source: str  # the policy it came from, for reports

    def _matches_action(self, action: str) -> bool:
        found = any(_pattern(a, ignore_case=True).match(action) for a in self.actions)
        return found != self.not_action

    def _matches_resource(self, resource: str) -> bool:
        found = any(_pattern(r).match(resource) for r in self.resources)
        return found != self.not_resource

    def _condition_holds(self, resource: str, aliases: Callable[[str], list[str]]) -> bool:
        for operator, tests in self.condition.items():
            for key, wanted in tests.items():
                if key.lower() != "kms:resourcealiases":
                    continue  # other conditions count as met
                have = aliases(resource) if ":key/" in resource else []
                patterns = [_pattern(w) for w in _listed(wanted)]
                matched = [any(p.match(a) for p in patterns) for a in have]
                if operator.startswith("ForAllValues:") and not all(matched):
                    return False
                if not operator.startswith("ForAllValues:") and not any(matched):
                    return False
        return True

    def applies(self, action: str, resource: str, aliases: Callable[[str], list[str]]) -> bool:
        return (
            self._matches_action(action)
            and self._matches_resource(resource)
            and self._condition_holds(resource, aliases)
        )


def _statements(document: dict[str, Any], source: str, stack: Stack, region: str) -> list[Statement]:
    resolved = stack.resolve(document, region)
    found = []
    for s in _listed(resolved.get("Statement", [])):
        if s is NO_VALUE:
            continue
        found.append(
            Statement(
                effect=s["Effect"],
                actions=[str(a) for a in _listed(s.get("Action", s.get("NotAction", [])))],
                resources=[str(r) for r in _listed(s.get("Resource", s.get("NotResource", [])))],
                not_action="NotAction" in s,
                not_resource="NotResource" in s,
                condition=s.get("Condition", {}),
                source=source,
            )
        )
    return found


@dataclass
class Role:
    function: str
    statements: list[Statement]
    aliases: Callable[[str], list[str]]

    def decide(self, action: str, resource: str) -> Statement | None:
        """The statement allowing the action on the resource; None when denied (no Allow, or a Deny)."""
        matching = [s for s in self.statements if s.applies(action, resource, self.aliases)]
        if any(s.effect == "Deny" for s in matching):
            return None
        return next((s for s in matching if s.effect == "Allow"), None)

    def allows(self, action: str, resource: str) -> bool:
        return self.decide(action, resource) is not None


class Roles:
    """Every function's role in a transformed template, resolved for the home stack of `stack`."""

    def __init__(self, transformed: dict[str, Any], stack: Stack) -> None:
        self.stack = _ArnStack(transformed, stack.home_region, dict(stack.parameters), stack.physical)
        self.original = stack
        self.roles: dict[str, Role] = {}
        resources = transformed["Resources"]
        for logical, spec in resources.items():
            if spec["Type"] != "AWS::Lambda::Function":
                continue
            role_ref = spec["Properties"]["Role"]
            role_logical = role_ref["Fn::GetAtt"][0]
            self.roles[logical] = self._role(logical, resources[role_logical]["Properties"], role_logical)

    def _role(self, function: str, properties: dict[str, Any], role_logical: str) -> Role:
        region = self.stack.home_region
        statements = []
        for policy in properties.get("Policies", []):
            name = f"{role_logical}/{policy['PolicyName']}"
            statements += _statements(policy["PolicyDocument"], name, self.stack, region)
        for arn in self.stack.resolve(properties.get("ManagedPolicyArns", []), region):
            if arn not in MANAGED:
                raise ValueError(f"{function}: managed policy {arn} unknown to tests/helpers/iam.py (add it)")
            statements += _statements({"Statement": MANAGED[arn]}, arn, self.stack, region)
        return Role(function, statements, functools.partial(aliases_of, self.original))

    def __getitem__(self, function: str) -> Role:
        return self.roles[function]

    def denied(self, needs: Iterable[Need]) -> list[Need]:
        """The needs whose function's role does not allow them (each distinct one once, in order)."""
        seen: set[tuple[str, str, str]] = set()
        found = []
        for need in needs:
            key = (need.call.function, need.action, need.resource)
            if key in seen:
                continue
            seen.add(key)
            role = self.roles.get(need.call.function)
            if role is None or not role.allows(need.action, need.resource):
                found.append(need)
        return found


def roles_of(stack: Stack, template: dict[str, Any] | None = None) -> Roles:
    return Roles(transformed_template(template), stack)
