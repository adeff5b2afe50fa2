"""Signed checkpoints (tree heads) as C2SP signed notes, no I/O.

A checkpoint commits to the whole log at one size: anyone holding it can
check an inclusion proof for any record and a consistency proof to any later
checkpoint, with nothing but the public key. The text follows C2SP
``tlog-checkpoint`` inside a C2SP ``signed-note``::

    <origin>
    <tree size, decimal>
    <root hash, base64>

    — <origin> <base64(4-byte key hash || 64-byte Ed25519 signature)>

The signature covers the text up to and including the newline before the
blank line. The key hash is the first 4 bytes of
``SHA-256(name || "\\n" || 0x01 || public key)`` (0x01 is the Ed25519
algorithm byte), and the public key is exported as a C2SP verifier key:
``<name>+<key hash, hex>+<base64(0x01 || public key)>``. Standard tooling for
signed notes (Go's ``golang.org/x/mod/sumdb/note``) reads both.

Export manifests reuse :meth:`Signer.sign_note` with a different text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit.errors import CheckpointError
from audit.hashing import HASH_SIZE

ED25519_ALG = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # em dash and a space, as C2SP signed-note writes it
MAX_NOTE = 1 << 20


def _key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519_ALG + public).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(ch.isspace() or ch == "+" for ch in name):
        raise CheckpointError("a key name (the log origin) needs no spaces and no '+'")
    return name


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key that checks signed notes."""

    name: str
    public: bytes

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse a C2SP verifier key ``name+hash+base64(0x01||key)``."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise CheckpointError("a verifier key has the form name+hash+key")
        name, hash_hex, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
            declared = bytes.fromhex(hash_hex)
        except (binascii.Error, ValueError) as exc:
            raise CheckpointError("verifier key is not hex and base64") from exc
        if len(raw) != 33 or raw[:1] != ED25519_ALG:
            raise CheckpointError("verifier key is not an Ed25519 key")
        verifier = cls(_check_name(name), raw[1:])
        if declared != verifier.key_hash:
            raise CheckpointError("verifier key hash does not match its key")
        return verifier

    @property
    def key_hash(self) -> bytes:
        return _key_hash(self.name, self.public)

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(ED25519_ALG + self.public).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"

    def open(self, note: str) -> str:
        """Return the note's text if this key signed it, else raise."""
        text, signatures = _split_note(note)
        key = Ed25519PublicKey.from_public_bytes(self.public)
        for name, blob in signatures:
            if name != self.name or blob[:4] != self.key_hash:
                continue
            try:
                key.verify(blob[4:], text.encode())
            except InvalidSignature as exc:
                raise CheckpointError(f"signature by {name} does not verify") from exc
            return text
        raise CheckpointError(f"note carries no signature by {self.vkey}")


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 private key that writes signed notes."""

    name: str
    private: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def verifier(self) -> Verifier:
        public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return Verifier(self.name, public)

    def sign_note(self, text: str) -> str:
        """Sign ``text`` (non-empty lines, each ending in a newline)."""
        if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
            raise CheckpointError("note text must be non-empty lines ending in a newline")
        blob = self.verifier.key_hash + self.private.sign(text.encode())
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True)
class Checkpoint:
    """The log's state at one size: what a signed tree head commits to."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    def sign(self, signer: Signer) -> str:
        if signer.name != self.origin:
            raise CheckpointError("checkpoints are signed by a key named after the origin")
        return signer.sign_note(self.text())


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint text (already verified, or for display)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[1].isdigit():
        raise CheckpointError("checkpoint text needs origin, size and root lines")
    if lines[1] != str(int(lines[1])):
        raise CheckpointError("checkpoint size has leading zeros")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error as exc:
        raise CheckpointError("checkpoint root is not base64") from exc
    if len(root) != HASH_SIZE:
        raise CheckpointError("checkpoint root is not a SHA-256 hash")
    return Checkpoint(_check_name(lines[0]), int(lines[1]), root)


def open_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    """Verify a signed checkpoint and return what it commits to."""
    checkpoint = parse_checkpoint(verifier.open(note))
    if checkpoint.origin != verifier.name:
        raise CheckpointError("checkpoint origin differs from the key name")
    return checkpoint


def _split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    if len(note) > MAX_NOTE:
        raise CheckpointError("note is too large")
    text, sep, block = note.partition("\n\n")
    if not sep or not text or not block.endswith("\n"):
        raise CheckpointError("note has no signature block")
    signatures: list[tuple[str, bytes]] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError("malformed signature line")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise CheckpointError("signature is not base64") from exc
        if len(blob) != 4 + 64:
            raise CheckpointError("signature has the wrong length")
        signatures.append((name, blob))
    return text + "\n", signatures
