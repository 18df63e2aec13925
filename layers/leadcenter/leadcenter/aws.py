"""boto3 clients, one per (service, region), created on first use.

boto3 is imported lazily: a function that never touches a service does not pay for its client at cold start.
Endpoints follow AWS_ENDPOINT_URL, so the same code talks to AWS, the local moto server, or moto in tests.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.Lock()


@functools.cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


def client(service: str, region: str) -> Any:
    with _lock:  # botocore sessions are not safe to create clients from concurrently
        return _client(service, region)


@functools.cache
def _client(service: str, region: str) -> Any:
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=5,
        read_timeout=10,
        # Presigned URLs of SSE-KMS objects (the exports) must be signed with SigV4.
        signature_version="s3v4" if service == "s3" else None,
    )
    return _session().client(service, region_name=region, config=config)


def reset() -> None:
    """Forget clients (tests start a fresh moto for each case)."""
    _client.cache_clear()
    _session.cache_clear()
