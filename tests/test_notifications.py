"""Issue "5 of 6": notifications. Who gets each type, who does not, no personal data in them; reading, read-all,
the unread filter and paging."""

from __future__ import annotations

import uuid
from typing import Any

import boto3

from leadcenter import clock
from leadcenter.config import settings
from leadcenter.domain import notifications as domain
from tests.helpers import capture, jobs
from tests.support import Api

CONTACT_VALUES = ("Siti Rahma", "siti@example.com", "+6591234567", "6591234567")


def _user(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _inbox(api: Api, user: str, query: str = "") -> dict[str, Any]:
    return dict(api.ok("GET", "/notifications", user, query=query))


def _types(api: Api, user: str) -> list[str]:
    return [n["type"] for n in _inbox(api, user, "limit=100")["items"]]


def _stored_items(user: str) -> list[dict[str, Any]]:
    """Every item of the user's inbox partition, as DynamoDB holds it."""
    table = boto3.resource("dynamodb", region_name=settings().home_region).Table(settings().app_table)
    return list(table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"U#{user}"})["Items"])


def _assert_no_personal_data(*users: str) -> None:
    for user in users:
        blob = repr(_stored_items(user))
        for value in CONTACT_VALUES:
            assert value not in blob, (user, value)


def _add_admin(api: Api, account: str, by: str, user: str, role: str = "admin") -> None:
    api.ok("PUT", f"/accounts/{account}/members/{user}", by, json_body={"role": role})


# ---------------------------------------------------------------------------------------------- lead.assigned


def test_a_lead_assigned_to_another_admin_notifies_only_them_with_the_lead_id_only(api):
    # Given an account with two admins and an operator, and a lead
    alice, bob, olga = _user("n-alice"), _user("n-bob"), _user("n-olga")
    account = api.account(alice)
    _add_admin(api, account, alice, bob)
    _add_admin(api, account, alice, olga, "operator")
    lead = api.lead(account, alice)
    # When alice assigns it to bob
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", alice, json_body={"assignee": bob})
    # Then bob has one unread lead.assigned naming the lead, and nobody else has anything
    box = _inbox(api, bob)
    [notice] = box["items"]
    assert box["unread_count"] == 1 and box["next_cursor"] is None
    assert notice["type"] == "lead.assigned" and notice["account_id"] == account and notice["read_at"] is None
    assert notice["data"]["lead_ids"] == [lead["id"]] and notice["data"]["assigned_by"] == alice
    assert set(notice) == {"id", "type", "account_id", "created_at", "read_at", "title", "data"}
    assert _types(api, alice) == [] and _types(api, olga) == []
    _assert_no_personal_data(alice, bob)
    # And assigning to yourself notifies nobody; assigning the same person again is no new assignment
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", alice, json_body={"assignee": alice})
    assert _types(api, alice) == []
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", alice, json_body={"assignee": bob})
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", alice, json_body={"status": "contacted"})
    assert _types(api, bob) == ["lead.assigned", "lead.assigned"]


def test_a_bulk_assignment_notifies_the_assignee_once_per_chunk_and_not_again_on_redelivery(api, gateway):
    alice, bob = _user("n-alice"), _user("n-bob")
    account = api.account(alice)
    _add_admin(api, account, alice, bob)
    leads = [api.lead(account, alice)["id"] for _ in range(3)]
    jobs.purge()
    body = {"action": "set_assignee", "value": bob, "lead_ids": leads}
    job = api.ok("POST", f"/accounts/{account}/leads/bulk", alice, expect=202, json_body=body)["job_id"]
    jobs.drain(gateway)
    assert jobs.job(api, account, alice, job)["state"] == "succeeded"
    [notice] = _inbox(api, bob)["items"]
    assert notice["type"] == "lead.assigned" and sorted(notice["data"]["lead_ids"]) == sorted(leads)
    assert notice["data"]["count"] == 3 and notice["title"] == "3 leads were assigned to you"
    assert _types(api, alice) == []
    _assert_no_personal_data(bob)


def test_a_bulk_assignment_to_yourself_notifies_nobody(api, gateway):
    alice = _user("n-alice")
    account = api.account(alice)
    leads = [api.lead(account, alice)["id"]]
    jobs.purge()
    body = {"action": "set_assignee", "value": alice, "lead_ids": leads}
    api.ok("POST", f"/accounts/{account}/leads/bulk", alice, expect=202, json_body=body)
    jobs.drain(gateway)
    assert _types(api, alice) == []


