"""The scanner: cache, batching, policy applied, and fail-closed on every failure."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from policies import Action, DetectionError, Finding, Policy, Scanner
from policies.backends import ThreadBackend
from policies.engine import Engine
from policies.model import EntityRule
from policies.scanner import SEGMENT_CHARS
from policies.spans import Span

POLICY = Policy(entities={"DATE_TIME": EntityRule(action=Action.ALLOW)}, allow_list=("Acme",))


class FakeBackend:
    """Finds every "Anna" as PERSON and "Acme" as PERSON; counts what it analyses."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail
        self.closed = False

    def _find(self, texts: Sequence[str]) -> list[list[Span]]:
        self.calls.append(list(texts))
        if self.fail:
            raise DetectionError("engine exploded")
        out = []
        for text in texts:
            spans = []
            for word in ("Anna", "Acme"):
                start = text.find(word)
                while start >= 0:
                    spans.append(Span("PERSON", start, start + len(word), 0.9))
                    start = text.find(word, start + 1)
            out.append(spans)
        return out

    async def analyze(self, texts: Sequence[str], timeout: float) -> list[list[Span]]:
        return self._find(texts)

    def analyze_sync(self, texts: Sequence[str], timeout: float) -> list[list[Span]]:
        return self._find(texts)

    def memory(self) -> list[int]:
        return [1]

    async def aclose(self) -> None:
        self.closed = True


def person(start: int, end: int, action: Action = Action.TOKENIZE) -> Finding:
    return Finding("PERSON", start, end, 0.9, action)


@pytest.mark.anyio
async def test_policy_is_applied_and_results_follow_input_order() -> None:
    scanner = Scanner(POLICY, FakeBackend())
    results = await scanner.scan(["Anna and Acme", "nothing", "Anna"])
    assert results == [[person(0, 4), person(9, 13, Action.ALLOW)], [], [person(0, 4)]]
    assert scanner.policy is POLICY


@pytest.mark.anyio
async def test_earlier_turns_are_served_from_the_cache() -> None:
    backend = FakeBackend()
    scanner = Scanner(POLICY, backend)
    first = await scanner.scan(["turn one with Anna"])
    second = await scanner.scan(["turn one with Anna", "turn two", "turn two"])
    assert backend.calls == [["turn one with Anna"], ["turn two"]]
    assert second[0] == first[0]
    assert second[1] == second[2] == []


def test_scan_sync_shares_the_cache() -> None:
    backend = FakeBackend()
    scanner = Scanner(POLICY, backend)
    assert scanner.scan_sync(["Anna"]) == [[person(0, 4)]]
    assert scanner.scan_sync(["Anna"]) == [[person(0, 4)]]
    assert len(backend.calls) == 1


@pytest.mark.anyio
async def test_failure_raises_and_caches_nothing() -> None:
    backend = FakeBackend(fail=True)
    scanner = Scanner(POLICY, backend)
    with pytest.raises(DetectionError):
        await scanner.scan(["Anna"])
    with pytest.raises(DetectionError):
        scanner.scan_sync(["Anna"])
    backend.fail = False
    assert await scanner.scan(["Anna"]) == [[person(0, 4)]]
    assert len(backend.calls) == 3


@pytest.mark.anyio
async def test_long_texts_are_segmented_and_offsets_restored() -> None:
    backend = FakeBackend()
    scanner = Scanner(POLICY, backend)
    text = ("filler line\n" * (SEGMENT_CHARS // 6)) + "Anna"
    [findings] = await scanner.scan([text])
    assert len(backend.calls[0]) > 1
    assert all(len(piece) <= SEGMENT_CHARS for piece in backend.calls[0])
    assert findings == [person(len(text) - 4, len(text))]


@pytest.mark.anyio
async def test_aclose_closes_the_backend() -> None:
    backend = FakeBackend()
    await Scanner(POLICY, backend).aclose()
    assert backend.closed


class BlockingEngine:
    """Stands in for Engine: records its thread, can hang until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.threads: list[str] = []
        self.hang = False

    def analyze(self, texts: Sequence[str]) -> list[list[Span]]:
        self.threads.append(threading.current_thread().name)
        if self.hang:
            self.release.wait(5)
        return [[] for _ in texts]


@pytest.mark.anyio
async def test_thread_backend_works_off_the_event_loop_and_times_out_closed() -> None:
    engine = BlockingEngine()
    backend = ThreadBackend(engine)  # type: ignore[arg-type]
    scanner = Scanner(POLICY, backend, timeout=0.2)
    assert await scanner.scan(["a"]) == [[]]
    assert engine.threads[0] != threading.current_thread().name
    engine.hang = True
    with pytest.raises(DetectionError, match="timed out"):
        await scanner.scan(["b"])
    with pytest.raises(DetectionError, match="timed out"):
        scanner.scan_sync(["c"])
    engine.release.set()
    await scanner.aclose()


@pytest.mark.slow
@pytest.mark.anyio
async def test_real_engine_in_a_thread(engine: Engine) -> None:
    scanner = Scanner(Policy(), ThreadBackend(engine))
    text = "Hi, I am Anna Lee, mail anna.lee@example.com or call +44 20 7946 0958."
    [findings] = await scanner.scan([text])
    assert scanner.scan_sync([text]) == [findings]
    types = {(f.entity_type, text[f.start : f.end]) for f in findings}
    assert {("PERSON", "Anna Lee"), ("EMAIL_ADDRESS", "anna.lee@example.com"),
            ("PHONE_NUMBER", "+44 20 7946 0958")} <= types
    assert all(f.action is Action.TOKENIZE for f in findings)


def test_create_fails_closed_when_the_model_is_missing() -> None:
    with pytest.raises(DetectionError, match="not installed"):
        Scanner.create(Policy(), spacy_model="xx_no_such_model_piigate", workers=0)
