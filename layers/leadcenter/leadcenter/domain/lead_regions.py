"""The storage regions each account's record lists, as this container last read or wrote them.

Creating a lead adds its storage region to the account's record once (`domain.leads.create_lead`); the capture
worker remembers what the account it read already lists, for every event. Kept apart from `domain.leads` so
that remembering costs no import of the lead domain (issue 18: most queued events create no lead).
"""

from __future__ import annotations

_known: dict[str, set[str]] = {}


def known(account_id: str) -> set[str]:
    return _known.setdefault(account_id, set())


def remember(account_id: str, regions: frozenset[str]) -> None:
    """The storage regions an account read from the table already lists (so creating a lead adds none)."""
    known(account_id).update(regions)


def forget_all() -> None:
    _known.clear()
