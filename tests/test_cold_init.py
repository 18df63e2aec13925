"""Issue 18 (cost per request), cold init: a function's handler module imports only what its routes need at init
(bench/bench_cold_init.py times it; these checks are the deterministic part: `sys.modules` of a fresh interpreter)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadcenter.api import ROUTER_MODULES
from leadcenter.api.routing import LazyRouters, router_module
from local.template import Stack

ROOT = Path(__file__).resolve().parents[1]
ROUTERS = [*ROUTER_MODULES, "leadcenter.api.openapi"]
# Built or imported by a few code paths only: no handler module may pay for them at init.
NEVER_AT_INIT = [
    "aws_lambda_powertools.event_handler.openapi.models",  # the OpenAPI document's models (~80 ms)
    "aws_lambda_powertools.utilities.parser",  # Powertools' pydantic event models; we read data classes
    "aws_xray_sdk",
    "phonenumbers",
    "leadcenter.contacts",
    "leadcenter.adapters.salesforce",
]
NO_BATCH_UTILITY = ["aws_lambda_powertools.utilities.batch", "asyncio", "aws_lambda_powertools.utilities.data_classes"]
# What a function must not import at init, beyond NEVER_AT_INIT.
NOT_AT_INIT: dict[str, list[str]] = {
    # Routers are imported by the first request for one of their routes (leadcenter.api.routing).
    "leads": [*ROUTERS, "pynamodb", "boto3", "cryptography"],
    "integrations": [*ROUTERS, "pynamodb", "boto3", "cryptography"],
    # The webhook checks a signature and queues the raw event: no store, no encryption, no contact detection.
    "capture": ["pynamodb", "boto3", "cryptography", "leadcenter.domain.capture", "leadcenter.crypto"],
    # Its one router takes the path parameter types from `api.params`: no other router, no shared models.
    "transfer": [m for m in ROUTERS if m != "leadcenter.api.lead_access"] + ["boto3", "leadcenter.api.schemas"],
    "crm_stream": ["boto3", "pynamodb", "cryptography", *ROUTERS],
    "retention": ["boto3", *ROUTERS],
    # Workers: no API routers, no Powertools batch utility (nor the asyncio it imports) nor event data classes
    # (`leadcenter.sqs_worker` has its own loop and record); idempotency (and boto3) only for idempotent steps.
    # Only an event that creates a lead needs the lead domain, encryption (a lead's personal data) or our ads.
    "capture_worker": [
        *ROUTERS,
        *NO_BATCH_UTILITY,
        "boto3",
        "cryptography",
        "leadcenter.domain.leads",
        "leadcenter.domain.notifications",
        "leadcenter.store.lead_ads",
        "leadcenter.store.privacy_policies",
    ],
    "crm_delivery": [*ROUTERS, *NO_BATCH_UTILITY],
    "jobs_worker": [*ROUTERS, *NO_BATCH_UTILITY, "boto3", "aws_lambda_powertools.utilities.idempotency"],
    "jobs_dead_letter": [*ROUTERS, *NO_BATCH_UTILITY, "boto3", "aws_lambda_powertools.utilities.idempotency"],
}

IMPORT = """
import gc, importlib, json, sys
importlib.import_module({module!r})
from leadcenter import aws
clients = aws._client.cache_info().currsize
print(json.dumps({{"modules": sorted(sys.modules), "clients": clients, "gc": gc.isenabled()}}))
"""


def _functions() -> dict[str, str]:
    functions = {}
    for function in Stack.from_template().functions().values():
        name = function.code_uri.rstrip("/").rsplit("/", 1)[-1]
        functions[name] = function.code_uri.replace("/", ".") + "." + function.handler.rsplit(".", 1)[0]
    return functions


def _cold_import(module: str) -> dict[str, object]:
    env = {
        "PATH": os.environ["PATH"],
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "leadcenter"), str(ROOT)]),
    }
    out = subprocess.run(
        [sys.executable, "-c", IMPORT.format(module=module)], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.splitlines()[-1]))


def test_every_function_of_the_template_has_its_list():
    assert set(_functions()) == set(NOT_AT_INIT)


@pytest.mark.parametrize("function", sorted(NOT_AT_INIT))
def test_a_handler_module_imports_only_what_its_init_needs(function):
    # Given a fresh interpreter, as Lambda's INIT phase has
    # When it imports the function's handler module
    loaded = _cold_import(_functions()[function])
    modules = set(loaded["modules"])  # type: ignore[arg-type]
    # Then nothing that a request can import when it needs it is there, and no AWS client was made
    unwanted = [name for name in NEVER_AT_INIT + NOT_AT_INIT[function] if name in modules]
    assert unwanted == [], f"{function} imports at init: {unwanted}"
    assert loaded["clients"] == 0
    assert loaded["gc"] is True  # `cold_start.collector_paused` turns the collector back on


@pytest.mark.parametrize("module", ROUTERS)
def test_every_route_of_a_router_is_found_by_its_resource_path(module):
    router = importlib.import_module(module).router
    for rule, *_ in router._routes:
        resource = rule.replace("<", "{").replace(">", "}")
        assert router_module(resource) == module, resource


def test_every_template_route_of_a_lazily_routed_function_reaches_a_router_of_that_function():
    functions = {name: importlib.import_module(module) for name, module in _functions().items()}
    for route in Stack.from_template().api_routes():
        app = getattr(functions[_name(route.function)], "app", None)
        if isinstance(app, LazyRouters):
            assert router_module(route.path) in app.modules, (route.function, route.path)


def test_a_resource_no_router_serves_gets_the_404_of_a_resolver_without_routes():
    routers = LazyRouters("leadcenter.api.notifications")
    event = {"resource": "/accounts/{account_id}/leads", "path": "/accounts/a/leads", "httpMethod": "GET"}
    assert routers.resolver(event)._static_routes == [] and routers.resolver(event)._dynamic_routes == []
    assert "leadcenter.api.leads" not in {m for m in routers.modules}


def _name(logical_id: str) -> str:
    functions = Stack.from_template().functions()
    return functions[logical_id].code_uri.rstrip("/").rsplit("/", 1)[-1]


def test_the_collector_is_off_during_a_handler_modules_imports_and_on_after_with_what_they_built_frozen():
    import gc

    from leadcenter.cold_start import collector_paused

    frozen_before = gc.get_freeze_count()
    try:
        # When a handler module imports under `collector_paused`
        with collector_paused():
            during = gc.isenabled()
            built = [[] for _ in range(100)]  # stands for what INIT builds (lists: tracked by the collector)
        # Then no collection ran during its imports, and afterwards the collector is on again without walking them
        assert during is False
        assert gc.isenabled() is True
        assert gc.get_freeze_count() >= frozen_before + len(built)
    finally:
        gc.unfreeze()  # this test process goes on collecting as before
