"""Idempotency for the SQS workers whose steps must run once (`leadcenter.sqs_worker.sqs_handler(...,
idempotency=...)`): Powertools idempotency, recorded in the idempotency table.

Its own module so that a worker without idempotent steps does not import it (nor boto3, which Powertools' DynamoDB
persistence imports) at cold start.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.shared import user_agent
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

from leadcenter import aws
from leadcenter.config import settings


def idempotency_for(
    key_jmespath: str, expires_after_seconds: int
) -> tuple[IdempotencyConfig, DynamoDBPersistenceLayer]:
    """Idempotency keyed on a field of each message, recorded in the idempotency table; a message without the key
    is an error rather than processed unguarded."""
    config = IdempotencyConfig(
        event_key_jmespath=key_jmespath,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )
    return config, _LazyDynamoDBPersistenceLayer(table_name=settings().idempotency_table)


class _NoClientYet:
    """Stands in for the client while Powertools sets the persistence layer up (no `meta`: nothing to register)."""


class _LazyDynamoDBPersistenceLayer(DynamoDBPersistenceLayer):
    """Powertools' DynamoDB persistence, with its client made on the first record rather than at cold start (~50 ms
    of INIT, bench cold_init_ms_*), and made by `leadcenter.aws` like every other client of ours."""

    _client: Any

    def __init__(self, table_name: str) -> None:
        super().__init__(table_name=table_name, boto3_client=_NoClientYet())  # type: ignore[arg-type]

    @property
    def client(self) -> Any:
        if isinstance(self._client, _NoClientYet) and hasattr(self, "_deserializer"):  # set up: make it now
            self._client = aws.client("dynamodb", settings().home_region)
            user_agent.register_feature_to_client(client=self._client, feature="idempotency")
        return self._client

    @client.setter
    def client(self, value: Any) -> None:
        self._client = value
