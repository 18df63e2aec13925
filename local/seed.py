"""`SEED=demo make run`: realistic demo data, created through the public API exactly as a client would.

Everything goes through `Gateway.invoke` (the template's routes and the real handlers), so the demo data
obeys every rule the API enforces and exercises the same code paths as production traffic. The random
generator is seeded, so the same N always gives the same people, campaigns and statuses.
"""

from __future__ import annotations

import json
import random
import threading
import time
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from local.gateway import Gateway, Reply

RANDOM_SEED = 2026
DEMO_ADMIN = "demo-admin"
AD_ACCOUNT_MEMBERS = (("demo-admin-2", "admin"), ("demo-operator", "operator"), ("demo-analyst", "analyst"))
ADMINS = (DEMO_ADMIN, "demo-admin-2")
LABELS = ("Hot", "VIP", "Follow-up", "Cold")
PARALLEL_FROM = 1000  # below this one thread is quick enough and keeps the log in order
WORKERS = 4
JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": "leadcenter-seed"}


def say(message: str) -> None:
    print(f"[seed] {message}", flush=True)


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
    national = str(example.national_number)
    keep = max(1, min(2, len(national) - 5))
    for _ in range(25):
        digits = national[:keep] + "".join(rng.choice("0123456789") for _ in range(len(national) - keep))
        candidate = phonenumbers.parse(f"+{example.country_code}{digits}")
        if phonenumbers.is_valid_number(candidate):
            return str(phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164))
    return str(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))


# ---------------------------------------------------------------------------------------------- ads


@dataclass(frozen=True)
class Form:
    form_id: str
    form_name: str
    questions: tuple[tuple[str, tuple[str, ...]], ...]  # (question, the answers people pick from)


@dataclass(frozen=True)
class AdGroup:
    adgroup_id: str
    adgroup_name: str
    ads: tuple[tuple[str, str], ...]  # (ad id, ad name)


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    campaign_name: str
    adgroups: tuple[AdGroup, ...]
    form: Form
    markets: tuple[str, ...] = ()  # empty = every market
    weight: int = 1


def _form(form_id: str, name: str, *questions: str) -> Form:
    """Each question as "Question?|answer one|answer two|..."."""
    parsed = []
    for text in questions:
        question, *answers = _split(text)
        parsed.append((question, tuple(answers)))
    return Form(form_id, name, tuple(parsed))


def _adgroup(adgroup_id: str, name: str, *ads: str) -> AdGroup:
    """Each ad as "ad-id|Ad name"."""
    return AdGroup(adgroup_id, name, tuple((ad.split("|", 1)[0], ad.split("|", 1)[1]) for ad in ads))


CAMPAIGNS = (
    Campaign(
        "cmp-1001",
        "Ramadan Sale 2026",
        (
            _adgroup("ag-2001", "Ramadan - Women 25-44", "ad-3001|Ramadan video 15s", "ad-3002|Ramadan carousel"),
            _adgroup(
                "ag-2002",
                "Ramadan - Lookalike buyers",
                "ad-3003|Iftar deals",
                "ad-3004|Ramadan creator video",
            ),
        ),
        _form(
            "frm-4001",
            "Ramadan voucher sign-up",
            "Which products are you shopping for?|Modest fashion|Home & kitchen|Dates & hampers|Electronics",
            "Best time to contact you?|Morning|Afternoon|After iftar|Weekend",
        ),
        markets=("ID", "MY", "SG", "AE", "SA", "NG"),
        weight=3,
    ),
    Campaign(
        "cmp-1002",
        "11.11 Mega Sale",
        (
            _adgroup("ag-2003", "11.11 - Broad", "ad-3005|Flash deal countdown", "ad-3006|Free shipping banner"),
            _adgroup("ag-2004", "11.11 - Retargeting 30d", "ad-3007|Top picks carousel"),
        ),
        _form(
            "frm-4002",
            "Mega Sale early access",
            "What are you interested in?|Smartphones|Beauty|Fashion|Home appliances",
            "Budget|Under $50|$50-200|$200-500|Over $500",
        ),
        markets=("ID", "MY", "SG", "TH", "VN", "PH"),
        weight=3,
    ),
    Campaign(
        "cmp-1003",
        "Home Loan Leads Q3",
        (
            _adgroup("ag-2005", "First-time buyers", "ad-3008|Rate calculator"),
            _adgroup("ag-2006", "Refinance", "ad-3009|Customer testimonial video"),
        ),
        _form(
            "frm-4003",
            "Home loan enquiry",
            "Loan amount|Under 200k|200k-500k|500k-1M|Over 1M",
            "Employment status|Employed|Self-employed|Business owner",
            "When do you plan to buy?|Within 3 months|3-6 months|6-12 months|Just browsing",
        ),
        weight=2,
    ),
    Campaign(
        "cmp-1004",
        "EV Test Drive 2026",
        (_adgroup("ag-2007", "Car intenders 25-54", "ad-3010|Test drive weekend", "ad-3011|Range myths"),),
        _form(
            "frm-4004",
            "Book a test drive",
            "Which model?|City compact|Family SUV|Delivery van",
            "Preferred day|Weekday|Saturday|Sunday",
        ),
        weight=2,
    ),
    Campaign(
        "cmp-1005",
        "Back to School 2026",
        (_adgroup("ag-2008", "Parents 30-50", "ad-3012|School bundle", "ad-3013|Study desk promo"),),
        _form(
            "frm-4005",
            "Back to school catalogue",
            "Number of children|1|2|3 or more",
            "Grade level|Primary|Secondary|University",
        ),
        weight=2,
    ),
)


