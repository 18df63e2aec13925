"""Words that label or disqualify a contact, in the languages of the markets served.

All entries are in prepared form (lower-case, NFKC). Latin-script words only match as whole words;
words in scripts written without spaces (Thai, CJK) and in Arabic script match anywhere, because in
those languages a label is routinely glued to the number or handle that follows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``."""
    return frozenset(text.split())


WHATSAPP_WORDS = (
    "wa", "w.a", "w.a.", "whatsapp", "whats app", "whatsap", "whatapp", "whatsaap", "watsap",
    "watsapp", "wasap", "wassap", "wasapp", "whats", "wats", "wapp", "wpp", "wsp", "guasap",
    "zap", "zapzap", "zap zap", "watzap", "واتساب", "واتس اب", "واتس آب", "وتساب", "واتس",
    "واٹس ایپ", "واٹس اپ", "وٹس ایپ", "واٹس", "วอทส์แอพ", "วอทส์แอป", "วอทแอพ", "วอทสแอพ",
    "ワッツアップ", "واتسپ",
)  # fmt: skip

PHONE_WORDS = (
    "tel", "tel.", "telp", "telf", "tlp", "tlf", "telpon", "telepon", "telefon", "telefone",
    "teléfono", "telefono", "fone", "phone", "ph", "mobile", "mob", "cell", "cellphone", "cel",
    "celular", "móvil", "movil", "call", "text", "sms", "hp", "handphone", "nomor", "nomer",
    "number", "num", "contact", "contacto", "contato", "kontak", "hubungi", "hub", "ligar", "liga",
    "llamar", "llama", "llámame", "número", "numero", "zalo", "viber", "telegram", "signal",
    "โทร", "เบอร์", "ติดต่อ", "sđt", "sdt", "số điện thoại", "điện thoại", "đt", "gọi", "liên hệ",
    "電話", "携帯", "手机", "电话", "联系", "聯絡", "هاتف", "الهاتف", "جوال", "الجوال", "موبايل",
    "رقم", "اتصل", "تلفون", "تليفون", "فون", "نمبر", "موبائل", "رابطہ", "gsm", "numara",
    "numaram", "ara", "arayın", "simu", "namba", "nambari", "piga", "fon", "landline",
)  # fmt: skip

# Words whose nearby number is a price, an order or a document, never a phone number.
SUPPRESS_WORDS = (
    # currencies and money
    "rp", "idr", "rm", "myr", "sgd", "s$", "$", "usd", "us$", "₱", "php", "peso", "pesos", "฿",
    "thb", "บาท", "₫", "vnd", "đồng", "¥", "円", "jpy", "yen", "a$", "aud", "nz$", "nzd", "r$",
    "brl", "reais", "mx$", "mxn", "ars", "cop", "clp", "aed", "dhs", "درهم", "sar", "ريال", "ر.س",
    "egp", "جنيه", "tl", "₺", "lira", "₦", "ngn", "naira", "ksh", "kshs", "kes", "zar", "rand",
    "rs", "rs.", "pkr", "₹", "inr", "روپے", "€", "eur", "euro", "euros", "£", "gbp", "chf", "₩",
    "krw", "元", "rmb", "cny", "yuan", "dollar", "dollars", "harga", "price", "prices", "precio",
    "preço", "preco", "valor", "ราคา", "giá", "価格", "値段", "料金", "سعر", "السعر", "fiyat",
    "fiyatı", "total", "subtotal", "cost", "costs", "ongkir", "biaya", "bayar", "pay", "paid",
    "payment", "pago", "pagamento", "transfer", "tf", "amount", "jumlah", "nominal", "monto",
    "fee", "salary", "gaji", "budget", "discount", "diskon", "cicilan", "dp", "tagihan", "bill",
    "tiền", "المبلغ", "tutar", "ücret",
    # tracking, invoices, references
    "resi", "no resi", "tracking", "track", "awb", "waybill", "invoice", "inv", "faktur", "nota",
    "receipt", "recibo", "ref", "reference", "referensi", "referencia", "referência", "trx", "txn",
    "shipment", "parcel", "paket", "package", "consignment", "guía", "guia", "rastreio",
    "rastreamento", "seguimiento", "kargo", "takip", "追跡", "伝票", "お問い合わせ番号", "พัสดุ",
    "เลขพัสดุ", "vận đơn", "mã vận đơn", "شحنة", "الشحنة", "تتبع", "بوليصة", "sku", "serial",
    "s/n", "imei", "batch", "pnr", "virtual account", "confirmation", "konfirmasi", "confirmación",
    "confirmação", "card", "kartu", "tarjeta", "cartão", "visa", "mastercard", "rechnung",
    "rechnungsnummer", "bestellung", "bestellnummer", "kundennummer", "sendungsnummer", "facture",
    "commande", "factura", "fatura", "nota fiscal", "fattura", "ordine",
    # bank and wallet accounts
    "account", "acc", "acct", "a/c", "rekening", "rek", "norek", "conta", "cuenta", "cbu", "cvu",
    "clabe", "iban", "swift", "bic", "bsb", "sort code", "routing", "bank", "banco", "bca", "bni",
    "bri", "bsi", "mandiri", "cimb", "maybank", "rhb", "dbs", "ocbc", "uob", "posb", "bpi", "bdo",
    "metrobank", "kbank", "kasikorn", "กสิกร", "ไทยพาณิชย์", "scb", "ktb", "บัญชี", "เลขบัญชี",
    "vietcombank", "techcombank", "vcb", "bidv", "agribank", "vpbank", "stk", "số tài khoản",
    "tài khoản", "itau", "itaú", "bradesco", "nubank", "caixa", "santander", "bbva", "banorte",
    "bancolombia", "hsbc", "barclays", "gtbank", "gtb", "zenith", "uba", "opay", "palmpay",
    "equity", "kcb", "m-pesa", "mpesa", "paybill", "pix", "gcash", "paymaya", "ovo", "gopay",
    "shopeepay", "promptpay", "พร้อมเพย์", "momo", "easypaisa", "jazzcash", "paypal", "venmo",
    "حساب", "الحساب", "ايبان", "آيبان", "hesap", "口座", "銀行", "振込", "nequi", "daviplata", "yape",
    "plin", "mercado pago", "wise",
    # identity documents
    "nik", "ktp", "npwp", "cpf", "cnpj", "rg", "cnic", "nic", "nadra", "emirates id", "iqama",
    "national id", "id card", "id no", "id number", "identity", "ssn", "social security",
    "passport", "paspor", "pasaporte", "passaporte", "nric", "mykad", "ic", "dni", "curp", "rfc",
    "rut", "cuit", "cuil", "cédula", "cedula", "nit", "tckn", "kimlik", "nin", "bvn", "cccd",
    "cmnd", "căn cước", "บัตรประชาชน", "เลขบัตร", "マイナンバー", "هوية", "الهوية",
    "الرقم القومي", "الرقم الوطني", "شناختی", "license", "licence", "abn", "tfn", "ird", "ein",
    "nhs", "medicare", "nim", "nisn",
    # one-time codes, vouchers
    "otp", "code", "kode", "código", "codigo", "pin", "verification", "verifikasi", "verify",
    "password", "passcode", "token", "รหัส", "mã", "mã xác nhận", "認証", "確認コード", "コード",
    "رمز", "كود", "الكود", "doğrulama", "kod", "kodu", "şifre", "voucher", "promo", "coupon",
    "kupon", "cupón", "cupom",
    # postal codes
    "zip", "postcode", "postal", "kode pos", "kodepos", "〒", "郵便番号", "รหัสไปรษณีย์",
    "الرمز البريدي", "posta kodu", "c.p.",
    # explicit number markers
    "#", "№", "n°", "nº",
)  # fmt: skip

