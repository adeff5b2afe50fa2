"""Worker processes: both cores, memory reported, and a crash fails closed then recovers.

Slow by nature (each worker imports spaCy and loads the models), so the whole
story is told by two tests.
"""

from __future__ import annotations

import multiprocessing

import pytest

from policies import DetectionError, Finding, Policy, Scanner

pytestmark = pytest.mark.slow

TEXTS = [f"Mail person{i}@example.com about Anna Lee" for i in range(6)]


def emails(findings: list[list[Finding]]) -> int:
    return sum(1 for per_text in findings for f in per_text if f.entity_type == "EMAIL_ADDRESS")


@pytest.mark.anyio
async def test_two_workers_scan_report_memory_and_survive_a_crash() -> None:
    scanner = Scanner.create(Policy(), workers=2)
    try:
        memory = scanner.worker_memory()
        assert len(memory) == 2
        assert all(rss > 50 * 2**20 for rss in memory)

        assert emails(await scanner.scan(TEXTS)) == len(TEXTS)

        for child in multiprocessing.active_children():
            child.kill()
            child.join()
        with pytest.raises(DetectionError):
            await scanner.scan(["Mail bob@example.com"])

        # The broken pool was replaced: the next call works on fresh workers.
        assert emails(scanner.scan_sync(["Mail carl@example.com"])) == 1
    finally:
        await scanner.aclose()


def test_a_worker_that_cannot_load_its_model_fails_start_up() -> None:
    with pytest.raises(DetectionError):
        Scanner.create(Policy(), spacy_model="xx_no_such_model_piigate", workers=1)
