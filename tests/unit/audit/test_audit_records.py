from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from audit.errors import RecordError
from audit.records import (
    admin_record,
    canonical_bytes,
    format_time,
    from_canonical,
    parse_time_bound,
)
from tests.unit.audit.audit_factories import record

GOLDEN = (
    b'{"actions":{"tokenized":2},"detail":{},"entities":{"EMAIL_ADDRESS":1,"PERSON":1},'
    b'"key_id":"key-1","kind":"call","latency_ms":13.500,"method":"POST","model":"gpt-4o-mini",'
    b'"objects":["resp_1"],"path":"/v1/chat/completions","request_id":"req-1","status":200,'
    b'"subject":"psn_subject1","tenant":"globex","time":"2025-03-02T10:01:00.001Z",'
    b'"usage":{"completion_tokens":5,"prompt_tokens":11},"v":1}'
)


def test_canonical_bytes_are_fixed() -> None:
    """The documented format, byte for byte: a change here breaks old logs."""
    assert canonical_bytes(record(1)) == GOLDEN
    assert from_canonical(GOLDEN) == record(1)


def test_dict_order_does_not_matter() -> None:
    a = record(2, usage={"a": 1, "b": 2}, detail={"y": "1", "x": "2"})
    b = record(2, usage={"b": 2, "a": 1}, detail={"x": "2", "y": "1"})
    assert canonical_bytes(a) == canonical_bytes(b)


def test_keys_sort_by_utf16_code_units() -> None:
    # U+1F600 is a surrogate pair (D83D ...), which sorts before U+FFFF in UTF-16.
    data = canonical_bytes(record(0, detail={"\uffff": "a", "\U0001f600": "b"}))
    assert data.index("\U0001f600".encode()) < data.index("\uffff".encode())


def test_string_escapes_follow_rfc8785() -> None:
    data = canonical_bytes(record(0, detail={"k": 'a"b\\c\n\t\x01\x7f\u2028é'}))
    assert '"k":"a\\"b\\\\c\\n\\t\\u0001\x7f\u2028é"'.encode() in data


def test_latency_is_fixed_point() -> None:
    assert b'"latency_ms":0.000' in canonical_bytes(record(0, latency_ms=-0.0))
    assert b'"latency_ms":1234.568' in canonical_bytes(record(0, latency_ms=1234.5678))
    assert b'"latency_ms":7.000' in canonical_bytes(record(0, latency_ms=7))


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "alice@example.com"},
        {"path": "/v1/chat/completions?user=alice"},
        {"time": "2025-03-01 10:00:00"},
        {"time": "2025-02-30T10:00:00.000Z"},
        {"kind": "other"},
        {"status": True},
        {"status": 1000},
        {"latency_ms": float("nan")},
        {"latency_ms": -1.0},
        {"usage": {"tokens": -1}},
        {"entities": {"PERSON": 1.5}},
        {"objects": "resp_1"},
        {"detail": {"k": 1}},
        {"model": "x" * 5000},
        {"request_id": "\ud800"},
    ],
)
def test_bad_records_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(RecordError):
        canonical_bytes(record(0, **changes))


@pytest.mark.parametrize(
    "data",
    [
        GOLDEN.replace(b'"status":200', b'"status": 200'),
        GOLDEN.replace(b"13.500", b"13.5"),
        GOLDEN.replace(b'"v":1', b'"v":2'),
        GOLDEN[:-1] + b',"extra":1}',
        GOLDEN[:-1] + b',"v":1}',
        b"\xff" + GOLDEN,
        b"[]",
    ],
)
def test_non_canonical_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(RecordError):
        from_canonical(data)


def test_time_helpers() -> None:
    moment = datetime(2025, 1, 2, 3, 4, 5, 678_999, tzinfo=timezone(timedelta(hours=2)))
    assert format_time(moment) == "2025-01-02T01:04:05.678Z"
    with pytest.raises(RecordError):
        format_time(datetime(2025, 1, 1))  # naive: the point of the test
    assert parse_time_bound("2025-01-02") == "2025-01-02T00:00:00.000Z"
    assert parse_time_bound("2025-01-02T10:00:00+01:00") == "2025-01-02T09:00:00.000Z"
    for bad in ("yesterday", "2025-01-02T10:00:00"):
        with pytest.raises(RecordError):
            parse_time_bound(bad)
    assert format_time(datetime(2025, 1, 1, tzinfo=UTC)).endswith(".000Z")


def test_admin_record_names_its_action() -> None:
    made = admin_record(
        "audit.export", {"records": "3"}, request_id="r", method="GET", path="/admin/audit/export"
    )
    assert made.kind == "admin"
    assert made.detail == {"action": "audit.export", "records": "3"}
    assert from_canonical(canonical_bytes(made)) == made
