"""The demo's people: names, emails and mobile numbers in each market's own formats, and what they write.

A person writes in their market's language and gives a number the way people there do (national format with
the local trunk prefix, or international), so the capture worker's contact detection meets realistic text.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

import phonenumbers

# ---------------------------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Market:
    country: str
    weight: int
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    domains: tuple[str, ...]
    family_first: bool = False  # Vietnamese and Japanese names put the family name first


def _split(names: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in names.split("|"))


def _market(country: str, weight: int, first: str, last: str, domains: str, family_first: bool = False) -> Market:
    return Market(country, weight, _split(first), _split(last), _split(domains), family_first)


MARKETS = (
    _market(
        "ID",
        18,
        "Budi|Siti|Agus|Dewi|Rizky|Putri|Andi|Nur|Fajar|Ayu",
        "Santoso|Rahmawati|Wijaya|Saputra|Pratama|Hidayat|Lestari|Kusuma|Nugroho",
        "gmail.com|yahoo.co.id|gmail.com|outlook.com",
    ),
    _market(
        "SG",
        10,
        "Wei Ming|Hui Ling|Jia Hui|Marcus|Chloe|Aisyah|Rajesh|Priya|Ryan",
        "Tan|Lim|Ng|Lee|Wong|Goh|Chua|Rahman|Pillai",
        "gmail.com|singnet.com.sg|hotmail.com|outlook.com",
    ),
    _market(
        "MY",
        10,
        "Ahmad|Nurul|Muhammad|Siti|Wei Jie|Mei Ling|Arjun|Kavitha|Hafiz",
        "Abdullah|Ibrahim|Tan|Lim|Ramasamy|Yusof|Chong|Hassan|Ismail",
        "gmail.com|yahoo.com.my|hotmail.my|outlook.com",
    ),
    _market(
        "TH",
        9,
        "Somchai|Siriporn|Nattapong|Kanya|Thanawat|Pimchanok|Arthit|Suda",
        "Srisuk|Wongsawat|Chaiyaporn|Boonmee|Saetang|Rattanakorn|Phromma|Kaewmanee",
        "gmail.com|hotmail.co.th|outlook.co.th",
    ),
    _market(
        "VN",
        9,
        "Minh Anh|Văn Hùng|Thị Lan|Đức Thắng|Thu Trang|Quốc Bảo|Ngọc Hân|Hoàng Nam",
        "Nguyễn|Trần|Lê|Phạm|Hoàng|Vũ|Đặng|Bùi",
        "gmail.com|yahoo.com.vn|gmail.com",
        family_first=True,
    ),
    _market(
        "PH",
        9,
        "Juan|Maria|Jose|Kristine|Mark|Angelica|John Paul|Jasmine|Paolo",
        "Dela Cruz|Santos|Reyes|Garcia|Mendoza|Bautista|Villanueva|Ramos",
        "gmail.com|yahoo.com.ph|outlook.ph",
    ),
    _market(
        "JP",
        5,
        "Haruto|Yui|Sota|Aoi|Ren|Hina|Yuto|Sakura",
        "Sato|Suzuki|Takahashi|Tanaka|Watanabe|Ito|Yamamoto|Nakamura",
        "gmail.com|yahoo.co.jp|docomo.ne.jp|icloud.com",
        family_first=True,
    ),
    _market(
        "AU",
        5,
        "Jack|Olivia|William|Charlotte|Noah|Amelia|Thomas|Isla",
        "Smith|Jones|Williams|Brown|Wilson|Taylor|Nguyen|Martin",
        "gmail.com|bigpond.com|outlook.com.au|icloud.com",
    ),
    _market(
        "BR",
        5,
        "João|Ana|Pedro|Maria Eduarda|Lucas|Juliana|Gabriel|Camila",
        "Silva|Santos|Oliveira|Souza|Pereira|Costa|Rodrigues|Almeida",
        "gmail.com|uol.com.br|hotmail.com|bol.com.br",
    ),
    _market(
        "MX",
        4,
        "José Luis|Guadalupe|Juan Carlos|Sofía|Miguel Ángel|Valeria|Alejandro",
        "Hernández|García|Martínez|López|González|Rodríguez|Pérez|Sánchez",
        "gmail.com|hotmail.com|outlook.com|prodigy.net.mx",
    ),
    _market(
        "AE",
        4,
        "Mohammed|Fatima|Ahmed|Mariam|Khalid|Aisha|Omar|Noura",
        "Al Mansoori|Al Hashimi|Al Nuaimi|Al Shamsi|Al Mazrouei|Khan|Al Ketbi",
        "gmail.com|hotmail.com|eim.ae|outlook.com",
    ),
    _market(
        "SA",
        3,
        "Abdullah|Nora|Faisal|Reem|Saud|Lama|Turki|Hessa",
        "Al Qahtani|Al Harbi|Al Otaibi|Al Ghamdi|Al Zahrani|Al Dosari|Al Shehri",
        "gmail.com|hotmail.com|outlook.sa",
    ),
    _market(
        "NG",
        3,
        "Chinedu|Ngozi|Oluwaseun|Aisha|Emeka|Funmilayo|Ibrahim|Chiamaka",
        "Okafor|Adeyemi|Bello|Eze|Okonkwo|Adebayo|Nwosu|Abubakar",
        "gmail.com|yahoo.com|outlook.com",
    ),
    _market(
        "DE",
        2,
        "Lukas|Anna|Maximilian|Sophie|Leon|Marie|Jonas|Lena",
        "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker",
        "gmail.com|web.de|gmx.de|t-online.de",
    ),
    _market(
        "GB",
        2,
        "Oliver|Amelia|George|Isla|Harry|Ava|Jack|Emily",
        "Smith|Jones|Taylor|Brown|Williams|Wilson|Johnson|Davies",
        "gmail.com|btinternet.com|hotmail.co.uk|outlook.com",
    ),
    _market(
        "US",
        2,
        "James|Emma|Michael|Olivia|Daniel|Sophia|Christopher|Madison",
        "Johnson|Williams|Garcia|Miller|Davis|Rodriguez|Martinez|Anderson",
        "gmail.com|yahoo.com|outlook.com|icloud.com",
    ),
)

# Where phonenumbers' example mobile prefix is one people rarely have (Saudi 051), the common one instead.
MOBILE_PREFIX = {"SA": "55"}
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "đ": "d", "Đ": "D"})


def ascii_slug(text: str) -> str:
    """Folds "Nguyễn Đức" to "nguyenduc": email local parts stay plain ASCII, as most real ones are."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_ASCII))
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


