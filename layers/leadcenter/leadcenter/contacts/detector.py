"""ContactDetector: every contact kind in one pass over a message."""

from __future__ import annotations

from .emails import find_emails, find_obfuscated_emails
from .handles import find_labelled_handles
from .links import find_links
from .model import Claims, Contact, Hit
from .normalize import prepare_text
from .phones import default_region, find_phones

# phonenumbers has a catastrophic-backtracking input and messages can be pasted novels; a message
# longer than this is read up to here only (a contact is shared near the start anyway).
MAX_CHARS = 4000


class ContactDetector:
    """Find contacts in a direct message.

    ``region`` is the sender's registration country (ISO 3166-1 alpha-2); it is the default country
    for phone numbers written without ``+``.
    """

    def __init__(self, max_chars: int = MAX_CHARS) -> None:
        self.max_chars = max_chars

    def detect(self, text: str, region: str | None = None) -> list[Contact]:
        prepared = prepare_text(text[: self.max_chars])
        phone_region = default_region(region)
        claims = Claims()
        hits: list[Hit] = []
        # Cheap membership tests first: most messages hold no contact at all.
        if "/" in prepared:
            hits += find_links(prepared, phone_region, claims)
        if "@" in prepared:
            hits += find_emails(prepared, claims)
        hits += find_obfuscated_emails(prepared, claims)
        hits += find_labelled_handles(prepared, claims)
        hits += find_phones(prepared, phone_region, claims)
        return _unique_in_order(hits) if hits else []


def _unique_in_order(hits: list[Hit]) -> list[Contact]:
    seen: set[tuple[str, str]] = set()
    contacts = []
    for hit in sorted(hits, key=lambda h: h.start):
        if (hit.kind, hit.value) not in seen:
            seen.add((hit.kind, hit.value))
            contacts.append(Contact(hit.kind, hit.value))
    return contacts


_DEFAULT = ContactDetector()


def detect_contacts(text: str, region: str | None = None) -> list[Contact]:
    """Contacts in ``text`` in order of first appearance, each (kind, value) once."""
    return _DEFAULT.detect(text, region)
