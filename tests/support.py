"""Helpers shared by the tests: an API client over the template's routes."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

from local.gateway import Gateway, Reply


class Api:
    """Drives the API as a client would: JSON over the template's routes, bearer identity by user id."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def call(
        self,
        method: str,
        path: str,
        user: str | None = "alice",
        *,
        json_body: Any = None,
        query: str = "",
        headers: dict[str, str] | None = None,
        raw: str | bytes | None = None,
    ) -> Reply:
        body = raw if raw is not None else (json.dumps(json_body) if json_body is not None else None)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return self.gateway.invoke(method, path, query=query, headers=all_headers, body=body, subject=user)

    def ok(self, method: str, path: str, user: str = "alice", expect: int = 200, **kwargs: Any) -> Any:
        reply = self.call(method, path, user, **kwargs)
        assert reply.status == expect, f"{method} {path} -> {reply.status}: {reply.body}"
        return reply.json()

    def account(self, user: str = "alice", type_: str = "ad_account", country: str = "SG") -> str:
        return str(
            self.ok(
                "POST", "/accounts", user, expect=201, json_body={"name": "Acme", "type": type_, "country": country}
            )["id"]
        )

    def lead(self, account_id: str, user: str = "alice", **fields: Any) -> dict[str, Any]:
        body = {"region": "SG", "contact": {"name": "Siti Rahma", "email": "siti@example.com", "phone": "+6591234567"}}
        body.update(fields)
        return dict(self.ok("POST", f"/accounts/{account_id}/leads", user, expect=201, json_body=body))


def valid_body(method: str, path: str) -> dict[str, Any] | None:
    """A valid body for a route template, so an answer is about access rather than about the body's shape."""
    if method in ("GET", "DELETE"):
        return None
    if path.endswith("/adgroups"):
        return {
            "campaign_id": "missing0",
            "name": "G",
            "optimization_goal": "conversation",
            "targeting_countries": ["SG"],
        }
    if path.endswith("/ads"):
        return {"adgroup_id": "missing0", "name": "A"}
    if "/campaigns" in path or "/adgroups/" in path or "/ads/" in path:
        return {"name": "Renamed"}
    if path.endswith("/notes") or "/notes/" in path:
        return {"text": "x"}
    if path.endswith("/labels") or "/labels/" in path:
        return {"name": "Matrix"}
    if "/forms" in path:
        return {"name": "F", "questions": [{"question": "Q?", "type": "short_text"}]}
    if path.endswith("/bulk"):
        return {"action": "set_status", "value": "qualified", "lead_ids": ["01ARZ3NDEKTSV4RRFFQ69G5FAV-sg"]}
    if path.endswith("/exports"):
        return {}
    if path.endswith("/attribution"):
        return {"click_window_days": 7}
    if path.endswith("/auto-capture"):
        if method == "PUT":
            return {"privacy_policy_url": "https://example.com/privacy", "company_name": "Acme"}
        return {"enabled": False}
    if path.endswith("/integrations/salesforce"):
        return {"instance_url": "http://127.0.0.1:9", "client_id": "matrix", "client_secret": "matrix-secret"}
    if "/integrations/webhooks" in path:
        return {"url": "https://example.com/hook", "events": ["lead.created"]}
    if path.endswith("/transfer"):
        return {"business_center_id": "missing0", "confirm": True}
    if path.endswith("/members/{user_id}"):
        return {"role": "analyst"}
    if path.endswith("/leads/{lead_id}"):
        return {"status": "contacted"}
    if path.endswith("/leads"):
        return {"region": "SG", "contact": {"name": "X"}}
    return {}


def purge_queue(queue_url: str, region: str = "us-east-1") -> None:
    """Empties a queue, in-flight messages included (tests share one queue per process).

    moto allows one purge a minute, as SQS does; tests purge between cases, so the rule is lifted for the call.
    """
    key = "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"
    previous = os.environ.get(key)
    os.environ[key] = "false"
    try:
        boto3.client("sqs", region_name=region).purge_queue(QueueUrl=queue_url)
    finally:
        if previous is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = previous


def queued_count(queue_url: str, region: str = "us-east-1") -> int:
    attributes = boto3.client("sqs", region_name=region).get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
