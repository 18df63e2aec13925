"""Issue 9: webhook endpoints: the secret shown once and stored sealed, events, who may manage them, and the
SSRF guard (private, loopback, link-local and metadata addresses, names resolving to them) refusing with 422."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import boto3
import pytest

from leadcenter.config import reset_settings, settings
from tests.support import Api

HOOKS = "/accounts/{}/integrations/webhooks"


def _admin() -> str:
    return f"crm-admin-{uuid.uuid4().hex[:8]}"


def _create(api: Api, account: str, user: str, url: str, events: list[str] | None = None):
    body = {"url": url, "events": ["lead.created"] if events is None else events}
    return api.call("POST", HOOKS.format(account), user, json_body=body)


@pytest.fixture
def production_mode(monkeypatch) -> Iterator[None]:
    """Outside the local runner: plain http and loopback are refused."""
    monkeypatch.setenv("LEADCENTER_LOCAL", "false")
    reset_settings()
    assert not settings().local_mode
    yield
    monkeypatch.undo()
    reset_settings()


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """Names resolve to what the test says (the sandbox has no DNS); anything else does not resolve."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host in answers:
            family = socket.AF_INET6
            return [(family if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in answers[host]]
        if host in ("localhost", "127.0.0.1"):
            return real(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_creating_a_webhook_shows_its_secret_once_and_lists_it_without(api, dns):
    # Given an ad account admin and a CRM host with a public address
    admin = _admin()
    account = api.account(admin)
    dns["crm.example.com"] = ["93.184.216.34"]
    # When they add a webhook
    reply = _create(api, account, admin, "https://crm.example.com/leadcenter", ["lead.created", "lead.updated"])
    # Then it is active, subscribed to those events, and the answer carries a signing secret
    assert reply.status == 201, reply.body
    created = reply.json()
    assert created["id"].startswith("wh_") and created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["status"] == "active" and created["events"] == ["lead.created", "lead.updated"]
    # And listing shows the endpoint but never the secret again
    listed = api.ok("GET", HOOKS.format(account), admin)["items"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0] and created["secret"] not in str(listed)


def test_the_secret_is_stored_sealed(api, dns):
    admin = _admin()
    account = api.account(admin)
    dns["crm.example.com"] = ["93.184.216.34"]
    secret = _create(api, account, admin, "https://crm.example.com/hook").json()["secret"]
    table = boto3.resource("dynamodb", region_name=settings().home_region).Table(settings().app_table)
    items = table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"ACC#{account}"})["Items"]
    stored = [i for i in items if str(i["sk"]).startswith("INT#")]
    assert stored and secret not in repr(stored) and secret.encode() not in repr(stored).encode()
    assert stored[0]["secret_ct"] and stored[0]["kek_blob"]


