"""API Gateway emulation: matches a request against the template's routes and calls the function's handler
with a REST API proxy event, as API Gateway with the Cognito authorizer would. Used by `make run` and tests.
"""

from __future__ import annotations

import base64
import contextvars
import importlib
import importlib.util
import json
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from local.common import log
from local.template import ApiRoute, Function, Stack


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 20_000


def _handler_path(function: Function) -> tuple[str, str]:
    """(module, attribute): functions/<name>/app.py's `lambda_handler` is functions.<name>.app's attribute."""
    module_name, attribute = function.handler.rsplit(".", 1)
    return f"{function.code_uri.replace('/', '.')}.{module_name}", attribute


# The function whose handler runs in this thread now (its logical id), None in test code and the runner's own work:
# every invoker here runs a handler inside `running(...)`; tests/helpers/aws_calls.py attributes each AWS call to
# that function, to check it against the function's role.
_running: contextvars.ContextVar[str | None] = contextvars.ContextVar("local_running_function", default=None)
# Called with the logical id as each invocation starts (tests/test_iam_coverage.py starts every one cold).
on_invoke: list[Callable[[str], None]] = []


def running_function() -> str | None:
    return _running.get()


@contextmanager
def running(logical_id: str) -> Iterator[None]:
    for hook in on_invoke:
        hook(logical_id)
    token = _running.set(logical_id)
    try:
        yield
    finally:
        _running.reset(token)


def handler_of(function: Function) -> Any:
    """Imports functions/<name>/app.py as functions.<name>.app (each function's own module, no collisions)."""
    module_name, attribute = _handler_path(function)
    return getattr(importlib.import_module(module_name), attribute)


def fresh_handler(function: Function) -> Any:
    """The handler of a second container of the function: its module run again as a new module object, so its
    globals (a batch processor, a resolver's current event) are its own; the shared layer stays shared."""
    module_name, attribute = _handler_path(function)
    handler_of(function)  # the package and the first container are imported first, as usual
    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, attribute)


def local_concurrency(variable: str, default: int) -> int:
    """Containers per function locally, from `variable` (Lambda scales out; two cores do not need many)."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    if not re.fullmatch(r"[1-9]\d{0,2}", value):
        log(f"ignoring {variable}={value!r}: use a whole number from 1 to 999")
        return default
    return int(value)


DEFAULT_API_CONCURRENCY = 4


class Containers:
    """A function's warm containers, for the API gateway and the queue consumers alike. Lambda gives a container
    one event at a time and starts another for an event that finds them all busy; here an invocation takes the
    container that served last (so invocations one after another always meet the function's own module, as tests
    expect), or starts one more, up to `limit` (LOCAL_API_CONCURRENCY, or the queue's MaximumConcurrency and
    LOCAL_QUEUE_CONCURRENCY), or waits for one to come free. A second container is the function's module run
    again (`fresh_handler`): its own globals, resolver and batch processor."""

    def __init__(self, function: Function, limit: int) -> None:
        self.function = function
        self.limit = max(1, limit)
        self.idle: list[Any] = []
        self.started = 0
        self.changed = threading.Condition()

    @contextmanager
    def take(self) -> Iterator[Any]:
        with self.changed:
            while not self.idle and self.started >= self.limit:
                self.changed.wait()
            handler = self.idle.pop() if self.idle else None
            first = handler is None and self.started == 0
            if handler is None:
                self.started += 1
        if handler is None:
            try:
                handler = handler_of(self.function) if first else fresh_handler(self.function)
            except BaseException:
                with self.changed:
                    self.started -= 1
                    self.changed.notify()
                raise
        try:
            yield handler
        finally:
            with self.changed:
                self.idle.append(handler)
                self.changed.notify()


def context_for(function: Function) -> LambdaContext:
    return LambdaContext(
        function_name=function.logical_id,
        aws_request_id=str(uuid.uuid4()),
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{function.logical_id}",
    )


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


_invocation = threading.local()


def _current_event_per_thread() -> None:
    """Powertools keeps the event being resolved on its `BaseRouter` class (`BaseRouter.current_event = ...`): in
    Lambda each function has its own process, but here two functions answering at once (the webhook and the leads
    API, say) would read each other's event, headers and all. Locally the event and context belong to the thread
    that resolves them: a metaclass property catches the class-level assignment, a class property the reads."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if isinstance(type(BaseRouter).__dict__.get("current_event"), property):
        return

    def slot(name: str) -> property:
        return property(lambda _: getattr(_invocation, name, None), lambda _, value: setattr(_invocation, name, value))

    names = ("current_event", "lambda_context")
    per_thread = type("PerThreadRouterMeta", (type(BaseRouter),), {name: slot(name) for name in names})
    for name in names:
        if name in BaseRouter.__dict__:
            delattr(BaseRouter, name)
        setattr(BaseRouter, name, slot(name))  # reads through instances
    BaseRouter.__class__ = per_thread  # type: ignore[method-assign]  # assignments to the class


