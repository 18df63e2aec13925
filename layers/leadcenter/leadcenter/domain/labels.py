"""Label settings. Deleting a label removes it from exactly the leads that carry it (their label links),
never by scanning the account's leads."""

from __future__ import annotations

from leadcenter import clock, ids
from leadcenter.errors import NotFound
from leadcenter.policy import Access
from leadcenter.store import accounts as account_store
from leadcenter.store import labels as label_store
from leadcenter.store import leads as lead_store
from leadcenter.store.labels import Label
from leadcenter.store.lead_items import TimelineEvent
from leadcenter.store.leads import Change

MAX_LABELS_PER_ACCOUNT = 500


def create(access: Access, name: str) -> Label:
    if len(label_store.list_labels(access.account_id)) >= MAX_LABELS_PER_ACCOUNT:
        from leadcenter.errors import Unprocessable

        raise Unprocessable(f"an account has at most {MAX_LABELS_PER_ACCOUNT} labels")
    label = Label(ids.ulid().lower(), name.strip(), clock.iso())
    label_store.create(access.account_id, label)
    return label


def rename(access: Access, label_id: str, name: str) -> Label:
    label = label_store.get(access.account_id, label_id)
    label_store.rename(access.account_id, label, name.strip())
    return Label(label.id, name.strip(), label.created_at)


def delete(access: Access, label_id: str) -> int:
    """Removes the label from every lead that has it, then the label itself. Returns how many leads changed."""
    label = label_store.get(access.account_id, label_id)
    changed = 0
    for region in sorted(account_store.get_account(access.account_id).lead_regions):
        for lead_id in lead_store.leads_with_label(region, access.account_id, label_id):
            state = lead_store.get(region, access.account_id, lead_id, with_personal=False)
            if state is None:
                continue
            now = clock.iso()
            event = TimelineEvent(
                ids.ulid(), "labels_removed", access.caller, now, {"labels": [label_id], "reason": "label deleted"}
            )
            try:
                lead_store.update(
                    region,
                    access.account_id,
                    lead_id,
                    Change(remove_labels=frozenset({label_id})),
                    expected_version=None,
                    updated_at=now,
                    events=[event],
                    current=state,
                )
                changed += 1
            except NotFound:
                continue  # deleted meanwhile
    label_store.delete(access.account_id, label)
    return changed
