"""What a newcomer sees after `SEED=demo make run`: leads from direct messages, instant forms and by hand;
conversations whose leads were captured, with their timeline; reports with spend and cost per lead."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import Problems, Server
from tests.browser.test_ui import filters, finish, is_list_call, open_leads, rows, shoot, sign_in, table_idle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_demo_leads_come_from_messages_forms_and_by_hand(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    sign_in(page, server)  # these run first: the page has no session yet
    open_leads(page, server, account)
    sources = set(rows(page).locator('td[data-label="Source"]').all_inner_texts())
    assert {"Message", "Form"} <= sources, sources
    with page.expect_response(is_list_call(account, source="manual")):
        filters(page).get_by_label("Source", exact=True).select_option("manual")
    table_idle(page)
    assert rows(page).count() > 0, "no lead typed in by hand in the demo"
    assert set(rows(page).locator('td[data-label="Source"]').all_inner_texts()) == {"Manual"}
    shoot(page, "demo-sources")
    finish(page, problems)


def test_demo_conversations_show_captured_leads_and_their_timeline(
    page: Page, server: Server, problems: Problems
) -> None:
    account = server.ad_account["id"]
    sign_in(page, server)
    page.goto(f"{server.base}/#/a/{account}/conversations")
    listed = page.locator(".conversation-list .settings-item")
    expect(listed.first).to_be_visible()
    expect(page.get_by_text("No conversations with captured leads yet.")).to_have_count(0)
    with page.expect_response(lambda r: "/conversations/" in r.url and "/events" in r.url):
        listed.first.get_by_role("button").click()
    timeline = page.locator(".conversation-detail .timeline-item")
    expect(timeline.first).to_be_visible()
    kinds = {timeline.nth(i).get_attribute("data-type") for i in range(timeline.count())}
    assert {"message_received", "lead_created"} <= kinds, kinds
    shoot(page, "demo-conversation")
    finish(page, problems)


def test_demo_reports_show_spend_and_cost_per_lead(page: Page, server: Server, problems: Problems) -> None:
    account = server.ad_account["id"]
    sign_in(page, server)
    with page.expect_response(lambda r: "/reports/leads" in r.url and r.ok):
        page.goto(f"{server.base}/#/a/{account}/reports")
    table = page.locator(".report-table")
    expect(table).to_be_visible()
    spend = table.locator('tbody td[data-label="Spend"]').all_inner_texts()
    cost = table.locator('tbody td[data-label="Cost per lead"]').all_inner_texts()
    assert spend and all(any(ch.isdigit() and ch != "0" for ch in value) for value in spend), spend
    assert any(any(ch.isdigit() for ch in value) for value in cost), cost
    expect(page.locator(".chart-area svg").first).to_be_visible()  # the per-day chart
    expect(page.locator(".daily-table tbody tr").first).to_be_attached()  # and its table (folded away)
    shoot(page, "demo-reports")
    finish(page, problems)
