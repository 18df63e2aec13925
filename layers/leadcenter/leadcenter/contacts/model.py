"""Value types shared by the contact extractors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

KINDS: tuple[str, ...] = (
    "email",
    "phone",
    "whatsapp",
    "instagram",
    "facebook",
    "messenger",
    "line",
    "twitter",
    "linkedin",
    "weibo",
    "wechat",
    "snapchat",
)
PHONE_KINDS: frozenset[str] = frozenset({"phone", "whatsapp"})
HANDLE_KINDS: frozenset[str] = frozenset(KINDS) - PHONE_KINDS - {"email"}


@dataclass(frozen=True, slots=True)
class Contact:
    """One normalised contact found in a message."""

    kind: str
    value: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}


class Hit(NamedTuple):
    """A contact with the span of prepared text it came from (for ordering and overlap checks)."""

    start: int
    end: int
    kind: str
    value: str


class Claims:
    """Spans of the prepared text already explained by an earlier extractor.

    A phone number inside a URL or an e-mail address, or a handle word inside a link, must not be
    reported a second time as something else.
    """

    __slots__ = ("_spans",)

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []

    def add(self, start: int, end: int) -> None:
        self._spans.append((start, end))

    def overlaps(self, start: int, end: int) -> bool:
        return any(start < e and s < end for s, e in self._spans)
