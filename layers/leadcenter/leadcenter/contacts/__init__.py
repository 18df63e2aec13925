"""Contact detection in direct messages (issue 4, CONTRACT.md "Contact detection command").

``detect_contacts(text, region)`` returns the contacts a message shares, normalised: e-mail
addresses lower-cased, phone and WhatsApp numbers in E.164, handles lower-cased without ``@`` or URL.
"""

from .detector import MAX_CHARS, ContactDetector, detect_contacts
from .model import KINDS, Contact
from .values import normalize_value

__all__ = ["KINDS", "MAX_CHARS", "Contact", "ContactDetector", "detect_contacts", "normalize_value"]
