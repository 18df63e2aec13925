"""Issue 6: CSV export as a background job: exact round trip, spreadsheet-inert, streamed, audited, guarded."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest

from leadcenter.config import settings
from leadcenter.domain import export
from tests.helpers.jobs import drain, job, new_admin, purge, queued_count

FORMULA = "=cmd|' /C calc'!A0"
NAMES = [
    FORMULA,
    "Tan, Mei Ling",
    'Bob "The Builder" O\'Neil',
    "First line\nsecond line\r\nthird",
    "สมชาย ใจดี",
    "محمد بن علي",
    "Ana 🚀🎉 Souza",
    "+6591234567 (call me)",
    "-minus",
    "@handle",
    "\tTabbed",
    "\rCarriage",
    "'already quoted",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(autouse=True)
def empty_queue():
    purge()
    yield
    purge()


def _export(api, account, admin, body: dict[str, Any] | None = None) -> str:
    reply = api.ok("POST", f"/accounts/{account}/exports", admin, expect=202, json_body=body or {})
    return str(reply["job_id"])


def _download(api, account, user, job_id) -> tuple[bytes, dict[str, list[str]]]:
    reply = api.call("GET", f"/accounts/{account}/jobs/{job_id}/download", user)
    assert reply.status == 302, reply.body
    location = reply.headers["Location"]
    assert reply.json()["url"] == location and reply.json()["expires_in"] == 600
    parts = urlsplit(location)
    key = unquote(parts.path[parts.path.index("exports/") :])
    body = boto3.client("s3", region_name=settings().home_region).get_object(Bucket=settings().exports_bucket, Key=key)
    return body["Body"].read(), parse_qs(parts.query)


def _restore(cell: str, original: str) -> str:
    """Undo the neutralising quote, only where the original value started with a formula character."""
    return cell[1:] if original.startswith(DANGEROUS) else cell


def _lead_body(n: int, name: str) -> dict[str, Any]:
    return {
        "region": "TH" if n % 2 else "SG",
        "contact": {
            "name": name,
            "email": f"person{n}@example.com",
            "phone": "+6591234567",
            "others": [{"kind": "line", "value": f"-line{n}"}, {"kind": "instagram", "value": "ig,handle"}],
        },
        "ad": {
            "ad_id": f"ad-{n}",
            "ad_name": '=HYPERLINK("http://evil")',
            "campaign_id": "c-1",
            "campaign_name": 'Songkran, "Sale"',
        },
        "form": {
            "form_id": "f-1",
            "form_name": "Test drive",
            "answers": [{"question": "Budget?", "answer": f"=SUM({n},1)"}]
            + ([{"question": "Which model? 🚗", "answer": 'EV, "Long range"\nplease'}] if n % 3 == 0 else []),
        },
    }


def test_export_reads_back_exactly_and_no_cell_is_a_formula(api, gateway):
    # Given leads whose names and answers hold formulas, commas, quotes, newlines, Thai, Arabic and emoji
    admin = new_admin()
    account = api.account(admin)
    label = api.ok("POST", f"/accounts/{account}/labels", admin, expect=201, json_body={"name": "+VIP"})
    leads = [api.lead(account, admin, **_lead_body(n, name)) for n, name in enumerate(NAMES)]
    api.ok("PATCH", f"/accounts/{account}/leads/{leads[1]['id']}", admin, json_body={"add_labels": [label["id"]]})
    # When the admin exports every lead
    job_id = _export(api, account, admin)
    drain(gateway)
    finished = job(api, account, admin, job_id)
    assert (finished["state"], finished["total"], finished["done"]) == ("succeeded", len(NAMES), len(NAMES))
    assert finished["result"]["download_url"] == f"/accounts/{account}/jobs/{job_id}/download"
    assert finished["result"]["rows"] == len(NAMES)
    raw, query = _download(api, account, admin, job_id)
    # Then the file is UTF-8 with a BOM, and the presigned URL lives 10 minutes
    assert raw.startswith(b"\xef\xbb\xbf") and query["X-Amz-Expires"] == ["600"]
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert header == [*export.HEAD_COLUMNS, "Budget?", "Which model? 🚗", *export.TAIL_COLUMNS]
    # And no cell would run as a formula in a spreadsheet
    for row in rows:
        assert len(row) == len(header)
        for cell in row:
            assert not cell.startswith(DANGEROUS), cell
    # And every value reads back exactly once the neutralising quote is taken off where it was added
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert set(by_id) == {lead["id"] for lead in leads}
    for n, lead in enumerate(leads):
        row = by_id[lead["id"]]
        assert _restore(row["Name"], NAMES[n]) == NAMES[n]
        assert row["Email"] == f"person{n}@example.com"
        assert _restore(row["Phone"], "+") == "+6591234567"
        assert row["Other contacts"] == f"line:-line{n};instagram:ig,handle"
        assert _restore(row["Budget?"], "=") == f"=SUM({n},1)"
        assert row["Which model? 🚗"] == ('EV, "Long range"\nplease' if n % 3 == 0 else "")
        assert _restore(row["Ad name"], "=") == '=HYPERLINK("http://evil")'
        assert row["Campaign name"] == 'Songkran, "Sale"'
        assert (row["Lead ID"], row["Status"], row["Source"]) == (lead["id"], "raw", "manual")
        assert (row["Created"], row["Expires"]) == (lead["created_at"], lead["expires_at"])
        assert (row["Ad ID"], row["Campaign ID"], row["Form ID"], row["Form name"]) == (
            f"ad-{n}",
            "c-1",
            "f-1",
            "Test drive",
        )
        assert _restore(row["Labels"], "+") == ("+VIP" if n == 1 else "")
    assert by_id[leads[0]["id"]]["Name"] == "'" + FORMULA
    assert by_id[leads[12]["id"]]["Name"] == "'already quoted"  # nothing added where nothing was dangerous


def test_exported_leads_become_accessed_and_the_export_is_audited(api, gateway):
    # Given three leads, one read already
    admin = new_admin()
    account = api.account(admin)
    leads = [api.lead(account, admin, region="SG") for _ in range(3)]
    api.ok("GET", f"/accounts/{account}/leads/{leads[0]['id']}", admin)
    # When the admin exports the qualified ones... of which there are none, then every lead
    empty = _export(api, account, admin, {"filter": {"status": "qualified"}})
    every = _export(api, account, admin)
    drain(gateway)
    nothing = job(api, account, admin, empty)
    assert (nothing["state"], nothing["total"], nothing["filter"]) == ("succeeded", 0, {"status": "qualified"})
    raw, _ = _download(api, account, admin, empty)
    assert raw.decode("utf-8-sig").count("\r\n") == 1  # the header alone
    # Then every exported lead is accessed, by the exporter, with one 'exported' entry naming the job
    listed = api.ok("GET", f"/accounts/{account}/leads", admin)["items"]
    assert {lead["access_status"] for lead in listed} == {"accessed"}
    for lead in leads:
        timeline = api.ok("GET", f"/accounts/{account}/leads/{lead['id']}/activity", admin)["items"]
        exported = [event for event in timeline if event["type"] == "exported"]
        assert [(e["actor"], e["data"]) for e in exported] == [(admin, {"job_id": every})]
    # And the job record says who exported what, and when
    record = job(api, account, admin, every)
    assert record["created_by"] == admin and record["filter"] == {} and record["type"] == "export"
    assert record["created_at"] <= record["started_at"] <= record["finished_at"]


def test_a_repeated_start_message_makes_one_file_and_one_audit_entry_per_lead(api, gateway):
    from leadcenter.store import jobs as job_store

    admin = new_admin()
    account = api.account(admin)
    leads = [api.lead(account, admin) for _ in range(2)]
    job_id = _export(api, account, admin)
    # SQS may deliver the start message twice
    job_store.enqueue([{"kind": "start", "account_id": account, "job_id": job_id}])
    drain(gateway, batch=1)
    finished = job(api, account, admin, job_id)
    assert (finished["state"], finished["total"], finished["done"]) == ("succeeded", 2, 2)
    listed = boto3.client("s3", region_name=settings().home_region).list_objects_v2(
        Bucket=settings().exports_bucket, Prefix=f"exports/{account}/"
    )
    assert len(listed.get("Contents", [])) == 1
    for lead in leads:
        timeline = api.ok("GET", f"/accounts/{account}/leads/{lead['id']}/activity", admin)["items"]
        assert [e["type"] for e in timeline].count("exported") == 1


def test_the_download_checks_access_again(api, gateway):
    # Given an agency's export, and another admin of the same account
    agency = new_admin("agency")
    account = api.account(agency, "ad_account", "SG")
    api.ok("PUT", f"/accounts/{account}/members/{agency}-2", agency, json_body={"role": "admin"})
    api.lead(account, agency)
    job_id = _export(api, account, agency)
    drain(gateway)
    assert _download(api, account, agency, job_id)[0]
    # Then only the exporter may download it
    other = api.call("GET", f"/accounts/{account}/jobs/{job_id}/download", f"{agency}-2")
    assert other.status == 403
    # And once lead access is transferred to a brand's Business Center, the agency can no longer fetch it
    brand = new_admin("brand")
    bc = api.account(brand, "business_center", "SG")
    api.ok("POST", f"/accounts/{account}/lead-access/transfer", agency, expect=201,
           json_body={"business_center_id": bc, "confirm": True})  # fmt: skip
    for path in (f"/accounts/{account}/jobs/{job_id}/download", f"/accounts/{account}/jobs/{job_id}"):
        assert api.call("GET", path, agency).status == 403
    # And the brand does not see the agency's jobs either
    assert api.call("GET", f"/accounts/{bc}/jobs/{job_id}", brand).status == 404


def test_a_download_before_the_export_is_ready_is_a_conflict(api):
    admin = new_admin()
    account = api.account(admin)
    job_id = _export(api, account, admin)
    reply = api.call("GET", f"/accounts/{account}/jobs/{job_id}/download", admin)
    assert reply.status == 409 and reply.json()["error"]["state"] == "queued"


def test_a_failing_export_aborts_its_upload_and_fails_the_job(api, gateway, monkeypatch):
    from leadcenter.store import exports as export_store

    admin = new_admin()
    account = api.account(admin)
    api.lead(account, admin)
    job_id = _export(api, account, admin)

    upload_part = export_store.upload_part

    def broken(key, upload_id, number, data):
        upload_part(key, upload_id, number, data)
        raise OSError("network down")  # a part uploaded, then the step fails before its checkpoint

    monkeypatch.setattr(export_store, "upload_part", broken)
    drain(gateway, batch=1)  # five deliveries of the writing step; the last records the failure
    failed = job(api, account, admin, job_id)
    assert failed["state"] == "failed" and failed["failure"]["code"] == "internal"
    s3 = boto3.client("s3", region_name=settings().home_region)
    assert not s3.list_multipart_uploads(Bucket=settings().exports_bucket, Prefix=f"exports/{account}/").get("Uploads")
    assert not s3.list_objects_v2(Bucket=settings().exports_bucket, Prefix=f"exports/{account}/").get("Contents")
    assert queued_count() == 0


class _Parts:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def upload_part(self, data: bytes) -> None:
        self.parts.append(data)


def test_the_csv_streams_in_parts_of_the_minimum_size(tmp_path):
    from leadcenter.model import Contact, FormAnswer, FormData, Lead, LeadSource

    # Given 3,000 leads spooled to disk, with a question only the last one answers
    with open(tmp_path / "spool", "w+b") as file:
        spool = export.Spool(file)
        for n in range(3000):
            answers = [FormAnswer(question="Late question", answer="yes")] if n == 2999 else []
            lead = Lead(
                id=f"L{n}",
                account_id="a",
                region="SG",
                source=LeadSource.FORM,
                storage_region="x",
                contact=Contact(name=f"N{n}" * 20),
                form=FormData(answers=answers),
                created_at="2025-01-01T00:00:00.000Z",
                updated_at="",
                expires_at="",
            )
            spool.add(lead)
        sink = _Parts()
        # When written with parts of 64 KiB
        stats = export.write_csv(spool, sink, part_bytes=64 * 1024)
    # Then every part but the last has at least the part size, and no part is much bigger
    assert stats.parts == len(sink.parts) > 3 and stats.rows == 3000
    assert all(64 * 1024 <= len(part) < 64 * 1024 + 4096 for part in sink.parts[:-1])
    rows = list(csv.reader(io.StringIO(b"".join(sink.parts).decode("utf-8-sig"), newline="")))
    assert rows[0][len(export.HEAD_COLUMNS)] == "Late question" and rows[-1][len(export.HEAD_COLUMNS)] == "yes"
    assert len(rows) == 3001
