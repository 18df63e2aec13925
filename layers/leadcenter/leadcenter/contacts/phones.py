"""Phone and WhatsApp numbers written in local or international format.

Candidates come from a cheap regex; phonenumbers only sees runs that survive the shape and context
checks (PhoneNumberMatcher is far slower and has a catastrophic-backtracking input). The sender's
registration country is the default region for numbers written without ``+``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

import phonenumbers

from .model import Claims, Hit
from .vocab import PHONE_WORDS, SUFFIX_WORDS, SUPPRESS_WORDS, WEAK_SUPPRESS_WORDS, WHATSAPP_WORDS, WordFinder

_GROUP = r"(?:\(\d{1,5}\)|\d{1,15})"
# The first character is matched before anything else so that the regex engine can skip straight
# to digits, "(" and "+"; the look-behinds then check what precedes it: not the tail of a code, a
# handle or a decimal number.
_CANDIDATE = re.compile(
    r"[(+\d](?<![a-z0-9_@#+][(+\d])(?<!\d[.,][(+\d])"
    r"(?:(?<=\()(?:\+\d{1,4}|\d{1,5})\)|(?<=\+)[ \t]?" + _GROUP + r"|(?<=\d)\d{0,14})"
    r"(?:(?:[ \t]?[.\-–][ \t]?|[ \t])" + _GROUP + r"|(?<=\))\d{1,15}|\(\d{1,5}\)){0,9}"
)
# Seven digits joined only by what may separate digits in a phone number: without them no candidate
# can be long enough to be one.
_CLOSE_DIGITS = re.compile(r"\d(?:[ \t.\-–()]{0,4}\d){6}")
_NON_DIGIT = re.compile(r"\D")
_UNSPACED = re.compile(r"[^ \t]+")
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
_CODE_TOKEN = re.compile(r"(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{2,}")

_CUE_KINDS = {
    **dict.fromkeys(WHATSAPP_WORDS, "wa"),
    **dict.fromkeys(PHONE_WORDS, "phone"),
    **dict.fromkeys(WEAK_SUPPRESS_WORDS, "weak"),
    **dict.fromkeys(SUPPRESS_WORDS, "sup"),
}
_CUES = WordFinder(_CUE_KINDS)
_SUFFIX = re.compile(r"[ \t]?" + WordFinder(SUFFIX_WORDS).source)
_AFTER = re.compile(r"[ \t]*[(\[\-/:]?[ \t]*(?P<cue>" + _CUES.source + ")")
_AFTER_MORE = re.compile(r"[ \t]*[/&,][ \t]*(?P<cue>" + _CUES.source + ")")
_LONGEST_CUE = max(map(len, _CUE_KINDS))
# A sentence ends at these, or at a full stop after a word that is not an abbreviation ("Nr.", "Tel.").
_BREAK = re.compile(r"[\n;!?。！？|.]")
_WORD_BEFORE_DOT = re.compile(r"[a-z.]*$")
_ABBREVIATIONS = frozenset(
    {"no", "nr", "nro", "tel", "telp", "hp", "ph", "mob", "cel", "ref", "inv", "acc", "jl", "st", "mr", "mrs", "ms",
     "dr", "a.n", "an", "n", "num", "cp", "c.p", "fone", "whats", "wa"}
)  # fmt: skip
# A number of its own between a label and a candidate: the label was about that one.
_OTHER_NUMBER = re.compile(r"(?<![a-z0-9])\d")
# What may sit between "order"/"pedido" and its number: separators and a "number" word.
_MARKER_GAP = re.compile(
    r"[\s:#.\-]*(?:no|nr|number|num|id|code|nomor|número|numero|n°|nº|#|de)?[\s:#.\-]*"
    r"(?:is|é|es|adalah|là|:)?[\s:#.\-]*"
)
_REACH = 40  # how far back a label reaches, in characters
_SUPPRESS_REACH = 30
_ADJACENT = 15  # "WhatsApp di nomor 0812...": a WhatsApp word right before a phone word


class _Cue(NamedTuple):  # a label word near a number (a tuple: built in the hot path)
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


@functools.lru_cache(maxsize=512)
def default_region(region: str | None) -> str | None:
    """The phonenumbers region for an ISO 3166-1 alpha-2 code, or None when it has none."""
    if not region:
        return None
    code = region.strip().upper()
    code = "GB" if code == "UK" else code
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def phone_e164(number: str, region: str | None) -> str | None:
    """E.164 form of one number ("+6281...", or national digits read with ``region``), or None."""
    return _parse(number, _NON_DIGIT.sub("", number), number.startswith("+"), region, labelled=False)


def find_phones(text: str, region: str | None, claims: Claims) -> list[Hit]:
    first = _CLOSE_DIGITS.search(text)
    if first is None:
        return []  # the common case: prices, dates and times only
    hits = []
    # Two characters back: "(+62)" and "+62" start before their first digit.
    for count, match in enumerate(_CANDIDATE.finditer(text, max(0, first.start() - 2))):
        if count >= _MAX_CANDIDATES:
            break
        if match.end() - match.start() < _MIN_DIGITS:
            continue  # dates, times and prices: too short to hold enough digits
        digits = _NON_DIGIT.sub("", match.group())
        if len(digits) < _MIN_DIGITS or _glued(text, match.end()):
            continue
        if claims.overlaps(match.start(), match.end()):
            continue
        for start, end in _pieces(match, digits):
            hit = _read(text, start, end, region)
            if hit is not None:
                claims.add(start, end)
                hits.append(hit)
    return hits


def _glued(text: str, end: int) -> bool:
    """The run continues as a word, an e-mail or a decimal fraction ("0812345678abc", "1234567.50")."""
    if end >= len(text):
        return False
    following = text[end]
    if following.isascii() and (following.isalnum() or following in "_@"):
        return True
    return following in ".," and end + 1 < len(text) and text[end + 1].isdigit()


def _pieces(match: re.Match[str], digits: str) -> list[tuple[int, int]]:
    """The whole run; or, for a run too long to be one number, its space-separated parts when each
    is a whole unspaced number ("0812345678 0813456789"), never chunks such as an IBAN's."""
    if len(digits) <= _MAX_DIGITS:
        return [(match.start(), match.end())]
    pieces = []
    for part in _UNSPACED.finditer(match.group()):
        if not _MIN_UNLABELLED <= len(_NON_DIGIT.sub("", part.group())) <= _MAX_DIGITS:
            return []
        pieces.append((match.start() + part.start(), match.start() + part.end()))
    return pieces


