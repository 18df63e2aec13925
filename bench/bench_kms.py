"""kms_calls_per_1000_leads_written in a warm container, against the peer design that asks KMS for a data
key per lead (the same code with the key-encryption-key cache limited to one use), both in this run."""

from __future__ import annotations

from typing import Any

from bench.harness import counting, metric, moto_stack

LEADS = 1000


def _write(count: int, prefix: str) -> None:
    from leadcenter.domain.leads import NewLead, create_lead
    from leadcenter.model import Contact, LeadSource
    from leadcenter.store import accounts
    from leadcenter.store.accounts import Account, Member

    account_id = f"bench-{prefix}"
    accounts.create_account(
        Account(account_id, "Bench", "ad_account", "SG", "2026-01-01T00:00:00.000Z"),
        Member(account_id, "bench", "admin", (), "2026-01-01T00:00:00.000Z"),
    )
    for n in range(count):
        contact = Contact(name=f"Person {n}", email=f"p{n}@example.com", phone=f"+6591{n:06d}")
        create_lead(account_id, NewLead(country="SG", source=LeadSource.MANUAL, contact=contact), "bench")


def run() -> dict[str, Any]:
    with moto_stack():
        from leadcenter import crypto

        ring = crypto.keyring()
        _write(5, "warm")  # a warm container: its key-encryption key and blind-index key exist
        with counting() as counter:
            _write(LEADS, "cached")
            ours = counter.count("kms")
        saved = ring.max_uses
        ring.max_uses = 1
        ring.forget()
        try:
            with counting() as counter:
                _write(LEADS, "percall")
                peer = counter.count("kms")
        finally:
            ring.max_uses = saved
            ring.forget()
    return {
        "kms_calls_per_1000_leads_written": metric(
            ours * 1000 / LEADS,
            "calls",
            peer * 1000 / LEADS,
            "KMS API calls counted at botocore while writing 1000 leads in a warm process (goal <= 1); peer = a "
            "GenerateDataKey per lead (key-encryption-key cache of one use)",
        )
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
