"""Business metrics reach CloudWatch as EMF on stdout (Powertools Metrics): leads captured by source, messages
scanned, jobs finished by kind and state, CRM deliveries by outcome. Read back from the captured stdout, as
Powertools documents for testing metrics."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from leadcenter import clock
from leadcenter.domain import crm_delivery
from leadcenter.domain.crm_changes import ChangeNotice
from tests.helpers.capture import deliver, enable_auto_capture, platform_event
from tests.helpers.capture import purge as purge_capture_queue
from tests.helpers.crm import fails_first
from tests.helpers.jobs import drain, job, seed
from tests.helpers.jobs import purge as purge_jobs_queue


def blobs(out: str) -> list[dict[str, Any]]:
    """The EMF documents among the captured stdout lines (log lines are JSON too, without `_aws`)."""
    found = []
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            found.append(json.loads(line))
    return found


def count(documents: list[dict[str, Any]], name: str, **dimensions: str) -> float:
    """The sum of `name` over the documents whose dimensions include `dimensions`."""
    total = 0.0
    for doc in documents:
        [directive] = doc["_aws"]["CloudWatchMetrics"]
        if name not in {m["Name"] for m in directive["Metrics"]}:
            continue
        declared = {key for dimension_set in directive["Dimensions"] for key in dimension_set}
        if all(key in declared and doc.get(key) == value for key, value in dimensions.items()):
            value = doc[name]
            total += sum(value) if isinstance(value, list) else value
    return total


def _admin(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def capture_queue() -> Iterator[None]:
    purge_capture_queue()
    yield
    purge_capture_queue()


def test_captured_leads_and_scanned_messages_are_counted(api, gateway, capture_queue, capsys):
    admin = _admin("metrics-capture")
    account = api.account(admin)
    enable_auto_capture(api, account, admin)
    capsys.readouterr()
    # A message with a contact: scanned, with contacts, and a lead captured from a message
    deliver(api, gateway, platform_event(account, user_id="m1", text="reach me at m1@example.com"))
    emitted = blobs(capsys.readouterr().out)
    assert count(emitted, "MessagesScanned") == 1 and count(emitted, "MessagesWithContacts") == 1
    assert count(emitted, "LeadsCaptured", source="message") == 1
    # Namespace and service dimension from the environment (template.yaml Globals)
    captured = next(d for d in emitted if "LeadsCaptured" in d)
    assert captured["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "leadcenter"
    assert (
        captured["service"] == "leadcenter"
        and ["service", "source"] in captured["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    )
    # A message without one: scanned only
    deliver(api, gateway, platform_event(account, user_id="m2", text="what are your opening hours?"))
    emitted = blobs(capsys.readouterr().out)
    assert count(emitted, "MessagesScanned") == 1 and count(emitted, "MessagesWithContacts") == 0
    assert count(emitted, "LeadsCaptured") == 0
    # A form submission and a lead made by hand: captured, by source
    form = {"form_id": "f-1", "answers": [{"question": "Email", "answer": "f1@example.com"}]}
    deliver(api, gateway, platform_event(account, "form.submitted", user_id="f1", form=form))
    api.lead(account, admin)
    emitted = blobs(capsys.readouterr().out)
    assert count(emitted, "LeadsCaptured", source="form") == 1
    assert count(emitted, "LeadsCaptured", source="manual") == 1
    assert count(emitted, "MessagesScanned") == 0


def test_a_message_is_not_counted_as_scanned_while_auto_capture_is_off(api, gateway, capture_queue, capsys):
    admin = _admin("metrics-off")
    account = api.account(admin)
    capsys.readouterr()
    deliver(api, gateway, platform_event(account, user_id="off", text="reach me at off@example.com"))
    emitted = blobs(capsys.readouterr().out)
    assert count(emitted, "MessagesScanned") == 0 and count(emitted, "LeadsCaptured") == 0


# ---------------------------------------------------------------------------------------------- CRM deliveries


def _webhook(api: Any, account: str, admin: str, url: str) -> None:
    body = {"url": url, "events": ["lead.created"]}
    api.ok("POST", f"/accounts/{account}/integrations/webhooks", admin, expect=201, json_body=body)


def test_crm_deliveries_are_counted_by_outcome_delivered_and_retried(api, pipeline, receiver, capsys):
    admin = _admin("metrics-crm")
    account = api.account(admin)
    receiver.answer = fails_first(2)
    _webhook(api, account, admin, receiver.url())
    capsys.readouterr()
    api.lead(account, admin)
    pipeline.settle()
    emitted = blobs(capsys.readouterr().out)
    assert [r.status for r in receiver.received()] == [500, 500, 200]
    assert count(emitted, "CrmDeliveries", outcome="retried") == 2
    assert count(emitted, "CrmDeliveries", outcome="delivered") == 1
    assert count(emitted, "CrmDeliveries", outcome="failed") == 0
    assert count(emitted, "CrmDeliveries", outcome="disabled") == 0


def test_a_crm_endpoint_failing_for_a_day_counts_one_disabled(api, pipeline, receiver, capsys):
    admin = _admin("metrics-crm-off")
    account = api.account(admin)
    receiver.answer = lambda n: 500
    _webhook(api, account, admin, receiver.url())
    capsys.readouterr()
    api.lead(account, admin)
    pipeline.settle(max_seconds=4 * 86400)
    emitted = blobs(capsys.readouterr().out)
    attempts = len(receiver.received())
    assert count(emitted, "CrmDeliveries", outcome="disabled") == 1
    assert count(emitted, "CrmDeliveries", outcome="retried") == attempts - 1
    assert count(emitted, "CrmDeliveries", outcome="delivered") == 0


def test_a_crm_delivery_past_its_retry_window_counts_failed(api, pipeline, receiver, capsys):
    admin = _admin("metrics-crm-late")
    account = api.account(admin)
    lead = api.lead(account, admin)
    pipeline.settle()  # the lead's own notice finds no webhook yet
    receiver.answer = lambda n: 500
    _webhook(api, account, admin, receiver.url())
    # A change from four days ago (its 72 h retry window is over): the worker tries for a minute, then gives up
    expires = int(clock.parse_iso(lead["expires_at"]).timestamp())
    old = clock.iso(clock.now() - timedelta(days=4))
    notice = ChangeNotice(key=f"late-{lead['id']}", account_id=account, lead_id=lead["id"],
                          region=lead["storage_region"], type="lead.created", version=1,
                          occurred_at=old, expires_at=expires)  # fmt: skip
    capsys.readouterr()
    crm_delivery.fan_out(notice)
    pipeline.settle(max_seconds=3600)
    emitted = blobs(capsys.readouterr().out)
    assert count(emitted, "CrmDeliveries", outcome="failed") == 1
    assert count(emitted, "CrmDeliveries", outcome="retried") == len(receiver.received()) - 1
    assert count(emitted, "CrmDeliveries", outcome="disabled") == 0


# ---------------------------------------------------------------------------------------------- jobs


def test_a_finished_job_is_counted_by_kind_and_state(api, gateway, capsys):
    purge_jobs_queue()
    admin = _admin("metrics-jobs")
    account = api.account(admin)
    lead_ids = seed(account, 3)
    capsys.readouterr()
    body = {"action": "set_status", "value": "qualified", "lead_ids": lead_ids}
    job_id = api.ok("POST", f"/accounts/{account}/leads/bulk", admin, expect=202, json_body=body)["job_id"]
    drain(gateway)
    assert job(api, account, admin, job_id)["state"] == "succeeded"
    emitted = blobs(capsys.readouterr().out)
    assert count(emitted, "JobsFinished", kind="bulk", state="succeeded") == 1
    assert count(emitted, "JobsFinished") == 1
    purge_jobs_queue()


def test_powertools_metrics_disabled_silences_the_counts_by_dimension_too(api, monkeypatch, capsys):
    # Given metrics switched off as Powertools documents it (the local runner does this by default)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    admin = _admin("metrics-off")
    account = api.account(admin)
    capsys.readouterr()
    # When a lead is created
    api.lead(account, admin)
    # Then no EMF document is written, while with metrics on the same create writes one
    assert count(blobs(capsys.readouterr().out), "LeadsCaptured") == 0
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    api.lead(account, admin)
    assert count(blobs(capsys.readouterr().out), "LeadsCaptured", source="manual") == 1
