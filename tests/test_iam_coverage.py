"""Issue 2 of 6 (IAM coverage): every AWS call a function makes is one its role in template.yaml allows.

moto enforces no IAM, so without this the suite passes where AWS answers AccessDenied. One realistic run drives
every function through its main paths (the API routes through the gateway, the messaging webhook and the capture
worker with an erasure, mark-as-lead, bulk and export jobs with the download, the CRM stream and delivery with a
dead letter and a replay, transfer, integrations, the retention sweep), recording each call with the function that
made it (tests/helpers/aws_calls.py); each call then goes through an IAM evaluator over the SAM-transformed
template (tests/helpers/iam.py). A permission removed from the template must fail here: the mutation tests show it.
"""

from __future__ import annotations

import copy
import fnmatch
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from leadcenter import clock, crypto
from leadcenter.config import reset_settings, settings
from local import gateway as local_gateway
from local.gateway import context_for, handler_of, running
from local.scheduler import scheduled_event
from local.template import ACCOUNT_ID, Stack, load
from tests.helpers import aws_calls, capture, jobs
from tests.helpers.aws_calls import Call, Need, Unmapped, needs
from tests.helpers.crm import Pipeline, Receiver
from tests.helpers.iam import Roles, roles_of, transformed_template
from tests.support import Api

pytestmark = pytest.mark.xdist_group("iam-coverage")  # one run, shared by the tests of this module


