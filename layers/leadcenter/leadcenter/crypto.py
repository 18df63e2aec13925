"""Field-level envelope encryption of personal data, with crypto-shredding.

Each lead has its own 256-bit data key (the lead key). Personal fields are sealed with AES-256-GCM under
it, the associated data binding every ciphertext to (account, lead, field). The lead key is wrapped with
AES-256-GCM under a key-encryption key (KEK) that comes from KMS GenerateDataKey in the lead's storage
region and is cached with a bounded age and use count, so writing leads costs no KMS call per lead.
The wrapped lead key lives in the regional lead-keys table (out of point-in-time recovery): deleting that
item destroys the only copy, and every backed-up ciphertext of the lead becomes unreadable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leadcenter import aws
from leadcenter.config import settings
from leadcenter.errors import IntegrityError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
_NONCE_BYTES = 12
_KEY_BYTES = 32  # AES-256
_KMS_CONTEXT = {"app": "leadcenter", "purpose": "lead-key-encryption"}


@dataclass
class _CachedKek:
    plaintext: bytes
    blob: bytes
    born: float
    uses: int = 0


@dataclass(frozen=True)
class WrappedLeadKey:
    kek_blob: bytes
    wrapped: bytes


@dataclass
class KeyRing:
    """Key-encryption keys per storage region. Counts its KMS calls (a benchmark reads them)."""

    max_age_seconds: float = 300.0
    max_uses: int = 50_000
    unwrap_cache_size: int = 256
    kms_calls: int = 0
    _current: dict[str, _CachedKek] = field(default_factory=dict)
    _unwrapped: OrderedDict[bytes, tuple[bytes, float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wrapping_key(self, region: str) -> _CachedKek:
        with self._lock:
            kek = self._current.get(region)
            if kek is None or kek.uses >= self.max_uses or time.monotonic() - kek.born > self.max_age_seconds:
                response = aws.client("kms", region).generate_data_key(
                    KeyId=settings().leads_key_alias, KeySpec="AES_256", EncryptionContext=_KMS_CONTEXT
                )
                self.kms_calls += 1
                kek = _CachedKek(response["Plaintext"], response["CiphertextBlob"], time.monotonic())
                self._current[region] = kek
                self._remember(kek.blob, kek.plaintext)
            kek.uses += 1
            return kek

    def unwrapping_key(self, region: str, blob: bytes) -> bytes:
        with self._lock:
            hit = self._unwrapped.get(blob)
            if hit and time.monotonic() - hit[1] <= self.max_age_seconds:
                self._unwrapped.move_to_end(blob)
                return hit[0]
        plaintext: bytes = aws.client("kms", region).decrypt(CiphertextBlob=blob, EncryptionContext=_KMS_CONTEXT)[
            "Plaintext"
        ]
        with self._lock:
            self.kms_calls += 1
            self._remember(blob, plaintext)
        return plaintext

    def _remember(self, blob: bytes, plaintext: bytes) -> None:
        self._unwrapped[blob] = (plaintext, time.monotonic())
        while len(self._unwrapped) > self.unwrap_cache_size:
            self._unwrapped.popitem(last=False)

    def forget(self) -> None:
        with self._lock:
            self._current.clear()
            self._unwrapped.clear()


_keyring = KeyRing()


def keyring() -> KeyRing:
    return _keyring


def _aad(*parts: str) -> bytes:
    return "|".join(("leadcenter/v1", *parts)).encode()


def _aes(key: bytes) -> AESGCM:
    # Imported on first use (~6 ms of cold start): the blind index, all that most capture events need, is hashlib's.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def new_lead_key(region: str, account_id: str, lead_id: str) -> tuple[bytes, WrappedLeadKey]:
    lead_key = os.urandom(_KEY_BYTES)  # what AESGCM.generate_key(bit_length=256) returns
    kek = keyring().wrapping_key(region)
    nonce = os.urandom(_NONCE_BYTES)
    wrapped = nonce + _aes(kek.plaintext).encrypt(nonce, lead_key, _aad("lead-key", account_id, lead_id))
    return lead_key, WrappedLeadKey(kek.blob, wrapped)


def open_lead_key(region: str, account_id: str, lead_id: str, wrapped: WrappedLeadKey) -> bytes:
    kek = keyring().unwrapping_key(region, wrapped.kek_blob)
    nonce, body = wrapped.wrapped[:_NONCE_BYTES], wrapped.wrapped[_NONCE_BYTES:]
    cipher = _aes(kek)
    from cryptography.exceptions import InvalidTag

    try:
        return cipher.decrypt(nonce, body, _aad("lead-key", account_id, lead_id))
    except InvalidTag as exc:
        raise IntegrityError("the lead key does not belong to this lead") from exc


class FieldCipher:
    """Seals and opens the personal fields of one lead."""

    def __init__(self, lead_key: bytes, account_id: str, lead_id: str) -> None:
        self._aes = _aes(lead_key)
        self._account_id = account_id
        self._lead_id = lead_id

    def seal(self, field_name: str, plaintext: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        aad = _aad(self._account_id, self._lead_id, field_name)
        return _VERSION + nonce + self._aes.encrypt(nonce, plaintext.encode("utf-8"), aad)

    def open(self, field_name: str, sealed: bytes) -> str:
        if not sealed or sealed[:1] != _VERSION:
            raise IntegrityError(f"field '{field_name}' is not a leadcenter ciphertext")
        nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        from cryptography.exceptions import InvalidTag  # imported with AESGCM by __init__

        try:
            return self._aes.decrypt(nonce, body, _aad(self._account_id, self._lead_id, field_name)).decode("utf-8")
        except InvalidTag as exc:
            raise IntegrityError(
                f"field '{field_name}' does not decrypt for this lead: it was moved, tampered with, or shredded"
            ) from exc


class BlindIndex:
    """Keyed HMAC of normalised values, for equality lookups without storing the value.

    The HMAC key is derived once per container and region with KMS GenerateMac (an HMAC key that never
    leaves KMS), so the table never holds it and a stolen table cannot be brute-forced offline.
    """

    _DERIVATION_MESSAGE = b"leadcenter/blind-index/v1"

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def _key(self, region: str) -> bytes:
        with self._lock:
            key = self._keys.get(region)
            if key is None:
                response = aws.client("kms", region).generate_mac(
                    KeyId=settings().blind_index_key_alias,
                    MacAlgorithm="HMAC_SHA_256",
                    Message=self._DERIVATION_MESSAGE,
                )
                key = self._keys[region] = response["Mac"]
                keyring().kms_calls += 1
            return key

    def digest(self, region: str, *parts: str) -> str:
        message = "\x1f".join(parts).encode("utf-8")
        return hmac.new(self._key(region), message, hashlib.sha256).hexdigest()[:40]

    def forget(self) -> None:
        with self._lock:
            self._keys.clear()


_blind_index = BlindIndex()


def blind_index() -> BlindIndex:
    return _blind_index
