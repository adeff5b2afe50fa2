"""Where analysis runs: one thread, or a pool of worker processes.

Detection is CPU-bound Python (spaCy, regexes, ONNX), so threads would share
one core under the GIL. The process backend uses ``spawn`` workers that each
load the models once; batches are split so every worker gets about the same
number of characters. The thread backend runs one engine in one thread, for
tests and the CLI. Either way a failure raises ``DetectionError``: a broken
pool is replaced for the next call, but the failed call never reports "no
findings".
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import multiprocessing
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol, TypeVar

from policies import worker
from policies.batching import partition
from policies.engine import Engine
from policies.errors import DetectionError
from policies.settings import EngineSettings
from policies.spans import Span

WARM_UP_SECONDS = 300.0

T = TypeVar("T")


class Backend(Protocol):
    """Runs the engine somewhere; the scanner does not care where."""

    async def analyze(self, texts: Sequence[str], timeout: float) -> list[list[Span]]: ...

    def analyze_sync(self, texts: Sequence[str], timeout: float) -> list[list[Span]]: ...

    def memory(self) -> list[int]: ...

    async def aclose(self) -> None: ...


class ThreadBackend:
    """One engine, used from one dedicated thread so calls never interleave."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._executor = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="piigate-detect")

    @classmethod
    def load(cls, settings: EngineSettings) -> ThreadBackend:
        return cls(Engine.load(settings))

    async def analyze(self, texts: Sequence[str], timeout: float) -> list[list[Span]]:
        future = self._executor.submit(self._engine.analyze, list(texts))
        return await _await(asyncio.wrap_future(future), timeout)

    def analyze_sync(self, texts: Sequence[str], timeout: float) -> list[list[Span]]:
        return _result(self._executor.submit(self._engine.analyze, list(texts)), timeout)

    def memory(self) -> list[int]:
        return [worker.resident_bytes()]

    async def aclose(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)


class ProcessBackend:
    """``workers`` spawned processes, each with its own engine."""

    def __init__(self, settings: EngineSettings, workers: int) -> None:
        if workers < 1:
            raise ValueError("a process backend needs at least one worker")
        self._settings = settings
        self._workers = workers
        self._pool = self._new_pool()
        self._memory: list[int] = []

    @classmethod
    def load(cls, settings: EngineSettings, workers: int) -> ProcessBackend:
        """Start the workers and wait until each has loaded its models."""
        backend = cls(settings, workers)
        try:
            futures = [
                backend._pool.submit(worker.warm_up, WARM_UP_SECONDS) for _ in range(workers)
            ]
            infos = [_result(f, WARM_UP_SECONDS) for f in futures]
        except DetectionError:
            backend._pool.shutdown(wait=False, cancel_futures=True)
            raise
        backend._memory = [info.resident_bytes for info in infos]
        return backend

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(self._workers)
        return cf.ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=context,
            initializer=worker.initialize,
            initargs=(self._settings, barrier),
        )

    def _shares(self, texts: Sequence[str]) -> list[list[int]]:
        return partition([len(t) for t in texts], self._workers)

    async def analyze(self, texts: Sequence[str], timeout: float) -> list[list[Span]]:
        shares = self._shares(texts)
        pool = self._pool
        try:
            futures = [pool.submit(worker.analyze, [texts[i] for i in s]) for s in shares]
        except BrokenProcessPool as exc:
            self._replace(pool)
            raise DetectionError("detection worker pool is broken") from exc
        gathered = asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
        try:
            results = await _await(gathered, timeout)
        except DetectionError:
            if _broken(futures):
                self._replace(pool)
            raise
        return _reassemble(len(texts), shares, results)

    def analyze_sync(self, texts: Sequence[str], timeout: float) -> list[list[Span]]:
        shares = self._shares(texts)
        pool = self._pool
        try:
            futures = [pool.submit(worker.analyze, [texts[i] for i in s]) for s in shares]
            results = [_result(f, timeout) for f in futures]
        except BrokenProcessPool as exc:
            self._replace(pool)
            raise DetectionError("detection worker pool is broken") from exc
        except DetectionError:
            if _broken(futures):
                self._replace(pool)
            raise
        return _reassemble(len(texts), shares, results)

    def _replace(self, broken: cf.ProcessPoolExecutor) -> None:
        """Swap in a fresh pool once (its workers load their models on first use)."""
        if self._pool is broken:
            broken.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()

    def memory(self) -> list[int]:
        return list(self._memory)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)


def _broken(futures: Sequence[cf.Future[list[list[Span]]]]) -> bool:
    return any(
        f.done() and not f.cancelled() and isinstance(f.exception(), BrokenProcessPool)
        for f in futures
    )


def _reassemble(
    count: int, shares: list[list[int]], results: Sequence[list[list[Span]]]
) -> list[list[Span]]:
    ordered: list[list[Span]] = [[] for _ in range(count)]
    for share, spans in zip(shares, results, strict=True):
        for index, found in zip(share, spans, strict=True):
            ordered[index] = found
    return ordered


async def _await(awaitable: asyncio.Future[T], timeout: float) -> T:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except DetectionError:
        raise
    except TimeoutError as exc:
        raise DetectionError(f"detection timed out after {timeout:.0f} s") from exc
    except Exception as exc:  # any failure means the text went unscanned
        raise DetectionError(f"detection failed: {type(exc).__name__}") from exc


def _result(future: cf.Future[T], timeout: float) -> T:
    try:
        return future.result(timeout)
    except DetectionError:
        raise
    except TimeoutError as exc:
        raise DetectionError(f"detection timed out after {timeout:.0f} s") from exc
    except Exception as exc:  # any failure means the text went unscanned
        raise DetectionError(f"detection failed: {type(exc).__name__}") from exc
