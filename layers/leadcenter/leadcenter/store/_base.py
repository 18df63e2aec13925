"""What every data-access module shares: table Meta classes and ClientError translation."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import botocore.session
from pynamodb.connection import Connection
from pynamodb.connection import base as _pynamodb_connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.models import MetaProtocol
from pynamodb.transactions import TransactGet, TransactWrite

from leadcenter.errors import Conflict, Throttled

_per_thread = threading.local()


def _shared_session() -> botocore.session.Session:
    """pynamodb opens a botocore session per model class, and each session loads botocore's endpoint and
    DynamoDB model files again (~8 MB each; an export touching a dozen model classes peaked ~80 MB higher).
    One session per thread, because creating clients is not thread-safe; every one of them reads the model files
    through the loader of `leadcenter.aws`'s session, so each file is loaded (and held) once per process."""
    session = getattr(_per_thread, "session", None)
    if session is None:
        from leadcenter import aws

        session = _per_thread.session = botocore.session.get_session()
        session.register_component("data_loader", aws.data_loader())
    return session


_pynamodb_connection.get_session = _shared_session  # type: ignore[assignment]


def table_meta(table_name: str, region: str) -> MetaProtocol:
    meta = type(
        "Meta",
        (),
        {
            "table_name": table_name,
            "region": region,
            "host": os.environ.get("AWS_ENDPOINT_URL") or None,
            "max_retry_attempts": 4,
            "connect_timeout_seconds": 5,
            "read_timeout_seconds": 10,
        },
    )
    return cast(MetaProtocol, meta)


@functools.cache
def connection(region: str) -> Connection:
    return Connection(region=region, host=os.environ.get("AWS_ENDPOINT_URL") or None, max_retry_attempts=4)


def transact_write(region: str) -> TransactWrite:
    """One TransactWriteItems request; items may span the tables of one region."""
    return TransactWrite(connection=connection(region))


def transact_get(region: str) -> TransactGet:
    return TransactGet(connection=connection(region))


def _code(exc: Exception) -> str:
    cause: Any = getattr(exc, "cause", None)
    response = getattr(cause, "response", None) or {}
    return str(response.get("Error", {}).get("Code", getattr(exc, "cause_response_code", "") or ""))


# The order pynamodb sends a transaction's items in, whatever order they were added in; cancellation reasons come
# back in the same order (tests/test_store_transactions.py pins it).
TRANSACTION_ORDER = ("ConditionCheck", "Delete", "Put", "Update")


def cancellation_reasons(exc: TransactWriteError) -> list[str | None]:
    """Why each item of a cancelled transaction failed (`ConditionalCheckFailed`, `TransactionConflict`, ...;
    None where it did not), in TRANSACTION_ORDER."""
    return [(reason.code or None) if reason else None for reason in (exc.cancellation_reasons or [])]


@contextmanager
def translate_write_errors(conflict_message: str, **details: Any) -> Iterator[None]:
    """Turns a failed condition into Conflict and throttling into Throttled; anything else propagates."""
    try:
        yield
    except (PutError, UpdateError, TransactWriteError) as exc:
        code = _code(exc)
        reasons = cancellation_reasons(exc) if isinstance(exc, TransactWriteError) else []
        if "ConditionalCheckFailed" in code or "ConditionalCheckFailed" in reasons:
            raise Conflict(conflict_message, **details) from exc
        if "Throttl" in code or "ProvisionedThroughputExceeded" in code or "TransactionConflict" in reasons:
            raise Throttled("the store is busy; retry the request", retry_after_seconds=1) from exc
        raise
