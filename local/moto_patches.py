"""Fidelity and speed fixes to moto for local runs, tests and benchmarks (never deployed).

1. moto deep-copies every table a TransactWriteItems touches, to roll back on failure: each transaction
   costs O(table size), so writing N leads costs O(N^2) and a 5,000-lead demo takes minutes. We snapshot
   only the items the transaction names and restore those.
2. DynamoDB applies each write atomically; moto's Python read-modify-write can interleave between threads
   (a lost ADD under concurrent writers). One lock around moto's write paths restores atomicity.
3. moto sorts every item of a table on every Query and Scan (`Table.all_items`). The sorted list is cached and
   dropped whenever an item is added or removed (updates change items in place, not the key order).
4. DynamoDB Streams show committed writes only. moto records each item a transaction applied before a later
   condition cancelled it, and then the rollback as further writes; a cancelled transaction's records are dropped
   (a stream consumer would otherwise announce a lead that never existed). moto also keeps every shard iterator
   it ever returned; a consumed one is forgotten, so a stream poller running for hours does not grow memory.
5. moto's SQS asks "is this message visible / delayed?" of every message of a queue on every send and receive,
   each time building two datetimes; a backlog of thousands (a load run) made each call milliseconds. The same
   wall-clock test, read from `time.time()`, is one float: semantics unchanged, a backlog costs microseconds.
   A queue's attribute names, converted from CamelCase on every send and attribute read, are converted once.
6. moto's server lists its own package directory (a stat per service) on every request, under a global lock,
   to recognise a service name, and the methods of a response class; neither changes while it runs: read once.
7. moto answers every Query by walking every item of the table in sorted order (fix 3's cache is dropped by
   each new item, so a table taking writes re-sorts itself on every read). A Query sorts its own matches
   afterwards, so it needs no order: a table Query reads the one partition it names, an index Query walks the
   items unsorted. Same results, same order; a busy 10,000-item table answers in microseconds, not 100 ms.
8. moto 5 turns every DynamoDB answer into JSON by walking the operation's output shape, attribute value by
   attribute value (a third of the server's CPU in a demo seed). An item operation's result is already in the
   wire's shape (`{"S": ...}` values), so it is dumped as it is; binary values are base64, as the walk makes them.
   `MOTO_PATCH_VERIFY=1` serialises both ways and fails on any difference (tests/test_moto_patches.py).
9. moto checks the 400 KB item limit on every attribute it sets by summing the sizes of all the others (an item
   of n attributes costs n^2 size computations), and a Query sizes each result twice against the 1 MB page
   limit. The limit check keeps a running total (re-summed near the limit), and a Query sizes each item once.
10. An index Query still walked every item of the table (fix 7), so a table of 50,000 items answered each one in
   tens of milliseconds and a demo or load run slowed as it grew. Each index keeps its items by hash key value,
   built on its first Query and kept up to date by every write (put, delete, update in place, rollback); a
   Query reads its own bucket. moto then filters and sorts those as before.
11. moto parses an UpdateExpression twice per update (the handler to list its placeholders, the backend to apply
   it) and its validator walks the tree once per check (ten of them), building the check's node-type table
   again at every node: a quarter of the server's CPU in a demo seed went to the updates inside transactions.
   A parsed expression is kept by its text (the parse is pure; moto's validator works on a deep copy, the
   handler only reads it), a walk reads its node types once, and the validator's deep copy of the tree copies
   nodes, lists and strings directly instead of through `copy`'s generic reduce protocol (parents included, via
   the same memo). The three checks that read only the expression's shape (one clause of each kind, no
   overlapping paths, no key attribute set), given its names and the table's key, are skipped for an expression
   (the same parsed tree) that passed them with the same names and key; the item-dependent ones always run. Same
   checks, same order, same errors. (In `local/moto_expressions.py`.)
12. moto gives every KMS key an RSA-2048 private key at creation, for Sign and Verify, symmetric keys too: 55 ms
   of the child's CPU per key, 0.8 s of every `make run` start (15 keys) and of every test that provisions the
   stack. The private key is now made the first time something asks for it (a symmetric key never does).
"""

from __future__ import annotations

import base64
import calendar
import contextlib
import copy
import threading
import types
from datetime import datetime
from typing import Any

from local import moto_expressions

