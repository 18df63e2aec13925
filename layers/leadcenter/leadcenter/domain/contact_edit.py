"""A lead's contact, checked and edited by hand.

Checked the same way on create and on edit: e-mail addresses in their normal form (lower-cased) or refused,
phone and WhatsApp numbers in E.164 with the lead's registration country as the default region, or refused.
An edit replaces the fields given; the dedupe entries (blind-index digests) follow it in the lead's own
transaction: the entries of values edited away are deleted (if still this lead's), those of new values are
claimed on condition that no other lead of the account holds them (409 `contact_in_use` otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leadcenter import crypto
from leadcenter.errors import Conflict, Unprocessable
from leadcenter.model import Contact, OtherContact
from leadcenter.store.lead_items import LeadState

_PHONE_KINDS = ("phone", "whatsapp")
EDITABLE = ("name", "email", "phone", "others")


class ContactInUse(Conflict):
    code = "contact_in_use"


def _email(value: str, field: str) -> str:
    from leadcenter.contacts.normalize import normalize_email

    normal = normalize_email(value)
    if normal is None:
        raise Unprocessable(f"{field} is not a valid e-mail address", field=field, problem="invalid_email")
    return normal


def _phone(value: str, country: str, field: str) -> str:
    from leadcenter.contacts.normalize import normalize_phone

    normal = normalize_phone(value, country)
    if normal is None:
        raise Unprocessable(
            f"{field} is not a valid phone number (international, or national for the lead's country {country})",
            field=field,
            problem="invalid_phone",
        )
    return normal


def checked_contact(contact: Contact, country: str) -> Contact:
    """The contact in normal form; a 422 naming the field (never its value) when one is invalid."""
    others = []
    for n, other in enumerate(contact.others):
        field = f"contact.others.{n}.value"
        value = other.value.strip()
        if other.kind == "email":
            value = _email(value, field)
        elif other.kind in _PHONE_KINDS:
            value = _phone(value, country, field)
        elif not value:
            raise Unprocessable(f"{field} is empty", field=field)
        others.append(OtherContact(kind=other.kind, value=value))
    name = contact.name.strip() if contact.name is not None else None
    return Contact(
        name=name or None,
        email=_email(contact.email, "contact.email") if contact.email else None,
        phone=_phone(contact.phone, country, "contact.phone") if contact.phone else None,
        others=others,
    )


def _pairs(contact: Contact) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = {(str(o.kind), o.value) for o in contact.others}
    if contact.email:
        pairs.add(("email", contact.email))
    if contact.phone:
        pairs.add(("phone", contact.phone))
    return pairs


def digest(region: str, account_id: str, kind: str, value: str) -> str:
    """As capture computes it: a WhatsApp number is a phone number."""
    return crypto.blind_index().digest(region, account_id, "phone" if kind == "whatsapp" else kind, value)


@dataclass(frozen=True)
class ContactEdit:
    contact: Contact
    fields: tuple[str, ...]  # the fields whose value changed (names only: the timeline shows no values)
    new_digests: tuple[str, ...]
    removed_digests: tuple[str, ...]
    kinds_by_digest: dict[str, str]


def plan(state: LeadState, given: Contact, given_fields: Iterable[str]) -> ContactEdit:
    lead = state.lead
    fields = [f for f in EDITABLE if f in set(given_fields)]
    checked = checked_contact(given, lead.region)
    merged = lead.contact.model_copy(update={f: getattr(checked, f) for f in fields})
    changed = tuple(f for f in fields if getattr(merged, f) != getattr(lead.contact, f))
    before, after = _pairs(lead.contact), _pairs(merged)
    region, account = lead.storage_region, lead.account_id
    kinds: dict[str, str] = {}
    new = []
    for kind, value in sorted(after - before):
        d = digest(region, account, kind, value)
        kinds.setdefault(d, kind)
        if d not in state.digests and d not in new:
            new.append(d)
    still = {digest(region, account, kind, value) for kind, value in after}
    removed = sorted({digest(region, account, kind, value) for kind, value in before - after} & state.digests - still)
    return ContactEdit(merged, changed, tuple(new), tuple(removed), kinds)


def in_use(edit: ContactEdit, taken_digest: str) -> ContactInUse:
    kind = edit.kinds_by_digest.get(taken_digest, "contact")
    field = {"email": "contact.email", "phone": "contact.phone"}.get(kind, "contact.others")
    return ContactInUse(
        f"this {kind} is already the contact of another lead of this account; edit that lead instead",
        field=field,
    )
