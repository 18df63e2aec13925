"""Opaque list cursors: a JSON payload signed with the cursor secret, so a client can pass one back but not
forge or alter it. Each list checks the payload is one it made for the same query."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from leadcenter.config import settings
from leadcenter.errors import BadRequest


def encode_cursor(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    signature = hmac.new(settings().cursor_secret.encode(), raw, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(raw + signature).decode().rstrip("=")


def decode_cursor(cursor: str, check: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """An opaque, signed cursor. Anything forged, truncated or made for another query is a 400."""
    try:
        blob = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        raw, signature = blob[:-12], blob[-12:]
        expected = hmac.new(settings().cursor_secret.encode(), raw, hashlib.sha256).digest()[:12]
        if not hmac.compare_digest(signature, expected):
            raise ValueError("signature")
        payload = json.loads(raw)
        if not isinstance(payload, dict) or (check is not None and not check(payload)):
            raise ValueError("shape")
        return payload
    except (ValueError, TypeError) as exc:
        raise BadRequest("invalid cursor: pass back next_cursor exactly as it was returned") from exc
