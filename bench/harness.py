"""What every benchmark shares: an in-process moto with the template's resources, and AWS call counting."""

from __future__ import annotations

import collections
import os
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "LEADCENTER_LOCAL": "true",
}


class CallCounter:
    """Counts AWS API calls by (service, operation) by wrapping botocore's one request entry point."""

    def __init__(self) -> None:
        self.calls: collections.Counter[tuple[str, str]] = collections.Counter()

    def count(self, service: str, operations: tuple[str, ...] = ()) -> int:
        return sum(n for (s, op), n in self.calls.items() if s == service and (not operations or op in operations))

    def reset(self) -> None:
        self.calls.clear()


@contextmanager
def counting() -> Iterator[CallCounter]:
    from botocore.client import BaseClient

    counter = CallCounter()
    original = BaseClient._make_api_call

    def wrapped(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        counter.calls[(self.meta.service_model.service_name, operation_name)] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = wrapped  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


@contextmanager
def moto_stack() -> Iterator[Any]:
    """moto in-process, every resource of template.yaml created, environment set as the functions get it."""
    os.environ.update(ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import boto3
    from moto import mock_aws

    from local import moto_patches
    from local.template import Stack

    moto_patches.install()
    with mock_aws():
        stack = Stack.from_template()
        stack.provision(boto3.session.Session())
        os.environ.update(stack.environment())
        from leadcenter import aws
        from leadcenter.config import reset_settings

        reset_settings()
        aws.reset()
        yield stack


def metric(value: float, unit: str, peer: float | None, note: str) -> dict[str, Any]:
    return {"value": round(value, 3), "unit": unit, "peer": None if peer is None else round(peer, 3), "note": note}


def median(values: list[float]) -> float:
    return float(statistics.median(values))
