"""Issue 2: the SAM template is valid, transforms, and every function it declares can be imported."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from samtranslator.translator.transform import transform

from local.template import ROOT, Stack, load


class _NoManagedPolicies:
    """The transform asks IAM for AWS managed policy ARNs; the template uses none by name."""

    def load(self) -> dict[str, str]:
        return {}


def test_cfn_lint_passes():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(ROOT / "template.yaml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def transformed() -> dict:
    template = load()
    # What `sam package` does first: local code folders become S3 objects.
    for spec in template["Resources"].values():
        properties = spec.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://leadcenter-artifacts/{properties[key].strip('/')}.zip"
    return transform(template, {"AWS::Region": "us-east-1"}, _NoManagedPolicies())


def test_sam_transform_gives_functions_with_explicit_routes(transformed):
    resources = transformed["Resources"]
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    assert functions
    for name, spec in functions.items():
        assert spec["Properties"]["Runtime"] == "python3.13", name
    body = next(v for v in resources.values() if v["Type"] == "AWS::ApiGateway::RestApi")["Properties"]["Body"]
    paths = body["paths"]
    assert "/{proxy+}" not in paths
    for path, methods in paths.items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or path in ("/openapi.json", "/webhooks/messages"):
                continue
            assert operation.get("security"), f"{method} {path} has no authorizer"


def test_every_handler_imports():
    for function in Stack.from_template().functions().values():
        module_name, attribute = function.handler.rsplit(".", 1)
        module = importlib.import_module(function.code_uri.replace("/", ".") + "." + module_name)
        assert callable(getattr(module, attribute)), function.logical_id
        assert (ROOT / function.code_uri / f"{module_name}.py").exists()


def test_regional_table_indexes_match_the_store_models():
    from leadcenter.store import lead_items

    declared = load()["Resources"]["LeadsTable"]["Properties"]["GlobalSecondaryIndexes"]
    in_template = {gsi["IndexName"]: tuple(k["AttributeName"] for k in gsi["KeySchema"]) for gsi in declared}
    model = lead_items.models("us-east-1").lead
    in_model = {}
    for index in model._indexes.values():
        hash_key = next(a.attr_name for a in index.Meta.attributes.values() if a.is_hash_key)
        range_key = next(a.attr_name for a in index.Meta.attributes.values() if a.is_range_key)
        in_model[index.Meta.index_name] = (hash_key, range_key)
    assert in_model == in_template


def test_tables_have_pitr_ttl_and_on_demand_except_the_key_table():
    for name, spec in load()["Resources"].items():
        if spec["Type"] != "AWS::DynamoDB::Table":
            continue
        p = spec["Properties"]
        assert p["BillingMode"] == "PAY_PER_REQUEST", name
        assert p["TimeToLiveSpecification"]["Enabled"] is True, name
        pitr = p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        assert pitr is (name != "LeadKeysTable"), name  # the key table stays out of backups: crypto-shredding


def test_every_queue_has_a_dead_letter_queue_and_kms():
    resources = load()["Resources"]
    for name, spec in resources.items():
        if spec["Type"] != "AWS::SQS::Queue":
            continue
        assert "KmsMasterKeyId" in spec["Properties"], name
        if "DeadLetter" not in name:
            assert "RedrivePolicy" in spec["Properties"], name


def test_every_function_has_a_log_group_with_retention():
    resources = load()["Resources"]
    for name, spec in resources.items():
        if spec["Type"] == "AWS::Serverless::Function":
            group = resources.get(f"{name}Logs")
            assert group and group["Type"] == "AWS::Logs::LogGroup" and "RetentionInDays" in group["Properties"], name


def test_code_paths_exist():
    for function in Stack.from_template().functions().values():
        assert Path(ROOT / function.code_uri).is_dir()


def test_the_api_and_the_detector_know_the_same_contact_kinds():
    from typing import get_args

    from leadcenter.contacts import KINDS
    from leadcenter.model import ContactKind

    assert set(get_args(ContactKind)) == set(KINDS)
