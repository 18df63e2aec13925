"""Issue "5 of 6": the auto-capture application's privacy policy as an uploaded PDF (presigned S3 POST)."""

from __future__ import annotations

import base64
import json
import uuid

import boto3
import requests

from leadcenter.config import settings
from tests.support import Api

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _admin() -> str:
    return f"pp-admin-{uuid.uuid4().hex[:8]}"


def _upload_form(api: Api, account: str, admin: str) -> dict:
    return dict(api.ok("POST", f"/accounts/{account}/auto-capture/privacy-policy-upload", admin, expect=201))


def _post(form: dict, body: bytes, content_type: str = "application/pdf") -> requests.Response:
    fields = dict(form["fields"])
    fields["Content-Type"] = content_type
    return requests.post(form["url"], data=fields, files={"file": ("policy.pdf", body, content_type)}, timeout=10)


def _apply(api: Api, account: str, admin: str, **policy: str):
    body = {"company_name": "Acme Pte Ltd", **policy}
    return api.call("PUT", f"/accounts/{account}/auto-capture", admin, json_body=body)


def test_an_uploaded_pdf_is_accepted_as_the_privacy_policy(api):
    admin = _admin()
    account = api.account(admin, country="ID")
    form = _upload_form(api, account, admin)
    assert form["key"].startswith(f"privacy-policies/{account}/") and form["max_bytes"] == 5 * 1024 * 1024
    assert form["fields"]["key"] == form["key"] and form["content_type"] == "application/pdf"
    # The POST policy itself holds the conditions S3 enforces: PDF content type, 1 byte to 5 MB, this key
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert ["content-length-range", 1, 5 * 1024 * 1024] in policy["conditions"]
    assert {"key": form["key"]} in policy["conditions"]
    # The browser posts the file straight to S3 (moto here)
    reply = _post(form, PDF)
    assert reply.status_code in (200, 201, 204), reply.text
    stored = boto3.client("s3", region_name=settings().home_region).get_object(
        Bucket=settings().exports_bucket, Key=form["key"]
    )
    assert stored["Body"].read() == PDF
    # And the application names it
    reply = _apply(api, account, admin, privacy_policy_upload=form["key"])
    assert reply.status == 200, reply.body
    application = reply.json()
    assert application["privacy_policy_upload"] == form["key"] and application["privacy_policy_url"] is None
    assert application["status"] == "pending"
    assert api.ok("GET", f"/accounts/{account}/auto-capture", admin)["privacy_policy_upload"] == form["key"]


def test_what_the_post_policy_would_refuse_is_refused_by_the_application_check_too(api):
    """S3 enforces the POST policy's conditions; moto does not (it stores whatever is posted), so the second line
    of defence is shown here: what slipped through is refused when the application names it."""
    admin = _admin()
    account = api.account(admin, country="ID")
    for body, content_type, why in (
        (b"plain text", "text/plain", "not a PDF"),
        (PDF + b"0" * (5 * 1024 * 1024), "application/pdf", "5 MB"),
    ):
        form = _upload_form(api, account, admin)
        _post(form, body, content_type)
        reply = _apply(api, account, admin, privacy_policy_upload=form["key"])
        assert reply.status == 422 and why in reply.json()["error"]["message"], reply.body


def test_a_non_pdf_a_missing_upload_or_another_accounts_key_is_refused(api):
    admin = _admin()
    account = api.account(admin, country="ID")
    form = _upload_form(api, account, admin)
    s3 = boto3.client("s3", region_name=settings().home_region)
    s3.put_object(Bucket=settings().exports_bucket, Key=form["key"], Body=b"<html>not a pdf</html>")
    reply = _apply(api, account, admin, privacy_policy_upload=form["key"])
    assert reply.status == 422 and "not a PDF" in reply.json()["error"]["message"]
    missing = _upload_form(api, account, admin)["key"]
    reply = _apply(api, account, admin, privacy_policy_upload=missing)
    assert reply.status == 422 and reply.json()["error"]["field"] == "privacy_policy_upload"
    other_admin = _admin()
    other = api.account(other_admin, country="ID")
    theirs = _upload_form(api, other, other_admin)
    _post(theirs, PDF)
    assert _apply(api, account, admin, privacy_policy_upload=theirs["key"]).status == 422
    # Both, or neither, of URL and upload: 422
    both = {"privacy_policy_url": "https://example.com/p", "privacy_policy_upload": theirs["key"]}
    assert _apply(api, account, admin, **both).status == 422
    assert _apply(api, account, admin).status == 422
    # An https URL still works
    assert _apply(api, account, admin, privacy_policy_url="https://example.com/privacy").status == 200


def test_an_object_over_five_megabytes_is_refused(api):
    admin = _admin()
    account = api.account(admin, country="ID")
    form = _upload_form(api, account, admin)
    big = PDF + b"0" * (5 * 1024 * 1024)
    boto3.client("s3", region_name=settings().home_region).put_object(
        Bucket=settings().exports_bucket, Key=form["key"], Body=big
    )
    reply = _apply(api, account, admin, privacy_policy_upload=form["key"])
    assert reply.status == 422 and "5 MB" in reply.json()["error"]["message"]


def test_only_admins_of_an_ad_account_get_an_upload_form(api):
    admin, operator = _admin(), _admin()
    account = api.account(admin, country="ID")
    api.ok("PUT", f"/accounts/{account}/members/{operator}", admin, json_body={"role": "operator"})
    path = f"/accounts/{account}/auto-capture/privacy-policy-upload"
    assert api.call("POST", path, operator).status == 403
    assert api.call("POST", path, _admin()).status == 404
    bc = api.account(admin, "business_center")
    assert api.call("POST", f"/accounts/{bc}/auto-capture/privacy-policy-upload", admin).status == 422
