"""Issue 2: no personal data in clear anywhere; ciphertexts are bound to their lead and field; deny by default."""

from __future__ import annotations

import base64

import boto3
import pytest

from leadcenter import crypto
from leadcenter.errors import IntegrityError

PEOPLE = [
    ("SG", "Tan Wei Ming", "weiming.tan@example.sg", "+6591234567"),
    ("DE", "Jürgen Krämer", "juergen.kraemer@example.de", "+4915112345678"),
    ("BR", "Ana Beatriz Souza", "ana.souza@example.com.br", "+5511912345678"),
    ("JP", "山田 太郎", "taro.yamada@example.jp", "+819012345678"),
    ("AE", "فاطمة الزهراء", "fatima@example.ae", "+971501234567"),
    ("US", "Mary Johnson", "mary.j@example.com", "+12025550123"),
]


def _all_items(stack) -> list[tuple[str, str, dict]]:
    found = []
    for region, resources in stack.physical.items():
        client = boto3.client("dynamodb", region_name=region)
        for logical, physical in resources.items():
            if not logical.endswith("Table"):
                continue
            for page in client.get_paginator("scan").paginate(TableName=physical):
                found += [(region, physical, item) for item in page["Items"]]
    return found


def _flatten(value) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k} {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " ".join(_flatten(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def test_raw_tables_hold_no_name_email_or_phone(api, stack):
    # Given leads of people from six countries with a note-free history of edits
    account = api.account("raw-scan-admin")
    for country, name, email, phone in PEOPLE:
        lead = api.lead(
            account, "raw-scan-admin", region=country, contact={"name": name, "email": email, "phone": phone}
        )
        api.ok("GET", f"/accounts/{account}/leads/{lead['id']}", "raw-scan-admin")
    # When every table of every region is scanned raw
    text = " ".join(_flatten(item) for _, _, item in _all_items(stack))
    # Then no personal value appears, in any case or digits-only form
    for _, name, email, phone in PEOPLE:
        longest_word = max(name.split(), key=len)
        for needle in (name, longest_word, email, email.split("@")[0], phone, phone[1:], phone[-8:]):
            # short fragments (3-4 letters) occur by chance in key names and binary; these do not
            assert len(needle) < 5 or needle.casefold() not in text.casefold(), needle
    # ... nor base64 of them
    for _, _name, email, _ in PEOPLE:
        assert base64.b64encode(email.encode()).decode()[:12] not in text


def _lead_item(region: str, account: str, lead_id: str) -> dict:
    client = boto3.client("dynamodb", region_name=region)
    return client.get_item(
        TableName="leadcenter-leads", Key={"pk": {"S": f"A#{account}"}, "sk": {"S": f"L#{lead_id}"}}
    )["Item"]


def test_ciphertext_moved_to_another_lead_fails_clearly(api):
    # Given two leads in one account and region
    account = api.account("mover")
    first = api.lead(account, "mover", contact={"name": "First Person", "email": "first@example.com"})
    second = api.lead(account, "mover", contact={"name": "Second Person", "email": "second@example.com"})
    region = first["storage_region"]
    client = boto3.client("dynamodb", region_name=region)
    # When the first lead's sealed contact is copied onto the second lead
    stolen = _lead_item(region, account, first["id"])["contact_ct"]
    client.update_item(
        TableName="leadcenter-leads",
        Key={"pk": {"S": f"A#{account}"}, "sk": {"S": f"L#{second['id']}"}},
        UpdateExpression="SET contact_ct = :c",
        ExpressionAttributeValues={":c": stolen},
    )
    # Then reading the second lead fails with an integrity error, never the first person's data
    reply = api.call("GET", f"/accounts/{account}/leads/{second['id']}", "mover")
    assert reply.status == 500
    assert reply.json()["error"]["code"] == "integrity_error"
    assert "First Person" not in reply.body and "first@example.com" not in reply.body


def test_field_cipher_binds_account_lead_and_field():
    key = b"k" * 32
    sealed = crypto.FieldCipher(key, "acc-1", "lead-1").seal("contact", "secret")
    assert crypto.FieldCipher(key, "acc-1", "lead-1").open("contact", sealed) == "secret"
    for account, lead, field in [
        ("acc-2", "lead-1", "contact"),
        ("acc-1", "lead-2", "contact"),
        ("acc-1", "lead-1", "answers"),
    ]:
        with pytest.raises(IntegrityError, match="does not decrypt"):
            crypto.FieldCipher(key, account, lead).open(field, sealed)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(IntegrityError):
        crypto.FieldCipher(key, "acc-1", "lead-1").open("contact", tampered)
    with pytest.raises(IntegrityError, match="not a leadcenter ciphertext"):
        crypto.FieldCipher(key, "acc-1", "lead-1").open("contact", b"plain text")


def test_writing_many_leads_reuses_the_cached_key_encryption_key(api):
    ring = crypto.keyring()
    account = api.account("kms-counter")
    api.lead(account, "kms-counter")  # warm: the region's KEK and blind-index key exist now
    before = ring.kms_calls
    for _ in range(30):
        api.lead(account, "kms-counter")
    assert ring.kms_calls == before
