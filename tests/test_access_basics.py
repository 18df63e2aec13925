"""Issue 2: operators, analysts, non-members and other accounts' admins never reach an ad account's leads."""

from __future__ import annotations

import re

import pytest

from tests.support import Api, valid_body

LEAD_ROUTE = re.compile(r"^/accounts/\{account_id\}/leads")


def _lead_routes(stack):
    return sorted({(r.method, r.path) for r in stack.api_routes() if LEAD_ROUTE.match(r.path)})


def _fill(path: str, account: str, lead_id: str) -> str:
    return (
        path.replace("{account_id}", account)
        .replace("{lead_id}", lead_id)
        .replace("{note_id}", "missing")
        .replace("{label_id}", "missing")
    )


@pytest.fixture(scope="module")
def setup(gateway):
    api = Api(gateway)
    account = api.account("owner-admin")
    for user, role in [("op", "operator"), ("an", "analyst")]:
        api.ok("PUT", f"/accounts/{account}/members/{user}", "owner-admin", json_body={"role": role})
    api.account("stranger-admin")
    lead = api.lead(account, "owner-admin")
    return api, account, lead["id"]


@pytest.mark.parametrize("who,expected", [("op", 403), ("an", 403), ("nobody", 404), ("stranger-admin", 404)])
def test_non_admins_are_denied_every_lead_route(setup, stack, who, expected):
    api, account, lead_id = setup
    routes = _lead_routes(stack)
    assert len(routes) >= 6
    for method, path in routes:
        reply = api.call(
            method,
            _fill(path, account, lead_id),
            who,
            json_body=valid_body(method, path),
        )
        assert reply.status == expected, (method, path, reply.status, reply.body)
        assert reply.json()["error"]["code"] in ("forbidden", "not_found")
    # and the lead is untouched
    assert api.ok("GET", f"/accounts/{account}/leads/{lead_id}", "owner-admin")["status"] == "raw"


def test_no_token_is_401(api):
    reply = api.call("GET", "/accounts", None)
    assert reply.status == 401 and reply.json()["error"]["code"] == "unauthorized"
