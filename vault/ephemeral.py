"""A scope that lives for one request only: its values stay in memory, never stored.

A call that names no data subject must not share a scope with every other
such call of its key: the second end user could ask the model to repeat
``<PERSON_1>`` and be given the first one's name. Such a call gets a scope of
its own that ends with the call. Tokens still follow the order of the
values in the request, so a conversation resent every turn gets the same
tokens every turn, and the provider's prompt cache keeps hitting. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from vault.matcher import KnownValue, KnownValues
from vault.normalise import Family, canonical, family_of
from vault.tokens import format_token


class EphemeralScope:
    """Same interface as :class:`vault.service.ScopeView`, without a database."""

    __slots__ = ("_by_token", "_by_value", "_counters", "_matcher")

    def __init__(self) -> None:
        self._by_value: dict[tuple[Family, str], str] = {}
        self._by_token: dict[str, KnownValue] = {}
        self._counters: dict[str, int] = {}
        self._matcher: KnownValues | None = None

    @property
    def known(self) -> KnownValues:
        if self._matcher is None:
            self._matcher = KnownValues(self._by_token.values())
        return self._matcher

    def entry(self, token: str) -> KnownValue | None:
        return self._by_token.get(token)

    def value_of(self, token: str) -> str | None:
        entry = self._by_token.get(token)
        return entry.value if entry is not None else None

    async def tokenize(self, items: Sequence[tuple[str, str]]) -> list[str]:
        return [self._token(entity_type, value) for entity_type, value in items]

    def _token(self, entity_type: str, value: str) -> str:
        format_token(entity_type, 1)  # the same refusal of bad types as the vault's
        key = canonical(family_of(entity_type), value)
        if not key[1]:
            raise ValueError("cannot tokenize an empty value")
        token = self._by_value.get(key)
        if token is None:
            index = self._counters.get(entity_type, 0) + 1
            self._counters[entity_type] = index
            token = format_token(entity_type, index)
            self._by_value[key] = token
            self._by_token[token] = KnownValue(value, entity_type, token)
            self._matcher = None
        return token