# Words that name an order or booking but are also everyday verbs ("order via WA 0812...").
# They only disqualify a number that follows them directly or after a marker such as "no" or "#".
WEAK_SUPPRESS_WORDS = (
    "order", "orders", "pesanan", "pedido", "orden", "booking", "reservation", "reserva", "ticket",
    "tiket", "transaction", "transaksi", "invoice no", "case", "claim", "member", "model", "id", "طلب",
    "الطلب", "sipariş", "siparis", "đơn", "đơn hàng", "mã đơn", "คำสั่งซื้อ", "注文", "注文番号",
)  # fmt: skip

# Amount or unit words written right after a number ("150.000 rb", "2500 บาท").
SUFFIX_WORDS = (
    "rb", "ribu", "k", "jt", "juta", "rupiah", "idr", "บาท", "円", "đ", "₫", "vnd", "dong", "đồng",
    "baht", "peso", "pesos", "reais", "tl", "lira", "naira", "ksh", "rand", "rs", "usd", "$", "€",
    "£", "%", "kg", "km", "pcs", "units", "followers", "views", "likes", "tahun", "years",
    "ريال", "درهم", "جنيه", "روپے", "元", "ringgit", "sgd", "myr", "aed", "sar",
)  # fmt: skip

# Filler words that may come between a label and what it labels ("IG saya: x", "meu insta é x").
FILLER_WORDS = (
    "saya", "aku", "ku", "gue", "gw", "kami", "kita", "nya", "my", "our", "me", "mi", "mis", "meu",
    "minha", "nosso", "nossa", "nuestro", "mình", "tôi", "của", "em", "ผม", "ฉัน", "เรา", "ของ",
    "hesabım", "hesabim", "adım", "benim", "عندي", "الخاص",
)  # fmt: skip

