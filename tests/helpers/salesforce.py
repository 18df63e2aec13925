"""A Salesforce org on 127.0.0.1 for the connector's tests: the OAuth token endpoint (client credentials) and the
Lead sObject's upsert and delete by external id, in Salesforce's documented shapes.

- `POST /services/oauth2/token` (form) -> 200 `{access_token, instance_url, token_type, issued_at}`, or 400
  `{error: invalid_client}` for wrong credentials.
- `PATCH /services/data/vNN.N/sobjects/Lead/LeadCenter_Id__c/<id>` (JSON, Bearer) -> 201 `{id, success,
  created: true}` or 200 `{..., created: false}`; 401 `[{errorCode: INVALID_SESSION_ID}]` for an unknown or
  expired token; 400 `[{errorCode: REQUIRED_FIELD_MISSING}]` without LastName or Company.
- `DELETE` of the same URL -> 204, or 404 `[{errorCode: NOT_FOUND}]`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

_RECORD = re.compile(r"^/services/data/v\d+\.\d+/sobjects/Lead/LeadCenter_Id__c/(?P<id>[^/?]+)$")


@dataclass
class SfRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def kind(self) -> str:
        return "token" if self.path.endswith("/oauth2/token") else self.method.lower()

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class SalesforceOrg:
    client_id: str = "3MVG9-test-client"
    client_secret: str = "sf-secret-0123456789"
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[SfRequest] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    # Picks a forced status for the n-th record request (0-based; PATCH and DELETE), or None to answer normally.
    fail: Callable[[int], int | None] = lambda n: None
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    _issued: int = 0
    _record_requests: int = 0

    def start(self) -> SalesforceOrg:
        org = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with org.lock:
                    status, answer = org._answer(self.command, self.path, dict(self.headers.items()), body)
                    org.requests.append(SfRequest(self.command, self.path, dict(self.headers.items()), body, status))
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def expire_tokens(self) -> None:
        """Every session ends (as when its timeout passes): the next record request is answered 401."""
        with self.lock:
            self.valid_tokens.clear()

    def of_kind(self, kind: str) -> list[SfRequest]:
        with self.lock:
            return [r for r in self.requests if r.kind == kind]

    # ------------------------------------------------------------------------------------------ answers

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if method == "POST" and path == "/services/oauth2/token":
            return self._token(headers, body)
        found = _RECORD.match(path)
        if found is None or method not in ("PATCH", "DELETE"):
            return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
        number = self._record_requests
        self._record_requests += 1
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_tokens:
            return 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        forced = self.fail(number)
        if forced is not None:
            return forced, [{"errorCode": "SERVER_UNAVAILABLE", "message": "try again later"}]
        external_id = unquote(found["id"])
        if method == "DELETE":
            if self.records.pop(external_id, None) is None:
                return 404, [{"errorCode": "NOT_FOUND", "message": "Provided external ID field does not exist"}]
            return 204, None
        fields = json.loads(body)
        merged = {**self.records.get(external_id, {}), **fields}
        if not merged.get("LastName") or not merged.get("Company"):
            return 400, [{"message": "Required fields are missing: [LastName]", "errorCode": "REQUIRED_FIELD_MISSING"}]
        created = external_id not in self.records
        self.records[external_id] = merged
        record_id = "00Q" + str(abs(hash(external_id)))[:12].rjust(12, "0")
        return (201 if created else 200), {"id": record_id, "success": True, "errors": [], "created": created}

    def _token(self, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return 400, {"error": "invalid_request", "error_description": "form expected"}
        wanted = ("client_credentials", self.client_id, self.client_secret)
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != wanted:
            return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}
        self._issued += 1
        token = f"00Dxx0000000001!token-{self._issued}"
        self.valid_tokens.add(token)
        return 200, {"access_token": token, "instance_url": self.url, "id": f"{self.url}/id/00D/005",
                     "token_type": "Bearer", "issued_at": "1700000000000", "signature": "x"}  # fmt: skip