def test_raising_twice_for_the_same_trigger_writes_one_notice(api):
    bob = _user("n-bob")
    for _ in range(2):
        domain.lead_assigned("acc-x", bob, "someone", ["01ARZ3NDEKTSV4RRFFQ69G5FAV-sg"], "lead|v7")
    assert _types(api, bob) == ["lead.assigned"]


# ---------------------------------------------------------------------------------------------- export.ready


def test_an_export_notifies_the_exporter_only(api, gateway):
    alice, bob = _user("n-alice"), _user("n-bob")
    account = api.account(alice)
    _add_admin(api, account, alice, bob)
    api.lead(account, alice)
    jobs.purge()
    job = api.ok("POST", f"/accounts/{account}/exports", bob, expect=202, json_body={})["job_id"]
    jobs.drain(gateway)
    assert jobs.job(api, account, bob, job)["state"] == "succeeded"
    [notice] = _inbox(api, bob)["items"]
    assert notice["type"] == "export.ready" and notice["data"]["job_id"] == job and notice["data"]["rows"] == 1
    assert _types(api, alice) == []
    _assert_no_personal_data(bob)


# ---------------------------------------------------------------------------------------------- auto_capture.reviewed


def test_the_review_of_auto_capture_notifies_the_accounts_admins_only(api):
    alice, bob, olga, outsider = _user("n-alice"), _user("n-bob"), _user("n-olga"), _user("n-out")
    account = api.account(alice, country="ID")
    _add_admin(api, account, alice, bob)
    _add_admin(api, account, alice, olga, "operator")
    api.account(outsider, country="ID")
    capture.enable_auto_capture(api, account, alice)
    for admin in (alice, bob):
        [notice] = _inbox(api, admin)["items"]
        assert notice["type"] == "auto_capture.reviewed" and notice["data"] == {"decision": "approved"}
        assert notice["account_id"] == account and "approved" in notice["title"]
    assert _types(api, olga) == [] and _types(api, outsider) == []
    # A rejection later is a new notice
    api.ok("POST", f"/review/auto-capture/{account}", "platform-reviewer", json_body={"decision": "rejected"})
    assert _types(api, bob) == ["auto_capture.reviewed", "auto_capture.reviewed"]
    assert _inbox(api, bob)["items"][0]["data"] == {"decision": "rejected"}


# ---------------------------------------------------------------------------------------------- lead access


def test_a_transfer_notifies_the_admins_of_both_sides_only(api):
    agency, agency_admin, agency_op = _user("n-agency"), _user("n-agadm"), _user("n-agop")
    brand, brand_admin, brand_op = _user("n-brand"), _user("n-bradm"), _user("n-brop")
    ad_account = api.account(agency)
    _add_admin(api, ad_account, agency, agency_admin)
    _add_admin(api, ad_account, agency, agency_op, "operator")
    bc = api.account(brand, "business_center")
    _add_admin(api, bc, brand, brand_admin)
    api.ok("PUT", f"/accounts/{bc}/members/{brand_op}", brand, json_body={"role": "operator", "lead_access": []})
    api.lead(ad_account, agency)
    _add_admin(api, bc, brand, agency)  # the agency admin may transfer to a BC they belong to, or not: irrelevant
    body = {"business_center_id": bc, "confirm": True}
    api.ok("POST", f"/accounts/{ad_account}/lead-access/transfer", agency, expect=201, json_body=body)
    api.ok("POST", f"/accounts/{ad_account}/lead-access/transfer", agency, json_body=body)  # already so: 200
    for user, account in ((agency_admin, ad_account), (brand, bc), (brand_admin, bc)):
        [notice] = _inbox(api, user)["items"]
        assert notice["type"] == "lead_access.transferred" and notice["account_id"] == account
        assert notice["data"]["ad_account_id"] == ad_account and notice["data"]["business_center_id"] == bc
    # The agency admin is an admin of both sides: one notice per side
    assert sorted(n["account_id"] for n in _inbox(api, agency)["items"]) == sorted([ad_account, bc])
    assert _types(api, agency_op) == [] and _types(api, brand_op) == []
    _assert_no_personal_data(agency, agency_admin, brand, brand_admin)


