"""Contact detection: kinds, normal forms, negatives, the CLI, limits and properties (issue 4)."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.bench_contacts import CORPUS, corpus_scores, load_corpus
from leadcenter.contacts import KINDS, MAX_CHARS, Contact, ContactDetector, detect_contacts, normalize_value
from leadcenter.contacts.phones import _fast_e164, _full_e164

ROOT = Path(__file__).resolve().parents[2]
E164 = re.compile(r"\+[1-9]\d{6,14}")


def found(text: str, region: str | None = "ID") -> list[tuple[str, str]]:
    return [(c.kind, c.value) for c in detect_contacts(text, region)]


# --- each kind -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("email me: Budi.Santoso@Gmail.COM", "ID", [("email", "budi.santoso@gmail.com")]),
        ("Hubungi 0812-3456-7890", "ID", [("phone", "+6281234567890")]),
        ("WA 0812 3456 7890", "ID", [("whatsapp", "+6281234567890")]),
        ("https://wa.me/6281234567890", "SG", [("whatsapp", "+6281234567890")]),
        ("api.whatsapp.com/send?phone=5511987654321", "BR", [("whatsapp", "+5511987654321")]),
        ("IG @Budi_Shop", "ID", [("instagram", "budi_shop")]),
        ("instagram.com/budi.shop/", "ID", [("instagram", "budi.shop")]),
        ("facebook.com/budi.santoso", "ID", [("facebook", "budi.santoso")]),
        ("fb.com/budi.santoso", "ID", [("facebook", "budi.santoso")]),
        ("facebook.com/profile.php?id=100012345678", "ID", [("facebook", "100012345678")]),
        ("m.me/budishop", "ID", [("messenger", "budishop")]),
        ("messenger.com/t/budishop", "ID", [("messenger", "budishop")]),
        ("facebook.com/messages/t/budishop", "PH", [("messenger", "budishop")]),
        ("line.me/ti/p/~Somchai99", "TH", [("line", "somchai99")]),
        ("line.me/R/ti/p/@shopdee", "TH", [("line", "shopdee")]),
        ("LINE ID: somchai_th", "TH", [("line", "somchai_th")]),
        ("x.com/JackDev", "US", [("twitter", "jackdev")]),
        ("twitter.com/jack/", "US", [("twitter", "jack")]),
        ("X: @jack_dev", "US", [("twitter", "jack_dev")]),
        ("linkedin.com/in/jane-doe-123", "GB", [("linkedin", "jane-doe-123")]),
        ("linkedin: jane-doe-123", "GB", [("linkedin", "jane-doe-123")]),
        ("weibo.com/u/1234567890", "CN", [("weibo", "1234567890")]),
        ("微博 xiaoming_88", "CN", [("weibo", "xiaoming_88")]),
        ("微信: wxid_abc123", "CN", [("wechat", "wxid_abc123")]),
        ("wechat id lily_chen", "CN", [("wechat", "lily_chen")]),
        ("snapchat.com/add/kiwi_jess", "NZ", [("snapchat", "kiwi_jess")]),
        ("sc: kiwi_jess", "NZ", [("snapchat", "kiwi_jess")]),
    ],
)
def test_each_kind(text: str, region: str, expected: list[tuple[str, str]]) -> None:
    assert found(text, region) == expected


@pytest.mark.parametrize(
    "text",
    [
        "IG @tokobaju",
        "IG: tokobaju",
        "insta tokobaju",
        "instagram: tokobaju",
        "my ig is @tokobaju",
        "@tokobaju (IG)",
        "IG kita ya kak @tokobaju",
    ],
)
def test_labelled_mention_forms(text: str) -> None:
    assert found(text) == [("instagram", "tokobaju")]


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("wa: 0812-3456-7890", "ID", "+6281234567890"),
        ("Me chama no zap (11) 96123-4567", "BR", "+5511961234567"),
        ("zapzap 21 97654-3210", "BR", "+5521976543210"),
        ("واتساب ٠٥٠١٢٣٤٥٦٧", "SA", "+966501234567"),
        ("وتساب 01001234567", "EG", "+201001234567"),
        ("0812-3456-7890 (WA)", "ID", "+6281234567890"),
        ("Telp/WA 0812-3456-7890", "ID", "+6281234567890"),
        ("WhatsApp di nomor 0812-3456-7890", "ID", "+6281234567890"),
    ],
)
def test_whatsapp_labels_make_whatsapp_not_phone(text: str, region: str, expected: str) -> None:
    assert found(text, region) == [("whatsapp", expected)]


# --- normal forms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("0812 3456 7890", "ID", "+6281234567890"),
        ("0812.3456.7890", "ID", "+6281234567890"),
        ("(021) 8350123", "ID", "+62218350123"),
        ("+62 812-3456-7890", "SG", "+6281234567890"),
        ("0062 812 3456 7890", "ID", "+6281234567890"),
        ("00971 50 123 4567", "SG", "+971501234567"),
        ("+44 (0)7400 123456", "GB", "+447400123456"),
        ("(+63) 917 123 4567", "PH", "+639171234567"),
        ("6281234567890", "ID", "+6281234567890"),
        ("011 15-2345-6789", "AR", "+5491123456789"),
        ("090-1234-5678", "JP", "+819012345678"),
        ("(202) 555-0147", "US", "+12025550147"),
        ("+52 1 55 1234 5678", "MX", "+525512345678"),  # the mobile "1" Mexico dropped in 2019
        ("+52 55 1234 5678", "US", "+525512345678"),
    ],
)
def test_phones_are_e164_read_with_the_sender_region(text: str, region: str, expected: str) -> None:
    assert found(text, region) == [("phone", expected)]


def test_the_region_decides_numbers_without_plus() -> None:
    assert found("call 9123 4567", "SG") == [("phone", "+6591234567")]
    assert found("call 9123 4567", "US") == []
    assert found("call 9123 4567", None) == []


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("０８１２－３４５６－７８９０", "ID", "+6281234567890"),  # full-width
        ("٠٥٠١٢٣٤٥٦٧", "SA", "+966501234567"),  # Arabic-Indic
        ("۰۳۰۰۱۲۳۴۵۶۷", "PK", "+923001234567"),  # Extended Arabic-Indic
        ("+٩٦٦ ٥٠ ١٢٣ ٤٥٦٧", "SA", "+966501234567"),
        ("๐๘๑๒๓๔๕๖๗๘", "TH", "+66812345678"),  # Thai
        ("\u200f0501234567\u200e", "SA", "+966501234567"),  # bidi marks around the number
    ],
)
def test_other_digit_scripts(text: str, region: str, expected: str) -> None:
    assert found(text, region) == [("phone", expected)]


def test_full_width_email_and_handle() -> None:
    assert found("ｔａｎａｋａ＠ｅｘａｍｐｌｅ．ｊｐ", "JP") == [("email", "tanaka@example.jp")]
    assert found("ＩＧ：＠Ｙｕｋｉ＿ｃａｆｅ", "JP") == [("instagram", "yuki_cafe")]


def test_handles_lose_at_url_case_and_trailing_slash() -> None:
    assert found("https://www.instagram.com/Budi.Shop/?igshid=abc") == [("instagram", "budi.shop")]
    assert found("Twitter @JackDev") == [("twitter", "jackdev")]
    assert found("line.me/ti/p/%40ShopDee", "TH") == [("line", "shopdee")]


def test_duplicates_are_reported_once_in_order_of_first_appearance() -> None:
    text = "IG @ana.doces, WA 0812 3456 7890, ig: ana.doces, wa 0812-3456-7890, ana@gmail.com"
    assert found(text) == [
        ("instagram", "ana.doces"),
        ("whatsapp", "+6281234567890"),
        ("email", "ana@gmail.com"),
    ]


def test_normalize_value_gives_contract_forms() -> None:
    assert normalize_value("email", " Budi@Gmail.COM ") == "budi@gmail.com"
    assert normalize_value("phone", "+62 812-3456-7890") == "+6281234567890"
    assert normalize_value("whatsapp", "+62 0000") is None
    assert normalize_value("phone", "0812 3456 7890", "ID") == "+6281234567890"
    assert normalize_value("instagram", "@Budi.Shop/") == "budi.shop"
    assert normalize_value("instagram", "https://www.instagram.com/Budi.Shop/") == "budi.shop"
    assert normalize_value("line", "line.me/ti/p/~somchai") == "somchai"
    assert normalize_value("facebook", "instagram.com/budi") is None
    with pytest.raises(ValueError):
        normalize_value("myspace", "x")


# --- obfuscated e-mails ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("budi [at] gmail [dot] com", "budi@gmail.com"),
        ("budi (at) gmail (dot) com", "budi@gmail.com"),
        ("andi[at]yahoo[dot]co[dot]id", "andi@yahoo.co.id"),
        ("maria.santos(at)yahoo.com", "maria.santos@yahoo.com"),
        ("write to sales at acmecorp dot com", "sales@acmecorp.com"),
        ("priya.k at gmail dot com", "priya.k@gmail.com"),
        ("jdoe at gmail.com", "jdoe@gmail.com"),
        ("juan arroba gmail punto com", "juan@gmail.com"),
        ("jason @ gmail.com", "jason@gmail.com"),
    ],
)
def test_obfuscated_emails(text: str, expected: str) -> None:
    assert found(text) == [("email", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "meet at home dot",
        "Meet me at home. Dot will be there too",
        "look at this dot com bubble chart",
        "We arrive at noon, I'll text at 12",
        "mi ig es @luisa",  # a handle after a word, not "es@..."
        "logo@2x.png attached",
    ],
)
def test_prose_is_not_an_obfuscated_email(text: str) -> None:
    assert [kind for kind, _ in found(text, "US")] != ["email"]


# --- negatives ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Harga Rp 150.000 kak", "ID"),
        ("Total $1,299.00 plus tax", "US"),
        ("ราคา ฿2,500 ค่ะ", "TH"),
        ("Saldo Rp 12.345.678", "ID"),
        ("Order #123456789", "ID"),
        ("JNE tracking JP1234567890", "ID"),
        ("resi 0123456789012", "ID"),
        ("Pedido nº 987654321", "BR"),
        ("2024-05-12", "ID"),
        ("12/05/2024", "ID"),
        ("Jam buka 09.00-17.00", "ID"),
        ("BCA 1234567890", "ID"),
        ("acc no 001-234567-8", "MY"),
        ("NIK 3201234567890001", "ID"),
        ("CPF 123.456.789-09", "BR"),
        ("CNIC 12345-1234567-1", "PK"),
        ("Emirates ID 784-1985-1234567-1", "AE"),
        ("IBAN DE89 3704 0044 0532 0130 00", "DE"),
        ("your code is 482913", "US"),
        ("Kode OTP 91234567", "SG"),
        ("I saw you on Instagram", "US"),
        ("message me on LINE", "TH"),
        ("DM me", "US"),
        ("@everyone", "US"),
        ("Tahun 2023", "ID"),
        ("3 pcs x 125.000", "ID"),
        ("kode pos 10220", "ID"),
    ],
)
def test_no_false_positives(text: str, region: str) -> None:
    assert found(text, region) == []


def test_a_labelled_phone_next_to_a_suppressing_word_still_counts() -> None:
    assert found("Order no 123456789, WA 0812 3456 7890") == [("whatsapp", "+6281234567890")]
    assert found("Harga 150rb, hub 0812-1111-2222") == [("phone", "+6281211112222")]
    assert found("Total Rp 150.000. Call me 0812 3456 7890") == [("phone", "+6281234567890")]


def test_only_valid_numbers_count() -> None:
    assert found("call 0123 4567 890", "ID") == []
    assert found("call +1 123 456 7890", "US") == []


# --- the fast phone path agrees with phonenumbers ---------------------------------------------------


def test_fast_phone_path_reads_numbers_as_phonenumbers_parse_does() -> None:
    rng = random.Random(7)
    accepted = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            national = phonenumbers.national_significant_number(example)
            for _ in range(4):
                digits = national[:2] + "".join(rng.choice("0123456789") for _ in national[2:])
                for text, default in (
                    ("0" + digits, region),
                    (digits, region),
                    (f"{example.country_code}{digits}", region),
                    (f"+{example.country_code}{digits}", None),
                ):
                    fast = _fast_e164(text.lstrip("+"), default)
                    if fast is not None:
                        accepted += 1
                        assert fast == _full_e164(text, default), (text, default)
    assert accepted > 1000  # the fast path is the common path, not a rarity


# --- input limits ------------------------------------------------------------------------------


def test_input_is_capped() -> None:
    padding = "x" * MAX_CHARS
    assert found("WA 0812 3456 7890 " + padding) == [("whatsapp", "+6281234567890")]
    assert found(padding + " WA 0812 3456 7890") == []
    assert ContactDetector(max_chars=10).detect("0812 3456 7890 later", "ID") == []


@pytest.mark.parametrize(
    "text",
    [
        "0" * 20_000,
        "1-" * 10_000,
        "(1)" * 5_000,
        "+1 " * 5_000,
        "\t1" * 8_000,
        "1 - " * 4_000,
        "@a." * 5_000,
        "a@" * 8_000,
        "ig: " * 4_000,
        "a at b dot " * 1_500,
        "instagram.com/" * 1_000,
        "wa 0812 " * 2_000,
        "0812345678 " * 1_000,
        "a" * 10_000 + "@gmail.com",
        "微信" * 5_000,
        # phonenumbers' own catastrophic-backtracking class of input: long runs of separators
        "+" + "1 " * 3_000 + "x",
    ],
)
def test_pathological_input_is_fast(text: str) -> None:
    started = time.perf_counter()
    detect_contacts(text, "ID")
    assert time.perf_counter() - started < 1.0


# --- properties ----------------------------------------------------------------------------------

_MESSAGE_PARTS = st.sampled_from(
    [
        " ", "0812", "-", "3456", "7890", "+62", "(021)", "WA", "IG", "@", "budi", ".", "gmail", "com", "[at]",
        "[dot]", "line.me/ti/p/~", "wa.me/", "instagram.com/", "٠٥٠١", "０８１", "Rp", "1.500.000", ":", "/", "\n",
        "微信", "ไลน์", "واتساب", "resi", "order", "#", "x.com/", "?id=", "profile.php", "00", "zap",
    ]
)  # fmt: skip
_MESSAGES = st.one_of(st.text(max_size=300), st.lists(_MESSAGE_PARTS, max_size=40).map("".join))
_REGIONS = st.one_of(st.none(), st.sampled_from(["ID", "SG", "BR", "SA", "US", "XX", "", "id", "UK"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_MESSAGES, region=_REGIONS)
def test_never_raises_and_values_are_normal(text: str, region: str | None) -> None:
    contacts = detect_contacts(text, region)
    assert all(isinstance(contact, Contact) and contact.kind in KINDS for contact in contacts)
    assert len(contacts) == len(set(contacts))
    for contact in contacts:
        assert normalize_value(contact.kind, contact.value) == contact.value
        if contact.kind in ("phone", "whatsapp"):
            assert E164.fullmatch(contact.value)
        else:
            assert contact.value == contact.value.lower()
            assert not contact.value.startswith("@")
            assert "/" not in contact.value and not contact.value.endswith(".")


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(KINDS), value=st.text(max_size=40))
def test_normalisation_is_idempotent(kind: str, value: str) -> None:
    once = normalize_value(kind, value)
    if once is not None:
        assert normalize_value(kind, once) == once


@settings(max_examples=60, deadline=None)
@given(text=st.lists(_MESSAGE_PARTS, min_size=200, max_size=600).map("".join))
def test_long_messages_stay_fast(text: str) -> None:
    started = time.perf_counter()
    detect_contacts(text, "ID")
    assert time.perf_counter() - started < 0.5


# --- the command ---------------------------------------------------------------------------------


def _command() -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "leadcenter")}
    return subprocess.Popen(
        [sys.executable, "-m", "leadcenter.contacts"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
    )


def test_command_answers_every_line_in_order() -> None:
    lines = [
        json.dumps({"text": "WA 0812-3456-7890", "region": "ID"}),
        "not json",
        json.dumps({"region": "ID"}),
        json.dumps(["text"]),
        "",
        json.dumps({"text": "ig @Budi.Shop, email Budi@Gmail.com", "region": 7}),
        json.dumps({"text": "واتساب ٠٥٠١٢٣٤٥٦٧", "region": "SA"}, ensure_ascii=False),
        "[" * 100_000,
    ]
    process = _command()
    out, _ = process.communicate("\n".join(lines) + "\n", timeout=60)
    answers = [json.loads(line) for line in out.splitlines()]
    assert process.returncode == 0
    assert len(answers) == len(lines)
    assert answers[0] == {"contacts": [{"kind": "whatsapp", "value": "+6281234567890"}]}
    for bad in (1, 2, 3, 4, 7):
        assert answers[bad]["contacts"] == [] and answers[bad]["error"]
    assert answers[5] == {
        "contacts": [{"kind": "instagram", "value": "budi.shop"}, {"kind": "email", "value": "budi@gmail.com"}]
    }
    assert answers[6] == {"contacts": [{"kind": "whatsapp", "value": "+966501234567"}]}


def test_command_flushes_each_answer() -> None:
    process = _command()
    assert process.stdin is not None and process.stdout is not None
    try:
        for text, expected in (("call 9123 4567", "+6591234567"), ("call 8123 4567", "+6581234567")):
            process.stdin.write(json.dumps({"text": text, "region": "SG"}) + "\n")
            process.stdin.flush()
            answer = json.loads(process.stdout.readline())  # would block if the answer were buffered
            assert answer == {"contacts": [{"kind": "phone", "value": expected}]}
    finally:
        process.stdin.close()
        process.wait(timeout=30)


# --- the labelled corpus --------------------------------------------------------------------------


def test_corpus_is_large_varied_and_well_formed() -> None:
    examples = load_corpus(CORPUS)
    assert len(examples) >= 400
    regions = Counter(example["region"] for example in examples)
    assert len(regions) >= 25
    negatives = sum(1 for example in examples if not example["contacts"])
    assert negatives / len(examples) >= 0.35
    kinds = Counter(contact["kind"] for example in examples for contact in example["contacts"])
    assert set(kinds) == set(KINDS)
    for example in examples:
        for contact in example["contacts"]:
            assert normalize_value(contact["kind"], contact["value"]) == contact["value"], example


def test_corpus_quality() -> None:
    scores = corpus_scores(CORPUS)
    assert scores["precision"] >= 0.98, scores
    assert scores["f1"] >= 0.97, scores
