"""Plain and obfuscated e-mail addresses."""

from __future__ import annotations

import re

from .model import Claims, Hit
from .vocab import STOPWORDS, words

_LOCAL = r"[a-z0-9](?:[a-z0-9._%+-]{0,63})"
# Anchored on "@" so the regex engine skips to it in C; the local part is then read backwards.
_AT_DOMAIN = re.compile(r"@(?P<domain>[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24})(?![a-z0-9-])")
_LOCAL_BEFORE = re.compile(r"(?<![a-z0-9._%+-])" + _LOCAL + "$")
# Image and document names look like addresses ("logo@2x.png").
_FILE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "gif", "webp", "svg", "pdf", "mp4", "mov", "heic"})

# "name [at] domain [dot] com", "name (at) domain.com", "name at domain dot com", "name arroba ...".
_BRACKETED_AT = r"[ \t]*[\[({<][ \t]*(?:at|@|arroba)[ \t]*[\])}>][ \t]*"
# "name @ gmail.com" and "name@ gmail.com", but not "es @luisa.mx": that is a handle after a word.
_SPELLED_AT = r"[ \t]+(?:at|arroba)[ \t]+|[ \t]*@[ \t]+"
_SPELLED_DOTS = r"dot|punto|ponto|titik"
_DOT = (
    r"(?:[ \t]*[\[({][ \t]*(?:" + _SPELLED_DOTS + r"|\.)[ \t]*[\])}][ \t]*|[ \t]+(?:" + _SPELLED_DOTS + r")[ \t]+"
    r"|[ \t]+\.[ \t]+|\.)"
)
_OBFUSCATED = re.compile(
    r"(?<![a-z0-9._%+-])(?P<local>" + _LOCAL + r")"
    r"(?P<at>" + _BRACKETED_AT + "|" + _SPELLED_AT + r")"
    r"(?P<domain>[a-z0-9][a-z0-9-]{0,62}(?:" + _DOT + r"[a-z0-9-]{1,63}){0,4}" + _DOT + r"(?P<tld>[a-z]{2,10}))"
    r"(?![a-z0-9-])"
)
_BRACKETED_HINT = re.compile(r"[\[({<][ \t]*(?:at|@|arroba)[ \t]*[\])}>]")
_SPELLED_DOT = re.compile(r"[\[({][ \t]*(?:" + _SPELLED_DOTS + r"|\.)[ \t]*[\])}]|[ \t](?:" + _SPELLED_DOTS + r")[ \t]")
_DOT_TOKEN = re.compile(_DOT)
# Unbracketed "at ... dot ..." reads like prose unless it ends in a real top-level domain.
_COMMON_TLDS = words(
    """
    com net org edu gov info biz io co me app dev id my sg ph th vn jp au nz br mx ar cl pe co ae sa
    eg tr ng ke za pk in us uk de fr es it nl ru cn hk tw kr ca ch se no dk fi pl pt be at ie ma
    """
)

_SPELLED_DOTS_AND_WEBMAIL = ("punto", "ponto", "titik", "gmail", "yahoo", "hotmail", "outlook", "icloud")
_SPELLED_DOT_OR_WEBMAIL = re.compile("|".join(map(re.escape, _SPELLED_DOTS_AND_WEBMAIL)))  # any, anywhere
_WEBMAIL = words("gmail googlemail yahoo ymail hotmail outlook live msn icloud me aol proton protonmail gmx yandex")


def find_emails(text: str, claims: Claims) -> list[Hit]:
    hits = []
    for match in _AT_DOMAIN.finditer(text):
        at, domain = match.start(), match["domain"]
        local_match = _LOCAL_BEFORE.search(text, max(0, at - 64), at)
        if local_match is None or domain.rsplit(".", 1)[1] in _FILE_SUFFIXES:
            continue
        local = local_match.group()
        if ".." in local or local.endswith("."):
            continue
        claims.add(local_match.start(), match.end())
        hits.append(Hit(local_match.start(), match.end(), "email", f"{local}@{domain}"))
    return hits


def find_obfuscated_emails(text: str, claims: Claims) -> list[Hit]:
    if not might_be_obfuscated(text):
        return []
    hits = []
    for match in _OBFUSCATED.finditer(text):
        if claims.overlaps(match.start(), match.end()) or not _is_deliberate(match):
            continue
        domain = _DOT_TOKEN.sub(".", match["domain"])
        claims.add(match.start(), match.end())
        hits.append(Hit(match.start(), match.end(), "email", f"{match['local']}@{domain}"))
    return hits


def might_be_obfuscated(text: str) -> bool:
    """Whether ``text`` may hold an obfuscated address: without this, _OBFUSCATED cannot match.

    Cheap substring tests first: "at" alone is in half the English messages.
    """
    if "@ " in text or "arroba" in text:
        return True
    if " at " in text and (" dot " in text or _SPELLED_DOT_OR_WEBMAIL.search(text) is not None):
        return True
    return ("at" in text or "@" in text) and _BRACKETED_HINT.search(text) is not None


def _is_deliberate(match: re.Match[str]) -> bool:
    """Tell an address written around spam filters from prose such as "meet me at home dot com".

    A bracketed "[at]" is always deliberate. A spelled "at" needs a spelled "dot" too (or a webmail
    domain, "budi at gmail.com"), a real-looking top-level domain and a local part that is not an
    everyday word.
    """
    at = match["at"]
    if "[" in at or "(" in at or "{" in at or "<" in at:
        return True
    local, domain = match["local"], _DOT_TOKEN.split(match["domain"], 1)[0]
    if local in STOPWORDS or domain in STOPWORDS or len(local) < 2 or match["tld"] not in _COMMON_TLDS:
        return False
    if "@" in at or _SPELLED_DOT.search(match["domain"]):
        return True
    return domain in _WEBMAIL
