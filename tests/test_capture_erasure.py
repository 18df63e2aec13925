"""Issue 6 (erasure): a signed `user.erasure_requested` event erases that person's leads in every account."""

from __future__ import annotations

from tests.helpers.capture import deliver, enable_auto_capture, leads_of, platform_event


def test_erasure_event_removes_the_person_everywhere(api, gateway):
    # Given one person captured in two accounts, and another person in the first
    accounts = []
    for admin in ("erase-a", "erase-b"):
        account = api.account(admin, "ad_account", "PH")
        enable_auto_capture(api, account, admin)
        accounts.append((account, admin))
    for account, _ in accounts:
        deliver(api, gateway, platform_event(account, user_id="pu-42", region="PH", text="juan.dc@example.ph"))
    first, first_admin = accounts[0]
    deliver(api, gateway, platform_event(first, user_id="pu-43", region="PH", text="other@example.ph"))
    assert len(leads_of(api, first, first_admin)) == 2
    # When the platform asks to forget pu-42
    erasure = platform_event(None, "user.erasure_requested", user_id="pu-42", region="PH", conversation_id=None)
    deliver(api, gateway, erasure)
    # Then pu-42 is gone from both accounts, the other person stays
    remaining = leads_of(api, first, first_admin)
    assert [lead["contact"]["email"] for lead in remaining] == ["other@example.ph"]
    assert leads_of(api, accounts[1][0], accounts[1][1]) == []
