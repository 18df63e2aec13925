"""Issue 6: jobs are refused up front when invalid (422, nothing queued) and follow the single routes' rules."""

from __future__ import annotations

import json

import pytest

from tests.helpers.jobs import drain, job, new_admin, purge, queued_count, seed


@pytest.fixture(autouse=True)
def empty_queue():
    purge()
    yield
    purge()


@pytest.fixture
def world(api):
    admin = new_admin()
    account = api.account(admin)
    for user, role in ((f"{admin}-op", "operator"), (f"{admin}-an", "analyst"), (f"{admin}-ad2", "admin")):
        api.ok("PUT", f"/accounts/{account}/members/{user}", admin, json_body={"role": role})
    label = api.ok("POST", f"/accounts/{account}/labels", admin, expect=201, json_body={"name": "Hot"})
    lead = api.lead(account, admin)
    return {"admin": admin, "account": account, "label": label["id"], "lead": lead["id"]}


def test_invalid_jobs_are_refused_with_422_and_nothing_is_queued(api, world):
    admin, account, lead = world["admin"], world["account"], world["lead"]
    invalid = [
        {"action": "set_status", "value": "qualified"},  # neither lead_ids nor filter
        {"action": "set_status", "value": "qualified", "lead_ids": [lead], "filter": {}},  # both
        {"action": "set_status", "lead_ids": [lead]},  # no value
        {"action": "set_status", "value": "won", "lead_ids": [lead]},
        {"action": "set_status", "value": ["qualified"], "lead_ids": [lead]},
        {"action": "add_labels", "value": ["no-such-label"], "lead_ids": [lead]},
        {"action": "add_labels", "value": [], "lead_ids": [lead]},
        {"action": "remove_labels", "value": world["label"], "lead_ids": [lead]},  # not a list
        {"action": "set_assignee", "value": f"{admin}-op", "lead_ids": [lead]},  # operators cannot own leads
        {"action": "set_assignee", "value": "stranger", "lead_ids": [lead]},
        {"action": "set_assignee", "lead_ids": [lead]},  # unassigning takes an explicit null
        {"action": "delete", "value": "qualified", "lead_ids": [lead]},
        {"action": "archive", "lead_ids": [lead]},
        {"action": "set_status", "value": "qualified", "lead_ids": []},
        {"action": "set_status", "value": "qualified", "lead_ids": ["bad id!"]},
        {"action": "set_status", "value": "qualified", "lead_ids": [lead] * 10_001},
        {"action": "set_status", "value": "qualified", "filter": {"colour": "red"}},
        {"action": "set_status", "value": "qualified", "filter": {"status": "won"}},
        {"action": "set_status", "value": "qualified", "filter": {"expiring_within_days": 400}},
        {"action": "set_status", "value": "qualified", "lead_ids": [lead], "priority": "high"},
    ]
    for body in invalid:
        reply = api.call("POST", f"/accounts/{account}/leads/bulk", admin, json_body=body)
        assert reply.status == 422, (json.dumps(body)[:120], reply.status, reply.body[:300])
        assert "error" in reply.json()
    for body in ({"filter": {"source": "fax"}}, {"filter": {"status": "raw"}, "format": "xlsx"}, {"filter": []}):
        reply = api.call("POST", f"/accounts/{account}/exports", admin, json_body=body)
        assert reply.status == 422, (body, reply.body[:300])
    assert queued_count() == 0


def test_valid_variants_are_accepted(api, world):
    admin, account, lead = world["admin"], world["account"], world["lead"]
    for body in (
        {"action": "set_assignee", "value": None, "lead_ids": [lead]},
        {"action": "set_assignee", "value": f"{admin}-ad2", "filter": {"status": "raw"}},
        {"action": "add_labels", "value": [world["label"]], "filter": {}},
        {"action": "delete", "lead_ids": [lead, lead]},
    ):
        assert api.call("POST", f"/accounts/{account}/leads/bulk", admin, json_body=body).status == 202, body
    assert queued_count() == 4