class Gateway:
    def __init__(self, stack: Stack) -> None:
        _current_event_per_thread()
        self.stack = stack
        self.functions = stack.functions()
        self.routes = [(self._pattern(r.path), r) for r in stack.api_routes()]
        self.tokens: dict[str, str] = {}
        # Lambda gives a container one event at a time: concurrent requests to one function take containers of
        # their own (the resolver's event is per thread, see _current_event_per_thread).
        limit = local_concurrency("LOCAL_API_CONCURRENCY", DEFAULT_API_CONCURRENCY)
        self._containers = {name: Containers(function, limit) for name, function in self.functions.items()}

    @staticmethod
    def _pattern(path: str) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")

    def issue_token(self, subject: str) -> str:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = subject
        return token

    def resource(self, path: str) -> list[tuple[ApiRoute, dict[str, str]]]:
        """The routes of the resource a path names, with its path parameters (URL-decoded, as API Gateway passes
        them). As in API Gateway, a literal segment wins over a parameter: `/leads/bulk` is the bulk resource,
        never lead `bulk`."""
        found = [(route, hit.groupdict()) for pattern, route in self.routes if (hit := pattern.match(path))]
        if not found:
            return []
        best = min(found, key=lambda each: _specificity(each[0].path))[0].path
        return [(route, {k: unquote(v) for k, v in values.items()}) for route, values in found if route.path == best]

    def match(self, method: str, path: str) -> tuple[ApiRoute, dict[str, str]] | str | None:
        routes = self.resource(path)
        for route, parameters in routes:
            if route.method == method:
                return route, parameters
        return "method_not_allowed" if routes else None

    def invoke(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | str | None = None,
        subject: str | None = None,
    ) -> Reply:
        headers = dict(headers or {})
        matched = self.match(method, path)
        if matched is None:
            return _error(404, "not_found", "no such route")
        if matched == "method_not_allowed":
            return _error(405, "method_not_allowed", f"{method} is not allowed on {path}")
        assert not isinstance(matched, str)
        route, parameters = matched
        claims = None
        if route.authorized:
            if subject is None:
                subject = self._subject(headers)
            if subject is None:
                return _error(401, "unauthorized", "missing or invalid bearer token")
            claims = {"sub": subject, "token_use": "id"}
        event = self._event(route, path, parameters, query, headers, body, claims)
        function = self.functions[route.function]
        with self._containers[route.function].take() as handler, running(route.function):
            result = handler(event, context_for(function))
        response_body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            response_body = base64.b64decode(response_body).decode("utf-8", "replace")
        merged = {**(result.get("headers") or {})}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            merged[key] = ", ".join(values)
        return Reply(int(result["statusCode"]), merged, response_body)

    def _subject(self, headers: dict[str, str]) -> str | None:
        for key, value in headers.items():
            if key.lower() == "authorization" and value.startswith("Bearer "):
                return self.tokens.get(value[7:].strip())
        return None

    @staticmethod
    def _event(
        route: ApiRoute,
        path: str,
        parameters: dict[str, str],
        query: str,
        headers: dict[str, str],
        body: bytes | str | None,
        claims: dict[str, str] | None,
    ) -> dict[str, Any]:
        multi_query = parse_qs(query, keep_blank_values=True) if query else {}
        raw = body.decode("utf-8", "surrogateescape") if isinstance(body, bytes) else body
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": route.method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": parameters or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": route.path,
                "httpMethod": route.method,
                "path": f"/v1{path}",
                "stage": "v1",
                "requestId": str(uuid.uuid4()),
                "requestTimeEpoch": int(time.time() * 1000),
                "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
                "authorizer": {"claims": claims} if claims else None,
                "accountId": "123456789012",
                "apiId": "local",
            },
            "body": raw,
            "isBase64Encoded": False,
        }


def _specificity(path: str) -> tuple[int, ...]:
    """Sorts first the path whose segments are literal earliest (API Gateway's resource tree)."""
    return tuple(int(segment.startswith("{")) for segment in path.strip("/").split("/"))


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(
        status, {"Content-Type": "application/json"}, json.dumps({"error": {"code": code, "message": message}})
    )
