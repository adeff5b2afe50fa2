"""Entry points that run inside a detection worker process.

``ProcessPoolExecutor`` hands each worker an initializer and then plain
function calls, so the engine a worker loads has to live in this module for
the life of that process. That is the one piece of module state in the
package, and it exists only in spawned workers (the gateway process never
calls :func:`initialize`).
"""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Barrier

from policies.engine import Engine
from policies.errors import DetectionError
from policies.settings import EngineSettings
from policies.spans import Span


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    pid: int
    resident_bytes: int


class _Process:
    """The worker's engine; set once by :func:`initialize`."""

    engine: Engine | None = None
    barrier: Barrier | None = None


def initialize(settings: EngineSettings, barrier: Barrier | None) -> None:
    """Load the models once per worker; a failure breaks the pool (fail closed)."""
    _Process.engine = Engine.load(settings)
    _Process.barrier = barrier


def analyze(texts: Sequence[str]) -> list[list[Span]]:
    engine = _Process.engine
    if engine is None:
        raise DetectionError("detection worker has no engine")
    return engine.analyze(texts)


def warm_up(timeout: float) -> WorkerInfo:
    """Report this worker's memory; waits for its siblings so each reports once."""
    if _Process.barrier is not None:
        _Process.barrier.wait(timeout)
    return WorkerInfo(os.getpid(), resident_bytes())


def resident_bytes() -> int:
    """Resident memory of this process now; where /proc is missing, its peak."""
    try:
        pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