# ---------------------------------------------------------------------------------------------- integration.failing


def test_a_webhook_disabled_after_failing_notifies_the_accounts_admins_only(api, pipeline, receiver):
    alice, bob, olga = _user("n-alice"), _user("n-bob"), _user("n-olga")
    account = api.account(alice)
    _add_admin(api, account, alice, bob)
    _add_admin(api, account, alice, olga, "operator")
    receiver.answer = lambda n: 500
    body = {"url": receiver.url(), "events": ["lead.created"]}
    hook = api.ok("POST", f"/accounts/{account}/integrations/webhooks", alice, expect=201, json_body=body)
    api.lead(account, alice)
    pipeline.settle(max_seconds=4 * 86400)
    for admin in (alice, bob):
        notices = [n for n in _inbox(api, admin)["items"] if n["type"] == "integration.failing"]
        assert [n["data"]["integration_id"] for n in notices] == [hook["id"]]
        assert notices[0]["data"]["kind"] == "webhook"
    assert _types(api, olga) == []
    _assert_no_personal_data(alice, bob)


# ---------------------------------------------------------------------------------------------- reading


def _seed(user: str, count: int) -> None:
    for n in range(count):
        domain.lead_assigned("acc-seed", user, "someone", [f"01ARZ3NDEKTSV4RRFFQ69G5F{n:02d}-sg"], f"seed|{n}")
        clock.advance(1)
    clock.reset()


def test_paging_newest_first_read_one_read_all_and_the_unread_filter(api):
    user = _user("n-reader")
    _seed(user, 5)
    first = _inbox(api, user, "limit=2")
    assert first["unread_count"] == 5 and len(first["items"]) == 2 and first["next_cursor"]
    ids = [n["id"] for n in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.ok("GET", "/notifications", user, query=f"limit=2&cursor={cursor}")
        ids += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
    assert len(ids) == 5 and len(set(ids)) == 5
    created = [n["created_at"] for n in _inbox(api, user)["items"]]
    assert created == sorted(created, reverse=True)
    # Read one: read_at set, out of the unread list, the count goes down; reading it again keeps the time
    read = api.ok("POST", f"/notifications/{ids[1]}/read", user)
    assert read["id"] == ids[1] and read["read_at"]
    again = api.ok("POST", f"/notifications/{ids[1]}/read", user)
    assert again["read_at"] == read["read_at"]
    unread = _inbox(api, user, "unread=true")
    assert unread["unread_count"] == 4 and ids[1] not in [n["id"] for n in unread["items"]]
    assert len(_inbox(api, user)["items"]) == 5
    # Unread, paged
    page = _inbox(api, user, "unread=true&limit=3")
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = api.ok("GET", "/notifications", user, query=f"unread=true&limit=3&cursor={page['next_cursor']}")
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    # A cursor of the full list is refused on the unread one
    assert api.call("GET", "/notifications", user, query=f"unread=true&cursor={first['next_cursor']}").status == 400
    # Read all
    assert api.ok("POST", "/notifications/read-all", user) == {"marked_read": 4, "unread_count": 0}
    box = _inbox(api, user)
    assert box["unread_count"] == 0 and all(n["read_at"] for n in box["items"])
    assert _inbox(api, user, "unread=true")["items"] == []


def test_a_user_cannot_read_or_see_anothers_notifications(api):
    owner, other = _user("n-owner"), _user("n-other")
    _seed(owner, 1)
    [notice] = _inbox(api, owner)["items"]
    assert api.call("POST", f"/notifications/{notice['id']}/read", other).status == 404
    assert _inbox(api, other)["items"] == []
    assert api.call("POST", "/notifications/0000000000000000000000000A/read", owner).status == 404
    assert api.call("POST", "/notifications/bad/read", owner).status == 422
    assert _inbox(api, owner)["unread_count"] == 1


def test_the_openapi_document_describes_the_notification_routes(api):
    document = api.ok("GET", "/openapi.json", None)
    paths = document["paths"]
    assert {"get"} <= set(paths["/notifications"]) and "post" in paths["/notifications/read-all"]
    assert "post" in paths["/notifications/{notification_id}/read"]
    assert "unread_count" in document["components"]["schemas"]["NotificationList"]["properties"]
