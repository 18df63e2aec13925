"""Phone and WhatsApp numbers written in local or international format.

Candidates come from a cheap regex; phonenumbers only sees runs that survive the shape and context
checks (PhoneNumberMatcher is far slower and has a catastrophic-backtracking input). The sender's
registration country is the default region for numbers written without ``+``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from .model import Claims, Hit
from .vocab import PHONE_WORDS, SUFFIX_WORDS, SUPPRESS_WORDS, WEAK_SUPPRESS_WORDS, WHATSAPP_WORDS, alternation

_GROUP = r"(?:\(\d{1,5}\)|\d{1,15})"
# The first character is matched before anything else so that the regex engine can skip straight
# to digits, "(" and "+"; the look-behinds then check what precedes it: not the tail of a code, a
# handle or a decimal number.
_CANDIDATE = re.compile(
    r"[(+\d](?<![a-z0-9_@#+][(+\d])(?<!\d[.,][(+\d])"
    r"(?:(?<=\()(?:\+\d{1,4}|\d{1,5})\)|(?<=\+)[ \t]?" + _GROUP + r"|(?<=\d)\d{0,14})"
    r"(?:(?:[ \t]?[.\-–][ \t]?|[ \t])" + _GROUP + r"|(?<=\))\d{1,15}|\(\d{1,5}\)){0,9}"
)
# Seven digits close together: without them no candidate can be long enough to be a number.
_CLOSE_DIGITS = re.compile(r"\d(?:\D{0,4}\d){6}")
_NON_DIGIT = re.compile(r"\D")
_NOT_PHONE_CHAR = re.compile(r"[^\d+()]+")
_MIN_DIGITS = 7  # shortest national number worth reading, and only when labelled
_MIN_UNLABELLED = 8
_MAX_DIGITS = 17  # 15 for E.164 plus an international "00" prefix
_MAX_CANDIDATES = 64

# Shapes of other numbers that can still be valid phone numbers somewhere.
_OTHER_SHAPES = re.compile(
    "|".join(
        (
            r"[1-9]\d{0,2}([.,])\d{3}(?:\1\d{3})*(?:[.,]\d{1,2})?",  # 1.500.000 / 12,000,000
            r"(?:19|20)\d{2}[-./ ]\d{1,2}[-./ ]\d{1,2}",  # 2024-05-12
            r"\d{1,2}[-./ ]\d{1,2}[-./ ](?:19|20)\d{2}",  # 12.05.2024
            r"\d{1,2}[.:]\d{2}[ \t]?[-–][ \t]?\d{1,2}[.:]\d{2}",  # 09.00-17.00
            r"(?:19|20)\d{2}[ \t]?[-–][ \t]?(?:19|20)\d{2}",  # 2019-2024
            r"\d{3}\.\d{3}\.\d{3}-?\d{2}",  # CPF
            r"\d{5}-\d{7}-\d",  # CNIC
            r"784-?\d{4}-?\d{7}-?\d",  # Emirates ID
            r"\d{6}-\d{2}-\d{4}",  # MyKad
            r"\d{2}-\d{8}-\d",  # CUIT / CUIL
            r".*[-.]\d",  # a single check digit after a separator: accounts and IDs, not phones
            r"\d*0{5}",  # round amounts
            r"(\d)\2+",  # one repeated digit
        )
    )
)
# A letters-and-digits token right before the number ("DE89 3704 0044 ...", "JP12 3456 ...").
_CODE_BEFORE = re.compile(r"(?<![^\W_])(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{2,}[ \t-]$")

_CUE_KINDS = {
    **dict.fromkeys(WHATSAPP_WORDS, "wa"),
    **dict.fromkeys(PHONE_WORDS, "phone"),
    **dict.fromkeys(WEAK_SUPPRESS_WORDS, "weak"),
    **dict.fromkeys(SUPPRESS_WORDS, "sup"),
}
_CUE = re.compile(alternation(_CUE_KINDS))
_SUFFIX = re.compile(r"[ \t]?(?:" + alternation(SUFFIX_WORDS) + ")")
_AFTER_GAP = re.compile(r"[ \t]*[(\[\-/:]?[ \t]*")
_BREAK = re.compile(r"[\n;!?。！？|]|\.(?:\s|$)")
# What may sit between "order"/"pedido" and its number: separators and a "number" word.
_MARKER_GAP = re.compile(
    r"[\s:#.\-]*(?:no|nr|number|num|id|code|nomor|número|numero|n°|nº|#|de)?[\s:#.\-]*"
    r"(?:is|é|es|adalah|là|:)?[\s:#.\-]*"
)
_REACH = 40  # how far back a label reaches, in characters
_SUPPRESS_REACH = 30
_ADJACENT = 15  # "WhatsApp di nomor 0812...": a WhatsApp word right before a phone word


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int
    end: int
    kind: str  # wa | phone | weak | sup


@dataclass(frozen=True, slots=True)
class _Verdict:
    suppressed: bool
    labelled: bool
    whatsapp: bool


_NEUTRAL = _Verdict(suppressed=False, labelled=False, whatsapp=False)
_SUPPRESSED = _Verdict(suppressed=True, labelled=False, whatsapp=False)
_PHONE = _Verdict(suppressed=False, labelled=True, whatsapp=False)
_WHATSAPP = _Verdict(suppressed=False, labelled=True, whatsapp=True)


def default_region(region: str | None) -> str | None:
    """The phonenumbers region for an ISO 3166-1 alpha-2 code, or None when it has none."""
    if not region:
        return None
    code = region.strip().upper()
    code = "GB" if code == "UK" else code
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def find_phones(text: str, region: str | None, claims: Claims) -> list[Hit]:
    first = _CLOSE_DIGITS.search(text)
    if first is None:
        return []  # the common case: prices, dates and times only
    hits = []
    # Two characters back: "(+62)" and "+62" start before their first digit.
    for count, match in enumerate(_CANDIDATE.finditer(text, max(0, first.start() - 2))):
        if count >= _MAX_CANDIDATES:
            break
        digits = _NON_DIGIT.sub("", match.group())
        if len(digits) < _MIN_DIGITS or _glued(text, match.end()):
            continue
        if claims.overlaps(match.start(), match.end()):
            continue
        cues = _cues_near(text, match.start(), match.end())
        for start, end in _pieces(match, len(digits)):
            hit = _read(text, start, end, region, cues)
            if hit is not None:
                claims.add(start, end)
                hits.append(hit)
    return hits


def _cues_near(text: str, start: int, end: int) -> list[_Cue]:
    """Label words close enough to a number to speak about it (reading only there keeps this cheap)."""
    window = _CUE.finditer(text, max(0, start - _REACH - 20), min(len(text), end + 20))
    return [_Cue(m.start(), m.end(), _CUE_KINDS[m.group()]) for m in window]


def _glued(text: str, end: int) -> bool:
    """The run continues as a word, an e-mail or a decimal fraction ("0812345678abc", "1234567.50")."""
    if end >= len(text):
        return False
    following = text[end]
    if following.isascii() and (following.isalnum() or following in "_@"):
        return True
    return following in ".," and end + 1 < len(text) and text[end + 1].isdigit()


def _pieces(match: re.Match[str], digit_count: int) -> list[tuple[int, int]]:
    """The whole run, or for a run too long to be one number, two numbers split at a space."""
    if digit_count <= _MAX_DIGITS:
        return [(match.start(), match.end())]
    raw = match.group()
    for split in (i for i, char in enumerate(raw) if char in " \t"):
        left, right = raw[:split].rstrip(" \t.-–"), raw[split:].lstrip(" \t.-–")
        sizes = (len(_NON_DIGIT.sub("", left)), len(_NON_DIGIT.sub("", right)))
        if all(_MIN_UNLABELLED <= size <= _MAX_DIGITS for size in sizes):
            start = match.start()
            return [(start, start + len(left)), (match.end() - len(right), match.end())]
    return []


def _read(text: str, start: int, end: int, region: str | None, cues: list[_Cue]) -> Hit | None:
    raw = text[start:end]
    digits = _NON_DIGIT.sub("", raw)
    international = raw.lstrip("(").startswith("+")
    if international:
        if not 8 <= len(digits) <= 15:
            return None
        verdict = _verdict(text, start, end, cues)
    else:
        if len(digits) > _MAX_DIGITS or _OTHER_SHAPES.fullmatch(raw):
            return None
        if _CODE_BEFORE.search(text, max(0, start - 24), start):
            return None
        verdict = _verdict(text, start, end, cues)
        if verdict.suppressed or (not verdict.labelled and len(digits) < _MIN_UNLABELLED):
            return None
    number = _parse(raw, digits, international, region, verdict.labelled)
    if number is None:
        return None
    return Hit(start, end, "whatsapp" if verdict.whatsapp else "phone", number)


def _verdict(text: str, start: int, end: int, cues: list[_Cue]) -> _Verdict:
    """Read the labels around a number: the nearest one before it decides."""
    if _SUFFIX.match(text, end):
        return _SUPPRESSED
    after = _cue_after(text, end, cues)
    before = [cue for cue in cues if cue.end <= start and start - cue.end <= _REACH]
    nearest = _nearest_in_clause(text, before, start)
    if nearest is None:
        return after or _NEUTRAL
    gap = text[nearest.end : start]
    if nearest.kind == "sup":
        if len(gap) <= _SUPPRESS_REACH and not any(c.isdigit() for c in gap):
            return _SUPPRESSED
        return after or _NEUTRAL
    if nearest.kind == "weak":
        return _SUPPRESSED if _MARKER_GAP.fullmatch(gap) else after or _NEUTRAL
    if nearest.kind == "wa":
        return _WHATSAPP
    return _phone_label(text, before, nearest, after)


def _nearest_in_clause(text: str, before: list[_Cue], start: int) -> _Cue | None:
    if not before or _BREAK.search(text, before[-1].end, start):
        return None
    return before[-1]


def _phone_label(text: str, before: list[_Cue], phone: _Cue, after: _Verdict | None) -> _Verdict:
    """A phone word labels the number; the word right before it may make it WhatsApp or void it.

    "WhatsApp di nomor 0812..." is WhatsApp; "order number 123..." and "tracking number" are not
    phone numbers at all.
    """
    index = before.index(phone)
    previous = before[index - 1] if index else None
    if previous is not None and phone.start - previous.end <= _ADJACENT:
        gap = text[previous.end : phone.start]
        if not any(c.isdigit() for c in gap) and _BREAK.search(gap) is None:
            if previous.kind == "wa":
                return _WHATSAPP
            if previous.kind in ("sup", "weak") and len(gap) <= 5:
                return _SUPPRESSED
    return _WHATSAPP if after is not None and after.whatsapp else _PHONE


def _cue_after(text: str, end: int, cues: list[_Cue]) -> _Verdict | None:
    """A label right after the number: "0812-3456-7890 (WA)", "0812345678 whatsapp only"."""
    gap = _AFTER_GAP.match(text, end)
    position = gap.end() if gap else end
    for cue in cues:
        if cue.start == position and cue.kind in ("wa", "phone"):
            return _WHATSAPP if cue.kind == "wa" else _PHONE
    return None


def _parse(raw: str, digits: str, international: bool, region: str | None, labelled: bool) -> str | None:
    cleaned = _NOT_PHONE_CHAR.sub(" ", raw).strip()
    attempts: list[tuple[str, str | None]] = []
    if international:
        attempts.append((cleaned, None))
    else:
        if digits.startswith("00") and not digits.startswith("000"):
            attempts.append(("+" + digits[2:], None))  # "00" international prefix, whatever the region
        if region is not None:
            attempts.append((cleaned, region))
        if labelled:
            attempts.append(("+" + digits, None))  # a labelled number written without its "+"
    for candidate, default in attempts:
        try:
            number = phonenumbers.parse(candidate, default)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None
