"""The retention sweep's reads and writes: every item of a lead expiring on a day, found through the sharded
expiry index, deleted in batches (DynamoDB TTL deletes lazily, up to days late; the sweep keeps the promise).

Lead keys have an expiry index of their own in the lead-keys table: a key is swept by its own expiry even when
TTL already removed its lead item (which the lead-table sweep would have taken it with)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leadcenter.store.lead_items import EXPIRY_SHARDS, key_pk, models


@dataclass
class SweepStats:
    found: int = 0
    deleted: int = 0
    write_requests: int = 0
    read_requests: int = 0
    retried: int = 0


def expired_keys(region: str, day: int, now_epoch: int, stats: SweepStats) -> list[tuple[str, str]]:
    """Keys of every item (leads, links, dedupe entries, notes, timeline) expiring on `day` by `now_epoch`.

    The expiry index is sharded per day and projects only the keys and `expires_at`.
    """
    m = models(region)
    found: list[tuple[str, str]] = []
    for shard in range(EXPIRY_SHARDS):
        for item in m.lead.by_expiry.query(f"X#{day}#{shard}", filter_condition=m.lead.expires_at <= now_epoch):
            found.append((item.pk, item.sk))
        stats.read_requests += 1
    return found


def delete_keys(region: str, keys: Sequence[tuple[str, str]], stats: SweepStats) -> None:
    """BatchWriteItem in 25s; unprocessed items are retried by the batch (with backoff) until written.

    Lead items take their lead-key item (other table) with them, which shreds any backed-up copy.
    """
    m = models(region)
    lead_keys = [key_pk(pk[2:], sk[2:]) for pk, sk in keys if sk.startswith("L#") and not pk.count("#LB#")]
    with m.event.batch_write() as batch:
        for pk, sk in keys:
            batch.delete(m.event(pk=pk, sk=sk))
    with m.key.batch_write() as batch:
        for pk in lead_keys:
            batch.delete(m.key(pk=pk))
    stats.deleted += len(keys) + len(lead_keys)
    stats.write_requests += (len(keys) + 24) // 25 + (len(lead_keys) + 24) // 25


def expired_lead_keys(region: str, day: int, now_epoch: int, stats: SweepStats) -> list[str]:
    """Keys (pk) of the lead-key items expiring on `day` by `now_epoch`, from the key table's own expiry index."""
    m = models(region)
    found: list[str] = []
    for shard in range(EXPIRY_SHARDS):
        for item in m.key.by_expiry.query(f"X#{day}#{shard}", filter_condition=m.key.expires_at <= now_epoch):
            found.append(item.pk)
        stats.read_requests += 1
    return found


def delete_lead_keys(region: str, pks: Sequence[str], stats: SweepStats) -> None:
    """Shreds the leads whose keys these are (BatchWriteItem in 25s, retried until written)."""
    m = models(region)
    with m.key.batch_write() as batch:
        for pk in pks:
            batch.delete(m.key(pk=pk))
    stats.deleted += len(pks)
    stats.write_requests += (len(pks) + 24) // 25
