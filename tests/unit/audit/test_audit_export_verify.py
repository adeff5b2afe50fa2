"""Export bundles and their offline verification, including tampered bundles."""

from __future__ import annotations

import csv
import functools
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from audit import storage
from audit.bundle import ExportQuery, Manifest, format_ranges, parse_ranges
from audit.checkpoint import Signer, Verifier
from audit.errors import BundleError
from audit.export import export_bundle
from audit.keys import load_or_create_signer
from audit.records import canonical_bytes, from_canonical
from audit.verify import EMBEDDED_KEY, GIVEN_KEY, verify_bundle
from tests.unit.audit.audit_factories import ORIGIN, record

COUNT = 12


@pytest.fixture
def signer(key_path: Path) -> Signer:
    return load_or_create_signer(key_path, ORIGIN)


def _append(engine: Engine, first: int, count: int) -> None:
    with engine.begin() as conn:
        storage.claim_origin(conn, ORIGIN)
        entries = [
            storage.Entry.of(record(i), canonical_bytes(record(i)))
            for i in range(first, first + count)
        ]
        storage.append(conn, entries, None)


@pytest.fixture
def filled(engine: Engine) -> Engine:
    _append(engine, 0, COUNT)
    return engine


def _export(
    engine: Engine, signer: Signer, tmp_path: Path, fmt: str = "jsonl", **query: str
) -> Path:
    out = tmp_path / f"bundle-{fmt}.zip"
    export_bundle(engine, signer, ExportQuery(**query), out, fmt)
    return out


def _rewrite(bundle: Path, name: str, change: Callable[[bytes], bytes]) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        members = {item: archive.read(item) for item in archive.namelist()}
    members[name] = change(members[name])
    with zipfile.ZipFile(bundle, "w") as archive:
        for item, data in members.items():
            archive.writestr(item, data)
    return bundle


def test_jsonl_bundle_verifies(filled: Engine, signer: Signer, tmp_path: Path) -> None:
    bundle = _export(filled, signer, tmp_path)
    report = verify_bundle(bundle, signer.verifier)
    assert report.ok, report.problem
    assert report.records == COUNT and report.key_source == GIVEN_KEY
    assert report.checkpoint is not None and report.checkpoint.size == COUNT
    with zipfile.ZipFile(bundle) as archive:
        lines = archive.read("records.jsonl").splitlines()
        assert {"manifest.txt", "checkpoint.txt", "public-key.txt", "proofs.jsonl"} <= set(
            archive.namelist()
        )
    assert [from_canonical(line) for line in lines] == [record(i) for i in range(COUNT)]
    embedded = verify_bundle(bundle)
    assert embedded.ok and embedded.key_source == EMBEDDED_KEY


def test_csv_bundle_verifies_and_reads_as_a_sheet(
    filled: Engine, signer: Signer, tmp_path: Path
) -> None:
    bundle = _export(filled, signer, tmp_path, "csv")
    assert verify_bundle(bundle, signer.verifier).ok
    with zipfile.ZipFile(bundle) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("records.csv").decode())))
    assert len(rows) == COUNT
    assert rows[3]["request_id"] == "req-3" and rows[3]["index"] == "3"
    assert json.loads(rows[3]["usage"]) == {"completion_tokens": 5, "prompt_tokens": 13}


def test_filters_select_records(filled: Engine, signer: Signer, tmp_path: Path) -> None:
    bundle = _export(
        filled,
        signer,
        tmp_path,
        tenant="acme",
        start="2025-03-03T00:00:00.000Z",
        end="2025-03-11T00:00:00.000Z",
    )
    report = verify_bundle(bundle, signer.verifier)
    assert report.ok, report.problem
    with zipfile.ZipFile(bundle) as archive:
        found = [from_canonical(line) for line in archive.read("records.jsonl").splitlines()]
        manifest = Manifest.parse(signer.verifier.open(archive.read("manifest.txt").decode()))
    assert [r.request_id for r in found] == ["req-2", "req-4", "req-6", "req-8"]
    assert manifest.indexes == (2, 4, 6, 8) and manifest.query.tenant == "acme"
    subject = _export(filled, signer, tmp_path, subject="psn_subject1")
    assert verify_bundle(subject, signer.verifier).records == 3  # 1, 6, 11


