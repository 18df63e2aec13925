"""Issue 2: accounts, the first lead routes, deny by default."""

from __future__ import annotations


def test_admin_creates_reads_lists_and_deletes_a_lead(api):
    # Given an ad account whose creator is its admin
    account = api.account("alice")
    # When she creates a lead by hand
    lead = api.lead(account, "alice")
    # Then it is raw, stored in the person's storage region, expires in 90 days
    assert lead["status"] == "raw"
    assert lead["source"] == "manual"
    assert lead["storage_region"] == "ap-southeast-1"
    assert lead["contact"]["email"] == "siti@example.com"
    assert lead["days_left"] == 90
    listed = api.ok("GET", f"/accounts/{account}/leads")
    assert [item["id"] for item in listed["items"]] == [lead["id"]]
    assert listed["items"][0]["access_status"] == "not_accessed"
    got = api.ok("GET", f"/accounts/{account}/leads/{lead['id']}")
    assert got["access_status"] == "accessed" and got["accessed_by"] == "alice"
    patched = api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", json_body={"status": "qualified"})
    assert patched["status"] == "qualified"
    api.ok("DELETE", f"/accounts/{account}/leads/{lead['id']}", expect=204)
    assert api.call("GET", f"/accounts/{account}/leads/{lead['id']}").status == 404


def test_a_patch_answers_the_lead_as_stored_without_reading_it_again(api):
    # Given a lead and a label of its account
    from bench.harness import counting

    account = api.account("alice")
    lead = api.lead(account, "alice")
    label = api.ok("POST", f"/accounts/{account}/labels", json_body={"name": "Hot"}, expect=201)
    # When the admin qualifies it and labels it in one PATCH
    body = {"status": "qualified", "add_labels": [label["id"]]}
    with counting() as counter:
        patched = api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", json_body=body)
    # Then the answer is the lead as a list now shows it (the same fields, version and labels)
    listed = api.ok("GET", f"/accounts/{account}/leads")["items"][0]
    assert patched == listed
    assert patched["status"] == "qualified" and patched["labels"] == [{"id": label["id"], "name": "Hot"}]
    assert patched["version"] == lead["version"] + 1
    # And it cost one authorisation, one read of the lead and one transaction: no label Query, no second read
    dynamodb = {op: n for (service, op), n in counter.calls.items() if service == "dynamodb"}
    assert dynamodb == {"TransactGetItems": 2, "TransactWriteItems": 1}
