"""The Salesforce connector's adapter: OAuth 2.0 client credentials, then an upsert by external id.

Wire (Salesforce's documented REST shapes, through our own transport: SSRF rules and one hard deadline for the
whole attempt, token request included):

- token: `POST {instance_url}/services/oauth2/token` (form `grant_type=client_credentials`, `client_id`,
  `client_secret`) -> `{access_token, instance_url}`. The token is kept sealed with the connector (`save_token`)
  and reused by every worker until Salesforce answers `401` (INVALID_SESSION_ID): then one new token, one retry.
- created or changed lead (and a test lead): `PATCH {instance_url}/services/data/<version>/sobjects/Lead/
  LeadCenter_Id__c/<lead id>` with the record of `salesforce_record` (201 created, 200/204 updated).
- deleted or erased lead: `DELETE` of the same URL (204; 404 means it is gone already): no copy of personal data
  we put there is left behind (Salesforce keeps deleted records in its recycle bin for 15 days).

Hosts: outside the local runner the instance URL (and the one a token answer names) must be https on a
Salesforce domain (`SALESFORCE_HOST_SUFFIXES`, default `.salesforce.com,.force.com`); the client secret is sent
nowhere else. The local runner also allows http://127.0.0.1 and localhost, where test receivers listen.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from leadcenter.adapters import DeliveryResult, LeadEvent, Target, transport
from leadcenter.adapters.salesforce_record import EXTERNAL_ID_FIELD, record
from leadcenter.adapters.transport import Deadline, UnsafeUrl
from leadcenter.config import settings
from leadcenter.crm_settings import crm_settings

API_VERSION = "v62.0"
USER_AGENT = "leadcenter-salesforce/1"
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
_CODE = re.compile(r"^[A-Za-z_]{1,64}$")


def instance_url(url: str, *, local_mode: bool) -> str:
    """The instance URL as `scheme://host[:port]` if it may be used (host rule, then the SSRF rules), else
    UnsafeUrl (422 unsafe_url, field url)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("the instance URL is not valid", "invalid") from exc
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UnsafeUrl("the instance URL is the org's address only, e.g. https://acme.my.salesforce.com", "path")
    if not (local_mode and host in _LOCAL_HOSTS) and not _salesforce_host(host):
        suffixes = ", ".join(f"*{s}" for s in _suffixes())
        raise UnsafeUrl(f"the instance URL must be a Salesforce address ({suffixes})", "host")
    transport.vet(url, local_mode=local_mode)
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def _suffixes() -> list[str]:
    return [s.strip().lower() for s in crm_settings().salesforce_host_suffixes.split(",") if s.strip()]


def _salesforce_host(host: str) -> bool:
    return any(host.endswith(suffix) and len(host) > len(suffix) for suffix in _suffixes())


def _error_code(body: bytes) -> str | None:
    """Salesforce's own error code from an answer (`[{errorCode}]` or `{error}`), if it looks like one; never
    its message, which may quote data."""
    try:
        found: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(found, list) and found and isinstance(found[0], dict):
        found = found[0].get("errorCode")
    elif isinstance(found, dict):
        found = found.get("errorCode") or found.get("error")
    return str(found).lower() if isinstance(found, str) and _CODE.match(found) else None


class _Session:
    """One attempt: the cached token (or a new one), and the requests, all within one deadline."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.local_mode = settings().local_mode
        self.deadline = Deadline(crm_settings().timeout_seconds)
        self.requests = 0
        self.token, self.base = self._cached()

    def _cached(self) -> tuple[str | None, str]:
        try:
            cached = json.loads(self.target.access_token or "")
            return str(cached["access_token"]), str(cached["instance_url"])
        except (ValueError, KeyError, TypeError):
            return None, self.target.url

    def renew(self) -> DeliveryResult | None:
        """A new token (kept for later attempts); the failure if there is none."""
        form = {
            "grant_type": "client_credentials",
            "client_id": str(self.target.options.get("client_id", "")),
            "client_secret": self.target.secret,
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                   "User-Agent": USER_AGENT}  # fmt: skip
        answer = self._call("POST", f"{self.target.url}/services/oauth2/token", urlencode(form).encode(), headers)
        if not answer.ok:
            code = _error_code(answer.body)
            error = f"token_{code}" if code else f"token_{answer.result().error}"
            return DeliveryResult(ok=False, status_code=answer.status, error=error)
        try:
            granted = json.loads(answer.body)
            token, named = str(granted["access_token"]), str(granted.get("instance_url") or self.target.url)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return DeliveryResult(ok=False, status_code=answer.status, error="token_unreadable")
        self.token, self.base = token, self._api_base(named)
        if self.target.save_token is not None:
            self.target.save_token(json.dumps({"access_token": token, "instance_url": self.base}))
        return None

    def _api_base(self, named: str) -> str:
        """Where the API calls go: the instance the token answer names if it passes the same rules, else ours."""
        try:
            return instance_url(named, local_mode=self.local_mode)
        except UnsafeUrl:
            return self.target.url

    def _call(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> transport.Answer:
        self.requests += 1
        try:
            return transport.request(method, url, body, headers, local_mode=self.local_mode, deadline=self.deadline)
        except TimeoutError:
            return transport.Answer(error="timeout")

    def record_call(self, method: str, lead_id: str, body: dict[str, Any] | None) -> transport.Answer:
        url = f"{self.base}/services/data/{API_VERSION}/sobjects/Lead/{EXTERNAL_ID_FIELD}/{quote(lead_id, safe='')}"
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json", "User-Agent": USER_AGENT}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self._call(method, url, data, headers)


def _body(target: Target, event: LeadEvent) -> dict[str, Any] | None:
    """The upsert's record; None for a deletion."""
    if event.type == "lead.deleted" or event.lead is None:
        return None
    options = target.options
    return record(
        event.lead,
        status_map=options.get("status_map"),
        field_map=options.get("field_map"),
        account_name=event.account_name,
        test=event.type == "lead.test",
    )


class SalesforceAdapter:
    def deliver(self, target: Target, event: LeadEvent) -> DeliveryResult:
        body = _body(target, event)
        method = "DELETE" if body is None else "PATCH"
        session = _Session(target)
        if session.token is None and (failed := session.renew()) is not None:
            return failed
        answer = session.record_call(method, event.lead_id, body)
        if answer.status == 401:
            # The session expired (INVALID_SESSION_ID) or was revoked: one new token, one retry.
            if (failed := session.renew()) is not None:
                return failed
            answer = session.record_call(method, event.lead_id, body)
        if method == "DELETE" and answer.status == 404:
            return DeliveryResult(ok=True, status_code=404)  # nothing of ours is there (any more)
        result = answer.result()
        if not result.ok and answer.status is not None and (code := _error_code(answer.body)):
            return DeliveryResult(ok=False, status_code=answer.status, error=f"salesforce_{code}")
        return result
