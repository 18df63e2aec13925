"""An account keeps at least one admin, also when admins demote or remove each other at the same moment."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from leadcenter.domain import accounts as members
from leadcenter.errors import Conflict
from leadcenter.policy import Action, authorize
from leadcenter.store import accounts as store


def _users(prefix: str) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"{prefix}-a-{tag}", f"{prefix}-b-{tag}"


def _two_admins(api: Any, prefix: str) -> tuple[str, str, str]:
    first, second = _users(prefix)
    account = api.account(first)
    api.ok("PUT", f"/accounts/{account}/members/{second}", first, json_body={"role": "admin"})
    return account, first, second


def _admins(api: Any, account: str, user: str) -> list[str]:
    return [m["user_id"] for m in api.ok("GET", f"/accounts/{account}/members", user)["items"] if m["role"] == "admin"]


def _race(monkeypatch: pytest.MonkeyPatch, *moves: Callable[[], object]) -> list[str]:
    """Runs the moves at once, each having read the member it changes before any of them writes (the window a
    read-then-write check leaves open). Returns "ok" or "conflict" per move."""
    started = threading.Barrier(len(moves))
    all_read = threading.Barrier(len(moves))
    first_read = threading.local()
    read_member = store.get_member

    def get_member(account_id: str, user_id: str) -> store.Member | None:
        member = read_member(account_id, user_id)
        if not getattr(first_read, "done", False):
            first_read.done = True
            all_read.wait(10)
        return member

    monkeypatch.setattr(store, "get_member", get_member)
    results: list[str] = [""] * len(moves)
    errors: list[BaseException] = []

    def run(index: int, move: Callable[[], object]) -> None:
        try:
            started.wait(10)
            move()
            results[index] = "ok"
        except Conflict as exc:
            assert exc.status == 409
            results[index] = "conflict"
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, move)) for i, move in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return results


def test_the_last_admin_can_neither_be_demoted_nor_removed(api):
    admin, other = _users("solo")
    account = api.account(admin)
    demote = api.call("PUT", f"/accounts/{account}/members/{admin}", admin, json_body={"role": "operator"})
    assert demote.status == 409 and demote.json()["error"]["code"] == "conflict"
    assert api.call("DELETE", f"/accounts/{account}/members/{admin}", admin).status == 409
    assert store.admin_count(account) == 1
    # With a second admin, either may go; then the remaining one is the last again.
    api.ok("PUT", f"/accounts/{account}/members/{other}", admin, json_body={"role": "admin"})
    assert store.admin_count(account) == 2
    api.ok("PUT", f"/accounts/{account}/members/{admin}", admin, json_body={"role": "analyst"})
    assert _admins(api, account, other) == [other] and store.admin_count(account) == 1
    assert api.call("DELETE", f"/accounts/{account}/members/{other}", other).status == 409
    api.ok("DELETE", f"/accounts/{account}/members/{admin}", other, expect=204)
    assert store.admin_count(account) == 1
    assert api.call("DELETE", f"/accounts/{account}/members/{admin}", other).status == 404


def test_scope_and_non_admin_changes_leave_the_count_alone(api):
    account, admin, second = _two_admins(api, "scopes")
    api.ok("PUT", f"/accounts/{account}/members/op-{admin}", admin, json_body={"role": "operator"})
    api.ok("PUT", f"/accounts/{account}/members/op-{admin}", admin, json_body={"role": "analyst"})
    api.ok("PUT", f"/accounts/{account}/members/{second}", admin, json_body={"role": "admin"})  # admin stays admin
    api.ok("DELETE", f"/accounts/{account}/members/op-{admin}", admin, expect=204)
    assert store.admin_count(account) == 2


def test_the_last_two_admins_demoting_each_other_at_once_leave_exactly_one(api, monkeypatch):
    # Given two admins, each about to demote the other (both authorised, both have read the other as admin)
    account, first, second = _two_admins(api, "mutual")
    by_first = authorize(first, account, Action.MEMBERS_MANAGE)
    by_second = authorize(second, account, Action.MEMBERS_MANAGE)
    results = _race(
        monkeypatch,
        lambda: members.set_member(by_first, second, "operator", None),
        lambda: members.set_member(by_second, first, "operator", None),
    )
    monkeypatch.undo()
    # Then exactly one demotion happened, the other was refused, and one admin remains
    assert sorted(results) == ["conflict", "ok"]
    admins = _admins(api, account, first if results[0] == "ok" else second)
    assert len(admins) == 1 and store.admin_count(account) == 1
    # and the survivor is now the last admin: through the API, demoting them is a 409
    [last] = admins
    assert api.call("PUT", f"/accounts/{account}/members/{last}", last, json_body={"role": "operator"}).status == 409


def test_removal_and_demotion_at_once_leave_exactly_one_admin(api, monkeypatch):
    # Given two admins: one removes the other while the other demotes the first
    account, first, second = _two_admins(api, "remove")
    by_first = authorize(first, account, Action.MEMBERS_MANAGE)
    by_second = authorize(second, account, Action.MEMBERS_MANAGE)
    results = _race(
        monkeypatch,
        lambda: members.remove_member(by_first, second),
        lambda: members.set_member(by_second, first, "analyst", None),
    )
    monkeypatch.undo()
    assert sorted(results) == ["conflict", "ok"]
    remaining = {m.user_id: m.role for m in store.list_members(account)}
    assert list(remaining.values()).count("admin") == 1 and store.admin_count(account) == 1
    if results[0] == "ok":  # the removal won: the second admin is gone, the first still admin
        assert remaining == {first: "admin"}
    else:  # the demotion won: both remain, the second as the only admin
        assert remaining == {first: "analyst", second: "admin"}


def test_two_admins_demoting_a_third_at_once_count_it_once(api, monkeypatch):
    account, first, second = _two_admins(api, "third")
    third = f"third-{uuid.uuid4().hex[:8]}"
    api.ok("PUT", f"/accounts/{account}/members/{third}", first, json_body={"role": "admin"})
    by_first = authorize(first, account, Action.MEMBERS_MANAGE)
    by_second = authorize(second, account, Action.MEMBERS_MANAGE)
    results = _race(
        monkeypatch,
        lambda: members.set_member(by_first, third, "operator", None),
        lambda: members.set_member(by_second, third, "analyst", None),
    )
    monkeypatch.undo()
    # The loser read again and applied its change on top: both succeed, the admin left the count once.
    assert results == ["ok", "ok"]
    assert store.admin_count(account) == 2
    assert sorted(_admins(api, account, first)) == sorted([first, second])


def test_an_account_from_before_the_count_is_counted_on_its_first_change(api):
    account, first, second = _two_admins(api, "legacy")
    store.AccountItem(store.account_pk(account), "META").update(actions=[store.AccountItem.admin_count.remove()])
    assert store.admin_count(account) is None
    api.ok("PUT", f"/accounts/{account}/members/{second}", first, json_body={"role": "operator"})
    assert store.admin_count(account) == 1
    assert api.call("DELETE", f"/accounts/{account}/members/{first}", first).status == 409
