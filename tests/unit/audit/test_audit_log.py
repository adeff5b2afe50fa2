"""AuditLog: group commit, checkpoints, failure handling and concurrency."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from audit import AuditLog, storage
from audit.checkpoint import open_checkpoint
from audit.errors import AuditError, RecordError, StorageError
from audit.fsck import fsck
from audit.records import from_canonical
from tests.unit.audit.audit_factories import ORIGIN, record, sqlite_engine
from vault.db import create_engine

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[3]


def _log(engine: Engine, key_path: Path, **options: Any) -> AuditLog:
    return AuditLog(engine, key_path, ORIGIN, **options)


def _rows(engine: Engine) -> list[storage.StoredRecord]:
    with engine.connect() as conn:
        return list(storage.iter_records(conn))


def _checkpoint_sizes(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [c.size for c in storage.all_checkpoints(conn)]


@pytest.fixture
def count_commits(engine: Engine) -> Iterator[list[int]]:
    commits: list[int] = []

    def on_commit(_conn: object) -> None:
        commits.append(1)

    event.listen(engine, "commit", on_commit)
    yield commits
    event.remove(engine, "commit", on_commit)


async def test_append_returns_gap_free_indexes(engine: Engine, key_path: Path) -> None:
    log = _log(engine, key_path)
    indexes = [await log.append(record(i)) for i in range(5)]
    indexes += await asyncio.gather(*(log.append(record(i)) for i in range(5, 40)))
    await log.aclose()
    assert sorted(indexes) == list(range(40))
    rows = _rows(engine)
    assert [r.index for r in rows] == list(range(40))
    assert {from_canonical(r.body).request_id for r in rows} == {f"req-{i}" for i in range(40)}
    assert fsck(engine, log.verifier).ok


async def test_concurrent_appends_share_one_commit(
    engine: Engine, key_path: Path, count_commits: list[int]
) -> None:
    log = _log(engine, key_path, checkpoint_every=10_000)
    await log.append(record(0))  # the writer is running and the origin claimed
    gate = threading.Event()

    def hold(*_args: object) -> None:
        gate.wait(5)

    event.listen(engine, "begin", hold)
    count_commits.clear()
    tasks = [asyncio.ensure_future(log.append(record(i))) for i in range(1, 101)]
    for _ in range(3):
        await asyncio.sleep(0)
    gate.set()
    assert sorted(await asyncio.gather(*tasks)) == list(range(1, 101))
    event.remove(engine, "begin", hold)
    # The first task's batch was held at BEGIN while the other 99 queued up.
    assert len(count_commits) == 2
    await log.aclose()


async def test_checkpoints_every_n_and_on_close(engine: Engine, key_path: Path) -> None:
    log = _log(engine, key_path, checkpoint_every=10)
    for i in range(25):
        await log.append(record(i))
    assert _checkpoint_sizes(engine) == [10, 20]
    await log.aclose()
    assert _checkpoint_sizes(engine) == [10, 20, 25]
    with engine.connect() as conn:
        latest = storage.latest_checkpoint(conn)
    assert latest is not None
    assert open_checkpoint(latest.note, log.verifier).size == 25


async def test_checkpoint_after_seconds(engine: Engine, key_path: Path) -> None:
    log = _log(engine, key_path, checkpoint_every=1000, checkpoint_seconds=0.05)
    for i in range(3):
        await log.append(record(i))
    deadline = time.monotonic() + 5
    while 3 not in _checkpoint_sizes(engine) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert _checkpoint_sizes(engine) == [3]
    await log.aclose()
    assert _checkpoint_sizes(engine) == [3]


async def test_checkpoint_on_demand(engine: Engine, key_path: Path) -> None:
    log = _log(engine, key_path)
    empty = open_checkpoint(await log.checkpoint(), log.verifier)
    assert empty.size == 0
    await log.append(record(0))
    assert open_checkpoint(await log.checkpoint(), log.verifier).size == 1
    await log.aclose()
    await log.aclose()


async def test_failure_is_an_audit_error_and_leaves_no_gap(engine: Engine, key_path: Path) -> None:
    log = _log(engine, key_path)
    await log.append(record(0))
    broken = threading.Event()
    broken.set()

    def fail_nodes(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if broken.is_set() and statement.startswith("INSERT INTO audit_nodes"):
            raise RuntimeError("disk full")

    event.listen(engine, "before_cursor_execute", fail_nodes)
    with pytest.raises(StorageError, match="RuntimeError"):
        await log.append(record(1))  # index 1 completes a level-1 node
    broken.clear()
    assert await log.append(record(2)) == 1
    event.remove(engine, "before_cursor_execute", fail_nodes)
    await log.aclose()
    assert [r.index for r in _rows(engine)] == [0, 1]
    assert fsck(engine, log.verifier).ok


async def test_unusable_database_fails_closed(tmp_path: Path, key_path: Path) -> None:
    bare = create_engine(f"sqlite:///{tmp_path / 'not-migrated.db'}")
    log = _log(bare, key_path)
    with pytest.raises(AuditError):
        await log.append(record(0))
    await log.aclose()
    with pytest.raises(AuditError):
        await log.append(record(0))
    bare.dispose()


async def test_bad_record_is_refused_before_queueing(engine: Engine, key_path: Path) -> None:
    log = _log(engine, key_path)
    with pytest.raises(RecordError):
        await log.append(record(0, subject="alice@example.com"))
    await log.aclose()
    assert _rows(engine) == []


async def test_cancelled_caller_still_gets_its_record_written(
    engine: Engine, key_path: Path
) -> None:
    log = _log(engine, key_path)
    task = asyncio.ensure_future(log.append(record(7)))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await log.aclose()
    assert [from_canonical(r.body).request_id for r in _rows(engine)] == ["req-7"]


async def test_one_database_one_origin(engine: Engine, key_path: Path) -> None:
    log = _log(engine, key_path)
    await log.append(record(0))
    await log.aclose()
    other = AuditLog(engine, key_path, "other-origin")
    with pytest.raises(StorageError):
        await other.append(record(1))
    await other.aclose()


def test_bad_options_are_refused(engine: Engine, key_path: Path) -> None:
    with pytest.raises(AuditError):
        _log(engine, key_path, checkpoint_every=0)


def _threads(url: str, key_path: Path, threads: int, per_thread: int) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        engine = create_engine(url)
        log = _log(engine, key_path, checkpoint_every=15)

        async def run() -> None:
            await asyncio.gather(*(log.append(record(n * 1000 + i)) for i in range(per_thread)))
            await log.aclose()

        try:
            asyncio.run(run())
        except BaseException as exc:  # collected and asserted by the caller
            errors.append(exc)
        finally:
            engine.dispose()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []


def _assert_one_log(engine: Engine, key_path: Path, expected: set[str]) -> None:
    rows = _rows(engine)
    assert [r.index for r in rows] == list(range(len(expected)))
    assert sorted(from_canonical(r.body).request_id for r in rows) == sorted(expected)
    log = _log(engine, key_path)
    report = fsck(engine, log.verifier)
    assert report.ok, report.problem
    assert report.checkpoints >= 1


def test_threads_with_their_own_logs_on_sqlite(tmp_path: Path, key_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'threads.db'}"
    sqlite_engine(tmp_path / "threads.db").dispose()
    _threads(url, key_path, threads=4, per_thread=30)
    engine = create_engine(url)
    _assert_one_log(engine, key_path, {f"req-{n * 1000 + i}" for n in range(4) for i in range(30)})
    engine.dispose()


@pytest.mark.postgres
def test_threads_with_their_own_logs_on_postgresql(pg: Engine, key_path: Path) -> None:
    _threads(pg.url.render_as_string(hide_password=False), key_path, threads=4, per_thread=30)
    _assert_one_log(pg, key_path, {f"req-{n * 1000 + i}" for n in range(4) for i in range(30)})


WORKER = """
import asyncio, sys
from pathlib import Path
from audit import AuditLog
from tests.unit.audit.audit_factories import ORIGIN, record
from vault.db import create_engine

