from __future__ import annotations

import hashlib

from audit.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash


def test_leaf_and_node_use_distinct_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    # A node can never pass for a leaf over the same bytes.
    assert leaf_hash(b"a" * 32 + b"b" * 32) != node_hash(b"a" * 32, b"b" * 32)


def test_empty_root_is_hash_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert len(leaf_hash(b"x")) == HASH_SIZE


def test_rfc6962_known_leaf() -> None:
    # The first leaf of the transparency-dev / RFC 6962 test tree (empty data).
    assert (
        leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
