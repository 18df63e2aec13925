"""Phone and WhatsApp numbers written in local or international format.

Candidates come from a cheap regex; phonenumbers only sees runs that survive the shape and context
checks (PhoneNumberMatcher is far slower and has a catastrophic-backtracking input). The sender's
registration country is the default region for numbers written without ``+``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers

from .model import Claims, Hit
from .vocab import PHONE_WORDS, SUFFIX_WORDS, SUPPRESS_WORDS, WEAK_SUPPRESS_WORDS, WHATSAPP_WORDS, Word, WordFinder

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
_CLOSE_DIGITS = re.compile(r"\d" + r"[ \t.\-–()]{0,4}\d" * 6)  # unrolled: no repeat context to set up
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
_CODE_GAPS = (" ", "\t", "-")  # what separates such a token from the number
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


# first_digit_run(text): the first run of digits long enough for a phone number, or None; without
# one, find_phones finds nothing. The bound search itself: the detector asks this of every message.
first_digit_run = _CLOSE_DIGITS.search


def find_phones(text: str, region: str | None, claims: Claims, first: re.Match[str] | None = None) -> list[Hit]:
    """Phone and WhatsApp numbers; ``first`` is ``first_digit_run(text)`` when the caller has it already."""
    if first is None:
        first = _CLOSE_DIGITS.search(text)
        if first is None:
            return []  # the common case: prices, dates and times only
    hits = []
    # Two characters back: "(+62)" and "+62" start before their first digit. Repeated searches
    # rather than finditer: most messages have one candidate, and an iterator costs more to set up.
    search = _CANDIDATE.search
    match = search(text, max(0, first.start() - 2))
    count = 0
    while match is not None and count < _MAX_CANDIDATES:
        count += 1
        start, end = match.span()
        # Shorter runs are dates, times and prices: too short to hold enough digits.
        if end - start >= _MIN_DIGITS:
            raw = match.group()
            digits = raw if raw.isdecimal() else _NON_DIGIT.sub("", raw)  # isdecimal() is what \d matches
            if len(digits) >= _MIN_DIGITS and not _glued(text, end) and not claims.overlaps(start, end):
                if len(digits) <= _MAX_DIGITS:  # the whole run is one number (the common case)
                    hit = _read(text, start, end, region, raw, digits)
                    if hit is not None:
                        claims.add(start, end)
                        hits.append(hit)
                else:
                    for piece_start, piece_end, piece, piece_digits in _pieces(text, match, digits):
                        hit = _read(text, piece_start, piece_end, region, piece, piece_digits)
                        if hit is not None:
                            claims.add(piece_start, piece_end)
                            hits.append(hit)
        match = search(text, end)
    return hits


def _glued(text: str, end: int) -> bool:
    """The run continues as a word, an e-mail or a decimal fraction ("0812345678abc", "1234567.50")."""
    if end >= len(text):
        return False
    following = text[end]
    if following.isascii() and (following.isalnum() or following in "_@"):
        return True
    return following in ".," and end + 1 < len(text) and text[end + 1].isdigit()


def _pieces(text: str, match: re.Match[str], digits: str) -> list[tuple[int, int, str, str]]:
    """The parts of a run too long to be one number, as (start, end, text, digits): its space-separated
    parts when each is a whole unspaced number ("0812345678 0813456789"), never chunks such as an IBAN's."""
    pieces = []
    for part in _UNSPACED.finditer(match.group()):
        if not _MIN_UNLABELLED <= len(_NON_DIGIT.sub("", part.group())) <= _MAX_DIGITS:
            return []
        start, end = match.start() + part.start(), match.start() + part.end()
        raw = text[start:end]
        pieces.append((start, end, raw, _NON_DIGIT.sub("", raw)))
    return pieces


def _read(text: str, start: int, end: int, region: str | None, raw: str, digits: str) -> Hit | None:
    """The number ``raw`` (``text[start:end]``, its digits ``digits``) if it is a phone number."""
    international = raw[0] == "+" or raw.startswith("(+")
    if international:
        if not 8 <= len(digits) <= 15:
            return None
        verdict = _verdict(text, start, end)
    else:
        if len(digits) > _MAX_DIGITS or _OTHER_SHAPES.fullmatch(raw):
            return None
        if text[start - 1 : start] in _CODE_GAPS and _after_code(text, start):
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
    if start < 3 or text[start - 1] not in _CODE_GAPS or not text[start - 2].isdigit():
        return False
    token = text[max(0, start - 25) : start - 1].rsplit(None, 1)[-1]
    return _CODE_TOKEN.fullmatch(token) is not None


