"""Offline verification of an export bundle: no database, no gateway.

What holds when :func:`verify_bundle` reports ``ok``:

1. the checkpoint is signed by the key (the one given, or else the one in the
   bundle; the report says which);
2. the manifest is signed by the same key and names the same tree;
3. record by record, in order: its index is the next one the manifest lists,
   its bytes hash to a leaf whose inclusion proof leads to the signed root,
   the bytes are canonical, the record matches the export's filter and, in a
   CSV bundle, every readable column says what the canonical bytes say;
4. no record is missing and none is extra;
5. with ``since_checkpoint``: that earlier checkpoint (same key) is
   consistent with this one, by the consistency proof in the bundle.

It stops at the first thing that does not hold and names it: the record's
position in the bundle and its leaf index.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from audit import bundle
from audit.bundle import Manifest
from audit.checkpoint import Checkpoint, Verifier, open_checkpoint
from audit.errors import AuditError, BundleError
from audit.hashing import leaf_hash
from audit.proofs import verify_consistency, verify_inclusion
from audit.records import from_canonical

_T = TypeVar("_T")
GIVEN_KEY = "the public key given on the command line"
EMBEDDED_KEY = "the public key embedded in the bundle; pin your own with --public-key"


@dataclass(frozen=True)
class Problem:
    """The first thing found broken; ``position`` counts records from 0."""

    reason: str
    position: int | None = None
    index: int | None = None

    def __str__(self) -> str:
        where = []
        if self.index is not None:
            where.append(f"record index {self.index}")
        if self.position is not None:
            where.append(f"position {self.position} in the bundle")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


@dataclass(frozen=True)
class VerifyReport:
    key_source: str
    vkey: str | None
    checkpoint: Checkpoint | None
    records: int
    since_size: int | None
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Broken(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class _State:
    key_source: str = GIVEN_KEY
    vkey: str | None = None
    checkpoint: Checkpoint | None = None
    records: int = 0
    since_size: int | None = None


def verify_bundle(
    path: Path, public_key: Verifier | None = None, since_checkpoint: str | None = None
) -> VerifyReport:
    """Check a bundle as described in the module docstring."""
    state = _State()
    problem: Problem | None = None
    try:
        with zipfile.ZipFile(path) as archive:
            _verify(archive, public_key, since_checkpoint, state)
    except _Broken as broken:
        problem = broken.problem
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        problem = Problem(f"not a readable bundle ({type(exc).__name__})")
    return VerifyReport(
        state.key_source, state.vkey, state.checkpoint, state.records, state.since_size, problem
    )


def _verify(
    archive: zipfile.ZipFile, key: Verifier | None, since: str | None, state: _State
) -> None:
    if key is None:
        state.key_source = EMBEDDED_KEY
        key = _guard(lambda: Verifier.from_vkey(_text(archive, bundle.PUBLIC_KEY)), "public key")
    state.vkey = key.vkey
    checkpoint = _guard(
        lambda: open_checkpoint(_text(archive, bundle.CHECKPOINT), key), "checkpoint"
    )
    state.checkpoint = checkpoint
    manifest = _guard(lambda: Manifest.parse(key.open(_text(archive, bundle.MANIFEST))), "manifest")
    if (manifest.origin, manifest.tree_size, manifest.root) != (
        checkpoint.origin,
        checkpoint.size,
        checkpoint.root,
    ):
        raise _Broken(Problem("manifest and checkpoint describe different trees"))
    _verify_records(archive, manifest, state)
    if since is not None:
        _verify_since(archive, key, checkpoint, since, state)


def _verify_records(archive: zipfile.ZipFile, manifest: Manifest, state: _State) -> None:
    with archive.open(bundle.PROOFS) as proof_file:
        proof_lines = _lines(proof_file)
        position = -1
        for position, (body, row) in enumerate(_records(archive, manifest.fmt)):
            proof_line = next(proof_lines, None)
            if proof_line is None:
                raise _Broken(Problem("record has no proof line", position))
            index = _check_index(manifest, position, proof_line)
            _check_record(manifest, position, index, body, row, proof_line)
            state.records += 1
        if next(proof_lines, None) is not None:
            raise _Broken(Problem("more proof lines than records", position + 1))
    if state.records < len(manifest.indexes):
        missing = manifest.indexes[state.records]
        raise _Broken(Problem("record is missing from the bundle", state.records, missing))


def _check_index(manifest: Manifest, position: int, proof_line: bytes) -> int:
    index = _guard(lambda: bundle.parse_proof_line(proof_line)[0], "proof", position)
    if position >= len(manifest.indexes):
        raise _Broken(Problem("record is not listed in the signed manifest", position, index))
    expected = manifest.indexes[position]
    if index != expected:
        reason = f"expected index {expected} here, found {index}: missing, extra or reordered"
        raise _Broken(Problem(reason, position, expected))
    return index


def _check_record(
    manifest: Manifest,
    position: int,
    index: int,
    body: bytes,
    row: list[str] | None,
    proof_line: bytes,
) -> None:
    _, _, inclusion = bundle.parse_proof_line(proof_line)
    _guard(
        lambda: verify_inclusion(
            index, manifest.tree_size, leaf_hash(body), inclusion, manifest.root
        ),
        "record does not match its inclusion proof",
        position,
        index,
    )
    record = _guard(lambda: from_canonical(body), "record", position, index)
    if not manifest.query.matches(record):
        raise _Broken(Problem("record is outside the export's filter", position, index))
    if row is not None and row != bundle.csv_row(index, record, body):
        raise _Broken(Problem("CSV columns differ from the signed record", position, index))


def _verify_since(
    archive: zipfile.ZipFile, key: Verifier, current: Checkpoint, note: str, state: _State
) -> None:
    old = _guard(lambda: open_checkpoint(note, key), "earlier checkpoint")
    state.since_size = old.size
    if old.origin != current.origin or old.size > current.size:
        raise _Broken(Problem(f"earlier checkpoint (size {old.size}) is not an earlier state"))
    if old.size == current.size:
        if old.root != current.root:
            raise _Broken(Problem(f"two different trees signed at size {old.size}"))
        return
    entries = _guard(lambda: _consistency_entries(archive), "consistency proofs")
    proof = entries.get(old.size)
    if proof is None:
        reason = (
            f"bundle has no consistency proof from size {old.size}; "
            "export again with --since-checkpoint"
        )
        raise _Broken(Problem(reason))
    _guard(
        lambda: verify_consistency(old.size, current.size, proof, old.root, current.root),
        f"log was rewritten since the checkpoint at size {old.size}",
    )


def _consistency_entries(archive: zipfile.ZipFile) -> dict[int, list[bytes]]:
    if bundle.CONSISTENCY not in archive.namelist():
        return {}
    data = json.loads(_text(archive, bundle.CONSISTENCY))
    return {
        int(item["from_size"]): [base64.b64decode(h, validate=True) for h in item["proof"]]
        for item in data
    }


def _records(archive: zipfile.ZipFile, fmt: str) -> Iterator[tuple[bytes, list[str] | None]]:
    if fmt == "jsonl":
        with archive.open(bundle.RECORDS_JSONL) as handle:
            for line in _lines(handle):
                yield line, None
        return
    if fmt != "csv":
        raise _Broken(Problem(f"unknown bundle format {fmt!r}"))
    with archive.open(bundle.RECORDS_CSV) as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        if next(reader, None) != list(bundle.CSV_COLUMNS):
            raise _Broken(Problem("CSV header differs from the bundle format"))
        for row in reader:
            yield bundle.undefuse(row[-1]).encode("utf-8") if row else b"", row


def _lines(handle: IO[bytes]) -> Iterator[bytes]:
    for line in handle:
        yield line[:-1] if line.endswith(b"\n") else line


def _text(archive: zipfile.ZipFile, name: str) -> str:
    return archive.read(name).decode("utf-8")


def _guard(
    action: Callable[[], _T], what: str, position: int | None = None, index: int | None = None
) -> _T:
    try:
        return action()
    except (AuditError, BundleError, KeyError, ValueError, UnicodeDecodeError) as exc:
        raise _Broken(Problem(f"{what}: {exc}", position, index)) from exc