def test_wrong_key_is_refused(filled: Engine, signer: Signer, tmp_path: Path) -> None:
    bundle = _export(filled, signer, tmp_path)
    other = Signer(ORIGIN, Ed25519PrivateKey.generate()).verifier
    report = verify_bundle(bundle, other)
    assert not report.ok and "checkpoint" in str(report.problem)
    # A forger who replaces the embedded key is caught by a pinned key only.
    forged = _rewrite(bundle, "public-key.txt", lambda _: other.vkey.encode())
    assert not verify_bundle(forged).ok


def test_since_checkpoint(filled: Engine, signer: Signer, tmp_path: Path) -> None:
    first = _export(filled, signer, tmp_path)
    with zipfile.ZipFile(first) as archive:
        old_note = archive.read("checkpoint.txt").decode()
    _append(filled, COUNT, 7)
    out = tmp_path / "later.zip"
    export_bundle(filled, signer, ExportQuery(), out, "jsonl", since_size=COUNT)
    report = verify_bundle(out, signer.verifier, old_note)
    assert report.ok, report.problem
    assert report.since_size == COUNT
    same = verify_bundle(first, signer.verifier, old_note)
    assert same.ok
    without = tmp_path / "without.zip"
    export_bundle(filled, signer, ExportQuery(), without)
    missing = verify_bundle(without, signer.verifier, old_note)
    assert not missing.ok and "consistency proof" in str(missing.problem)