def _drive_api(api: Api, gateway: Any) -> tuple[str, str]:
    """LeadsFunction over its routes: accounts, members, leads in three storage regions, labels, notes, forms,
    attribution, auto-capture, reports, bulk and export jobs with the download. Returns (account, admin)."""
    admin = f"iam-admin-{uuid.uuid4().hex[:8]}"
    account = api.account(admin, country="SG")
    api.ok("GET", "/accounts", admin)
    api.ok("PUT", f"/accounts/{account}/members/{admin}-op", admin, json_body={"role": "operator"})
    api.ok("GET", f"/accounts/{account}/members", admin)
    api.ok("DELETE", f"/accounts/{account}/members/{admin}-op", admin, expect=204)
    label = api.ok("POST", f"/accounts/{account}/labels", admin, expect=201, json_body={"name": "Hot"})["id"]
    api.ok("PATCH", f"/accounts/{account}/labels/{label}", admin, json_body={"name": "Warm"})
    api.ok("GET", f"/accounts/{account}/labels", admin)
    leads = [api.lead(account, admin, region=region) for region in ("SG", "DE", "BR")]
    lead = leads[0]
    lead = api.ok("GET", f"/accounts/{account}/leads/{lead['id']}", admin)  # marks it accessed: a new version
    api.ok(
        "PATCH",
        f"/accounts/{account}/leads/{lead['id']}",
        admin,
        json_body={"status": "qualified", "add_labels": [label]},
        headers={"If-Match": str(lead["version"])},
    )
    # Notifications: an assignment to another admin (lead.assigned), their inbox, read one, read all.
    other = f"{admin}-b"
    api.ok("PUT", f"/accounts/{account}/members/{other}", admin, json_body={"role": "admin"})
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin, json_body={"assignee": other})
    # A contact edit: blind-index digests, the old entries deleted and new ones claimed in the lead's transaction.
    edit = {"contact": {"email": "edited@example.com", "phone": "+6581234567"}}
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin, json_body=edit)
    [notice] = api.ok("GET", "/notifications", other)["items"]
    api.ok("GET", "/notifications", other, query="unread=true&limit=1")
    api.ok("POST", f"/notifications/{notice['id']}/read", other)
    api.ok("POST", "/notifications/read-all", other)
    for query in (
        "",
        "status=qualified",
        f"label={label}",
        "assignee=none",
        "access_status=accessed",
        "source=manual",
        "q=acme",
        "expiring_within_days=7",
        "updated_since=2020-01-01T00:00:00Z",
    ):
        api.ok("GET", f"/accounts/{account}/leads", admin, query=query)
    note = api.ok("POST", f"/accounts/{account}/leads/{lead['id']}/notes", admin, expect=201, json_body={"text": "n"})
    api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}/notes/{note['id']}", admin, json_body={"text": "m"})
    api.ok("GET", f"/accounts/{account}/leads/{lead['id']}/notes", admin)
    api.ok("DELETE", f"/accounts/{account}/leads/{lead['id']}/notes/{note['id']}", admin, expect=204)
    api.ok("GET", f"/accounts/{account}/leads/{lead['id']}/activity", admin)
    api.ok("GET", f"/accounts/{account}/summary", admin)
    form_body = {"name": "F", "questions": [{"question": "Q?", "type": "short_text"}]}
    form = api.ok("POST", f"/accounts/{account}/forms", admin, expect=201, json_body=form_body)
    api.ok("GET", f"/accounts/{account}/forms", admin)
    api.ok("GET", f"/accounts/{account}/forms/{form['id']}", admin)
    api.ok("PUT", f"/accounts/{account}/forms/{form['id']}", admin, json_body={**form_body, "name": "G"})
    api.ok("GET", f"/accounts/{account}/attribution", admin)
    api.ok("PUT", f"/accounts/{account}/attribution", admin, json_body={"click_window_days": 7})
    for group in ("ad", "adgroup", "campaign"):
        api.ok("GET", f"/accounts/{account}/reports/leads", admin, query=f"group_by={group}")
    api.ok("GET", "/openapi.json", admin)
    # Jobs: a bulk change over ids and over a filter, an export, its download (a presigned URL).
    jobs.purge()
    bulk = {"action": "add_labels", "value": [label], "lead_ids": [x["id"] for x in leads]}
    api.ok("POST", f"/accounts/{account}/leads/bulk", admin, expect=202, json_body=bulk)
    assigning = {"action": "set_assignee", "value": other, "lead_ids": [x["id"] for x in leads]}
    api.ok("POST", f"/accounts/{account}/leads/bulk", admin, expect=202, json_body=assigning)
    by_filter = {"action": "set_status", "value": "contacted", "filter": {"status": "qualified"}}
    api.ok("POST", f"/accounts/{account}/leads/bulk", admin, expect=202, json_body=by_filter)
    export = api.ok("POST", f"/accounts/{account}/exports", admin, expect=202, json_body={})["job_id"]
    jobs.drain(gateway)
    assert jobs.job(api, account, admin, export)["state"] == "succeeded"
    assert api.call("GET", f"/accounts/{account}/jobs/{export}/download", admin).status == 302
    api.ok("DELETE", f"/accounts/{account}/leads/{leads[2]['id']}", admin, expect=204)
    deleting = {"action": "delete", "lead_ids": [leads[1]["id"]]}
    api.ok("POST", f"/accounts/{account}/leads/bulk", admin, expect=202, json_body=deleting)
    jobs.drain(gateway)
    # JobsDeadLetterFunction: an export whose start message dead-letters is failed by the consumer.
    lost = api.ok("POST", f"/accounts/{account}/exports", admin, expect=202, json_body={})["job_id"]
    jobs.dead_letter_next(gateway.stack)
    assert jobs.drain_dead_letters(gateway, gateway.stack) == 1
    assert jobs.job(api, account, admin, lost)["state"] == "failed"
    return account, admin