def _read(text: str, start: int, end: int, region: str | None) -> Hit | None:
    raw = text[start:end]
    digits = _NON_DIGIT.sub("", raw)
    international = raw[0] == "+" or raw.startswith("(+")
    if international:
        if not 8 <= len(digits) <= 15:
            return None
        verdict = _verdict(text, start, end)
    else:
        if len(digits) > _MAX_DIGITS or _OTHER_SHAPES.fullmatch(raw):
            return None
        if _after_code(text, start):
            return None
        verdict = _verdict(text, start, end)
        if verdict.suppressed or (not verdict.labelled and len(digits) < _MIN_UNLABELLED):
            return None
    number = _parse(raw, digits, international, region, verdict.labelled)
    if number is None:
        return None
    return Hit(start, end, "whatsapp" if verdict.whatsapp else "phone", number)


def _after_code(text: str, start: int) -> bool:
    """A letters-and-digits token right before the number: "DE89 3704 0044 ...", "JP12 3456 ..."."""
    if start < 3 or text[start - 1] not in " \t-" or not text[start - 2].isdigit():
        return False
    token = text[max(0, start - 25) : start - 1].rsplit(None, 1)[-1]
    return _CODE_TOKEN.fullmatch(token) is not None


def _verdict(text: str, start: int, end: int) -> _Verdict:
    """Read the labels around a number: the nearest one before it decides."""
    if _SUFFIX.match(text, end):
        return _SUPPRESSED
    # Only the stretch just before the number is read: a label further away speaks of something else.
    window = _CUES.find_all(text, max(0, start - _REACH - _LONGEST_CUE), start)
    before = [_Cue(w.start, w.end, _CUE_KINDS[w.text]) for w in window if start - w.end <= _REACH]
    if not before:
        return _label_after(text, end) or _NEUTRAL
    nearest = before[-1]
    gap = text[nearest.end : start]
    if _breaks(text, nearest.end, start):
        # "Can WhatsApp me? 91234567": a WhatsApp label just before, with nothing else between.
        if nearest.kind == "wa" and len(gap) <= _ADJACENT and not any(c.isdigit() for c in gap):
            return _WHATSAPP
        return _label_after(text, end) or _NEUTRAL
    if nearest.kind == "sup":
        if len(gap) <= _SUPPRESS_REACH and not _OTHER_NUMBER.search(gap):
            return _SUPPRESSED
        return _label_after(text, end) or _NEUTRAL
    if nearest.kind == "weak":
        return _SUPPRESSED if _MARKER_GAP.fullmatch(gap) else _label_after(text, end) or _NEUTRAL
    if nearest.kind == "wa":
        return _WHATSAPP
    return _phone_label(text, before, end)


