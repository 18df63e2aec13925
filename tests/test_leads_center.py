"""Issue 3: labels, notes, assignees, lead detail, timeline, summary."""

from __future__ import annotations

import threading

from tests.support import Api


def _label(api: Api, account: str, name: str, user: str = "lc-admin") -> str:
    return str(api.ok("POST", f"/accounts/{account}/labels", user, expect=201, json_body={"name": name})["id"])


def test_labels_lifecycle_and_removal_from_leads(api):
    account = api.account("lc-admin")
    hot, vip = _label(api, account, "Hot"), _label(api, account, "VIP")
    assert api.call("POST", f"/accounts/{account}/labels", "lc-admin", json_body={"name": "hot"}).status == 409
    lead = api.lead(account, "lc-admin")
    path = f"/accounts/{account}/leads/{lead['id']}"
    got = api.ok("PATCH", path, "lc-admin", json_body={"add_labels": [hot, vip]})
    assert sorted(label["name"] for label in got["labels"]) == ["Hot", "VIP"]
    api.ok("PATCH", f"/accounts/{account}/labels/{hot}", "lc-admin", json_body={"name": "Very hot"})
    assert {label["name"] for label in api.ok("GET", path, "lc-admin")["labels"]} == {"Very hot", "VIP"}
    api.ok("DELETE", f"/accounts/{account}/labels/{vip}", "lc-admin", expect=204)
    assert [label["name"] for label in api.ok("GET", path, "lc-admin")["labels"]] == ["Very hot"]
    assert api.ok("GET", f"/accounts/{account}/leads", "lc-admin", query=f"label={vip}")["items"] == []
    unknown = api.call("PATCH", path, "lc-admin", json_body={"add_labels": ["nope"]})
    assert unknown.status == 422 and "nope" in unknown.json()["error"]["message"]


def _access(account: str, user: str = "lc-admin"):
    from leadcenter.policy import Action, authorize

    return authorize(user, account, Action.LEADS_MANAGE)


