"""Lead access of ad accounts: which Business Center holds it, the transfer itself, and its audit trail.

The ad account's META item holds `lead_access_holder` and `lead_access_version`; the Business Center holds a
grant item per ad account. A transfer changes both (plus an audit item) in one transaction conditioned on the
version the caller saw, so two concurrent transfers cannot both win and nothing is ever half-done.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.store._base import table_meta, transact_write, translate_write_errors
from leadcenter.store.accounts import AccountItem, account_pk


class GrantItem(Model):
    """pk ACC#<business center>, sk XFER#<ad account>: the BC holds lead access of that ad account."""

    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    ad_account_id = UnicodeAttribute()
    transferred_at = UnicodeAttribute()
    transferred_by = UnicodeAttribute()


class AuditItem(Model):
    """pk ACC#<ad account>, sk LAX#<time>#<id>: who moved lead access, when, from where to where."""

    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UnicodeAttribute()
    from_account = UnicodeAttribute()
    to_account = UnicodeAttribute()
    version = UnicodeAttribute()


@dataclass(frozen=True)
class TransferRecord:
    action: str
    actor: str
    at: str
    from_account: str
    to_account: str
    version: int


def transferred_to(business_center_id: str) -> list[str]:
    items = GrantItem.query(account_pk(business_center_id), GrantItem.sk.startswith("XFER#"))
    return [item.ad_account_id for item in items]


def transfer(ad_account_id: str, business_center_id: str, expected_version: int, record: TransferRecord) -> None:
    """Moves lead access to the Business Center: one transaction, conditioned on the version read."""
    meta = AccountItem(pk=account_pk(ad_account_id), sk="META")
    condition = (AccountItem.lead_access_version == expected_version) & AccountItem.lead_access_holder.does_not_exist()
    if expected_version == 0:
        condition = (
            AccountItem.lead_access_version.does_not_exist() | (AccountItem.lead_access_version == 0)
        ) & AccountItem.lead_access_holder.does_not_exist()
    with (
        translate_write_errors("lead access of this ad account changed meanwhile; reload and retry"),
        transact_write(settings().home_region) as tx,
    ):
        tx.update(
            meta,
            actions=[
                AccountItem.lead_access_holder.set(business_center_id),
                AccountItem.lead_access_version.set(expected_version + 1),
            ],
            condition=condition,
        )
        tx.save(
            GrantItem(
                pk=account_pk(business_center_id),
                sk=f"XFER#{ad_account_id}",
                ad_account_id=ad_account_id,
                transferred_at=record.at,
                transferred_by=record.actor,
            )
        )
        tx.save(
            AuditItem(
                pk=account_pk(ad_account_id),
                sk=f"LAX#{record.at}#{expected_version + 1}",
                action=record.action,
                actor=record.actor,
                at=record.at,
                from_account=record.from_account,
                to_account=record.to_account,
                version=str(record.version),
            ),
            condition=AuditItem.pk.does_not_exist(),
        )


def history(ad_account_id: str) -> list[TransferRecord]:
    items = AuditItem.query(account_pk(ad_account_id), AuditItem.sk.startswith("LAX#"))
    return [TransferRecord(i.action, i.actor, i.at, i.from_account, i.to_account, int(i.version)) for i in items]
