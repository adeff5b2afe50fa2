"""The export bundle format, shared by the exporter and the offline verifier.

A bundle is one ZIP file::

    manifest.txt      signed note: what was exported (see Manifest), signed
                      with the log's key, so a dropped, added or reordered
                      record is caught even though each survivor still verifies
    checkpoint.txt    the signed checkpoint the proofs lead to; keep it and
                      pass it as --since-checkpoint next time
    public-key.txt    the log's verifier key (C2SP vkey), for convenience only:
                      an auditor should pin the key they got out of band
    records.jsonl     format jsonl: one record a line, each line exactly the
                      canonical bytes of the leaf (no trailing newline in the
                      hashed bytes)
    records.csv       format csv: one row a record, readable columns plus a
                      `canonical` column holding the exact leaf bytes
    proofs.jsonl      one line a record, same order:
                      {"index": i, "leaf_hash": b64, "inclusion": [b64, ...]}
    consistency.json  optional: [{"from_size", "from_root", "proof"}], proofs
                      that the checkpoint extends earlier ones
    README.txt        how to verify

In the CSV, a cell whose text starts with ``= + - @``, a tab, a carriage
return or ``'`` is prefixed with ``'`` so that spreadsheet programs do not run
it as a formula; the verifier strips exactly that one ``'`` before comparing
with the record.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from audit.errors import BundleError, CheckpointError
from audit.records import AuditRecord, to_mapping

MANIFEST = "manifest.txt"
CHECKPOINT = "checkpoint.txt"
PUBLIC_KEY = "public-key.txt"
RECORDS_JSONL = "records.jsonl"
RECORDS_CSV = "records.csv"
PROOFS = "proofs.jsonl"
CONSISTENCY = "consistency.json"
README = "README.txt"
FORMATS = ("jsonl", "csv")
HEADER = "piigate audit export v1"
CSV_COLUMNS = (
    "index", "time", "request_id", "kind", "key_id", "tenant", "subject", "method", "path",
    "model", "status", "latency_ms", "usage", "entities", "actions", "objects", "detail",
    "canonical",
)  # fmt: skip
_GUARDED_START = ("=", "+", "-", "@", "\t", "\r", "'")

VERIFY_HELP = """This is a piigate audit export bundle.

Verify it offline, without access to the gateway's database:

    piigate audit verify THIS_FILE --public-key 'origin+hash+key'

Use the public key you obtained from the operator out of band; without
--public-key the key inside the bundle is used, which proves integrity only
if that key is the one you trust. Add --since-checkpoint OLD.txt with the
checkpoint.txt of an earlier bundle to check that nothing was rewritten since.
"""


@dataclass(frozen=True)
class ExportQuery:
    """Which records to export: ``start <= time < end``, tenant, subject pseudonym."""

    start: str | None = None
    end: str | None = None
    tenant: str | None = None
    subject: str | None = None

    def matches(self, record: AuditRecord) -> bool:
        return (
            (self.start is None or record.time >= self.start)
            and (self.end is None or record.time < self.end)
            and (self.tenant is None or record.tenant == self.tenant)
            and (self.subject is None or record.subject == self.subject)
        )


@dataclass(frozen=True)
class Manifest:
    """What an export holds; signed, so the set and order of records is fixed."""

    origin: str
    tree_size: int
    root: bytes
    indexes: tuple[int, ...]
    query: ExportQuery
    fmt: str
    created: str

    def text(self) -> str:
        lines = [
            HEADER,
            f"origin {self.origin}",
            f"tree-size {self.tree_size}",
            f"root {base64.b64encode(self.root).decode()}",
            f"records {len(self.indexes)}",
            f"indexes {format_ranges(self.indexes)}",
            f"from {json.dumps(self.query.start)}",
            f"to {json.dumps(self.query.end)}",
            f"tenant {json.dumps(self.query.tenant)}",
            f"subject {json.dumps(self.query.subject)}",
            f"format {self.fmt}",
            f"created {self.created}",
        ]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Manifest:
        lines = text.rstrip("\n").split("\n")
        if not lines or lines[0] != HEADER:
            raise CheckpointError("not a piigate export manifest")
        fields = dict(line.partition(" ")[::2] for line in lines[1:])
        try:
            indexes = tuple(parse_ranges(fields["indexes"]))
            if len(indexes) != int(fields["records"]):
                raise CheckpointError("manifest record count disagrees with its index list")
            keys = ("from", "to", "tenant", "subject")
            query = ExportQuery(*(_optional(fields[key]) for key in keys))
            return cls(
                origin=fields["origin"],
                tree_size=int(fields["tree-size"]),
                root=base64.b64decode(fields["root"], validate=True),
                indexes=indexes,
                query=query,
                fmt=fields["format"],
                created=fields["created"],
            )
        except (KeyError, ValueError) as exc:
            raise CheckpointError("manifest is incomplete or malformed") from exc


def _optional(encoded: str) -> str | None:
    value = json.loads(encoded)
    if value is not None and not isinstance(value, str):
        raise ValueError("manifest filter values are strings or null")
    return value


def format_ranges(indexes: Sequence[int]) -> str:
    """``0-3,5,9-20`` for ascending indexes; ``-`` for none."""
    parts: list[str] = []
    position = 0
    while position < len(indexes):
        first = last = indexes[position]
        while position + 1 < len(indexes) and indexes[position + 1] == last + 1:
            position += 1
            last = indexes[position]
        parts.append(str(first) if first == last else f"{first}-{last}")
        position += 1
    return ",".join(parts) or "-"


def parse_ranges(text: str) -> Iterable[int]:
    if text == "-":
        return []
    out: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if low > high or (out and low <= out[-1]):
            raise ValueError("index ranges must ascend")
        out.extend(range(low, high + 1))
    return out


def proof_line(index: int, leaf: bytes, inclusion: Sequence[bytes]) -> bytes:
    data = {
        "index": index,
        "leaf_hash": b64(leaf),
        "inclusion": [b64(h) for h in inclusion],
    }
    return json.dumps(data, separators=(",", ":")).encode() + b"\n"


def parse_proof_line(line: bytes) -> tuple[int, bytes, list[bytes]]:
    try:
        data = json.loads(line)
        index = data["index"]
        if not isinstance(index, int) or isinstance(index, bool):
            raise ValueError("index is not an integer")
        leaf = base64.b64decode(data["leaf_hash"], validate=True)
        return index, leaf, [base64.b64decode(h, validate=True) for h in data["inclusion"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError("malformed proof line") from exc


def csv_row(index: int, record: AuditRecord, canonical: bytes) -> list[str]:
    """The spreadsheet view of a record (see the module docstring)."""
    data = to_mapping(record)
    cells: list[str] = [str(index)]
    for column in CSV_COLUMNS[1:-1]:
        cells.append(_cell(data[column]))
    cells.append(canonical.decode("utf-8"))
    return [_defuse(cell) for cell in cells]


def undefuse(cell: str) -> str:
    """Undo the formula guard of :func:`csv_row`."""
    return cell[1:] if cell.startswith("'") else cell


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _defuse(cell: str) -> str:
    return "'" + cell if cell.startswith(_GUARDED_START) else cell


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
