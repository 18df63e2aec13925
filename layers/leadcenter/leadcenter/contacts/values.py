"""normalize_value: the normal form of a contact value given by hand or by another system."""

from __future__ import annotations

from .links import read_link
from .model import HANDLE_KINDS, PHONE_KINDS
from .normalize import normalize_email, normalize_handle, normalize_phone, prepare_text
from .phones import default_region


def normalize_value(kind: str, value: str, region: str | None = None) -> str | None:
    """The normal form CONTRACT.md prescribes for ``kind``; None when ``value`` cannot be one.

    ``region`` is the default country for a phone number written without ``+``. A handle may be
    given as its profile link ("instagram.com/name"). Idempotent: a normal form normalises to itself.
    """
    if kind == "email":
        return normalize_email(value)
    if kind in PHONE_KINDS:
        return normalize_phone(value, default_region(region))
    if kind in HANDLE_KINDS:
        bare = value.strip().rstrip("/")
        if "/" in bare:
            found = read_link(prepare_text(bare))
            return found[1] if found is not None and found[0] == kind else None
        return normalize_handle(bare)
    raise ValueError(f"unknown contact kind: {kind}")
