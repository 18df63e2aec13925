"""GET /openapi.json: one document for every API route, whichever function serves it."""

from __future__ import annotations

import functools
import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer, SecurityScheme, Tag

from leadcenter import webhook_signature
from leadcenter.http import IF_MATCH_PATTERN

router = Router()

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "additionalProperties": True,
        }
    },
}
ERRORS = {
    "400": "Bad request: invalid JSON (or nested over 64 levels), body, or cursor (altered, or made for another "
    "account, list or query)",
    "401": "Not signed in (or, for the webhook, a bad signature)",
    "403": "Your role or scopes do not allow this on this account",
    "404": "No such account (or you are not a member), lead or resource",
    "409": "Conflict: a stale If-Match version or a concurrent change",
    "413": "The body is too large",
    "422": "Validation failed",
    "429": "Throttled; retry after Retry-After seconds",
}
# Every route but the messaging webhook sits behind the Cognito user-pool authorizer (template.yaml); the
# webhook carries the platform's HMAC signature instead (capture.py declares it with `security=`).
BEARER = "cognitoBearer"
SIGNATURE = "messageSignature"
SECURITY_SCHEMES: dict[str, SecurityScheme] = {
    BEARER: HTTPBearer(
        bearerFormat="JWT",
        description="A Cognito user-pool ID token: `Authorization: Bearer <JWT>`. The caller is the token's `sub` "
        'claim. Locally, `POST /_local/token {"sub": "alice"}` returns a token the runner accepts.',
    ),
    SIGNATURE: APIKey.model_validate(
        {
            "in": APIKeyIn.header,
            "name": webhook_signature.HEADER,
            "description": f"The messaging platform's signature of the raw body: `{webhook_signature.HEADER}: "
            't=<unix seconds>,s=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, with the shared webhook secret. '
            f"`t` must be within {webhook_signature.TOLERANCE_SECONDS} seconds of the server's clock; several "
            "`s=` entries may be sent (secret rotation) and one match is enough. Anything else is a 401.",
        }
    ),
}
SIGNED_ROUTE: list[dict[str, list[str]]] = [{SIGNATURE: []}]
# The platform's auto-capture review service calls POST /review/auto-capture/{a} with IAM (template.yaml:
# `Authorizer: AWS_IAM`), not a user's token.
IAM = "awsSigV4"
SECURITY_SCHEMES[IAM] = APIKey.model_validate(
    {
        "in": APIKeyIn.header,
        "name": "Authorization",
        "description": "AWS Signature Version 4 with IAM credentials (API Gateway `AWS_IAM` authorization): the "
        "platform's review service only. The local runner, which has no IAM, takes a local bearer token here.",
        "openapi_extensions": {"x-amazon-apigateway-authtype": "awsSigv4"},
    }
)
IAM_ROUTE: list[dict[str, list[str]]] = [{IAM: []}]

# One tag per domain; every operation carries exactly one (tests/test_openapi_document.py).
TAGS: dict[str, str] = {
    "accounts": "Accounts and their members",
    "leads": "Leads: list, read, change, delete, timeline, summary",
    "labels": "Label settings",
    "notes": "Notes on a lead",
    "forms": "Instant forms",
    "jobs": "Background jobs: bulk changes and CSV exports",
    "capture": "Capture: the signed messaging webhook, conversations, auto-capture and attribution settings",
    "access": "Lead access transfer to a Business Center",
    "reports": "Lead reports by attribution",
    "integrations": "CRM push: webhooks, Salesforce, status events to the ad platform",
    "lead ads": "Lead ads: campaigns, ad groups and ads of an ad account",
    "notifications": "The caller's notification inbox",
}

# Every route that takes If-Match parses it with leadcenter.http.if_match_version: anything else is a 400.
IF_MATCH_SCHEMA = {
    "type": "string",
    "pattern": IF_MATCH_PATTERN,
    "maxLength": 24,
    "description": 'the version you read: `7`, `"7"` or `W/"7"`; a stale one is a 409',
}

# Lists that page sign their cursors with a secret the deployment must be able to read (leadcenter.cursors).
PAGED_ERRORS = {"503": "Listing is unavailable: the server cannot read its cursor key (server configuration)"}


