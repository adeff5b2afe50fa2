"""Envelope encryption and keyed hashes for the vault. Pure: no I/O, no state.

One 32-byte key-encryption key (KEK) is the root of everything. It never
encrypts data itself; HKDF derives one subkey per purpose so that, say, a
blind index can never be confused with a pseudonym or a wrapping key:

- ``wrap``:      AES-256-GCM that wraps each scope's random data key (DEK).
- ``blind``:     HMAC-SHA256 of a normalised value, bound to its scope, so
                 the same value finds its token without decrypting anything.
- ``scope``:     HMAC-SHA256 of (tenant, subject): what the database stores
                 instead of the subject id, which may itself be personal.
- ``pseudonym``: HMAC-SHA256 for ``psn_...`` pseudonyms (user ids, audit).
- ``ledger``:    AES-256-GCM for the subject of a ledger row, so that reading
                 an upstream object can restore in its owner's scope.

Envelope bytes (versioned so the format can change without a flag day)::

    0x01 | nonce (12 random bytes) | AES-256-GCM ciphertext and 16-byte tag

Associated data is a length-prefixed list of fields (see :func:`bind`), so
that no two different field lists encode to the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vault.errors import InvalidMasterKey, VaultCorrupted

KEY_LENGTH = 32
NONCE_LENGTH = 12
ENVELOPE_V1 = 1
PSEUDONYM_PREFIX = "psn_"
# 15 bytes encode to exactly 24 base32 characters (no padding): 120 bits is
# far beyond any collision worry for per-tenant identifiers.
_PSEUDONYM_BYTES = 15
_HKDF_INFO = b"piigate/vault/v1/"


def bind(*fields: str | bytes | int) -> bytes:
    """Encode fields unambiguously: each is a 4-byte big-endian length, then bytes.

    Used for AEAD associated data and HMAC messages; plain concatenation would
    let ("ab", "c") and ("a", "bc") collide.
    """
    out = bytearray()
    for field in fields:
        if isinstance(field, int):
            raw = str(field).encode()
        elif isinstance(field, str):
            raw = field.encode("utf-8")
        else:
            raw = field
        out += struct.pack(">I", len(raw))
        out += raw
    return bytes(out)


def seal(aead: AESGCM, plaintext: bytes, associated_data: bytes) -> bytes:
    """Encrypt into a version-1 envelope with a fresh random nonce."""
    nonce = os.urandom(NONCE_LENGTH)
    return bytes([ENVELOPE_V1]) + nonce + aead.encrypt(nonce, plaintext, associated_data)


def open_envelope(aead: AESGCM, envelope: bytes, associated_data: bytes) -> bytes:
    """Decrypt an envelope; any mismatch (key, AAD, bytes) is VaultCorrupted."""
    if len(envelope) < 1 + NONCE_LENGTH + 16:
        raise VaultCorrupted("envelope too short")
    if envelope[0] != ENVELOPE_V1:
        raise VaultCorrupted(f"unknown envelope version {envelope[0]}")
    nonce = envelope[1 : 1 + NONCE_LENGTH]
    try:
        return aead.decrypt(nonce, envelope[1 + NONCE_LENGTH :], associated_data)
    except InvalidTag:
        raise VaultCorrupted("envelope failed authentication") from None


def _derive(master_key: bytes, purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_LENGTH,
        salt=None,
        info=_HKDF_INFO + purpose.encode(),
    )
    return hkdf.derive(master_key)


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


class Keyring:
    """Every key the vault uses, derived once from the KEK.

    Holds key material only; callers pass tenant and subject explicitly so that
    each operation's binding is visible at the call site.
    """

    __slots__ = ("_blind", "_ledger", "_pseudonym", "_scope", "_wrap")

    def __init__(self, master_key: bytes) -> None:
        if not isinstance(master_key, bytes) or len(master_key) != KEY_LENGTH:
            raise InvalidMasterKey(f"the master key must be exactly {KEY_LENGTH} bytes")
        self._wrap = AESGCM(_derive(master_key, "wrap"))
        self._ledger = AESGCM(_derive(master_key, "ledger"))
        self._blind = _derive(master_key, "blind")
        self._scope = _derive(master_key, "scope")
        self._pseudonym = _derive(master_key, "pseudonym")

    # Data keys ---------------------------------------------------------

    @staticmethod
    def new_data_key() -> bytes:
        return AESGCM.generate_key(bit_length=KEY_LENGTH * 8)

    def wrap_data_key(self, dek: bytes, tenant: str, subject: str, generation: int) -> bytes:
        return seal(self._wrap, dek, bind("dek", tenant, subject, generation))

    def unwrap_data_key(self, wrapped: bytes, tenant: str, subject: str, generation: int) -> AESGCM:
        dek = open_envelope(self._wrap, wrapped, bind("dek", tenant, subject, generation))
        if len(dek) != KEY_LENGTH:
            raise VaultCorrupted("wrapped data key has the wrong length")
        return AESGCM(dek)

    # Keyed hashes ------------------------------------------------------

    def scope_hash(self, tenant: str, subject: str) -> str:
        """What the database stores in place of the subject id (64 hex chars)."""
        return _mac(self._scope, bind(tenant, subject)).hex()

    def blind_index(self, tenant: str, subject: str, normalised: str) -> bytes:
        """Scope-bound lookup key: equal values in two scopes index differently."""
        return _mac(self._blind, bind(tenant, subject, normalised))

    def pseudonym(self, tenant: str, value: str) -> str:
        digest = _mac(self._pseudonym, bind(tenant, value))[:_PSEUDONYM_BYTES]
        return PSEUDONYM_PREFIX + base64.b32encode(digest).decode().lower()

    # Ledger subjects ---------------------------------------------------

    def seal_subject(self, tenant: str, upstream_id: str, subject: str) -> bytes:
        return seal(self._ledger, subject.encode(), bind("ledger", tenant, upstream_id))

    def open_subject(self, tenant: str, upstream_id: str, sealed: bytes) -> str:
        raw = open_envelope(self._ledger, sealed, bind("ledger", tenant, upstream_id))
        return raw.decode("utf-8")


def seal_value(dek: AESGCM, tenant: str, subject: str, token: str, value: str) -> bytes:
    """Encrypt one vault entry; the AAD ties it to its scope and its token."""
    return seal(dek, value.encode("utf-8"), bind("entry", tenant, subject, token))


def open_value(dek: AESGCM, tenant: str, subject: str, token: str, sealed: bytes) -> str:
    return open_envelope(dek, sealed, bind("entry", tenant, subject, token)).decode("utf-8")
