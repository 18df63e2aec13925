"""Fixtures of the browser tests (helpers in tests/browser/harness.py).

LEADCENTER_UI_BASE_URL=http://127.0.0.1:3000 reuses a running `SEED=demo make run` instead of starting one
(handy while writing tests; the transfer test changes that server's data for good).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    Http,
    Problems,
    Server,
    collect_personal,
    free_port,
    routes_of,
    wait_for_seed,
    wait_until_up,
)


def pytest_configure(config: pytest.Config) -> None:
    # Registered by pytest-xdist when it runs; `-p no:xdist` (as the docs suggest) would reject it otherwise.
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one xdist worker")


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    # When this fails, pytest reports the same error for every test that needs it, without retrying.
    yield from _run_server()


def _run_server() -> Iterator[Server]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "runner.log"
    reuse = os.environ.get("LEADCENTER_UI_BASE_URL", "").rstrip("/")
    process = None
    if reuse:
        http = Http(reuse)
        wait_until_up(http, None, log)
    else:
        port, aws_port = free_port(), free_port()
        env = {**os.environ, "SEED": "demo", "PYTHONPATH": f"{ROOT / 'layers' / 'leadcenter'}{os.pathsep}{ROOT}",
               "PYTHONUNBUFFERED": "1"}  # fmt: skip
        for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN",
                     "AWS_SESSION_TOKEN"):  # fmt: skip
            env.pop(name, None)  # the parent's moto mock settings are not the runner's
        python = ROOT / ".venv" / "bin" / "python"
        command = [str(python if python.exists() else sys.executable), "-m", "local.runner",
                   "--port", str(port), "--aws-port", str(aws_port)]  # fmt: skip
        with log.open("wb") as handle:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        http = Http(f"http://127.0.0.1:{port}")
        wait_until_up(http, process, log)
    try:
        ad, center = wait_for_seed(http, log)
        yield Server(http.base, http, ad, center, routes_of(http), log)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=5)  # all its state is in memory: nothing to lose by killing it after that
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


# ---------------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser_context() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    for old_shot in ARTIFACTS.glob("*.png"):
        old_shot.unlink()  # this run's screenshots only
    profile = tempfile.mkdtemp(prefix="leadcenter-chromium-")
    downloads = ARTIFACTS / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
            downloads_path=str(downloads),
            locale="en-US",
            timezone_id="UTC",
        )
        context.set_default_timeout(15_000)
        expect.set_options(timeout=15_000)  # the local runner shares a small machine with the seeding
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def session_problems() -> Problems:
    return Problems()


@pytest.fixture(scope="session")
def page(browser_context: Any, server: Server, session_problems: Problems) -> Iterator[Any]:
    problems = session_problems
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.console.append(f"console error: {message.text} [{message.location.get('url', '')}]")

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.console.append(f"page error: {e}"))
    # A request the page aborts itself (a superseded fetch, via AbortController) is not a failed request.
    page.on(
        "requestfailed",
        lambda r: (
            None
            if r.failure == "net::ERR_ABORTED"
            else problems.failed.append(f"request failed: {r.method} {r.url} ({r.failure})")
        ),
    )

    def on_request(request: Any) -> None:
        problems.urls.append(request.url)
        problems.in_flight.add(request)

    def on_request_done(request: Any) -> None:
        problems.in_flight.discard(request)

    page.on("request", on_request)
    page.on("requestfinished", on_request_done)
    page.on("requestfailed", on_request_done)
    page.on("framenavigated", lambda f: problems.urls.append(f.url))

    def on_response(response: Any) -> None:
        if response.status >= 400:
            problems.http_errors.append((response.status, response.request.method, response.url))
        collect_personal(response, problems)

    page.on("response", on_response)
    yield page


@pytest.fixture()
def problems(page: Any, session_problems: Problems) -> Problems:
    """Fresh per test; checked by the test itself at its end (so a failure names its real cause first)."""
    # A test that failed half-way may have left requests running and a dialog open over the page.
    session_problems.settle(page)
    page.evaluate("() => document.querySelectorAll('dialog[open]').forEach(d => d.close())")
    session_problems.reset()
    return session_problems
