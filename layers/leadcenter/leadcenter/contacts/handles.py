"""Handles named by a platform label: "IG @x", "LINE ID: x", "微信: x", "@x (IG)"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Claims, Hit
from .vocab import FILLER_WORDS, PHONE_WORDS, STOPWORDS, WHATSAPP_WORDS, Word, WordFinder, words


@dataclass(frozen=True, slots=True)
class _Label:
    kind: str | None  # None: a platform that is not a contact kind, read only to skip past it
    # A strong label is unambiguous ("instagram"); a weak one is also an everyday word or
    # abbreviation ("line", "x", "sc") and needs an explicit separator, "ID" or "@".
    strong: bool


_LABEL_GROUPS: tuple[tuple[str | None, bool, str], ...] = (
    ("instagram", True, "instagram|insta|ig|インスタ|インスタグラム|ไอจี|อินสตาแกรม|อินสตา|انستا"
     "|انستغرام|انستقرام|إنستغرام|إنستا|انستجرام|انسٹاگرام|انسٹا|인스타"),
    ("instagram", False, "ins"),
    ("facebook", True, "facebook|فيسبوك|فيس بوك|فیس بک|เฟสบุ๊ก|เฟสบุ๊ค|เฟซบุ๊ก|เฟส|フェイスブック|脸书|臉書"),
    ("facebook", False, "fb|face|fbook"),
    ("messenger", True, "messenger|fb messenger|facebook messenger|مسنجر|เมสเซนเจอร์"),
    ("line", True, "line id|lineid|line@|ไลน์|ไลน์ไอดี|ライン|لاين"),
    ("line", False, "line"),
    ("twitter", True, "twitter|تويتر|ツイッター|推特|ทวิตเตอร์"),
    ("twitter", False, "x"),
    ("linkedin", True, "linkedin|linked in|لينكدإن|لينكد ان|领英|領英"),
    ("weibo", True, "weibo|微博|新浪微博"),
    ("wechat", True, "wechat|we chat|weixin|微信|微信号|威信|v信|วีแชท|ウィーチャット"),
    ("wechat", False, "wx|vx"),
    ("snapchat", True, "snapchat|سناب|سناب شات|سنابي|スナップチャット|สแนปแชท"),
    ("snapchat", False, "snap|sc"),
    (None, True, "tiktok|telegram|youtube|threads|zalo|kakaotalk|viber|discord"),
    (None, False, "tt|tg|yt"),
)  # fmt: skip


def _key(label_text: str) -> str:
    return label_text.replace(" ", "").replace("\t", "")


_LABELS = {_key(word): _Label(kind, strong) for kind, strong, group in _LABEL_GROUPS for word in group.split("|")}
# The label of each word as the finders return it (the word itself).
_LABEL_OF = {word: _LABELS[_key(word)] for _, _, group in _LABEL_GROUPS for word in group.split("|")}
_LABEL_FINDER = WordFinder(word for _, _, group in _LABEL_GROUPS for word in group.split("|"))
_LABEL = re.compile(_LABEL_FINDER.source)
_JOIN = re.compile(r"[ \t]*(?:[/&|+,]|(?:and|dan|y|e|ou|o)(?![^\W\d_]))[ \t]*")
# "saw you on IG": a label after a preposition names a place, so a plain word after it is prose.
_PLACE = re.compile(r"(?<!\w)(?:on|di|en|no|na|via|in|at|from|lewat|dari|pelo|pela|por|trên|qua|de|em|im|auf)[ \t]+$")
_SYMBOL_SEP = r"[:=>|~\-–—→⇒➡➔▶►»\u2190-\u21ff\u2600-\u27bf\u2b00-\u2bff\U0001F000-\U0001FAFF\ufe0f]{1,6}"
_WORD_SEP = r"(?:(?:is|adalah|es|é|là|ist)(?![^\W\d_])|คือ|は|是|هو)"
_FILLERS = WordFinder(FILLER_WORDS).source
_TAIL = re.compile(
    r"(?P<id>[ \t]*(?:id|username|user[ \t]?name|user|handle|acc|account|akun|ไอดี|号|アカウント|حساب"
    r"|hesabı|hesabım|hesap)(?![^\W\d_]))?"
    r"(?:[ \t]*(?:" + _FILLERS + r"))?"
    r"[ \t]*(?:(?P<sym>" + _SYMBOL_SEP + r")|" + _WORD_SEP + r")?"
    r"[ \t]*(?:(?:" + _FILLERS + r")[ \t]*(?:[:=][ \t]*)?)?"
    r"(?P<at>@[ \t]?)?(?P<handle>[a-z0-9_][a-z0-9._-]{0,59})"
)
# "@name (IG)", "@name on IG", "@name di IG".
_POSTFIX = re.compile(
    r"@(?<![a-z0-9._%+-]@)(?P<handle>[a-z0-9_][a-z0-9._-]{0,59})[ \t]*"
    r"(?:(?P<bracket>[(\[])|on|di|en|no|na|em|at|trên|ở|في|على)?[ \t]*(?P<label>" + _LABEL_FINDER.source + ")"
)
_CLAUSE_END = re.compile(r"[ \t]*(?:$|[^\w \t@])")
# "IG kita ya kak @name": an @handle a few words after a strong label, in the same clause.
_NEAR_AT = re.compile(r"[^\n.!?@/]{0,25}?(?<![a-z0-9._%+-])@(?P<handle>[a-z0-9_][a-z0-9._-]{0,59})")
# After a weak label only across words of other scripts: "LINE公式 @cafe".
_NEAR_AT_GLUED = re.compile(r"[^a-z0-9\n.!?@/:]{0,8}?(?<![a-z0-9._%+-])@(?P<handle>[a-z0-9_][a-z0-9._-]{0,59})")
_NEXT_WORD = re.compile(r"[ \t]+(?P<word>[a-z]{2,})(?![a-z0-9_.@-])")
# A weak label ("line", "x", "sc") right after another word is prose ("bottom line: great") unless
# that word introduces a contact.
_WORD_BEFORE = re.compile(r"(?<!\S)(?P<word>[a-z]+)[ \t]+$")
_INTRODUCERS = words(
    "my our your his her add and or atau dan y e o ou via on di en no na em follow contact kontak hubungi chat "
    "message msg dm pm me id ig fb wa tel"
)
# Nouns that make "<label>: Ploy Shop" a display name rather than "<label>: ploy" and a remark.
_NAME_NOUNS = frozenset({"shop", "store", "official", "page", "studio", "boutique", "bakery"})
_FORMS = {
    "instagram": re.compile(r"[a-z0-9._]{2,30}"),
    "twitter": re.compile(r"[a-z0-9_]{2,15}"),
    "facebook": re.compile(r"[a-z0-9.]{2,50}"),
    "messenger": re.compile(r"[a-z0-9.]{2,50}"),
    "line": re.compile(r"[a-z0-9._-]{2,20}"),
    "wechat": re.compile(r"[a-z0-9_-]{2,20}"),
    "snapchat": re.compile(r"[a-z0-9._-]{2,15}"),
    "linkedin": re.compile(r"[a-z0-9-]{2,100}"),
    "weibo": re.compile(r"[a-z0-9_-]{2,30}"),
}
# Numeric ids are normal on these platforms (profile ids, QQ numbers, phone numbers as LINE ids).
_NUMERIC_KINDS = frozenset({"facebook", "messenger", "line", "wechat", "weibo"})
_MAX_LABELS = 64
# "IG: wa 0812...", "LINE: tel ...": the word after a label names another channel, not an account.
_NOT_HANDLES = frozenset(_LABELS) | frozenset(WHATSAPP_WORDS) | frozenset(PHONE_WORDS)
# Compiled here rather than passed as strings: phonenumbers fills the re module's small cache.
_HANDLE_LIKE = re.compile(r"[0-9_.]")  # what sets a handle apart from a word
_LETTER = re.compile(r"[a-z]")


# find_labels(text): the platform labels in ``text``. Without one no handle can be found: every
# reading below, the "@name (IG)" one included, needs a label that this finds.
find_labels = _LABEL_FINDER.find_all


def find_labelled_handles(text: str, claims: Claims, labels: list[Word] | None = None) -> list[Hit]:
    """Handles in ``text``; ``labels`` is ``find_labels(text)`` when the caller has it already."""
    if labels is None:
        labels = find_labels(text)
    if not labels:
        return []  # _POSTFIX needs a label as well: one this finder would have found
    hits: list[Hit] = []
    for label in labels[:_MAX_LABELS]:
        if not claims.overlaps(label.start, label.end):
            hits.extend(_read_mention(text, label, claims))
    if "@" in text:
        hits.extend(_postfix_mentions(text, claims))
    return hits


def _read_mention(text: str, first: Word, claims: Claims) -> list[Hit]:
    labels = [_LABEL_OF[first.text]]
    end = first.end
    # "IG/FB: name" gives the same handle on every platform named.
    while joined := _JOIN.match(text, end):
        following = _LABEL.match(text, joined.end())
        if following is None:
            break
        labels.append(_LABEL_OF[following.group()])
        end = following.end()
    kinds = [label.kind for label in labels if label.kind]
    hits = _hits(text, first.start, kinds, _handle_after(text, first, end, labels), claims)
    if not hits and "@" in text:  # both patterns need an "@"
        near = (_NEAR_AT if any(label.strong for label in labels) else _NEAR_AT_GLUED).match(text, end)
        if near:
            hits = _hits(text, first.start, kinds, (near["handle"], near.start("handle"), True), claims)
    if hits:
        claims.add(hits[0].start, hits[0].end)
    return hits


def _hits(
    text: str, label_start: int, kinds: list[str], found: tuple[str, int, bool] | None, claims: Claims
) -> list[Hit]:
    if found is None:
        return []
    raw, handle_start, explicit = found
    handle = raw.rstrip(".-")
    handle_end = handle_start + len(handle)
    if claims.overlaps(handle_start, handle_end) or handle.startswith(("http", "www.")):
        return []
    if text.startswith(("@", "/", ":"), handle_end):
        return []  # an e-mail address or a link, read by their own extractors
    hits = []
    for kind in kinds:
        value = _valid_handle(kind, handle, explicit=explicit)
        if value:
            hits.append(Hit(label_start, handle_end, kind, value))
    return hits


def _handle_after(text: str, first: Word, end: int, labels: list[_Label]) -> tuple[str, int, bool] | None:
    """The handle the words right after the labels introduce: (handle, start, written with "@")."""
    tail = _TAIL.match(text, end)
    if tail is None:
        return None
    handle = tail["handle"].rstrip(".-")
    handle_start = tail.start("handle")
    if not labels[0].strong and _after_prose(text, first.start):
        return None
    if tail["at"]:
        return handle, handle_start, True
    handle_end = handle_start + len(handle)
    handle_like = _HANDLE_LIKE.search(handle) is not None
    if first.text == "x":
        # A lone "x" is a multiplication sign, a size or a placeholder far more often than Twitter.
        return (handle, handle_start, False) if handle_like and tail["sym"] else None
    if not handle_like:
        following = _NEXT_WORD.match(text, handle_end)
        if following and (following["word"] not in STOPWORDS or following["word"] in _NAME_NOUNS):
            return None  # "FB: Ploy Shop" is a display name, not a handle
    if tail["sym"] or tail["id"]:
        return handle, handle_start, False
    if not all(label.strong for label in labels):
        return None
    clause_final = _CLAUSE_END.match(text, handle_end) is not None
    after_place = _PLACE.search(text, max(0, first.start - 12), first.start) is not None
    return (handle, handle_start, False) if handle_like or (clause_final and not after_place) else None


def _after_prose(text: str, start: int) -> bool:
    before = _WORD_BEFORE.search(text, max(0, start - 30), start)
    return before is not None and before["word"] not in _INTRODUCERS


def _valid_handle(kind: str, handle: str, *, explicit: bool) -> str | None:
    if not _FORMS[kind].fullmatch(handle):
        return None
    if handle.isdigit():
        return handle if kind in _NUMERIC_KINDS and len(handle) >= 5 else None
    if not _LETTER.search(handle):
        return None
    if not explicit and (handle in STOPWORDS or handle in _NOT_HANDLES):
        return None
    return handle


def _postfix_mentions(text: str, claims: Claims) -> list[Hit]:
    hits = []
    for match in _POSTFIX.finditer(text):
        label = _LABEL_OF[match["label"]]
        if label.kind is None or claims.overlaps(match.start(), match.end()):
            continue
        if not (label.strong or match["bracket"]):
            continue  # "@ani x @budi" is not a Twitter mention
        value = _valid_handle(label.kind, match["handle"].rstrip(".-"), explicit=True)
        if value:
            claims.add(match.start(), match.end())
            hits.append(Hit(match.start(), match.end(), label.kind, value))
    return hits