def test_operators_and_analysts_of_an_ad_account_cannot_run_or_read_jobs(api, world):
    admin, account, lead = world["admin"], world["account"], world["lead"]
    job_id = api.ok("POST", f"/accounts/{account}/exports", admin, expect=202, json_body={})["job_id"]
    purge()
    for user in (f"{admin}-op", f"{admin}-an"):
        for body in (
            {"action": "set_status", "value": "qualified", "lead_ids": [lead]},
            {"action": "delete", "lead_ids": [lead]},
        ):
            assert api.call("POST", f"/accounts/{account}/leads/bulk", user, json_body=body).status == 403
        assert api.call("POST", f"/accounts/{account}/exports", user, json_body={}).status == 403
        assert api.call("GET", f"/accounts/{account}/jobs/{job_id}", user).status == 403
        assert api.call("GET", f"/accounts/{account}/jobs/{job_id}/download", user).status == 403
    # Someone outside the account does not learn that it exists
    assert api.call("GET", f"/accounts/{account}/jobs/{job_id}", "outsider").status == 404
    assert api.call("POST", f"/accounts/{account}/exports", "outsider", json_body={}).status == 404
    assert queued_count() == 0


def test_business_center_scopes_decide_bulk_and_export(api):
    brand = new_admin("brand")
    bc = api.account(brand, "business_center", "SG")
    api.ok("PUT", f"/accounts/{bc}/members/{brand}-leads", brand,
           json_body={"role": "operator", "lead_access": ["leads_center"]})  # fmt: skip
    api.ok("PUT", f"/accounts/{bc}/members/{brand}-dl", brand,
           json_body={"role": "operator", "lead_access": ["download"]})  # fmt: skip
    bulk = {"action": "set_status", "value": "contacted", "filter": {}}
    assert api.call("POST", f"/accounts/{bc}/leads/bulk", f"{brand}-leads", json_body=bulk).status == 202
    assert api.call("POST", f"/accounts/{bc}/exports", f"{brand}-leads", json_body={}).status == 403
    assert api.call("POST", f"/accounts/{bc}/exports", f"{brand}-dl", json_body={}).status == 202
    assert api.call("POST", f"/accounts/{bc}/leads/bulk", f"{brand}-dl", json_body=bulk).status == 403


def test_ten_thousand_unknown_ids_are_accepted_and_reported_with_a_capped_error_list(api, gateway, world):
    admin, account = world["admin"], world["account"]
    # Valid-looking ids (ULID + region tag) of leads that do not exist: the body is larger than the usual cap
    lead_ids = [f"01J{n:023d}-sg" for n in range(10_000)]
    reply = api.call("POST", f"/accounts/{account}/leads/bulk", admin,
                     json_body={"action": "set_status", "value": "qualified", "lead_ids": lead_ids})  # fmt: skip
    assert reply.status == 202, reply.body[:300]
    drain(gateway)
    result = job(api, account, admin, reply.json()["job_id"])
    assert (result["state"], result["total"], result["done"], result["failed"]) == ("failed", 10_000, 0, 10_000)
    assert len(result["errors"]) == 100 and {e["code"] for e in result["errors"]} == {"not_found"}


def test_a_filter_matching_more_than_ten_thousand_leads_fails_the_job_when_it_starts(api, gateway, monkeypatch):
    from leadcenter.domain import jobs as domain

    admin = new_admin()
    account = api.account(admin)
    seed(account, 4)
    monkeypatch.setattr(domain, "MAX_BULK_LEADS", 3)
    job_id = api.ok("POST", f"/accounts/{account}/leads/bulk", admin, expect=202,
                    json_body={"action": "set_status", "value": "contacted", "filter": {}})["job_id"]  # fmt: skip
    drain(gateway)
    result = job(api, account, admin, job_id)
    assert result["state"] == "failed" and result["failure"]["code"] == "too_many_leads"
    assert result["total"] == 0 and "narrow" in result["failure"]["message"]


