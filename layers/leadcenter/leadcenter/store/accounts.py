"""The account aggregate: ad accounts and Business Centers, their members, roles and lead-access scopes."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.errors import Conflict, DomainError, NotFound
from leadcenter.store import batch_io
from leadcenter.store._base import (
    cancellation_reasons,
    table_meta,
    transact_get,
    transact_write,
    translate_write_errors,
)


def account_pk(account_id: str) -> str:
    return f"ACC#{account_id}"


class _ByUser(GlobalSecondaryIndex["MemberItem"]):
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    g_user = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class AccountItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="META")
    account_id = UnicodeAttribute()
    name = UnicodeAttribute()
    type = UnicodeAttribute()
    country = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    lead_regions = UnicodeSetAttribute(null=True)
    # Set while lead access is transferred to a Business Center; the version guards concurrent transfers.
    lead_access_holder = UnicodeAttribute(null=True)
    lead_access_version = NumberAttribute(default=0)
    # How many members are admins; every member write moves it in the same transaction (`change_member`).
    # Absent on accounts created before it existed: the first admin change counts them (`_ensure_admin_count`).
    admin_count = NumberAttribute(null=True)
    # Label id -> name, kept by store.labels with every label write (version-checked), so the authorisation read
    # brings a list page its label names. Absent on accounts whose labels predate it (read from the labels then).
    label_names: MapAttribute[str, str] = MapAttribute(null=True)
    label_names_version = NumberAttribute(null=True)


class MemberItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    lead_access = ListAttribute(of=UnicodeAttribute, default=list)
    added_at = UnicodeAttribute()
    added_by = UnicodeAttribute()
    g_user = UnicodeAttribute()
    by_user = _ByUser()


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    type: str
    country: str
    created_at: str
    lead_regions: frozenset[str] = frozenset()
    lead_access_holder: str | None = None
    lead_access_version: int = 0
    label_names: tuple[tuple[str, str], ...] | None = None  # (id, name); None: not kept on this account yet


@dataclass(frozen=True)
class Member:
    account_id: str
    user_id: str
    role: str
    lead_access: tuple[str, ...] = field(default_factory=tuple)
    added_at: str = ""


def _account(item: AccountItem) -> Account:
    return Account(
        account_id=item.account_id,
        name=item.name,
        type=item.type,
        country=item.country,
        created_at=item.created_at,
        lead_regions=frozenset(item.lead_regions or ()),
        lead_access_holder=item.lead_access_holder,
        lead_access_version=int(item.lead_access_version or 0),
        label_names=None if item.label_names is None else tuple(sorted(item.label_names.as_dict().items())),
    )


def _member(item: MemberItem) -> Member:
    return Member(item.pk[4:], item.user_id, item.role, tuple(str(s) for s in item.lead_access or ()), item.added_at)


def _member_item(member: Member, added_by: str) -> MemberItem:
    return MemberItem(
        pk=account_pk(member.account_id),
        sk=f"M#{member.user_id}",
        user_id=member.user_id,
        role=member.role,
        lead_access=list(member.lead_access),
        added_at=member.added_at,
        added_by=added_by,
        g_user=f"U#{member.user_id}",
    )


def create_account(account: Account, creator: Member) -> None:
    """The account and its first admin in one transaction: never an account nobody administers."""
    item = AccountItem(
        pk=account_pk(account.account_id),
        account_id=account.account_id,
        name=account.name,
        type=account.type,
        country=account.country,
        created_at=account.created_at,
        created_by=creator.user_id,
        admin_count=1 if creator.role == "admin" else 0,
    )
    with translate_write_errors("account already exists"), transact_write(settings().home_region) as tx:
        tx.save(item, condition=AccountItem.pk.does_not_exist())
        tx.save(_member_item(creator, creator.user_id))


def get_account(account_id: str) -> Account:
    account = get_account_or_none(account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    return account


def get_account_or_none(account_id: str) -> Account | None:
    item = batch_io.get(AccountItem, account_pk(account_id), "META")
    return None if item is None else _account(item)


def account_key(account_id: str) -> batch_io.Key:
    return batch_io.key_of(AccountItem, account_pk(account_id), "META")


def get_account_and_member(account_id: str, user_id: str) -> tuple[Account | None, Member | None]:
    """One request for what every authorisation decision needs."""
    with transact_get(settings().home_region) as tx:
        account_future = tx.get(AccountItem, account_pk(account_id), "META")
        member_future = tx.get(MemberItem, account_pk(account_id), f"M#{user_id}")
    account = member = None
    with contextlib.suppress(DoesNotExist):
        account = _account(account_future.get())
    with contextlib.suppress(DoesNotExist):
        member = _member(member_future.get())
    return account, member


def accounts_of(user_id: str) -> list[tuple[Account, Member]]:
    members = [_member(item) for item in MemberItem.by_user.query(f"U#{user_id}")]
    if not members:
        return []
    keys = [(account_pk(m.account_id), "META") for m in members]
    accounts = {item.account_id: _account(item) for item in AccountItem.batch_get(keys)}
    return [(accounts[m.account_id], m) for m in members if m.account_id in accounts]


def list_members(account_id: str) -> list[Member]:
    return [_member(item) for item in MemberItem.query(account_pk(account_id), MemberItem.sk.startswith("M#"))]


def get_member(account_id: str, user_id: str) -> Member | None:
    try:
        return _member(MemberItem.get(account_pk(account_id), f"M#{user_id}"))
    except DoesNotExist:
        return None


@dataclass(frozen=True)
class AdminFloor:
    """The domain's rule for one change: at least `minimum` admins after it, or `error` is raised."""

    minimum: int
    error: DomainError