def pick_campaign(rng: random.Random, country: str) -> Campaign:
    eligible = [c for c in CAMPAIGNS if not c.markets or country in c.markets]
    return rng.choices(eligible, weights=[c.weight for c in eligible])[0]


def attribution(rng: random.Random, campaign: Campaign) -> dict[str, str]:
    adgroup = rng.choice(campaign.adgroups)
    ad_id, ad_name = rng.choice(adgroup.ads)
    return {
        "ad_id": ad_id,
        "ad_name": ad_name,
        "adgroup_id": adgroup.adgroup_id,
        "adgroup_name": adgroup.adgroup_name,
        "campaign_id": campaign.campaign_id,
        "campaign_name": campaign.campaign_name,
    }


def form_data(rng: random.Random, form: Form) -> dict[str, Any]:
    answers = [{"question": q, "answer": rng.choice(options)} for q, options in form.questions]
    return {"form_id": form.form_id, "form_name": form.form_name, "answers": answers}


def lead_body(rng: random.Random) -> dict[str, Any]:
    market = rng.choices(MARKETS, weights=[m.weight for m in MARKETS])[0]
    first, last, full = person_name(rng, market)
    contact: dict[str, Any] = {"name": full}
    roll = rng.random()  # most people leave both; some only one of them
    if roll < 0.9:
        contact["email"] = email_for(rng, market, first, last)
    if roll > 0.08:
        contact["phone"] = mobile_number(rng, market.country)
    body: dict[str, Any] = {"region": market.country, "contact": contact}
    origin = rng.random()
    if origin < 0.9:  # the rest were typed in by hand, with no ad behind them
        campaign = pick_campaign(rng, market.country)
        body["ad"] = attribution(rng, campaign)
        if origin < 0.8:
            body["form"] = form_data(rng, campaign.form)
    return body


# ---------------------------------------------------------------------------------------------- workflow


STATUS_PATHS = (  # (weight, the statuses a lead goes through after raw)
    (35, ()),
    (20, ("contacted",)),
    (18, ("contacted", "qualified")),
    (10, ("contacted", "unqualified")),
    (5, ("unqualified",)),
    (12, ("contacted", "qualified", "converted")),
)


