"""AWS clients, one per (service, region), created on first use.

botocore is imported lazily: a function that never touches a service does not pay for its client at cold start.
The clients are botocore's, not boto3's: boto3 adds nothing we call to a client, and importing it costs ~30 ms
(it imports s3transfer) of the first request that needs a client (bench first_request_ms_*).
Endpoints follow AWS_ENDPOINT_URL, so the same code talks to AWS, the local moto server, or moto in tests.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.Lock()


@functools.cache
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


def data_loader() -> Any:
    """The loader of botocore's model files that every session of the process shares (store._base): a file is
    read and parsed once, not once per session. Its cache is a plain dict: two threads loading the same file at
    once both parse it, and one result stays."""
    return _session().get_component("data_loader")


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
    return _session().create_client(service, region_name=region, config=config)


def reset() -> None:
    """Forget clients (tests start a fresh moto for each case)."""
    _client.cache_clear()
    _session.cache_clear()