def change_member(
    account_id: str,
    user_id: str,
    *,
    before: Member | None,
    after: Member | None,
    changed_by: str,
    admins_delta: int,
    floor: AdminFloor | None = None,
) -> bool:
    """Writes (or, with `after=None`, removes) one member and moves the account's admin count, in one transaction.

    The member item is written only if it still holds the role read (`before`; absent when None), so the count
    stays exact under concurrent changes. `floor` is checked against the count in the same transaction: two
    admins demoting or removing each other at once cannot both succeed. False: nothing was written because the
    member changed meanwhile or the transaction collided with another; read again and retry.
    """
    if admins_delta:
        _ensure_admin_count(account_id)
    key = (account_pk(account_id), f"M#{user_id}")
    unchanged = MemberItem.pk.does_not_exist() if before is None else MemberItem.role == before.role
    try:
        with transact_write(settings().home_region) as tx:
            if after is None:
                tx.delete(MemberItem(*key), condition=unchanged)
            else:
                tx.save(_member_item(after, changed_by), condition=unchanged)
            if admins_delta:
                condition = AccountItem.admin_count.exists()
                if floor is not None:
                    condition &= AccountItem.admin_count >= floor.minimum - admins_delta
                tx.update(
                    AccountItem(account_pk(account_id), "META"),
                    actions=[AccountItem.admin_count.add(admins_delta)],
                    condition=condition,
                )
    except TransactWriteError as exc:
        reasons = cancellation_reasons(exc)
        if reasons[:1] == ["ConditionalCheckFailed"] or "TransactionConflict" in reasons:
            return False
        if floor is not None and reasons[1:2] == ["ConditionalCheckFailed"]:
            raise floor.error from exc
        with translate_write_errors("the account changed meanwhile; retry"):
            raise
    return True


def _ensure_admin_count(account_id: str) -> None:
    """Counts the admins of an account created before `admin_count` existed, once (conditionally)."""
    try:
        item = AccountItem.get(account_pk(account_id), "META", attributes_to_get=["pk", "admin_count"])
    except DoesNotExist as exc:
        raise NotFound(f"account {account_id} not found") from exc
    if item.admin_count is not None:
        return
    admins = sum(1 for member in list_members(account_id) if member.role == "admin")
    # Conflict: another change counted them first; that count stands (every later change moved it).
    with contextlib.suppress(Conflict), translate_write_errors("already counted"):
        AccountItem(account_pk(account_id), "META").update(
            actions=[AccountItem.admin_count.set(admins)],
            condition=AccountItem.pk.exists() & AccountItem.admin_count.does_not_exist(),
        )


def admin_count(account_id: str) -> int | None:
    """The stored count (None before the account's first admin change, for accounts older than the count)."""
    try:
        count = AccountItem.get(account_pk(account_id), "META", attributes_to_get=["pk", "admin_count"]).admin_count
    except DoesNotExist:
        return None
    return None if count is None else int(count)


def add_lead_region(account_id: str, region: str) -> None:
    AccountItem(pk=account_pk(account_id), sk="META").update(actions=[AccountItem.lead_regions.add({region})])
    batch_io.forget(AccountItem, account_pk(account_id), "META")
