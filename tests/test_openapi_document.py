"""The OpenAPI document: security as the template deploys it, one domain tag and a unique camelCase
operationId per operation, and the input constraints the server enforces stated in it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from leadcenter.api.openapi import BEARER, IAM, SIGNATURE, TAGS, document
from leadcenter.regions import region_router
from local.template import Stack, load

METHODS = {"get", "put", "post", "patch", "delete"}
CAMEL = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return json.loads(document())


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    ]


def _template_auth() -> dict[tuple[str, str], str]:
    """(METHOD, path) -> the authorizer template.yaml puts in front of it."""
    auth: dict[tuple[str, str], str] = {}
    for spec in load()["Resources"].values():
        for event in (spec.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            p = event["Properties"]
            auth[(p["Method"].upper(), p["Path"])] = p.get("Auth", {}).get("Authorizer", "CognitoAuthorizer")
    return auth


def test_security_schemes_are_declared(doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes[BEARER] == {**schemes[BEARER], "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes[SIGNATURE]["type"] == "apiKey"
    assert schemes[SIGNATURE]["in"] == "header" and schemes[SIGNATURE]["name"] == "X-Signature"
    assert "HMAC-SHA256" in schemes[SIGNATURE]["description"] and "t=" in schemes[SIGNATURE]["description"]
    assert doc["security"] == [{BEARER: []}]


def test_each_operation_is_secured_as_the_template_deploys_it(doc):
    auth = _template_auth()
    expected = {"CognitoAuthorizer": [{BEARER: []}], "NONE": [{SIGNATURE: []}], "AWS_IAM": [{IAM: []}]}
    documented = operations(doc)
    assert len(documented) >= 70
    for method, path, op in documented:
        authorizer = auth[(method, path)]
        effective = op.get("security", doc["security"])
        assert effective == expected[authorizer], f"{method} {path}: {effective} but template says {authorizer}"
    assert [(m, p) for m, p, _ in documented if auth[(m, p)] == "NONE"] == [("POST", "/webhooks/messages")]
    assert "/openapi.json" not in doc["paths"]
    # every routed template path is documented (the OpenAPI route itself aside)
    routes = {(r.method, r.path) for r in Stack.from_template().api_routes()}
    assert routes - {(m, p) for m, p, _ in documented} == {("GET", "/openapi.json")}


def test_every_operation_has_one_domain_tag_and_a_unique_camel_case_operation_id(doc):
    assert [t["name"] for t in doc["tags"]] == list(TAGS)
    seen: dict[str, str] = {}
    for method, path, op in operations(doc):
        assert op.get("tags") and len(op["tags"]) == 1 and op["tags"][0] in TAGS, f"{method} {path}: {op.get('tags')}"
        operation_id = op.get("operationId", "")
        assert CAMEL.match(operation_id), f"{method} {path}: {operation_id!r} is not camelCase"
        assert operation_id not in seen, f"{operation_id} is on {seen.get(operation_id)} and {method} {path}"
        seen[operation_id] = f"{method} {path}"
    for expected in ("listLeads", "getLead", "patchLead", "deleteLead", "createExport", "listCampaigns"):
        assert expected in seen
    assert {op["tags"][0] for _, _, op in operations(doc)} == set(TAGS)


def test_constraints_the_server_enforces_are_stated(doc):
    schemas = doc["components"]["schemas"]
    country = re.compile(schemas["AccountIn"]["properties"]["country"]["pattern"])
    assert schemas["LeadIn"]["properties"]["region"]["pattern"] == country.pattern
    # the ISO codes the server knows, in either case, and nothing else
    assert all(country.match(code) for code in ("SG", "sg", "Sg", "GB", "ZW")) and not country.match("XX")
    assert not any(country.match(code) for code in ("EX", "eX", "S", "SGP"))
    assert {c for c in region_router().countries if country.match(c)} == region_router().countries
    for name in ("AccountIn", "LeadIn", "LeadPatchIn"):
        assert schemas[name].get("examples"), f"{name} has no example"
    assert schemas["AccountIn"]["properties"]["type"]["enum"] == ["ad_account", "business_center"]
    cursors = 0
    for method, path, op in operations(doc):
        for parameter in op.get("parameters", []):
            schema = parameter["schema"]
            if parameter["in"] == "path":
                assert schema.get("pattern") and schema.get("maxLength"), f"{method} {path}: {parameter['name']}"
            if parameter["name"] == "cursor":
                cursors += 1
                string = next(s for s in schema["anyOf"] if s.get("type") == "string")
                assert string["pattern"] and string["maxLength"] == 2048, f"{method} {path}"
                assert parameter.get("description"), f"{method} {path}: cursor undescribed"
            if parameter["name"] == "limit":
                assert (schema.get("minimum"), schema.get("maximum")) == (1, 100), f"{method} {path}"
    assert cursors >= 8
    lead_id = next(p for p in doc["paths"]["/accounts/{account_id}/leads/{lead_id}"]["get"]["parameters"]
                   if p["name"] == "lead_id")  # fmt: skip
    assert "<ULID>-<tag>" in lead_id["description"]
    if_match = next(p for p in doc["paths"]["/accounts/{account_id}/leads/{lead_id}"]["patch"]["parameters"]
                    if p["in"] == "header")  # fmt: skip
    assert if_match["schema"]["type"] == "string" and re.compile(if_match["schema"]["pattern"]).match('W/"7"')
    assert schemas["LeadPatchIn"]["properties"]["contact"] == {
        **schemas["LeadPatchIn"]["properties"]["contact"],
        "$ref": "#/components/schemas/Contact",
    }  # absent is "unchanged"; null is refused, so not offered
    assert schemas["LeadPatchIn"]["properties"]["status"] == {
        "$ref": "#/components/schemas/LeadStatus",
        "title": "Status",
    }
    assert schemas["LeadPatchIn"]["minProperties"] == 1  # `{}` is "nothing to change", a 400
    assert schemas["AttributionWindowsIn"]["properties"]["click_window_days"]["anyOf"][0]["minimum"] == 1
    assert schemas["TransferIn"]["properties"]["confirm"]["const"] is True
    assert schemas["WebhookIn"]["properties"]["events"]["uniqueItems"] is True
    download = doc["paths"]["/accounts/{account_id}/jobs/{job_id}/download"]["get"]["responses"]["302"]
    assert download["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/DownloadOut"}


@pytest.mark.parametrize(
    ("query", "status"),
    [("updated_since=0.5", 422), ("created_from=1700000000", 422), ("updated_since=2026-01-01T00:00:00Z", 200)],
)
def test_a_date_time_is_an_iso_string_not_unix_seconds(api, query, status):
    account = api.ok("POST", "/accounts", "iso-admin", expect=201,
                     json_body={"name": "Iso", "type": "ad_account", "country": "SG"})["id"]  # fmt: skip
    assert api.call("GET", f"/accounts/{account}/leads", "iso-admin", query=query).status == status


@pytest.mark.parametrize("body", [{"view_window_days": False}, {"click_window_days": True}])
def test_a_boolean_is_not_an_integer(api, body):
    account = api.ok("POST", "/accounts", "bool-admin", expect=201,
                     json_body={"name": "Bool", "type": "ad_account", "country": "SG"})["id"]  # fmt: skip
    assert api.call("PUT", f"/accounts/{account}/attribution", "bool-admin", json_body=body).status == 422
    assert api.call("PUT", f"/accounts/{account}/attribution", "bool-admin",
                    json_body={"view_window_days": 3.0}).status == 200  # fmt: skip


def test_a_lower_case_country_is_accepted_and_stored_upper_case(api):
    # The document's pattern admits either case, as the server always has: the code is stored upper case.
    created = api.ok("POST", "/accounts", "country-case-admin", expect=201,
                     json_body={"name": "Case", "type": "ad_account", "country": "sg"})  # fmt: skip
    assert created["country"] == "SG"


@pytest.mark.parametrize("if_match", ["²", "1" * 5000, "null", "7 8"])
def test_an_if_match_outside_its_pattern_is_400(api, if_match):
    # `isdigit()` took "²" and a 5000-digit version, which int() then refused: a 500 before the pattern
    account = api.ok("POST", "/accounts", "etag-admin", expect=201,
                     json_body={"name": "Etag", "type": "ad_account", "country": "SG"})["id"]  # fmt: skip
    lead = api.ok("POST", f"/accounts/{account}/leads", "etag-admin", expect=201,
                  json_body={"region": "SG", "contact": {"name": "Wei"}})  # fmt: skip
    path = f"/accounts/{account}/leads/{lead['id']}"
    reply = api.call("PATCH", path, "etag-admin", json_body={"status": "qualified"}, headers={"If-Match": if_match})
    assert reply.status == 400 and "If-Match" in reply.json()["error"]["message"], reply.body


def test_creates_link_to_the_operations_that_take_their_id(doc):
    def links(path: str, method: str, status: str) -> dict[str, Any]:
        return dict(doc["paths"][path][method]["responses"][status]["links"])

    lead = links("/accounts/{account_id}/leads", "post", "201")["getLead"]
    parameters = {"account_id": "$request.path.account_id", "lead_id": "$response.body#/id"}
    assert lead == {"operationId": "getLead", "parameters": parameters}
    assert links("/accounts/{account_id}/exports", "post", "202")["getJob"]["parameters"]["job_id"] == (
        "$response.body#/job_id"
    )
    # a new account links to its lists and creates, not to a connector that is a 404 until it is set up
    account = links("/accounts", "post", "201")
    assert {"listLeads", "createLead", "connectSalesforce", "applyForAutoCapture"} <= set(account)
    assert not {"getSalesforceConnector", "getAutoCapture", "testSalesforceConnector"} & set(account)
    assert "testSalesforceConnector" in links("/accounts/{account_id}/integrations/salesforce", "post", "200")
    responses = [r for ops in doc["paths"].values() for op in ops.values() for r in op.get("responses", {}).values()]
    targets = {link["operationId"] for response in responses for link in response.get("links", {}).values()}
    ids = {op["operationId"] for ops in doc["paths"].values() for op in ops.values()}
    assert targets <= ids and len(targets) >= 40
