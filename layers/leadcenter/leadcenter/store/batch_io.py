"""By-key reads and idempotent puts of one batch of queued events, each paid once per batch instead of per event.

Inside `scope()`, a worker first names every item its events will read by key (`want`, then `load`: one
consistent BatchGetItem per region, several tables at once), and the stores' by-key reads (`cached`, or `get`,
which reads a miss with one consistent GetItem and keeps the answer for the rest of the batch) answer from that
snapshot. A store that writes one of those items drops it from the snapshot (`forget`), so a later event of the
same batch reads it again from the table, or, when it wrote the whole item and the write succeeded, puts what it
wrote there (`remember`). Puts that only add (notices keyed by the platform event, markers)
wait in the scope (`defer`) and go out with one BatchWriteItem per region at `flush`.

Outside a scope nothing changes: `cached` misses, `defer` puts at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from leadcenter import aws

M = TypeVar("M", bound=Model)
# (region, table, pk, sk or None): the tables of this project key items by `pk` and, all but lead-keys, `sk`.
Key = tuple[str, str, str, str | None]
_GET_LIMIT, _WRITE_LIMIT = 100, 25


class Miss:
    """Not in the snapshot: read the table."""


MISS = Miss()


@dataclass
class _Batch:
    wanted: set[Key] = field(default_factory=set)
    items: dict[Key, dict[str, Any] | None] = field(default_factory=dict)  # None: read, and absent
    puts: dict[Key, dict[str, Any]] = field(default_factory=dict)


_current: ContextVar[_Batch | None] = ContextVar("leadcenter_batch_io", default=None)


@contextmanager
def scope() -> Iterator[None]:
    token = _current.set(_Batch())
    try:
        yield
    finally:
        _current.reset(token)


def active() -> bool:
    return _current.get() is not None


def key_of(model: type[Model], pk: str, sk: str | None = None) -> Key:
    return (str(model.Meta.region), str(model.Meta.table_name), pk, sk)


def want(keys: Iterable[Key]) -> None:
    batch = _current.get()
    if batch is not None:
        batch.wanted.update(k for k in keys if k not in batch.items)


def load() -> None:
    """Reads every wanted item: one consistent BatchGetItem per region and 100 keys, unprocessed keys again."""
    batch = _current.get()
    if batch is None or not batch.wanted:
        return
    by_region: dict[str, list[Key]] = {}
    for key in sorted(batch.wanted, key=lambda k: (k[0], k[1], k[2], k[3] or "")):
        by_region.setdefault(key[0], []).append(key)
    batch.wanted.clear()
    for region, keys in by_region.items():
        for start in range(0, len(keys), _GET_LIMIT):
            chunk = keys[start : start + _GET_LIMIT]
            batch.items.update(dict.fromkeys(chunk))
            for table, raw in _batch_get(region, chunk):
                # `sk` is a key only where it was asked for (a lead-keys card carries `sk` as a plain attribute).
                key = (region, table, raw["pk"]["S"], raw["sk"]["S"] if "sk" in raw else None)
                batch.items[key if key in batch.items else (*key[:3], None)] = raw


def _batch_get(region: str, keys: list[Key]) -> Iterator[tuple[str, dict[str, Any]]]:
    request: dict[str, Any] = {}
    for _, table, pk, sk in keys:
        item_key = {"pk": {"S": pk}, **({"sk": {"S": sk}} if sk is not None else {})}
        request.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append(item_key)
    client = aws.client("dynamodb", region)
    while request:
        reply = client.batch_get_item(RequestItems=request)
        for table, items in reply.get("Responses", {}).items():
            for raw in items:
                yield table, raw
        request = reply.get("UnprocessedKeys") or {}


def cached(model: type[M], pk: str, sk: str | None = None) -> M | Miss | None:
    """The item as the batch's snapshot holds it (None: absent), or MISS when the snapshot does not know it."""
    batch = _current.get()
    key = key_of(model, pk, sk)
    if batch is None or key not in batch.items:
        return MISS
    raw = batch.items[key]
    return None if raw is None else model.from_raw_data(raw)


def get(model: type[M], pk: str, sk: str | None = None, *, consistent: bool = False) -> M | None:
    """The item by key (None: absent): from the snapshot when it knows it; else one GetItem, consistent inside a
    scope, whose answer the snapshot keeps for the batch's later events (outside a scope: the plain GetItem)."""
    known = cached(model, pk, sk)
    if not isinstance(known, Miss):
        return known
    try:
        item: M | None = model.get(pk, sk, consistent_read=consistent or active())
    except DoesNotExist:
        item = None
    remember(model, pk, sk, item)
    return item


def remember(model: type[Model], pk: str, sk: str | None, item: Model | None) -> None:
    """The item as it now is in the table (None: absent), known for the rest of the batch: a whole item just read
    consistently, or just written by a write that succeeded. Never a projection of one."""
    batch = _current.get()
    if batch is not None:
        batch.items[key_of(model, pk, sk)] = None if item is None else item.serialize()


def forget(model: type[Model], pk: str, sk: str | None = None) -> None:
    batch = _current.get()
    if batch is not None:
        batch.items.pop(key_of(model, pk, sk), None)


def forget_all() -> None:
    """After a write the stores cannot name item by item (an erasure): every later read goes to the table."""
    batch = _current.get()
    if batch is not None:
        batch.items.clear()


def defer(item: Model) -> None:
    """Puts `item` at `flush` (a later put of the same key replaces it), or now outside a scope."""
    batch = _current.get()
    if batch is None:
        item.save()
        return
    serialized = item.serialize()
    pk = serialized["pk"]["S"]
    sk = serialized["sk"]["S"] if "sk" in serialized else None
    key = key_of(type(item), pk, sk)
    batch.puts[key] = serialized
    batch.items.pop(key, None)


def flush() -> None:
    """Sends the deferred puts: one BatchWriteItem per region and 25 items, unprocessed items again."""
    batch = _current.get()
    if batch is None or not batch.puts:
        return
    by_region: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for (region, table, _, _), raw in batch.puts.items():
        by_region.setdefault(region, []).append((table, raw))
    batch.puts.clear()
    for region, puts in by_region.items():
        client = aws.client("dynamodb", region)
        for start in range(0, len(puts), _WRITE_LIMIT):
            request: dict[str, Any] = {}
            for table, raw in puts[start : start + _WRITE_LIMIT]:
                request.setdefault(table, []).append({"PutRequest": {"Item": raw}})
            while request:
                request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def refresh(keys: Iterable[Key]) -> None:
    """Reads these items again now (one BatchGetItem per region), whatever the snapshot held."""
    batch = _current.get()
    if batch is None:
        return
    keys = list(keys)
    for key in keys:
        batch.items.pop(key, None)
    want(keys)
    load()
