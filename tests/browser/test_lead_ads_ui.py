"""Lead ads in the browser: the Campaigns screen (create, goal rules, auto-capture, forms, pause, roles) and the
Reports screen (chart and table), at 1280 and 390 px, against the local runner.

These tests use an ad account of their own (`ads-admin` creates it, with `ads-operator` and `ads-analyst` as
members), so the demo account that tests/browser/test_ui.py tells its story with is left as it is. They run in
file order: the campaigns built by the first test are what the others look at.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import Problems, Server
from tests.browser.test_ui import NARROW, WIDE, finish, settle, shoot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ADMIN, OPERATOR, ANALYST = "ads-admin", "ads-operator", "ads-analyst"
WEBHOOK_ROUTE = "/webhooks/messages"
WEBHOOK_SECRET = "local-webhook-secret"  # the local runner's default WEBHOOK_SECRET
ROUTES = [("GET", "/accounts/{account_id}/campaigns"), ("POST", "/accounts/{account_id}/adgroups"),
          ("GET", "/accounts/{account_id}/reports/leads"), ("PUT", "/accounts/{account_id}/auto-capture")]  # fmt: skip


@pytest.fixture(scope="module")
def ads(server: Server) -> dict[str, Any]:
    """A fresh SG ad account with an operator, an analyst, and two instant forms (one without a privacy policy)."""
    missing = [f"{m} {r}" for m, r in ROUTES if not server.offers(m, r)]
    if missing:
        pytest.fail(f"the lead-ads UI tests are blocked: the API does not offer {', '.join(missing)}")
    http = server.http
    account = http.ok("POST", "/accounts", ADMIN, {"name": "Lead Ads Test", "type": "ad_account", "country": "SG"})
    for user, role in ((OPERATOR, "operator"), (ANALYST, "analyst")):
        http.ok("PUT", f"/accounts/{account['id']}/members/{user}", ADMIN, {"role": role})
    questions = [{"question": "Your name"}, {"question": "Best time to call"}]
    forms = f"/accounts/{account['id']}/forms"
    policy = {"privacy_policy_url": "https://example.com/privacy"}
    with_policy = http.ok("POST", forms, ADMIN, {"name": "Test drive sign-up", "questions": questions} | policy)
    without = http.ok("POST", forms, ADMIN, {"name": "Brochure request", "questions": questions})
    return {"id": account["id"], "form": with_policy, "bare_form": without}


def open_screen(page: Page, server: Server, account_id: str, view: str) -> None:
    page.goto(f"{server.base}/#/a/{account_id}/{view}")
    busy = ".campaign-tree" if view == "campaigns" else ".report-table-area"
    expect(page.locator(busy)).to_have_attribute("aria-busy", "false")


def no_horizontal_overflow(page: Page) -> None:
    """At 390 px the page body never scrolls sideways (tables stack, the nav scrolls inside itself)."""
    page.set_viewport_size({"width": NARROW, "height": 844})
    settle(page)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]")
    page.set_viewport_size({"width": WIDE, "height": 900})
    settle(page)
    assert max(widths[:2]) <= widths[2], f"horizontal overflow at {NARROW} px: {widths}"


def campaign(page: Page, name: str) -> Any:
    return page.locator("article.campaign").filter(has=page.get_by_role("heading", name=name, exact=True))


def adgroup(page: Page, name: str) -> Any:
    return page.locator("li.adgroup").filter(has=page.get_by_role("heading", name=f"Ad group {name}", exact=True))


def dialog(page: Page) -> Any:
    return page.locator("dialog#modal")


def submit_dialog(page: Page, button: str, route: str) -> Any:
    with page.expect_response(lambda r: r.request.method in ("POST", "PATCH") and route in r.url) as answer:
        dialog(page).get_by_role("button", name=button, exact=True).click()
    return answer.value


# ---------------------------------------------------------------------------------------------- campaigns


def test_admin_builds_a_campaign_with_both_goals(
    page: Page, server: Server, problems: Problems, ads: dict[str, Any]
) -> None:
    account = ads["id"]
    sign_in(page, server, ADMIN)
    open_screen(page, server, account, "campaigns")
    expect(page.get_by_role("navigation", name="Sections").get_by_role("link", name="Campaigns")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_text("No campaigns yet.")).to_be_visible()

    # A campaign
    page.get_by_role("button", name="New campaign").click()
    dialog(page).get_by_label("Campaign name").fill("Spring EV launch")
    assert submit_dialog(page, "Create campaign", "/campaigns").status == 201
    expect(campaign(page, "Spring EV launch")).to_be_visible()

    # A conversation-goal ad group
    page.get_by_role("button", name="Add an ad group to Spring EV launch").click()
    dialog(page).get_by_label("Ad group name").fill("Chats SG MY")
    dialog(page).get_by_label("Conversations").check()
    dialog(page).get_by_label("Targeting countries").fill("sg, my")
    assert submit_dialog(page, "Create ad group", "/adgroups").status == 201
    group = adgroup(page, "Chats SG MY")
    expect(group.get_by_text("Goal: Conversations")).to_be_visible()
    expect(group.get_by_text("SG (Singapore), MY (Malaysia)")).to_be_visible()

    # A lead-goal ad group: first a country where the goal is not offered, named and explained
    problems.allow(422, "/adgroups")
    page.get_by_role("button", name="Add an ad group to Spring EV launch").click()
    form = dialog(page)
    form.get_by_label("Ad group name").fill("Leads SG")
    form.get_by_label("Leads", exact=True).check()
    form.get_by_label("Targeting countries").fill("SG, US")
    expect(form.locator(".goal-note")).to_contain_text("not offered for US")
    answer = submit_dialog(page, "Create ad group", "/adgroups")
    assert (answer.status, answer.json()["error"]["code"]) == (422, "lead_goal_unavailable")
    alert = form.get_by_role("alert")
    expect(alert).to_contain_text("Not offered for: US (United States)")
    expect(alert).to_contain_text("SG MY PH".replace(" ", ", "))
    shoot(page, "lead-goal-unavailable")

    # ... then a good targeting, refused until auto-capture is on
    form.get_by_label("Targeting countries").fill("SG")
    answer = submit_dialog(page, "Create ad group", "/adgroups")
    assert (answer.status, answer.json()["error"]["code"]) == (422, "auto_capture_required")
    expect(form.get_by_role("alert")).to_contain_text("The Lead goal needs auto-capture")

    # ... so the admin turns it on from here: apply, the review (the local runner approves after 2 s), switch on,
    # and the ad group is created
    problems.allow(404, "/auto-capture")  # not applied yet: the offer asks for the application's details
    form.get_by_role("button", name="Turn on auto-capture").click()
    form.get_by_label("Privacy policy URL").fill("https://example.com/privacy")
    expect(form.get_by_label("Company name")).to_have_value("Lead Ads Test")
    with page.expect_response(
        lambda r: r.request.method == "PATCH" and r.url.endswith("/auto-capture"), timeout=30_000
    ) as on:
        with page.expect_response(lambda r: r.request.method == "PUT" and r.url.endswith("/auto-capture")) as applied:
            form.get_by_role("button", name="Apply for auto-capture").click()
        assert applied.value.json()["status"] == "pending"
    assert on.value.json()["enabled"] is True
    expect(dialog(page)).not_to_be_visible(timeout=15_000)  # the ad group was created again, by itself
    lead_group = adgroup(page, "Leads SG")
    expect(lead_group.get_by_text("Goal: Leads")).to_be_visible()
    assert server.http.ok("GET", f"/accounts/{account}/auto-capture", ADMIN)["enabled"] is True

    # An ad with an instant form: a form without a privacy policy is shown but cannot be chosen
    lead_group.get_by_role("button", name="Add an ad to Leads SG").click()
    form = dialog(page)
    form.get_by_label("Ad name").fill("Book a test drive")
    picker = form.get_by_label("Instant form")
    expect(picker.locator("option", has_text="Brochure request (no privacy policy: cannot be used)")).to_be_disabled()
    expect(form.get_by_text("1 form has no privacy policy (Brochure request)")).to_be_visible()
    picker.select_option(label="Test drive sign-up")
    assert submit_dialog(page, "Create ad", "/ads").status == 201
    expect(lead_group.locator("li.ad")).to_contain_text("Form: Test drive sign-up")

    # ... and one without a form in the conversation group
    group.get_by_role("button", name="Add an ad to Chats SG MY").click()
    dialog(page).get_by_label("Ad name").fill("Chat with us")
    assert submit_dialog(page, "Create ad", "/ads").status == 201
    expect(group.locator("li.ad")).to_contain_text("No instant form")

    # Edit the targeting, then pause and resume
    group.get_by_role("button", name="Edit ad group Chats SG MY").click()
    dialog(page).get_by_label("Targeting countries").fill("SG, MY, TH")
    with page.expect_request(lambda r: r.method == "PATCH" and "/adgroups/" in r.url) as patch:
        dialog(page).get_by_role("button", name="Save").click()
    assert json.loads(patch.value.post_data) == {"targeting_countries": ["SG", "MY", "TH"]}
    assert patch.value.headers.get("if-match")
    expect(group.get_by_text("TH (Thailand)")).to_be_visible()
    group.get_by_role("button", name="Pause ad group Chats SG MY").click()
    expect(group.locator(".entity-head .badge").first).to_have_text("Paused")
    expect(group.get_by_role("button", name="Resume ad group Chats SG MY")).to_be_focused()
    ad = lead_group.locator("li.ad")
    ad.get_by_role("button", name="Pause ad Book a test drive").click()
    expect(ad.locator(".badge")).to_have_text("Paused")
    group.get_by_role("button", name="Resume ad group Chats SG MY").click()
    expect(group.locator(".entity-head .badge").first).to_have_text("Active")
    shoot(page, "campaigns")
    no_horizontal_overflow(page)
    finish(page, problems)


def test_analyst_sees_campaigns_read_only_and_operator_may_edit(page: Page, server: Server, problems: Problems,
                                                                ads: dict[str, Any]) -> None:  # fmt: skip
    account = ads["id"]
    sign_in(page, server, ANALYST)
    open_screen(page, server, account, "campaigns")
    nav = page.get_by_role("navigation", name="Sections")
    expect(nav.get_by_role("link", name="Campaigns")).to_be_visible()
    expect(nav.get_by_role("link", name="Reports")).to_have_count(0)  # reports need lead access (admins)
    expect(page.get_by_text("View only")).to_be_visible()
    expect(adgroup(page, "Leads SG").get_by_text("Goal: Leads")).to_be_visible()
    expect(page.locator("li.ad").filter(has_text="Book a test drive").locator(".badge")).to_have_text("Paused")
    expect(page.locator(".campaigns button")).to_have_count(0)  # no New, Edit, Pause or Add anywhere
    shoot(page, "campaigns-analyst")

    sign_in(page, server, OPERATOR)
    open_screen(page, server, account, "campaigns")
    expect(page.get_by_role("button", name="New campaign")).to_be_visible()
    expect(page.get_by_text("View only")).to_have_count(0)
    page.get_by_role("button", name="Rename campaign Spring EV launch").click()
    dialog(page).get_by_label("Campaign name").fill("Spring EV launch 2026")
    assert submit_dialog(page, "Save", "/campaigns/").status == 200
    expect(campaign(page, "Spring EV launch 2026")).to_be_visible()
    finish(page, problems)


# ---------------------------------------------------------------------------------------------- reports


def _signed_event(server: Server, event: dict[str, Any]) -> None:
    now = server.http.ok("GET", "/_local/clock", user=None)
    event = {"event_id": f"ui-ads-{uuid.uuid4()}", "occurred_at": now["now"], **event}
    body = json.dumps(event).encode()
    stamp = int(now["epoch"])
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    status, payload = server.http.raw("POST", WEBHOOK_ROUTE, body, {"X-Signature": f"t={stamp},s={signature}"})
    assert status == 202, (status, payload)


def _seed_report(server: Server, account: str) -> dict[str, Any]:
    """Spend (signed ad.spend events), three leads from the lead-goal ad, one chat from the conversation-goal ad."""
    http = server.http
    ads = {a["name"]: a for a in http.ok("GET", f"/accounts/{account}/ads", ADMIN)["items"]}
    lead_ad, chat_ad = ads["Book a test drive"], ads["Chat with us"]
    today = http.ok("GET", "/_local/clock", user=None)["now"][:10]
    # The chat's person clicks the conversation-goal ad first: the touch and the message share a queue, so the
    # touch goes first and the message last, with the spend and the leads (and a pause) in between.
    person = {"id": f"ads-person-{uuid.uuid4().hex[:8]}", "region": "SG"}
    touch = {k: chat_ad[k] for k in ("adgroup_id", "campaign_id")} | {"kind": "click", "ad_id": chat_ad["id"]}
    touch |= {"ad_name": chat_ad["name"], "adgroup_name": "Chats SG MY", "campaign_name": "Spring EV launch 2026"}
    _signed_event(server, {"type": "ad.touch", "account_id": account, "user": person, "touch": touch})
    for ad, amount in ((lead_ad, "30.00"), (chat_ad, "12.50")):
        spend = {"ad_id": ad["id"], "date": today, "amount": amount, "currency": "SGD"}
        _signed_event(server, {"type": "ad.spend", "account_id": account, "spend": spend})
    attributed = {k: lead_ad[k] for k in ("adgroup_id", "campaign_id")} | {
        "ad_id": lead_ad["id"],
        "ad_name": lead_ad["name"],
    }
    for i in range(3):
        contact = {"name": f"Report Lead {i}", "email": f"report.lead{i}@example.com"}
        http.ok("POST", f"/accounts/{account}/leads", ADMIN, {"region": "SG", "contact": contact, "ad": attributed})
    time.sleep(1)
    message = {"id": f"m-{person['id']}", "text": "Hi, is it in stock?"}
    chat = {"type": "message.received", "account_id": account, "user": person, "message": message}
    _signed_event(server, chat | {"conversation_id": f"conv-{person['id']}"})

    def ready() -> Any:
        report = http.ok("GET", f"/accounts/{account}/reports/leads?group_by=adgroup", ADMIN)
        totals = report["totals"]
        return report if (totals["leads"], totals["conversations"], totals["spend"]) == (3, 1, "42.50") else None

    return http.wait_for(ready, what="the report's leads, conversation and spend", timeout=60)


def test_reports_show_the_chart_and_the_table(
    page: Page, server: Server, problems: Problems, ads: dict[str, Any]
) -> None:
    account = ads["id"]
    expected = _seed_report(server, account)
    sign_in(page, server, ADMIN)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    expect(page.locator(".report-table-area")).to_have_attribute("aria-busy", "false")

    # By campaign (the default): one row and the totals
    table = page.locator("table.report-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr th")).to_contain_text("Spring EV launch 2026")
    expect(table.locator("tfoot tr td")).to_have_text(["3", "1", "4", "42.50 SGD", "10.63 SGD", "14.17 SGD"])

    # By ad group: the lead-goal group converts leads, the conversation one chats; a cost is "—" without a count
    with page.expect_response(lambda r: "/reports/leads?" in r.url and "group_by=adgroup" in r.url):
        page.get_by_label("Group by").select_option("adgroup")
        page.get_by_role("button", name="Show report").click()
    assert "group_by=adgroup" in page.url
    rows = {row["name"]: row for row in expected["items"]}
    leads_row = table.locator("tbody tr").filter(has_text="Leads SG")
    expect(leads_row.locator("td")).to_have_text(["3", "0", "3", "30.00 SGD", "10.00 SGD", "10.00 SGD"])
    assert rows["Leads SG"]["cost_per_lead"] == "10.00"
    chats_row = table.locator("tbody tr").filter(has_text="Chats SG MY")
    expect(chats_row.locator("td")).to_have_text(["0", "1", "1", "12.50 SGD", "12.50 SGD", "—"])
    expect(chats_row.locator("th .sub")).to_have_text("Goal: Conversations")

    # The chart: an SVG image with a title and a description, bars for the day's leads, the numbers in a table
    chart = page.get_by_role("img", name="Leads, conversions and cost per lead per day")
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text("3 leads and 4 conversions")
    assert page.locator("svg.chart rect.bar-leads").count() == len(expected["series"])
    page.get_by_text("Daily figures", exact=True).click()
    today = expected["series"][-1]["date"]
    expect(page.locator(".daily-table tr").filter(has_text=today).locator("td")).to_have_text(
        ["3", "4", "42.50 SGD", "14.17 SGD"])  # fmt: skip
    shoot(page, "reports")
    no_horizontal_overflow(page)
    page.set_viewport_size({"width": NARROW, "height": 844})
    expect(page.locator("svg.chart")).to_be_visible()
    page.set_viewport_size({"width": WIDE, "height": 900})
    open_screen(page, server, account, "campaigns")
    no_horizontal_overflow(page)
    finish(page, problems)
