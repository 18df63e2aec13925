"""Text preparation and the normal forms of e-mail addresses, phone numbers and handles.

Every extractor works on *prepared* text: NFKC (full-width letters, digits, ``＠`` and ``：`` become
ASCII), other scripts' decimal digits folded to 0-9, invisible format characters removed, then
lower-cased. Working on one prepared string keeps offsets consistent across extractors.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

# First code point of each 0-9 block whose digits people type in messages (NFKC leaves these alone).
_DIGIT_BLOCKS = (
    0x0660,  # Arabic-Indic
    0x06F0,  # Extended Arabic-Indic (Persian, Urdu)
    0x0966,  # Devanagari
    0x09E6,  # Bengali
    0x0E50,  # Thai
    0x0ED0,  # Lao
    0x1040,  # Myanmar
    0x17E0,  # Khmer
)
_INVISIBLE = (
    "\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)


def _translation_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for block in _DIGIT_BLOCKS:
        for value in range(10):
            table[block + value] = str(value)
    for char in _INVISIBLE:
        table[ord(char)] = None
    table[0x066B] = "."  # Arabic decimal separator
    table[0x066C] = ","  # Arabic thousands separator
    table[0x060C] = ","  # Arabic comma
    # Turkish dotted capital I lower-cases to "i" + combining dot, which would split handles.
    table[0x0130] = "I"
    return table


_TABLE = _translation_table()
# str.translate with a dict walks every character in Python; most texts need none of it.
_NEEDS_TABLE = re.compile("[" + "".join(re.escape(chr(code)) for code in _TABLE) + "]")


def prepare_text(text: str) -> str:
    """Return the searchable form of ``text`` (see module docstring)."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text)
    if _NEEDS_TABLE.search(text):
        text = text.translate(_TABLE)
    return text.lower()


_EMAIL_FORM = re.compile(r"[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24}")
_HANDLE_FORM = re.compile(r"[^\s@/?#&:]{1,100}")


def normalize_email(value: str) -> str | None:
    email = prepare_text(value).strip().strip(".")
    return email if _EMAIL_FORM.fullmatch(email) else None


def normalize_phone(value: str, region: str | None = None) -> str | None:
    """E.164 form of a valid number, or None. ``region`` is the default for numbers without ``+``."""
    try:
        number = phonenumbers.parse(prepare_text(value), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_handle(value: str) -> str | None:
    """Lower-case, no ``@``, no trailing slash or dot; None when nothing handle-like is left."""
    handle = prepare_text(value).strip().lstrip("@").rstrip("/.")
    return handle if _HANDLE_FORM.fullmatch(handle) else None