def _with_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Every operation can answer the contract's error shape; document it once, for all of them."""
    document.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if "204" in operation["responses"]:
                operation["responses"]["204"].pop("content", None)  # No Content: there is no body to describe
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
                    parameter["schema"] = IF_MATCH_SCHEMA  # a header is never null; http.if_match_version parses it
            paged = any(p.get("name") == "cursor" for p in operation.get("parameters", []))
            for status, description in (ERRORS | PAGED_ERRORS if paged else ERRORS).items():
                operation["responses"][status] = {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
    return document


# OpenAPI links: an operation that creates something leads to the operations that take its id (a client, or
# schemathesis' stateful phase, chains them). A create's own path is the collection its id goes below; a job's id
# goes below /jobs. A configure-once sub-resource (the Salesforce connector, the auto-capture application) links
# from the operation that sets it up, not from the account: until then it is a 404 by design.
CREATED_BELOW = {"createExport": ("/accounts/{account_id}/jobs", "job_id"),
                 "createBulkJob": ("/accounts/{account_id}/jobs", "job_id")}  # fmt: skip
SET_UP_BY = {"/accounts/{account_id}/integrations/salesforce": "connectSalesforce",
             "/accounts/{account_id}/auto-capture": "applyForAutoCapture"}  # fmt: skip


def _path_parameters(path: str) -> list[str]:
    return [segment[1:-1] for segment in path.split("/") if segment.startswith("{")]


def _with_links(document: dict[str, Any]) -> dict[str, Any]:
    operations = [(path, op) for path, ops in document["paths"].items() for op in ops.values() if "operationId" in op]
    by_id = {op["operationId"]: (path, op) for path, op in operations}

    def set_up_elsewhere(path: str, target: str, source: str) -> bool:
        """A target below a configure-once sub-resource, linked from anything but the operation setting it up."""
        return any(path.startswith(base) and setup not in (target, source) for base, setup in SET_UP_BY.items())

    def link(source: str, status: str, collection: str, new: str | None, field: str | None) -> None:
        source_path, source_op = by_id[source]
        known = set(_path_parameters(source_path))
        links: dict[str, Any] = {}
        for path, op in operations:
            if op is source_op or not path.startswith(collection) or set_up_elsewhere(path, op["operationId"], source):
                continue
            wanted = _path_parameters(path)
            below = path[len(collection) :]
            if new is not None and not below.startswith(f"/{{{new}}}"):
                continue
            if not set(wanted) <= known | ({new} if new else set()):
                continue
            parameters = {n: f"$response.body#/{field}" if n == new else f"$request.path.{n}" for n in wanted}
            links[op["operationId"]] = {"operationId": op["operationId"], "parameters": parameters}
        if links:
            source_op["responses"][status]["links"] = links

    for operation_id, (path, op) in by_id.items():
        if operation_id in CREATED_BELOW:
            collection, field = CREATED_BELOW[operation_id]
            link(operation_id, "202", collection, field, field)
        elif "201" in op["responses"] and not path.endswith("}") and path not in SET_UP_BY:
            # a POST to a collection: the new item's id is the next path parameter below it
            nexts = {p[len(path) + 2 : p.index("}", len(path))] for p, _ in operations if p.startswith(f"{path}/{{")}
            if len(nexts) == 1:
                link(operation_id, "201", path, nexts.pop(), "id")
    for path, setup in SET_UP_BY.items():
        status = next(s for s in ("201", "200") if s in by_id[setup][1]["responses"])
        link(setup, status, path, None, None)
    return document


@functools.cache
def document() -> str:
    from leadcenter.api import all_routers
    from leadcenter.http import build_resolver

    app = build_resolver()
    for each in all_routers():
        app.include_router(each)
    raw = app.get_openapi_json_schema(
        title="leadcenter",
        version="1.0.0",
        summary="Leads Center API",
        description='Errors are {"error": {"code", "message"}}; lists are {"items", "next_cursor"}.',
        security_schemes=SECURITY_SCHEMES,
        security=[{BEARER: []}],
        tags=[Tag(name=name, description=text) for name, text in TAGS.items()],
    )
    return json.dumps(_with_links(_with_errors(json.loads(raw))))


@router.get("/openapi.json", include_in_schema=False)
def openapi_json() -> Response[Any]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document())
