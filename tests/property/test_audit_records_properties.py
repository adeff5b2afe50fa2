"""Properties of canonical records: stable, parseable, order-independent."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.records import AuditRecord, canonical_bytes, from_canonical, to_mapping

_V = TypeVar("_V")
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
NAMES = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12)
COUNTS = st.dictionaries(NAMES, st.integers(0, 10**12), max_size=5)


@st.composite
def records(draw: st.DrawFn) -> AuditRecord:
    return AuditRecord(
        time=draw(st.sampled_from(["2025-01-01T00:00:00.000Z", "2030-12-31T23:59:59.999Z"])),
        request_id=draw(TEXT),
        kind=draw(st.sampled_from(["call", "admin"])),
        key_id=draw(st.none() | TEXT),
        tenant=draw(st.none() | TEXT),
        subject=draw(st.none() | TEXT.map(lambda t: "psn_" + t)),
        method=draw(st.sampled_from(["GET", "POST", "DELETE", "CLI"])),
        path=draw(TEXT.filter(lambda t: "?" not in t and "#" not in t)),
        model=draw(st.none() | TEXT),
        status=draw(st.integers(0, 999)),
        latency_ms=draw(st.floats(0, 1e9, allow_nan=False)),
        usage=draw(COUNTS),
        entities=draw(COUNTS),
        actions=draw(COUNTS),
        objects=draw(st.lists(TEXT, max_size=4)),
        detail=draw(st.dictionaries(NAMES, TEXT, max_size=4)),
    )


@settings(max_examples=200, deadline=None)
@given(records())
def test_round_trip_is_byte_stable(record: AuditRecord) -> None:
    data = canonical_bytes(record)
    parsed = from_canonical(data)
    assert canonical_bytes(parsed) == data
    assert b"\n" not in data  # control characters are always escaped
    assert json.loads(data) == {**to_mapping(record), "v": 1}


@settings(max_examples=100, deadline=None)
@given(records(), st.randoms())
def test_member_order_does_not_change_bytes(record: AuditRecord, rnd: random.Random) -> None:
    def shuffled(mapping: dict[str, _V]) -> dict[str, _V]:
        items = list(mapping.items())
        rnd.shuffle(items)
        return dict(items)

    other = dataclasses.replace(
        record,
        usage=shuffled(record.usage),
        entities=shuffled(record.entities),
        detail=shuffled(record.detail),
    )
    assert canonical_bytes(other) == canonical_bytes(record)
