"""Lead counts per ad, ad group or campaign: key queries on the lead table's attribution indexes.

Every lead item carries g_ad / g_adgroup / g_campaign = A#<account>#<dimension>#<id> (store.leads), and the
table has a GSI on each (by_ad, by_adgroup, by_campaign). Counting one group is one Query with
Select=COUNT on that index key: it reads only that group's leads (paginated per 1 MB), never the table.
"""

from __future__ import annotations

from leadcenter.store.lead_items import dimension_key, lead_index, models

DIMENSIONS = ("ad", "adgroup", "campaign")


def count_group(region: str, account_id: str, dimension: str, group_id: str, now_epoch: int) -> int:
    """Leads of `account_id` in `region` attributed to one group, not yet expired (TTL deletes lazily)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension}")
    index = lead_index(region, f"by_{dimension}")
    expires_at = models(region).lead.expires_at
    return index.count(dimension_key(account_id, dimension, group_id), filter_condition=expires_at > now_epoch)
