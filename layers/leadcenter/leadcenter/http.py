"""HTTP glue shared by every API function: the resolver, error mapping, the caller's identity."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from leadcenter.config import settings
from leadcenter.errors import BadRequest, DomainError, PayloadTooLarge, Unauthorized
from leadcenter.observability import logger


def error_response(status: int, code: str, message: str, **details: Any) -> Response[Any]:
    headers = {"Retry-After": str(details["retry_after_seconds"])} if "retry_after_seconds" in details else None
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": {"code": code, "message": message, **details}}),
        headers=headers,
    )


CURSOR_MESSAGE = "invalid cursor: pass back next_cursor exactly as it was returned"


def _describe(errors: Any) -> tuple[int, str, list[dict[str, Any]]]:
    """Pydantic errors as short, data-free descriptions (never echo the input: it may hold personal data)."""
    problems = []
    status = 422
    for error in errors:
        kind = error.get("type", "invalid")
        location = [str(part) for part in error.get("loc", ()) if part != "body" or len(error.get("loc", ())) == 1]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            # A body discriminated on a field (bulk `action`): name that field rather than the body. Below it,
            # an error's location starts with the tag it chose (`set_status.value`).
            discriminator = str((error.get("ctx") or {}).get("discriminator", "")).strip("'")
            location = [part for part in location if part != "body"] + ([discriminator] if discriminator else [])
        if kind in ("json_invalid", "model_attributes_type") and tuple(error.get("loc", ())) in (("body",), ()):
            status = 400
        if kind == "string_pattern_mismatch" and tuple(error.get("loc", ())) == ("query", "cursor"):
            # The document states the cursor's alphabet; a cursor outside it is still a bad cursor (400).
            return 400, CURSOR_MESSAGE, [{"field": "query.cursor", "problem": kind, "detail": CURSOR_MESSAGE}]
        problems.append({"field": ".".join(location), "problem": kind, "detail": _message(error)})
    first = problems[0] if problems else {"field": "", "problem": "invalid"}
    message = f"{first['field'] or 'request'}: {first['detail'] or first['problem']}"
    return status, message, problems


def _message(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    if error.get("type") in ("union_tag_invalid", "union_tag_not_found") and "expected_tags" in ctx:
        return f"must be one of {ctx['expected_tags']}"[:200]  # the tags are ours, not the caller's input
    message = str(error.get("msg", ""))
    return message.split(",")[0][:200]


class Resolver(APIGatewayRestResolver):
    """Checks the raw body before routing: Powertools' request validation runs before any middleware."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        try:
            _check_body(event)
        except DomainError as exc:
            response = error_response(exc.status, exc.code, exc.message)
            return {
                "statusCode": response.status_code,
                "headers": {"Content-Type": "application/json"},
                "body": response.body,
                "isBase64Encoded": False,
            }
        return super().resolve(event, context)

    def _convert_matches_into_route_keys(self, match: re.Match[str]) -> dict[str, str]:
        """Path parameters as API Gateway's `pathParameters` hold them, URL-decoded: the REST API event's `path`,
        which Powertools routes on, keeps the client's percent-encoding (`a%2Bb` is the id `a+b`)."""
        return {name: unquote(value) for name, value in match.groupdict().items()}


def build_resolver() -> APIGatewayRestResolver:
    app = Resolver(enable_validation=True)

    @app.exception_handler(DomainError)
    def domain_error(exc: DomainError) -> Response[Any]:
        if exc.status >= 500:
            logger.error("domain error", extra={"code": exc.code})
        return error_response(exc.status, exc.code, exc.message, **exc.details)

    @app.exception_handler(RequestValidationError)
    def invalid_request(exc: RequestValidationError) -> Response[Any]:
        status, message, problems = _describe(exc.errors())
        return error_response(
            status,
            "validation_failed" if status == 422 else "bad_request" if message == CURSOR_MESSAGE else "invalid_json",
            message,
            problems=problems,
        )

    @app.not_found
    def not_found(_: NotFoundError) -> Response[Any]:
        return error_response(404, "not_found", "no such route")

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response[Any]:
        # No stack trace or message in the response: either could carry personal data.
        logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return error_response(500, "internal", "internal error; the request was not applied")

    return app


# Routes whose body may exceed MAX_BODY_BYTES: a bulk job names up to 10,000 lead ids (about 330 KB).
LARGE_BODY_ROUTES: dict[tuple[str, str], int] = {("POST", "/accounts/{account_id}/leads/bulk"): 1024 * 1024}
# No body of ours nests deeper than a few levels; refusing deeper ones up front keeps the JSON parser (recursive
# in C and in Pydantic) from running out of stack on a crafted body, which would otherwise end in a 502.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in `text` (brackets inside strings do not count); linear, no recursion.

    On malformed JSON (an unterminated string) it may count too deep; such a body is refused either way."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def _body_bytes(event: Mapping[str, Any], limit: int) -> bytes:
    """The body as the client sent it: UTF-8 bytes, or the decoded bytes when API Gateway base64-encoded it.

    The size limit counts these bytes, not characters: 256 KiB of Thai text is 768 KiB on the wire."""
    body = str(event.get("body") or "")
    if event.get("isBase64Encoded"):
        if len(body) > (limit + 2) // 3 * 4:  # longer than any encoding of `limit` bytes: no need to decode
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("the body is not valid base64") from None
    else:
        if len(body) > limit:  # every character is at least one byte
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        try:
            raw = body.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raise BadRequest("the body is not UTF-8") from None
    if len(raw) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    return raw


def _check_body(event: Mapping[str, Any]) -> None:
    route = (str(event.get("httpMethod")), str(event.get("resource")))
    raw = _body_bytes(event, LARGE_BODY_ROUTES.get(route, settings().max_body_bytes))
    if raw and event.get("httpMethod") in ("POST", "PUT", "PATCH"):
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        content_type = headers.get("content-type")
        if content_type and "json" not in content_type.lower():
            raise BadRequest("the body must be JSON (Content-Type: application/json)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("the body is not UTF-8") from None
        if json_depth(text) > MAX_JSON_DEPTH:
            raise BadRequest(f"the body nests arrays and objects more than {MAX_JSON_DEPTH} levels deep")
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise BadRequest("the body is not valid JSON") from exc
        if not isinstance(parsed, dict):
            raise BadRequest("the body must be a JSON object")


def caller_id(app: Router | APIGatewayRestResolver) -> str:
    """The caller, as the API Gateway Cognito authorizer established it; never from body or header.

    Takes the resolver or any of its routers (whose current event is the resolver's)."""
    event = app.current_event
    if not isinstance(event, APIGatewayProxyEvent):  # not a REST API event: no Cognito authorizer behind it
        raise Unauthorized("sign in first")
    claims = (event.request_context.authorizer.claims or {}) if event.request_context else {}
    subject = claims.get("sub") if isinstance(claims, dict) else None
    if not subject:
        raise Unauthorized("sign in first")
    return str(subject)


# A version as If-Match names it: `7`, `"7"` or `W/"7"` (ASCII digits; the document states this pattern).
IF_MATCH_PATTERN = r'^(?:W/)?"?[0-9]{1,18}"?$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def if_match_version(if_match: str | None, what: str) -> int | None:
    """The version an `If-Match` header names (IF_MATCH_PATTERN); None when absent; anything else is a 400."""
    if if_match is None:
        return None
    value = if_match.strip()
    if not _IF_MATCH.match(value):
        raise BadRequest(f"If-Match must be the {what}'s version number")
    return int(value.removeprefix("W/").strip('"'))
