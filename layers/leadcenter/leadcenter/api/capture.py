"""POST /webhooks/messages: the messaging platform's signed events, verified, queued, acknowledged (202).

The signature covers the raw body, so `resolve` checks it before the resolver (which parses JSON bodies
before routing) sees the request; a bad signature is a 401 whatever the body holds. The route checks it
again, so the router stays safe in an app that forgets the guard. Nothing is processed here: the event
goes onto the capture queue as received and the worker does the rest, once per event_id.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from leadcenter import clock, webhook_signature
from leadcenter.api.capture_schemas import WebhookAccepted
from leadcenter.api.security import SIGNED_ROUTE
from leadcenter.capture_settings import MissingWebhookSecret, webhook_secret
from leadcenter.domain import intake as domain
from leadcenter.errors import BadRequest, DomainError
from leadcenter.http import error_response
from leadcenter.observability import logger
from leadcenter.platform_events import PlatformEventTypes

router = Router()
TAG = "capture"
WEBHOOK_PATH = "/webhooks/messages"
# A union discriminated on `type`: each type's part (`message`, `form`, `touch`) is required for that type.
PlatformEventBody = Annotated[PlatformEventTypes, Body(discriminator="type", title="PlatformEvent")]


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    wanted = name.lower()
    for key, value in (headers or {}).items():
        if key.lower() == wanted:
            return str(value) if value is not None else None
    return None


def _raw_body(event: Mapping[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return b""  # cannot be what was signed; the signature check fails on it
    # surrogateescape gives back bytes that were not UTF-8 exactly as they arrived.
    return str(body).encode("utf-8", "surrogateescape")


def check_signature(event: Mapping[str, Any]) -> bytes:
    """The raw body, once its X-Signature is verified; InvalidSignature (401) otherwise."""
    raw = _raw_body(event)
    header = _header(event.get("headers"), webhook_signature.HEADER)
    webhook_signature.verify(header, raw, webhook_secret(), clock.epoch())
    return raw


def resolve(app: APIGatewayRestResolver, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`app.resolve`, with webhook signatures checked first, before anything parses the body."""
    if event.get("resource") == WEBHOOK_PATH and event.get("httpMethod") == "POST":
        try:
            check_signature(event)
        except DomainError as exc:
            logger.info("webhook rejected", extra={"code": exc.code, "reason": exc.message})
            response = error_response(exc.status, exc.code, exc.message)
        except MissingWebhookSecret:
            logger.error("no webhook secret is configured; every event is refused")
            response = error_response(500, "internal", "internal error; the event was not accepted")
        else:
            return app.resolve(event, context)
        return {
            "statusCode": response.status_code,
            "headers": {"Content-Type": "application/json"},
            "body": response.body,
            "isBase64Encoded": False,
        }
    return app.resolve(event, context)


@router.post(
    WEBHOOK_PATH,
    operation_id="receivePlatformEvent",
    tags=[TAG],
    summary="Messaging platform events (signed with X-Signature); 202 once queued, also for a repeat",
    status_code=202,
    security=SIGNED_ROUTE,
    responses={202: {"description": "queued"}, 401: {"description": "missing, malformed, stale or wrong signature"}},
)
def receive_platform_event(body: PlatformEventBody) -> tuple[WebhookAccepted, int]:
    raw = check_signature(router.current_event.raw_event)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8") from None
    domain.accept(text, body)
    return WebhookAccepted(event_id=body.event_id), 202