def test_forked_log_fails_consistency(
    filled: Engine, signer: Signer, tmp_path: Path, key_path: Path
) -> None:
    first = _export(filled, signer, tmp_path)
    with zipfile.ZipFile(first) as archive:
        old_note = archive.read("checkpoint.txt").decode()
    # Same key, different history: a second database rewritten from scratch.
    from tests.unit.audit.audit_factories import sqlite_engine

    forked = sqlite_engine(tmp_path / "fork.db")
    with forked.begin() as conn:
        storage.claim_origin(conn, ORIGIN)
        entries = [
            storage.Entry.of(record(i + 100), canonical_bytes(record(i + 100))) for i in range(20)
        ]
        storage.append(conn, entries, None)
    out = tmp_path / "fork.zip"
    export_bundle(forked, signer, ExportQuery(), out, "jsonl", since_size=COUNT)
    report = verify_bundle(out, signer.verifier, old_note)
    assert not report.ok and "rewritten" in str(report.problem)
    forked.dispose()


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def _join(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def _apply(change: Callable[[list[bytes]], list[bytes]], data: bytes) -> bytes:
    return _join(change(_lines(data)))


@pytest.mark.parametrize("position", range(COUNT))
def test_changing_any_byte_of_any_record_is_caught(
    filled: Engine, signer: Signer, tmp_path: Path, position: int
) -> None:
    bundle = _export(filled, signer, tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        length = len(_lines(archive.read("records.jsonl"))[position])
    for offset in range(0, length, max(1, length // 9)):

        def flip(data: bytes, offset: int = offset) -> bytes:
            lines = _lines(data)
            line = bytearray(lines[position])
            line[offset] ^= 0x01
            lines[position] = bytes(line)
            return _join(lines)

        copy = tmp_path / f"flip-{offset}.zip"
        copy.write_bytes(bundle.read_bytes())
        report = verify_bundle(_rewrite(copy, "records.jsonl", flip), signer.verifier)
        assert not report.ok
        assert report.problem is not None and report.problem.index == position


@pytest.mark.parametrize("files", [("records.jsonl",), ("records.jsonl", "proofs.jsonl")])
def test_dropped_swapped_inserted_records_are_caught(
    filled: Engine, signer: Signer, tmp_path: Path, files: tuple[str, ...]
) -> None:
    def drop(lines: list[bytes]) -> list[bytes]:
        return lines[:5] + lines[6:]

    def swap(lines: list[bytes]) -> list[bytes]:
        lines[5], lines[8] = lines[8], lines[5]
        return lines

    def insert(lines: list[bytes]) -> list[bytes]:
        return [*lines[:5], lines[3], *lines[5:]]

    def append(lines: list[bytes]) -> list[bytes]:
        return [*lines, lines[0]]

    for name, change in (("drop", drop), ("swap", swap), ("insert", insert), ("append", append)):
        bundle = _export(filled, signer, tmp_path)
        for member in files:
            _rewrite(bundle, member, functools.partial(_apply, change))
        report = verify_bundle(bundle, signer.verifier)
        assert not report.ok, name
        assert report.problem is not None
        expected = COUNT if name == "append" else 5
        assert report.problem.position == expected, (name, report.problem)


def test_manifest_or_checkpoint_edits_are_caught(
    filled: Engine, signer: Signer, tmp_path: Path
) -> None:
    bundle = _export(filled, signer, tmp_path)
    cut = _rewrite(bundle, "manifest.txt", lambda d: d.replace(b"indexes 0-11", b"indexes 0-10"))
    assert "manifest" in str(verify_bundle(cut, signer.verifier).problem)
    bundle = _export(filled, signer, tmp_path)
    grown = _rewrite(bundle, "checkpoint.txt", lambda d: d.replace(b"\n12\n", b"\n13\n"))
    assert "checkpoint" in str(verify_bundle(grown, signer.verifier).problem)


def test_csv_edits_are_caught(filled: Engine, signer: Signer, tmp_path: Path) -> None:
    bundle = _export(filled, signer, tmp_path, "csv")
    edited = _rewrite(bundle, "records.csv", lambda d: d.replace(b"req-4,", b"req-5,", 1))
    report = verify_bundle(edited, signer.verifier)
    assert report.problem is not None and report.problem.index == 4
    assert "CSV columns" in report.problem.reason
    bundle = _export(filled, signer, tmp_path, "csv")
    dropped = _rewrite(
        bundle, "records.csv", lambda d: b"\r\n".join(d.split(b"\r\n")[:3] + d.split(b"\r\n")[4:])
    )
    assert verify_bundle(dropped, signer.verifier).problem is not None


def test_spreadsheet_formulas_are_defused(engine: Engine, signer: Signer, tmp_path: Path) -> None:
    with engine.begin() as conn:
        storage.claim_origin(conn, ORIGIN)
        evil = record(0, model='=HYPERLINK("x")', detail={"note": "'quoted"})
        storage.append(conn, [storage.Entry.of(evil, canonical_bytes(evil))], None)
    bundle = _export(engine, signer, tmp_path, "csv")
    with zipfile.ZipFile(bundle) as archive:
        text = archive.read("records.csv").decode()
    assert "'=HYPERLINK" in text
    assert verify_bundle(bundle, signer.verifier).ok


def test_not_a_bundle(tmp_path: Path, signer: Signer) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert not verify_bundle(junk, signer.verifier).ok
    with pytest.raises(BundleError):
        export_bundle(None, signer, ExportQuery(), junk, "xml")  # type: ignore[arg-type]


def test_index_ranges_round_trip() -> None:
    assert format_ranges([0, 1, 2, 3, 5, 9, 10]) == "0-3,5,9-10"
    assert format_ranges([]) == "-"
    assert list(parse_ranges("0-3,5,9-10")) == [0, 1, 2, 3, 5, 9, 10]
    for bad in ("3-1", "5,4", "x"):
        with pytest.raises(ValueError):
            list(parse_ranges(bad))


def test_vkey_from_bundle_matches_signer(filled: Engine, signer: Signer, tmp_path: Path) -> None:
    bundle = _export(filled, signer, tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        assert Verifier.from_vkey(archive.read("public-key.txt").decode()) == signer.verifier
