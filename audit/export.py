"""Write an export bundle (format in :mod:`audit.bundle`) from the database.

The export first signs a fresh checkpoint (on demand), so the bundle proves
everything up to the moment it was made; then it reads the matching records
in index order and builds each one's inclusion proof, fetching the nodes of
a whole batch of proofs at once. Records and proofs are spooled to temporary
files, so a large export does not have to fit in memory, and the ZIP file is
renamed into place only when complete.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError

from audit import bundle, storage, tables
from audit.bundle import ExportQuery, Manifest
from audit.checkpoint import Signer
from audit.errors import BundleError, RecordError, StorageError
from audit.hashing import leaf_hash
from audit.records import AuditRecord, from_canonical, now

BATCH = 1000
SPOOL_BYTES = 16 << 20


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    records: int
    tree_size: int
    fmt: str
    checkpoint: str


def export_bundle(
    engine: Engine,
    signer: Signer,
    query: ExportQuery,
    out: Path,
    fmt: str = "jsonl",
    since_size: int | None = None,
) -> ExportSummary:
    """Write the bundle for ``query`` to ``out``; return what it holds."""
    if fmt not in bundle.FORMATS:
        raise BundleError(f"unknown export format {fmt!r}; use one of {', '.join(bundle.FORMATS)}")
    try:
        with engine.begin() as conn:
            signed = storage.make_checkpoint(conn, signer)
        with engine.connect() as conn, _Spool() as spool:
            indexes = _write_records(conn, query, signed.size, fmt, spool)
            consistency = _consistency(conn, since_size, signed.size)
            manifest = Manifest(
                signer.name, signed.size, signed.root, tuple(indexes), query, fmt, now()
            )
            _write_zip(out, spool, fmt, signer, manifest, signed.note, consistency)
    except SQLAlchemyError as exc:
        raise StorageError(f"reading the audit log failed ({type(exc).__name__})") from exc
    return ExportSummary(out, len(indexes), signed.size, fmt, signed.note)


class _Spool:
    """The two temporary files a bundle is assembled from."""

    def __enter__(self) -> _Spool:
        self.records: IO[bytes] = tempfile.SpooledTemporaryFile(SPOOL_BYTES)
        self.proofs: IO[bytes] = tempfile.SpooledTemporaryFile(SPOOL_BYTES)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.records.close()
        self.proofs.close()


def _write_records(
    conn: Connection, query: ExportQuery, size: int, fmt: str, spool: _Spool
) -> list[int]:
    text = io.TextIOWrapper(spool.records, encoding="utf-8", newline="") if fmt == "csv" else None
    writer = csv.writer(text) if text is not None else None
    if writer is not None:
        writer.writerow(bundle.CSV_COLUMNS)
    indexes: list[int] = []
    for batch in _matching(conn, query, size):
        proofs = storage.inclusion_proofs(conn, [row.index for row, _ in batch], size)
        for (row, record), inclusion in zip(batch, proofs, strict=True):
            indexes.append(row.index)
            spool.proofs.write(bundle.proof_line(row.index, row.leaf_hash, inclusion))
            if writer is not None:
                writer.writerow(bundle.csv_row(row.index, record, row.body))
            else:
                spool.records.write(row.body + b"\n")
    if text is not None:
        text.flush()
        text.detach()
    return indexes


def _matching(
    conn: Connection, query: ExportQuery, size: int
) -> Iterator[list[tuple[storage.StoredRecord, AuditRecord]]]:
    """Matching records below ``size``, in index order, a batch at a time.

    The columns narrow the scan; the parsed record decides, so a filter
    column edited in the database cannot smuggle a record into an export.
    """
    position = 0
    while position < size:
        statement = (
            select(tables.records)
            .where(tables.records.c.idx >= position, tables.records.c.idx < size)
            .order_by(tables.records.c.idx)
            .limit(BATCH)
        )
        if query.start is not None:
            statement = statement.where(tables.records.c.time >= query.start)
        if query.end is not None:
            statement = statement.where(tables.records.c.time < query.end)
        if query.tenant is not None:
            statement = statement.where(tables.records.c.tenant == query.tenant)
        if query.subject is not None:
            statement = statement.where(tables.records.c.subject == query.subject)
        rows = [storage.row_to_record(row) for row in conn.execute(statement)]
        if not rows:
            return
        batch = [(row, _parse(row)) for row in rows]
        yield [(row, record) for row, record in batch if query.matches(record)]
        position = rows[-1].index + 1


def _parse(row: storage.StoredRecord) -> AuditRecord:
    try:
        if leaf_hash(row.body) != row.leaf_hash:
            raise RecordError("leaf hash mismatch")
        return from_canonical(row.body)
    except RecordError as exc:
        raise StorageError(
            f"audit record {row.index} is damaged; run `piigate audit fsck`"
        ) from exc


def _consistency(conn: Connection, since: int | None, size: int) -> list[dict[str, object]]:
    if since is None:
        return []
    if not 0 < since <= size:
        raise BundleError(f"no consistency proof from size {since} to size {size}")
    old_root = storage.load_compact(conn, since).root()
    proof = storage.consistency_proof(conn, since, size)
    return [
        {
            "from_size": since,
            "from_root": bundle.b64(old_root),
            "proof": [bundle.b64(h) for h in proof],
        }
    ]


def _write_zip(
    out: Path,
    spool: _Spool,
    fmt: str,
    signer: Signer,
    manifest: Manifest,
    checkpoint_note: str,
    consistency: list[dict[str, object]],
) -> None:
    partial = out.with_name(out.name + ".partial")
    try:
        _fill_zip(partial, spool, fmt, signer, manifest, checkpoint_note, consistency)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)


def _fill_zip(
    path: Path,
    spool: _Spool,
    fmt: str,
    signer: Signer,
    manifest: Manifest,
    checkpoint_note: str,
    consistency: list[dict[str, object]],
) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(bundle.MANIFEST, signer.sign_note(manifest.text()))
        archive.writestr(bundle.CHECKPOINT, checkpoint_note)
        archive.writestr(bundle.PUBLIC_KEY, signer.verifier.vkey + "\n")
        archive.writestr(bundle.README, bundle.VERIFY_HELP)
        if consistency:
            archive.writestr(bundle.CONSISTENCY, json.dumps(consistency, indent=1))
        name = bundle.RECORDS_CSV if fmt == "csv" else bundle.RECORDS_JSONL
        for member, source in ((name, spool.records), (bundle.PROOFS, spool.proofs)):
            source.seek(0)
            with archive.open(member, "w") as target:
                shutil.copyfileobj(source, target)
