"""GET /openapi.json: one document for every API route, whichever function serves it."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()


@functools.cache
def document() -> str:
    from leadcenter.api import all_routers
    from leadcenter.http import build_resolver

    app = build_resolver()
    for each in all_routers():
        app.include_router(each)
    return app.get_openapi_json_schema(
        title="leadcenter",
        version="1.0.0",
        summary="Leads Center API",
        description='Errors are {"error": {"code", "message"}}; lists are {"items", "next_cursor"}.',
    )


@router.get("/openapi.json", include_in_schema=False)
def openapi_json() -> Response[Any]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document())
