"""The CRM change feed: a lead-table stream record becomes a change notice, without personal data.

Runs in every storage region (CrmStreamFunction) and sends what it finds to the home CRM queue. A notice says
which lead changed how (created, updated, deleted), at which version, and the status move if there was one;
the delivery worker reads the lead itself when it builds a payload, so no personal data crosses regions or
sits in a queue. Kept free of the lead store and the adapters: a stream consumer should start fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from leadcenter import clock
from leadcenter.regions import region_router
from leadcenter.store import crm_queue

ChangeType = Literal["lead.created", "lead.updated", "lead.deleted"]
_TYPES: dict[str, ChangeType] = {"INSERT": "lead.created", "MODIFY": "lead.updated", "REMOVE": "lead.deleted"}


class ChangeNotice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["change"] = "change"
    key: str
    account_id: str
    lead_id: str
    region: str
    type: ChangeType
    version: int
    occurred_at: str
    expires_at: int
    status_from: str | None = None
    status_to: str | None = None
    # The lead's instant form (an id, not personal data): per-form subscriptions filter on it.
    form_id: str | None = None


def _is_lead(image: Mapping[str, Any]) -> bool:
    """Lead items only: label links share the `L#` sort key but live under `A#<account>#LB#...` and have no version."""
    pk, sk = str(image.get("pk", "")), str(image.get("sk", ""))
    return pk.startswith("A#") and pk.count("#") == 1 and sk.startswith("L#") and "version" in image


def notice(
    event_name: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    *,
    region: str,
    approximate_epoch: float | None = None,
) -> ChangeNotice | None:
    """The notice for one stream record, or None when it is not a lead change (another item, or a write that
    left the version as it was)."""
    change_type = _TYPES.get(event_name)
    image = old if event_name == "REMOVE" else new
    if change_type is None or not image or not _is_lead(image):
        return None
    version = int(image["version"])
    if change_type == "lead.updated" and old is not None and int(old.get("version", -1)) == version:
        return None
    lead_id, account_id = str(image["lead_id"]), str(image["account_id"])
    tag = lead_id.rpartition("-")[2]
    storage_region = region_router().region_for_tag(tag) or region
    if change_type == "lead.deleted":
        moment = datetime.fromtimestamp(approximate_epoch, tz=UTC) if approximate_epoch else clock.now()
        occurred_at = clock.iso(moment)
    else:
        occurred_at = str(image["updated_at"])
    status_from = str(old["status"]) if old is not None and "status" in old else None
    status_to = str(new["status"]) if new is not None and "status" in new else None
    key = hashlib.sha256(f"{storage_region}|{account_id}|{lead_id}|{change_type}|{version}".encode()).hexdigest()[:32]
    return ChangeNotice(
        key=key,
        account_id=account_id,
        lead_id=lead_id,
        region=storage_region,
        type=change_type,
        version=version,
        occurred_at=occurred_at,
        expires_at=int(image["expires_at"]),
        status_from=status_from,
        status_to=status_to,
        form_id=str(image["form_id"]) if image.get("form_id") else None,
    )


def forward(notices: Sequence[ChangeNotice]) -> list[int]:
    """Sends the notices to the home CRM queue; the indexes of those SQS did not take."""
    return crm_queue.send([n.model_dump(mode="json") for n in notices])