url, key, worker, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
engine = create_engine(url)
async def main():
    log = AuditLog(engine, key, ORIGIN, checkpoint_every=25)
    await asyncio.gather(*(log.append(record(worker * 1000 + i)) for i in range(count)))
    await log.aclose()
asyncio.run(main())
"""


def _processes(url: str, key_path: Path, workers: int, count: int) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(key_path), str(n), str(count)],
            cwd=REPO,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
            stderr=subprocess.PIPE,
        )
        for n in range(workers)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()


@pytest.mark.postgres
def test_gateway_processes_on_postgresql(pg: Engine, key_path: Path) -> None:
    url = pg.url.render_as_string(hide_password=False)
    _processes(url, key_path, workers=3, count=40)
    _assert_one_log(pg, key_path, {f"req-{n * 1000 + i}" for n in range(3) for i in range(40)})


def test_gateway_processes_on_sqlite(tmp_path: Path, key_path: Path) -> None:
    sqlite_engine(tmp_path / "procs.db").dispose()
    url = f"sqlite:///{tmp_path / 'procs.db'}"
    _processes(url, key_path, workers=3, count=40)
    engine = create_engine(url)
    _assert_one_log(engine, key_path, {f"req-{n * 1000 + i}" for n in range(3) for i in range(40)})
    with engine.connect() as conn:
        assert conn.execute(text("SELECT size FROM audit_head")).scalar_one() == 120
    engine.dispose()


async def test_steady_trickle_is_still_signed_on_time(engine: Engine, key_path: Path) -> None:
    log = _log(engine, key_path, checkpoint_every=1000, checkpoint_seconds=0.05)
    deadline = time.monotonic() + 5
    i = 0
    while not _checkpoint_sizes(engine) and time.monotonic() < deadline:
        await log.append(record(i))  # never idle for as long as checkpoint_seconds
        await asyncio.sleep(0.01)
        i += 1
    assert _checkpoint_sizes(engine), "no checkpoint while records kept arriving"
    await log.aclose()
