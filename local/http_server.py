"""HTTP serving of `make run`: a WSGI application on werkzeug's threaded server.

Each request becomes what API Gateway would make of it: an API route goes through the API Gateway emulation
(`local.gateway`, one event at a time per function, as in a Lambda container) to the function's handler; a
known path with an undeclared method is a JSON 405; `/_local/*` are the runner's own routes (tokens, the app
clock, running a schedule now); any other GET is a file of the static web UI. Every answer is JSON or a web UI
file, never an HTML error page; a 204 carries neither body nor Content-Type. No CORS headers on purpose: the
UI is served from this same origin.

werkzeug closes each connection after its answer, having read what the client still sends, so a refused body
(413) is answered rather than reset.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from local.runtime import BadInput, LocalRuntime, parse_advance, parse_subject
from local.template import ROOT

WEB_ROOT = ROOT / "web"
MAX_BODY_BYTES = 1024 * 1024
# werkzeug's backlog of 128 resets connections when hundreds of clients (a load run, the UI's parallel
# requests) connect at once; early clients also wait here while the runner starts.
BACKLOG = 256
# Set by RequestHandler: the request target and headers exactly as the client sent them (case, underscores).
RAW_TARGET = "leadcenter.raw_target"
RAW_HEADERS = "leadcenter.raw_headers"
# Set by werkzeug itself, or by HTTP and not by an application.
HOP_BY_HOP = {"content-length", "connection", "transfer-encoding", "keep-alive"}
ERROR_CODES = {
    400: "bad_request",
    413: "payload_too_large",
    414: "uri_too_long",
    431: "headers_too_large",
    505: "http_version_not_supported",
}

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}

StartResponse = Callable[..., Any]


# ---------------------------------------------------------------------------------------------- answers


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, default=str).encode("utf-8")


def error_payload(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def json_answer(status: int, payload: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, json_bytes(payload), {"Content-Type": "application/json", **(headers or {})})


def error_answer(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    return json_answer(status, error_payload(code, message), headers)


def too_large() -> BadInput:
    return BadInput(f"request body is larger than {MAX_BODY_BYTES} bytes", 413, "payload_too_large")


def reason(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Unknown")


def respond(answer: Answer, method: str, start_response: StartResponse) -> Iterable[bytes]:
    headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
    body = answer.body
    if answer.status == 204 or answer.status == 304 or answer.status < 200:
        body = b""  # such an answer has no body, so nothing may describe one
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    else:
        headers["Content-Length"] = str(len(body))
    headers["X-Content-Type-Options"] = "nosniff"
    start_response(f"{answer.status} {reason(answer.status)}", list(headers.items()))
    return [body] if body and method != "HEAD" else []


# ---------------------------------------------------------------------------------------------- requests


class Request:
    """What the routes need of a WSGI request: method, raw path and query, headers, and the body on demand."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method = str(environ["REQUEST_METHOD"])
        target = urlsplit(environ.get(RAW_TARGET) or environ.get("RAW_URI") or environ.get("PATH_INFO") or "/")
        self.path, self.query = target.path or "/", target.query
        self.headers: dict[str, str] = environ.get(RAW_HEADERS) or headers_of(environ)

    def body(self) -> bytes:
        """The raw body; one over MAX_BODY_BYTES is refused (413) from its Content-Length, before reading."""
        stream = self.environ["wsgi.input"]
        if self.environ.get("wsgi.input_terminated"):  # chunked: werkzeug reads the chunks, we count them
            return read_all(stream)
        raw_length = self.environ.get("CONTENT_LENGTH") or "0"
        if not raw_length.isdigit():
            raise BadInput("invalid Content-Length")
        length = int(raw_length)
        if length > MAX_BODY_BYTES:
            raise too_large()
        return bytes(stream.read(length)) if length else b""

    def json(self) -> Any:
        try:
            return json.loads(self.body() or b"null")
        except (ValueError, UnicodeDecodeError):
            raise BadInput("body is not valid JSON", 400, "invalid_json") from None


def read_all(stream: Any) -> bytes:
    chunks: list[bytes] = []
    total = 0
    try:
        while chunk := stream.read(65536):
            total += len(chunk)
            if total > MAX_BODY_BYTES:
                raise too_large()
            chunks.append(chunk)
    except (OSError, ValueError):
        raise BadInput("invalid chunked body") from None
    return b"".join(chunks)