def _drive_capture(api: Api, gateway: Any, account: str, admin: str) -> None:
    """CaptureFunction and CaptureWorkerFunction: messages, a form, an ad touch, mark-as-lead, an erasure."""
    capture.purge()
    # A privacy-policy PDF: the presigned POST (signed with the API's role), then the application checks the object.
    form = api.ok("POST", f"/accounts/{account}/auto-capture/privacy-policy-upload", admin, expect=201)
    fields = {**form["fields"], "Content-Type": "application/pdf"}
    pdf = {"file": ("p.pdf", b"%PDF-1.4\n", "application/pdf")}
    assert requests.post(form["url"], data=fields, files=pdf, timeout=10).ok
    body = {"privacy_policy_upload": form["key"], "company_name": "Acme"}
    api.ok("PUT", f"/accounts/{account}/auto-capture", admin, json_body=body)
    capture.enable_auto_capture(api, account, admin)
    api.ok("GET", f"/accounts/{account}/auto-capture", admin)
    touch = {"kind": "click", "ad_id": "ad-1", "adgroup_id": "ag-1", "campaign_id": "c-1"}
    form = {"form_id": "f-1", "answers": [{"question": "Name", "answer": "Nur"}]}
    capture.deliver(
        api,
        gateway,
        capture.platform_event(account, "ad.touch", user_id="iam-p1", conversation_id=None, touch=touch),
        capture.platform_event(account, user_id="iam-p1", text="p1@example.com", conversation_id="iam-c1"),
        capture.platform_event(account, user_id="iam-p2", text="hello", conversation_id="iam-c2"),
        capture.platform_event(account, "form.submitted", user_id="iam-p3", name="Nur", form=form),
    )
    api.ok("GET", f"/accounts/{account}/conversations/iam-c2/events", admin)
    api.ok("POST", f"/accounts/{account}/conversations/iam-c2/mark-as-lead", admin, expect=201)
    erasure = capture.platform_event(None, "user.erasure_requested", user_id="iam-p1", conversation_id=None)
    capture.deliver(api, gateway, erasure)
    assert all(lead["contact"]["email"] != "p1@example.com" for lead in capture.leads_of(api, account, admin))


def _drive_transfer(api: Api) -> None:
    agency = f"iam-agency-{uuid.uuid4().hex[:8]}"
    ad_account = api.account(agency)
    bc = api.account(agency, "business_center")
    api.lead(ad_account, agency)
    api.ok("GET", f"/accounts/{ad_account}/lead-access", agency)
    body = {"business_center_id": bc, "confirm": True}
    api.ok("POST", f"/accounts/{ad_account}/lead-access/transfer", agency, expect=201, json_body=body)


def _drive_crm(api: Api, stack: Stack) -> None:
    """IntegrationsFunction, CrmStreamFunction, CrmDeliveryFunction: a webhook that fails into the dead-letter
    queue and is replayed, status feedback, updates and deletes in two regions."""
    receiver = Receiver().start()
    pipeline = Pipeline(stack)
    pipeline.purge()
    try:
        admin = f"iam-crm-{uuid.uuid4().hex[:8]}"
        account = api.account(admin)
        hooks = f"/accounts/{account}/integrations/webhooks"
        receiver.answer = lambda n: 500
        body = {"url": receiver.url(), "events": ["lead.created", "lead.updated", "lead.deleted"]}
        hook = api.ok("POST", hooks, admin, expect=201, json_body=body)
        api.ok("GET", hooks, admin)
        status_events = f"/accounts/{account}/integrations/status-events"
        api.ok("GET", status_events, admin)
        api.ok("PUT", status_events, admin, json_body={"url": receiver.url("/events"), "access_token": "tok-1"})
        lead = api.lead(account, admin)
        pipeline.settle(max_seconds=4 * 86400)  # retries until the endpoint is switched off, a dead letter
        [failed, *_] = api.ok("GET", f"{hooks}/{hook['id']}/deliveries", admin)["items"]
        receiver.answer = lambda n: 200
        api.ok("PATCH", f"{hooks}/{hook['id']}", admin, json_body={"enabled": True})
        api.ok("POST", f"{hooks}/{hook['id']}/deliveries/{failed['id']}/replay", admin, expect=202)
        api.ok("PATCH", f"/accounts/{account}/leads/{lead['id']}", admin, json_body={"status": "qualified"})
        other = api.lead(account, admin, region="JP")
        api.ok("DELETE", f"/accounts/{account}/leads/{other['id']}", admin, expect=204)
        pipeline.settle()
        deliveries = api.ok("GET", f"{status_events}/deliveries", admin)["items"]
        if deliveries:
            api.call("POST", f"{status_events}/deliveries/{deliveries[0]['id']}/replay", admin)
        api.ok("DELETE", f"{hooks}/{hook['id']}", admin, expect=204)
    finally:
        pipeline.purge()
        receiver.stop()
        clock.reset()


