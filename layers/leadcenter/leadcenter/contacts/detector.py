"""ContactDetector: every contact kind in one pass over a message."""

from __future__ import annotations

from operator import itemgetter

from .emails import find_emails, find_obfuscated_emails, might_be_obfuscated
from .handles import find_labelled_handles, find_labels
from .links import find_links, might_hold_link
from .model import Claims, Contact, Hit
from .normalize import prepare_text
from .phones import default_region, find_phones, first_digit_run

# phonenumbers has a catastrophic-backtracking input and messages can be pasted novels; a message
# longer than this is read up to here only (a contact is shared near the start anyway).
MAX_CHARS = 4000
_START = itemgetter(0)  # Hit.start


class ContactDetector:
    """Find contacts in a direct message.

    ``region`` is the sender's registration country (ISO 3166-1 alpha-2); it is the default country
    for phone numbers written without ``+``.

    Most messages hold no contact. Before any extractor runs, the detector asks each one's entry
    test, a search that every match of that extractor must pass (built from the same pattern or
    vocabulary it reads with): a run of seven digits, an "@", a link host's ".com/", an obfuscation
    hint, a platform label. A message that passes none is answered at once, and only the
    extractors whose test passed run. ``prefilter=False`` skips the tests and runs the extractors
    as they are (tests/contacts/test_prefilter.py checks that both give the same answers).
    """

    def __init__(self, max_chars: int = MAX_CHARS, *, prefilter: bool = True) -> None:
        self.max_chars = max_chars
        self.prefilter = prefilter

    def detect(self, text: str, region: str | None = None) -> list[Contact]:
        prepared = prepare_text(text[: self.max_chars])
        if not self.prefilter:
            return self._run_all(prepared, default_region(region))
        # Each test is what its extractor needs to find anything (see where each is defined).
        digits = first_digit_run(prepared)  # phones
        at = "@" in prepared  # e-mail addresses
        labels = find_labels(prepared)  # "IG: name", "LINE ID name", ...
        obfuscated = might_be_obfuscated(prepared)  # "name [at] domain [dot] com"
        if digits is None and not (at or labels or obfuscated or might_hold_link(prepared)):
            return []
        claims = Claims()
        hits: list[Hit] = []
        # Links go first whenever another extractor runs: a link claims its span even without a hit.
        if "/" in prepared:
            hits += find_links(prepared, default_region(region), claims)
        if at:
            hits += find_emails(prepared, claims)
        if obfuscated:
            hits += find_obfuscated_emails(prepared, claims)
        if labels:
            hits += find_labelled_handles(prepared, claims, labels)
        if digits is not None:
            hits += find_phones(prepared, default_region(region), claims, digits)
        return _unique_in_order(hits) if hits else []

    @staticmethod
    def _run_all(prepared: str, phone_region: str | None) -> list[Contact]:
        claims = Claims()
        hits: list[Hit] = []
        if "/" in prepared:
            hits += find_links(prepared, phone_region, claims)
        if "@" in prepared:
            hits += find_emails(prepared, claims)
        hits += find_obfuscated_emails(prepared, claims)
        hits += find_labelled_handles(prepared, claims)
        hits += find_phones(prepared, phone_region, claims)
        return _unique_in_order(hits) if hits else []


def _unique_in_order(hits: list[Hit]) -> list[Contact]:
    if len(hits) == 1:
        return [Contact(hits[0].kind, hits[0].value)]
    seen: set[tuple[str, str]] = set()
    contacts = []
    for hit in sorted(hits, key=_START):
        if (hit.kind, hit.value) not in seen:
            seen.add((hit.kind, hit.value))
            contacts.append(Contact(hit.kind, hit.value))
    return contacts


_DEFAULT = ContactDetector()


def detect_contacts(text: str, region: str | None = None) -> list[Contact]:
    """Contacts in ``text`` in order of first appearance, each (kind, value) once."""
    return _DEFAULT.detect(text, region)
