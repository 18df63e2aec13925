"""`make test-lead`: sends one signed `message.received` event to a running `make run`, as the messaging
platform would, and prints the answer.

    python -m local.send_test_event [--url http://127.0.0.1:3000] [--text "..."] [--account ID] [--region ID]

Signature (CONTRACT.md): header `X-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
with secret $WEBHOOK_SECRET (default `local-webhook-secret`, the runner's default too).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

DEFAULT_TEXT = "Hi! I'm interested in the promo. WhatsApp me at +62 812-3456-7890 or email budi.santoso@example.com"
DEFAULT_SECRET = "local-webhook-secret"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},s={digest}"


def app_now(base_url: str) -> float:
    """The runner's app clock, which /_local/clock may have moved ahead: a signature far from the app's
    "now" would be refused as stale. Falls back to this machine's clock if the runner does not say."""
    try:
        with urllib.request.urlopen(f"{base_url}/_local/clock", timeout=5) as response:  # noqa: S310 - local URL
            return float(json.load(response)["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return time.time()


def build_event(text: str, account: str | None, region: str, now: float) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:12]
    event: dict[str, Any] = {
        "event_id": f"evt-{uuid.uuid4()}",
        "type": "message.received",
        "occurred_at": datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "conversation_id": f"conv-{suffix}",
        "user": {"id": f"user-{suffix}", "display_name": "Budi Santoso", "region": region},
        "message": {"id": f"msg-{suffix}", "text": text},
    }
    if account:
        event["account_id"] = account
    return event


def send(url: str, body: bytes, signed: str) -> tuple[int, str]:
    headers = {"Content-Type": "application/json", "X-Signature": signed}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - local URL
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local URL
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")


def main(argv: list[str] | None = None) -> int:
    default_url = f"http://127.0.0.1:{os.environ.get('PORT') or 3000}"
    parser = argparse.ArgumentParser(prog="python -m local.send_test_event", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=default_url, help=f"the runner's base URL (default {default_url})")
    parser.add_argument("--text", default=DEFAULT_TEXT, help="the message text")
    parser.add_argument("--account", default=None, help="account_id the event is for")
    parser.add_argument("--region", default="ID", help="the sender's registration country (ISO alpha-2)")
    args = parser.parse_args(argv)

    base_url = args.url.rstrip("/")
    now = app_now(base_url)
    body = json.dumps(build_event(args.text, args.account, args.region.upper(), now)).encode("utf-8")
    secret = os.environ.get("WEBHOOK_SECRET") or DEFAULT_SECRET
    try:
        status, answer = send(f"{base_url}/webhooks/messages", body, signature(secret, int(now), body))
    except OSError as exc:
        print(f"could not reach {base_url} ({exc}); is `make run` running?", file=sys.stderr)
        return 2
    print(f"sent: {body.decode('utf-8')}")
    print(f"answer: {status} {answer}")
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