def lead_updates(rng: random.Random, labels: dict[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(acting admin, PATCH body) steps that move one lead along a plausible sales path."""
    path = rng.choices([p for _, p in STATUS_PATHS], weights=[w for w, _ in STATUS_PATHS])[0]
    for status in path:
        yield rng.choice(ADMINS), {"status": status}
    if path and rng.random() < 0.6:
        yield DEMO_ADMIN, {"assignee": rng.choice(ADMINS)}
    wanted = labels_for(rng, path[-1] if path else "raw")
    ids = [labels[name] for name in wanted if name in labels]
    if ids:
        yield rng.choice(ADMINS), {"add_labels": ids}


def labels_for(rng: random.Random, status: str) -> list[str]:
    chosen = []
    if status in ("qualified", "converted") and rng.random() < 0.5:
        chosen.append("Hot")
    if status == "contacted" and rng.random() < 0.45:
        chosen.append("Follow-up")
    if status == "unqualified" and rng.random() < 0.6:
        chosen.append("Cold")
    if rng.random() < 0.08:
        chosen.append("VIP")
    return chosen


# ---------------------------------------------------------------------------------------------- API calls


@dataclass
class Progress:
    total: int
    created: int = 0
    failed: int = 0
    updates: int = 0
    update_failures: int = 0
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors_shown: int = 0

    def record(self, created: bool, reply: Reply | None = None) -> None:
        with self.lock:
            self.created += created
            self.failed += not created
            done = self.created + self.failed
            show_error = not created and self.errors_shown < 5
            self.errors_shown += show_error
        if show_error and reply is not None:
            say(f"a lead was refused: {reply.status} {reply.body[:300]}")
        step = max(1, self.total // 10)
        if done % step == 0 or done == self.total:
            say(f"{done}/{self.total} leads ({time.monotonic() - self.started:.1f}s)")


def call(gateway: Gateway, method: str, path: str, user: str, body: Any = None) -> Reply:
    payload = json.dumps(body) if body is not None else None
    return gateway.invoke(method, path, headers=dict(JSON_HEADERS), body=payload, subject=user)


def expect(reply: Reply, what: str, *statuses: int) -> Any:
    if reply.status not in statuses:
        raise RuntimeError(f"{what}: {reply.status} {reply.body[:300]}")
    return reply.json()


def create_accounts(gateway: Gateway) -> tuple[str, str]:
    account = expect(call(gateway, "POST", "/accounts", DEMO_ADMIN,
                          {"name": "Demo Ad Account", "type": "ad_account", "country": "SG"}),
                     "create the ad account", 200, 201)["id"]  # fmt: skip
    for user, role in AD_ACCOUNT_MEMBERS:
        expect(call(gateway, "PUT", f"/accounts/{account}/members/{user}", DEMO_ADMIN, {"role": role}),
               f"add {user}", 200, 201)  # fmt: skip
    center = expect(call(gateway, "POST", "/accounts", DEMO_ADMIN,
                         {"name": "Demo Brand BC", "type": "business_center", "country": "SG"}),
                    "create the Business Center", 200, 201)["id"]  # fmt: skip
    member = call(gateway, "PUT", f"/accounts/{center}/members/demo-operator", DEMO_ADMIN,
                  {"role": "operator", "lead_access": ["leads_center", "download"]})  # fmt: skip
    if member.status >= 300:
        say(f"could not add demo-operator to the Business Center: {member.status} {member.body[:200]}")
    return str(account), str(center)


def create_labels(gateway: Gateway, account: str) -> dict[str, str]:
    """Label name -> id; empty when the label routes are not there yet (the leads then stay unlabelled)."""
    labels: dict[str, str] = {}
    for name in LABELS:
        reply = call(gateway, "POST", f"/accounts/{account}/labels", DEMO_ADMIN, {"name": name})
        if reply.status == 404 and not labels:
            say("no label routes yet; leads get no labels")
            return {}
        if reply.status >= 300:
            say(f"label {name!r} refused: {reply.status} {reply.body[:200]}")
            continue
        labels[name] = str(reply.json()["id"])
    return labels


def create_lead(gateway: Gateway, account: str, index: int, labels: dict[str, str], progress: Progress) -> None:
    rng = random.Random(RANDOM_SEED * 1_000_003 + index)  # per lead, so threads do not change the data
    reply = call(gateway, "POST", f"/accounts/{account}/leads", DEMO_ADMIN, lead_body(rng))
    if reply.status != 201:
        progress.record(False, reply)
        return
    lead_id = reply.json()["id"]
    for user, patch in lead_updates(rng, labels):
        update = call(gateway, "PATCH", f"/accounts/{account}/leads/{lead_id}", user, patch)
        with progress.lock:
            progress.updates += 1
            progress.update_failures += update.status >= 300
    progress.record(True)


def seed(gateway: Gateway, count: int) -> dict[str, Any]:
    """Creates the demo accounts, members, labels and `count` leads; returns what it made."""
    say(f"seeding {count} demo leads as {DEMO_ADMIN} (the server keeps answering meanwhile)")
    account, center = create_accounts(gateway)
    labels = create_labels(gateway, account)
    progress = Progress(count)
    if count >= PARALLEL_FROM:
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="seed") as pool:
            futures = [pool.submit(create_lead, gateway, account, i, labels, progress) for i in range(count)]
            for future in futures:
                future.result()
    else:
        for index in range(count):
            create_lead(gateway, account, index, labels, progress)
    summary = {
        "ad_account": account,
        "business_center": center,
        "labels": labels,
        "leads": progress.created,
        "failed": progress.failed,
        "updates": progress.updates,
        "update_failures": progress.update_failures,
    }
    say(f"done in {time.monotonic() - progress.started:.1f}s: {json.dumps(summary)}")
    say('sign in as the demo admin: POST /_local/token {"sub": "demo-admin"}')
    return summary