def test_unknown_jobs_are_404(api, world):
    admin, account = world["admin"], world["account"]
    assert api.call("GET", f"/accounts/{account}/jobs/01J00000000000000000000000", admin).status == 404
    assert api.call("GET", f"/accounts/{account}/jobs/01J00000000000000000000000/download", admin).status == 404


@pytest.mark.parametrize(
    "action,value,field",
    [
        ("set_status", "won", "set_status.value"),  # not a status
        ("set_status", ["qualified"], "set_status.value"),
        ("set_status", None, "set_status.value"),
        ("add_labels", [], "add_labels.value"),  # empty
        ("add_labels", "hot", "add_labels.value"),  # not a list
        ("add_labels", [7], "add_labels.value.0"),  # not a label id
        ("add_labels", ["x"] * 51, "add_labels.value"),  # too many
        ("remove_labels", [], "remove_labels.value"),
        ("remove_labels", {"id": "hot"}, "remove_labels.value"),
        ("remove_labels", ["Bad Label!"], "remove_labels.value.0"),
        ("set_assignee", ["someone"], "set_assignee.value"),
        ("set_assignee", 42, "set_assignee.value"),
        ("set_assignee", "not a user id!", "set_assignee.value"),
        ("delete", "qualified", "delete.value"),
        ("delete", [], "delete.value"),
    ],
)
def test_a_wrong_value_for_each_action_is_refused_by_validation_naming_the_field(api, world, action, value, field):
    body = {"action": action, "value": value, "lead_ids": [world["lead"]]}
    reply = api.call("POST", f"/accounts/{world['account']}/leads/bulk", world["admin"], json_body=body)
    assert reply.status == 422, (body, reply.body[:300])
    error = reply.json()["error"]
    assert error["code"] == "validation_failed"
    assert field in {problem["field"] for problem in error["problems"]}, error
    assert error["message"].startswith(f"{field}: "), error
    assert queued_count() == 0


@pytest.mark.parametrize("action", ["set_status", "add_labels", "remove_labels", "set_assignee"])
def test_an_action_that_needs_a_value_is_refused_without_one(api, world, action):
    body = {"action": action, "lead_ids": [world["lead"]]}
    reply = api.call("POST", f"/accounts/{world['account']}/leads/bulk", world["admin"], json_body=body)
    assert reply.status == 422, reply.body[:300]
    problems = reply.json()["error"]["problems"]
    assert {"field": f"{action}.value", "problem": "missing"} in [
        {"field": p["field"], "problem": p["problem"]} for p in problems
    ], problems
    assert queued_count() == 0


@pytest.mark.parametrize("body", [{"action": "archive"}, {"value": "qualified"}, {"action": None}])
def test_an_unknown_or_missing_action_names_the_action_field(api, world, body):
    body = {**body, "lead_ids": [world["lead"]]}
    reply = api.call("POST", f"/accounts/{world['account']}/leads/bulk", world["admin"], json_body=body)
    assert reply.status == 422, reply.body[:300]
    error = reply.json()["error"]
    assert error["code"] == "validation_failed" and error["problems"][0]["field"] == "action", error
    assert queued_count() == 0


def test_delete_accepts_an_explicit_null_value_and_jobs_keep_their_typed_value(api, world):
    admin, account, lead = world["admin"], world["account"], world["lead"]
    twice = [world["label"], world["label"]]
    labelled = api.ok("POST", f"/accounts/{account}/leads/bulk", admin, expect=202,
                      json_body={"action": "add_labels", "value": twice, "lead_ids": [lead]})  # fmt: skip
    assert job(api, account, admin, labelled["job_id"])["value"] == [world["label"]]
    status = api.ok("POST", f"/accounts/{account}/leads/bulk", admin, expect=202,
                    json_body={"action": "set_status", "value": "contacted", "lead_ids": [lead]})  # fmt: skip
    assert job(api, account, admin, status["job_id"])["value"] == "contacted"
    deleted = api.ok("POST", f"/accounts/{account}/leads/bulk", admin, expect=202,
                     json_body={"action": "delete", "value": None, "lead_ids": [lead]})  # fmt: skip
    assert job(api, account, admin, deleted["job_id"])["value"] is None
