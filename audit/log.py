"""The async face of the log: ``await log.append(record)`` with group commit.

One writer thread per :class:`AuditLog` owns every write. Callers (any
coroutine, on any event loop, or any thread) put their canonical record on a
queue and wait on a future; the writer takes everything queued so far and
writes it in one transaction, then resolves each caller's future with its
leaf index. While one batch commits the next one fills up, so under load a
commit is shared by many requests and appending costs each of them little
more than one commit's latency. A caller's await returns only once its
record is committed (durable); any failure resolves it with
:class:`~audit.errors.AuditError`, and the gateway then refuses the request.

Checkpoints are made by the same writer, so they never race its appends:
every ``checkpoint_every`` records, after ``checkpoint_seconds`` with
unsigned records, on demand, and on close.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import anyio
from sqlalchemy import Connection, Engine

from audit import storage
from audit.bundle import ExportQuery
from audit.checkpoint import Signer, Verifier
from audit.errors import AuditError, StorageError
from audit.export import ExportSummary, export_bundle
from audit.keys import load_or_create_signer
from audit.records import AuditRecord, canonical_bytes
from audit.tree import CompactRange

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Append:
    entry: storage.Entry
    future: Future[int]


@dataclass(frozen=True)
class _Checkpoint:
    future: Future[str]


class _Stop:
    """Queue sentinel: finish what is queued, sign, and exit."""


_Item = _Append | _Checkpoint | _Stop


class AuditLog:
    """Append-only, Merkle-hashed audit log over a shared SQLAlchemy engine."""

    def __init__(
        self,
        engine: Engine,
        signing_key_path: Path,
        origin: str,
        checkpoint_every: int = 1000,
        checkpoint_seconds: float = 60.0,
        max_batch: int = 512,
    ) -> None:
        if checkpoint_every < 1 or checkpoint_seconds <= 0 or max_batch < 1:
            raise AuditError("checkpoint_every, checkpoint_seconds and max_batch must be positive")
        self.engine = engine
        self.signer: Signer = load_or_create_signer(signing_key_path, origin)
        self._every = checkpoint_every
        self._seconds = checkpoint_seconds
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        # Writer-thread state: touched only by the writer once it runs.
        self._compact: CompactRange | None = None
        self._origin_claimed = False
        self._signed_size = 0
        self._unsigned = 0
        self._deadline = 0.0

    @property
    def verifier(self) -> Verifier:
        """The public half of the signing key (``.vkey`` prints it)."""
        return self.signer.verifier

    async def append(self, record: AuditRecord) -> int:
        """Append one record; return its leaf index once it is committed."""
        entry = storage.Entry.of(record, canonical_bytes(record))
        future: Future[int] = Future()
        self._submit(_Append(entry, future))
        # Shielded: a cancelled request still gets its record written.
        return await asyncio.shield(asyncio.wrap_future(future))

    async def checkpoint(self) -> str:
        """Sign the log as it is now; return the signed note."""
        future: Future[str] = Future()
        self._submit(_Checkpoint(future))
        return await asyncio.shield(asyncio.wrap_future(future))

    async def export(
        self, query: ExportQuery, out: Path, fmt: str = "jsonl", since_size: int | None = None
    ) -> ExportSummary:
        """Write an export bundle (see :mod:`audit.export`) off the event loop."""
        return await anyio.to_thread.run_sync(
            lambda: export_bundle(self.engine, self.signer, query, out, fmt, since_size)
        )

    async def aclose(self) -> None:
        """Write what is queued, sign a final checkpoint, stop the writer."""
        with self._lock:
            thread, self._closed = self._thread, True
            if thread is not None:
                self._queue.put(_Stop())
        if thread is not None:
            await anyio.to_thread.run_sync(thread.join)

    def _submit(self, item: _Item) -> None:
        with self._lock:
            if self._closed:
                raise AuditError("the audit log is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="piigate-audit-writer", daemon=True
                )
                self._deadline = time.monotonic() + self._seconds
                self._thread.start()
            self._queue.put(item)

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=max(0.0, self._deadline - time.monotonic()))
            except queue.Empty:
                first = None
            stop = first is not None and self._handle(first)
            # Checked after every batch too: a steady trickle of records never
            # lets the queue time out, but must still be signed every T seconds.
            if time.monotonic() >= self._deadline:
                self._timed_checkpoint()
            if stop:
                if self._unsigned:
                    self._sign_quietly()
                return

    def _handle(self, first: _Item) -> bool:
        """Write one batch and answer its checkpoint requests; True on stop."""
        batch, stop = self._drain(first)
        appends = [item for item in batch if isinstance(item, _Append)]
        if appends:
            self._write(appends)
        for item in batch:
            if isinstance(item, _Checkpoint):
                self._answer_checkpoint(item.future)
        return stop

    def _drain(self, first: _Item) -> tuple[list[_Item], bool]:
        batch: list[_Item] = []
        item: _Item | None = first
        while item is not None:
            if isinstance(item, _Stop):
                return batch, True
            batch.append(item)
            if len(batch) >= self._max_batch:
                break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                item = None
        return batch, False

    def _write(self, appends: list[_Append]) -> None:
        try:
            with self.engine.begin() as conn:
                # The append's first statement takes the write lock; reads follow it.
                compact = storage.append(conn, [a.entry for a in appends], self._compact)
                self._prepare(conn)
                due = compact.size - self._signed_size >= self._every
                signed = storage.make_checkpoint(conn, self.signer) if due else None
        except Exception as exc:  # any failure must reach every waiting caller
            self._compact = None
            error = (
                exc
                if isinstance(exc, AuditError)
                else StorageError(f"appending to the audit log failed ({type(exc).__name__})")
            )
            for item in appends:
                item.future.set_exception(error)
            return
        self._origin_claimed = True
        self._compact = compact
        start = compact.size - len(appends)
        if signed is not None:
            self._signed(signed.size)
        else:
            self._unsigned += len(appends)
        for offset, item in enumerate(appends):
            item.future.set_result(start + offset)

    def _answer_checkpoint(self, future: Future[str]) -> None:
        try:
            note = self._sign()
        except Exception as exc:  # reported to the caller, never raised in the writer
            future.set_exception(
                exc
                if isinstance(exc, AuditError)
                else StorageError(f"signing a checkpoint failed ({type(exc).__name__})")
            )
            return
        future.set_result(note)

    def _timed_checkpoint(self) -> None:
        if self._unsigned:
            self._sign_quietly()
        self._deadline = time.monotonic() + self._seconds

    def _sign_quietly(self) -> None:
        """A scheduled checkpoint; a failure is retried at the next one."""
        try:
            self._sign()
        except Exception as exc:  # the next schedule retries; appends still fail loudly
            _log.warning("scheduled audit checkpoint failed (%s)", type(exc).__name__)
            self._deadline = time.monotonic() + self._seconds

    def _prepare(self, conn: Connection) -> None:
        """First write of this process: pin the origin, learn the last signed size."""
        if self._origin_claimed:
            return
        storage.claim_origin(conn, self.signer.name)
        latest = storage.latest_checkpoint(conn)
        self._signed_size = max(self._signed_size, latest.size if latest else 0)

    def _sign(self) -> str:
        with self.engine.begin() as conn:
            signed = storage.make_checkpoint(conn, self.signer)
            self._prepare(conn)
        self._origin_claimed = True
        self._signed(signed.size)
        return signed.note

    def _signed(self, size: int) -> None:
        self._signed_size = max(self._signed_size, size)
        self._unsigned = 0
        self._deadline = time.monotonic() + self._seconds
