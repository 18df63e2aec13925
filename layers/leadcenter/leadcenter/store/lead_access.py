"""Lead access of ad accounts: which Business Center holds it (transfers, audit)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.store._base import table_meta
from leadcenter.store.accounts import account_pk


class GrantItem(Model):
    """pk ACC#<business center>, sk XFER#<ad account>: the BC holds lead access of that ad account."""

    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    ad_account_id = UnicodeAttribute()
    transferred_at = UnicodeAttribute()
    transferred_by = UnicodeAttribute()


def transferred_to(business_center_id: str) -> list[str]:
    return [
        item.ad_account_id for item in GrantItem.query(account_pk(business_center_id), GrantItem.sk.startswith("XFER#"))
    ]
