"""Audit records and their canonical bytes (the Merkle leaves).

A leaf commits to exact bytes, so the bytes must not depend on the Python
version, dict order or float formatting: anyone re-serialising a record they
read from an export must get the same bytes, or verification would be a
matter of luck. The canonical form is RFC 8785 (JSON Canonicalization Scheme)
restricted to the shapes a record has, plus one fixed-point rule for floats:

* one JSON object, UTF-8, no whitespace anywhere, no trailing newline;
* object keys sorted by their UTF-16 code units (RFC 8785 section 3.2.3),
  at every level;
* strings escaped as RFC 8785 (and ``JSON.stringify``) do: ``\\"``, ``\\\\``,
  ``\\b \\f \\n \\r \\t``, other control characters as ``\\u00xx`` (lower-case
  hex), everything else literal UTF-8;
* integers in plain decimal; ``latency_ms``, the only float, rounded to 3
  decimals and always written with exactly 3 (``12.000``), never an exponent;
* absent values are ``null``; a ``"v": 1`` member names the format version.

Parsing (:func:`from_canonical`) re-encodes and refuses anything that is not
already canonical, so what a reader sees is exactly what the leaf commits to.

Guards against personal data reaching the log: ``subject`` must be a
pseudonym (``psn_...``, from ``vault.Vault.pseudonym``) and ``path`` must not
carry a query string. Content (prompts, values, tokens) has no field at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from audit.errors import RecordError

FORMAT_VERSION = 1
PSEUDONYM_PREFIX = "psn_"
TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
LATENCY_DECIMALS = 3
MAX_STRING = 4096
# Below 2**53 / 10**3, so a 3-decimal value survives a round trip through a double.
MAX_LATENCY_MS = 1e12
Kind = Literal["call", "admin"]


@dataclass(frozen=True)
class AuditRecord:
    """One proxied call or one admin action; never a personal value."""

    time: str
    request_id: str
    kind: Kind
    key_id: str | None
    tenant: str | None
    subject: str | None
    method: str
    path: str
    model: str | None
    status: int
    latency_ms: float
    usage: dict[str, int] = field(default_factory=dict)
    entities: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    objects: list[str] = field(default_factory=list)
    detail: dict[str, str] = field(default_factory=dict)


FIELDS = (
    "time", "request_id", "kind", "key_id", "tenant", "subject", "method", "path",
    "model", "status", "latency_ms", "usage", "entities", "actions", "objects", "detail",
)  # fmt: skip


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, the only time shape a record accepts."""
    if moment.tzinfo is None:
        raise RecordError("record times must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def now() -> str:
    """The current time in record format."""
    return format_time(datetime.now(UTC))


def parse_time_bound(text: str) -> str:
    """A date or RFC 3339 time as a record-format bound (dates mean 00:00 UTC).

    Export filters compare record times as text, which is correct only when
    both sides have this exact shape.
    """
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise RecordError("a time bound must be a date or an RFC 3339 time") from exc
    if moment.tzinfo is None:
        if len(text) > len("YYYY-MM-DD"):
            raise RecordError("a time bound with a clock time needs a UTC offset or Z")
        moment = moment.replace(tzinfo=UTC)
    return format_time(moment)


def admin_record(
    action: str,
    detail: Mapping[str, str],
    *,
    request_id: str,
    method: str,
    path: str,
    key_id: str | None = None,
    tenant: str | None = None,
    subject: str | None = None,
    status: int = 200,
    latency_ms: float = 0.0,
) -> AuditRecord:
    """The record of one admin action; ``detail`` says what, never a value."""
    return AuditRecord(
        time=now(),
        request_id=request_id,
        kind="admin",
        key_id=key_id,
        tenant=tenant,
        subject=subject,
        method=method,
        path=path,
        model=None,
        status=status,
        latency_ms=latency_ms,
        detail={"action": action, **detail},
    )


def canonical_bytes(record: AuditRecord) -> bytes:
    """The record's canonical bytes, after checking every field's shape."""
    members = _validated(record)
    members["v"] = FORMAT_VERSION
    return _encode(members).encode("utf-8")


def from_canonical(data: bytes) -> AuditRecord:
    """Parse canonical bytes back into a record; refuse anything non-canonical."""
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RecordError("record is not UTF-8 JSON") from exc
    if not isinstance(parsed, dict) or set(parsed) != {*FIELDS, "v"}:
        raise RecordError("record does not have exactly the expected members")
    if parsed.pop("v") != FORMAT_VERSION:
        raise RecordError("unknown record format version")
    record = AuditRecord(**parsed)
    if canonical_bytes(record) != data:
        raise RecordError("record bytes are not in canonical form")
    return record


def to_mapping(record: AuditRecord) -> dict[str, Any]:
    """The record as plain JSON-able data (for CSV columns and the API)."""
    return _validated(record)


def _validated(record: AuditRecord) -> dict[str, Any]:
    if not isinstance(record.time, str) or not TIME_RE.fullmatch(record.time):
        raise RecordError("time must be RFC 3339 UTC with milliseconds")
    try:
        datetime.strptime(record.time, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError as exc:
        raise RecordError("time is not a real date") from exc
    if record.kind not in ("call", "admin"):
        raise RecordError("kind must be 'call' or 'admin'")
    if record.subject is not None and not str(record.subject).startswith(PSEUDONYM_PREFIX):
        raise RecordError("subject must be a pseudonym, never a raw subject id")
    if "?" in str(record.path) or "#" in str(record.path):
        raise RecordError("path must not carry a query string or fragment")
    if not _is_int(record.status) or not 0 <= record.status <= 999:
        raise RecordError("status must be an integer status code")
    latency = record.latency_ms
    if _is_int(latency):
        latency = float(latency)
    if not isinstance(latency, float) or not 0 <= latency < MAX_LATENCY_MS:
        raise RecordError("latency_ms must be a non-negative number of milliseconds")
    return {
        "time": record.time,
        "request_id": _text(record.request_id, "request_id"),
        "kind": record.kind,
        "key_id": _optional_text(record.key_id, "key_id"),
        "tenant": _optional_text(record.tenant, "tenant"),
        "subject": _optional_text(record.subject, "subject"),
        "method": _text(record.method, "method"),
        "path": _text(record.path, "path"),
        "model": _optional_text(record.model, "model"),
        "status": record.status,
        # "+ 0.0" turns -0.0 into 0.0, so zero has one spelling.
        "latency_ms": round(latency, LATENCY_DECIMALS) + 0.0,
        "usage": _counts(record.usage, "usage"),
        "entities": _counts(record.entities, "entities"),
        "actions": _counts(record.actions, "actions"),
        "objects": [_text(item, "objects") for item in _list(record.objects, "objects")],
        "detail": {
            _text(k, "detail"): _text(v, "detail") for k, v in _dict(record.detail, "detail")
        },
    }


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_STRING:
        raise RecordError(f"{name} must be a string of at most {MAX_STRING} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RecordError(f"{name} is not valid Unicode") from exc
    return value


def _optional_text(value: object, name: str) -> str | None:
    return None if value is None else _text(value, name)


def _list(value: object, name: str) -> list[object]:
    if not isinstance(value, list | tuple):
        raise RecordError(f"{name} must be a list")
    return list(value)


def _dict(value: object, name: str) -> list[tuple[object, object]]:
    if not isinstance(value, Mapping):
        raise RecordError(f"{name} must be a mapping")
    return list(value.items())


def _counts(value: object, name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, count in _dict(value, name):
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise RecordError(f"{name} values must be non-negative integers")
        out[_text(key, name)] = count
    return out


def _encode(value: object) -> str:
    """RFC 8785 encoding of the few shapes a record holds."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{LATENCY_DECIMALS}f}"
    if isinstance(value, str):
        # json.dumps(ensure_ascii=False) escapes exactly the RFC 8785 set.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))
        return "{" + ",".join(f"{_encode(key)}:{_encode(value[key])}" for key in keys) + "}"
    raise RecordError(f"cannot encode a {type(value).__name__}")