def _drive_retention(api: Api, stack: Stack) -> None:
    admin = f"iam-ret-{uuid.uuid4().hex[:8]}"
    account = api.account(admin)
    for region in ("DE", "SG"):
        api.lead(account, admin, region=region)
    function = stack.functions()["RetentionFunction"]
    try:
        clock.advance(91 * 86400)
        with running(function.logical_id):  # as local/scheduler.py runs it
            handler_of(function)(scheduled_event(function), context_for(function))
    finally:
        clock.reset()


def _cold_start(logical_id: str) -> None:
    """Each invocation as in a fresh container: in AWS every function keeps its own KMS key caches, so the export
    that reads leads the API just wrote unwraps their keys itself; in one test process they would be warm."""
    crypto.keyring().forget()
    crypto.blind_index().forget()


@pytest.fixture(scope="module")
def recorded(stack: Stack, gateway: Any) -> Iterator[list[Call]]:
    api = Api(gateway)
    with pytest.MonkeyPatch.context() as patch, aws_calls.recording() as calls:
        patch.setattr(local_gateway, "on_invoke", [*local_gateway.on_invoke, _cold_start])
        account, admin = _drive_api(api, gateway)
        _drive_capture(api, gateway, account, admin)
        _drive_transfer(api)
        _drive_crm(api, stack)
        _drive_retention(api, stack)
    reset_settings()
    yield list(calls)


@pytest.fixture(scope="module")
def needed(recorded: list[Call], stack: Stack) -> list[Need]:
    return [need for call in recorded for need in needs(call, stack)]


@pytest.fixture(scope="module")
def roles(stack: Stack) -> Roles:
    return roles_of(stack)


def _report(denied: list[Need]) -> str:
    return "calls the role does not allow (add the permission to the function's Policies in template.yaml):\n" + (
        "\n".join(f"  {need}" for need in denied)
    )


def test_every_function_of_the_template_was_driven(recorded, stack):
    assert settings().home_region == stack.home_region
    assert {call.function for call in recorded} == set(stack.functions())


def test_every_recorded_call_is_understood(recorded, stack):
    unmapped = []
    for call in recorded:
        try:
            needs(call, stack)
        except Unmapped as exc:
            unmapped.append(str(exc))
    assert unmapped == []


def test_every_call_a_function_makes_is_allowed_by_its_role(needed, roles):
    denied = roles.denied(needed)
    assert denied == [], _report(denied)


def test_the_known_erasure_calls_were_recorded(needed):
    """The calls AWS refused before this test existed are among those recorded (the run drives them)."""
    worker = {(n.action, n.resource.split(":", 5)[-1]) for n in needed if n.call.function == "CaptureWorkerFunction"}
    assert ("dynamodb:Query", "table/leadcenter-leads/index/by_person") in worker
    assert ("dynamodb:DeleteItem", "table/leadcenter-lead-keys") in worker


