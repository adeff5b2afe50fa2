"""Errors the vault raises, and why each exists.

::

    VaultError                      anything the vault refuses or cannot do
    ├── VaultUnavailable            the database failed (down, locked, timed out);
    │                               the caller should fail closed and may retry later
    ├── VaultCorrupted              stored bytes do not authenticate under the key
    │                               (wrong KEK, tampered row, truncated envelope)
    └── InvalidMasterKey            the KEK is not 32 bytes (also a ValueError:
                                    it is a configuration mistake, found at start)

Messages name what failed (a table, a scope's row id, an envelope version),
never a value, a subject id or key material: errors end up in logs.
"""

from __future__ import annotations


class VaultError(Exception):
    """Base class: the gateway maps every VaultError to a refused request."""


class VaultUnavailable(VaultError):
    """The database could not be used; the operation did not happen."""


class VaultCorrupted(VaultError):
    """Ciphertext, wrapped key or envelope failed authentication."""


class InvalidMasterKey(VaultError, ValueError):
    """The key-encryption key has the wrong shape."""
