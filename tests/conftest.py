"""Test harness: one moto per test process, every resource created from template.yaml itself.

Tests isolate by creating their own accounts (ids are unique), so they share the tables of the process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

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

import boto3
import pytest
from moto import mock_aws

from local import moto_patches
from local.gateway import Gateway
from local.template import Stack
from tests.helpers import aws_calls

moto_patches.install()
aws_calls.install()  # before any client exists: records the AWS calls of functions (tests/test_iam_coverage.py)
_mock = mock_aws()
_mock.start()
STACK = Stack.from_template()
STACK.provision(boto3.session.Session())
os.environ.update(STACK.environment())

from leadcenter import clock  # noqa: E402
from leadcenter.config import reset_settings  # noqa: E402
from tests.helpers.crm import Pipeline, Receiver  # noqa: E402
from tests.support import Api  # noqa: E402

reset_settings()


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


# The CRM pipeline (stream -> queue -> delivery worker) and a receiving CRM endpoint, for the CRM test modules.
@pytest.fixture
def pipeline(stack: Stack) -> Iterator[Pipeline]:
    pipe = Pipeline(stack)
    pipe.purge()
    yield pipe
    pipe.purge()
    clock.reset()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _clock_back_to_now() -> Iterator[None]:
    """A test that moves the local clock never leaves it moved for the next test in the same worker."""
    yield
    clock.reset()


@pytest.fixture
def empty_capture_queue() -> Iterator[None]:
    """The capture queue empty before and after the test (capture tests drain it and count what is left)."""
    from tests.helpers.capture import purge

    purge()
    yield
    purge()
