"""Reads template.yaml and creates what it declares, so tests and `make run` use the template itself.

Handles the parts of CloudFormation/SAM this project's template uses: parameters with defaults, the
StackRole condition (home resources once in the home region, regional ones in every storage region),
Ref/Sub/GetAtt for the resource types below, and the API events of every function (for routing).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"
NO_VALUE = object()  # !Ref AWS::NoValue: the property or list entry is left out


class _Loader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _intrinsic)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


@dataclass(frozen=True)
class ApiRoute:
    function: str
    method: str
    path: str
    authorized: bool


@dataclass
class Function:
    logical_id: str
    code_uri: str
    handler: str
    environment: dict[str, str] = field(default_factory=dict)
    queue: str | None = None
    schedule: str | None = None
    batch_size: int = 10
    # The SQS event source's ScalingConfig.MaximumConcurrency: how many invocations may run at once (None: no cap).
    max_concurrency: int | None = None
    # The SQS or stream event source's MaximumBatchingWindowInSeconds: how long a batch may gather before it is
    # handed over.
    batching_window: float = 0.0
    # A DynamoDB stream event source: the table's logical id (the function runs in every storage region that
    # has the table) and the event filter patterns, parsed.
    stream_table: str | None = None
    stream_filters: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Stack:
    """The template, resolved for one home region and its storage regions."""

    template: dict[str, Any]
    home_region: str
    parameters: dict[str, Any]
    physical: dict[str, dict[str, Any]] = field(default_factory=dict)  # region -> logical id -> physical id

    @classmethod
    def from_template(cls, home_region: str = "us-east-1", path: Path = TEMPLATE) -> Stack:
        template = load(path)
        parameters = {name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()}
        return cls(template, home_region, parameters)

    @property
    def storage_regions(self) -> list[str]:
        regions = self.parameters["StorageRegions"]
        return regions.split(",") if isinstance(regions, str) else list(regions)

    def resources(self, *, home: bool) -> dict[str, dict[str, Any]]:
        return {
            name: spec
            for name, spec in self.template["Resources"].items()
            if (spec.get("Condition") == "IsHome") == home
        }

    # ------------------------------------------------------------------------------------ intrinsics

    def resolve(self, value: Any, region: str) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg, region)
            if key == "Fn::Sub":
                template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return re.sub(
                    r"\$\{([^}]+)\}",
                    lambda m: str(variables.get(m.group(1)) or self._sub(m.group(1), region)),
                    template,
                )
            if key == "Fn::GetAtt":
                return self._get_att(arg[0], arg[1], region)
            if key == "Fn::Join":
                return arg[0].join(str(self.resolve(v, region)) for v in arg[1])
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0], region) else arg[2], region)
        if isinstance(value, dict):
            resolved = {k: self.resolve(v, region) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            return [v for v in (self.resolve(v, region) for v in value) if v is not NO_VALUE]
        return value

    def condition(self, name: str, region: str) -> bool:
        """A template condition, as the stack of `region` evaluates it (StackRole=home only in the home region)."""
        return bool(self._evaluate(self.template.get("Conditions", {})[name], region))

    def _evaluate(self, expression: Any, region: str) -> Any:
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, arg),) = expression.items()
            if key == "Fn::Equals":
                return self._evaluate(arg[0], region) == self._evaluate(arg[1], region)
            if key == "Fn::And":
                return all(self._evaluate(a, region) for a in arg)
            if key == "Fn::Or":
                return any(self._evaluate(a, region) for a in arg)
            if key == "Fn::Not":
                return not self._evaluate(arg[0], region)
            if key == "Condition":
                return self.condition(arg, region)
            if key == "Ref" and arg == "StackRole":
                return "home" if region == self.home_region else "regional"
        return self.resolve(expression, region)

    def _sub(self, name: str, region: str) -> Any:
        if "." in name:
            logical, attribute = name.split(".", 1)
            return self._get_att(logical, attribute, region)
        return self._ref(name, region)

    def _ref(self, name: str, region: str) -> Any:
        pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "leadcenter",
        }
        if name in pseudo:
            return pseudo[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        return self.physical.get(region, {}).get(name) or self.physical.get(self.home_region, {}).get(name, name)

    def _get_att(self, logical: str, attribute: str, region: str) -> Any:
        physical = self._ref(logical, region)
        kind = self.template["Resources"][logical]["Type"]
        if kind == "AWS::SQS::Queue":
            name = physical.rsplit("/", 1)[-1]
            return {"Arn": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{name}", "QueueName": name, "QueueUrl": physical}[
                attribute
            ]
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{physical}"
        return f"arn:aws:{kind.split('::')[1].lower()}:{region}:{ACCOUNT_ID}:{logical}/{physical}"

    # ------------------------------------------------------------------------------------ provisioning

    def provision(self, session: Any) -> None:
        """Creates every table, key, alias, queue and bucket: regional ones in each storage region."""
        for region in self.storage_regions:
            self._create_all(session, self.resources(home=False), region)
        self._create_all(session, self.resources(home=True), self.home_region)

    def _create_all(self, session: Any, resources: dict[str, dict[str, Any]], region: str) -> None:
        order = ["AWS::KMS::Key", "AWS::KMS::Alias", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket"]
        for kind in order:
            for logical, spec in resources.items():
                if spec["Type"] == kind:
                    properties = self.resolve(spec.get("Properties", {}), region)
                    physical = getattr(self, "_create_" + kind.split("::")[-1].lower())(
                        session, region, logical, properties
                    )
                    self.physical.setdefault(region, {})[logical] = physical

    def _create_key(self, session: Any, region: str, logical: str, p: dict[str, Any]) -> str:
        kms = session.client("kms", region_name=region)
        args = {
            "Description": p.get("Description", logical),
            "KeySpec": p.get("KeySpec", "SYMMETRIC_DEFAULT"),
            "KeyUsage": p.get("KeyUsage", "ENCRYPT_DECRYPT"),
        }
        return str(kms.create_key(**args)["KeyMetadata"]["KeyId"])

    def _create_alias(self, session: Any, region: str, logical: str, p: dict[str, Any]) -> str:
        session.client("kms", region_name=region).create_alias(AliasName=p["AliasName"], TargetKeyId=p["TargetKeyId"])
        return str(p["AliasName"])

    def _create_table(self, session: Any, region: str, logical: str, p: dict[str, Any]) -> str:
        ddb = session.client("dynamodb", region_name=region)
        args: dict[str, Any] = {
            "TableName": p["TableName"],
            "KeySchema": p["KeySchema"],
            "AttributeDefinitions": p["AttributeDefinitions"],
            "BillingMode": p.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if p.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = p["GlobalSecondaryIndexes"]
        if p.get("StreamSpecification"):
            args["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
        ddb.create_table(**args)
        ttl = p.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=p["TableName"], TimeToLiveSpecification=ttl)
        return str(p["TableName"])

    def _create_queue(self, session: Any, region: str, logical: str, p: dict[str, Any]) -> str:
        sqs = session.client("sqs", region_name=region)
        attributes: dict[str, str] = {}
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "KmsMasterKeyId", "DelaySeconds"):
            if key in p:
                attributes[key] = str(p[key])
        if "RedrivePolicy" in p:
            attributes["RedrivePolicy"] = json.dumps(p["RedrivePolicy"])
        name = p.get("QueueName") or f"leadcenter-{logical}"
        return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])

    def _create_bucket(self, session: Any, region: str, logical: str, p: dict[str, Any]) -> str:
        s3 = session.client("s3", region_name=region)
        name = p.get("BucketName") or f"leadcenter-{logical.lower()}"
        s3.create_bucket(Bucket=name) if region == "us-east-1" else s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": region}
        )
        rules = []
        for rule in p.get("LifecycleConfiguration", {}).get("Rules", []):
            api_rule: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": ""}}
            if "ExpirationInDays" in rule:
                api_rule["Expiration"] = {"Days": rule["ExpirationInDays"]}
            if "AbortIncompleteMultipartUpload" in rule:
                api_rule["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
            rules.append(api_rule)
        if rules:
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        if "BucketEncryption" in p:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"],
                            "BucketKeyEnabled": r.get("BucketKeyEnabled", False),
                        }
                        for r in p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                    ]
                },
            )
        return name

    # ------------------------------------------------------------------------------------ functions

    def functions(self) -> dict[str, Function]:
        """Every function of the home stack, including those every stack has (a stream consumer per region)."""
        globals_env = self.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        found = {}
        for logical, spec in self.template["Resources"].items():
            if spec["Type"] != "AWS::Serverless::Function":
                continue
            p = spec["Properties"]
            env = {**globals_env, **p.get("Environment", {}).get("Variables", {})}
            function = Function(
                logical,
                p["CodeUri"].rstrip("/"),
                p["Handler"],
                {k: str(self.resolve(v, self.home_region)) for k, v in env.items()},
            )
            for event in p.get("Events", {}).values():
                if event["Type"] == "SQS":
                    function.queue = self.resolve(event["Properties"]["Queue"], self.home_region)
                    function.batch_size = int(event["Properties"].get("BatchSize", 10))
                    function.batching_window = float(event["Properties"].get("MaximumBatchingWindowInSeconds", 0))
                    scaling = event["Properties"].get("ScalingConfig") or {}
                    if "MaximumConcurrency" in scaling:
                        function.max_concurrency = int(scaling["MaximumConcurrency"])
                elif event["Type"] == "Schedule":
                    function.schedule = event["Properties"]["Schedule"]
                elif event["Type"] == "DynamoDB":
                    _stream_source(function, event["Properties"])
            found[logical] = function
        return found

    def api_routes(self) -> list[ApiRoute]:
        routes = []
        default_auth = "CognitoAuthorizer"
        for logical, spec in self.resources(home=True).items():
            if spec["Type"] != "AWS::Serverless::Function":
                continue
            for event in spec["Properties"].get("Events", {}).values():
                if event["Type"] != "Api":
                    continue
                p = event["Properties"]
                authorizer = p.get("Auth", {}).get("Authorizer", default_auth)
                routes.append(ApiRoute(logical, p["Method"].upper(), p["Path"], authorizer != "NONE"))
        return routes

    def environment(self) -> dict[str, str]:
        """The variables every function gets (Globals), resolved against what provision() created."""
        variables = self.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        return {k: str(self.resolve(v, self.home_region)) for k, v in variables.items()}


def _stream_source(function: Function, properties: dict[str, Any]) -> None:
    """`Stream: !GetAtt <Table>.StreamArn` names the table; each region's own table feeds the function locally."""
    stream = properties["Stream"]
    if not (isinstance(stream, dict) and "Fn::GetAtt" in stream):
        raise ValueError(f"{function.logical_id}: a DynamoDB event's Stream must be !GetAtt <Table>.StreamArn")
    function.stream_table = stream["Fn::GetAtt"][0]
    function.batch_size = int(properties.get("BatchSize", 100))
    function.batching_window = float(properties.get("MaximumBatchingWindowInSeconds", 0))
    filters = properties.get("FilterCriteria", {}).get("Filters", [])
    function.stream_filters = [json.loads(f["Pattern"]) for f in filters]
