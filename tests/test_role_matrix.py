"""Issue 4 (lead access): the whole role matrix, generated from template.yaml.

Every API route x every persona gets the status the access rules promise. A route of the template that is not
classified here fails the test, so no route escapes the matrix. The expectations are written from the rules
(issue text), not read from the implementation's policy table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.support import Api, valid_body

# What a route needs, by (method, path pattern). First match wins.
RULES: list[tuple[str, str, str]] = [
    ("*", r"^/openapi\.json$", "public"),
    ("*", r"^/webhooks/messages$", "signed"),
    ("*", r"^/review/", "platform"),
    ("*", r"^/accounts$", "signed_in"),
    ("*", r"^/notifications(/|$)", "signed_in"),  # the caller's own inbox, across accounts
    ("*", r"/members", "admin"),
    ("POST", r"/lead-access/transfer$", "ad_admin"),
    ("GET", r"/lead-access$", "admin"),
    ("*", r"/auto-capture$|/auto-capture/privacy-policy-upload$|/attribution$", "admin"),
    ("GET", r"/forms", "anyone"),
    ("*", r"/forms", "admin_operator"),
    ("*", r"/exports$|/download$", "download"),
    ("*", r"/integrations/", "crm"),
    ("GET", r"/(campaigns|adgroups|ads)(/|$)", "lead_ads_view"),
    ("*", r"/(campaigns|adgroups|ads)(/|$)", "lead_ads_edit"),
    ("*", r"/leads|/labels|/summary$|/conversations/|/reports/|/jobs/", "leads"),
]

PERSONAS = ["admin", "operator", "analyst", "non_member", "other_admin", "bc_none", "bc_leads", "bc_download",
            "bc_crm", "bc_admin", "agency_after_transfer"]  # fmt: skip


def rule_for(method: str, path: str) -> str:
    for rule_method, pattern, need in RULES:
        if rule_method in ("*", method) and re.search(pattern, path):
            return need
    raise AssertionError(f"{method} {path} is not classified in the role matrix")


def expected(need: str, persona: str) -> int | str:
    """'ok' (anything but 401/403/account-404), or the exact status."""
    if persona in ("non_member", "other_admin"):
        return 404
    on_bc = persona.startswith("bc_")
    role = {"admin": "admin", "operator": "operator", "analyst": "analyst", "agency_after_transfer": "admin",
            "bc_admin": "admin"}.get(persona, "operator")  # fmt: skip
    scope = {"bc_leads": "leads_center", "bc_download": "download", "bc_crm": "crm"}.get(persona)
    if need == "anyone":
        return "ok"
    if need in ("lead_ads_view", "lead_ads_edit"):
        # Only ad accounts have lead ads (a Business Center: 403 for every role); not a lead action, so a transfer
        # of lead access leaves them with the ad account.
        if on_bc:
            return 403
        return "ok" if need == "lead_ads_view" or role in ("admin", "operator") else 403
    if need == "admin_operator":
        return "ok" if role in ("admin", "operator") else 403
    if need == "admin":
        return "ok" if role == "admin" else 403
    if need == "ad_admin":
        return "ok" if role == "admin" and not on_bc else 403
    needed_scope = {"leads": "leads_center", "download": "download", "crm": "crm"}[need]
    if persona == "agency_after_transfer":
        return 403
    if on_bc:
        return "ok" if role == "admin" or scope == needed_scope else 403
    return "ok" if role == "admin" else 403


@dataclass
class World:
    api: Api
    ad: str
    bc: str
    transferred_ad: str
    bc_lead: str
    lead: str


@pytest.fixture(scope="module")
def world(gateway) -> World:
    api = Api(gateway)
    ad = api.account("m-admin", "ad_account", "SG")
    for user, role in [("m-operator", "operator"), ("m-analyst", "analyst")]:
        api.ok("PUT", f"/accounts/{ad}/members/{user}", "m-admin", json_body={"role": role})
    api.account("m-other", "ad_account", "SG")
    bc = api.account("m-bc-admin", "business_center", "SG")
    for user, scopes in [("m-bc-none", []), ("m-bc-leads", ["leads_center"]), ("m-bc-download", ["download"]),
                         ("m-bc-crm", ["crm"])]:  # fmt: skip
        api.ok(
            "PUT", f"/accounts/{bc}/members/{user}", "m-bc-admin", json_body={"role": "operator", "lead_access": scopes}
        )
    transferred = api.account("m-agency", "ad_account", "SG")
    bc_lead = api.lead(transferred, "m-agency")["id"]
    api.ok("POST", f"/accounts/{transferred}/lead-access/transfer", "m-agency", expect=201,
           json_body={"business_center_id": bc, "confirm": True})  # fmt: skip
    lead = api.lead(ad, "m-admin")["id"]
    return World(api, ad, bc, transferred, bc_lead, lead)


USERS = {"admin": "m-admin", "operator": "m-operator", "analyst": "m-analyst", "non_member": "m-nobody",
         "other_admin": "m-other", "bc_none": "m-bc-none", "bc_leads": "m-bc-leads", "bc_download": "m-bc-download",
         "bc_crm": "m-bc-crm", "bc_admin": "m-bc-admin", "agency_after_transfer": "m-agency"}  # fmt: skip


def _account_for(world: World, persona: str) -> tuple[str, str]:
    if persona.startswith("bc_"):
        return world.bc, world.bc_lead
    if persona == "agency_after_transfer":
        return world.transferred_ad, world.bc_lead
    return world.ad, world.lead


def _fill(path: str, account: str, lead: str) -> str:
    values = {"account_id": account, "lead_id": lead}
    return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "missing0"), path)


def _query(path: str) -> str:
    return "group_by=campaign" if path.endswith("/reports/leads") else ""


def test_every_template_route_is_classified(stack):
    for route in stack.api_routes():
        rule_for(route.method, route.path)


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_matrix(world, stack, persona):
    problems = []
    for route in sorted(stack.api_routes(), key=lambda r: (r.path, r.method)):
        need = rule_for(route.method, route.path)
        if need in ("public", "signed", "platform", "signed_in"):
            continue
        if route.method == "DELETE" and route.path.endswith("/members/{user_id}"):
            continue  # would remove the persona's own fixture members; covered in test_members
        account, lead = _account_for(world, persona)
        path = _fill(route.path, account, lead)
        if route.method == "DELETE" and route.path.endswith("/leads/{lead_id}"):
            path = path.replace(lead, "01ARZ3NDEKTSV4RRFFQ69G5FAV-sg")  # keep the fixture lead
        body = valid_body(route.method, route.path)
        reply = world.api.call(route.method, path, USERS[persona], json_body=body, query=_query(route.path))
        want = expected(need, persona)
        code = (reply.json() or {}).get("error", {}).get("code") if reply.body.startswith("{") else None
        if want == "ok":
            account_hidden = reply.status == 404 and "account" in reply.body and "not found" in reply.body
            if reply.status in (401, 403) or account_hidden or reply.status >= 500:
                problems.append(f"{route.method} {route.path}: {reply.status} {code}, wanted allowed")
        elif reply.status != want:
            problems.append(f"{route.method} {route.path}: {reply.status} {code}, wanted {want}")
    assert not problems, f"{persona}:\n" + "\n".join(problems)


def test_unsigned_routes_need_a_token(world, stack):
    for route in stack.api_routes():
        if rule_for(route.method, route.path) in ("public", "signed"):
            continue
        reply = world.api.call(route.method, _fill(route.path, world.ad, world.lead), None)
        assert reply.status == 401, (route.method, route.path, reply.status)
