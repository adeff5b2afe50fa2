"""Envelope encryption and keyed hashes: round trips and every way to fail."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault.crypto import (
    ENVELOPE_V1,
    NONCE_LENGTH,
    Keyring,
    bind,
    open_envelope,
    open_value,
    seal,
    seal_value,
)
from vault.errors import InvalidMasterKey, VaultCorrupted

KEK = bytes(range(32))
OTHER_KEK = bytes(range(1, 33))


@pytest.fixture
def aead() -> AESGCM:
    return AESGCM(AESGCM.generate_key(bit_length=256))


def test_envelope_round_trip_and_layout(aead: AESGCM) -> None:
    envelope = seal(aead, b"Jane Roe", b"aad")
    assert envelope[0] == ENVELOPE_V1
    assert len(envelope) == 1 + NONCE_LENGTH + len(b"Jane Roe") + 16
    assert b"Jane Roe" not in envelope
    assert open_envelope(aead, envelope, b"aad") == b"Jane Roe"


def test_each_seal_uses_a_fresh_nonce(aead: AESGCM) -> None:
    assert seal(aead, b"same", b"") != seal(aead, b"same", b"")


def test_wrong_associated_data_fails(aead: AESGCM) -> None:
    envelope = seal(aead, b"value", bind("entry", "acme", "s1", "<PERSON_1>"))
    with pytest.raises(VaultCorrupted):
        open_envelope(aead, envelope, bind("entry", "acme", "s1", "<PERSON_2>"))


@pytest.mark.parametrize("position", [1, NONCE_LENGTH, NONCE_LENGTH + 1, -1])
def test_any_flipped_byte_fails(aead: AESGCM, position: int) -> None:
    envelope = bytearray(seal(aead, b"value", b"aad"))
    envelope[position] ^= 0x01
    with pytest.raises(VaultCorrupted, match="authentication"):
        open_envelope(aead, bytes(envelope), b"aad")


def test_wrong_key_fails(aead: AESGCM) -> None:
    envelope = seal(aead, b"value", b"aad")
    with pytest.raises(VaultCorrupted):
        open_envelope(AESGCM(AESGCM.generate_key(bit_length=256)), envelope, b"aad")


def test_unknown_version_and_truncation_fail(aead: AESGCM) -> None:
    envelope = seal(aead, b"value", b"")
    with pytest.raises(VaultCorrupted, match="version 2"):
        open_envelope(aead, bytes([2]) + envelope[1:], b"")
    with pytest.raises(VaultCorrupted, match="too short"):
        open_envelope(aead, envelope[:20], b"")


def test_errors_never_carry_the_value(aead: AESGCM) -> None:
    envelope = seal(aead, b"Jane Roe", b"aad")
    with pytest.raises(VaultCorrupted) as caught:
        open_envelope(aead, envelope, b"other")
    assert "Jane" not in str(caught.value)


def test_bind_is_unambiguous() -> None:
    assert bind("ab", "c") != bind("a", "bc")
    assert bind("a", "") != bind("a")
    assert bind(1) == bind("1")


@pytest.mark.parametrize("key", [b"", b"x" * 31, b"x" * 33, "x" * 32])
def test_master_key_must_be_32_bytes(key: bytes) -> None:
    with pytest.raises(InvalidMasterKey):
        Keyring(key)
    with pytest.raises(ValueError):
        Keyring(key)


def test_data_key_wrap_binds_tenant_subject_and_generation() -> None:
    keyring = Keyring(KEK)
    dek = Keyring.new_data_key()
    wrapped = keyring.wrap_data_key(dek, "acme", "s1", 1)
    unwrapped = keyring.unwrap_data_key(wrapped, "acme", "s1", 1)
    sealed = seal_value(AESGCM(dek), "acme", "s1", "<PERSON_1>", "Jane Roe")
    assert open_value(unwrapped, "acme", "s1", "<PERSON_1>", sealed) == "Jane Roe"
    for tenant, subject, generation in [("other", "s1", 1), ("acme", "s2", 1), ("acme", "s1", 2)]:
        with pytest.raises(VaultCorrupted):
            keyring.unwrap_data_key(wrapped, tenant, subject, generation)
    with pytest.raises(VaultCorrupted):
        Keyring(OTHER_KEK).unwrap_data_key(wrapped, "acme", "s1", 1)


def test_entry_binds_its_token_and_scope() -> None:
    dek = AESGCM(Keyring.new_data_key())
    sealed = seal_value(dek, "acme", "s1", "<PERSON_1>", "Jane Roe")
    for tenant, subject, token in [
        ("acme", "s1", "<PERSON_2>"),
        ("acme", "s2", "<PERSON_1>"),
        ("beta", "s1", "<PERSON_1>"),
    ]:
        with pytest.raises(VaultCorrupted):
            open_value(dek, tenant, subject, token, sealed)


def test_blind_index_is_deterministic_keyed_and_scope_bound() -> None:
    keyring = Keyring(KEK)
    index = keyring.blind_index("acme", "s1", "jane roe")
    assert index == keyring.blind_index("acme", "s1", "jane roe")
    assert len(index) == 32
    assert index != keyring.blind_index("acme", "s2", "jane roe")
    assert index != keyring.blind_index("beta", "s1", "jane roe")
    assert index != Keyring(OTHER_KEK).blind_index("acme", "s1", "jane roe")


def test_pseudonym_shape_and_binding() -> None:
    keyring = Keyring(KEK)
    pseudonym = keyring.pseudonym("acme", "user-42")
    assert pseudonym.startswith("psn_")
    assert len(pseudonym) == 4 + 24
    assert pseudonym[4:].isalnum() and pseudonym[4:] == pseudonym[4:].lower()
    assert pseudonym == keyring.pseudonym("acme", "user-42")
    assert pseudonym != keyring.pseudonym("beta", "user-42")
    assert pseudonym != Keyring(OTHER_KEK).pseudonym("acme", "user-42")


def test_scope_hash_and_keys_are_separated_by_purpose() -> None:
    keyring = Keyring(KEK)
    scope_hash = keyring.scope_hash("acme", "user-42")
    assert len(scope_hash) == 64 and "user-42" not in scope_hash
    assert scope_hash != keyring.pseudonym("acme", "user-42")
    assert bytes.fromhex(scope_hash) != keyring.blind_index("acme", "user-42", "")


def test_ledger_subject_is_sealed_per_object() -> None:
    keyring = Keyring(KEK)
    sealed = keyring.seal_subject("acme", "resp_1", "customer-42")
    assert b"customer-42" not in sealed
    assert keyring.open_subject("acme", "resp_1", sealed) == "customer-42"
    with pytest.raises(VaultCorrupted):
        keyring.open_subject("acme", "resp_2", sealed)
