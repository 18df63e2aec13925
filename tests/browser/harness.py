"""Browser test harness: the local runner with demo data, Debian's chromium driven by Playwright.

One runner and one browser for the whole session (seeding takes a while). Every browser test records the
console errors, page errors, failed requests and HTTP errors it causes; `Problems.assert_none` fails the
test on any that the test did not announce as expected.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_ADMIN = "demo-admin"
DEMO_AD_ACCOUNT = "Demo Ad Account"  # local/seed/driver.py names them
DEMO_CENTER = "Demo Brand BC"
STARTUP_TIMEOUT_S = 120  # a loaded two-core machine starts the runner slowly
SEED_TIMEOUT_S = 900  # the demo goes through the capture pipeline, on two cores shared with other work


# ---------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Http:
    """A tiny JSON client for the runner (urllib: the test process's moto mock must not intercept it)."""

    base: str
    tokens: dict[str, str] = field(default_factory=dict)

    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
        """One request; the answer as (status, JSON or text). HTTP errors are answers, not exceptions."""
        url = self.base + path  # always http://127.0.0.1:<port>, never a user-supplied scheme
        request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def request(self, method: str, path: str, user: str | None = DEMO_ADMIN, body: Any = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.send(method, path, json.dumps(body).encode() if body is not None else None, headers)

    def raw(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        """An unauthenticated request with an exact body (signed webhooks)."""
        return self.send(method, path, body, {"Content-Type": "application/json", **headers})

    def wait_for(self, probe: Any, what: str, timeout: float = 30.0) -> Any:
        """Polls `probe()` until it returns something truthy (queue-driven work is asynchronous)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = probe()
            if result:
                return result
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")

    def token(self, user: str) -> str:
        if user not in self.tokens:
            status, payload = self.send("POST", "/_local/token", json.dumps({"sub": user}).encode(),
                                        {"Content-Type": "application/json"})  # fmt: skip
            assert status == 200, f"POST /_local/token -> {status}: {payload}"
            self.tokens[user] = payload["token"]
        return self.tokens[user]

    def ok(self, method: str, path: str, user: str | None = DEMO_ADMIN, body: Any = None) -> Any:
        """A setup or check call that must succeed (any 2xx: these calls are not what the tests are about)."""
        status, payload = self.request(method, path, user, body)
        assert 200 <= status < 300, f"{method} {path} -> {status}: {payload}"
        return payload


@dataclass
class Server:
    base: str
    http: Http
    ad_account: dict[str, Any]
    business_center: dict[str, Any]
    routes: set[str]
    log: Path

    def offers(self, method: str, template: str) -> bool:
        return f"{method.upper()} {template}" in self.routes


def routes_of(http: Http) -> set[str]:
    status, document = http.request("GET", "/openapi.json", user=None)
    if status != 200 or not isinstance(document, dict):
        return set()
    return {
        f"{method.upper()} {route}" for route, operations in document.get("paths", {}).items() for method in operations
    }


def tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no runner log)"


def wait_until_up(http: Http, process: subprocess.Popen[bytes] | None, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"the local runner exited with {process.returncode}:\n{tail(log)}")
        with contextlib.suppress(OSError):
            status, _ = http.request("GET", "/openapi.json", user=None)
            if status == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"the local runner did not answer within {STARTUP_TIMEOUT_S}s:\n{tail(log)}")


def wait_for_seed(http: Http, log: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Until `GET /_local/seed` says the demo is done; then demo-admin's demo ad account and Business Center."""
    deadline = time.monotonic() + SEED_TIMEOUT_S
    status: Any = None
    while time.monotonic() < deadline:
        _, status = http.request("GET", "/_local/seed", user=None)
        state = status.get("state") if isinstance(status, dict) else None
        if state == "failed":
            pytest.fail(f"seeding failed:\n{tail(log)}")
        if state == "done":
            failures = status.get("summary", {}).get("failed_requests")
            assert failures == 0, f"{failures} requests of the demo failed: {status.get('failures')}"
            _, accounts = http.request("GET", "/accounts")
            items = {a["name"]: a for a in accounts["items"]}
            return items[DEMO_AD_ACCOUNT], items[DEMO_CENTER]
        time.sleep(0.5)
    pytest.fail(f"seeding was not done within {SEED_TIMEOUT_S}s (last status {status}):\n{tail(log)}")


@dataclass
class Problems:
    """What went wrong in the browser during one test, plus every URL it requested."""

    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    http_errors: list[tuple[int, str, str]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    personal: set[str] = field(default_factory=set)
    allowed_statuses: set[tuple[int, str]] = field(default_factory=set)
    in_flight: set[Any] = field(default_factory=set)

    def reset(self) -> None:
        for each in (self.console, self.failed, self.http_errors, self.urls):
            each.clear()
        self.allowed_statuses.clear()

    def settle(self, page: Any, timeout_s: float = 15.0) -> None:
        """Waits until the page has no request in flight, so none of them ends in the next step's account."""
        deadline = time.monotonic() + timeout_s
        while self.in_flight and time.monotonic() < deadline:
            page.wait_for_timeout(50)

    def allow(self, status: int, url_part: str) -> None:
        """An HTTP error the test provokes on purpose (e.g. a 409 conflict)."""
        self.allowed_statuses.add((status, url_part))

    def unexpected(self) -> list[str]:
        # Chromium also logs an HTTP error as "Failed to load resource: ... status of 409 (Conflict) [url]".
        found = [
            line
            for line in self.console
            if not any(f"status of {s} " in line and part in line for s, part in self.allowed_statuses)
        ]
        found += self.failed
        for status, method, url in self.http_errors:
            if not any(status == s and part in url for s, part in self.allowed_statuses):
                found.append(f"HTTP {status} {method} {url}")
        return found

    def assert_none(self) -> None:
        found = self.unexpected()
        assert not found, "console errors or failed requests:\n" + "\n".join(found)

    def assert_no_personal_data_in_urls(self) -> None:
        leaks = [
            (url, value) for url in self.urls for value in self.personal if len(value) >= 4 and value in unquote(url)
        ]
        assert not leaks, f"personal data in URLs: {leaks[:5]}"


def collect_personal(response: Any, problems: Problems) -> None:
    """Contact values the API sent; none of them may ever appear in a URL the page requests or shows."""
    if response.request.method != "GET" or "/leads" not in response.url or response.status != 200:
        return
    with contextlib.suppress(Exception):
        payload = response.json()
        leads = payload.get("items", [payload]) if isinstance(payload, dict) else []
        for lead in leads:
            contact = lead.get("contact") or {}
            for key in ("name", "email", "phone"):
                if contact.get(key):
                    problems.personal.add(str(contact[key]))
