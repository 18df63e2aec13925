"""Notifications: each user's inbox in the app table, newest first, with their delivery settings.

Items (home app table, partition `U#<user>`; nothing in them is personal data: ids, types, fixed titles):

- notification `N#<id>`: the id is a ULID-like key (creation time + 80 bits of the dedupe key's hash), so the
  partition sorts newest first; `g_unread` (= the partition) only while unread, so the sparse `by_unread` index
  holds unread notices only (the unread list and `unread_count` read nothing else); TTL `expires_at`.
- dedupe marker `NK#<sha256 of the triggering event's key>`: written with the notification in one transaction,
  on condition that it does not exist, so a trigger that runs again (a retried job, a redelivered message, a
  repeated review) raises nothing twice. Same TTL.
- settings `PREFS`: e-mail on or off, the address sealed (envelope, home region) when one is given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import BinaryAttribute, BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.errors import Conflict, NotFound
from leadcenter.store._base import cancellation_reasons, table_meta, transact_write, translate_write_errors

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def user_pk(user_id: str) -> str:
    return f"U#{user_id}"


class _ByUnread(GlobalSecondaryIndex["NotificationItem"]):
    class Meta:
        index_name = "by_unread"
        projection = AllProjection()

    g_unread = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class NotificationItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    type = UnicodeAttribute()
    account_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    read_at = UnicodeAttribute(null=True)
    title = UnicodeAttribute()
    data = UnicodeAttribute(default="{}")  # JSON: ids and counts only
    g_unread = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()
    by_unread = _ByUnread()


class NotificationKeyItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    notification_id = UnicodeAttribute()
    expires_at = NumberAttribute()


class PrefsItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="PREFS")
    email = BooleanAttribute(default=False)
    address_ct = BinaryAttribute(legacy_encoding=False, null=True)  # sealed (crypto.seal_home)
    updated_at = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Notification:
    id: str
    type: str
    account_id: str
    created_at: str
    title: str
    data: dict[str, Any] = field(default_factory=dict)
    read_at: str | None = None


@dataclass(frozen=True)
class Prefs:
    email: bool = False
    address_ct: bytes | None = field(default=None, repr=False)


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def notification_id(created_ms: int, dedupe_key: str) -> str:
    """Time-sortable like a ULID; its random part is the dedupe key's hash."""
    digest = int.from_bytes(hashlib.sha256(dedupe_key.encode()).digest()[:10], "big")
    return _encode(created_ms, 10) + _encode(digest, 16)


def _marker_sk(dedupe_key: str) -> str:
    return "NK#" + hashlib.sha256(dedupe_key.encode()).hexdigest()


def _notification(item: NotificationItem) -> Notification:
    return Notification(
        id=item.id,
        type=item.type,
        account_id=item.account_id,
        created_at=item.created_at,
        title=item.title,
        data=json.loads(item.data or "{}"),
        read_at=item.read_at,
    )


def add(recipient: str, notice: Notification, dedupe_key: str, expires_at: int) -> bool:
    """Writes one notification unless its dedupe key was used for this recipient; False when it was."""
    pk = user_pk(recipient)
    item = NotificationItem(
        pk=pk,
        sk=f"N#{notice.id}",
        id=notice.id,
        type=notice.type,
        account_id=notice.account_id,
        created_at=notice.created_at,
        title=notice.title,
        data=json.dumps(notice.data, separators=(",", ":"), sort_keys=True),
        g_unread=pk,
        expires_at=expires_at,
    )
    marker = NotificationKeyItem(pk=pk, sk=_marker_sk(dedupe_key), notification_id=notice.id, expires_at=expires_at)
    try:
        with transact_write(settings().home_region) as tx:
            tx.save(marker, condition=NotificationKeyItem.pk.does_not_exist())
            tx.save(item, condition=NotificationItem.pk.does_not_exist())
    except TransactWriteError as exc:
        if cancellation_reasons(exc)[:1] == ["ConditionalCheckFailed"]:
            return False
        with translate_write_errors("notification already exists"):
            raise
    return True


def page(user_id: str, *, unread_only: bool, limit: int, after: str | None) -> tuple[list[Notification], str | None]:
    """Newest first; `after` is the sort key to continue after. Returns the notices and the key to continue
    after (None at the end)."""
    pk = user_pk(user_id)
    start: dict[str, dict[str, Any]] | None = None
    if after is not None:
        start = {"pk": {"S": pk}, "sk": {"S": after}}
        if unread_only:
            start["g_unread"] = {"S": pk}
    results: Iterator[NotificationItem]
    if unread_only:
        results = NotificationItem.by_unread.query(
            pk, scan_index_forward=False, limit=limit + 1, last_evaluated_key=start, page_size=limit + 1
        )
    else:
        results = NotificationItem.query(
            pk,
            NotificationItem.sk.startswith("N#"),
            scan_index_forward=False,
            limit=limit + 1,
            last_evaluated_key=start,
            page_size=limit + 1,
        )
    items = list(results)
    more = len(items) > limit
    items = items[:limit]
    return [_notification(item) for item in items], (f"N#{items[-1].id}" if more and items else None)


def unread_count(user_id: str) -> int:
    return NotificationItem.by_unread.count(user_pk(user_id))


def mark_read(user_id: str, notification_id_: str, at: str) -> Notification:
    """Sets read_at once (a second read keeps the first time) and takes the notice out of the unread index."""
    item = NotificationItem(pk=user_pk(user_id), sk=f"N#{notification_id_}")
    try:
        with translate_write_errors("no such notification"):
            item.update(
                actions=[
                    NotificationItem.read_at.set(NotificationItem.read_at | at),
                    NotificationItem.g_unread.remove(),
                ],
                condition=NotificationItem.pk.exists(),
            )
    except Conflict as exc:
        raise NotFound(f"notification {notification_id_} not found") from exc
    return _notification(item)


def unread_ids(user_id: str) -> list[str]:
    """Every unread notification of the user, read from the table itself (consistent), not the index."""
    return [
        item.id
        for item in NotificationItem.query(
            user_pk(user_id),
            NotificationItem.sk.startswith("N#"),
            filter_condition=NotificationItem.g_unread.exists(),
            consistent_read=True,
            attributes_to_get=["id"],
        )
    ]


def mark_many_read(user_id: str, ids: Sequence[str], at: str) -> int:
    done = 0
    for id_ in ids:
        try:
            mark_read(user_id, id_, at)
            done += 1
        except NotFound:
            continue  # expired meanwhile
    return done


def get_prefs(user_id: str) -> Prefs:
    try:
        item = PrefsItem.get(user_pk(user_id), "PREFS")
    except DoesNotExist:
        return Prefs()
    return Prefs(email=bool(item.email), address_ct=item.address_ct)


def put_prefs(user_id: str, prefs: Prefs, at: str) -> None:
    PrefsItem(pk=user_pk(user_id), email=prefs.email, address_ct=prefs.address_ct, updated_at=at).save()