@pytest.mark.parametrize(
    ("url", "answers", "says"),
    [
        ("https://169.254.169.254/latest/meta-data/", {}, "cloud metadata address"),
        ("https://[fd00:ec2::254]/latest", {}, "cloud metadata address"),
        ("https://10.0.0.1/hook", {}, "private address"),
        ("https://172.16.5.4/hook", {}, "private address"),
        ("https://192.168.1.20/hook", {}, "private address"),
        ("https://[fc00::5]/hook", {}, "private address"),
        ("https://169.254.10.10/hook", {}, "link-local address"),
        ("https://[fe80::1]/hook", {}, "link-local address"),
        ("https://crm.internal.example/hook", {"crm.internal.example": ["192.168.1.10"]}, "private address"),
        ("https://meta.example/hook", {"meta.example": ["93.184.216.34", "169.254.169.254"]}, "metadata"),
        ("https://nowhere.invalid/hook", {}, "does not resolve"),
        ("http://crm.example.com/hook", {"crm.example.com": ["93.184.216.34"]}, "https"),
        ("ftp://crm.example.com/hook", {}, "https"),
        ("https://user:pw@crm.example.com/hook", {"crm.example.com": ["93.184.216.34"]}, "user name or password"),
        # Issue 14: IPv6 forms that lead to IPv4 (or to a network of their own), and ports other than 443.
        ("https://[64:ff9b::a00:1]/hook", {}, "NAT64 address"),
        ("https://[64:ff9b::808:808]/hook", {}, "NAT64 address"),
        ("https://[64:ff9b:1::a00:1]/hook", {}, "NAT64 address"),
        ("https://nat64.example/hook", {"nat64.example": ["64:ff9b::a9fe:a9fe"]}, "NAT64 address"),
        ("https://[2002:a00:1::1]/hook", {}, "6to4 address of a private address"),
        ("https://[2002:a9fe:a9fe::1]/hook", {}, "6to4 address of a cloud metadata address"),
        ("https://[2002:7f00:1::1]/hook", {}, "6to4 address of a loopback address"),
        ("https://[::10.0.0.1]/hook", {}, "IPv4-compatible IPv6 address"),
        ("https://[::8.8.8.8]/hook", {}, "IPv4-compatible IPv6 address"),
        ("https://[::ffff:10.0.0.1]/hook", {}, "IPv4-mapped IPv6 address"),
        ("https://[::ffff:169.254.169.254]/hook", {}, "IPv4-mapped IPv6 address"),
        ("https://mapped.example/hook", {"mapped.example": ["::ffff:93.184.216.34"]}, "IPv4-mapped IPv6 address"),
        ("https://[fec0::1]/hook", {}, "site-local address"),
        ("https://[::]/hook", {}, "unspecified address"),
        ("https://0.0.0.0/hook", {}, "unspecified address"),
        ("https://crm.example.com:8443/hook", {"crm.example.com": ["93.184.216.34"]}, "port 443"),
        ("https://93.184.216.34:22/hook", {}, "port 443"),
        ("https://crm.example.com:0/hook", {"crm.example.com": ["93.184.216.34"]}, "port 443"),
    ],
)
def test_unsafe_urls_are_refused_with_422(api, dns, url, answers, says):
    # Given a name server that answers as the case says
    dns.update(answers)
    admin = _admin()
    account = api.account(admin)
    # When an admin adds a webhook to that URL
    reply = _create(api, account, admin, url)
    # Then it is refused with 422 and a message that says why; nothing is stored
    assert reply.status == 422, reply.body
    error = reply.json()["error"]
    assert error["code"] == "unsafe_url" and says in error["message"], error
    assert api.ok("GET", HOOKS.format(account), admin)["items"] == []


@pytest.mark.parametrize("url", ["http://localhost:8080/hook", "https://localhost/hook", "http://127.0.0.1:9/hook"])
def test_loopback_is_refused_outside_the_local_runner(api, dns, production_mode, url):
    admin = _admin()
    account = api.account(admin)
    reply = _create(api, account, admin, url)
    assert reply.status == 422, reply.body
    assert reply.json()["error"]["code"] == "unsafe_url"


@pytest.mark.parametrize("url", ["https://[2002:808:808::1]/hook", "https://crm.example.com:443/hook"])
def test_6to4_of_a_public_address_and_an_explicit_port_443_are_allowed(api, dns, production_mode, url):
    dns["crm.example.com"] = ["93.184.216.34"]
    admin = _admin()
    account = api.account(admin)
    assert _create(api, account, admin, url).status == 201


def test_port_80_only_in_the_local_runner(api, dns, production_mode):
    dns["crm.example.com"] = ["93.184.216.34"]
    admin = _admin()
    account = api.account(admin)
    reply = _create(api, account, admin, "https://crm.example.com:80/hook")
    assert reply.status == 422 and "port 443" in reply.json()["error"]["message"]
    # Loopback on another port stays refused outside the local runner (loopback itself is)
    assert _create(api, account, admin, "http://127.0.0.1:8080/hook").status == 422


