"""Test harness: one moto per test process, every resource created from template.yaml itself.

Tests isolate by creating their own accounts (ids are unique), so they share the tables of the process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

# Credentials and region before anything imports boto3 or the layer.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "leadcenter",
        "POWERTOOLS_SERVICE_NAME": "leadcenter",
        "POWERTOOLS_DEV": "false",
        "LEADCENTER_LOCAL": "true",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from local.gateway import Gateway, Reply  # noqa: E402
from local.template import Stack  # noqa: E402

_mock = mock_aws()
_mock.start()
STACK = Stack.from_template()
STACK.provision(boto3.session.Session())
os.environ.update(STACK.environment())

from leadcenter.config import reset_settings  # noqa: E402

reset_settings()


class Api:
    """Drives the API as a client would: JSON over the template's routes, bearer identity by user id."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def call(self, method: str, path: str, user: str | None = "alice", *, json_body: Any = None, query: str = "",
             headers: dict[str, str] | None = None, raw: str | bytes | None = None) -> Reply:  # fmt: skip
        body = raw if raw is not None else (json.dumps(json_body) if json_body is not None else None)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return self.gateway.invoke(method, path, query=query, headers=all_headers, body=body, subject=user)

    def ok(self, method: str, path: str, user: str = "alice", expect: int = 200, **kwargs: Any) -> Any:
        reply = self.call(method, path, user, **kwargs)
        assert reply.status == expect, f"{method} {path} -> {reply.status}: {reply.body}"
        return reply.json()

    def account(self, user: str = "alice", type_: str = "ad_account", country: str = "SG") -> str:
        return str(self.ok("POST", "/accounts", user, expect=201, json_body={"name": "Acme", "type": type_,
                                                                              "country": country})["id"])  # fmt: skip

    def lead(self, account_id: str, user: str = "alice", **fields: Any) -> dict[str, Any]:
        body = {"region": "SG", "contact": {"name": "Siti Rahma", "email": "siti@example.com", "phone": "+6591234567"}}
        body.update(fields)
        return dict(self.ok("POST", f"/accounts/{account_id}/leads", user, expect=201, json_body=body))


@pytest.fixture(scope="session")
def stack() -> Stack:
    return STACK


@pytest.fixture(scope="session")
def gateway() -> Gateway:
    return Gateway(STACK)


@pytest.fixture
def api(gateway: Gateway) -> Iterator[Api]:
    yield Api(gateway)


@pytest.fixture
def aws() -> boto3.session.Session:
    return boto3.session.Session(region_name="us-east-1")