def _verdict(text: str, start: int, end: int) -> _Verdict:
    """Read the labels around a number: the nearest one before it decides."""
    if _SUFFIX.match(text, end):
        return _SUPPRESSED
    # Only the stretch just before the number is read: a label further away speaks of something else.
    reach = start - _REACH
    before = [w for w in _CUES.find_all(text, max(0, reach - _LONGEST_CUE), start) if w.end >= reach]
    if not before:
        return _label_after(text, end) or _NEUTRAL
    nearest = before[-1]
    kind = _CUE_KINDS[nearest.text]  # wa | phone | weak | sup
    gap = text[nearest.end : start]
    if _breaks(text, nearest.end, start):
        # "Can WhatsApp me? 91234567": a WhatsApp label just before, with nothing else between.
        if kind == "wa" and len(gap) <= _ADJACENT and not any(c.isdigit() for c in gap):
            return _WHATSAPP
        return _label_after(text, end) or _NEUTRAL
    if kind == "sup":
        if len(gap) <= _SUPPRESS_REACH and not _OTHER_NUMBER.search(gap):
            return _SUPPRESSED
        return _label_after(text, end) or _NEUTRAL
    if kind == "weak":
        return _SUPPRESSED if _MARKER_GAP.fullmatch(gap) else _label_after(text, end) or _NEUTRAL
    if kind == "wa":
        return _WHATSAPP
    return _phone_label(text, before, end)


def _breaks(text: str, start: int, end: int) -> bool:
    """Whether a sentence ends between ``start`` and ``end``."""
    match = _BREAK.search(text, start, end)
    while match is not None:
        at = match.start()
        if text[at] != ".":
            return True
        if at + 1 < len(text) and text[at + 1].isspace():
            word = _WORD_BEFORE_DOT.search(text, max(0, at - 8), at)
            if word is None or word.group() not in _ABBREVIATIONS:
                return True
        match = _BREAK.search(text, at + 1, end)
    return False


def _phone_label(text: str, before: list[Word], end: int) -> _Verdict:
    """A phone word labels the number; the word right before it may make it WhatsApp or void it.

    "WhatsApp di nomor 0812..." is WhatsApp; "order number 123..." and "tracking number" are not
    phone numbers at all.
    """
    phone = before[-1]
    previous = before[-2] if len(before) > 1 else None
    if previous is not None and phone.start - previous.end <= _ADJACENT:
        gap = text[previous.end : phone.start]
        if not any(c.isdigit() for c in gap) and not _breaks(gap, 0, len(gap)):
            previous_kind = _CUE_KINDS[previous.text]
            if previous_kind == "wa":
                return _WHATSAPP
            if previous_kind in ("sup", "weak") and len(gap) <= 5:
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
    # Readings as (digits, default region, text for phonenumbers.parse); no region: after a "+".
    # The text None stands for the number as written, cleaned, which only the slow path needs.
    readings: list[tuple[str, str | None, str | None]] = []
    if international:
        readings.append((digits, None, None))
    else:
        if digits.startswith("00") and not digits.startswith("000"):
            readings.append((digits[2:], None, "+" + digits[2:]))  # "00" international prefix
        if region is not None:
            readings.append((digits, region, None))
        if labelled:
            readings.append((digits, None, "+" + digits))  # a labelled number written without its "+"
    for number, default, _ in readings:
        if found := _fast_e164(number, default):
            return found
    cleaned = _NOT_PHONE_CHAR.sub(" ", raw).strip()
    for _, default, text in readings:
        if found := _full_e164(cleaned if text is None else text, default):
            return found
    for number, default, _ in readings:
        # Mexico dropped the mobile "1" after +52 in 2019; people and old wa.me links still write it.
        legacy = _MX_LEGACY_MOBILE.fullmatch(number) if default is None else None
        if legacy is not None and (found := _fast_e164("52" + legacy.group(1), None)):
            return found
    return None


_MX_LEGACY_MOBILE = re.compile(r"521(\d{10})")


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
        rules = _trunk_rules(phonenumbers.region_code_for_country_code(country_code))
        if rules is None:
            return None
        trunk, dialling_out = rules
    else:
        national = digits
        region_rules = _region_rules(region)
        if region_rules is None:
            return None
        country_code, trunk, dialling_out = region_rules
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
def _region_rules(region: str) -> tuple[int, re.Pattern[str] | None, re.Pattern[str] | None] | None:
    """The region's calling code and _trunk_rules, or None if it has no metadata."""
    rules = _trunk_rules(region)
    return None if rules is None else (phonenumbers.country_code_for_region(region), *rules)


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