def _breaks(text: str, start: int, end: int) -> bool:
    """Whether a sentence ends between ``start`` and ``end``."""
    for match in _BREAK.finditer(text, start, end):
        at = match.start()
        if text[at] != ".":
            return True
        if at + 1 < len(text) and text[at + 1].isspace():
            word = _WORD_BEFORE_DOT.search(text, max(0, at - 8), at)
            if word is None or word.group() not in _ABBREVIATIONS:
                return True
    return False


def _phone_label(text: str, before: list[_Cue], end: int) -> _Verdict:
    """A phone word labels the number; the word right before it may make it WhatsApp or void it.

    "WhatsApp di nomor 0812..." is WhatsApp; "order number 123..." and "tracking number" are not
    phone numbers at all.
    """
    phone = before[-1]
    previous = before[-2] if len(before) > 1 else None
    if previous is not None and phone.start - previous.end <= _ADJACENT:
        gap = text[previous.end : phone.start]
        if not any(c.isdigit() for c in gap) and not _breaks(gap, 0, len(gap)):
            if previous.kind == "wa":
                return _WHATSAPP
            if previous.kind in ("sup", "weak") and len(gap) <= 5:
                return _SUPPRESSED
    return _WHATSAPP if _label_after(text, end) is _WHATSAPP else _PHONE


def _label_after(text: str, end: int) -> _Verdict | None:
    """Labels right after the number: "0812-3456-7890 (WA)", "0812345678 whatsapp only", "(Telp/WA)"."""
    kinds: list[str] = []
    match = _AFTER.match(text, end)
    while match is not None and len(kinds) < 4:
        kinds.append(_CUE_KINDS[match["cue"]])
        match = _AFTER_MORE.match(text, match.end())
    if "wa" in kinds:
        return _WHATSAPP
    return _PHONE if "phone" in kinds else None


def _parse(raw: str, digits: str, international: bool, region: str | None, labelled: bool) -> str | None:
    """E.164 form of the first reading of the number that is valid, or None."""
    cleaned = _NOT_PHONE_CHAR.sub(" ", raw).strip()
    # Readings as (digits, default region, text for phonenumbers.parse); no region: after a "+".
    readings: list[tuple[str, str | None, str]] = []
    if international:
        readings.append((digits, None, cleaned))
    else:
        if digits.startswith("00") and not digits.startswith("000"):
            readings.append((digits[2:], None, "+" + digits[2:]))  # "00" international prefix
        if region is not None:
            readings.append((digits, region, cleaned))
        if labelled:
            readings.append((digits, None, "+" + digits))  # a labelled number written without its "+"
    for number, default, _ in readings:
        if found := _fast_e164(number, default):
            return found
    for _, default, text in readings:
        if found := _full_e164(text, default):
            return found
    return None