def test_twenty_concurrent_label_adds_lose_none(api):
    # Twenty editors at once, as twenty Lambda containers would be: each thread runs the domain's update.
    from leadcenter.domain.leads import LeadPatch, update_lead
    from leadcenter.errors import Throttled

    account = api.account("lc-admin")
    labels = [_label(api, account, f"L{n}") for n in range(20)]
    lead = api.lead(account, "lc-admin")
    access = _access(account)
    failures: list[str] = []
    start = threading.Barrier(20)

    def add(label_id: str) -> None:
        start.wait()
        for _ in range(10):  # a transaction conflict is retried, as a client retries a 429
            try:
                update_lead(access, lead["id"], LeadPatch(add_labels=frozenset({label_id})), None)
                return
            except Throttled:
                continue
        failures.append(label_id)

    threads = [threading.Thread(target=add, args=(label,)) for label in labels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    final = api.ok("GET", f"/accounts/{account}/leads/{lead['id']}", "lc-admin")
    assert sorted(label["id"] for label in final["labels"]) == sorted(labels)
    assert final["version"] == 1 + 20 + 1  # 20 label changes, then the first read marked it accessed


def test_concurrent_if_match_writers_one_wins(api):
    from leadcenter.domain.leads import LeadPatch, update_lead
    from leadcenter.errors import Conflict
    from leadcenter.model import LeadStatus

    account = api.account("lc-admin")
    lead = api.lead(account, "lc-admin")
    access = _access(account)
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def write(status: LeadStatus) -> None:
        start.wait()
        try:
            update_lead(access, lead["id"], LeadPatch(status=status), 1)
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    statuses = [LeadStatus.QUALIFIED, LeadStatus.CONTACTED, LeadStatus.CONVERTED, LeadStatus.UNQUALIFIED]
    threads = [threading.Thread(target=write, args=(s,)) for s in statuses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "won"]
    assert api.ok("GET", f"/accounts/{account}/leads/{lead['id']}", "lc-admin")["version"] == 3


def test_assignee_must_be_an_admin(api):
    account = api.account("lc-admin")
    api.ok("PUT", f"/accounts/{account}/members/lc-op", "lc-admin", json_body={"role": "operator"})
    api.ok("PUT", f"/accounts/{account}/members/lc-admin2", "lc-admin", json_body={"role": "admin"})
    lead = api.lead(account, "lc-admin")
    path = f"/accounts/{account}/leads/{lead['id']}"
    reply = api.call("PATCH", path, "lc-admin", json_body={"assignee": "lc-op"})
    assert reply.status == 422 and "admin" in reply.json()["error"]["message"]
    assert api.call("PATCH", path, "lc-admin", json_body={"assignee": "ghost"}).status == 422
    assert api.ok("PATCH", path, "lc-admin", json_body={"assignee": "lc-admin2"})["assignee"] == "lc-admin2"
    assert [
        i["id"] for i in api.ok("GET", f"/accounts/{account}/leads", "lc-admin", query="assignee=lc-admin2")["items"]
    ] == [lead["id"]]
    assert api.ok("PATCH", path, "lc-admin", json_body={"assignee": None})["assignee"] is None
    assert [
        i["id"] for i in api.ok("GET", f"/accounts/{account}/leads", "lc-admin", query="assignee=none")["items"]
    ] == [lead["id"]]


def test_notes_are_encrypted_and_only_author_or_admin_edits(api, stack):
    account = api.account("lc-admin")
    api.ok("PUT", f"/accounts/{account}/members/lc-admin2", "lc-admin", json_body={"role": "admin"})
    lead = api.lead(account, "lc-admin")
    notes = f"/accounts/{account}/leads/{lead['id']}/notes"
    note = api.ok("POST", notes, "lc-admin", expect=201, json_body={"text": "Called, prefers WhatsApp +6598765432"})
    assert note["author"] == "lc-admin"
    edited = api.ok("PATCH", f"{notes}/{note['id']}", "lc-admin2", json_body={"text": "Admins may edit"})
    assert edited["text"] == "Admins may edit"
    assert [n["text"] for n in api.ok("GET", notes, "lc-admin")["items"]] == ["Admins may edit"]
    import boto3

    raw = boto3.client("dynamodb", region_name="ap-southeast-1").scan(TableName="leadcenter-leads")["Items"]
    assert "Admins may edit" not in str(raw) and "6598765432" not in str(raw)
    api.ok("DELETE", f"{notes}/{note['id']}", "lc-admin", expect=204)
    assert api.call("DELETE", f"{notes}/{note['id']}", "lc-admin").status in (404, 409)
    types = [e["type"] for e in api.ok("GET", f"/accounts/{account}/leads/{lead['id']}/activity", "lc-admin")["items"]]
    assert types[:1] == ["created"] and {"note_added", "note_edited", "note_deleted"} <= set(types)


def test_timeline_records_changes_without_personal_data(api):
    account = api.account("lc-admin")
    lead = api.lead(account, "lc-admin")
    path = f"/accounts/{account}/leads/{lead['id']}"
    api.ok("GET", path, "lc-admin")
    api.ok("GET", path, "lc-admin")
    api.ok("PATCH", path, "lc-admin", json_body={"status": "contacted"})
    events = api.ok("GET", f"{path}/activity", "lc-admin")["items"]
    assert [e["type"] for e in events] == ["created", "viewed", "status_changed"]
    assert events[2]["data"] == {"from": "raw", "to": "contacted"} and events[2]["actor"] == "lc-admin"
    assert "siti" not in str(events).lower()


def test_forms_view_and_edit_by_role(api):
    account = api.account("lc-admin")
    for user, role in [("f-op", "operator"), ("f-an", "analyst")]:
        api.ok("PUT", f"/accounts/{account}/members/{user}", "lc-admin", json_body={"role": role})
    body = {"name": "Test drive", "questions": [{"question": "Preferred date?", "type": "date"}]}
    form = api.ok("POST", f"/accounts/{account}/forms", "f-op", expect=201, json_body=body)
    assert api.call("POST", f"/accounts/{account}/forms", "f-an", json_body=body).status == 403
    assert (
        api.ok("GET", f"/accounts/{account}/forms/{form['id']}", "f-an")["questions"][0]["question"]
        == "Preferred date?"
    )
    body["questions"].append({"question": "Which model?", "type": "short_text"})
    assert len(api.ok("PUT", f"/accounts/{account}/forms/{form['id']}", "f-op", json_body=body)["questions"]) == 2
    stale = api.call(
        "PUT", f"/accounts/{account}/forms/{form['id']}", "f-op", json_body=body, headers={"If-Match": "1"}
    )
    assert stale.status == 409


def test_summary_counts_by_status_and_expiring(api):
    account = api.account("lc-admin")
    leads = [api.lead(account, "lc-admin") for _ in range(3)]
    api.ok("PATCH", f"/accounts/{account}/leads/{leads[0]['id']}", "lc-admin", json_body={"status": "converted"})
    summary = api.ok("GET", f"/accounts/{account}/summary", "lc-admin")
    assert summary["by_status"]["raw"] == 2 and summary["by_status"]["converted"] == 1 and summary["total"] == 3
    assert summary["expiring_within_7_days"] == 0
