"""The Leads Center UI in a real browser (Debian's chromium, headless) against the local runner with demo data.

The tests run in file order and tell one story: sign in, filter, search, change a status, label settings,
bulk-label 50 leads, export, members, conversations, and finally the lead-access transfer (it takes the
agency's access away for good, so it comes last). Each test asserts that the browser saw no console error
and no failed request, and saves full-page screenshots at 1280 and 390 px into tests/artifacts/.

A step that needs a backend route the server does not offer fails with a message naming that route.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import itertools
import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import ARTIFACTS, DEMO_ADMIN, Problems, Server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

WIDE, NARROW = 1280, 390
HEIGHTS = {WIDE: 900, NARROW: 844}
# The goal is a first meaningful paint <= 1 s; the list call's own time is the API's part of it.
# This test holds the UI's part (HTML, modules, rendering: everything but that call) to this budget and
# records both in tests/artifacts/first-paint.json.
UI_OVERHEAD_BUDGET_MS = 500
AWAY_FROM_SEEDING = 20  # row index of leads old enough that the demo seeding has finished with them
FIRST_PAINT_JS = """() => {
  const mark = performance.getEntriesByName('leads-first-page')[0];
  const list = performance.getEntriesByType('resource').find(r => /\\/leads\\?/.test(r.name));
  const scripts = performance.getEntriesByType('resource')
    .filter(r => r.name.endsWith('.js') && r.startTime < list.startTime);
  const round = (ms) => Math.round(ms * 10) / 10;
  return {first_paint_ms: round(mark.startTime),
          list_api_ms: round(list.responseEnd - list.startTime),
          list_request_started_ms: round(list.startTime),
          html_loaded_ms: round(performance.getEntriesByType('navigation')[0].responseEnd),
          scripts_loaded_ms: round(Math.max(...scripts.map(r => r.responseEnd)))};
}"""
_shot_number = itertools.count(1)

BULK_ROUTE = "/accounts/{account_id}/leads/bulk"
JOB_ROUTE = "/accounts/{account_id}/jobs/{job_id}"
EXPORT_ROUTE = "/accounts/{account_id}/exports"
TRANSFER_ROUTE = "/accounts/{account_id}/lead-access/transfer"
EVENTS_ROUTE = "/accounts/{account_id}/conversations/{conversation_id}/events"
MARK_ROUTE = "/accounts/{account_id}/conversations/{conversation_id}/mark-as-lead"
WEBHOOK_ROUTE = "/webhooks/messages"
WEBHOOK_SECRET = "local-webhook-secret"  # the local runner's default WEBHOOK_SECRET


# ---------------------------------------------------------------------------------------------- helpers


def settle(page: Page) -> None:
    """Two animation frames: layout and paint have caught up (no fixed sleep)."""
    page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))")


def shoot(page: Page, name: str) -> None:
    """Full-page screenshots of the current screen at both widths, then back to the wide one."""
    number = next(_shot_number)
    # From the top: a page scrolled under a modal would put the fixed header and drawer mid-image.
    page.evaluate(
        "() => { window.scrollTo(0, 0); document.querySelectorAll('dialog[open]').forEach(d => d.scrollTo(0, 0)); }"
    )
    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        settle(page)
        page.screenshot(path=str(ARTIFACTS / f"{number:02d}-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDE, "height": HEIGHTS[WIDE]})
    settle(page)


def require_routes(server: Server, step: str, *routes: tuple[str, str]) -> None:
    """Fails (never skips) a step whose backend route is missing, naming the route."""
    missing = [f"{method} {route}" for method, route in routes if not server.offers(method, route)]
    if missing:
        pytest.fail(f"{step} is blocked: the API does not offer {', '.join(missing)} yet (not in /openapi.json)")


def table_idle(page: Page) -> None:
    expect(page.locator(".leads .table-wrap")).to_have_attribute("aria-busy", "false")


def is_list_call(account_id: str, **expected: str) -> Any:
    def matches(response: Any) -> bool:
        url = response.url
        if response.request.method != "GET" or f"/accounts/{account_id}/leads?" not in url:
            return False
        return all(f"{key}={value}" in url for key, value in expected.items())

    return matches


def open_leads(page: Page, server: Server, account_id: str, query: str = "") -> None:
    """Shows an account's leads (a same-document hash navigation) and waits for the first page."""
    target = f"{server.base}/#/a/{account_id}/leads{query}"
    if page.url == target:
        table_idle(page)  # Refresh during a load would cancel it (a failed request)
    with page.expect_response(is_list_call(account_id)):
        if page.url == target:
            page.get_by_role("button", name="Refresh").click()
        else:
            page.goto(target)
    table_idle(page)


