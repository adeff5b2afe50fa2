"""RFC 9162 section 2.1.1 hashing: the only two hash shapes in the tree.

A leaf is ``SHA-256(0x00 || data)`` and an interior node is
``SHA-256(0x01 || left || right)``. The distinct prefixes are what stop a
second-preimage attack that passes an interior node off as a leaf, so nothing
else in the package is allowed to hash tree material by hand.
"""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
# MTH({}) of RFC 9162: the hash of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf's data (the canonical bytes of one audit record)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node from its two children's hashes."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()
