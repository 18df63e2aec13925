"""Opaque list cursors: a JSON payload signed with the cursor secret, so a client can pass one back but not
forge or alter it.

A cursor is bound, inside the signed payload, to the list it was made for (`leads`, `conversation_events`,
`deliveries`), the account it was listed in and the query (filters, conversation, endpoint): passing it to
another account or another query is a 400, never a page of something else.

The secret comes from Secrets Manager (`CURSOR_SECRET_ARN`, read through Powertools parameters, cached 5
minutes) and fails closed: deployed without a readable secret, a list that pages answers 503 rather than
sign with a default anyone can read in this repository. The local runner uses `CURSOR_SECRET` (default
`local-cursor-secret`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from leadcenter.config import DEFAULT_CURSOR_SECRET, settings
from leadcenter.errors import BadRequest, DomainError
from leadcenter.observability import logger

_SIGNATURE_BYTES = 12
_MIN_SECRET_CHARS = 32
SECRET_MAX_AGE_SECONDS = 300


class CursorSecretUnavailable(DomainError):
    """The deployment has no usable cursor secret: lists that page are refused until it has one."""

    status, code = 503, "service_unavailable"


def _unavailable(reason: str) -> CursorSecretUnavailable:
    logger.error("cursor secret unavailable; lists that page are refused", extra={"reason": reason})
    return CursorSecretUnavailable("listing is unavailable: the server cannot read its cursor key; try again later")


def cursor_secret() -> bytes:
    """The key cursors are signed with. Deployed, only a secret from Secrets Manager (or one set explicitly)."""
    config = settings()
    arn = config.cursor_secret_arn
    if arn.startswith("arn:") and not config.local_mode:
        from aws_lambda_powertools.utilities import parameters

        try:
            value = parameters.get_secret(arn, max_age=SECRET_MAX_AGE_SECONDS)
        except Exception as exc:  # any failure to read it means: refuse, never fall back
            raise _unavailable(type(exc).__name__) from None
        if not isinstance(value, str) or len(value) < _MIN_SECRET_CHARS:
            raise _unavailable("secret too short")
        return value.encode()
    if not config.local_mode:
        explicit = "cursor_secret" in config.model_fields_set
        if not explicit or config.cursor_secret == DEFAULT_CURSOR_SECRET or len(config.cursor_secret) < 16:
            raise _unavailable("no CURSOR_SECRET_ARN")
    return config.cursor_secret.encode()


def _sign(secret: bytes, raw: bytes) -> bytes:
    return hmac.new(secret, raw, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


class Cursors:
    """The cursors of one list, as one account asked for it with one query.

    Made before the list is read, so a missing secret refuses the request whether or not it would page.
    """

    def __init__(self, list_name: str, account_id: str, query: str) -> None:
        self._secret = cursor_secret()
        self._list, self._account, self._query = list_name, account_id, query

    def issue(self, key: str | None) -> str | None:
        """The cursor that continues after `key` (None at the end of the list)."""
        if key is None:
            return None
        payload = {"l": self._list, "a": self._account, "q": self._query, "k": key}
        raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw + _sign(self._secret, raw)).decode().rstrip("=")

    def after(self, cursor: str | None) -> str | None:
        """The key a cursor continues after; a forged, altered or foreign cursor is a 400."""
        if not cursor:
            return None
        payload = self._open(cursor)
        if payload.get("l") != self._list:
            raise BadRequest("this cursor belongs to another list; start again without a cursor")
        if payload.get("a") != self._account:
            raise BadRequest("this cursor belongs to another account; start again without a cursor")
        if payload.get("q") != self._query:
            raise BadRequest(
                "this cursor was made for another query; send the same filters again, or start without a cursor"
            )
        return str(payload["k"])

    def _open(self, cursor: str) -> dict[str, Any]:
        try:
            blob = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            raw, signature = blob[:-_SIGNATURE_BYTES], blob[-_SIGNATURE_BYTES:]
            if not raw or not hmac.compare_digest(signature, _sign(self._secret, raw)):
                raise ValueError("signature")
            payload = json.loads(raw)
            if not isinstance(payload, dict) or not isinstance(payload.get("k"), str):
                raise ValueError("shape")
            return payload
        except (ValueError, TypeError) as exc:
            raise BadRequest("invalid cursor: pass back next_cursor exactly as it was returned") from exc