_installed = False
_write_lock = threading.RLock()


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    def _deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = types.SimpleNamespace(deepcopy=_deepcopy, copy=copy.copy)  # type: ignore[assignment]

    original_transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _write_lock:
            snapshots = _snapshot(self, transact_items)
            try:
                original_transact(self, transact_items)
            except Exception:
                _restore(self, snapshots)
                raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _cache_sorted_items(Table)
    _unsorted_query_candidates(Table)
    _committed_stream_records(DynamoDBBackend)
    _fast_sqs_clock()
    _cached_service_list()
    _plain_item_json()
    _cheaper_item_sizes(Table)
    _index_buckets(Table, DynamoDBBackend)
    moto_expressions.install()  # fix 11
    _lazy_kms_private_keys()

    for name in ("put_item", "update_item", "delete_item", "batch_write_item"):
        original = getattr(DynamoDBBackend, name, None)
        if original is not None:
            setattr(DynamoDBBackend, name, _locked(original))


def _locked(method: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return method(*args, **kwargs)

    wrapper.__name__ = method.__name__
    return wrapper


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], Any]]:
    snapshots = []
    for entry in transact_items:
        try:
            _, op = next(iter(entry.items()))
            table = backend.get_table(op["TableName"])
            if "Key" in op:
                key = op["Key"]
            else:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            current = backend.get_item(op["TableName"], key)
        except Exception:  # noqa: S112 - malformed entries are rejected by moto itself, before any write
            continue
        snapshots.append((op["TableName"], key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
    return snapshots


def _restore(backend: Any, snapshots: list[tuple[str, dict[str, Any], Any]]) -> None:
    for table_name, key, attributes in reversed(snapshots):
        if attributes is None:
            from moto.dynamodb.models.dynamo_type import DynamoType

            table = backend.get_table(table_name)
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            with contextlib.suppress(Exception):  # the item was never written
                table.delete_item(hash_value, range_value)
        else:
            backend.get_table(table_name).put_item(attributes)


def _cache_sorted_items(table_class: Any) -> None:
    original_all_items = table_class.all_items

    def all_items(self: Any) -> list[Any]:
        cached = self.__dict__.get("_leadcenter_sorted")
        if cached is None:
            cached = self.__dict__["_leadcenter_sorted"] = original_all_items(self)
        return list(cached)

    def invalidating(method: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            self.__dict__["_leadcenter_sorted"] = None
            return method(self, *args, **kwargs)

        wrapper.__name__ = method.__name__
        return wrapper

    table_class.all_items = all_items
    for name in ("put_item", "delete_item", "delete_items"):
        if hasattr(table_class, name):
            setattr(table_class, name, invalidating(getattr(table_class, name)))


def _committed_stream_records(backend_class: Any) -> None:
    """Fix 4: a cancelled transaction leaves no stream records; readers never see a transaction half-applied."""
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    inner = backend_class.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _write_lock:
            marks: list[tuple[Any, int]] = []
            for entry in transact_items:
                with contextlib.suppress(Exception):  # malformed entries are rejected by moto itself
                    shard = self.get_table(next(iter(entry.values()))["TableName"]).stream_shard
                    if shard is not None and all(shard is not s for s, _ in marks):
                        marks.append((shard, len(shard.items)))
            try:
                inner(self, transact_items)
            except Exception:
                for shard, mark in marks:
                    del shard.items[mark:]
                raise

    backend_class.transact_write_items = transact_write_items
    original_get_records = DynamoDBStreamsBackend.get_records

    def get_records(self: Any, iterator_arn: str, limit: int) -> dict[str, Any]:
        with _write_lock:
            result: dict[str, Any] = original_get_records(self, iterator_arn, limit)
        self.shard_iterators.pop(iterator_arn, None)
        return result

    DynamoDBStreamsBackend.get_records = get_records  # type: ignore[method-assign]


def _fast_sqs_clock() -> None:
    """Fix 5: moto.sqs's `unix_time_millis()` with no argument is the wall clock in ms; read it directly. Its
    attribute names' CamelCase conversion (a pure function of the name) is cached."""
    import functools
    import time

    import moto.sqs.models as sqs_models

    original = sqs_models.unix_time_millis

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else float(original(dt))

    sqs_models.unix_time_millis = unix_time_millis
    sqs_models.camelcase_to_underscores = functools.lru_cache(maxsize=256)(sqs_models.camelcase_to_underscores)


def _cached_service_list() -> None:
    """Fix 6: moto's service directories, listed once per process instead of once per request; likewise the
    method names of a response class (`inspect.getmembers` on every request)."""
    import functools

    import moto.backends as backends
    import moto.core.responses as responses

    services = frozenset(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: services
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)


_query_scope = threading.local()


def _unsorted_query_candidates(table_class: Any) -> None:
    """Fix 7: while a Query runs, `all_items` gives its candidates unsorted (and, for a table Query, only the
    named partition). Installed after fix 3, so Scan keeps the cached sorted list it pages through."""
    sorted_all_items = table_class.all_items
    original_query = table_class.query

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions") if index_name else None
        _query_scope.value = (self, None if index_name else hash_key, index_name, conditions)
        try:
            with _write_lock:  # the candidates are read from live dicts: no write may resize them meanwhile
                return original_query(self, hash_key, *args, **kwargs)
        finally:
            _query_scope.value = None

    def all_items(self: Any) -> list[Any]:
        scope = getattr(_query_scope, "value", None)
        if scope is None or scope[0] is not self:
            return sorted_all_items(self)
        hash_key = scope[1]
        if scope[2] is not None:
            bucket = _index_bucket(self, scope[2], scope[3])
            if bucket is not None:
                return bucket
        if hash_key is not None:
            if hash_key not in self.items:
                return []
            partition = self.items[hash_key]
            return list(partition.values()) if self.range_key_attr else [partition]
        partitions = list(self.items.values())
        return [item for p in partitions for item in p.values()] if self.range_key_attr else partitions

    table_class.query = query
    table_class.all_items = all_items


# Item operations whose output shape is the result moto builds, attribute values in the wire's own form.
_PLAIN_JSON_OPERATIONS = {
    "dynamodb": frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                           "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}),
    "dynamodbstreams": frozenset({"GetRecords"}),
}  # fmt: skip


def _wire_value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, datetime):  # a stream record's creation time: epoch seconds, to the millisecond
        seconds = calendar.timegm(value.timetuple())
        return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds
    raise TypeError(f"no JSON form for {type(value).__name__}")


def _plain_item_json() -> None:
    """Fix 8: an item operation's result is dumped as JSON directly, not walked through its output shape."""
    import json
    import os

    from moto.core.responses import ActionResult

    original = ActionResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        operation = context.operation_model
        result = self.result
        if not isinstance(result, dict) or operation.name not in _PLAIN_JSON_OPERATIONS.get(
            operation.service_model.service_name, ()
        ):
            return original(self, context)
        members = operation.output_shape.members  # what the walk keeps: the output shape's own members
        body = json.dumps({k: v for k, v in result.items() if k in members}, default=_wire_value)
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        if os.environ.get("MOTO_PATCH_VERIFY") == "1":
            status, expected_headers, expected_body = original(self, context)
            if (status, expected_headers, json.loads(expected_body)) != (200, headers, json.loads(body)):
                raise AssertionError(f"fix 8 differs for {operation.name}: {expected_body!r} != {body}")
        return 200, headers, body

    ActionResult.execute_result = execute_result  # type: ignore[method-assign]


_sizing = threading.local()


def _cheaper_item_sizes(table_class: Any) -> None:
    """Fix 9: the 400 KB check with a running total; a Query sizes each item once."""
    from moto.dynamodb.models import dynamo_type

    bytesize = dynamo_type.bytesize
    limit_check = dynamo_type.LimitedSizeDict.__setitem__
    near_limit = 300_000

    def size_of(key: str, value: Any) -> int:
        return int(bytesize(key)) + (value.size() if type(value) is dynamo_type.DynamoType else bytesize(str(value)))

    def setitem(self: Any, key: str, value: Any) -> None:
        total = self.__dict__.get("_leadcenter_size")
        if total is None:
            total = sum(size_of(k, v) for k, v in self.items())
        if key in self:
            total -= size_of(key, self[key])
        total += size_of(key, value)
        if total > near_limit:  # values can change in place: near the limit, moto's own exact check decides
            self.__dict__.pop("_leadcenter_size", None)
            limit_check(self, key, value)
            return
        dict.__setitem__(self, key, value)
        self.__dict__["_leadcenter_size"] = total

    dynamo_type.LimitedSizeDict.__setitem__ = setitem  # type: ignore[method-assign]

    item_size = dynamo_type.Item.size

    def size(self: Any) -> int:
        sizes = getattr(_sizing, "value", None)
        if sizes is None:
            return int(item_size(self))
        known = sizes.get(id(self))
        if known is None:
            known = sizes[id(self)] = int(item_size(self))
        return int(known)

    dynamo_type.Item.size = size  # type: ignore[method-assign]
    query = table_class.query

    def sizing_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        _sizing.value = {}  # items cannot change meanwhile: fix 7 holds the write lock around a Query
        try:
            return query(self, *args, **kwargs)
        finally:
            _sizing.value = None

    table_class.query = sizing_query


def _index_hash_attrs(table: Any) -> dict[str, tuple[str, ...]]:
    return {
        index.name: tuple(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
        for index in table.all_indexes()
    }


def _bucket_key(item: Any, attrs: tuple[str, ...]) -> tuple[Any, ...] | None:
    values = tuple(item.attrs.get(a) for a in attrs)
    return None if any(v is None for v in values) else values


class _Buckets:
    """One table's index buckets: index -> hash key values -> {item key: item}, and where each item sits."""

    def __init__(self, table: Any) -> None:
        self.attrs = _index_hash_attrs(table)
        self.buckets: dict[str, dict[tuple[Any, ...], dict[Any, Any]]] = {}
        self.where: dict[Any, dict[str, tuple[Any, ...]]] = {}

    def build(self, table: Any, index: str) -> dict[tuple[Any, ...], dict[Any, Any]]:
        built: dict[tuple[Any, ...], dict[Any, Any]] = {}
        self.buckets[index] = built
        partitions = list(table.items.values())
        items = [i for p in partitions for i in p.values()] if table.range_key_attr else partitions
        for item in items:
            self._place(item, index)
        return built

    def _place(self, item: Any, index: str) -> None:
        value = _bucket_key(item, self.attrs[index])
        if value is not None:
            key = (item.hash_key, item.range_key)
            self.buckets[index].setdefault(value, {})[key] = item
            self.where.setdefault(key, {})[index] = value

    def remove(self, key: Any) -> None:
        for index, value in self.where.pop(key, {}).items():
            bucket = self.buckets.get(index, {}).get(value)
            if bucket is not None:
                bucket.pop(key, None)

    def add(self, item: Any) -> None:
        for index in self.buckets:
            self._place(item, index)


def _buckets_of(table: Any) -> _Buckets:
    buckets = table.__dict__.get("_leadcenter_buckets")
    if buckets is None:
        buckets = table.__dict__["_leadcenter_buckets"] = _Buckets(table)
    return buckets


def _index_bucket(table: Any, index: str, conditions: Any) -> list[Any] | None:
    """The items of one index's hash key value, or None when the Query cannot be answered from a bucket."""
    buckets = _buckets_of(table)
    attrs = buckets.attrs.get(index)
    if not attrs or not conditions or {name for name, _ in conditions} != set(attrs):
        return None
    wanted = dict(conditions)
    by_value = buckets.buckets.get(index)
    if by_value is None:
        by_value = buckets.build(table, index)
    return list(by_value.get(tuple(wanted[a] for a in attrs), {}).values())


def _index_buckets(table_class: Any, backend_class: Any) -> None:
    """Fix 10: every write keeps the index buckets current (built lazily per index on its first Query)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    put_item = table_class.put_item
    delete_item = table_class.delete_item
    update_item = backend_class.update_item

    def key_of(table: Any, attrs: dict[str, Any]) -> Any:
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        return (hash_value, range_value)

    def tracked_put(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        item = put_item(self, item_attrs, *args, **kwargs)
        buckets = self.__dict__.get("_leadcenter_buckets")
        if buckets is not None and buckets.buckets:
            buckets.remove(key_of(self, item_attrs))
            buckets.add(item)
        return item

    def tracked_delete(self: Any, hash_key: Any, range_key: Any) -> Any:
        item = delete_item(self, hash_key, range_key)
        buckets = self.__dict__.get("_leadcenter_buckets")
        if item is not None and buckets is not None:
            buckets.remove((item.hash_key, item.range_key))
        return item

    def tracked_update(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            item = update_item(self, table_name, key, *args, **kwargs)
            table = self.get_table(table_name)
            buckets = table.__dict__.get("_leadcenter_buckets")
            if item is not None and buckets is not None and buckets.buckets:
                buckets.remove((item.hash_key, item.range_key))  # changed in place: placed again from its values
                buckets.add(item)
            return item

    table_class.put_item = tracked_put
    table_class.delete_item = tracked_delete
    backend_class.update_item = tracked_update


def _lazy_kms_private_keys() -> None:
    """Fix 12: a KMS key's private key, generated on first use instead of at CreateKey."""
    import moto.kms.models as kms_models

    generate = kms_models.generate_private_key

    class LazyPrivateKey:
        def __init__(self, key_spec: str) -> None:
            self._key_spec = key_spec
            self._made: Any = None
            self._lock = threading.Lock()

        def _key(self) -> Any:
            with self._lock:
                if self._made is None:
                    self._made = generate(self._key_spec)
                return self._made

        def __getattr__(self, name: str) -> Any:  # sign, verify, public_key, ...: the real key's
            return getattr(self._key(), name)

    kms_models.generate_private_key = LazyPrivateKey  # type: ignore[assignment]  # a stand-in with its methods
