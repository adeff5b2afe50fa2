"""The scanner: the one door through which the gateway detects personal data.

``scan(texts)`` answers, per text, the findings with the policy applied. It
does as little work as it can and never blocks the event loop:

* each text is looked up by content hash first, so a conversation's earlier
  turns (resent every turn) are not analysed again;
* the misses (deduplicated, long texts cut into segments) go to the backend
  in one batch, off the event loop, on every worker;
* the policy is applied in this process on the raw spans that come back.

Any failure raises ``DetectionError``: the caller refuses the request. There
is no code path that turns an error into "nothing found".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from policies.apply import PolicyApplier
from policies.batching import segment
from policies.cache import LruCache, content_key
from policies.model import Finding, Policy
from policies.settings import DEFAULT_SPACY_MODEL, EngineSettings
from policies.spans import Span

if TYPE_CHECKING:
    from policies.backends import Backend

logger = logging.getLogger("piigate.policies")

DEFAULT_CACHE_SIZE = 8192
# spaCy refuses texts over a million characters; smaller pieces also let one
# large upload keep every worker busy.
SEGMENT_CHARS = 20_000
# Time allowed for one batch: a floor plus what the slowest plausible engine
# (2 KB/s on a busy core) needs for the batch's characters.
TIMEOUT_FLOOR_SECONDS = 30.0
SLOWEST_CHARS_PER_SECOND = 2_000.0


class Scanner:
    """Detects personal data under one policy; the models load once per scanner."""

    def __init__(
        self,
        policy: Policy,
        backend: Backend,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        timeout: float | None = None,
    ) -> None:
        self._applier = PolicyApplier(policy)
        self._backend = backend
        self._cache: LruCache[tuple[Finding, ...]] = LruCache(cache_size)
        self._timeout = timeout

    @classmethod
    def create(
        cls,
        policy: Policy,
        *,
        spacy_model: str = DEFAULT_SPACY_MODEL,
        workers: int = 0,
        cache_size: int = DEFAULT_CACHE_SIZE,
        timeout: float | None = None,
    ) -> Scanner:
        """Load the models: ``workers=0`` in a thread here, else in N processes.

        Blocks until the models are loaded, so a missing model fails start-up
        (``DetectionError``) instead of the first request.
        """
        # Imported here: the backends pull in Presidio and spaCy, which only a
        # scanner that loads models needs.
        from policies.backends import ProcessBackend, ThreadBackend

        settings = EngineSettings(
            spacy_model=spacy_model, recognizers=tuple(sorted(policy.recognizers.items()))
        )
        backend: Backend
        if workers > 0:
            backend = ProcessBackend.load(settings, workers)
        else:
            backend = ThreadBackend.load(settings)
        for number, rss in enumerate(backend.memory()):
            logger.info("detection worker %d: %.0f MiB resident", number, rss / 2**20)
        return cls(policy, backend, cache_size=cache_size, timeout=timeout)

    @property
    def policy(self) -> Policy:
        return self._applier.policy

    def worker_memory(self) -> list[int]:
        """Resident bytes of each worker once loaded (of this process for ``workers=0``)."""
        return self._backend.memory()

    async def scan(self, texts: Sequence[str]) -> list[list[Finding]]:
        """Findings per text: sorted, disjoint, policy applied; cached by content."""
        keys, found, missing = self._lookup(texts)
        if missing:
            pieces = _pieces(missing)
            raw = await self._backend.analyze([p for _, _, p in pieces], self._limit(pieces))
            self._store(missing, pieces, raw, found)
        return [list(found[key]) for key in keys]

    def scan_sync(self, texts: Sequence[str]) -> list[list[Finding]]:
        """``scan`` for callers without an event loop (the CLI)."""
        keys, found, missing = self._lookup(texts)
        if missing:
            pieces = _pieces(missing)
            raw = self._backend.analyze_sync([p for _, _, p in pieces], self._limit(pieces))
            self._store(missing, pieces, raw, found)
        return [list(found[key]) for key in keys]

    async def aclose(self) -> None:
        await self._backend.aclose()

    def _lookup(
        self, texts: Sequence[str]
    ) -> tuple[list[bytes], dict[bytes, tuple[Finding, ...]], dict[bytes, str]]:
        keys = [content_key(text) for text in texts]
        found: dict[bytes, tuple[Finding, ...]] = {}
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key in found or key in missing:
                continue
            cached = self._cache.get(key)
            if cached is None:
                missing[key] = text
            else:
                found[key] = cached
        return keys, found, missing

    def _store(
        self,
        missing: dict[bytes, str],
        pieces: list[tuple[bytes, int, str]],
        raw: list[list[Span]],
        found: dict[bytes, tuple[Finding, ...]],
    ) -> None:
        spans: dict[bytes, list[Span]] = {key: [] for key in missing}
        for (key, offset, _), piece_spans in zip(pieces, raw, strict=True):
            spans[key].extend(
                Span(s.entity_type, s.start + offset, s.end + offset, s.score)
                for s in piece_spans
            )
        for key, text in missing.items():
            findings = tuple(self._applier.apply(text, spans[key]))
            self._cache.put(key, findings)
            found[key] = findings

    def _limit(self, pieces: list[tuple[bytes, int, str]]) -> float:
        if self._timeout is not None:
            return self._timeout
        chars = sum(len(p) for _, _, p in pieces)
        return TIMEOUT_FLOOR_SECONDS + chars / SLOWEST_CHARS_PER_SECOND


def _pieces(missing: dict[bytes, str]) -> list[tuple[bytes, int, str]]:
    """``(key, offset, piece)`` for every segment of every text to analyse."""
    return [
        (key, offset, piece)
        for key, text in missing.items()
        for offset, piece in segment(text, SEGMENT_CHARS)
    ]