def _event_source_needs(stack: Stack) -> list[Need]:
    """What Lambda does with the function's role for its event sources, never recorded in process: an SQS event
    source receives, deletes and reads the queue's attributes (and decrypts with its key); a DynamoDB stream source
    reads the stream and sends failed batches to its on-failure queue."""
    home, found = stack.home_region, []
    for logical, spec in stack.template["Resources"].items():
        if spec["Type"] != "AWS::Serverless::Function":
            continue
        for event in spec["Properties"].get("Events", {}).values():
            properties = event["Properties"]
            calls = []
            if event["Type"] == "SQS":
                url = stack.resolve({"Ref": properties["Queue"]["Fn::GetAtt"][0]}, home)
                calls = [
                    Call(logical, "sqs", op, home, {"QueueUrl": url})
                    for op in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")
                ]
            elif event["Type"] == "DynamoDB":
                table = stack.resolve({"Ref": properties["Stream"]["Fn::GetAtt"][0]}, home)
                stream = f"arn:aws:dynamodb:{home}:{ACCOUNT_ID}:table/{table}/stream/2026-01-01T00:00:00.000"
                calls = [
                    Call(logical, "dynamodbstreams", op, home, {"StreamArn": stream})
                    for op in ("DescribeStream", "GetShardIterator", "GetRecords")
                ]
                destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                if destination:
                    url = stack.resolve({"Ref": destination["Fn::GetAtt"][0]}, home)
                    calls.append(Call(logical, "sqs", "SendMessage", home, {"QueueUrl": url}))
            found += [need for call in calls for need in needs(call, stack)]
    return found


def test_the_event_sources_lambda_runs_for_each_function_are_allowed(stack, roles):
    found = _event_source_needs(stack)
    assert {n.call.function for n in found} >= {"CaptureWorkerFunction", "JobsWorkerFunction", "CrmStreamFunction"}
    denied = roles.denied(found)
    assert denied == [], _report(denied)


# ---------------------------------------------------------------------------------------------- mutations


def _without(template: dict[str, Any], function: str, action: str) -> dict[str, Any]:
    """The template with `action` dropped from every inline statement of the function's Policies."""
    mutated = copy.deepcopy(template)
    for policy in mutated["Resources"][function]["Properties"]["Policies"]:
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            statement["Action"] = [a for a in actions if a != action] or ["none:Nothing"]
    return mutated


@pytest.mark.parametrize(
    ("function", "action", "resource_part"),
    [
        ("CaptureWorkerFunction", "dynamodb:Query", "table/leadcenter-leads/index/by_person"),
        ("CaptureWorkerFunction", "dynamodb:DeleteItem", "table/leadcenter-lead-keys"),
        ("JobsWorkerFunction", "s3:PutObject", ":::leadcenter-exportsbucket/exports/"),
        ("CrmStreamFunction", "sqs:SendMessage", ":leadcenter-crm"),
        ("IntegrationsFunction", "kms:GenerateDataKey", ":key/"),
    ],
)
def test_a_permission_removed_from_the_template_is_reported_denied(needed, stack, function, action, resource_part):
    assert Roles(transformed_template(load()), stack).denied(needed) == []  # as checked out
    mutated = Roles(transformed_template(_without(load(), function, action)), stack)
    denied = mutated.denied(needed)
    assert denied, f"removing {action} from {function} went unnoticed"
    assert all(n.call.function == function and n.action == action for n in denied), _report(denied)
    assert any(resource_part in n.resource for n in denied), _report(denied)


def _without_grants(transformed: dict[str, Any], function: str, action: str) -> dict[str, Any]:
    """The transformed template with every action pattern covering `action` dropped from the function's role."""
    mutated = copy.deepcopy(transformed)
    role = mutated["Resources"][mutated["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            kept = [a for a in actions if not fnmatch.fnmatchcase(action.lower(), str(a).lower())]
            statement["Action"] = kept or ["none:Nothing"]
    return mutated


def test_without_its_grants_every_needed_action_is_reported_denied(needed, stack):
    """The checker is not vacuous: for each (function, action) the run needs, a role stripped of every statement
    action that covers it is reported, on exactly that function and action."""
    transformed = transformed_template(load())
    for function, action in sorted({(n.call.function, n.action) for n in needed}):
        denied = Roles(_without_grants(transformed, function, action), stack).denied(needed)
        assert denied, f"{function} without {action} still allowed everything"
        assert {(n.call.function, n.action) for n in denied} == {(function, action)}
