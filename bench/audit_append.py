"""Audit append bench: how much an audit record adds to a request.

    .venv/bin/python bench/audit_append.py --records 2000 --concurrency 64

Appends records through :class:`audit.AuditLog` (group commit, one writer
thread) from ``--concurrency`` coroutines and prints appends per second and
the p50/p95/p99 latency of one ``await log.append(...)``, which is what a
request waits for. Runs on a fresh SQLite file in a temporary directory and,
when ``PIIGATE_BENCH_PG_URL`` names an empty PostgreSQL database, on that
too (the bench signs with a throwaway key, so a database holding another
log would fail the final fsck). Then it runs fsck over what it wrote. It
prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import audit
from audit.fsck import fsck
from audit.records import AuditRecord, now
from vault.db import create_engine


def _record(i: int) -> AuditRecord:
    return AuditRecord(
        time=now(),
        request_id=f"bench-{i}",
        kind="call",
        key_id="key-bench",
        tenant="bench",
        subject=f"psn_bench{i % 100}",
        method="POST",
        path="/v1/chat/completions",
        model="gpt-4o-mini",
        status=200,
        latency_ms=123.456,
        usage={"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160},
        entities={"PERSON": 2, "EMAIL_ADDRESS": 1},
        actions={"tokenized": 3},
        objects=[f"chatcmpl-{i}"],
    )


async def _run(url: str, key: Path, records: int, concurrency: int) -> list[float]:
    engine = create_engine(url)
    audit.migrate(engine)
    log = audit.AuditLog(engine, key, "piigate.bench/audit")
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(records):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            began = time.perf_counter()
            await log.append(_record(i))
            latencies.append(time.perf_counter() - began)

    await log.append(_record(-1))  # start the writer outside the measurement
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    await log.aclose()
    report = fsck(engine, log.verifier)
    engine.dispose()
    _print(url.split(":")[0], records, concurrency, elapsed, latencies, report.ok)
    return latencies


def _print(
    backend: str, records: int, concurrency: int, elapsed: float, lat: list[float], ok: bool
) -> None:
    cuts = statistics.quantiles([x * 1000 for x in lat], n=100)
    print(
        f"{backend:<22} {records} appends, {concurrency} concurrent: "
        f"{records / elapsed:8.0f} appends/s   p50 {cuts[49]:6.2f} ms   "
        f"p95 {cuts[94]:6.2f} ms   p99 {cuts[98]:6.2f} ms   fsck {'ok' if ok else 'FAILED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "audit-signing.key"
        asyncio.run(_run(f"sqlite:///{tmp}/bench.db", key, args.records, args.concurrency))
        asyncio.run(_run(f"sqlite:///{tmp}/bench1.db", key, args.records // 4, 1))
        pg = os.environ.get("PIIGATE_BENCH_PG_URL")
        if pg:
            asyncio.run(_run(pg, key, args.records, args.concurrency))
            asyncio.run(_run(pg, key, args.records // 4, 1))
        else:
            print("PostgreSQL: set PIIGATE_BENCH_PG_URL to a database URL to include it")


if __name__ == "__main__":
    main()
