"""The detector's entry tests only save time: they never drop a detection.

``ContactDetector`` answers a message at once when none of its extractors' entry tests passes
(no run of digits, "@", link host, obfuscation hint or platform label), and runs only the
extractors whose test passed. ``ContactDetector(prefilter=False)`` runs them all; both must give
the same answers. ``WordFinder.find_all`` (labels, cues) is checked against the plain scan it
replaces.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.bench_contacts import generate_messages, load_corpus
from leadcenter.contacts import ContactDetector, handles, links, phones, vocab
from leadcenter.contacts.normalize import prepare_text

FILTERED = ContactDetector()
UNFILTERED = ContactDetector(prefilter=False)


def _same(text: str, region: str | None) -> None:
    assert FILTERED.detect(text, region) == UNFILTERED.detect(text, region), (text, region)


def test_prefilter_keeps_every_detection_on_the_labelled_corpus() -> None:
    for example in load_corpus():
        for region in (example["region"], None, "US"):
            _same(example["text"], region)


def test_prefilter_keeps_every_detection_on_the_throughput_corpus() -> None:
    for text, region in generate_messages(4_000, seed=7):
        _same(text, region)


# Pieces from every vocabulary the extractors read, so that generated messages reach every reading.
_LABEL_WORDS = sorted({word for _, _, group in handles._LABEL_GROUPS for word in group.split("|")})
_CUE_WORDS = sorted(phones._CUE_KINDS)
_SYMBOLS_AND_SHAPES = [
    " ", "  ", ": ", "\n", "@", "@ ", ".", "/", "-", "(", ")", "+", "#", ",", " at ", " dot ", "[at]", "(dot)",
    "arroba", "gmail", "com", "budi_88", "x", "0812", "3456", "7890", "+62", "00", "(021)", "1.500.000",
    "12/05/2024", "٠٥٠١٢٣٤٥٦٧", "０８１２", "૦૮૧૨", "wa.me/", "instagram.com/", "line.me/ti/p/~", "x.com/",
    "https://", "www.", "?id=", "profile.php", "ig", "IG", "LINE", "微信", "ไลน์", "واتساب", "No.", "Tel.",
]  # fmt: skip
_PARTS = st.one_of(
    st.sampled_from(_LABEL_WORDS),
    st.sampled_from(_CUE_WORDS),
    st.sampled_from(_SYMBOLS_AND_SHAPES),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 ._-@:/", max_size=8),
)
_MESSAGES = st.one_of(st.text(max_size=200), st.lists(_PARTS, max_size=30).map("".join))
_REGIONS = st.sampled_from([None, "ID", "BR", "SA", "US", "TH", "JP", "XX"])


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_MESSAGES, region=_REGIONS)
def test_prefilter_keeps_every_detection(text: str, region: str | None) -> None:
    _same(text, region)


def test_link_hint_is_in_every_profile_link() -> None:
    for host in links._PARSERS:
        assert links.might_hold_link(prepare_text(f"see {host}/someone"))


# --- WordFinder.find_all against the plain scan ---------------------------------------------------


class _PlainScan:
    """The scan find_all replaced: a Latin word at ``start`` unless a Latin character precedes it,
    every ``[^a-z0-9]`` + word after it (finditer), and the other-script words, merged by position."""

    def __init__(self, words: list[str]) -> None:
        latin = vocab._trie([word for word in set(words) if vocab._latin(word[0])])
        other = vocab._trie([word for word in set(words) if not vocab._latin(word[0])])
        self.first = re.compile(latin)
        self.latin = re.compile(r"[^a-z0-9](" + latin + ")")
        self.other = re.compile(other) if other else None

    def find_all(self, text: str, start: int, end: int) -> list[vocab.Word]:
        found = []
        if start == 0 or not vocab._latin(text[start - 1]):
            first = self.first.match(text, start, end)
            if first is not None:
                found.append(vocab.Word(first.start(), first.end(), first.group()))
        found += [vocab.Word(m.start(1), m.end(1), m.group(1)) for m in self.latin.finditer(text, start, end)]
        if self.other is not None:
            others = [vocab.Word(m.start(), m.end(), m.group()) for m in self.other.finditer(text, start, end)]
            if others:
                found = sorted(found + others)
        return found


_FINDERS = [
    (handles._LABEL_FINDER, _PlainScan(_LABEL_WORDS)),
    (phones._CUES, _PlainScan(_CUE_WORDS)),
]


def test_word_finder_matches_the_plain_scan_on_corpus_windows() -> None:
    texts = [prepare_text(example["text"]) for example in load_corpus()]
    texts += [prepare_text(text) for text, _ in generate_messages(500, seed=3)]
    for finder, plain in _FINDERS:
        for text in texts:
            for start in range(0, len(text), 5):
                for end in {len(text), min(len(text), start + 30), min(len(text), start + 55)}:
                    assert finder.find_all(text, start, end) == plain.find_all(text, start, end), (text, start, end)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_MESSAGES, data=st.data())
def test_word_finder_matches_the_plain_scan(text: str, data: st.DataObject) -> None:
    prepared = prepare_text(text)
    start = data.draw(st.integers(0, len(prepared)))
    end = data.draw(st.integers(start, len(prepared)))
    for finder, plain in _FINDERS:
        assert finder.find_all(prepared, start, end) == plain.find_all(prepared, start, end)
