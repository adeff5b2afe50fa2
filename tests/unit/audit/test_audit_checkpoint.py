from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoint import Checkpoint, Signer, Verifier, open_checkpoint, parse_checkpoint
from audit.errors import CheckpointError, KeyFileError
from audit.hashing import leaf_hash
from audit.keys import load_or_create_signer, load_signer

ORIGIN = "piigate.test/audit"

# The signed-note test vector of golang.org/x/mod/sumdb/note: proves the key
# hash, vkey encoding and signature layout interoperate with Go tooling.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
    "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


@pytest.fixture
def signer() -> Signer:
    return Signer(ORIGIN, Ed25519PrivateKey.generate())


def test_go_signed_note_vector() -> None:
    verifier = Verifier.from_vkey(GO_VKEY)
    assert verifier.vkey == GO_VKEY
    assert verifier.open(GO_NOTE) == GO_TEXT
    with pytest.raises(CheckpointError):
        verifier.open(GO_NOTE.replace("cryptography", "cryptographY"))


def test_checkpoint_round_trip(signer: Signer) -> None:
    checkpoint = Checkpoint(ORIGIN, 42, leaf_hash(b"root"))
    note = checkpoint.sign(signer)
    lines = note.split("\n")
    assert lines[:3] == [ORIGIN, "42", lines[2]] and lines[3] == ""
    assert lines[4].startswith("\u2014 " + ORIGIN + " ")
    assert open_checkpoint(note, signer.verifier) == checkpoint
    assert open_checkpoint(note, Verifier.from_vkey(signer.verifier.vkey)) == checkpoint


def test_other_key_or_changed_text_is_refused(signer: Signer) -> None:
    note = Checkpoint(ORIGIN, 42, leaf_hash(b"root")).sign(signer)
    other = Signer(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(CheckpointError):
        open_checkpoint(note, other.verifier)
    with pytest.raises(CheckpointError):
        open_checkpoint(note.replace("\n42\n", "\n43\n"), signer.verifier)
    with pytest.raises(CheckpointError):
        open_checkpoint(note.split("\n\n")[0] + "\n", signer.verifier)


@pytest.mark.parametrize(
    "text",
    ["o\n", "o\n01\nAAAA\n", "o\nx\nAAAA\n", "o\n1\nnot base64!\n", "o\n1\nAAAA\n", "a b\n1\n"],
)
def test_malformed_checkpoint_text(text: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    "vkey", ["nope", "a+b+c", GO_VKEY.replace("c74f20a3", "c74f20a4"), "x+00000000+AAAA"]
)
def test_malformed_vkeys(vkey: str) -> None:
    with pytest.raises(CheckpointError):
        Verifier.from_vkey(vkey)


def test_names_and_texts_are_checked(signer: Signer) -> None:
    with pytest.raises(CheckpointError):
        Signer("has space", Ed25519PrivateKey.generate())
    with pytest.raises(CheckpointError):
        signer.sign_note("no newline")
    with pytest.raises(CheckpointError):
        Checkpoint("other-origin", 1, leaf_hash(b"")).sign(signer)


def test_key_file_created_once_with_mode_0600(key_path: Path) -> None:
    first = load_or_create_signer(key_path, ORIGIN)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    again = load_or_create_signer(key_path, ORIGIN)
    assert again.verifier == first.verifier
    assert load_signer(key_path, ORIGIN).verifier == first.verifier
    assert [p.name for p in key_path.parent.iterdir()] == [key_path.name]


def test_unsafe_or_missing_key_files(key_path: Path) -> None:
    with pytest.raises(KeyFileError):
        load_signer(key_path, ORIGIN)
    load_or_create_signer(key_path, ORIGIN)
    os.chmod(key_path, 0o666)
    with pytest.raises(KeyFileError):
        load_signer(key_path, ORIGIN)
    key_path.write_bytes(b"not a key")
    os.chmod(key_path, 0o600)
    with pytest.raises(KeyFileError):
        load_signer(key_path, ORIGIN)