def headers_of(environ: dict[str, Any]) -> dict[str, str]:
    """Headers from a WSGI environ (when the app runs under another server than RequestHandler)."""
    found = {k[5:].replace("_", "-").title(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            found[name] = str(environ[key])
    return found


# ---------------------------------------------------------------------------------------------- the app


class LocalApp:
    """The WSGI application. `runtime` is set once the runner has built it; the server serves only then."""

    def __init__(self, runtime: LocalRuntime | None = None) -> None:
        self.runtime = runtime

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            answer = self.dispatch(request)
        except BadInput as exc:
            answer = error_answer(exc.status, exc.code, exc.message)
        except Exception:
            sys.stderr.write(traceback.format_exc())
            answer = error_answer(502, "internal_error", "the function failed; see the runner's log")
        return respond(answer, request.method, start_response)

    def dispatch(self, request: Request) -> Answer:
        assert self.runtime is not None, "serve only once the runtime is built"
        gateway = self.runtime.gateway
        if request.path.startswith("/_local/"):
            return self.local_route(request)
        matched = gateway.match(request.method, request.path)
        if matched == "method_not_allowed":
            allowed = sorted({route.method for route, _ in gateway.resource(request.path)})
            message = f"{request.method} is not allowed on {request.path}"
            return error_answer(405, "method_not_allowed", message, {"Allow": ", ".join(allowed)})
        if matched is not None:
            return self.api_route(request)
        if request.method in ("GET", "HEAD"):
            return static_file(request.path)
        return error_answer(404, "not_found", "no such route")

    def api_route(self, request: Request) -> Answer:
        assert self.runtime is not None
        body = request.body()
        reply = self.runtime.gateway.invoke(request.method, request.path, query=request.query,
                                            headers=dict(request.headers), body=body or None)  # fmt: skip
        return Answer(reply.status, reply.body.encode("utf-8"), reply.headers)

    def local_route(self, request: Request) -> Answer:
        assert self.runtime is not None
        runtime, method, path = self.runtime, request.method, request.path
        if path == "/_local/token" and method == "POST":
            subject = parse_subject(request.json())
            return json_answer(200, {"token": runtime.gateway.issue_token(subject), "sub": subject})
        if path == "/_local/clock" and method == "GET":
            return json_answer(200, runtime.clock_state())
        if path == "/_local/clock" and method == "POST":
            return json_answer(200, runtime.advance_clock(parse_advance(request.json())))
        if path.startswith("/_local/run/") and method == "POST":
            return self.run_function(unquote(path[len("/_local/run/") :]))
        if path == "/_local/token":
            return error_answer(405, "method_not_allowed", f"{method} is not allowed on {path}", {"Allow": "POST"})
        if path == "/_local/clock" or path.startswith("/_local/run/"):
            allow = "GET, POST" if path == "/_local/clock" else "POST"
            return error_answer(405, "method_not_allowed", f"{method} is not allowed on {path}", {"Allow": allow})
        return error_answer(404, "not_found", "no such local route")

    def run_function(self, name: str) -> Answer:
        assert self.runtime is not None
        scheduler = self.runtime.scheduler
        schedule = scheduler.find(name)
        if schedule is None:
            known = ", ".join(sorted(scheduler.schedules)) or "none yet"
            return error_answer(404, "not_found", f"no scheduled function {name!r} (scheduled: {known})")
        try:
            result = scheduler.run(schedule)
        except Exception as exc:
            sys.stderr.write(traceback.format_exc())
            return error_answer(500, "function_failed", f"{schedule.function.logical_id} raised {type(exc).__name__}")
        return json_answer(200, {"function": schedule.function.logical_id, "result": result})


def static_file(path: str) -> Answer:
    file = resolve_static(path)
    if file is None:
        return error_answer(404, "not_found", "no such file")
    content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
    return Answer(200, file.read_bytes(), {"Content-Type": content_type, "Cache-Control": "no-cache"})


def resolve_static(path: str) -> Path | None:
    """`/` is index.html; `/web/x` and `/x` both mean web/x. Nothing outside web/ is ever served."""
    relative = unquote(path).lstrip("/")
    if relative == "web" or relative.startswith("web/"):
        relative = relative[3:].lstrip("/")
    root = WEB_ROOT.resolve()
    candidate = (root / relative).resolve()
    if candidate.is_dir():
        candidate = candidate / "index.html"
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


# ---------------------------------------------------------------------------------------------- the server


class RequestHandler(WSGIRequestHandler):
    """werkzeug's handler, with the request as sent kept for the gateway, and JSON for its own errors."""

    @property
    def server_version(self) -> str:  # type: ignore[override]
        return "leadcenter-local"

    def make_environ(self) -> Any:
        environ = super().make_environ()
        environ[RAW_TARGET] = self.path
        environ[RAW_HEADERS] = dict(self.headers.items())
        return environ

    def handle_expect_100(self) -> bool:
        """A client that asks before sending an oversized body gets 413 instead of "go ahead"; werkzeug itself
        sends the "100 Continue" to the others."""
        length = self.headers.get("Content-Length") or "0"
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            self.send_error(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, headers too long) as JSON, not HTML."""
        self.close_connection = True
        body = json_bytes(error_payload(ERROR_CODES.get(code, "bad_request"), message or reason(code)))
        self.send_response(code, reason(code))
        for name, value in (("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff"),
                            ("Content-Length", str(len(body))), ("Connection", "close")):  # fmt: skip
            self.send_header(name, value)
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        sys.stderr.write(f'[http] "{self.requestline}" {code} {size}\n')

    def log(self, type: str, message: str, *args: Any) -> None:
        sys.stderr.write(f"[http] {type}: {message % args if args else message}\n")


class PortUnavailable(Exception):
    """The port is taken (werkzeug would print its own hint and exit; the runner says it its way)."""


class LocalServer(ThreadedWSGIServer):
    request_queue_size = BACKLOG

    def server_bind(self) -> None:
        try:
            super().server_bind()
        except OSError as exc:
            raise PortUnavailable(str(exc)) from None


def make_local_server(port: int, app: LocalApp, host: str = "127.0.0.1") -> LocalServer:
    """Binds at once (a taken port fails here); clients that connect before serve_forever wait in the backlog."""
    return LocalServer(host, port, app, handler=RequestHandler)