# Words that commonly follow a platform name in a sentence and so are never taken as a handle.
STOPWORDS = words(
    """
    a an and or but the to of on in at by for from with is are was were be been it its this that
    these those there here me my mine you your yours we us our they them he she him her his i
    page pages account accounts akun post posts story stories reel reels live video videos ad ads
    shop store profile bio link links feed dm dms inbox message messages chat group groups
    already before last first too also only pls please plz thanks thank thx ok okay yes no not
    today yesterday tomorrow now later soon again more much very really just still even
    follow followed following like likes comment comments share search find found see saw seen
    check go went come call text send sent reply contact add added id name username user handle
    official ya yg dan atau juga aja saja sih kak ka kan kok dong deh tadi kemarin lagi dulu terus
    di ke dari untuk sama nya ini itu ada tidak gak nggak ga udah sudah belum mau bisa boleh kalau
    e y o ou pero mas también ontem hoje amanhã aqui ali alí allí aquí para por com sem meu minha
    mi tu su el la los las um uma una unos de da do del en no na em que
    và hoặc của tôi bạn nhé ạ nha ne
    ve ile bir bu şu da de için
    ko ni na ya kwa
    und oder der die das ein eine mit auf im ist
    dm'd messaged mentioned tagged posted lol haha hehe wkwk btw earlier recently lately iklan
    pay market marketplace business ads shopping shops pm hello hi hey kamu kalian anda dia mereka lu
    lo elo
    """
)


class Word(NamedTuple):
    """A word found in a text: where it is and which it is."""

    start: int
    end: int
    text: str


# Word(start, end, text) without the NamedTuple's Python-level __new__: find_all builds many.
_new_word = tuple.__new__


class WordFinder:
    """Finds any of a set of words, longest first, Latin words only as whole words.

    A Latin word may be followed by digits (``wa0812...``) but not by more letters. Words starting
    with other scripts or symbols match anywhere: Thai, Chinese and Japanese are written without
    spaces, and labels are routinely glued to what follows in Arabic script too.

    Each set is compiled into character tries whose branches start with literal characters, so the
    regex engine tests one character per step instead of trying every word at every position. The
    Latin trie is searched from the character before each word: a pattern that starts with a
    character class lets the engine skip in C over the letters inside words.
    """

    def __init__(self, words: Iterable[str]) -> None:
        unique = set(words)
        latin = _trie([word for word in unique if _latin(word[0])])
        other = _trie([word for word in unique if not _latin(word[0])])
        # A Latin word starts with one of these: the look-ahead drops, in one step, the many places
        # (spaces, other scripts) where the trie would try and fail each first letter in turn.
        self._latin_initials = frozenset(word[0] for word in unique if _latin(word[0]))
        initials = "".join(sorted(self._latin_initials))
        self._latin = re.compile(r"[^a-z0-9](?=[" + initials + "])(" + latin + ")") if latin else None
        self._other = re.compile(other) if other else None
        # In an ASCII text, only the "other" words that start with an ASCII symbol ("#", "$") can match.
        ascii_initials = sorted({word[0] for word in unique if not _latin(word[0]) and word[0].isascii()})
        self._other_ascii = re.compile("[" + re.escape("".join(ascii_initials)) + "]") if ascii_initials else None
        #: Regex source for embedding in a larger pattern.
        self.source = "(?:" + "|".join(source for source in (latin and r"(?<![a-z0-9])" + latin, other) if source) + ")"

    def find_all(self, text: str, start: int = 0, end: int | None = None) -> list[Word]:
        stop = len(text) if end is None else end
        found: list[Word] = []
        latin = self._latin
        if latin is not None:
            # A word right at ``start`` if nothing Latin precedes it (then, as before any other word,
            # a character that is not [a-z0-9]: the pattern reads it from the text, or from a space
            # put in front of the text when ``start`` is 0).
            if start < stop and text[start] in self._latin_initials:
                if start:
                    before = text[start - 1]
                    first = None if before.isascii() and before.isalnum() else latin.match(text, start - 1, stop)
                    if first is not None:
                        found.append(_new_word(Word, (*first.span(1), first.group(1))))
                elif (first := latin.match(" " + text[:stop])) is not None:
                    found.append(_new_word(Word, (0, first.end() - 1, first.group(1))))
            # Repeated searches, as finditer would make them (no match is empty), without an
            # iterator to set up: most texts hold no word at all, and a short one a single word.
            search = latin.search
            match = search(text, start, stop)
            while match is not None:
                word_start, word_end = match.span(1)
                found.append(_new_word(Word, (word_start, word_end, text[word_start:word_end])))
                match = search(text, word_end, stop)
        other = self._other
        if other is not None and (
            not text.isascii() or (self._other_ascii is not None and self._other_ascii.search(text, start, stop))
        ):
            search = other.search
            match = search(text, start, stop)
            if match is not None:
                others: list[Word] = []
                while match is not None:
                    word_start, word_end = match.span()
                    others.append(_new_word(Word, (word_start, word_end, text[word_start:word_end])))
                    match = search(text, word_end, stop)
                found = sorted(found + others)
        return found


_Node = dict[str, "_Node"]


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _trie(words: Iterable[str]) -> str:
    """Regex source of a character trie of ``words`` ("" for none)."""
    root: _Node = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_source(root, "") if root else ""


def _trie_source(node: _Node, previous: str) -> str:
    branches = [re.escape(char) + _trie_source(child, char) for char, child in sorted(node.items()) if char]
    if "" in node:  # a word ends here: longer words first, then this one if it ends as a word
        branches.append("(?![a-z])" if _latin(previous) else "")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"