def test_the_local_runner_allows_port_80_and_any_port_of_loopback(api, dns):
    dns["crm.example.com"] = ["93.184.216.34"]
    admin = _admin()
    account = api.account(admin)
    assert _create(api, account, admin, "https://crm.example.com:80/hook").status == 201
    assert _create(api, account, admin, "http://127.0.0.1:18080/hook").status == 201
    reply = _create(api, account, admin, "https://crm.example.com:8443/hook")
    assert reply.status == 422 and "port 443" in reply.json()["error"]["message"]


def test_the_local_runner_allows_plain_http_to_loopback_only(api, dns):
    admin = _admin()
    account = api.account(admin)
    assert _create(api, account, admin, "http://127.0.0.1:9/hook").status == 201
    assert _create(api, account, admin, "http://localhost:9/hook").status == 201
    dns["crm.example.com"] = ["93.184.216.34"]
    assert _create(api, account, admin, "http://crm.example.com/hook").status == 422
    assert _create(api, account, admin, "https://10.0.0.1/hook").status == 422


@pytest.mark.parametrize("events", [[], ["lead.exploded"], ["lead.created", "lead.created"], ["lead.status_changed"]])
def test_events_must_be_known_and_distinct(api, events):
    admin = _admin()
    account = api.account(admin)
    reply = _create(api, account, admin, "http://127.0.0.1:9/hook", events)
    assert reply.status == 422, reply.body


def test_a_webhook_can_be_changed_switched_off_and_deleted(api, dns):
    admin = _admin()
    account = api.account(admin)
    hook = _create(api, account, admin, "http://127.0.0.1:9/hook").json()
    path = f"{HOOKS.format(account)}/{hook['id']}"
    # A new URL is checked like a new webhook
    assert api.call("PATCH", path, admin, json_body={"url": "https://10.1.2.3/x"}).status == 422
    changed = api.ok("PATCH", path, admin, json_body={"events": ["lead.deleted"], "enabled": False})
    assert changed["events"] == ["lead.deleted"] and changed["status"] == "disabled"
    assert api.ok("PATCH", path, admin, json_body={"enabled": True})["status"] == "active"
    assert api.call("DELETE", path, admin).status == 204
    assert api.ok("GET", HOOKS.format(account), admin)["items"] == []
    missing = api.call("GET", f"{path}/deliveries", admin)
    assert missing.status == 404 and missing.json()["error"]["code"] == "not_found"


def test_an_account_has_at_most_ten_webhooks(api):
    admin = _admin()
    account = api.account(admin)
    for n in range(10):
        assert _create(api, account, admin, f"http://127.0.0.1:9/hook{n}").status == 201
    assert _create(api, account, admin, "http://127.0.0.1:9/one-too-many").status == 422


def test_who_may_manage_webhooks(api):
    # Ad account: admins only
    admin = _admin()
    account = api.account(admin)
    api.ok("PUT", f"/accounts/{account}/members/op-{admin}", admin, json_body={"role": "operator"})
    assert _create(api, account, f"op-{admin}", "http://127.0.0.1:9/hook").status == 403
    assert _create(api, account, "a-stranger", "http://127.0.0.1:9/hook").status == 404
    # Business Center: members with the crm scope, not those without
    bc_admin = _admin()
    bc = api.account(bc_admin, "business_center")
    for user, scopes in ((f"crm-{bc_admin}", ["crm"]), (f"leads-{bc_admin}", ["leads_center"])):
        api.ok("PUT", f"/accounts/{bc}/members/{user}", bc_admin, json_body={"role": "operator", "lead_access": scopes})
    assert _create(api, bc, f"crm-{bc_admin}", "http://127.0.0.1:9/hook").status == 201
    assert _create(api, bc, f"leads-{bc_admin}", "http://127.0.0.1:9/hook").status == 403
