"""A lead's listing cards: the copies of its lead item the lists read, each with its wrapped key, in the lead-keys
table (no point-in-time recovery), and the index keys each card carries.

A lead item can sit in a GSI only once, and labels are many per lead; a filter pair needs its own key to be read
without waste. So a lead has several cards, each a whole copy (a page reads only cards: nothing more to fetch):
  card 0        K#<account>#<lead>          every lead of the account, each single filter, 8 filter pairs
  card Q        K#<account>#<lead>#Q        the other 10 pairs of an ad, ad group or campaign (`q`) with a filter,
                                            and the 7 pairs of access status with a filter
  label card    K#<account>#<lead>#L#<id>   per label on the lead: the label, and the label with each filter
Their index keys go into generic slots s01..s18 (one sparse GSI `by_sNN` each, sorted by lead id): a family (a
filter or pair of filters) has a fixed slot, so the planner knows where to read it; a third filter is a filter
expression over the best pair's cards.

Every card follows every change of the lead in the lead's own transaction (rewritten whole from the changed
state, conditioned on the version read), and goes with it: delete, erasure and expiry remove all of them, which
shreds the lead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadcenter import crypto
from leadcenter.model import AccessStatus, LeadStatus
from leadcenter.store.lead_items import (
    LeadKeyItem,
    LeadState,
    dimension_key,
    key_pk,
    lead_card,
    lead_item,
    models,
    open_card,
)

if TYPE_CHECKING:
    from leadcenter.store.leads import Change

Family = tuple[str, ...]

_SINGLES: tuple[Family, ...] = tuple(
    (d,) for d in ("account", "status", "assignee", "access", "source", "form", "ad", "adgroup", "campaign", "traffic")
)
_PAIRS_0: tuple[Family, ...] = (
    ("status", "assignee"),
    ("status", "source"),
    ("status", "form"),
    ("assignee", "source"),
    ("assignee", "form"),
    ("source", "form"),
    ("ad", "status"),
    ("ad", "assignee"),
)
_PAIRS_Q: tuple[Family, ...] = (
    ("ad", "source"),
    ("ad", "form"),
    ("adgroup", "status"),
    ("adgroup", "assignee"),
    ("adgroup", "source"),
    ("adgroup", "form"),
    ("campaign", "status"),
    ("campaign", "assignee"),
    ("campaign", "source"),
    ("campaign", "form"),
    *(("access", d) for d in ("status", "assignee", "source", "form", "ad", "adgroup", "campaign")),
)
_LABEL: tuple[Family, ...] = (
    ("label",),
    *(("label", d) for d in ("status", "assignee", "access", "source", "form", "ad", "adgroup", "campaign")),
)
LAYOUTS: dict[str, tuple[Family, ...]] = {"0": _SINGLES + _PAIRS_0, "Q": _PAIRS_Q, "L": _LABEL}
SLOTS = max(len(layout) for layout in LAYOUTS.values())  # 18: the lead-keys table's by_s01..by_s18


def slot_name(number: int) -> str:
    return f"s{number:02}"


def _slot_of() -> dict[frozenset[str], int]:
    found = {}
    for layout in LAYOUTS.values():
        for n, family in enumerate(layout, start=1):
            found[frozenset(family)] = n
    return found


SLOT_OF = _slot_of()  # family (as a set of dimensions) -> its slot number


def family_key(account_id: str, family: Family, values: dict[str, str | None]) -> str | None:
    """`A#<account>#<d1>+<d2>#<v1>#<v2>` (a single: as before, `A#<account>#<d>#<v>`); None when a value is missing."""
    if family == ("account",):
        return f"A#{account_id}"
    parts = [values.get(d) for d in family]
    if any(p is None for p in parts):
        return None
    return dimension_key(account_id, "+".join(family), "#".join(str(p) for p in parts))


def facts(state: LeadState) -> dict[str, str | None]:
    """The values of the lead's list filters (assignee `none` when unassigned)."""
    lead = state.lead
    return {
        "status": lead.status.value,
        "assignee": lead.assignee or "none",
        "access": lead.access_status.value,
        "source": lead.source.value,
        "form": lead.form.form_id,
        "ad": lead.ad.ad_id,
        "adgroup": lead.ad.adgroup_id,
        "campaign": lead.ad.campaign_id,
        "traffic": lead.traffic,
    }


