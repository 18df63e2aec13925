"""The runner's own AWS calls reach the moto child over a Unix socket instead of HTTP (local only).

Measured on `SEED=demo` (docs/decisions.md, "The local AWS wire"): a third of the runner's interpreter time and a
fifth of moto's went into HTTP itself, not into AWS: urllib3 and `http.client` parsing headers with the email
package on one side; on the other, werkzeug's dev server accepting a connection, starting a thread and parsing
the request, for every one of ~13,000 calls. Here each runner thread keeps one connection to the child, and a
call is one length-prefixed pickle each way.

What stays the same: botocore still builds, signs and parses every request (only `Endpoint._send`, the HTTP
transport, is replaced), and the child answers through moto's own WSGI application, the one its HTTP server
runs, with the environ werkzeug's server would build. The HTTP port stays open for everything else: the
aws-cli, tests, presigned S3 downloads from a browser. `LOCAL_AWS_WIRE=http` turns the socket off.
"""

from __future__ import annotations

import io
import os
import pickle
import socket
import struct
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

SOCKET_ENV = "LEADCENTER_LOCAL_AWS_SOCKET"
_LENGTH = struct.Struct(">I")

Request = tuple[str, str, list[tuple[str, str]], bytes]  # method, path with query, headers, body
Response = tuple[int, list[tuple[str, str]], bytes]  # status, headers, body


def enabled() -> bool:
    return os.environ.get("LOCAL_AWS_WIRE", "socket") != "http"


def _send_frame(sock: socket.socket, payload: Any) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_LENGTH.pack(len(data)) + data)


def _read_exactly(reader: io.BufferedReader, size: int) -> bytes:
    data = reader.read(size)
    if len(data) != size:
        raise ConnectionError("the AWS wire closed mid-frame" if data else "the AWS wire closed")
    return data


def _read_frame(reader: io.BufferedReader) -> Any:
    (size,) = _LENGTH.unpack(_read_exactly(reader, _LENGTH.size))
    # Only this user's processes can connect: the socket lives in a directory mkdtemp made private (0700).
    return pickle.loads(_read_exactly(reader, size))  # noqa: S301


# ---------------------------------------------------------------------------------------------- moto's side