def filters(page: Page) -> Any:
    return page.locator("form.filters")


def sign_out(page: Page, server: Server) -> None:
    """To the sign-in screen the way a user gets there (a reload here could cut requests short)."""
    if not page.url.startswith(server.base):
        page.goto(server.base + "/")
    sign_out_button = page.get_by_role("button", name="Sign out")
    if sign_out_button.count():
        sign_out_button.click()
    expect(page.get_by_role("heading", name="Sign in as")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('leadcenter.session')") is None


def sign_in(page: Page, server: Server, user: str = DEMO_ADMIN) -> None:
    sign_out(page, server)
    page.get_by_label("User id").fill(user)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#account-select")).to_be_visible()
    # The first screen has loaded what it needs (no request left to cut short by the next step)
    expect(page.locator("#view .loading, #view [aria-busy='true']")).to_have_count(0)


def rows(page: Page) -> Any:
    return page.locator(".leads-table tbody tr[data-id]")


def row_statuses(page: Page) -> list[str]:
    return rows(page).locator("select.row-status").evaluate_all("els => els.map(e => e.value)")


def finish(page: Page, problems: Problems) -> None:
    problems.settle(page)
    problems.urls.append(page.url)
    problems.assert_none()
    problems.assert_no_personal_data_in_urls()


# ---------------------------------------------------------------------------------------------- story


def test_sign_in_and_first_paint(page: Page, server: Server, problems: Problems) -> None:
    # Given the sign-in screen
    sign_out(page, server)
    shoot(page, "sign-in")

    # When demo-admin signs in, the leads of the demo ad account show, 50 to a page
    page.get_by_label("User id").fill(DEMO_ADMIN)
    with page.expect_response(is_list_call(server.ad_account["id"], limit="50")):
        page.get_by_role("button", name="Sign in").click()
    table_idle(page)
    expect(page.locator("#account-select")).to_have_value(server.ad_account["id"])
    expect(rows(page)).to_have_count(50)
    assert "token" not in page.url.lower()
    assert page.evaluate("() => sessionStorage.getItem('leadcenter.session') !== null")
    shoot(page, "leads")

    # Then a reload (token in sessionStorage) paints the first page of leads as soon as the API answers
    page.reload()
    expect(rows(page).first).to_be_visible()
    timing = page.evaluate(FIRST_PAINT_JS)
    timing["ui_overhead_ms"] = round(timing["first_paint_ms"] - timing["list_api_ms"], 1)
    (ARTIFACTS / "first-paint.json").write_text(json.dumps(timing, indent=2))
    print(f"first meaningful paint of the leads table: {timing}")
    assert timing["ui_overhead_ms"] <= UI_OVERHEAD_BUDGET_MS, (
        f"the UI adds {timing['ui_overhead_ms']} ms to the list call ({timing})"
    )
    finish(page, problems)


def test_filter_by_status(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    open_leads(page, server, account)
    with page.expect_response(is_list_call(account, status="qualified")):
        filters(page).get_by_label("Status", exact=True).select_option("qualified")
    table_idle(page)
    statuses = row_statuses(page)
    assert statuses, "no qualified lead in the demo data"
    assert set(statuses) == {"qualified"}
    assert "status=qualified" in page.url  # filters (no personal data) survive a reload
    shoot(page, "filter-status")
    finish(page, problems)


def test_filter_by_label(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    labels = server.http.ok("GET", f"/accounts/{account}/labels")["items"]
    hot = next(label for label in labels if label["name"] == "Hot")
    open_leads(page, server, account)
    with page.expect_response(is_list_call(account, label=hot["id"])):
        filters(page).get_by_label("Label", exact=True).select_option(hot["id"])
    table_idle(page)
    count = rows(page).count()
    assert count > 0, "no lead labelled Hot in the demo data"
    for index in range(count):
        expect(rows(page).nth(index).locator(".chip", has_text="Hot")).to_be_visible()
    shoot(page, "filter-label")
    finish(page, problems)


def test_search_by_campaign_name(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    open_leads(page, server, account)
    with page.expect_response(is_list_call(account, q="Home+Loan+Leads+Q3")):
        filters(page).get_by_label("Search", exact=True).fill("Home Loan Leads Q3")
        filters(page).get_by_label("Search", exact=True).press("Enter")
    table_idle(page)
    campaigns = rows(page).locator(".col-ad .sub").all_inner_texts()
    assert campaigns, "no lead from the Home Loan Leads Q3 campaign"
    assert set(campaigns) == {"Home Loan Leads Q3"}
    shoot(page, "search-campaign")

    # Clearing brings every lead back
    with page.expect_response(is_list_call(account)):
        page.get_by_role("button", name="Clear filters").first.click()
    table_idle(page)
    expect(rows(page)).to_have_count(50)
    finish(page, problems)


def test_change_status_and_see_it_in_the_timeline(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    open_leads(page, server, account, "?status=raw")
    # Not the newest leads: the demo seeding may still be working on those.
    target = rows(page).nth(AWAY_FROM_SEEDING)
    lead_id = target.get_attribute("data-id")

    # Keyboard: arrow keys move between rows
    target.focus()
    page.keyboard.press("ArrowDown")
    below = rows(page).nth(AWAY_FROM_SEEDING + 1).get_attribute("data-id")
    assert page.evaluate("() => document.activeElement.dataset.id") == below
    page.keyboard.press("ArrowUp")
    assert page.evaluate("() => document.activeElement.dataset.id") == lead_id

    # When the status of a new lead is set to Contacted from its row
    with page.expect_response(lambda r: r.request.method == "PATCH" and lead_id in r.url) as patched:
        target.locator("select.row-status").select_option("contacted")
    assert patched.value.ok, patched.value.status
    expect(page.locator("#status")).to_contain_text("status set to Contacted")

    # Then the drawer (Enter on the row) shows it in the activity timeline
    page.locator(f'tr[data-id="{lead_id}"]').focus()
    page.keyboard.press("Enter")
    drawer = page.locator("#drawer")
    expect(drawer).to_be_visible()
    expect(drawer.locator(".timeline-item", has_text="changed status from Raw to Contacted")).to_be_visible()
    expect(drawer.locator(".timeline-item", has_text="viewed the contact information")).to_be_visible()
    expect(drawer.get_by_label("Status")).to_have_value("contacted")
    expect(drawer.get_by_role("heading", name="Contact")).to_be_visible()

    # A note, added and edited
    drawer.get_by_label("Add a note").fill("Called, wants a quote on Monday.")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/notes")):
        drawer.get_by_role("button", name="Add note").click()
    expect(drawer.locator(".note-text", has_text="wants a quote on Monday")).to_be_visible()
    drawer.locator(".note").first.get_by_role("button", name=re.compile("^Edit note")).click()
    drawer.get_by_label("Edit note", exact=True).fill("Called, quote sent on Monday.")
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/notes/" in r.url):
        drawer.get_by_role("button", name="Save").click()
    expect(drawer.locator(".note-text", has_text="quote sent on Monday")).to_be_visible()
    shoot(page, "lead-drawer")

    # Escape closes the drawer and focus returns to the row
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    assert page.evaluate("() => document.activeElement.dataset.id") == lead_id
    expect(page.locator(f'tr[data-id="{lead_id}"] .sub').first).to_have_text("Viewed")
    finish(page, problems)


def test_conflicting_change_reloads_the_row(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    open_leads(page, server, account)
    first = rows(page).nth(AWAY_FROM_SEEDING)
    lead_id = first.get_attribute("data-id")
    current = first.locator("select.row-status").input_value()
    theirs, mine = [s for s in ("qualified", "contacted", "unqualified") if s != current][:2]
    # Someone else changes the lead after this page read it
    server.http.ok("PATCH", f"/accounts/{account}/leads/{lead_id}", user="demo-admin-2", body={"status": theirs})
    problems.allow(409, f"/leads/{lead_id}")
    with page.expect_response(lambda r: r.request.method == "PATCH" and lead_id in r.url) as patched:
        first.locator("select.row-status").select_option(mine)
    assert patched.value.status == 409
    expect(page.locator("#status")).to_contain_text("changed by someone else")
    expect(page.locator(f'tr[data-id="{lead_id}"] select.row-status')).to_have_value(theirs)
    finish(page, problems)


def test_label_settings(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    page.goto(f"{server.base}/#/a/{account}/labels")
    expect(page.locator(".settings-item").first).to_be_visible()
    page.get_by_label("New label").fill("Webinar 2026")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/labels")):
        page.get_by_role("button", name="Create label").click()
    item = page.locator(".settings-item", has_text="Webinar 2026")
    expect(item).to_be_visible()
    item.get_by_role("button", name="Rename Webinar 2026").click()
    page.get_by_label("New name for Webinar 2026").fill("Bulk batch")
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/labels/" in r.url):
        page.get_by_role("button", name="Save").click()
    expect(page.locator(".settings-item", has_text="Bulk batch")).to_be_visible()
    shoot(page, "labels")
    finish(page, problems)


def test_bulk_label_fifty_leads(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    labels = server.http.ok("GET", f"/accounts/{account}/labels")["items"]
    label = next((each for each in labels if each["name"] == "Bulk batch"), None)
    if label is None:  # the label-settings test did not run (or failed) before this one
        label = server.http.ok("POST", f"/accounts/{account}/labels", body={"name": "Bulk batch"})
    open_leads(page, server, account)
    expect(rows(page)).to_have_count(50)
    page.get_by_label("Select all leads on this page").check()
    expect(page.locator(".bulk-count")).to_have_text("50 leads selected")
    page.get_by_label("Bulk action").select_option("add_labels")
    page.locator("#bulk-value").select_option(label["id"])
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/leads/bulk")) as started:
        page.get_by_role("button", name="Apply").click()
    if started.value.status in (404, 405):  # 405: the route /leads/{lead_id} takes "bulk" as a lead id
        expect(page.locator(".bulk .notice-error")).to_contain_text("not available")
        shoot(page, "bulk-unavailable")
        pytest.fail(f"bulk-labelling is blocked: POST {BULK_ROUTE} answers 404; the UI says: "
                    f"{page.locator('.bulk .notice-error').inner_text()}")  # fmt: skip
    assert started.value.ok, (started.value.status, started.value.text())
    job = page.locator(".bulk .job")
    progress = job.locator("progress")
    expect(progress).to_be_visible()
    expect(job).to_have_attribute("data-state", re.compile("succeeded|partially_failed|failed"), timeout=60_000)
    expect(job).to_have_attribute("data-state", "succeeded")
    assert progress.evaluate("p => [p.value, p.max]") == [50, 50]
    expect(job.locator(".job-line")).to_contain_text("50 of 50 done")
    shoot(page, "bulk-label-done")

    # The 50 leads now carry the label
    open_leads(page, server, account, f"?label={label['id']}")
    expect(rows(page)).to_have_count(50)
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    finish(page, problems)


def test_export_and_download_csv(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    open_leads(page, server, account, "?status=qualified")
    page.get_by_role("button", name="Export CSV").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("heading", name="Export leads to CSV")).to_be_visible()
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/exports")) as started:
        dialog.get_by_role("button", name="Start export").click()
    if started.value.status in (404, 405):
        expect(dialog.locator(".notice-error")).to_contain_text("not available")
        shoot(page, "export-unavailable")
        pytest.fail(f"export is blocked: POST {EXPORT_ROUTE} answers 404; the UI says: "
                    f"{dialog.locator('.notice-error').inner_text()}")  # fmt: skip
    assert started.value.ok, (started.value.status, started.value.text())
    download_button = dialog.get_by_role("button", name=re.compile("^Download CSV"))
    expect(download_button).to_be_visible(timeout=60_000)
    expect(dialog.locator(".job")).to_have_attribute("data-state", "succeeded")
    shoot(page, "export-ready")
    with page.expect_download() as downloading:
        download_button.click()
    saved = ARTIFACTS / "downloads" / "export.csv"
    downloading.value.save_as(saved)
    text = saved.read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header = [column.lower() for column in table[0]]
    assert any("status" in column for column in header), header
    assert len(table) > 1, "the export holds no lead"
    status_column = next(i for i, column in enumerate(header) if "status" in column)
    assert {row[status_column] for row in table[1:] if row} == {"qualified"}
    page.keyboard.press("Escape")
    finish(page, problems)


def test_members_and_lead_access_in_business_center(page: Page, server: Server, problems: Problems) -> None:
    center = server.business_center["id"]
    page.goto(f"{server.base}/#/a/{center}/members")
    expect(page.get_by_role("heading", name="Members and lead access")).to_be_visible()
    operator = page.locator('tr[data-user="demo-operator"]')
    expect(operator).to_be_visible()
    expect(operator.get_by_label("Leads Center")).to_be_checked()
    expect(operator.get_by_label("CRM integrations")).not_to_be_checked()
    # Grant the CRM scope
    operator.get_by_label("CRM integrations").check()
    is_save = lambda r: r.request.method == "PUT" and r.url.endswith("/members/demo-operator")  # noqa: E731
    with page.expect_response(is_save) as saved:
        operator.get_by_role("button", name="Save").click()
    assert saved.value.ok, saved.value.status
    expect(page.locator('tr[data-user="demo-operator"]').get_by_label("CRM integrations")).to_be_checked()
    members = server.http.ok("GET", f"/accounts/{center}/members")["items"]
    assert "crm" in next(m for m in members if m["user_id"] == "demo-operator")["lead_access"]
    shoot(page, "members")
    finish(page, problems)


def send_message_event(server: Server, account_id: str, conversation_id: str, text: str) -> None:
    """A signed `message.received` event, as the messaging platform sends it."""
    now = server.http.ok("GET", "/_local/clock", user=None)
    event = {
        "event_id": f"ui-{conversation_id}-{int(now['epoch'] * 1000)}",
        "type": "message.received",
        "account_id": account_id,
        "occurred_at": now["now"],
        "conversation_id": conversation_id,
        "user": {"id": f"platform-user-{conversation_id}", "display_name": "Ploy S.", "region": "TH"},
        "message": {"id": f"m-{conversation_id}", "text": text},
    }
    body = json.dumps(event).encode()
    stamp = int(now["epoch"])
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    status, payload = server.http.raw("POST", WEBHOOK_ROUTE, body, {"X-Signature": f"t={stamp},s={signature}"})
    assert status == 202, (status, payload)


def test_conversations_mark_as_lead(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    page.goto(f"{server.base}/#/a/{account}/conversations")
    expect(page.get_by_role("heading", name="Conversations", exact=True)).to_be_visible()
    expect(page.locator(".conversation-list .loading")).to_have_count(0)
    require_routes(server, "Conversations (events and Mark as lead)", ("POST", WEBHOOK_ROUTE), ("GET", EVENTS_ROUTE),
                   ("POST", MARK_ROUTE))  # fmt: skip

    # Given a direct message without contact details (nothing to capture by itself)
    conversation = "conv-ui-0001"
    send_message_event(server, account, conversation, "Hi! Is the EV test drive still on this weekend?")
    events = f"/accounts/{account}/conversations/{conversation}/events"
    server.http.wait_for(lambda: server.http.request("GET", events)[0] == 200, what="the queued message event")

    # When the marketer opens the conversation and marks it as a lead
    page.get_by_label("Conversation id").fill(conversation)
    with page.expect_response(lambda r: f"/conversations/{conversation}/events" in r.url):
        page.get_by_role("button", name="Open", exact=True).click()
    detail = page.locator(".conversation-detail")
    expect(detail.get_by_role("heading", name=f"Conversation {conversation}")).to_be_visible()
    shoot(page, "conversation")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/mark-as-lead")) as marked:
        detail.get_by_role("button", name="Mark as lead").click()
    assert marked.value.ok, (marked.value.status, marked.value.text())

    # Then the lead is there, with the source "message", and its status can be updated from here
    expect(detail.get_by_label("Status")).to_have_value("raw")
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/leads/" in r.url) as patched:
        detail.get_by_label("Status").select_option("contacted")
    assert patched.value.ok, patched.value.status
    expect(detail.get_by_label("Status")).to_have_value("contacted")
    lead_id = marked.value.json()["id"]
    lead = server.http.ok("GET", f"/accounts/{account}/leads/{lead_id}")
    assert (lead["source"], lead["status"], lead["conversation_id"]) == ("message", "contacted", conversation)
    shoot(page, "conversation-marked")
    finish(page, problems)


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_cognito_sign_in_uses_authorization_code_with_pkce(browser_context: Any, server: Server) -> None:
    """Production sign-in (config mode "cognito") against a stand-in hosted UI, in a tab of its own."""
    base, domain = server.base, "https://auth.example.test"
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    seen: dict[str, Any] = {}
    claims = {"sub": "8d0c-user", "cognito:username": "maria", "exp": int(time.time()) + 3600}
    id_token = ".".join(_base64url(json.dumps(part).encode()) for part in ({"alg": "none"}, claims)) + ".sig"
    config = {"mode": "cognito", "apiBase": "", "cognitoDomain": domain, "clientId": "ui-client",
              "redirectUri": f"{base}/", "logoutUri": f"{base}/", "scopes": "openid email profile"}  # fmt: skip

    def authorize(route: Any) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(route.request.url).query).items()}
        seen["authorize"] = query
        route.fulfill(status=302, headers={"Location": f"{base}/?code=the-code&state={query['state']}"})

    def token(route: Any) -> None:
        seen["token"] = {k: v[0] for k, v in parse_qs(route.request.post_data or "").items()}
        tokens = {"id_token": id_token, "access_token": "access", "refresh_token": "refresh", "expires_in": 3600}
        route.fulfill(status=200, json=tokens, headers={"Access-Control-Allow-Origin": base})

    def accounts(route: Any) -> None:
        seen["authorization"] = route.request.headers.get("authorization")
        route.fulfill(status=200, json={"items": [], "next_cursor": None})

    page.route(f"{base}/config.js", lambda r: r.fulfill(body=f"export default {json.dumps(config)};",
                                                         content_type="text/javascript"))  # fmt: skip
    page.route(f"{domain}/oauth2/authorize*", authorize)
    page.route(f"{domain}/oauth2/token", token)
    page.route(f"{base}/accounts", accounts)
    # The notification bell polls the caller's inbox with the same token (an empty one here)
    page.route(f"{base}/notifications?*", lambda r: r.fulfill(status=200, json={"items": [], "next_cursor": None,
                                                                                "unread_count": 0}))  # fmt: skip
    try:
        page.goto(f"{base}/")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="No accounts yet")).to_be_visible()
        expect(page.get_by_text("maria is not a member")).to_be_visible()
        assert "code=" not in page.url and "state=" not in page.url  # the one-time code leaves the address bar
        shoot(page, "cognito-signed-in")
    finally:
        page.close()

    authorize_query, token_form = seen["authorize"], seen["token"]
    assert authorize_query["response_type"] == "code"
    assert authorize_query["client_id"] == "ui-client"
    assert authorize_query["redirect_uri"] == f"{base}/"
    assert authorize_query["code_challenge_method"] == "S256"
    assert token_form["grant_type"] == "authorization_code"
    assert token_form["code"] == "the-code"
    assert token_form["redirect_uri"] == f"{base}/"
    # The verifier sent to the token endpoint is the one the challenge was made from
    challenge = _base64url(hashlib.sha256(token_form["code_verifier"].encode()).digest())
    assert challenge == authorize_query["code_challenge"]
    assert 43 <= len(token_form["code_verifier"]) <= 128
    assert seen["authorization"] == f"Bearer {id_token}"
    assert not errors, errors


def test_transfer_lead_access_and_the_agency_loses_it(page: Page, server: Server, problems: Problems) -> None:
    ad, center = server.ad_account, server.business_center
    page.goto(f"{server.base}/#/a/{ad['id']}/lead-access")
    open_button = page.get_by_role("button", name="Transfer lead access…")
    expect(open_button).to_be_visible()
    open_button.click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_text("The agency loses access to these leads.")).to_be_visible()
    confirm = dialog.get_by_role("button", name="Transfer lead access")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Transfer to Business Center").select_option(center["id"])
    dialog.get_by_label(re.compile("I understand")).check()
    shoot(page, "transfer-dialog")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/lead-access/transfer")) as sent:
        confirm.click()
    if sent.value.status in (404, 405):
        expect(dialog.locator(".form-error")).to_contain_text("not available")
        pytest.fail(f"the transfer is blocked: POST {TRANSFER_ROUTE} answers 404; the UI says: "
                    f"{dialog.locator('.form-error').inner_text()}")  # fmt: skip
    assert sent.value.ok, (sent.value.status, sent.value.text())
    expect(page.locator(".access-details")).to_contain_text("Lead access is transferred")

    # The agency (the ad account's own admins) no longer reaches the leads, in the UI and in the API
    status, body = server.http.request("GET", f"/accounts/{ad['id']}/leads?limit=1", user="demo-admin-2")
    assert status == 403, (status, body)
    sign_in(page, server, "demo-admin-2")
    page.goto(f"{server.base}/#/a/{ad['id']}/leads")
    expect(page.get_by_text("Lead access was transferred.")).to_be_visible()
    expect(page.locator(".leads-table")).to_have_count(0)
    shoot(page, "agency-lost-access")

    # The Business Center now lists them
    sign_in(page, server, DEMO_ADMIN)
    open_leads(page, server, center["id"])
    expect(rows(page)).to_have_count(50)
    shoot(page, "business-center-leads")
    finish(page, problems)