def person_name(rng: random.Random, market: Market) -> tuple[str, str, str]:
    first, last = rng.choice(market.first_names), rng.choice(market.last_names)
    return first, last, f"{last} {first}" if market.family_first else f"{first} {last}"


def email_for(rng: random.Random, market: Market, first: str, last: str) -> str:
    f, family = ascii_slug(first), ascii_slug(last)
    local = rng.choice((f"{f}.{family}", f"{f}{family}{rng.randint(1, 99)}", f"{f[0]}.{family}",
                        f"{f}_{family}{rng.randint(1975, 2005)}", f"{family}.{f}"))  # fmt: skip
    return f"{local}@{rng.choice(market.domains)}"


def mobile_number(rng: random.Random, country: str) -> str:
    """A valid-looking E.164 mobile number: the country's example prefix with random subscriber digits."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise ValueError(f"phonenumbers knows no mobile numbers for {country}")
    national = MOBILE_PREFIX.get(country, "") + str(example.national_number)[len(MOBILE_PREFIX.get(country, "")) :]
    keep = max(1, min(2, len(national) - 5))
    for _ in range(25):
        digits = national[:keep] + "".join(rng.choice("0123456789") for _ in range(len(national) - keep))
        candidate = phonenumbers.parse(f"+{example.country_code}{digits}")
        if phonenumbers.is_valid_number(candidate):
            return str(phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164))
    return str(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))


def local_format(number: str, rng: random.Random) -> str:
    """How someone writes their own number: mostly nationally (0812-3456-7890), sometimes internationally."""
    parsed = phonenumbers.parse(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL if rng.random() < 0.7 else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(parsed, style))


# What people write, per market language. {phone} and {email} are filled in; "chat" lines carry no contact.
_EN = (
    "Hi, is this still available? You can reach me at {phone}",
    "Please send the details to {email}, thanks!",
    "Interested! Call me on {phone} or email {email}",
)
_EN_CHAT = ("Hi, how much is this?", "Do you ship to my area?", "Is there a discount this week?")
TEXTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ID": (
        (
            "Halo kak, saya tertarik. WA saya di {phone} ya",
            "Boleh kirim info ke email {email}?",
            "Minta pricelist dong, hubungi {phone} atau {email}",
        ),
        ("Halo kak, masih ada?", "Berapa harganya kak?", "Bisa COD ga?"),
    ),
    "SG": (_EN, _EN_CHAT),
    "MY": (
        (
            "Hi boss, berminat. WhatsApp saya {phone}",
            "Boleh email details ke {email}?",
            "Interested lah, call me {phone}",
        ),
        ("Hi, ada stok lagi?", "Harga berapa ya?", "Can deliver to JB?"),
    ),
    "TH": (
        ("สนใจค่ะ ติดต่อกลับที่เบอร์ {phone} นะคะ", "ส่งรายละเอียดมาที่ {email} ได้ไหมครับ", "สนใจครับ โทร {phone}"),
        ("ยังมีของไหมคะ", "ราคาเท่าไหร่ครับ", "ส่งต่างจังหวัดได้ไหมคะ"),
    ),
    "VN": (
        (
            "Mình quan tâm, liên hệ mình qua số {phone} nhé",
            "Gửi thông tin qua email {email} giúp mình",
            "Cho mình xin báo giá, sđt {phone}",
        ),
        ("Shop ơi còn hàng không?", "Giá bao nhiêu vậy shop?", "Có ship COD không ạ?"),
    ),
    "PH": (
        (
            "Hi po, interested ako. Text me at {phone}",
            "Pa-send po ng details sa {email}",
            "Magkano po? Call me {phone}",
        ),
        ("Hi po, available pa?", "HM po?", "Pwede po COD?"),
    ),
    "JP": (
        (
            "興味があります。{phone}までご連絡ください",
            "詳細を{email}に送っていただけますか",
            "資料希望です。電話 {phone}",
        ),
        ("まだ在庫ありますか？", "値段を教えてください", "配送はいつ頃になりますか？"),
    ),
    "AU": (_EN, ("G'day, still available?", "Do you deliver to Perth?", "Any specials on at the moment?")),
    "BR": (
        (
            "Olá, tenho interesse! Meu WhatsApp é {phone}",
            "Pode mandar os detalhes para {email}?",
            "Quero saber mais, me liga no {phone}",
        ),
        ("Oi, ainda está disponível?", "Qual o valor?", "Entrega em SP?"),
    ),
    "MX": (
        (
            "Hola, me interesa. Mi número es {phone}",
            "¿Me mandas la información a {email}?",
            "Quiero cotizar, llámame al {phone}",
        ),
        ("Hola, ¿sigue disponible?", "¿Cuánto cuesta?", "¿Hacen envíos a Monterrey?"),
    ),
    "AE": (
        ("مرحبا، أنا مهتم. رقمي {phone}", "Please send the offer to {email}", "Interested, call me on {phone}"),
        ("مرحبا، هل العرض متوفر؟", "Hi, what is the price?", "Do you deliver to Sharjah?"),
    ),
    "SA": (
        ("السلام عليكم، مهتم. جوالي {phone}", "أرسل التفاصيل على {email} لو سمحت", "ابغى اعرف التفاصيل، جوالي {phone}"),
        ("السلام عليكم، متوفر؟", "كم السعر؟", "هل يوجد توصيل للرياض؟"),
    ),
    "NG": (_EN, ("Hello, is this still available?", "How much last?", "Do you deliver to Abuja?")),
    "DE": (
        (
            "Hallo, ich habe Interesse. Rufen Sie mich an: {phone}",
            "Bitte schicken Sie Infos an {email}",
            "Interesse! Tel. {phone}",
        ),
        ("Hallo, ist das noch verfügbar?", "Was kostet das?", "Liefern Sie auch nach Österreich?"),
    ),
    "GB": (_EN, ("Hiya, is this still going?", "How much is delivery?", "Any offers on?")),
    "US": (_EN, _EN_CHAT),
}


def message_text(rng: random.Random, country: str, phone: str | None, email: str | None) -> str:
    """A first message with the contacts given (national or international format); only chat when none."""
    with_contact, chat = TEXTS[country]
    if phone is None and email is None:
        return rng.choice(chat)
    usable = [t for t in with_contact if ("{phone}" not in t or phone) and ("{email}" not in t or email)]
    template = rng.choice(usable or with_contact)
    return template.format(phone=local_format(phone, rng) if phone else "", email=email or "")