def wsgi_environ(request: Request, server: tuple[str, int]) -> dict[str, Any]:
    """What werkzeug's `WSGIRequestHandler.make_environ` builds for the same request (the parts moto reads)."""
    method, target, headers, body = request
    url = urlsplit(target)
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(unquote(url.path)),
        "QUERY_STRING": _latin1(url.query),
        "REQUEST_URI": _latin1(target),
        "RAW_URI": _latin1(target),
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
            if key in environ:
                value = f"{environ[key]},{value}"
        environ[key] = value
    environ.setdefault("HTTP_HOST", f"{server[0]}:{server[1]}")
    environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def _latin1(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")  # PEP 3333's "bytes as latin-1", as werkzeug does


def call_wsgi(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Response:
    """The whole WSGI app's answer, buffered (werkzeug's own runner, `write()` callers included)."""
    from werkzeug.test import run_wsgi_app

    chunks, status, headers = run_wsgi_app(app, environ, buffered=True)
    return int(status.split(" ", 1)[0]), list(headers.items()), b"".join(chunks)


class Dispatch:
    """What moto's Flask app does with a request, without Flask: the dispatcher picks the service's app, its
    URL map the handler, and the handler answers `(status, headers, body)`, as `convert_to_flask_response` calls
    it. Flask's request and response machinery was a sixth of the child's CPU. A request no route matches goes
    through the whole WSGI app, so Flask answers it as it always did."""

    def __init__(self, dispatcher: Any) -> None:
        from moto.core.request import Request

        self.dispatcher = dispatcher

        class WireRequest(Request):  # moto's server-mode request (BackendRequest), without Flask's half
            from_wsgi_server = True

        self.request_class = WireRequest

    def __call__(self, environ: dict[str, Any]) -> Response:
        from botocore.exceptions import ClientError
        from werkzeug.exceptions import HTTPException

        app = self.dispatcher.get_application(environ)
        try:
            endpoint, _arguments = app.url_map.bind_to_environ(environ).match()
            handler = app.view_functions[endpoint].callback
        except (HTTPException, KeyError, AttributeError):
            return call_wsgi(self.dispatcher, environ)
        request = self.request_class(environ)
        try:
            result = handler(request, request.raw_url, dict(request.headers))
        except ClientError as exc:
            result = 400, {}, exc.response["Error"]["Message"]
        except HTTPException as exc:  # moto's service errors: the response werkzeug (and so Flask) makes of them
            answer = exc.get_response(environ)
            return answer.status_code, list(answer.headers.items()), answer.get_data()
        status, headers, content = result if len(result) == 3 else (200, {}, result)
        body = content.encode("utf-8") if isinstance(content, str) else bytes(content or b"")
        listed = [(str(name), str(value)) for name, value in headers.items()]
        names = {name.lower() for name, _ in listed}
        if "content-type" not in names:
            listed.append(("Content-Type", "text/html; charset=utf-8"))  # Flask's default mimetype
        if "content-length" not in names:
            listed.append(("Content-Length", str(len(body))))
        return int(status), listed, body


def serve(app: Callable[..., Iterable[bytes]], path: str, server: tuple[str, int]) -> socket.socket:
    """Listens on `path`; a thread per connection answers its calls in turn, as long as the connection lives.
    `app` is moto's `DomainDispatcherApplication`, the WSGI app its HTTP server runs."""
    dispatch = Dispatch(app)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(128)

    def answer(connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as reader:
            while True:
                try:
                    request = _read_frame(reader)
                except (ConnectionError, OSError):
                    return
                try:
                    response = dispatch(wsgi_environ(request, server))
                except Exception as exc:  # what werkzeug's server would answer, and the connection lives on
                    message = f'{{"__type": "InternalFailure", "message": "{type(exc).__name__}"}}'
                    response = (500, [("Content-Type", "application/json")], message.encode())
                _send_frame(connection, response)

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # closed at stop
            threading.Thread(target=answer, args=(connection,), name="aws-wire", daemon=True).start()

    threading.Thread(target=accept, name="aws-wire-accept", daemon=True).start()
    return listener


# ---------------------------------------------------------------------------------------------- the runner's side


class _Body(io.BytesIO):
    """The raw response botocore reads: `stream()` for `AWSResponse.content`, `read()` for streaming bodies (moto's
    `MockRawResponse`, which the runner does not import: moto's core costs a quarter of a second to load)."""

    def stream(self, **_kwargs: Any) -> Iterable[bytes]:
        data = self.read()
        if data:
            yield data


class Wire:
    """One connection per thread to the child's socket; calls to `endpoint` go through it."""

    def __init__(self, endpoint: str, path: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.path = path
        self.local = threading.local()

    def handles(self, url: str) -> bool:
        return url == self.endpoint or url.startswith(self.endpoint + "/") or url.startswith(self.endpoint + "?")

    def _connection(self) -> tuple[socket.socket, io.BufferedReader]:
        held = getattr(self.local, "held", None)
        if held is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self.path)
            held = self.local.held = (sock, sock.makefile("rb"))
        return held

    def _drop(self) -> None:
        held = getattr(self.local, "held", None)
        self.local.held = None
        if held is not None:
            held[1].close()
            held[0].close()

    def call(self, request: Request) -> Response:
        sock, reader = self._connection()
        try:
            _send_frame(sock, request)
            response: Response = _read_frame(reader)
        except BaseException:
            self._drop()  # a half-read frame would answer the next call with this one's reply
            raise
        return response

    def send(self, request: Any) -> Any:
        """`Endpoint._send` for an `AWSPreparedRequest`: the same `AWSResponse` urllib3 would have given."""
        from botocore.awsrequest import AWSResponse, HeadersDict
        from botocore.exceptions import ConnectionClosedError

        body = request.body
        if body is None:
            body = b""
        elif hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = [(name, value.decode("latin-1") if isinstance(value, bytes) else str(value))
                   for name, value in request.headers.items()]  # fmt: skip
        target = request.url[len(self.endpoint) :] or "/"
        try:
            status, response_headers, content = self.call((request.method, target, headers, bytes(body)))
        except (ConnectionError, OSError) as exc:
            raise ConnectionClosedError(endpoint_url=request.url) from exc  # botocore retries these
        headers_read: Any = HeadersDict(response_headers)  # case-insensitive, as urllib3's are
        return AWSResponse(request.url, status, headers_read, _Body(content))


def install(endpoint: str, path: str) -> Wire:
    """Routes botocore's calls to `endpoint` through the socket at `path`, in this process (`uninstall` undoes)."""
    from botocore.endpoint import Endpoint

    wire = Wire(endpoint, path)
    original = _original_send()

    def _send(self: Any, request: Any) -> Any:
        if wire.handles(request.url):
            return wire.send(request)
        return original(self, request)

    _send.__wrapped__ = original  # type: ignore[attr-defined]
    endpoint_class: Any = Endpoint
    endpoint_class._send = _send
    return wire


def _original_send() -> Any:
    from botocore.endpoint import Endpoint

    endpoint_class: Any = Endpoint
    return getattr(endpoint_class._send, "__wrapped__", endpoint_class._send)


def uninstall() -> None:
    from botocore.endpoint import Endpoint

    endpoint_class: Any = Endpoint
    endpoint_class._send = _original_send()
