"""Issue "4 of 6" in a real browser: connect Salesforce on the Integrations screen, send a test lead, see it
(and a real lead's delivery) in the connector's delivery log. The org is a local Salesforce stand-in on
127.0.0.1 (tests/helpers/salesforce.py), which the local runner may call (local mode)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import Problems, Server
from tests.browser.test_ui import finish, shoot, sign_in
from tests.helpers.salesforce import SalesforceOrg

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def org() -> Iterator[SalesforceOrg]:
    server = SalesforceOrg().start()
    yield server
    server.stop()


def test_connect_salesforce_send_a_test_lead_and_see_its_delivery(
    page: Page, server: Server, problems: Problems, org: SalesforceOrg
) -> None:
    # Given an admin of a fresh ad account on the Integrations screen (not connected yet: GET answers 404)
    user = f"sf-ui-{uuid.uuid4().hex[:6]}"
    account = server.http.ok("POST", "/accounts", user, {"name": "Kopi Co", "type": "ad_account", "country": "SG"})
    problems.allow(404, "/integrations/salesforce")
    sign_in(page, server, user)
    page.locator("#account-select").select_option(account["id"])
    page.get_by_role("link", name="Integrations").click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()
    form = page.get_by_role("form", name="Connect Salesforce")
    # When they connect Salesforce
    form.get_by_label("Instance URL").fill(org.url)
    form.get_by_label("Client id").fill(org.client_id)
    form.get_by_label("Client secret").fill(org.client_secret)
    form.get_by_role("button", name="Connect Salesforce").click()
    # Then the connector shows as active, the secret nowhere on the page
    expect(page.locator(".connector-facts")).to_contain_text("Active")
    expect(page.locator(".connector-facts")).to_contain_text(org.url)
    assert org.client_secret not in page.content()
    # When they send a test lead
    page.get_by_role("button", name="Send test lead").first.click()
    # Then the answer is reported, and the delivery log shows the test lead delivered
    expect(page.locator(".test-result").first).to_have_text("Test lead accepted (HTTP 201).")
    log = page.locator(".deliveries-table").first
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log.locator("tbody tr").first).to_contain_text("Test lead")
    expect(log.locator("tbody tr").first).to_contain_text("Delivered")
    [(external_id, record)] = org.records.items()
    assert external_id.startswith("test-") and record["LeadSource"] == "LeadCenter Test"
    # And a real lead arrives in Salesforce through the pipeline, and in the log after a refresh
    lead = server.http.ok("POST", f"/accounts/{account['id']}/leads", user,
                          {"region": "SG", "contact": {"name": "Ana Lim", "email": "ana@example.com"}})  # fmt: skip
    server.http.wait_for(lambda: lead["id"] in org.records, "the lead's upsert")
    page.get_by_role("button", name="Refresh").first.click()
    expect(log.locator("tbody tr")).to_have_count(2)
    expect(log.locator(f"tbody tr:has-text('{lead['id']}')")).to_contain_text("Created")
    shoot(page, "integrations-salesforce")
    finish(page, problems)
