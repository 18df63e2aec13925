"""Profile and chat links: instagram.com/x, wa.me/<number>, line.me/ti/p/~x and friends."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, unquote

from .model import Claims, Hit
from .phones import phone_e164
from .vocab import words

# _LINK, the profile and chat link pattern, is built from the hosts _PARSERS reads (end of module).
# Any other URL: digits in its path are not phone numbers.
_OTHER_URL = re.compile(
    r"(?:https?://|www\.)\S{1,500}|(?<![a-z0-9.-])[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,4}\.[a-z]{2,24}/\S{0,500}"
)

_DOMAIN_SLASH = re.compile(r"[a-z0-9]\.[a-z]{2,24}/")

# First path segments that are site sections, not people.
_RESERVED = words(
    """
    p reel reels tv explore accounts direct about developer legal stories share sharer sharer.php
    groups pages events watch marketplace gaming ads business help policies hashtag login signup
    home home.php messages notifications friends search photo photos photo.php story.php
    permalink.php people dialog plugins intent i settings compose tos privacy status statuses
    lists topics jobs company school in pub feed posts t add u n j ch ti r
    """
)
_HANDLE = re.compile(r"[a-z0-9._-]{1,60}")
_DIGITS = re.compile(r"\+?\d{6,15}")
_TWITTER_HANDLE = re.compile(r"[a-z0-9_]{1,15}")


def find_links(text: str, region: str | None, claims: Claims) -> list[Hit]:
    hits = []
    if _LINK_HINT.search(text):
        for match in _LINK.finditer(text):
            claims.add(match.start(), match.end())
            found = _parse_link(match["host"], match["path"], region)
            if found is not None:
                hits.append(Hit(match.start(), match.end(), *found))
    if "://" in text or "www." in text or _DOMAIN_SLASH.search(text):
        for match in _OTHER_URL.finditer(text):
            claims.add(match.start(), match.end())
    return hits


def read_link(text: str, region: str | None = None) -> tuple[str, str] | None:
    """(kind, value) of the first profile or chat link in prepared ``text``, or None."""
    for match in _LINK.finditer(text):
        found = _parse_link(match["host"], match["path"], region)
        if found is not None:
            return found
    return None


def _parse_link(host: str, path: str, region: str | None) -> tuple[str, str] | None:
    route, _, query = path.rstrip(".,;:!?").partition("?")
    segments = [unquote(s) for s in route.split("#", 1)[0].split("/") if s]
    return _PARSERS[host](segments, query.split("#", 1)[0], region)


def _param(query: str, name: str) -> str | None:
    values = parse_qs(query).get(name)
    return values[0] if values else None


def _handle(kind: str, candidate: str | None) -> tuple[str, str] | None:
    if candidate is None:
        return None
    handle = candidate.lstrip("~@").rstrip(".")
    if not _HANDLE.fullmatch(handle) or handle in _RESERVED:
        return None
    return kind, handle


def _segment(segments: list[str], index: int) -> str | None:
    return segments[index] if len(segments) > index else None


def _after(segments: list[str], marker: str) -> str | None:
    """The segment that follows ``marker`` when ``marker`` opens the path (``/in/name``)."""
    return segments[1] if len(segments) > 1 and segments[0] == marker else None


def _instagram(segments: list[str], _query: str, _region: str | None) -> tuple[str, str] | None:
    if _segment(segments, 0) in ("stories", "_u"):
        return _handle("instagram", _segment(segments, 1))
    return _handle("instagram", _segment(segments, 0))


def _facebook(segments: list[str], query: str, _region: str | None) -> tuple[str, str] | None:
    first = _segment(segments, 0)
    if first == "profile.php":
        profile_id = _param(query, "id") or ""
        return ("facebook", profile_id) if profile_id.isdigit() else None
    if first == "people":
        person_id = _segment(segments, 2) or ""
        return ("facebook", person_id) if person_id.isdigit() else None
    if first == "messages":  # facebook.com/messages/t/name: a Messenger chat, like messenger.com/t/name
        return _messenger(segments[1:], query, _region)
    return _handle("facebook", first)


def _messenger_short(segments: list[str], _query: str, _region: str | None) -> tuple[str, str] | None:
    return _handle("messenger", _segment(segments, 0))


def _messenger(segments: list[str], _query: str, _region: str | None) -> tuple[str, str] | None:
    return _handle("messenger", _after(segments, "t"))


def _line(segments: list[str], _query: str, _region: str | None) -> tuple[str, str] | None:
    # line.me/ti/p/~name (personal) and line.me/R/ti/p/@name (official account); "g" would be a group.
    rest = segments[1:] if segments[:1] == ["r"] else segments
    if rest[:2] == ["ti", "p"]:
        return _handle("line", _segment(rest, 2))
    return None


def _linkedin(segments: list[str], _query: str, _region: str | None) -> tuple[str, str] | None:
    return _handle("linkedin", _after(segments, "in"))


def _twitter(segments: list[str], _query: str, _region: str | None) -> tuple[str, str] | None:
    found = _handle("twitter", _segment(segments, 0))
    return found if found and _TWITTER_HANDLE.fullmatch(found[1]) else None


def _weibo(segments: list[str], _query: str, _region: str | None) -> tuple[str, str] | None:
    first = _segment(segments, 0)
    if first in ("u", "n"):
        return _handle("weibo", _segment(segments, 1))
    return _handle("weibo", first)


def _snapchat(segments: list[str], _query: str, _region: str | None) -> tuple[str, str] | None:
    first = _segment(segments, 0)
    if first is not None and first.startswith("@"):
        return _handle("snapchat", first)
    return _handle("snapchat", _after(segments, "add"))


def _whatsapp_number(raw: str | None, region: str | None) -> tuple[str, str] | None:
    compact = (raw or "").replace(" ", "")
    if not _DIGITS.fullmatch(compact):
        return None
    digits = compact.lstrip("+")
    # The link format is international without "+"; people also paste their local number.
    number = phone_e164("+" + digits, None) or phone_e164(digits, region)
    return ("whatsapp", number) if number else None


def _wa_me(segments: list[str], _query: str, region: str | None) -> tuple[str, str] | None:
    return _whatsapp_number(_segment(segments, 0), region)


def _whatsapp_send(_segments: list[str], query: str, region: str | None) -> tuple[str, str] | None:
    return _whatsapp_number(_param(query, "phone"), region)


_Parser = Callable[[list[str], str, str | None], tuple[str, str] | None]
_PARSERS: dict[str, _Parser] = {
    "instagram.com": _instagram,
    "instagr.am": _instagram,
    "facebook.com": _facebook,
    "fb.com": _facebook,
    "fb.me": _facebook,
    "m.me": _messenger_short,
    "messenger.com": _messenger,
    "line.me": _line,
    "linkedin.com": _linkedin,
    "twitter.com": _twitter,
    "x.com": _twitter,
    "weibo.com": _weibo,
    "weibo.cn": _weibo,
    "snapchat.com": _snapchat,
    "wa.me": _wa_me,
    "whatsapp.com": _whatsapp_send,
}

_LINK = re.compile(
    r"(?<![a-z0-9.@_-])(?:https?://)?(?:[a-z0-9-]{1,20}\.){0,2}?"
    r"(?P<host>" + "|".join(map(re.escape, _PARSERS)) + ")"
    r"(?P<path>/[^\s<>\"'()\[\]{}，。、「」]{0,300})"
)
# What every _LINK match contains: "." + its host's top-level domain + "/". A message with only a date
# has a "/" but none of these.
_LINK_HINT = re.compile("|".join(sorted({re.escape("." + host.rsplit(".", 1)[1] + "/") for host in _PARSERS})))
# might_hold_link(text): a match (truthy) if ``text`` may hold a profile or chat link, else None.
might_hold_link = _LINK_HINT.search
