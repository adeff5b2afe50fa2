"""The checkpoint signing key on disk: created on first use, mode 0600.

Every gateway process that appends to one log must sign with the same key
(share the file, or mount the same secret), otherwise checkpoints made by
different processes would not verify against one public key.

Creation is race-free across processes: the key is written to a private
temporary file and hard-linked into place, which fails if another process
won the race, and then everybody reads the winner's key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from audit.checkpoint import Signer
from audit.errors import KeyFileError

KEY_MODE = 0o600


def load_or_create_signer(path: Path, origin: str) -> Signer:
    """The signer for ``origin`` from ``path``, creating the key if missing."""
    if not path.exists():
        _create(path)
    return Signer(origin, _load(path))


def load_signer(path: Path, origin: str) -> Signer:
    """The signer from an existing key file (the CLI must not invent a key)."""
    if not path.exists():
        raise KeyFileError(f"no audit signing key at {path}")
    return Signer(origin, _load(path))


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _load(path: Path) -> Ed25519PrivateKey:
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the audit signing key at {path}") from exc
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise KeyFileError(f"audit signing key {path} is writable by others; chmod 600 it")
    try:
        key = load_pem_private_key(data, password=None)
    except ValueError as exc:
        raise KeyFileError(f"{path} is not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} does not hold an Ed25519 key")
    return key