def _fast_e164(digits: str, region: str | None) -> str | None:
    """Validate the usual shapes without phonenumbers.parse, which costs several times the check itself.

    Reads a national number the way phonenumbers does (trunk prefix stripped by the region's
    ``national_prefix_for_parsing``) and an international number whose national part has no leading
    zero. Anything less plain (carrier-code rewrites such as Argentina's "15", an international
    dialling prefix, "(0)", Italian leading zeros, a country code typed without "+") returns None and
    goes through phonenumbers.parse. Whenever this accepts a number, phonenumbers.parse reads it the
    same way (tests/contacts checks this across every region).
    """
    if region is None:
        country_code, national = _split_country_code(digits)
        region = phonenumbers.region_code_for_country_code(country_code)
    else:
        country_code, national = phonenumbers.country_code_for_region(region), digits
    rules = _trunk_rules(region)
    if rules is None:
        return None
    trunk, dialling_out = rules
    if dialling_out is not None and dialling_out.match(national):
        return None
    if trunk is not None and (prefix := trunk.match(national)):
        if prefix.lastindex is not None and prefix.group(prefix.lastindex) is not None:
            return None  # the prefix rewrites the number
        national = national[prefix.end() :]
    if not national or national[0] == "0":
        return None
    return f"+{country_code}{national}" if _is_valid(country_code, national) else None


@functools.cache
def _trunk_rules(region: str) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None] | None:
    """The region's trunk-prefix and international-prefix patterns, or None if it has no metadata."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    parsing = metadata.national_prefix_for_parsing
    dialling = metadata.international_prefix
    return (re.compile(parsing) if parsing else None, re.compile(dialling) if dialling else None)


def _is_valid(country_code: int, national: str) -> bool:
    """phonenumbers.is_valid_number for a national number without leading zero, at a quarter of its cost.

    Same rules: the first region of the calling code that claims the number (by its leading digits,
    or by matching one of its number types) decides, and the number must match that region's
    general pattern and one of its number-type patterns, lengths included.
    """
    for region, leading_digits in _regions(country_code):
        if leading_digits is not None:
            if leading_digits.match(national):
                return _valid_in(region, national)
        elif _valid_in(region, national):
            return True
    return False


@functools.cache
def _regions(country_code: int) -> tuple[tuple[str, re.Pattern[str] | None], ...]:
    regions = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if metadata is not None:
            leading = metadata.leading_digits
            regions.append((region, re.compile(leading) if leading else None))
    return tuple(regions)


def _valid_in(region: str, national: str) -> bool:
    general, by_type = _type_patterns(region, len(national))
    if general is None or by_type is None:
        return False
    return general.fullmatch(national) is not None and by_type.fullmatch(national) is not None


_TYPE_DESCS = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
    "fixed_line", "mobile",
)  # fmt: skip


@functools.cache
def _type_patterns(region: str, length: int) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """The region's general pattern and the union of its number-type patterns, for one length."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None, None
    general = _pattern_for(metadata.general_desc, length)
    sources = [
        f"(?:{desc.national_number_pattern})"
        for desc in (getattr(metadata, name) for name in _TYPE_DESCS)
        if _pattern_for(desc, length) is not None
    ]
    return general, re.compile("|".join(sources)) if sources else None


def _pattern_for(desc: phonenumbers.PhoneNumberDesc | None, length: int) -> re.Pattern[str] | None:
    if desc is None or desc.national_number_pattern is None:
        return None
    if desc.possible_length and length not in desc.possible_length:
        return None
    return re.compile(desc.national_number_pattern)


def _split_country_code(digits: str) -> tuple[int, str]:
    # Country calling codes are prefix-free: the first known one is the one. None starts with 0.
    if digits.startswith("0"):
        return 0, ""
    for length in (1, 2, 3):
        code = int(digits[:length] or "0")
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[length:]
    return 0, ""


def _full_e164(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
