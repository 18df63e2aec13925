"""Ad touches (clicks and views) per person, in the lead table of the person's storage region.

Item:  pk TCH#<account>#<person digest>   sk <occurred at ISO>#<platform event id>
The person is the blind-index digest of the platform user id; the ad, ad group and campaign are not personal.
A redelivered touch writes the same key again. Touches expire (TTL) once no attribution window can reach them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.store._base import table_meta


def touch_pk(account_id: str, person_hash: str) -> str:
    return f"TCH#{account_id}#{person_hash}"


@functools.cache
def _model(region: str) -> type[Model]:
    attrs: dict[str, Any] = {
        "Meta": table_meta(settings().leads_table, region),
        "pk": UnicodeAttribute(hash_key=True),
        "sk": UnicodeAttribute(range_key=True),
        "kind": UnicodeAttribute(),
        "at": UnicodeAttribute(),
        "ad_id": UnicodeAttribute(),
        "ad_name": UnicodeAttribute(null=True),
        "adgroup_id": UnicodeAttribute(null=True),
        "adgroup_name": UnicodeAttribute(null=True),
        "campaign_id": UnicodeAttribute(null=True),
        "campaign_name": UnicodeAttribute(null=True),
        "expires_at": NumberAttribute(),
    }
    return type(f"TouchItem_{region}", (Model,), attrs)


@dataclass(frozen=True)
class Touch:
    kind: str  # click | view
    at: str  # ISO 8601 UTC, when the platform saw it
    ad_id: str
    ad_name: str | None = None
    adgroup_id: str | None = None
    adgroup_name: str | None = None
    campaign_id: str | None = None
    campaign_name: str | None = None


def record(region: str, account_id: str, person_hash: str, event_id: str, touch: Touch, expires_epoch: int) -> None:
    item_cls = _model(region)
    item_cls(
        pk=touch_pk(account_id, person_hash),
        sk=f"{touch.at}#{event_id}",
        kind=touch.kind,
        at=touch.at,
        ad_id=touch.ad_id,
        ad_name=touch.ad_name,
        adgroup_id=touch.adgroup_id,
        adgroup_name=touch.adgroup_name,
        campaign_id=touch.campaign_id,
        campaign_name=touch.campaign_name,
        expires_at=expires_epoch,
    ).save()


def newest_first(region: str, account_id: str, person_hash: str, since: str, until: str) -> Iterator[Touch]:
    """The person's touches with since <= at <= until, newest first, read lazily page by page."""
    item_cls: Any = _model(region)
    # "#~" closes the range after every event id suffix of the `until` instant.
    condition = item_cls.sk.between(since, until + "#~")
    for item in item_cls.query(touch_pk(account_id, person_hash), condition, scan_index_forward=False, page_size=25):
        yield Touch(
            item.kind,
            item.at,
            item.ad_id,
            item.ad_name,
            item.adgroup_id,
            item.adgroup_name,
            item.campaign_id,
            item.campaign_name,
        )


def delete_all(region: str, account_id: str, person_hash: str) -> int:
    """Deletes every touch of the person in the account (erasure); returns how many there were."""
    item_cls: Any = _model(region)
    found = list(item_cls.query(touch_pk(account_id, person_hash), attributes_to_get=["pk", "sk"]))
    with item_cls.batch_write() as batch:
        for item in found:
            batch.delete(item)
    return len(found)


def delete_one(region: str, account_id: str, person_hash: str, at: str, event_id: str) -> bool:
    """Deletes one touch by key; True when the person has no touch left in the account."""
    item_cls: Any = _model(region)
    pk = touch_pk(account_id, person_hash)
    item_cls(pk=pk, sk=f"{at}#{event_id}").delete()
    return not list(item_cls.query(pk, limit=1, attributes_to_get=["pk", "sk"]))