def card_pks(account_id: str, lead_id: str, label_ids: set[str] | frozenset[str]) -> list[str]:
    base = key_pk(account_id, lead_id)
    return [base, f"{base}#Q", *(f"{base}#L#{label}" for label in sorted(label_ids))]


def cards(state: LeadState, wrapped: crypto.WrappedLeadKey, cipher: crypto.FieldCipher) -> Iterator[LeadKeyItem]:
    """Every card of the lead in `state`: card 0, card Q, one per label."""
    lead = state.lead
    item = lead_item(state, cipher)
    values = facts(state)
    base = key_pk(lead.account_id, lead.id)
    kinds = [(base, "0", values), (f"{base}#Q", "Q", values)]
    kinds += [(f"{base}#L#{label}", "L", {**values, "label": label}) for label in sorted(state.label_ids)]
    for n, (pk, layout, known) in enumerate(kinds):
        card = lead_card(item, wrapped)
        card.pk = pk
        if n:  # only card 0 is in the incremental-pull index
            card.g_upd = None
        for slot, family in enumerate(LAYOUTS[layout], start=1):
            setattr(card, slot_name(slot), family_key(lead.account_id, family, known))
        yield card


@dataclass(frozen=True)
class CardChange:
    """What a change does to a lead's cards: `put` rewritten whole (card 0 conditioned on `version`), `delete`."""

    put: list[LeadKeyItem]
    delete: list[str]
    version: int
    state: LeadState | None = None  # the lead as the change leaves it (what card 0 now holds)


def changed_state(card0: LeadKeyItem, c: Change, updated_at: str) -> tuple[LeadState, crypto.WrappedLeadKey]:
    """The lead after change `c`, from its card 0 as read (opened with its key)."""
    state = open_card(card0)
    lead = state.lead
    if c.status is not None:
        lead.status = LeadStatus(c.status)
    if c.clear_assignee:
        lead.assignee = None
    elif c.assignee is not None:
        lead.assignee = c.assignee
    if c.access is not None:
        lead.access_status = AccessStatus.ACCESSED
        lead.accessed_by, lead.accessed_at = c.access
    if c.conversation_id is not None:
        lead.conversation_id = c.conversation_id
    if c.contact is not None:
        lead.contact = c.contact
    if c.form is not None:
        given = c.form.model_dump(include={"answers", "form_id", "form_name"}, exclude_defaults=True)
        lead.form = lead.form.model_copy(update={k: getattr(c.form, k) for k in given if getattr(c.form, k)})
    state.label_ids = (set(state.label_ids) | set(c.add_labels)) - set(c.remove_labels)
    state.digests = (set(state.digests) - set(c.removed_digests)) | set(c.new_digests)
    lead.version += 1
    lead.updated_at = updated_at
    return state, crypto.WrappedLeadKey(bytes(card0.kek_blob), bytes(card0.wrapped))


def card_change(card0: LeadKeyItem, change: Change, updated_at: str) -> CardChange:
    """The cards a change rewrites and removes, from card 0 as read."""
    state, wrapped = changed_state(card0, change, updated_at)
    before = set(card0.labels or ())
    lead = state.lead
    gone = card_pks(lead.account_id, lead.id, before - state.label_ids)[2:]
    cipher = crypto.FieldCipher(state.lead_key, lead.account_id, lead.id)
    return CardChange(list(cards(state, wrapped, cipher)), gone, lead.version - 1, state)


def read_card0s(region: str, leads: list[tuple[str, str]]) -> dict[str, LeadKeyItem]:
    """lead id -> card 0 of the (account, lead id) pairs that have one, read consistently (BatchGetItem)."""
    if not leads:
        return {}
    keys = [key_pk(account_id, lead_id) for account_id, lead_id in leads]
    return {card.lead_id: card for card in models(region).key.batch_get(keys, consistent_read=True)}


def read_card0(region: str, account_id: str, lead_id: str) -> LeadKeyItem | None:
    return read_card0s(region, [(account_id, lead_id)]).get(lead_id)
