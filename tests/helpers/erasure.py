"""Helpers of the erasure tests: every stored item, in any table, that still names a person."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import boto3

from leadcenter import crypto
from leadcenter.config import settings
from leadcenter.domain import retention
from leadcenter.regions import region_router


def _scan(table: str, region: str) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name=region)
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        items += page["Items"]
    return items


def traces(
    user_id: str,
    country: str,
    accounts: Iterable[str],
    *,
    lead_ids: Iterable[str] = (),
    conversations: Iterable[tuple[str, str]] = (),
    values: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Items naming the person: their person hash or per-account digests, an item of one of their leads (the
    timeline's tombstone aside: it holds no personal data), one of their conversations, or a value in clear.
    The erasure ledger's own entry (a hash and a time) is the one item meant to stay."""
    region = region_router().storage_region(country)
    hashed = retention.person_hash(region, user_id)
    markers = {hashed, *(crypto.blind_index().digest(region, a, "person", user_id) for a in accounts)}
    markers |= {v for v in values if v}
    lead_ids = set(lead_ids)
    conversation_pks = {f"CV#{account}#{conversation}" for account, conversation in conversations}
    found = []
    tables = [(settings().leads_table, region), (settings().lead_keys_table, region)]
    tables.append((settings().app_table, settings().home_region))
    for table, table_region in tables:
        for item in _scan(table, table_region):
            pk, sk = item["pk"]["S"], item.get("sk", {}).get("S", "")
            if pk.startswith("ERASED#"):
                continue
            text = json.dumps(item, default=str)
            names_lead = any(lead_id in text for lead_id in lead_ids) and not sk.startswith("T#")
            if names_lead or pk in conversation_pks or any(marker in text for marker in markers):
                found.append(item)
    return found
